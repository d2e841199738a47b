package orderflow

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Wire names. They are stable: running orders, the Temporal CLI and the
// Python demo's tooling depend on them.
const (
	// WorkflowName is the workflow type of OrderWorkflow.
	WorkflowName = "OrderWorkflow"

	// SignalApprove and SignalReject are the Python demo's decision signals.
	// Their argument is the reason, a string (may be empty).
	SignalApprove = "approve_order"
	SignalReject  = "reject_order"

	// UpdateApprove, UpdateReject and UpdateCancel are the validated Updates
	// the Client sends. Their argument is the reason, a string; approve and
	// reject take the approver's name as an optional second string
	// (see Decision), and return the Approval that took; cancel returns
	// nothing.
	UpdateApprove = "approve"
	UpdateReject  = "reject"
	UpdateCancel  = "cancel_order"

	// QueryApprovalStatus returns the ApprovalStatus as a string,
	// QueryApprovalReason the approval's reason, and QueryOrderState the
	// whole OrderState.
	QueryApprovalStatus = "get_approval_status"
	QueryApprovalReason = "get_approval_reason"
	QueryOrderState     = "get_order_state"

	// The activity names of the four steps (taking ChargeRequest,
	// ReserveRequest, DeliveryRequest and Email) and of the two
	// compensations (RefundRequest, ReleaseRequest).
	ActivityProcessPayment   = "process_payment"
	ActivityReserveInventory = "reserve_inventory"
	ActivityArrangeDelivery  = "arrange_delivery"
	ActivitySendConfirmation = "send_confirmation_email"
	ActivityRefundPayment    = "refund_payment"
	ActivityReleaseInventory = "release_inventory"
)

// updateCheckout is the Update of Client.Checkout. It takes the
// fingerprint of the order the caller has (optional; a different one is
// refused with ErrOrderExists) and returns a CheckoutResult once the
// customer-facing outcome is known.
const updateCheckout = "checkout"

// WorkflowID returns the workflow ID of an order: "order-workflow-<orderID>".
func WorkflowID(orderID string) string { return "order-workflow-" + orderID }

// IdempotencyKey returns the key of one provider call of an order: the
// order ID, with "%" and "/" (and other characters a URL path escapes)
// escaped, a slash, and the activity's wire name: "ORD-001/process_payment",
// "X%2FZ/process_payment" for order "X/Z". The escaping makes the key
// unambiguous: two different orders never share a key, whatever their IDs
// and whatever workflow IDs they run under, and one order has one key per
// call whichever workflow ID runs it.
//
// The key is the same on every retry, every replay, every worker restart and
// every run of the order: a second run of an order that already charged
// finds that charge, and one whose charge was refunded finds the refund and
// is declined (see PaymentProvider). The Client decides the keys' prefix when
// it starts an order and carries it in the workflow's input, so a running
// order keeps its keys across library upgrades.
func IdempotencyKey(orderID, activityName string) string {
	return keyPrefix(orderID) + "/" + activityName
}

func keyPrefix(orderID string) string { return url.PathEscape(orderID) }

