package integration

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
)

// TestErrInvalidOrder checks that Start refuses invalid orders with an error
// naming the field, and that nothing reaches the server: no workflow exists
// afterwards and no provider is called.
func TestErrInvalidOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	cases := []struct {
		name, field string
		edit        func(*orderflow.Order)
	}{
		{"no items", "items", func(o *orderflow.Order) { o.Items = nil }},
		{"zero quantity", "items[1].quantity", func(o *orderflow.Order) { o.Items[1].Quantity = 0 }},
		{"negative price", "items[0].unit_price", func(o *orderflow.Order) { o.Items[0].UnitPrice = orderflow.USD(-1) }},
		{"malformed email", "customer_email", func(o *orderflow.Order) { o.CustomerEmail = "john at example" }},
		{"empty address", "shipping_address", func(o *orderflow.Order) { o.ShippingAddress = "  " }},
		{"total overflows", "items", func(o *orderflow.Order) {
			o.Items[0].UnitPrice = orderflow.USD(1 << 62)
			o.Items[1].UnitPrice = orderflow.USD(1 << 62)
			o.Items[0].Quantity, o.Items[1].Quantity = 1, 1
		}},
		{"currency without threshold", "items", func(o *orderflow.Order) {
			o.Items[0].UnitPrice.Currency, o.Items[1].UnitPrice.Currency = "EUR", "EUR"
		}},
	}
	for i, c := range cases {
		order := smallOrder(e.id(strings.ReplaceAll(c.name, " ", "_")))
		c.edit(&order)
		start := e.orders.Start
		if i%2 == 1 {
			start = func(ctx context.Context, o orderflow.Order) error { _, err := e.orders.Execute(ctx, o); return err }
		}
		err := start(e.ctx, order)
		var ve *orderflow.ValidationError
		switch {
		case !errors.Is(err, orderflow.ErrInvalidOrder):
			t.Errorf("%s: err = %v, want ErrInvalidOrder", c.name, err)
		case !errors.As(err, &ve) || !strings.HasPrefix(ve.Field, c.field):
			t.Errorf("%s: err = %v, want a ValidationError for field %q", c.name, err, c.field)
		}
		if e.workflowExists(order.OrderID) {
			t.Errorf("%s: a workflow exists for the invalid order", c.name)
		}
	}
	for _, id := range []string{"", "has space", "tab\there", strings.Repeat("x", 128+1)} {
		order := smallOrder(id)
		if err := e.orders.Start(e.ctx, order); !errors.Is(err, orderflow.ErrInvalidOrder) {
			t.Errorf("Start with order ID %q: err = %v, want ErrInvalidOrder", id, err)
		}
		if _, err := e.tc.DescribeWorkflowExecution(e.ctx, orderflow.WorkflowID(id), ""); err == nil {
			t.Errorf("a workflow exists for order ID %q", id)
		}
		if _, err := e.orders.Result(e.ctx, id); !errors.Is(err, orderflow.ErrInvalidOrder) {
			t.Errorf("Result(%q): err = %v, want ErrInvalidOrder", id, err)
		}
	}
	if n := len(e.p.Payment.Calls()) + len(e.p.Inventory.Calls()); n != 0 {
		t.Errorf("%d provider calls for invalid orders", n)
	}
}

// TestWorkflowRejectsInvalidInput starts an invalid order the way the CLI
// would, past the Client's validation: the workflow refuses it at the top,
// and the Client's Result maps the failure back to ErrInvalidOrder.
func TestWorkflowRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	id := e.id("1")
	in := map[string]any{
		"order_id": id, "customer_name": "Bad", "customer_email": "bad@example.com",
		"shipping_address": "1 Road",
		"items":            []any{map[string]any{"product_id": "P", "product_name": "N", "quantity": 0, "unit_price": 10}},
	}
	if _, err := e.tc.ExecuteWorkflow(e.ctx, client.StartWorkflowOptions{ID: orderflow.WorkflowID(id), TaskQueue: e.taskQueue},
		orderflow.WorkflowName, in); err != nil {
		t.Fatal(err)
	}
	res, err := e.orders.Result(e.ctx, id)
	if res != nil || !errors.Is(err, orderflow.ErrInvalidOrder) || !strings.Contains(err.Error(), "quantity") {
		t.Errorf("Result = %+v, %v; want no result and ErrInvalidOrder naming the quantity", res, err)
	}
	// The raw workflow error says it once, and says it is final.
	raw := e.tc.GetWorkflow(e.ctx, orderflow.WorkflowID(id), "").Get(e.ctx, nil)
	if msg := raw.Error(); strings.Count(msg, "must be at least 1") != 1 || strings.Contains(msg, "retryable: true") {
		t.Errorf("workflow error %q; want the reason once and no retryable part", msg)
	}
	if n := len(e.p.Payment.Calls()); n != 0 {
		t.Errorf("%d payment calls for an invalid order", n)
	}
}

