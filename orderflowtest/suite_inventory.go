package orderflowtest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/orderflow/orderflow"
)

// InventoryHarness connects TestInventoryProvider to an InventoryProvider
// and the system behind it. The suite makes a new harness for every clause,
// with the clause's t: a harness may fail t when it cannot observe
// something, and may call t.Skip when it cannot arrange a stimulus.
type InventoryHarness interface {
	// Provider returns the provider under test.
	Provider() orderflow.InventoryProvider
	// Items returns line items the provider can reserve, each time a clause
	// asks, at least ten times over.
	Items() []orderflow.Item
	// OutOfStock changes req (which holds Items), or arranges the system,
	// so that at least one item cannot be reserved. Leave at least one item
	// that could be, so that the suite checks that Reserve is all or nothing.
	OutOfStock(req *orderflow.ReserveRequest)
	// Reserved returns how many units are held for orderID, over all its
	// items.
	Reserved(orderID string) int64
	// Slow makes the provider's calls block for at least a minute, or calls
	// t.Skip. The suite cancels them after 50 ms and wants them back within
	// 10 s, a bound generous enough for a loaded machine; a call that ignored
	// its context must still be running then.
	Slow()
}

// TestInventoryProvider checks that an InventoryProvider keeps the contract
// documented on orderflow.InventoryProvider. newHarness is called once per
// clause; each clause is a subtest named after it. Run it with -race.
func TestInventoryProvider(t *testing.T, newHarness func(t *testing.T) InventoryHarness) {
	t.Helper()
	clause(t, "ReserveHoldsItems", newHarness, testReserveHolds)
	clause(t, "ReserveIsIdempotent", newHarness, testReserveIsIdempotent)
	clause(t, "ReserveKeyReusedForOtherRequestFailsPermanently", newHarness, testReserveKeyReused)
	clause(t, "OutOfStockWrapsErrOutOfStockAndHoldsNothing", newHarness, testOutOfStock)
	clause(t, "ReleaseGivesStockBack", newHarness, testRelease)
	clause(t, "ReleaseByReserveKeyAlone", newHarness, testReleaseByKey)
	clause(t, "ReleaseIsIdempotent", newHarness, testReleaseIsIdempotent)
	clause(t, "ReleaseKeyReusedForOtherReservationFailsPermanently", newHarness, testReleaseKeyReused)
	clause(t, "ReleaseOfUnknownReservationSucceedsWithoutEffect", newHarness, testReleaseUnknown)
	clause(t, "ReleaseBeforeReserveBlocksLateReserve", newHarness, testReleaseBlocksLateReserve)
	clause(t, "ReleasedReservationStaysReleased", newHarness, testReleasedStaysReleased)
	clause(t, "ReserveReturnsPromptlyWhenCancelled", newHarness, testReserveCancel)
	clause(t, "ConcurrentReserves", newHarness, testConcurrentReserves)
}

func reserveRequest(h InventoryHarness, orderID string) orderflow.ReserveRequest {
	return orderflow.ReserveRequest{IdempotencyKey: key(orderID, orderflow.ActivityReserveInventory),
		OrderID: orderID, Items: h.Items()}
}

func releaseRequest(reserve orderflow.ReserveRequest, reservationID string) orderflow.ReleaseRequest {
	return orderflow.ReleaseRequest{IdempotencyKey: key(reserve.OrderID, orderflow.ActivityReleaseInventory),
		OrderID: reserve.OrderID, ReserveKey: reserve.IdempotencyKey, ReservationID: reservationID, Items: reserve.Items}
}

func units(items []orderflow.Item) int64 {
	var n int64
	for _, it := range items {
		n += it.Quantity
	}
	return n
}

func mustReserve(t *testing.T, inv orderflow.InventoryProvider, req orderflow.ReserveRequest) orderflow.InventoryResult {
	t.Helper()
	res, err := inv.Reserve(t.Context(), req)
	if err != nil {
		t.Fatalf("Reserve(%d items, key %q) = %v; want success", len(req.Items), req.IdempotencyKey, err)
	}
	return res
}

func wantReserved(t *testing.T, h InventoryHarness, orderID string, want int64, why string) {
	t.Helper()
	if got := h.Reserved(orderID); got != want {
		t.Errorf("units held for order %s = %d, want %d: %s", orderID, got, want, why)
	}
}

func testReserveHolds(t *testing.T, h InventoryHarness) {
	req := reserveRequest(h, newOrderID())
	if res := mustReserve(t, h.Provider(), req); res.ReservationID == "" {
		t.Errorf("Reserve returned an empty ReservationID; the workflow releases by it and shows it to people")
	}
	wantReserved(t, h, req.OrderID, units(req.Items), "a successful Reserve holds every item")
}

