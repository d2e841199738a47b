package orderflowtest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/orderflow/orderflow"
)

var _ orderflow.InventoryProvider = (*Inventory)(nil)

// Inventory is an in-memory orderflow.InventoryProvider. Stock is unlimited
// for every product unless set with SetStock; Reserve fails with an error
// wrapping orderflow.ErrOutOfStock when an item needs more than is left. It
// records every call (see Calls) and can be told to fail through
// ReserveFaults and ReleaseFaults.
//
// The zero Inventory is ready to use. Set Latency and NewID before the first call;
// faults may be changed at any time. It is safe for concurrent use, and must
// not be copied after first use.
type Inventory struct {
	// Latency is how long each call takes. A call returns ctx.Err() as soon
	// as its context ends. Zero means no delay.
	Latency time.Duration
	// NewID makes reservation IDs. If nil, IDs are "RES-" and 12 random
	// upper-case hex digits, like the Python demo's. See SequentialIDs.
	NewID func(prefix string, digits int) string

	// ReserveFaults and ReleaseFaults inject failures into Reserve and Release.
	ReserveFaults Faults
	ReleaseFaults Faults

	recorder
	stock        map[string]int64 // product ID → units left; absent means unlimited
	reservations book[Reservation, orderflow.ReleaseRequest]
}

// Reservation is stock held by Inventory.
type Reservation struct {
	IdempotencyKey string
	OrderID        string
	ReservationID  string
	Items          []orderflow.Item
	// Released reports whether the stock has been given back.
	Released bool
}

// SetStock sets how many units of productID are left. Products never set
// have unlimited stock.
func (inv *Inventory) SetStock(productID string, n int64) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.stock == nil {
		inv.stock = make(map[string]int64)
	}
	inv.stock[productID] = n
}

// Stock returns how many units of productID are left; limited is false when
// its stock is unlimited.
func (inv *Inventory) Stock(productID string) (n int64, limited bool) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	n, limited = inv.stock[productID]
	return n, limited
}

// Reserve holds every item of req, or none: it fails with an error wrapping
// orderflow.ErrOutOfStock when a product has too little stock. A repeated
// idempotency key with the same order and items returns the first
// reservation and holds nothing more. A key first used for another order or
// other items holds nothing and fails with an error wrapping
// orderflow.ErrPermanent that names the key and what differs. A key that
// Release has seen, before or after a reservation under it, holds nothing
// and fails with an error wrapping orderflow.ErrOutOfStock.
func (inv *Inventory) Reserve(ctx context.Context, req orderflow.ReserveRequest) (orderflow.InventoryResult, error) {
	in := invocation{method: "Reserve", orderID: req.OrderID, key: req.IdempotencyKey, request: req,
		latency: inv.Latency, faults: &inv.ReserveFaults}
	return serve(ctx, &inv.recorder, in, func() (orderflow.InventoryResult, error) {
		r, released := inv.reservations.lookup(req.IdempotencyKey)
		if r != nil {
			var d reuse
			d.add(r.OrderID != req.OrderID, "order %q, now %q", r.OrderID, req.OrderID)
			d.add(!slices.Equal(r.Items, req.Items), "other items")
			if err := d.err("reserve", req.IdempotencyKey, "nothing was reserved"); err != nil {
				return orderflow.InventoryResult{}, err
			}
		}
		switch {
		case released && r != nil:
			return orderflow.InventoryResult{}, fmt.Errorf("orderflowtest: reserve key %q was released; a released reservation stays released: %w",
				req.IdempotencyKey, orderflow.ErrOutOfStock)
		case released:
			return orderflow.InventoryResult{}, fmt.Errorf("orderflowtest: reserve key %q was released before it reserved; the order is being compensated: %w",
				req.IdempotencyKey, orderflow.ErrOutOfStock)
		case r != nil:
			return inventoryResult(*r), nil
		}
		need := make(map[string]int64)
		for _, it := range req.Items {
			need[it.ProductID] += it.Quantity
		}
		for _, it := range req.Items {
			if left, limited := inv.stock[it.ProductID]; limited && left < need[it.ProductID] {
				return orderflow.InventoryResult{}, fmt.Errorf("orderflowtest: product %q: %d wanted, %d left: %w",
					it.ProductID, need[it.ProductID], left, orderflow.ErrOutOfStock)
			}
		}
		inv.adjust(req.Items, -1)
		return inventoryResult(inv.reservations.add(req.IdempotencyKey, Reservation{IdempotencyKey: req.IdempotencyKey,
			OrderID: req.OrderID, ReservationID: newID(inv.NewID, "RES-", 12), Items: slices.Clone(req.Items)})), nil
	})
}