// PaymentProvider takes and returns money.
//
// Implementations are called concurrently for different orders, possibly
// from several worker processes, and must be safe for that. A call for one
// key may also run twice at once (an attempt that timed out may still be
// running when its retry starts).
//
// An error wrapping ErrPaymentDeclined (or ErrPermanent) tells the workflow
// that this call took no money: the order then fails without a refund of
// this charge. Never return such an error if the call might have charged;
// return any other error instead, and the workflow retries or refunds by key.
//
// A key names one request: a call whose key was already used for a
// different one (each method says what differs) must do nothing and return
// an error wrapping ErrPermanent that names the key, never the first
// request's answer. Keep every key, with its request and answer, and every
// tombstone (a key Refund has seen) for as long as the order's workflow can
// exist, plus a safety margin: while it runs, which has no bound (delivery
// and compensations retry until answered), and for the Temporal namespace's
// retention period after it closes, while it can still be reset and call
// again. In practice: at least the retention period plus the margin after
// the order's last call, and never while its workflow may still run. A key
// forgotten sooner can charge twice, a tombstone take a refunded charge
// again. The other provider interfaces keep keys the same way.
type PaymentProvider interface {
	// Charge takes req.Amount from the customer.
	//
	// Charge must be idempotent on req.IdempotencyKey: a call with a key
	// that already charged, and was not refunded, returns the first charge's
	// result and takes no money. Retries, worker crashes, replays and runs
	// of the same order again all reuse the key. A call with a key that
	// already charged another order or amount (req.OrderID, req.Amount)
	// must take no money and return an error wrapping ErrPermanent.
	//
	// A call with a key that Refund has already seen, whether Refund came
	// before or after a charge under it, must take no money and return an
	// error wrapping ErrPaymentDeclined: the order was compensated, and a
	// charge that was refunded stays refunded (see Refund).
	//
	// Return an error wrapping ErrPaymentDeclined when the payment is refused
	// and retrying cannot help. Return any other error only if it is safe to
	// call Charge again with the same key; the call is then retried. When ctx
	// ends, return promptly: the charge is then treated as possibly taken and
	// is refunded by key.
	Charge(ctx context.Context, req ChargeRequest) (PaymentResult, error)

	// Refund returns all of a charge's money; there are no partial refunds.
	// It must be idempotent on req.IdempotencyKey (a key that already
	// refunded another order, ChargeKey or amount moves no money and fails
	// with ErrPermanent), and it must succeed
	// without moving money when no charge was made under req.ChargeKey: the
	// workflow refunds by key when the outcome of a charge is unknown.
	//
	// Such a charge may still be in flight and land after the refund. So
	// Refund must leave a tombstone under req.ChargeKey: any later Charge
	// with that key must take no money and return an error wrapping
	// ErrPaymentDeclined. Otherwise the money is taken and never returned.
	//
	// Errors are retried without limit (with Options.CompensationRetry's
	// backoff). Wrap ErrPermanent only if the refund can never succeed: the
	// order then ends StatusNeedsAttention, for a person to settle.
	Refund(ctx context.Context, req RefundRequest) error
}

// InventoryProvider reserves stock.
//
// Implementations are called concurrently for different orders and must be
// safe for that. As with PaymentProvider, an error wrapping ErrOutOfStock
// (or ErrPermanent) from Reserve means that the call held nothing, and keys
// and tombstones (keys Release has seen) are kept as long as PaymentProvider
// says.
type InventoryProvider interface {
	// Reserve holds every item of req. It is all or nothing, and idempotent
	// on req.IdempotencyKey: a repeated call returns the first reservation;
	// one with another order or other items (req.OrderID, req.Items) must
	// hold nothing and return an error wrapping ErrPermanent.
	// A call with a key that Release has already seen, before or after a
	// reservation under it, must hold nothing and return an error wrapping
	// ErrOutOfStock (see Release). Return an error wrapping ErrOutOfStock
	// when an item cannot be had; other errors are retried.
	Reserve(ctx context.Context, req ReserveRequest) (InventoryResult, error)

	// Release gives a whole reservation back. It is idempotent on
	// req.IdempotencyKey (a key that already released another order,
	// ReserveKey or items gives nothing back and fails with ErrPermanent)
	// and succeeds without effect when nothing was
	// reserved under req.ReserveKey. In that case the reservation may still
	// be in flight, so Release must leave a tombstone under req.ReserveKey:
	// any later Reserve with that key must hold nothing and return an error
	// wrapping ErrOutOfStock. Errors are retried without limit; wrap
	// ErrPermanent only if the release can never succeed (the order then
	// ends StatusNeedsAttention).
	Release(ctx context.Context, req ReleaseRequest) error
}

// DeliveryProvider books shipments. Arranging delivery is the point of no
// return: once it has started, an order is no longer cancelled. Keys are
// kept as long as PaymentProvider says.
type DeliveryProvider interface {
	// Arrange books a shipment of req.Items to req.Address. It is idempotent
	// on req.IdempotencyKey: a later call with the same key returns the
	// first booking; one with another order, address or items (req.OrderID,
	// req.Address, req.Items) must book nothing and return an error wrapping
	// ErrPermanent.
	//
	// Return an error wrapping ErrUndeliverable when no carrier can deliver
	// there and nothing was booked: that alone makes the workflow release
	// the stock and refund the payment. Every other error, a timeout and a
	// lost worker are read as "the shipment may exist": the call is retried,
	// without an attempt limit, until it succeeds or fails with
	// ErrUndeliverable. An error wrapping ErrPermanent stops the retries and
	// ends the order StatusNeedsAttention, with payment and stock kept, for a
	// person to check with the carrier.
	Arrange(ctx context.Context, req DeliveryRequest) (DeliveryResult, error)
}