func testReserveIsIdempotent(t *testing.T, h InventoryHarness) {
	req := reserveRequest(h, newOrderID())
	first := mustReserve(t, h.Provider(), req)
	again := mustReserve(t, h.Provider(), req)
	if again.ReservationID != first.ReservationID {
		t.Errorf("a repeated Reserve with key %q returned reservation %q, want the first one's %q",
			req.IdempotencyKey, again.ReservationID, first.ReservationID)
	}
	wantReserved(t, h, req.OrderID, units(req.Items),
		"a repeated Reserve with the same idempotency key must hold nothing more (retries and replays reuse the key)")
}

func testReserveKeyReused(t *testing.T, h InventoryHarness) {
	for _, v := range []struct {
		what   string
		change func(req *orderflow.ReserveRequest)
	}{
		{"another order", func(req *orderflow.ReserveRequest) { req.OrderID = newOrderID() }},
		{"other items", func(req *orderflow.ReserveRequest) {
			req.Items = slices.Clone(req.Items)
			req.Items[0].Quantity++
		}},
	} {
		first := reserveRequest(h, newOrderID())
		if len(first.Items) == 0 {
			t.Fatal("the harness's Items returned no items")
		}
		res := mustReserve(t, h.Provider(), first)
		other := first
		v.change(&other)
		_, err := h.Provider().Reserve(t.Context(), other)
		wantRefusedReuse(t, "Reserve", first.IdempotencyKey, v.what, err)
		if other.OrderID != first.OrderID {
			wantReserved(t, h, other.OrderID, 0, "a Reserve reusing another order's key holds nothing")
		}
		wantReserved(t, h, first.OrderID, units(first.Items),
			"a Reserve reusing a key for "+v.what+" holds nothing and leaves the first reservation as it was")
		if again := mustReserve(t, h.Provider(), first); again.ReservationID != res.ReservationID {
			t.Errorf("after a Reserve reusing key %q for %s was refused, the first request's retry returned reservation %q, want the first one's %q",
				first.IdempotencyKey, v.what, again.ReservationID, res.ReservationID)
		}
	}
}

func testOutOfStock(t *testing.T, h InventoryHarness) {
	req := reserveRequest(h, newOrderID())
	h.OutOfStock(&req)
	_, err := h.Provider().Reserve(t.Context(), req)
	wantWraps(t, "Reserve of an item out of stock", err, orderflow.ErrOutOfStock)
	wantReserved(t, h, req.OrderID, 0, "Reserve is all or nothing: when one item is out of stock, none is held")
}

func testRelease(t *testing.T, h InventoryHarness) {
	req := reserveRequest(h, newOrderID())
	res := mustReserve(t, h.Provider(), req)
	if err := h.Provider().Release(t.Context(), releaseRequest(req, res.ReservationID)); err != nil {
		t.Fatalf("Release of reservation %q = %v; want success", res.ReservationID, err)
	}
	wantReserved(t, h, req.OrderID, 0, "Release gives every item back")
}

func testReleaseByKey(t *testing.T, h InventoryHarness) {
	req := reserveRequest(h, newOrderID())
	mustReserve(t, h.Provider(), req)
	if err := h.Provider().Release(t.Context(), releaseRequest(req, "")); err != nil {
		t.Fatalf("Release with ReserveKey %q and no ReservationID = %v; want success", req.IdempotencyKey, err)
	}
	wantReserved(t, h, req.OrderID, 0,
		"Release with only ReserveKey must find the reservation by its idempotency key (the workflow releases so when a reservation's outcome is unknown)")
}

func testReleaseIsIdempotent(t *testing.T, h InventoryHarness) {
	req := reserveRequest(h, newOrderID())
	res := mustReserve(t, h.Provider(), req)
	release := releaseRequest(req, res.ReservationID)
	for i := range 2 {
		if err := h.Provider().Release(t.Context(), release); err != nil {
			t.Fatalf("Release #%d with key %q = %v; want success (Release is idempotent)", i+1, release.IdempotencyKey, err)
		}
	}
	wantReserved(t, h, req.OrderID, 0, "a repeated Release gives back no more than was held")
}