// TestOneRuleForOrderIDs starts an order twice while it runs and after it
// ended, and another order under its ID, through Start, Execute and
// Checkout: the same order attaches, another is refused with
// ErrOrderExists, and nothing is charged twice.
func TestOneRuleForOrderIDs(t *testing.T) {
	t.Parallel()
	e, held := newEnvHolding(t, nil, orderflow.StepPayment)
	id := e.id("1")
	order := smallOrder(id)
	e.mustStart(order)
	if err := e.orders.Start(e.ctx, order); err != nil {
		t.Errorf("second Start of the same order while running: %v, want nil", err)
	}
	other := largeOrder(id) // same ID, different order
	if err := e.orders.Start(e.ctx, other); !errors.Is(err, orderflow.ErrOrderExists) {
		t.Errorf("Start of another order under a running order's ID: %v; want ErrOrderExists", err)
	}
	if res, err := e.orders.Execute(e.ctx, other); res != nil || !errors.Is(err, orderflow.ErrOrderExists) {
		t.Errorf("Execute with a running order's ID = %+v, %v; want ErrOrderExists", res, err)
	}
	if res, err := e.orders.Checkout(e.ctx, other); res != nil || !errors.Is(err, orderflow.ErrOrderExists) {
		t.Errorf("Checkout with a running order's ID = %+v, %v; want ErrOrderExists", res, err)
	}
	held[0].open()
	if res, err := e.orders.Execute(e.ctx, order); err != nil || res.Status != orderflow.StatusCompleted {
		t.Errorf("Execute of the same order = %+v, %v; want its result", res, err)
	}
	if err := e.orders.Start(e.ctx, order); err != nil {
		t.Errorf("Start of the same order after completion: %v, want nil", err)
	}
	if err := e.orders.Start(e.ctx, other); !errors.Is(err, orderflow.ErrOrderExists) {
		t.Errorf("Start of another order after completion: %v, want ErrOrderExists", err)
	}
	if res, err := e.orders.Checkout(e.ctx, order); err != nil || !res.Paid() {
		t.Errorf("Checkout of the same order after completion = %+v, %v; want paid", res, err)
	}
	if n := len(e.chargesOf(id)); n != 1 || e.charged(id) != smallTotal {
		t.Errorf("%d charges holding %d; want one of %d", n, e.charged(id), smallTotal)
	}
}

// TestErrOrderNotFound calls every per-order method with an ID that never ran.
func TestErrOrderNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	id := e.id("never")
	calls := map[string]func() error{
		"Result":         func() error { _, err := e.orders.Result(e.ctx, id); return err },
		"State":          func() error { _, err := e.orders.State(e.ctx, id); return err },
		"ApprovalStatus": func() error { _, err := e.orders.ApprovalStatus(e.ctx, id); return err },
		"Approve":        func() error { _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "ok"}); return err },
		"Reject":         func() error { _, err := e.orders.Reject(e.ctx, id, orderflow.Decision{Reason: "no"}); return err },
		"Cancel":         func() error { return e.orders.Cancel(e.ctx, id, "stop") },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, orderflow.ErrOrderNotFound) {
			t.Errorf("%s on an unknown order: %v, want ErrOrderNotFound", name, err)
		} else if !strings.Contains(err.Error(), id) {
			t.Errorf("%s: error %q does not name the order", name, err)
		}
	}
	if e.workflowExists(id) {
		t.Error("a call on an unknown order created a workflow")
	}
}

