package integration

import (
	"errors"
	"fmt"
	"testing"

	"github.com/orderflow/orderflow"
)

// TestCheckout checks the checkout call on a real server: it answers once
// the payment is known, while the order goes on, and a retry gets the same
// answer.
func TestCheckout(t *testing.T) {
	t.Parallel()
	t.Run("paid", func(t *testing.T) {
		t.Parallel()
		e, held := newEnvHolding(t, nil, orderflow.StepDelivery)
		id := e.id("1")
		res, err := e.orders.Checkout(e.ctx, smallOrder(id))
		if err != nil || !res.Paid() || res.Payment == nil {
			t.Fatalf("Checkout = %+v, %v; want paid", res, err)
		}
		if n := len(e.p.Delivery.Shipments()); n != 0 {
			t.Errorf("checkout answered after delivery (%d shipments); it must answer once paid", n)
		}
		again, err := e.orders.Checkout(e.ctx, smallOrder(id)) // a retry
		if err != nil || again.Payment == nil || again.Payment.TransactionID != res.Payment.TransactionID {
			t.Errorf("retried Checkout = %+v, %v; want the first answer %+v", again, err, res.Payment)
		}
		held[0].open()
		e.result(id, orderflow.StatusCompleted)
		if len(e.chargesOf(id)) != 1 {
			t.Errorf("charges %+v; want one", e.chargesOf(id))
		}
		after, err := e.orders.Checkout(e.ctx, smallOrder(id)) // after the order ended
		if err != nil || !after.Paid() || after.Payment.TransactionID != res.Payment.TransactionID {
			t.Errorf("Checkout after the order ended = %+v, %v; want paid with the same transaction", after, err)
		}
	})
	t.Run("declined", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, nil)
		id := e.id("1")
		e.p.Payment.ChargeFaults.FailOrder(id, fmt.Errorf("card ending 0002: %w", orderflow.ErrPaymentDeclined))
		res, err := e.orders.Checkout(e.ctx, smallOrder(id))
		if !errors.Is(err, orderflow.ErrPaymentDeclined) || res == nil || (res.Paid() || res.AwaitingApproval()) {
			t.Fatalf("Checkout = %+v, %v; want not paid, ErrPaymentDeclined", res, err)
		}
		e.result(id, orderflow.StatusFailed)
	})
	t.Run("awaiting approval", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, nil)
		id := e.id("1")
		res, err := e.orders.Checkout(e.ctx, largeOrder(id))
		if err != nil || !res.AwaitingApproval() || res.Total != orderflow.USD(largeTotal) {
			t.Fatalf("Checkout = %+v, %v; want awaiting approval of $1899.97", res, err)
		}
		if _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "ok"}); err != nil {
			t.Fatal(err)
		}
		e.result(id, orderflow.StatusCompleted)
	})
	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, nil)
		o := smallOrder(e.id("1"))
		o.Items[0].Quantity = 0
		if _, err := e.orders.Checkout(e.ctx, o); !errors.Is(err, orderflow.ErrInvalidOrder) {
			t.Errorf("Checkout of an invalid order = %v; want ErrInvalidOrder", err)
		}
		if e.workflowExists(o.OrderID) {
			t.Error("an invalid order was started")
		}
	})
	t.Run("failed after the payment, asked again once ended", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, nil)
		id := e.id("1")
		e.p.Inventory.ReserveFaults.FailOrder(id, orderflow.ErrOutOfStock)
		if _, err := e.orders.Checkout(e.ctx, smallOrder(id)); err != nil {
			t.Fatalf("Checkout: %v", err) // paid: the stock is found short afterwards
		}
		e.result(id, orderflow.StatusFailed)
		after, err := e.orders.Checkout(e.ctx, smallOrder(id))
		if after == nil || (after.Paid() || after.AwaitingApproval()) || after.Payment != nil || after.Status != orderflow.StatusFailed {
			t.Fatalf("Checkout after the refund = %+v, %v; want not paid, failed", after, err)
		}
		if e.charged(id) != 0 {
			t.Fatalf("held %d; want the charge refunded", e.charged(id))
		}
	})
	t.Run("another cart under the same order ID", func(t *testing.T) {
		t.Parallel()
		e, held := newEnvHolding(t, nil, orderflow.StepDelivery)
		id := e.id("1")
		first, err := e.orders.Checkout(e.ctx, smallOrder(id))
		if err != nil || !first.Paid() {
			t.Fatalf("Checkout = %+v, %v; want paid", first, err)
		}
		other := smallOrder(id)
		other.Items[0].Quantity++
		if res, err := e.orders.Checkout(e.ctx, other); !errors.Is(err, orderflow.ErrOrderExists) || res != nil {
			t.Fatalf("Checkout of another cart while the order runs = %+v, %v; want ErrOrderExists", res, err)
		}
		if err := e.orders.Start(e.ctx, other); !errors.Is(err, orderflow.ErrOrderExists) {
			t.Fatalf("Start of another cart = %v; want ErrOrderExists", err)
		}
		if err := e.orders.Start(e.ctx, smallOrder(id)); err != nil {
			t.Fatalf("Start of the same cart = %v; want nil", err)
		}
		held[0].open()
		e.result(id, orderflow.StatusCompleted)
		if res, err := e.orders.Checkout(e.ctx, other); !errors.Is(err, orderflow.ErrOrderExists) || res != nil {
			t.Fatalf("Checkout of another cart once the order ended = %+v, %v; want ErrOrderExists", res, err)
		}
		again, err := e.orders.Checkout(e.ctx, smallOrder(id))
		if err != nil || !again.Paid() || again.Payment.TransactionID != first.Payment.TransactionID {
			t.Fatalf("a retry once the order ended = %+v, %v; want the first answer", again, err)
		}
		if len(e.chargesOf(id)) != 1 {
			t.Fatalf("charges %+v; want one", e.chargesOf(id))
		}
	})
}
