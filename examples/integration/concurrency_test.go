package integration

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/scenario"
	"github.com/orderflow/orderflow/orderflowtest"
)

// TestFiftyConcurrentOrders starts 50 orders at once on one worker: small
// ones, large ones approved or rejected once they await approval, and ones
// whose providers fail for good. Each must reach its outcome with the right
// money: completed ones charged exactly once, all others net zero.
func TestFiftyConcurrentOrders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	type plan struct {
		order    orderflow.Order
		decide   string // "", "approve" or "reject"
		sentinel error  // the failure injected, if any
		want     orderflow.Status
	}
	var plans []plan
	add := func(n int, mk func(string) orderflow.Order, decide string, sentinel error, want orderflow.Status) {
		for range n {
			plans = append(plans, plan{mk(e.id(fmt.Sprint(len(plans)))), decide, sentinel, want})
		}
	}
	add(20, smallOrder, "", nil, orderflow.StatusCompleted)
	add(10, largeOrder, "approve", nil, orderflow.StatusCompleted)
	add(10, largeOrder, "reject", nil, orderflow.StatusRejected)
	add(4, smallOrder, "", orderflow.ErrPaymentDeclined, orderflow.StatusFailed)
	add(3, largeOrder, "approve", orderflow.ErrOutOfStock, orderflow.StatusFailed)
	add(3, smallOrder, "", orderflow.ErrUndeliverable, orderflow.StatusFailed)
	for _, p := range plans {
		switch p.sentinel {
		case orderflow.ErrPaymentDeclined:
			e.p.Payment.ChargeFaults.FailOrder(p.order.OrderID, p.sentinel)
		case orderflow.ErrOutOfStock:
			e.p.Inventory.ReserveFaults.FailOrder(p.order.OrderID, p.sentinel)
		case orderflow.ErrUndeliverable:
			e.p.Delivery.ArrangeFaults.FailOrder(p.order.OrderID, p.sentinel)
		}
	}

	results := make([]*orderflow.OrderState, len(plans))
	errs := make([]error, len(plans))
	var wg sync.WaitGroup
	for i, p := range plans {
		wg.Go(func() {
			id := p.order.OrderID
			if err := e.orders.Start(e.ctx, p.order); err != nil {
				errs[i] = fmt.Errorf("Start: %w", err)
				return
			}
			if p.decide != "" {
				// From the order's history: querying 23 orders every few
				// milliseconds would load the very worker that runs them.
				if err := scenario.AwaitApproval(e.ctx, e.tc, id); err != nil {
					errs[i] = err
					return
				}
			}
			var err error
			switch p.decide {
			case "approve":
				_, err = e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "bulk approve"})
			case "reject":
				_, err = e.orders.Reject(e.ctx, id, orderflow.Decision{Reason: "bulk reject"})
			}
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", p.decide, err)
				return
			}
			results[i], errs[i] = e.orders.Result(e.ctx, id)
		})
	}
	wg.Wait()

	var charges int
	for i, p := range plans {
		id, res, err := p.order.OrderID, results[i], errs[i]
		switch {
		case res == nil:
			t.Errorf("%s: no result: %v", id, err)
			continue
		case res.Status != p.want:
			t.Errorf("%s: status %q (%s), want %q", id, res.Status, res.Message, p.want)
		case p.sentinel != nil && !errors.Is(err, p.sentinel):
			t.Errorf("%s: err = %v, want %v", id, err, p.sentinel)
		case p.sentinel == nil && err != nil:
			t.Errorf("%s: err = %v", id, err)
		}
		total, _ := p.order.Total()
		n := len(e.chargesOf(id))
		charges += n
		if p.want == orderflow.StatusCompleted {
			if got := e.charged(id); got != total.Amount || n != 1 {
				t.Errorf("%s: %d charges holding %d, want one of %d", id, n, got, total.Amount)
			}
			if e.p.Inventory.Reserved(id) == nil {
				t.Errorf("%s: completed with nothing reserved", id)
			}
		} else {
			if got := e.charged(id); got != 0 {
				t.Errorf("%s (%s): %d cents held, want net zero", id, p.want, got)
			}
			if got := e.p.Inventory.Reserved(id); got != nil {
				t.Errorf("%s (%s): still reserved %v", id, p.want, got)
			}
		}
	}
	// Charged: 20 small + 10 approved completed + 3 out-of-stock (refunded)
	// + 3 undeliverable (refunded); never the declined or the rejected.
	if want := 20 + 10 + 3 + 3; charges != want {
		t.Errorf("%d charges in all, want %d", charges, want)
	}
	if n, want := len(e.p.Delivery.Shipments()), 30; n != want {
		t.Errorf("%d shipments, want %d", n, want)
	}
}

