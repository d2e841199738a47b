package orderflowtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderflow/orderflow"
)

var _ orderflow.DeliveryProvider = (*Delivery)(nil)

// Delivery is an in-memory orderflow.DeliveryProvider. It books every
// shipment with an estimated delivery three days out, refuses a blank
// address with an error wrapping orderflow.ErrUndeliverable, records every
// call (see Calls) and can be told to fail through ArrangeFaults.
//
// The zero Delivery is ready to use. Set Latency, NewID and Now before the first call;
// faults may be changed at any time. It is safe for concurrent use, and must
// not be copied after first use.
type Delivery struct {
	// Latency is how long each call takes. A call returns ctx.Err() as soon
	// as its context ends. Zero means no delay.
	Latency time.Duration
	// NewID makes tracking numbers. If nil, they are "TRACK-" and 16 random
	// upper-case hex digits, like the Python demo's. See SequentialIDs.
	NewID func(prefix string, digits int) string
	// Now is the clock the estimated delivery date is computed from. If nil,
	// time.Now is used.
	Now func() time.Time

	// ArrangeFaults injects failures into Arrange.
	ArrangeFaults Faults

	recorder
	shipments []Shipment
	keys      map[string]int // idempotency key → index in shipments
}

// Shipment is a delivery booked by Delivery.
type Shipment struct {
	IdempotencyKey    string
	OrderID           string
	TrackingNumber    string
	Address           string
	Items             []orderflow.Item
	EstimatedDelivery string // YYYY-MM-DD
}

// Arrange books a shipment to req.Address, estimated three days from Now.
// A repeated idempotency key with the same order, address and items returns
// the first booking and books nothing. A key first used for another order,
// address or items books nothing and fails with an error wrapping
// orderflow.ErrPermanent that names the key and what differs (not the
// addresses).
func (d *Delivery) Arrange(ctx context.Context, req orderflow.DeliveryRequest) (orderflow.DeliveryResult, error) {
	in := invocation{method: "Arrange", orderID: req.OrderID, key: req.IdempotencyKey, request: req,
		latency: d.Latency, faults: &d.ArrangeFaults}
	return serve(ctx, &d.recorder, in, func() (orderflow.DeliveryResult, error) {
		if i, ok := d.keys[req.IdempotencyKey]; ok {
			s := d.shipments[i]
			var r reuse
			r.add(s.OrderID != req.OrderID, "order %q, now %q", s.OrderID, req.OrderID)
			r.add(s.Address != req.Address, "another address")
			r.add(!slices.Equal(s.Items, req.Items), "other items")
			if err := r.err("delivery", req.IdempotencyKey, "nothing was booked"); err != nil {
				return orderflow.DeliveryResult{}, err
			}
			return deliveryResult(s), nil
		}
		if strings.TrimSpace(req.Address) == "" {
			return orderflow.DeliveryResult{}, fmt.Errorf("orderflowtest: blank address: %w", orderflow.ErrUndeliverable)
		}
		now := time.Now
		if d.Now != nil {
			now = d.Now
		}
		s := Shipment{IdempotencyKey: req.IdempotencyKey, OrderID: req.OrderID,
			TrackingNumber: newID(d.NewID, "TRACK-", 16), Address: req.Address, Items: slices.Clone(req.Items),
			EstimatedDelivery: now().AddDate(0, 0, 3).Format(time.DateOnly)}
		if d.keys == nil {
			d.keys = make(map[string]int)
		}
		d.keys[req.IdempotencyKey] = len(d.shipments)
		d.shipments = append(d.shipments, s)
		return deliveryResult(s), nil
	})
}

func deliveryResult(s Shipment) orderflow.DeliveryResult {
	return orderflow.DeliveryResult{TrackingNumber: s.TrackingNumber, EstimatedDelivery: s.EstimatedDelivery,
		Message: "Delivery scheduled to " + s.Address}
}

// Shipments returns the shipments booked, in order.
func (d *Delivery) Shipments() []Shipment {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Shipment, len(d.shipments))
	for i, s := range d.shipments {
		s.Items = slices.Clone(s.Items)
		out[i] = s
	}
	return out
}
