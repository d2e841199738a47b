package crashtest

import (
	"fmt"
	"sync"
	"time"

	"github.com/orderflow/orderflow"
)

// terms are the business failures and refusals chosen for one order when it
// is planned. The ledger applies them to every call for that order.
type terms struct {
	Decline       bool // Charge fails with ErrPaymentDeclined
	OutOfStock    bool // Reserve fails with ErrOutOfStock
	Undeliverable bool // Arrange fails with ErrUndeliverable
	// RefuseRefund and RefuseRelease refuse, with ErrPermanent, to undo a
	// charge or reservation that exists: a person must settle it.
	RefuseRefund  bool
	RefuseRelease bool
	RefuseEmail   bool // Send fails with ErrPermanent: the address is refused
}

// charge is money the ledger took.
type charge struct {
	Key, OrderID, TransactionID string
	Amount                      orderflow.Money
	Refunded                    bool
}

// reservation is stock the ledger holds.
type reservation struct {
	Key, OrderID, ReservationID string
	Units                       int64 // over all items
	Released                    bool
}

// shipment is a delivery the ledger booked.
type shipment struct {
	Key, OrderID, TrackingNumber string
}

// ledger is the providers' books: the one place that knows what really
// happened to each order. It implements orderflow's provider contract
// exactly. It is safe for concurrent use.
type ledger struct {
	mu           sync.Mutex
	terms        map[string]terms // by order ID
	charges      map[string]*charge
	refunded     map[string]bool // charge keys refunded, or tombstoned by a refund that found nothing
	reservations map[string]*reservation
	released     map[string]bool // reserve keys released or tombstoned
	shipments    map[string]*shipment
	emails       map[string]string // email key → order ID
	// anomalies are requests that break the caller's side of the contract,
	// by order ID.
	anomalies map[string][]string
	refusals  int
	seq       int
}

func newLedger() *ledger {
	return &ledger{
		terms:        map[string]terms{},
		charges:      map[string]*charge{},
		refunded:     map[string]bool{},
		reservations: map[string]*reservation{},
		released:     map[string]bool{},
		shipments:    map[string]*shipment{},
		emails:       map[string]string{},
		anomalies:    map[string][]string{},
	}
}

// setTerms fixes the business failures of an order before it starts.
func (l *ledger) setTerms(orderID string, t terms) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.terms[orderID] = t
}

func (l *ledger) newID(prefix string, digits int) string {
	l.seq++
	return fmt.Sprintf("%s%0*X", prefix, digits, l.seq)
}

func (l *ledger) anomaly(orderID, format string, args ...any) {
	l.anomalies[orderID] = append(l.anomalies[orderID], fmt.Sprintf(format, args...))
}

// Charge takes money once per key. A key that was refunded, before or after
// it charged, takes nothing and is declined.
func (l *ledger) Charge(req orderflow.ChargeRequest) (orderflow.PaymentResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.refunded[req.IdempotencyKey] {
		return orderflow.PaymentResult{}, fmt.Errorf("charge key %q was refunded: %w", req.IdempotencyKey, orderflow.ErrPaymentDeclined)
	}
	if c, ok := l.charges[req.IdempotencyKey]; ok {
		if c.Amount != req.Amount {
			l.anomaly(req.OrderID, "charge key %q repeated with %s, first charged %s", req.IdempotencyKey, req.Amount, c.Amount)
		}
		return paymentResult(c), nil
	}
	if l.terms[req.OrderID].Decline {
		return orderflow.PaymentResult{}, fmt.Errorf("card declined: %w", orderflow.ErrPaymentDeclined)
	}
	c := &charge{Key: req.IdempotencyKey, OrderID: req.OrderID, TransactionID: l.newID("TXN-", 12), Amount: req.Amount}
	l.charges[req.IdempotencyKey] = c
	return paymentResult(c), nil
}

func paymentResult(c *charge) orderflow.PaymentResult {
	return orderflow.PaymentResult{TransactionID: c.TransactionID, Amount: c.Amount,
		Message: fmt.Sprintf("Payment of %s processed successfully", c.Amount)}
}

// Refund returns the whole charge under req.ChargeKey, and leaves a
// tombstone on the key either way.
func (l *ledger) Refund(req orderflow.RefundRequest) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.charges[req.ChargeKey]
	switch {
	case ok && req.TransactionID != "" && req.TransactionID != c.TransactionID:
		l.anomaly(req.OrderID, "refund of transaction %q under key %q, which charged %q", req.TransactionID, req.ChargeKey, c.TransactionID)
		return fmt.Errorf("transaction %q is not the charge under %q: %w", req.TransactionID, req.ChargeKey, orderflow.ErrPermanent)
	case !ok && req.TransactionID != "":
		l.anomaly(req.OrderID, "refund of transaction %q under key %q, which never charged", req.TransactionID, req.ChargeKey)
	case ok && !c.Refunded && l.terms[req.OrderID].RefuseRefund:
		l.refusals++
		return fmt.Errorf("refund of %s refused by the card issuer: %w", c.TransactionID, orderflow.ErrPermanent)
	}
	if ok {
		c.Refunded = true
	}
	l.refunded[req.ChargeKey] = true
	return nil
}

