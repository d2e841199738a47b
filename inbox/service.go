package inbox

import (
	"context"
	"errors"

	"github.com/orderflow/orderflow"
)

// This file is the inbox's only contact with the orderflow Client: every
// call the pages make goes through orders.

// orderState is an order's full state, as Client.State returns it.
type orderState = orderflow.OrderState

// maxPageSize is the largest page Client.ListOrders serves.
const maxPageSize = 1000

// orderPage is one page of a listing.
type orderPage struct {
	Orders        []orderflow.OrderSummary
	NextPageToken string
}

// orderService is the order service behind the pages.
type orderService struct{ c *orderflow.Client }

// checkClient refuses a Client that the inbox cannot list orders with.
func checkClient(c *orderflow.Client) error {
	if c == nil {
		return errors.New("inbox: new: orderflow client is nil")
	}
	if !c.Options().Visibility {
		return errors.New("inbox: new: the orderflow Client was made without Options.Visibility: " +
			"the inbox finds orders by status through the visibility store, and would list none; " +
			"make it with orderflow.NewClient(temporalClient, &orderflow.Options{Visibility: true}) " +
			"after orderflow.RegisterSearchAttributes")
	}
	return nil
}

func (o orderService) list(ctx context.Context, status orderflow.Status, pageSize int, token string) (*orderPage, error) {
	orders, next, err := o.c.ListOrders(ctx, orderflow.ListOptions{Status: status, PageSize: pageSize, PageToken: token})
	if err != nil {
		return nil, err
	}
	return &orderPage{Orders: orders, NextPageToken: next}, nil
}

func (o orderService) count(ctx context.Context, status orderflow.Status) (int64, error) {
	return o.c.CountOrders(ctx, status)
}

func (o orderService) state(ctx context.Context, id string) (*orderState, error) {
	return o.c.State(ctx, id)
}

func (o orderService) summary(ctx context.Context, id string) (*orderflow.OrderSummary, error) {
	return o.c.Summary(ctx, id)
}

// checkReason checks a reason as the order will before a decision is sent.
func checkReason(reason string) error { return orderflow.Decision{Reason: reason}.Validate() }

// decide approves (or, with approve false, rejects) order id as approver,
// with reason.
func (o orderService) decide(ctx context.Context, approve bool, id, approver, reason string) error {
	send := o.c.Approve
	if !approve {
		send = o.c.Reject
	}
	_, err := send(ctx, id, orderflow.Decision{Approver: approver, Reason: reason})
	return err
}