// EmailProvider sends mail to customers. Email is best effort: a failure is
// retried, then recorded as a warning; it never undoes an order. Keys are
// kept as long as PaymentProvider says.
type EmailProvider interface {
	// Send delivers msg, idempotently on msg.IdempotencyKey: a key already
	// used for another order, kind or recipient (msg.OrderID, msg.Kind,
	// msg.To) must send nothing and return an error wrapping ErrPermanent.
	// Wrap ErrPermanent also when the address is refused for good.
	Send(ctx context.Context, msg Email) error
}

// ChargeRequest asks a PaymentProvider to take money.
//
// Every request carries the call's IdempotencyKey (see the provider
// interfaces for what it promises) and the order's ID; the other fields come
// from the order.
type ChargeRequest struct {
	IdempotencyKey string `json:"idempotency_key"`
	OrderID        string `json:"order_id"`
	CustomerName   string `json:"customer_name"`
	// Amount is the order's total, to be charged whole.
	Amount Money `json:"amount"`
}

// RefundRequest asks a PaymentProvider to return a charge.
type RefundRequest struct {
	IdempotencyKey string `json:"idempotency_key"`
	OrderID        string `json:"order_id"`
	// ChargeKey is the idempotency key of the charge to refund.
	ChargeKey string `json:"charge_key"`
	// TransactionID is the charge's transaction ID, or empty when the charge's
	// outcome is unknown (it timed out or was cancelled).
	TransactionID string `json:"transaction_id,omitempty"`
	// Amount is the charge's amount: refunds are whole.
	Amount Money `json:"amount"`
}

// ReserveRequest asks an InventoryProvider to hold items.
type ReserveRequest struct {
	IdempotencyKey string `json:"idempotency_key"`
	OrderID        string `json:"order_id"`
	Items          []Item `json:"items"`
}

// ReleaseRequest asks an InventoryProvider to give a reservation back.
type ReleaseRequest struct {
	IdempotencyKey string `json:"idempotency_key"`
	OrderID        string `json:"order_id"`
	// ReserveKey is the idempotency key of the reservation to release.
	ReserveKey string `json:"reserve_key"`
	// ReservationID is empty when the reservation's outcome is unknown.
	ReservationID string `json:"reservation_id,omitempty"`
	Items         []Item `json:"items"`
}

// DeliveryRequest asks a DeliveryProvider to ship an order.
type DeliveryRequest struct {
	IdempotencyKey string `json:"idempotency_key"`
	OrderID        string `json:"order_id"`
	CustomerName   string `json:"customer_name"`
	// Address is the order's shipping address; it may span lines ("\n").
	Address string `json:"address"`
	Items   []Item `json:"items"`
}

// Email is one message to a customer.
type Email struct {
	IdempotencyKey string `json:"idempotency_key"`
	OrderID        string `json:"order_id"`
	// Kind says which message it is: "order_confirmation", the only kind
	// the workflow sends.
	Kind         string `json:"kind"`
	To           string `json:"to"`
	CustomerName string `json:"customer_name"`
	Subject      string `json:"subject"`
	Body         string `json:"body"`
}

// Activities are the order workflow's activities, backed by the four providers.
// Register them with Register; all four fields are required. (A test that
// runs one activity in the SDK's TestActivityEnvironment registers them with
// orderflowtest.RegisterActivities.)
type Activities struct {
	Payment   PaymentProvider
	Inventory InventoryProvider
	Delivery  DeliveryProvider
	Email     EmailProvider
}