func inventoryResult(r Reservation) orderflow.InventoryResult {
	return orderflow.InventoryResult{ReservationID: r.ReservationID,
		Message: fmt.Sprintf("Reserved %d item(s) successfully", len(r.Items))}
}

// adjust adds sign × quantity of each item to the limited stocks.
func (inv *Inventory) adjust(items []orderflow.Item, sign int64) {
	for _, it := range items {
		if _, limited := inv.stock[it.ProductID]; limited {
			inv.stock[it.ProductID] += sign * it.Quantity
		}
	}
}

// Release gives back the whole reservation made under req.ReserveKey,
// whatever req.Items says. It succeeds without effect when the reservation
// is already released, or when req.IdempotencyKey has already released it.
// A req.IdempotencyKey first used for another order, reserve key or items
// gives nothing back and fails with an error wrapping orderflow.ErrPermanent.
// When there is no such reservation it succeeds too, leaving a tombstone: a
// later Reserve with req.ReserveKey holds nothing and fails with
// ErrOutOfStock. A req.ReservationID that is not the reservation's is a
// caller's bug, reported as an error wrapping orderflow.ErrPermanent.
func (inv *Inventory) Release(ctx context.Context, req orderflow.ReleaseRequest) error {
	in := invocation{method: "Release", orderID: req.OrderID, key: req.IdempotencyKey, request: req,
		latency: inv.Latency, faults: &inv.ReleaseFaults}
	return serveErr(ctx, &inv.recorder, in, func() error {
		if first, ok := inv.reservations.undoCall(req.IdempotencyKey); ok {
			var d reuse
			d.add(first.OrderID != req.OrderID, "order %q, now %q", first.OrderID, req.OrderID)
			d.add(first.ReserveKey != req.ReserveKey, "reserve key %q, now %q", first.ReserveKey, req.ReserveKey)
			d.add(!slices.Equal(first.Items, req.Items), "other items")
			if err := d.err("release", req.IdempotencyKey, "nothing was released"); err != nil {
				return err
			}
		}
		r, _ := inv.reservations.lookup(req.ReserveKey)
		if r != nil && req.ReservationID != "" && req.ReservationID != r.ReservationID {
			return fmt.Errorf("orderflowtest: release: reservation %q is not the one under key %q (%q): %w",
				req.ReservationID, req.ReserveKey, r.ReservationID, orderflow.ErrPermanent)
		}
		kept := req
		kept.Items = slices.Clone(req.Items)
		if !inv.reservations.undo(req.ReserveKey, req.IdempotencyKey, kept) || r == nil || r.Released {
			return nil
		}
		r.Released = true
		inv.adjust(r.Items, +1)
		return nil
	})
}

// Reserved returns the units held for orderID per product ID, or nil when
// nothing is held.
func (inv *Inventory) Reserved(orderID string) map[string]int64 {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	var held map[string]int64
	for _, r := range inv.reservations.records {
		if r.OrderID != orderID || r.Released {
			continue
		}
		if held == nil {
			held = make(map[string]int64)
		}
		for _, it := range r.Items {
			held[it.ProductID] += it.Quantity
		}
	}
	return held
}

// Reservations returns the reservations made, in order, released ones
// included.
func (inv *Inventory) Reservations() []Reservation {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	out := inv.reservations.all()
	for i, r := range out {
		r.Items = slices.Clone(r.Items)
		out[i] = r
	}
	return out
}
