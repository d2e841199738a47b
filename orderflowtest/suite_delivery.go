package orderflowtest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/orderflow/orderflow"
)

// DeliveryHarness connects TestDeliveryProvider to a DeliveryProvider and
// the system behind it. The suite makes a new harness for every clause, with
// the clause's t: a harness may fail t when it cannot observe something, and
// may call t.Skip when it cannot arrange a stimulus.
type DeliveryHarness interface {
	// Provider returns the provider under test.
	Provider() orderflow.DeliveryProvider
	// Undeliverable changes req, or arranges the system, so that no carrier
	// can deliver it: for instance it sets an address the sandbox refuses.
	Undeliverable(req *orderflow.DeliveryRequest)
	// Shipments returns how many shipments are booked for orderID.
	Shipments(orderID string) int
	// Slow makes the provider's calls block for at least a minute, or calls
	// t.Skip. The suite cancels them after 50 ms and wants them back within
	// 10 s, a bound generous enough for a loaded machine; a call that ignored
	// its context must still be running then.
	Slow()
}

// TestDeliveryProvider checks that a DeliveryProvider keeps the contract
// documented on orderflow.DeliveryProvider. newHarness is called once per
// clause; each clause is a subtest named after it. Run it with -race.
func TestDeliveryProvider(t *testing.T, newHarness func(t *testing.T) DeliveryHarness) {
	t.Helper()
	clause(t, "ArrangeBooksShipment", newHarness, testArrangeBooks)
	clause(t, "ArrangeIsIdempotent", newHarness, testArrangeIsIdempotent)
	clause(t, "ArrangeKeyReusedForOtherRequestFailsPermanently", newHarness, testArrangeKeyReused)
	clause(t, "UndeliverableWrapsErrUndeliverable", newHarness, testUndeliverable)
	clause(t, "ArrangeReturnsPromptlyWhenCancelled", newHarness, testArrangeCancel)
	clause(t, "ConcurrentArranges", newHarness, testConcurrentArranges)
}

func deliveryRequest(orderID string) orderflow.DeliveryRequest {
	return orderflow.DeliveryRequest{IdempotencyKey: key(orderID, orderflow.ActivityArrangeDelivery),
		OrderID: orderID, CustomerName: "Ada Lovelace", Address: "12 Analytical Row, London",
		Items: []orderflow.Item{{ProductID: "LAPTOP-001", ProductName: "Laptop", Quantity: 1, UnitPrice: orderflow.USD(89999)}}}
}

func mustArrange(t *testing.T, d orderflow.DeliveryProvider, req orderflow.DeliveryRequest) orderflow.DeliveryResult {
	t.Helper()
	res, err := d.Arrange(t.Context(), req)
	if err != nil {
		t.Fatalf("Arrange(to %q, key %q) = %v; want success", req.Address, req.IdempotencyKey, err)
	}
	return res
}

func wantShipments(t *testing.T, h DeliveryHarness, orderID string, want int, why string) {
	t.Helper()
	if got := h.Shipments(orderID); got != want {
		t.Errorf("shipments booked for order %s = %d, want %d: %s", orderID, got, want, why)
	}
}

func testArrangeBooks(t *testing.T, h DeliveryHarness) {
	req := deliveryRequest(newOrderID())
	res := mustArrange(t, h.Provider(), req)
	if res.TrackingNumber == "" {
		t.Errorf("Arrange returned an empty TrackingNumber; customers track their order by it")
	}
	if _, err := time.Parse(time.DateOnly, res.EstimatedDelivery); err != nil {
		t.Errorf("Arrange returned EstimatedDelivery %q; want a calendar date YYYY-MM-DD", res.EstimatedDelivery)
	}
	wantShipments(t, h, req.OrderID, 1, "a successful Arrange books one shipment")
}

func testArrangeIsIdempotent(t *testing.T, h DeliveryHarness) {
	req := deliveryRequest(newOrderID())
	first := mustArrange(t, h.Provider(), req)
	again := mustArrange(t, h.Provider(), req)
	if again.TrackingNumber != first.TrackingNumber {
		t.Errorf("a repeated Arrange with key %q returned tracking number %q, want the first one's %q",
			req.IdempotencyKey, again.TrackingNumber, first.TrackingNumber)
	}
	wantShipments(t, h, req.OrderID, 1,
		"a repeated Arrange with the same idempotency key must book nothing more (retries and replays reuse the key)")
}

func testArrangeKeyReused(t *testing.T, h DeliveryHarness) {
	for _, v := range []struct {
		what   string
		change func(req *orderflow.DeliveryRequest)
	}{
		{"another order", func(req *orderflow.DeliveryRequest) { req.OrderID = newOrderID() }},
		{"another address", func(req *orderflow.DeliveryRequest) { req.Address = "7 Difference Lane, Cambridge" }},
		{"other items", func(req *orderflow.DeliveryRequest) {
			req.Items = slices.Clone(req.Items)
			req.Items[0].Quantity++
		}},
	} {
		first := deliveryRequest(newOrderID())
		res := mustArrange(t, h.Provider(), first)
		other := first
		v.change(&other)
		_, err := h.Provider().Arrange(t.Context(), other)
		wantRefusedReuse(t, "Arrange", first.IdempotencyKey, v.what, err)
		if other.OrderID != first.OrderID {
			wantShipments(t, h, other.OrderID, 0, "an Arrange reusing another order's key books nothing")
		}
		wantShipments(t, h, first.OrderID, 1,
			"an Arrange reusing a key for "+v.what+" books nothing and leaves the first booking as it was")
		if again := mustArrange(t, h.Provider(), first); again.TrackingNumber != res.TrackingNumber {
			t.Errorf("after an Arrange reusing key %q for %s was refused, the first request's retry returned tracking number %q, want the first one's %q",
				first.IdempotencyKey, v.what, again.TrackingNumber, res.TrackingNumber)
		}
	}
}

func testUndeliverable(t *testing.T, h DeliveryHarness) {
	req := deliveryRequest(newOrderID())
	h.Undeliverable(&req)
	_, err := h.Provider().Arrange(t.Context(), req)
	wantWraps(t, "Arrange of an undeliverable order", err, orderflow.ErrUndeliverable)
	wantShipments(t, h, req.OrderID, 0, "an undeliverable order books no shipment")
}

func testArrangeCancel(t *testing.T, h DeliveryHarness) {
	h.Slow()
	req := deliveryRequest(newOrderID())
	checkCancel(t, "Arrange", func(ctx context.Context) error {
		_, err := h.Provider().Arrange(ctx, req)
		return err
	})
}

func testConcurrentArranges(t *testing.T, h DeliveryHarness) {
	reqs := make([]orderflow.DeliveryRequest, concurrency)
	for i := range reqs {
		reqs[i] = deliveryRequest(newOrderID())
	}
	checkConcurrent(t, "Arrange", concurrency, func(ctx context.Context, i int) (string, error) {
		res, err := h.Provider().Arrange(ctx, reqs[i])
		return res.TrackingNumber, err
	})
	for _, req := range reqs {
		wantShipments(t, h, req.OrderID, 1, "each of several concurrent Arranges books its own shipment")
	}
}