// validate reports a missing provider.
func (a *Activities) validate() error {
	var missing []string
	if a == nil {
		return errors.New("orderflow: activities are nil")
	}
	if a.Payment == nil {
		missing = append(missing, "Payment")
	}
	if a.Inventory == nil {
		missing = append(missing, "Inventory")
	}
	if a.Delivery == nil {
		missing = append(missing, "Delivery")
	}
	if a.Email == nil {
		missing = append(missing, "Email")
	}
	if len(missing) > 0 {
		return fmt.Errorf("orderflow: activities: missing provider(s) %v", missing)
	}
	return nil
}

// Register registers OrderWorkflow and the activities under their wire names
// on r, which may be a worker.Worker or a testsuite.TestWorkflowEnvironment:
//
//	w := worker.New(c, oc.Options().TaskQueue, worker.Options{})
//	if err := orderflow.Register(w, acts); err != nil { … }
//
// It returns an error, and registers nothing, when a provider is missing,
// so a misconfigured worker fails at start rather than in the middle of an
// order; when the names are already registered on r (a second Register);
// and when r refuses the workflow.
//
// Worker Versioning: a worker with versioning on
// (worker.DeploymentOptions.UseVersioning) needs a versioning behaviour for
// the workflow. Pinned is Temporal's advice for order processing, an order
// finishing on the code it started on: set
// DeploymentOptions.DefaultVersioningBehavior to
// workflow.VersioningBehaviorPinned (see docs/production.md).
//
// Memory: a worker keeps each workflow it has run in the SDK's sticky
// workflow cache, which belongs to the process and holds 10,000 workflows
// unless the program sizes it with worker.SetStickyWorkflowCacheSize;
// docs/production.md says how to size it for orders that wait.
func Register(r worker.Registry, a *Activities) (err error) {
	if r == nil {
		return errors.New("orderflow: register: registry is nil")
	}
	if err := a.validate(); err != nil {
		return err
	}
	// The SDK panics when it refuses a registration. The workflow comes
	// first, so a refused Register fails before it registers anything.
	defer func() {
		if p := recover(); p != nil {
			err = registerPanic(p)
		}
	}()
	r.RegisterWorkflowWithOptions(OrderWorkflow, workflow.RegisterOptions{Name: WorkflowName})
	registerActivities(r, a)
	return nil
}

// activityRegistry is the part of a worker.Registry, or of the SDK's
// TestActivityEnvironment, that registers activities.
type activityRegistry interface {
	RegisterActivityWithOptions(a any, options activity.RegisterOptions)
}

// registerActivities registers a's activities on r under their wire names.
func registerActivities(r activityRegistry, a *Activities) {
	for _, act := range []struct {
		name string
		fn   any
	}{
		{ActivityProcessPayment, a.processPayment},
		{ActivityReserveInventory, a.reserveInventory},
		{ActivityArrangeDelivery, a.arrangeDelivery},
		{ActivitySendConfirmation, a.sendConfirmationEmail},
		{ActivityRefundPayment, a.refundPayment},
		{ActivityReleaseInventory, a.releaseInventory},
	} {
		r.RegisterActivityWithOptions(act.fn, activity.RegisterOptions{Name: act.name})
	}
}

// registerPanic is the error of Register for what the SDK panicked with,
// naming the cause the SDK's message gives.
func registerPanic(p any) error {
	msg := fmt.Sprint(p)
	var cause string
	switch {
	case strings.Contains(msg, "already registered"):
		cause = "Register was called twice on this worker, or another workflow or activity uses orderflow's names"
	case strings.Contains(msg, "versioning behavior"):
		cause = "the worker uses Worker Versioning (DeploymentOptions.UseVersioning) without a DefaultVersioningBehavior, " +
			"which orderflow's workflow needs: set DeploymentOptions.DefaultVersioningBehavior to workflow.VersioningBehaviorPinned"
	case strings.Contains(msg, "workflow worker disabled"):
		cause = "the worker does not run workflows (worker.Options.DisableWorkflowWorker); " +
			"orderflow's workflow and activities need a worker that runs both"
	default:
		return fmt.Errorf("orderflow: register: the SDK refused the registration: %s", msg)
	}
	return fmt.Errorf("orderflow: register: %s: %s", cause, msg)
}

// processPayment is the process_payment activity.
func (a *Activities) processPayment(ctx context.Context, req ChargeRequest) (PaymentResult, error) {
	return call(ctx, providerCall{"payment", "charge", ""}, "Processing payment", []any{"OrderID", req.OrderID, "Amount", req.Amount.String()},
		func(ctx context.Context) (PaymentResult, error) { return a.Payment.Charge(ctx, req) })
}