// TestErrNotAwaitingApproval sends decisions to orders that are not waiting
// for one.
func TestErrNotAwaitingApproval(t *testing.T) {
	t.Parallel()
	t.Run("small order", func(t *testing.T) {
		t.Parallel()
		e, held := newEnvHolding(t, nil, orderflow.StepPayment)
		id := e.id("1")
		e.mustStart(smallOrder(id))
		e.waitForStep(id, orderflow.StepPayment) // running, so the validator answers
		if _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "ok"}); !errors.Is(err, orderflow.ErrNotAwaitingApproval) {
			t.Errorf("Approve of a small order: %v, want ErrNotAwaitingApproval", err)
		}
		if _, err := e.orders.Reject(e.ctx, id, orderflow.Decision{Reason: "no"}); !errors.Is(err, orderflow.ErrNotAwaitingApproval) {
			t.Errorf("Reject of a small order: %v, want ErrNotAwaitingApproval", err)
		}
		held[0].open()
		res, _ := e.result(id, orderflow.StatusCompleted)
		if res.Approval.Status != orderflow.ApprovalNotRequired || e.charged(id) != smallTotal {
			t.Errorf("approval %+v, charged %d; want not_required and charged", res.Approval, e.charged(id))
		}
	})
	t.Run("approve twice", func(t *testing.T) {
		t.Parallel()
		e, held := newEnvHolding(t, nil, orderflow.StepPayment)
		id := e.id("1")
		e.mustStart(largeOrder(id))
		e.waitForApproval(id, orderflow.ApprovalPending)
		if _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "first"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "second"}); !errors.Is(err, orderflow.ErrNotAwaitingApproval) {
			t.Errorf("second Approve: %v, want ErrNotAwaitingApproval", err)
		}
		if _, err := e.orders.Reject(e.ctx, id, orderflow.Decision{Reason: "changed my mind"}); !errors.Is(err, orderflow.ErrNotAwaitingApproval) {
			t.Errorf("Reject after approval: %v, want ErrNotAwaitingApproval", err)
		}
		held[0].open()
		res, _ := e.result(id, orderflow.StatusCompleted)
		if res.Approval.Reason != "first" || e.charged(id) != largeTotal || len(e.chargesOf(id)) != 1 {
			t.Errorf("approval %+v, charged %d; want the first decision and one charge", res.Approval, e.charged(id))
		}
	})
	t.Run("approve after reject", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, nil)
		id := e.id("1")
		e.mustStart(largeOrder(id))
		e.waitForApproval(id, orderflow.ApprovalPending)
		if _, err := e.orders.Reject(e.ctx, id, orderflow.Decision{Reason: "no"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "yes"}); !errors.Is(err, orderflow.ErrNotAwaitingApproval) {
			t.Errorf("Approve after Reject: %v, want ErrNotAwaitingApproval", err)
		}
		e.result(id, orderflow.StatusRejected)
		if len(e.p.Payment.Calls()) != 0 {
			t.Errorf("payment calls after a rejection: %+v", e.p.Payment.Calls())
		}
	})
	t.Run("approve after timeout", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, &orderflow.Options{ApprovalTimeout: 2 * time.Second}, nil)
		id := e.id("1")
		e.mustStart(largeOrder(id))
		e.result(id, orderflow.StatusTimedOut)
		if _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "late"}); !errors.Is(err, orderflow.ErrNotAwaitingApproval) {
			t.Errorf("Approve after timeout: %v, want ErrNotAwaitingApproval", err)
		}
		if _, err := e.orders.Reject(e.ctx, id, orderflow.Decision{Reason: "late"}); !errors.Is(err, orderflow.ErrNotAwaitingApproval) {
			t.Errorf("Reject after timeout: %v, want ErrNotAwaitingApproval", err)
		}
		if len(e.p.Payment.Calls()) != 0 {
			t.Errorf("payment calls after a timeout: %+v", e.p.Payment.Calls())
		}
	})
}