// TestIdempotencyKeys checks the keys providers receive, and that a charge
// whose reply was lost is retried without charging twice.
func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &orderflow.Options{Retry: fastRetry()}, nil)
	id := e.id("1")
	wf := id                                     // keys are the order ID (escaped) and the step
	e.p.Payment.ChargeFaults.LoseNext(1, nil)    // charged, but the reply is lost
	e.p.Inventory.ReserveFaults.FailNext(2, nil) // two transient failures
	e.p.Delivery.ArrangeFaults.LoseNext(1, nil)  // booked, reply lost
	res, err := e.orders.Execute(e.ctx, smallOrder(id))
	if err != nil || res.Status != orderflow.StatusCompleted {
		t.Fatalf("Execute = %+v, %v; want completed despite transient failures", res, err)
	}

	chargeCalls := callsOf(e.p.Payment.Calls(), "Charge", id)
	if len(chargeCalls) != 2 {
		t.Errorf("%d Charge calls, want 2 (the lost one and its retry)", len(chargeCalls))
	}
	for _, c := range chargeCalls {
		if c.IdempotencyKey != wf+"/process_payment" {
			t.Errorf("Charge key %q, want %q", c.IdempotencyKey, wf+"/process_payment")
		}
	}
	charges := e.chargesOf(id)
	if len(charges) != 1 || e.charged(id) != smallTotal || charges[0].TransactionID != res.Payment.TransactionID {
		t.Errorf("charges %+v; want one charge of %d, the one in the result", charges, smallTotal)
	}
	if n := len(callsOf(e.p.Inventory.Calls(), "Reserve", id)); n != 3 {
		t.Errorf("%d Reserve calls, want 3", n)
	}
	if n := len(e.p.Inventory.Reservations()); n != 1 {
		t.Errorf("%d reservations, want 1", n)
	}
	if s := e.p.Delivery.Shipments(); len(s) != 1 || s[0].TrackingNumber != res.Delivery.TrackingNumber {
		t.Errorf("shipments %+v; want one, the one in the result", s)
	}
	for _, c := range []struct {
		calls  []orderflowtest.Call
		method string
		key    string
	}{
		{e.p.Inventory.Calls(), "Reserve", wf + "/reserve_inventory"},
		{e.p.Delivery.Calls(), "Arrange", wf + "/arrange_delivery"},
		{e.p.Email.Calls(), "Send", wf + "/send_confirmation_email"},
	} {
		for _, call := range c.calls {
			if call.Method == c.method && call.IdempotencyKey != c.key {
				t.Errorf("%s key %q, want %q", c.method, call.IdempotencyKey, c.key)
			}
		}
	}

	// Compensations carry their own keys and name the key they undo.
	id2 := e.id("2")
	wf2 := id2
	e.p.Inventory.ReserveFaults.FailOrder(id2, orderflow.ErrOutOfStock)
	if _, err := e.orders.Execute(e.ctx, smallOrder(id2)); !errors.Is(err, orderflow.ErrOutOfStock) {
		t.Fatalf("Execute: %v, want ErrOutOfStock", err)
	}
	refunds := callsOf(e.p.Payment.Calls(), "Refund", id2)
	if len(refunds) != 1 {
		t.Fatalf("%d Refund calls, want 1", len(refunds))
	}
	req, _ := refunds[0].Request.(orderflow.RefundRequest)
	if req.IdempotencyKey != wf2+"/refund_payment" || req.ChargeKey != wf2+"/process_payment" {
		t.Errorf("refund keys %q / %q, want %q / %q", req.IdempotencyKey, req.ChargeKey, wf2+"/refund_payment", wf2+"/process_payment")
	}
}

// TestDecisionInFirstWorkflowTask sends a decision right after Start, before
// any worker has run the order, so that the Update reaches the workflow with
// its first task. The decision must count exactly as a later one would.
func TestDecisionInFirstWorkflowTask(t *testing.T) {
	t.Parallel()
	for _, decision := range []string{"approve", "reject", "cancel"} {
		t.Run(decision, func(t *testing.T) {
			t.Parallel()
			e := newEnvWithoutWorker(t, nil, nil)
			watch := e.watchUpdates()
			id := e.id("1")
			e.mustStart(largeOrder(id))
			done := make(chan error, 1)
			go func() {
				var err error
				switch decision {
				case "approve":
					_, err = e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "early yes"})
				case "reject":
					_, err = e.orders.Reject(e.ctx, id, orderflow.Decision{Reason: "early no"})
				case "cancel":
					err = e.orders.Cancel(e.ctx, id, "early stop")
				}
				done <- err
			}()
			// The Update reaches the server first.
			if err := watch.AwaitAdmitted(e.ctx, 1); err != nil {
				t.Fatal(err)
			}
			e.startWorker()
			if err := <-done; err != nil {
				t.Fatalf("%s right after Start: %v", decision, err)
			}
			switch decision {
			case "approve":
				res, _ := e.result(id, orderflow.StatusCompleted)
				if res.Approval.Status != orderflow.ApprovalApproved || e.charged(id) != largeTotal {
					t.Errorf("approval %+v, charged %d; want approved and charged %d", res.Approval, e.charged(id), largeTotal)
				}
			case "reject":
				res, _ := e.result(id, orderflow.StatusRejected)
				if res.Approval.Status != orderflow.ApprovalRejected {
					t.Errorf("approval %+v, want rejected", res.Approval)
				}
				if n := len(e.p.Payment.Calls()); n != 0 || e.charged(id) != 0 {
					t.Errorf("%d payment calls, %d cents held for a rejected order; want nothing charged", n, e.charged(id))
				}
			case "cancel":
				e.result(id, orderflow.StatusCancelled)
				if n := len(e.p.Payment.Calls()); n != 0 {
					t.Errorf("%d payment calls for an order cancelled before it ran", n)
				}
			}
		})
	}
}