// Reserve holds stock once per key. A key that was released, before or
// after it reserved, holds nothing and is out of stock.
func (l *ledger) Reserve(req orderflow.ReserveRequest) (orderflow.InventoryResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released[req.IdempotencyKey] {
		return orderflow.InventoryResult{}, fmt.Errorf("reserve key %q was released: %w", req.IdempotencyKey, orderflow.ErrOutOfStock)
	}
	if r, ok := l.reservations[req.IdempotencyKey]; ok {
		return inventoryResult(r, len(req.Items)), nil
	}
	if l.terms[req.OrderID].OutOfStock {
		return orderflow.InventoryResult{}, fmt.Errorf("order %s: %w", req.OrderID, orderflow.ErrOutOfStock)
	}
	r := &reservation{Key: req.IdempotencyKey, OrderID: req.OrderID, ReservationID: l.newID("RES-", 12)}
	for _, it := range req.Items {
		r.Units += it.Quantity
	}
	l.reservations[req.IdempotencyKey] = r
	return inventoryResult(r, len(req.Items)), nil
}

func inventoryResult(r *reservation, items int) orderflow.InventoryResult {
	return orderflow.InventoryResult{ReservationID: r.ReservationID,
		Message: fmt.Sprintf("Reserved %d item(s) successfully", items)}
}

// Release gives back the whole reservation under req.ReserveKey, and leaves
// a tombstone on the key either way.
func (l *ledger) Release(req orderflow.ReleaseRequest) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.reservations[req.ReserveKey]
	switch {
	case ok && req.ReservationID != "" && req.ReservationID != r.ReservationID:
		l.anomaly(req.OrderID, "release of %q under key %q, which reserved %q", req.ReservationID, req.ReserveKey, r.ReservationID)
		return fmt.Errorf("reservation %q is not the one under %q: %w", req.ReservationID, req.ReserveKey, orderflow.ErrPermanent)
	case !ok && req.ReservationID != "":
		l.anomaly(req.OrderID, "release of %q under key %q, which never reserved", req.ReservationID, req.ReserveKey)
	case ok && !r.Released && l.terms[req.OrderID].RefuseRelease:
		l.refusals++
		return fmt.Errorf("release of %s refused by the warehouse: %w", r.ReservationID, orderflow.ErrPermanent)
	}
	if ok {
		r.Released = true
	}
	l.released[req.ReserveKey] = true
	return nil
}

// Arrange books one shipment per key.
func (l *ledger) Arrange(req orderflow.DeliveryRequest) (orderflow.DeliveryResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.shipments[req.IdempotencyKey]; ok {
		return deliveryResult(s, req.Address), nil
	}
	if l.terms[req.OrderID].Undeliverable {
		return orderflow.DeliveryResult{}, fmt.Errorf("no carrier serves %q: %w", req.Address, orderflow.ErrUndeliverable)
	}
	s := &shipment{Key: req.IdempotencyKey, OrderID: req.OrderID, TrackingNumber: l.newID("TRACK-", 16)}
	l.shipments[req.IdempotencyKey] = s
	return deliveryResult(s, req.Address), nil
}

func deliveryResult(s *shipment, address string) orderflow.DeliveryResult {
	return orderflow.DeliveryResult{TrackingNumber: s.TrackingNumber,
		EstimatedDelivery: time.Now().AddDate(0, 0, 3).Format(time.DateOnly),
		Message:           "Delivery scheduled to " + address}
}

// Send records one email per key, unless the order's terms refuse it.
func (l *ledger) Send(msg orderflow.Email) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.terms[msg.OrderID].RefuseEmail {
		return fmt.Errorf("address %q refused: %w", msg.To, orderflow.ErrPermanent)
	}
	l.emails[msg.IdempotencyKey] = msg.OrderID
	return nil
}

// books is what the ledger holds for one order.
type books struct {
	Charges      []charge
	Reservations []reservation
	Shipments    []shipment
	Emails       int
	Anomalies    []string
}

// books returns a copy of what the ledger holds for orderID.
func (l *ledger) books(orderID string) books {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := books{Anomalies: append([]string(nil), l.anomalies[orderID]...)}
	for _, c := range l.charges {
		if c.OrderID == orderID {
			b.Charges = append(b.Charges, *c)
		}
	}
	for _, r := range l.reservations {
		if r.OrderID == orderID {
			b.Reservations = append(b.Reservations, *r)
		}
	}
	for _, s := range l.shipments {
		if s.OrderID == orderID {
			b.Shipments = append(b.Shipments, *s)
		}
	}
	for _, id := range l.emails {
		if id == orderID {
			b.Emails++
		}
	}
	return b
}

// refusalCount returns how many refunds and releases were refused.
func (l *ledger) refusalCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refusals
}

// liveCharges returns the charges not refunded.
func (b books) liveCharges() []charge {
	var out []charge
	for _, c := range b.Charges {
		if !c.Refunded {
			out = append(out, c)
		}
	}
	return out
}

// keptReservations returns the reservations not released.
func (b books) keptReservations() []reservation {
	var out []reservation
	for _, r := range b.Reservations {
		if !r.Released {
			out = append(out, r)
		}
	}
	return out
}