// TestErrTooLateToCancel cancels once delivery is being arranged, and after
// the order completed.
func TestErrTooLateToCancel(t *testing.T) {
	t.Parallel()
	e, held := newEnvHolding(t, nil, orderflow.StepDelivery)
	id := e.id("1")
	e.mustStart(smallOrder(id))
	e.waitForStep(id, orderflow.StepDelivery)
	if err := e.orders.Cancel(e.ctx, id, "too late"); !errors.Is(err, orderflow.ErrTooLateToCancel) {
		t.Errorf("Cancel during delivery: %v, want ErrTooLateToCancel", err)
	}
	held[0].open()
	res, _ := e.result(id, orderflow.StatusCompleted)
	if e.charged(id) != smallTotal || len(res.Compensations) != 0 || res.Delivery == nil {
		t.Errorf("result %+v, charged %d; want completed and charged, nothing undone", res, e.charged(id))
	}
	if err := e.orders.Cancel(e.ctx, id, "way too late"); !errors.Is(err, orderflow.ErrTooLateToCancel) {
		t.Errorf("Cancel after completion: %v, want ErrTooLateToCancel", err)
	}
	if e.charged(id) != smallTotal {
		t.Errorf("charged %d after late cancels, want %d", e.charged(id), smallTotal)
	}
}

// TestErrAlreadyCancelled cancels twice while the first cancel is still
// being carried out (the payment call holds the order).
func TestErrAlreadyCancelled(t *testing.T) {
	t.Parallel()
	e, held := newEnvHolding(t, nil, orderflow.StepPayment)
	id := e.id("1")
	e.mustStart(smallOrder(id))
	e.waitForStep(id, orderflow.StepPayment)
	if err := e.orders.Cancel(e.ctx, id, "first"); err != nil {
		t.Fatalf("first Cancel: %v", err)
	}
	if err := e.orders.Cancel(e.ctx, id, "second"); !errors.Is(err, orderflow.ErrAlreadyCancelled) {
		t.Errorf("second Cancel: %v, want ErrAlreadyCancelled", err)
	}
	held[0].open()
	res, _ := e.result(id, orderflow.StatusCancelled)
	if res.CancelReason != "first" {
		t.Errorf("cancel reason %q, want the first one", res.CancelReason)
	}
	assertCompensated(t, e, res, id, orderflow.ActivityRefundPayment)
}

