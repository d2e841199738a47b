package orderflowtest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/orderflow/orderflow"
)

// wantReuseError fails t unless err wraps orderflow.ErrPermanent and its
// message names key and each of want, and none of hidden (customer data).
func wantReuseError(t *testing.T, call string, err error, key string, want []string, hidden ...string) {
	t.Helper()
	if !errors.Is(err, orderflow.ErrPermanent) {
		t.Fatalf("%s: err = %v, want ErrPermanent", call, err)
	}
	msg := err.Error()
	for _, w := range append([]string{key}, want...) {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: error %q does not name %q", call, msg, w)
		}
	}
	for _, h := range hidden {
		if strings.Contains(msg, h) {
			t.Errorf("%s: error %q shows customer data %q", call, msg, h)
		}
	}
}

func TestChargeKeyReusedForOtherRequest(t *testing.T) {
	var p Payments
	req := charge("ORD-1")
	first, err := p.Charge(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	other := req
	other.OrderID, other.Amount = "ORD-2", orderflow.USD(100)
	res, err := p.Charge(t.Context(), other)
	wantReuseError(t, "Charge for another order and amount", err, req.IdempotencyKey,
		[]string{`order "ORD-1", now "ORD-2"`, "amount $89.95, now $1.00", "nothing was charged"})
	if res != (orderflow.PaymentResult{}) {
		t.Errorf("refused Charge returned %+v, want the zero result", res)
	}
	if got := p.Charges(); len(got) != 1 || got[0].Amount != req.Amount || got[0].OrderID != "ORD-1" {
		t.Errorf("Charges() = %+v, want only the first charge", got)
	}
	if got := p.Held("ORD-2"); got != (orderflow.Money{}) {
		t.Errorf("Held(ORD-2) = %v, want nothing", got)
	}
	if again, err := p.Charge(t.Context(), req); err != nil || again != first {
		t.Errorf("retry of the first request = %+v, %v; want %+v", again, err, first)
	}
	// A reused key is refused even once its charge was refunded: the
	// mismatch is reported rather than the refund.
	if err := p.Refund(t.Context(), orderflow.RefundRequest{IdempotencyKey: "r", OrderID: "ORD-1", ChargeKey: req.IdempotencyKey, Amount: req.Amount}); err != nil {
		t.Fatal(err)
	}
	_, err = p.Charge(t.Context(), other)
	wantReuseError(t, "Charge for another order after the refund", err, req.IdempotencyKey, []string{"ORD-2"})
}

func TestRefundKeyReusedForOtherCharge(t *testing.T) {
	var p Payments
	a, b := charge("ORD-A"), charge("ORD-B")
	for _, req := range []orderflow.ChargeRequest{a, b} {
		if _, err := p.Charge(t.Context(), req); err != nil {
			t.Fatal(err)
		}
	}
	refund := orderflow.RefundRequest{IdempotencyKey: "r", OrderID: "ORD-A", ChargeKey: a.IdempotencyKey, Amount: a.Amount}
	if err := p.Refund(t.Context(), refund); err != nil {
		t.Fatal(err)
	}
	retry := refund
	retry.TransactionID = p.Charges()[0].TransactionID // known by now: not a difference
	if err := p.Refund(t.Context(), retry); err != nil {
		t.Fatalf("retry of the refund with the transaction ID: %v, want success", err)
	}
	other := orderflow.RefundRequest{IdempotencyKey: "r", OrderID: "ORD-B", ChargeKey: b.IdempotencyKey, Amount: orderflow.USD(1)}
	wantReuseError(t, "Refund of another charge", p.Refund(t.Context(), other), "r",
		[]string{`order "ORD-A", now "ORD-B"`, b.IdempotencyKey, "amount $89.95, now $0.01", "nothing was refunded"})
	if got := p.Held("ORD-B"); got != b.Amount {
		t.Errorf("Held(ORD-B) = %v, want %v: nothing refunded", got, b.Amount)
	}
	// Nothing at all: not even a tombstone on ORD-B's charge key.
	if _, err := p.Charge(t.Context(), b); err != nil {
		t.Errorf("retry of ORD-B's charge: %v, want its first result", err)
	}
	if got := p.Refunds(); len(got) != 1 || got[0].OrderID != "ORD-A" {
		t.Errorf("Refunds() = %+v, want ORD-A's alone", got)
	}
}

func TestReserveKeyReusedForOtherRequest(t *testing.T) {
	var inv Inventory
	inv.SetStock("MOUSE-001", 10)
	req := reserve("ORD-1", "k")
	first, err := inv.Reserve(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	other := reserve("ORD-1", "k", orderflow.Item{ProductID: "MOUSE-001", ProductName: "Secret mouse", Quantity: 5})
	res, err := inv.Reserve(t.Context(), other)
	wantReuseError(t, "Reserve of other items", err, "k", []string{"other items", "nothing was reserved"}, "Secret mouse")
	if res != (orderflow.InventoryResult{}) {
		t.Errorf("refused Reserve returned %+v, want the zero result", res)
	}
	other = reserve("ORD-2", "k")
	_, err = inv.Reserve(t.Context(), other)
	wantReuseError(t, "Reserve for another order", err, "k", []string{`order "ORD-1", now "ORD-2"`})
	if n, _ := inv.Stock("MOUSE-001"); n != 8 {
		t.Errorf("Stock(MOUSE-001) = %d, want 8: only the first reservation holds", n)
	}
	if got := inv.Reserved("ORD-2"); got != nil {
		t.Errorf("Reserved(ORD-2) = %v, want nothing", got)
	}
	if again, err := inv.Reserve(t.Context(), req); err != nil || again != first {
		t.Errorf("retry of the first request = %+v, %v; want %+v", again, err, first)
	}
}

func TestReleaseKeyReusedForOtherReservation(t *testing.T) {
	var inv Inventory
	a, b := reserve("ORD-A", "ka"), reserve("ORD-B", "kb")
	for _, req := range []orderflow.ReserveRequest{a, b} {
		if _, err := inv.Reserve(t.Context(), req); err != nil {
			t.Fatal(err)
		}
	}
	release := orderflow.ReleaseRequest{IdempotencyKey: "rel", OrderID: "ORD-A", ReserveKey: "ka", Items: a.Items}
	if err := inv.Release(t.Context(), release); err != nil {
		t.Fatal(err)
	}
	if err := inv.Release(t.Context(), release); err != nil {
		t.Fatalf("retry of the release: %v, want success", err)
	}
	other := orderflow.ReleaseRequest{IdempotencyKey: "rel", OrderID: "ORD-B", ReserveKey: "kb", Items: b.Items}
	wantReuseError(t, "Release of another reservation", inv.Release(t.Context(), other), "rel",
		[]string{`order "ORD-A", now "ORD-B"`, `reserve key "ka", now "kb"`, "nothing was released"})
	if got := inv.Reserved("ORD-B"); got == nil {
		t.Error("ORD-B's reservation was released by a reused key")
	}
	changed := release
	changed.Items = slices.Clone(release.Items)
	changed.Items[0].Quantity++
	wantReuseError(t, "Release with other items", inv.Release(t.Context(), changed), "rel", []string{"other items"})
}

func TestArrangeKeyReusedForOtherRequest(t *testing.T) {
	var d Delivery
	req := orderflow.DeliveryRequest{IdempotencyKey: "k", OrderID: "ORD-1", Address: "1 Main St",
		Items: []orderflow.Item{{ProductID: "LAPTOP-001", Quantity: 1}}}
	first, err := d.Arrange(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	other := req
	other.OrderID, other.Address = "ORD-2", "2 Secret Rd"
	other.Items = []orderflow.Item{{ProductID: "LAPTOP-001", Quantity: 2}}
	res, err := d.Arrange(t.Context(), other)
	wantReuseError(t, "Arrange of another order", err, "k",
		[]string{`order "ORD-1", now "ORD-2"`, "another address", "other items", "nothing was booked"}, "Main St", "Secret Rd")
	if res != (orderflow.DeliveryResult{}) {
		t.Errorf("refused Arrange returned %+v, want the zero result", res)
	}
	if got := d.Shipments(); len(got) != 1 || got[0].OrderID != "ORD-1" {
		t.Errorf("Shipments() = %+v, want only the first", got)
	}
	if again, err := d.Arrange(t.Context(), req); err != nil || again != first {
		t.Errorf("retry of the first request = %+v, %v; want %+v", again, err, first)
	}
}

func TestSendKeyReusedForOtherMessage(t *testing.T) {
	var m Mailer
	msg := email("ORD-1")
	if err := m.Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	other := msg
	other.OrderID, other.To = "ORD-2", "grace@example.com"
	wantReuseError(t, "Send to another order and recipient", m.Send(t.Context(), other), msg.IdempotencyKey,
		[]string{`order "ORD-1", now "ORD-2"`, "another recipient", "nothing was sent"}, "ada@", "grace@")
	// The text may change between runs of one order; the message is the same.
	reworded := msg
	reworded.Body = "Thanks!"
	if err := m.Send(t.Context(), reworded); err != nil {
		t.Errorf("Send of the same message reworded: %v, want success without effect", err)
	}
	if got := m.Sent(); len(got) != 1 || got[0] != msg {
		t.Errorf("Sent() = %+v, want the first message alone", got)
	}
}
