package orderflowtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/orderflow/orderflow"
)

func charge(orderID string) orderflow.ChargeRequest {
	return orderflow.ChargeRequest{IdempotencyKey: key(orderID, orderflow.ActivityProcessPayment), OrderID: orderID,
		CustomerName: "Ada", Amount: orderflow.USD(8995)}
}

func TestFailNextFailsThatManyCallsWithoutEffect(t *testing.T) {
	var p Payments
	p.ChargeFaults.FailNext(2, nil)
	for i := range 2 {
		if _, err := p.Charge(t.Context(), charge("ORD-1")); !errors.Is(err, ErrTransient) {
			t.Fatalf("call %d: err = %v, want ErrTransient", i+1, err)
		}
		if got := p.Held("ORD-1"); got.Amount != 0 {
			t.Fatalf("call %d failed but took %v", i+1, got)
		}
	}
	if _, err := p.Charge(t.Context(), charge("ORD-1")); err != nil {
		t.Fatalf("third call: err = %v, want success once the faults are used up", err)
	}
	if got := p.Held("ORD-1"); got != orderflow.USD(8995) {
		t.Fatalf("Charged = %v, want $89.95", got)
	}
}

func TestFaultsAreUsedInOrder(t *testing.T) {
	var d Delivery
	first, second := errors.New("first"), errors.New("second")
	d.ArrangeFaults.FailNext(1, first)
	d.ArrangeFaults.LoseNext(1, second)
	req := orderflow.DeliveryRequest{IdempotencyKey: "k", OrderID: "ORD-1", Address: "1 Main St"}
	for _, want := range []error{first, second, nil} {
		if _, err := d.Arrange(t.Context(), req); !errors.Is(err, want) || (want == nil && err != nil) {
			t.Fatalf("err = %v, want %v", err, want)
		}
	}
}

func TestLoseNextTakesEffectThenFails(t *testing.T) {
	var p Payments
	p.ChargeFaults.LoseNext(1, context.DeadlineExceeded)
	res, err := p.Charge(t.Context(), charge("ORD-1"))
	if !errors.Is(err, context.DeadlineExceeded) || res != (orderflow.PaymentResult{}) {
		t.Fatalf("Charge = %+v, %v; want a zero result and the lost reply's error", res, err)
	}
	if got := p.Held("ORD-1"); got != orderflow.USD(8995) {
		t.Fatalf("Charged = %v after a lost reply, want $89.95 taken", got)
	}
	retry, err := p.Charge(t.Context(), charge("ORD-1"))
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if charges := p.Charges(); len(charges) != 1 || charges[0].TransactionID != retry.TransactionID {
		t.Fatalf("charges = %+v, retry = %+v; want the retry to find the one charge", charges, retry)
	}
}

func TestFailOrderFailsOnlyThatOrderUntilCleared(t *testing.T) {
	var p Payments
	declined := fmt.Errorf("card ending 0002: %w", orderflow.ErrPaymentDeclined)
	p.ChargeFaults.FailOrder("ORD-BAD", declined)
	for range 3 {
		if _, err := p.Charge(t.Context(), charge("ORD-BAD")); !errors.Is(err, orderflow.ErrPaymentDeclined) {
			t.Fatalf("ORD-BAD: err = %v, want ErrPaymentDeclined every time", err)
		}
	}
	if _, err := p.Charge(t.Context(), charge("ORD-GOOD")); err != nil {
		t.Fatalf("ORD-GOOD: %v, want success", err)
	}
	p.ChargeFaults.FailOrder("ORD-BAD", nil)
	if _, err := p.Charge(t.Context(), charge("ORD-BAD")); err != nil {
		t.Fatalf("ORD-BAD after clearing: %v, want success", err)
	}
}

func TestFailOrderTakesPrecedenceAndKeepsTheQueue(t *testing.T) {
	var m Mailer
	m.SendFaults.FailNext(1, nil)
	m.SendFaults.FailOrder("ORD-1", orderflow.ErrPermanent)
	if err := m.Send(t.Context(), email("ORD-1")); !errors.Is(err, orderflow.ErrPermanent) {
		t.Fatalf("ORD-1: err = %v, want ErrPermanent", err)
	}
	if err := m.Send(t.Context(), email("ORD-2")); !errors.Is(err, ErrTransient) {
		t.Fatalf("ORD-2: err = %v, want the queued ErrTransient", err)
	}
}

func TestResetRemovesEveryFault(t *testing.T) {
	var inv Inventory
	inv.ReserveFaults.FailNext(5, nil)
	inv.ReserveFaults.FailOrder("ORD-1", orderflow.ErrOutOfStock)
	inv.ReserveFaults.Reset()
	if _, err := inv.Reserve(t.Context(), reserve("ORD-1", "k")); err != nil {
		t.Fatalf("after Reset: %v, want success", err)
	}
}

func TestMethodsHaveTheirOwnFaults(t *testing.T) {
	var p Payments
	p.RefundFaults.FailNext(1, nil)
	if _, err := p.Charge(t.Context(), charge("ORD-1")); err != nil {
		t.Fatalf("Charge: %v; RefundFaults must not affect Charge", err)
	}
	refund := orderflow.RefundRequest{IdempotencyKey: "r", OrderID: "ORD-1", ChargeKey: charge("ORD-1").IdempotencyKey}
	if err := p.Refund(t.Context(), refund); !errors.Is(err, ErrTransient) {
		t.Fatalf("Refund: %v, want ErrTransient", err)
	}
	if got := p.Held("ORD-1"); got.Amount != 8995 {
		t.Fatalf("Charged = %v after a failed refund, want $89.95 still held", got)
	}
}

func TestCancelledCallConsumesNoFault(t *testing.T) {
	// Far longer than any test runs: only the context can end the call.
	p := Payments{Latency: 24 * time.Hour}
	p.ChargeFaults.FailNext(1, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := p.Charge(ctx, charge("ORD-1"))
		done <- err
	}()
	cancel()
	// A call that ignored its context would last its latency: give up on
	// it shortly before go test's -timeout, with a message of our own.
	var hung <-chan time.Time
	if d, ok := t.Deadline(); ok {
		hung = time.After(time.Until(d) * 19 / 20)
	}
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want the context's error", err)
		}
	case <-hung:
		t.Fatalf("Charge did not return after its context ended (its latency is %v)", p.Latency)
	}
	p.Latency = 0
	if _, err := p.Charge(t.Context(), charge("ORD-1")); !errors.Is(err, ErrTransient) {
		t.Fatalf("err = %v, want the fault the cancelled call left unused", err)
	}
}