func testReleaseKeyReused(t *testing.T, h InventoryHarness) {
	a, b := reserveRequest(h, newOrderID()), reserveRequest(h, newOrderID())
	mustReserve(t, h.Provider(), a)
	mustReserve(t, h.Provider(), b)
	releaseA := releaseRequest(a, "")
	if err := h.Provider().Release(t.Context(), releaseA); err != nil {
		t.Fatalf("Release with ReserveKey %q = %v; want success", a.IdempotencyKey, err)
	}
	releaseB := releaseRequest(b, "")
	releaseB.IdempotencyKey = releaseA.IdempotencyKey
	err := h.Provider().Release(t.Context(), releaseB)
	wantRefusedReuse(t, "Release", releaseA.IdempotencyKey, "another order's reservation", err)
	wantReserved(t, h, b.OrderID, units(b.Items),
		"a Release reusing a key for another reservation gives nothing back (it fails, and a person settles the order)")
	wantReserved(t, h, a.OrderID, 0, "the first Release under the key stays done")
}

func testReleaseUnknown(t *testing.T, h InventoryHarness) {
	req := reserveRequest(h, newOrderID())
	if err := h.Provider().Release(t.Context(), releaseRequest(req, "")); err != nil {
		t.Fatalf("Release of ReserveKey %q, which never reserved, = %v; want success without effect", req.IdempotencyKey, err)
	}
	wantReserved(t, h, req.OrderID, 0, "a Release of a reservation that was never made holds nothing")
}

func testReleaseBlocksLateReserve(t *testing.T, h InventoryHarness) {
	req := reserveRequest(h, newOrderID())
	if err := h.Provider().Release(t.Context(), releaseRequest(req, "")); err != nil {
		t.Fatalf("Release of ReserveKey %q, which never reserved, = %v; want success", req.IdempotencyKey, err)
	}
	for i := range 2 { // the late reservation, and its retry
		_, err := h.Provider().Reserve(t.Context(), req)
		if err == nil {
			t.Errorf("Reserve #%d with key %q succeeded after a Release by that key found nothing; want an error wrapping %v (the reservation was in flight when the order was compensated, and its stock would never be given back)",
				i+1, req.IdempotencyKey, orderflow.ErrOutOfStock)
		} else if !errors.Is(err, orderflow.ErrOutOfStock) {
			t.Errorf("Reserve #%d with key %q after a Release by that key found nothing = %v; want an error wrapping %v, so that it is not retried",
				i+1, req.IdempotencyKey, err, orderflow.ErrOutOfStock)
		}
	}
	wantReserved(t, h, req.OrderID, 0,
		"a Release by a key that has not reserved must leave a tombstone, so that a Reserve landing later holds nothing")
}

func testReserveCancel(t *testing.T, h InventoryHarness) {
	h.Slow()
	req := reserveRequest(h, newOrderID())
	checkCancel(t, "Reserve", func(ctx context.Context) error {
		_, err := h.Provider().Reserve(ctx, req)
		return err
	})
}

func testConcurrentReserves(t *testing.T, h InventoryHarness) {
	reqs := make([]orderflow.ReserveRequest, concurrency)
	for i := range reqs {
		reqs[i] = reserveRequest(h, newOrderID())
	}
	checkConcurrent(t, "Reserve", concurrency, func(ctx context.Context, i int) (string, error) {
		res, err := h.Provider().Reserve(ctx, reqs[i])
		return res.ReservationID, err
	})
	for _, req := range reqs {
		wantReserved(t, h, req.OrderID, units(req.Items), "each of several concurrent Reserves holds its own items")
	}
}

func testReleasedStaysReleased(t *testing.T, h InventoryHarness) {
	req := reserveRequest(h, newOrderID())
	res := mustReserve(t, h.Provider(), req)
	if err := h.Provider().Release(t.Context(), releaseRequest(req, res.ReservationID)); err != nil {
		t.Fatalf("Release of reservation %q = %v; want success", res.ReservationID, err)
	}
	for i := range 2 { // a second run of the order, and its retry
		_, err := h.Provider().Reserve(t.Context(), req)
		if err == nil {
			t.Errorf("Reserve #%d with key %q after its reservation was released succeeded; want an error wrapping %v (an order run again after it was compensated would otherwise ship on a released reservation)",
				i+1, req.IdempotencyKey, orderflow.ErrOutOfStock)
		} else if !errors.Is(err, orderflow.ErrOutOfStock) {
			t.Errorf("Reserve #%d with key %q after its reservation was released = %v; want an error wrapping %v, which tells the workflow that nothing is held",
				i+1, req.IdempotencyKey, err, orderflow.ErrOutOfStock)
		}
	}
	wantReserved(t, h, req.OrderID, 0, "a released reservation stays released: a later Reserve with its key holds nothing")
}