// TestProviderFailures runs orders whose providers fail for good, and checks
// the error callers get, the compensations recorded, and the providers' state.
func TestProviderFailures(t *testing.T) {
	t.Parallel()
	t.Run("payment declined", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, nil)
		id := e.id("1")
		e.p.Payment.ChargeFaults.FailOrder(id, orderflow.ErrPaymentDeclined)
		res, err := e.orders.Execute(e.ctx, smallOrder(id))
		assertFailed(t, res, err, orderflow.ErrPaymentDeclined, orderflow.StepPayment, "orderflow.PaymentDeclined")
		if res != nil && len(res.Compensations) != 0 {
			t.Errorf("compensations %+v for a declined payment; want none", res.Compensations)
		}
		if len(e.chargesOf(id)) != 0 || len(e.p.Inventory.Calls()) != 0 {
			t.Errorf("charges %+v, inventory calls %+v; want none", e.chargesOf(id), e.p.Inventory.Calls())
		}
		if calls := callsOf(e.p.Payment.Calls(), "Charge", id); len(calls) != 1 {
			t.Errorf("%d Charge calls; a declined payment must not be retried", len(calls))
		}
	})
	t.Run("out of stock", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, func(p *orderflowtest.Providers) { p.Inventory.SetStock("CABLE-001", 0) })
		id := e.id("1")
		e.mustStart(smallOrder(id))
		res, err := e.orders.Result(e.ctx, id)
		assertFailed(t, res, err, orderflow.ErrOutOfStock, orderflow.StepInventory, "orderflow.OutOfStock")
		if res != nil {
			assertCompensated(t, e, res, id, orderflow.ActivityRefundPayment)
		}
		if len(e.chargesOf(id)) != 1 || len(e.p.Payment.Refunds()) != 1 {
			t.Errorf("charges %+v, refunds %+v; want one charge refunded", e.chargesOf(id), e.p.Payment.Refunds())
		}
		if n, _ := e.p.Inventory.Stock("CABLE-001"); n != 0 {
			t.Errorf("stock of CABLE-001 = %d, want 0", n)
		}
	})
	t.Run("undeliverable", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, func(p *orderflowtest.Providers) { p.Inventory.SetStock("MOUSE-001", 10) })
		id := e.id("1")
		e.p.Delivery.ArrangeFaults.FailOrder(id, orderflow.ErrUndeliverable)
		res, err := e.orders.Execute(e.ctx, smallOrder(id))
		assertFailed(t, res, err, orderflow.ErrUndeliverable, orderflow.StepDelivery, "orderflow.Undeliverable")
		if res != nil {
			assertCompensated(t, e, res, id, orderflow.ActivityReleaseInventory, orderflow.ActivityRefundPayment)
			if len(res.Compensations) == 2 && (res.Compensations[0].Reference != res.Inventory.ReservationID ||
				res.Compensations[1].Reference != res.Payment.TransactionID) {
				t.Errorf("compensation references %+v; want the reservation and transaction IDs", res.Compensations)
			}
		}
		if n, _ := e.p.Inventory.Stock("MOUSE-001"); n != 10 {
			t.Errorf("stock of MOUSE-001 = %d after release, want 10", n)
		}
		if len(e.p.Email.Sent()) != 0 {
			t.Errorf("confirmation sent for a failed order: %+v", e.p.Email.Sent())
		}
	})
	t.Run("retries exhausted", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, &orderflow.Options{Retry: fastRetry()}, nil)
		id := e.id("1")
		e.p.Inventory.ReserveFaults.FailOrder(id, orderflowtest.ErrTransient)
		res, err := e.orders.Execute(e.ctx, smallOrder(id))
		if !errors.Is(err, orderflow.ErrOrderFailed) || res == nil || res.Status != orderflow.StatusFailed {
			t.Fatalf("Execute = %+v, %v; want failed", res, err)
		}
		for _, s := range []error{orderflow.ErrPaymentDeclined, orderflow.ErrOutOfStock, orderflow.ErrUndeliverable, orderflow.ErrPermanent} {
			if errors.Is(err, s) {
				t.Errorf("a transient failure maps to %v", s)
			}
		}
		if res.FailureType != "orderflow.RetriesExhausted" || res.FailedStep != orderflow.StepInventory {
			t.Errorf("failure %s at %s; want %s at inventory", res.FailureType, res.FailedStep, "orderflow.RetriesExhausted")
		}
		if n := len(callsOf(e.p.Inventory.Calls(), "Reserve", id)); n != 3 {
			t.Errorf("%d Reserve attempts, want %d", n, 3)
		}
		// The reservation's outcome is unknown, so it is released by key too.
		assertCompensated(t, e, res, id, orderflow.ActivityReleaseInventory, orderflow.ActivityRefundPayment)
	})
	t.Run("email fails", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, nil)
		id := e.id("1")
		e.p.Email.SendFaults.FailOrder(id, orderflow.ErrPermanent)
		res, err := e.orders.Execute(e.ctx, smallOrder(id))
		if err != nil || res.Status != orderflow.StatusCompleted {
			t.Fatalf("Execute = %+v, %v; a failed email must not fail the order", res, err)
		}
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "confirmation email") || len(res.Compensations) != 0 {
			t.Errorf("warnings %q, compensations %+v; want one email warning and nothing undone", res.Warnings, res.Compensations)
		}
		if e.charged(id) != smallTotal || len(e.p.Delivery.Shipments()) != 1 {
			t.Errorf("charged %d, shipments %d; want the order kept", e.charged(id), len(e.p.Delivery.Shipments()))
		}
	})
}

// assertFailed checks a failed order's result and the error a caller gets.
func assertFailed(t *testing.T, res *orderflow.OrderState, err, sentinel error, step orderflow.Step, typ string) {
	t.Helper()
	if !errors.Is(err, sentinel) || !errors.Is(err, orderflow.ErrOrderFailed) {
		t.Errorf("err = %v, want %v and ErrOrderFailed", err, sentinel)
	}
	if err == nil || !strings.Contains(err.Error(), "failed at "+string(step)) {
		t.Errorf("err = %v, want one naming the failed step %s", err, step)
	}
	if res == nil {
		t.Fatalf("no result with the error")
	}
	if res.Status != orderflow.StatusFailed || res.FailedStep != step || res.FailureType != typ || res.Message == "" {
		t.Errorf("result = %+v; want failed at %s with %s", res, step, typ)
	}
}
