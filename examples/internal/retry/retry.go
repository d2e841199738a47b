// Package retry is the benchmark programs' patience with a server they
// saturate on purpose: a call that times out is made again, a second later,
// a few times; an answer that another call would not change is not.
package retry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow"
)

// Do calls f until it succeeds, at most 5 times, 1 s apart. An error marked
// Permanent, or one that says the request itself is wrong (invalid input,
// an order that exists, is not found or is past cancelling), is returned at
// once, as is ctx's end.
func Do(ctx context.Context, f func() error) error {
	var err error
	for range 5 {
		if err = f(); err == nil || permanent(err) || ctx.Err() != nil {
			return err
		}
		if Sleep(ctx, time.Second) != nil {
			return err
		}
	}
	return err
}

// Permanent marks err as one that Do does not retry.
func Permanent(err error) error { return permanentError{err} }

type permanentError struct{ error }

func (p permanentError) Unwrap() error { return p.error }

// permanent reports whether err is an answer that a retry would not change.
func permanent(err error) bool {
	if errors.As(err, new(permanentError)) {
		return true
	}
	for _, e := range []error{orderflow.ErrInvalidArgument, orderflow.ErrInvalidOrder, orderflow.ErrOrderExists,
		orderflow.ErrOrderNotFound, orderflow.ErrTooLateToCancel, orderflow.ErrAlreadyCancelled} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Sleep waits for d, or returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// Count counts the workflows that query matches, retried as Do.
func Count(ctx context.Context, tc client.Client, query string) (int64, error) {
	var n int64
	err := Do(ctx, func() error {
		resp, err := tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		n = resp.GetCount()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", query, err)
	}
	return n, nil
}
