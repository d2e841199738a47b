package crashtest

import (
	"fmt"
	"slices"
	"strings"
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
	Items                       []orderflow.Item // as first requested; never changed
	Units                       int64            // over all items
	Released                    bool
}

// shipment is a delivery the ledger booked.
type shipment struct {
	Key, OrderID, TrackingNumber string
	Address                      string
	Items                        []orderflow.Item // as first requested; never changed
	EstimatedDelivery            string           // YYYY-MM-DD
}

// ledger is the providers' books: the one place that knows what really
// happened to each order. It implements orderflow's provider contract
// exactly: in particular a key names one request, and a call that reuses a
// key for another request does nothing and fails with an error wrapping
// orderflow.ErrPermanent (and is noted as an anomaly of both orders), while
// the same request again gets the first answer. It is safe for concurrent
// use.
type ledger struct {
	mu           sync.Mutex
	terms        map[string]terms // by order ID
	charges      map[string]*charge
	refunded     map[string]bool                    // charge keys refunded, or tombstoned by a refund that found nothing
	refunds      map[string]orderflow.RefundRequest // refund key → the first request answered under it
	reservations map[string]*reservation
	released     map[string]bool                     // reserve keys released or tombstoned
	releases     map[string]orderflow.ReleaseRequest // release key → the first request answered under it
	shipments    map[string]*shipment
	emails       map[string]orderflow.Email // email key → the message sent under it
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
		refunds:      map[string]orderflow.RefundRequest{},
		reservations: map[string]*reservation{},
		released:     map[string]bool{},
		releases:     map[string]orderflow.ReleaseRequest{},
		shipments:    map[string]*shipment{},
		emails:       map[string]orderflow.Email{},
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

// reuse collects how a request differs from the first request answered
// under its idempotency key. Customer data (addresses, email addresses) is
// named, never shown: error messages reach workflow histories.
type reuse []string

// add notes a difference when differs, described by format and args.
func (r *reuse) add(differs bool, format string, args ...any) {
	if differs {
		*r = append(*r, fmt.Sprintf(format, args...))
	}
}

// refuse returns nil when nothing differs. Otherwise it notes the reuse as
// an anomaly of the request's order and of the first request's order, and
// returns the permanent failure of a call that reused key for another
// request and did nothing: "nothing was charged" says what.
func (l *ledger) refuse(r reuse, what, key, firstOrderID, orderID, nothing string) error {
	if len(r) == 0 {
		return nil
	}
	differs := strings.Join(r, "; ")
	l.anomaly(orderID, "%s key %q reused for another request (%s)", what, key, differs)
	if firstOrderID != orderID {
		l.anomaly(firstOrderID, "%s key %q reused for another request (%s)", what, key, differs)
	}
	return fmt.Errorf("%s key %q was first used for another request (%s); %s: %w",
		what, key, differs, nothing, orderflow.ErrPermanent)
}

// Charge takes money once per key. A key that charged another order or
// amount takes nothing and fails with ErrPermanent. A key that was refunded,
// before or after it charged, takes nothing and is declined.
func (l *ledger) Charge(req orderflow.ChargeRequest) (orderflow.PaymentResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.charges[req.IdempotencyKey]
	if ok {
		var r reuse
		r.add(c.OrderID != req.OrderID, "order %q, now %q", c.OrderID, req.OrderID)
		r.add(c.Amount != req.Amount, "amount %s, now %s", c.Amount, req.Amount)
		if err := l.refuse(r, "charge", req.IdempotencyKey, c.OrderID, req.OrderID, "nothing was charged"); err != nil {
			return orderflow.PaymentResult{}, err
		}
	}
	if l.refunded[req.IdempotencyKey] {
		return orderflow.PaymentResult{}, fmt.Errorf("charge key %q was refunded: %w", req.IdempotencyKey, orderflow.ErrPaymentDeclined)
	}
	if ok {
		return paymentResult(c), nil
	}
	if l.terms[req.OrderID].Decline {
		return orderflow.PaymentResult{}, fmt.Errorf("card declined: %w", orderflow.ErrPaymentDeclined)
	}
	c = &charge{Key: req.IdempotencyKey, OrderID: req.OrderID, TransactionID: l.newID("TXN-", 12), Amount: req.Amount}
	l.charges[req.IdempotencyKey] = c
	return paymentResult(c), nil
}

func paymentResult(c *charge) orderflow.PaymentResult {
	return orderflow.PaymentResult{TransactionID: c.TransactionID, Amount: c.Amount,
		Message: fmt.Sprintf("Payment of %s processed successfully", c.Amount)}
}

// Refund returns the whole charge under req.ChargeKey, and leaves a
// tombstone on the key either way. A refund key first used for another
// order, charge key or amount moves no money and fails with ErrPermanent.
func (l *ledger) Refund(req orderflow.RefundRequest) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if first, seen := l.refunds[req.IdempotencyKey]; seen {
		var r reuse
		r.add(first.OrderID != req.OrderID, "order %q, now %q", first.OrderID, req.OrderID)
		r.add(first.ChargeKey != req.ChargeKey, "charge key %q, now %q", first.ChargeKey, req.ChargeKey)
		r.add(first.Amount != req.Amount, "amount %s, now %s", first.Amount, req.Amount)
		if err := l.refuse(r, "refund", req.IdempotencyKey, first.OrderID, req.OrderID, "nothing was refunded"); err != nil {
			return err
		}
	} else {
		l.refunds[req.IdempotencyKey] = req
	}
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

// Reserve holds stock once per key. A key that reserved for another order
// or other items holds nothing and fails with ErrPermanent. A key that was
// released, before or after it reserved, holds nothing and is out of stock.
func (l *ledger) Reserve(req orderflow.ReserveRequest) (orderflow.InventoryResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.reservations[req.IdempotencyKey]
	if ok {
		var d reuse
		d.add(r.OrderID != req.OrderID, "order %q, now %q", r.OrderID, req.OrderID)
		d.add(!slices.Equal(r.Items, req.Items), "other items")
		if err := l.refuse(d, "reserve", req.IdempotencyKey, r.OrderID, req.OrderID, "nothing was reserved"); err != nil {
			return orderflow.InventoryResult{}, err
		}
	}
	if l.released[req.IdempotencyKey] {
		return orderflow.InventoryResult{}, fmt.Errorf("reserve key %q was released: %w", req.IdempotencyKey, orderflow.ErrOutOfStock)
	}
	if ok {
		return inventoryResult(r), nil
	}
	if l.terms[req.OrderID].OutOfStock {
		return orderflow.InventoryResult{}, fmt.Errorf("order %s: %w", req.OrderID, orderflow.ErrOutOfStock)
	}
	r = &reservation{Key: req.IdempotencyKey, OrderID: req.OrderID, ReservationID: l.newID("RES-", 12),
		Items: slices.Clone(req.Items)}
	for _, it := range req.Items {
		r.Units += it.Quantity
	}
	l.reservations[req.IdempotencyKey] = r
	return inventoryResult(r), nil
}

func inventoryResult(r *reservation) orderflow.InventoryResult {
	return orderflow.InventoryResult{ReservationID: r.ReservationID,
		Message: fmt.Sprintf("Reserved %d item(s) successfully", len(r.Items))}
}

// Release gives back the whole reservation under req.ReserveKey, and leaves
// a tombstone on the key either way. A release key first used for another
// order, reserve key or items gives nothing back and fails with
// ErrPermanent.
func (l *ledger) Release(req orderflow.ReleaseRequest) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if first, seen := l.releases[req.IdempotencyKey]; seen {
		var d reuse
		d.add(first.OrderID != req.OrderID, "order %q, now %q", first.OrderID, req.OrderID)
		d.add(first.ReserveKey != req.ReserveKey, "reserve key %q, now %q", first.ReserveKey, req.ReserveKey)
		d.add(!slices.Equal(first.Items, req.Items), "other items")
		if err := l.refuse(d, "release", req.IdempotencyKey, first.OrderID, req.OrderID, "nothing was released"); err != nil {
			return err
		}
	} else {
		l.releases[req.IdempotencyKey] = req
	}
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

// Arrange books one shipment per key, and answers the key with that
// booking. A key that booked for another order, address or items books
// nothing and fails with ErrPermanent.
func (l *ledger) Arrange(req orderflow.DeliveryRequest) (orderflow.DeliveryResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.shipments[req.IdempotencyKey]; ok {
		var r reuse
		r.add(s.OrderID != req.OrderID, "order %q, now %q", s.OrderID, req.OrderID)
		r.add(s.Address != req.Address, "another address")
		r.add(!slices.Equal(s.Items, req.Items), "other items")
		if err := l.refuse(r, "delivery", req.IdempotencyKey, s.OrderID, req.OrderID, "nothing was booked"); err != nil {
			return orderflow.DeliveryResult{}, err
		}
		return deliveryResult(s), nil
	}
	if l.terms[req.OrderID].Undeliverable {
		return orderflow.DeliveryResult{}, fmt.Errorf("no carrier serves %q: %w", req.Address, orderflow.ErrUndeliverable)
	}
	s := &shipment{Key: req.IdempotencyKey, OrderID: req.OrderID, TrackingNumber: l.newID("TRACK-", 16),
		Address: req.Address, Items: slices.Clone(req.Items),
		EstimatedDelivery: time.Now().AddDate(0, 0, 3).Format(time.DateOnly)}
	l.shipments[req.IdempotencyKey] = s
	return deliveryResult(s), nil
}

func deliveryResult(s *shipment) orderflow.DeliveryResult {
	return orderflow.DeliveryResult{TrackingNumber: s.TrackingNumber, EstimatedDelivery: s.EstimatedDelivery,
		Message: "Delivery scheduled to " + s.Address}
}

// Send records one email per key, unless the order's terms refuse it. A
// key that sent for another order, kind or recipient sends nothing and
// fails with ErrPermanent.
func (l *ledger) Send(msg orderflow.Email) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if first, ok := l.emails[msg.IdempotencyKey]; ok {
		var r reuse
		r.add(first.OrderID != msg.OrderID, "order %q, now %q", first.OrderID, msg.OrderID)
		r.add(first.Kind != msg.Kind, "kind %q, now %q", first.Kind, msg.Kind)
		r.add(first.To != msg.To, "another recipient")
		return l.refuse(r, "email", msg.IdempotencyKey, first.OrderID, msg.OrderID, "nothing was sent")
	}
	if l.terms[msg.OrderID].RefuseEmail {
		return fmt.Errorf("address %q refused: %w", msg.To, orderflow.ErrPermanent)
	}
	l.emails[msg.IdempotencyKey] = msg
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
	for _, msg := range l.emails {
		if msg.OrderID == orderID {
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