// refundPayment is the refund_payment activity.
func (a *Activities) refundPayment(ctx context.Context, req RefundRequest) error {
	_, err := call(ctx, providerCall{"payment", "refund", StepPayment}, "Refunding payment", []any{"OrderID", req.OrderID, "Amount", req.Amount.String(), "TransactionID", req.TransactionID},
		func(ctx context.Context) (struct{}, error) { return struct{}{}, a.Payment.Refund(ctx, req) })
	return err
}

// reserveInventory is the reserve_inventory activity.
func (a *Activities) reserveInventory(ctx context.Context, req ReserveRequest) (InventoryResult, error) {
	return call(ctx, providerCall{"inventory", "reserve", ""}, "Reserving inventory", []any{"OrderID", req.OrderID, "Items", len(req.Items)},
		func(ctx context.Context) (InventoryResult, error) { return a.Inventory.Reserve(ctx, req) })
}

// releaseInventory is the release_inventory activity.
func (a *Activities) releaseInventory(ctx context.Context, req ReleaseRequest) error {
	_, err := call(ctx, providerCall{"inventory", "release", StepInventory}, "Releasing inventory", []any{"OrderID", req.OrderID, "ReservationID", req.ReservationID},
		func(ctx context.Context) (struct{}, error) { return struct{}{}, a.Inventory.Release(ctx, req) })
	return err
}

// arrangeDelivery is the arrange_delivery activity.
func (a *Activities) arrangeDelivery(ctx context.Context, req DeliveryRequest) (DeliveryResult, error) {
	return call(ctx, providerCall{"delivery", "arrange", ""}, "Arranging delivery", []any{"OrderID", req.OrderID},
		func(ctx context.Context) (DeliveryResult, error) { return a.Delivery.Arrange(ctx, req) })
}

// sendConfirmationEmail is the send_confirmation_email activity.
func (a *Activities) sendConfirmationEmail(ctx context.Context, msg Email) error {
	_, err := call(ctx, providerCall{"email", "send", ""}, "Sending confirmation email", []any{"OrderID", msg.OrderID},
		func(ctx context.Context) (struct{}, error) { return struct{}{}, a.Email.Send(ctx, msg) })
	return err
}

// heartbeatEvery is how often a running provider call heartbeats; the SDK
// batches heartbeats to at most one per 0.8 × HeartbeatTimeout.
const heartbeatEvery = time.Second

// heartbeatTimeout is the heartbeat timeout of forward steps: a lost worker is
// noticed, and a cancellation reaches the provider's ctx, within it.
func heartbeatTimeout(activityTimeout time.Duration) time.Duration {
	return min(activityTimeout, 10*time.Second)
}

// call runs one provider call c as an activity: it logs, heartbeats while
// the call runs (so that cancellation reaches ctx), classifies the error and
// records the call's metrics. The methods also work outside a worker, as
// plain functions.
func call[T any](ctx context.Context, c providerCall, msg string, kv []any, fn func(context.Context) (T, error)) (T, error) {
	if activity.IsActivity(ctx) {
		activity.GetLogger(ctx).Info(msg, kv...)
		if !activity.GetInfo(ctx).IsLocalActivity { // local activities cannot heartbeat
			defer keepAlive(ctx)()
		}
	}
	start := time.Now()
	res, err := fn(ctx)
	err = providerError(err)
	recordCall(ctx, c, time.Since(start), err)
	return res, err
}

// keepAlive heartbeats every heartbeatEvery until the returned stop is
// called. stop waits out a heartbeat in progress, so that none is sent for an
// activity that has already returned.
func keepAlive(ctx context.Context) (stop func()) {
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(heartbeatEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			mu.Lock()
			select {
			case <-done:
			default:
				activity.RecordHeartbeat(ctx)
			}
			mu.Unlock()
		}
	}()
	return func() {
		mu.Lock()
		close(done)
		mu.Unlock()
	}
}

// emailConfirmation is the Kind of the order confirmation email.
const emailConfirmation = "order_confirmation"
