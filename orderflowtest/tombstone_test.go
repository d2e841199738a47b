package orderflowtest

import (
	"errors"
	"testing"

	"github.com/orderflow/orderflow"
)

// A Refund that finds no charge leaves a tombstone: the charge may still be
// in flight, and must not take money when it lands.
func TestRefundBeforeChargeLeavesTombstone(t *testing.T) {
	var p Payments
	late, other := charge("ORD-LATE"), charge("ORD-OTHER")
	refund := orderflow.RefundRequest{IdempotencyKey: "r", OrderID: "ORD-LATE", ChargeKey: late.IdempotencyKey,
		Amount: late.Amount}
	if err := p.Refund(t.Context(), refund); err != nil {
		t.Fatalf("Refund of a key that never charged: %v, want success", err)
	}
	for i := range 2 {
		res, err := p.Charge(t.Context(), late)
		if !errors.Is(err, orderflow.ErrPaymentDeclined) || res != (orderflow.PaymentResult{}) {
			t.Fatalf("late Charge #%d = %+v, %v; want a zero result and ErrPaymentDeclined", i+1, res, err)
		}
	}
	if err := p.Refund(t.Context(), refund); err != nil { // the refund's retry
		t.Fatalf("repeated Refund: %v", err)
	}
	if got := p.Held("ORD-LATE"); got != (orderflow.Money{}) {
		t.Errorf("Charged(ORD-LATE) = %#v, want nothing taken", got)
	}
	if got := p.Charges(); len(got) != 0 {
		t.Errorf("Charges() = %+v, want none", got)
	}
	if got := p.Refunds(); len(got) != 0 {
		t.Errorf("Refunds() = %+v, want none: nothing was returned", got)
	}
	if calls := p.Calls(); len(calls) != 4 || !errors.Is(calls[1].Err, orderflow.ErrPaymentDeclined) || calls[1].Result != nil {
		t.Errorf("Calls() = %+v, want the declined Charges recorded with their error", calls)
	}
	// The tombstone is the key's alone.
	if _, err := p.Charge(t.Context(), other); err != nil {
		t.Fatalf("Charge of another order: %v", err)
	}
}

// A charge that was refunded stays refunded: a Charge with its key (a retry
// landing late, or the order run again) takes nothing and is declined.
func TestChargeAfterItsRefundIsDeclined(t *testing.T) {
	var p Payments
	req := charge("ORD-1")
	if _, err := p.Charge(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if err := p.Refund(t.Context(), orderflow.RefundRequest{IdempotencyKey: "r", OrderID: "ORD-1", ChargeKey: req.IdempotencyKey}); err != nil {
		t.Fatal(err)
	}
	again, err := p.Charge(t.Context(), req)
	if !errors.Is(err, orderflow.ErrPaymentDeclined) || again != (orderflow.PaymentResult{}) {
		t.Fatalf("Charge after its refund = %+v, %v; want a zero result and ErrPaymentDeclined", again, err)
	}
	if got := p.Held("ORD-1"); got != orderflow.USD(0) {
		t.Errorf("Charged = %#v, want USD(0): the charge stays refunded", got)
	}
	if got := p.Charges(); len(got) != 1 {
		t.Errorf("Charges() = %+v, want the one refunded charge", got)
	}
}

// The tombstone is the Refund's effect: a Refund that failed without effect
// leaves none, one whose reply was lost does.
func TestTombstoneIsTheRefundsEffect(t *testing.T) {
	var p Payments
	p.RefundFaults.FailNext(1, nil)
	p.RefundFaults.LoseNext(1, nil)
	failed, lost := charge("ORD-FAILED"), charge("ORD-LOST")
	for _, req := range []orderflow.ChargeRequest{failed, lost} {
		err := p.Refund(t.Context(), orderflow.RefundRequest{IdempotencyKey: "r-" + req.OrderID, OrderID: req.OrderID,
			ChargeKey: req.IdempotencyKey})
		if !errors.Is(err, ErrTransient) {
			t.Fatalf("Refund of %s: %v, want the injected ErrTransient", req.OrderID, err)
		}
	}
	if _, err := p.Charge(t.Context(), failed); err != nil {
		t.Errorf("Charge after a Refund that failed without effect: %v, want success", err)
	}
	if _, err := p.Charge(t.Context(), lost); !errors.Is(err, orderflow.ErrPaymentDeclined) {
		t.Errorf("Charge after a Refund whose reply was lost: %v, want ErrPaymentDeclined", err)
	}
}

func TestReleaseBeforeReserveLeavesTombstone(t *testing.T) {
	var inv Inventory
	inv.SetStock("MOUSE-001", 5)
	late := reserve("ORD-LATE", "k-late")
	release := orderflow.ReleaseRequest{IdempotencyKey: "rel", OrderID: "ORD-LATE", ReserveKey: late.IdempotencyKey,
		Items: late.Items}
	if err := inv.Release(t.Context(), release); err != nil {
		t.Fatalf("Release of a key that never reserved: %v, want success", err)
	}
	for i := range 2 {
		res, err := inv.Reserve(t.Context(), late)
		if !errors.Is(err, orderflow.ErrOutOfStock) || res != (orderflow.InventoryResult{}) {
			t.Fatalf("late Reserve #%d = %+v, %v; want a zero result and ErrOutOfStock", i+1, res, err)
		}
	}
	if got := inv.Reserved("ORD-LATE"); got != nil {
		t.Errorf("Reserved(ORD-LATE) = %v, want nothing held", got)
	}
	if n, _ := inv.Stock("MOUSE-001"); n != 5 {
		t.Errorf("Stock(MOUSE-001) = %d, want all 5 left", n)
	}
	if got := inv.Reservations(); len(got) != 0 {
		t.Errorf("Reservations() = %+v, want none", got)
	}
	// The tombstone is the key's alone, and a released reservation stays
	// released.
	other := reserve("ORD-OTHER", "k-other")
	first, err := inv.Reserve(t.Context(), other)
	if err != nil {
		t.Fatalf("Reserve of another order: %v", err)
	}
	if err := inv.Release(t.Context(), orderflow.ReleaseRequest{IdempotencyKey: "rel-other", OrderID: "ORD-OTHER", ReserveKey: "k-other"}); err != nil {
		t.Fatal(err)
	}
	if again, err := inv.Reserve(t.Context(), other); !errors.Is(err, orderflow.ErrOutOfStock) || again != (orderflow.InventoryResult{}) {
		t.Errorf("Reserve after its release = %+v, %v; want a zero result and ErrOutOfStock (not the released %+v)", again, err, first)
	}
	if got := inv.Reserved("ORD-OTHER"); got != nil {
		t.Errorf("Reserved(ORD-OTHER) = %v, want nothing held", got)
	}
}
