package orderflowtest

import (
	"context"
	"fmt"
	"time"

	"github.com/orderflow/orderflow"
)

var _ orderflow.PaymentProvider = (*Payments)(nil)

// Payments is an in-memory orderflow.PaymentProvider. It keeps every charge
// and refund, records every call (see Calls) and can be told to fail through
// ChargeFaults and RefundFaults.
//
// The zero Payments is ready to use. Set Latency and NewID before the first call;
// faults may be changed at any time. It is safe for concurrent use, and must
// not be copied after first use.
type Payments struct {
	// Latency is how long each call takes. A call returns ctx.Err() as soon
	// as its context ends. Zero means no delay.
	Latency time.Duration
	// NewID makes transaction IDs. If nil, IDs are "TXN-" and 12 random
	// upper-case hex digits, like the Python demo's. See SequentialIDs.
	NewID func(prefix string, digits int) string

	// ChargeFaults and RefundFaults inject failures into Charge and Refund.
	ChargeFaults Faults
	RefundFaults Faults

	recorder
	charges book[ChargeRecord, orderflow.RefundRequest]
	refunds []RefundRecord
}

// ChargeRecord is money taken by Payments.
type ChargeRecord struct {
	IdempotencyKey string
	OrderID        string
	TransactionID  string
	Amount         orderflow.Money
	// Refunded reports whether the charge has been refunded.
	Refunded bool
}

// RefundRecord is money returned by Payments.
type RefundRecord struct {
	IdempotencyKey string
	OrderID        string
	// ChargeKey and TransactionID identify the refunded charge.
	ChargeKey     string
	TransactionID string
	Amount        orderflow.Money
}

// Charge takes req.Amount, once per idempotency key: a repeated key with
// the same order and amount returns the first charge's result and takes
// nothing. A key first used for another order or amount takes nothing and
// fails with an error wrapping orderflow.ErrPermanent that names the key and
// what differs. A key that Refund has seen, before or after a charge under
// it, is declined: Charge then takes nothing and fails with an error
// wrapping orderflow.ErrPaymentDeclined.
func (p *Payments) Charge(ctx context.Context, req orderflow.ChargeRequest) (orderflow.PaymentResult, error) {
	in := invocation{method: "Charge", orderID: req.OrderID, key: req.IdempotencyKey, request: req,
		latency: p.Latency, faults: &p.ChargeFaults}
	return serve(ctx, &p.recorder, in, func() (orderflow.PaymentResult, error) {
		c, refunded := p.charges.lookup(req.IdempotencyKey)
		if c != nil {
			var r reuse
			r.add(c.OrderID != req.OrderID, "order %q, now %q", c.OrderID, req.OrderID)
			r.add(c.Amount != req.Amount, "amount %s, now %s", c.Amount, req.Amount)
			if err := r.err("charge", req.IdempotencyKey, "nothing was charged"); err != nil {
				return orderflow.PaymentResult{}, err
			}
		}
		switch {
		case refunded && c != nil:
			return orderflow.PaymentResult{}, fmt.Errorf("orderflowtest: charge key %q was refunded; a refunded charge stays refunded: %w",
				req.IdempotencyKey, orderflow.ErrPaymentDeclined)
		case refunded:
			return orderflow.PaymentResult{}, fmt.Errorf("orderflowtest: charge key %q was refunded before it charged; the order is being compensated: %w",
				req.IdempotencyKey, orderflow.ErrPaymentDeclined)
		case c != nil:
			return paymentResult(*c), nil
		}
		return paymentResult(p.charges.add(req.IdempotencyKey, ChargeRecord{IdempotencyKey: req.IdempotencyKey,
			OrderID: req.OrderID, TransactionID: newID(p.NewID, "TXN-", 12), Amount: req.Amount})), nil
	})
}

func paymentResult(c ChargeRecord) orderflow.PaymentResult {
	return orderflow.PaymentResult{TransactionID: c.TransactionID, Amount: c.Amount,
		Message: fmt.Sprintf("Payment of %s processed successfully", c.Amount)}
}

// Refund returns the whole charge made under req.ChargeKey, whatever
// req.Amount says. It succeeds without effect when the charge is already
// refunded, or when req.IdempotencyKey has already refunded it. A
// req.IdempotencyKey first used for another order, charge key or amount
// returns nothing and fails with an error wrapping orderflow.ErrPermanent.
// When there is no such charge it succeeds too, leaving a tombstone: a later
// Charge with req.ChargeKey takes nothing and is declined. A
// req.TransactionID that is not the charge's is a caller's bug, reported as
// an error wrapping orderflow.ErrPermanent.
func (p *Payments) Refund(ctx context.Context, req orderflow.RefundRequest) error {
	in := invocation{method: "Refund", orderID: req.OrderID, key: req.IdempotencyKey, request: req,
		latency: p.Latency, faults: &p.RefundFaults}
	return serveErr(ctx, &p.recorder, in, func() error {
		if first, ok := p.charges.undoCall(req.IdempotencyKey); ok {
			var r reuse
			r.add(first.OrderID != req.OrderID, "order %q, now %q", first.OrderID, req.OrderID)
			r.add(first.ChargeKey != req.ChargeKey, "charge key %q, now %q", first.ChargeKey, req.ChargeKey)
			r.add(first.Amount != req.Amount, "amount %s, now %s", first.Amount, req.Amount)
			if err := r.err("refund", req.IdempotencyKey, "nothing was refunded"); err != nil {
				return err
			}
		}
		c, _ := p.charges.lookup(req.ChargeKey)
		if c != nil && req.TransactionID != "" && req.TransactionID != c.TransactionID {
			return fmt.Errorf("orderflowtest: refund: transaction %q is not the charge under key %q (%q): %w",
				req.TransactionID, req.ChargeKey, c.TransactionID, orderflow.ErrPermanent)
		}
		if !p.charges.undo(req.ChargeKey, req.IdempotencyKey, req) || c == nil || c.Refunded {
			return nil
		}
		c.Refunded = true
		p.refunds = append(p.refunds, RefundRecord{IdempotencyKey: req.IdempotencyKey, OrderID: c.OrderID,
			ChargeKey: req.ChargeKey, TransactionID: c.TransactionID, Amount: c.Amount})
		return nil
	})
}

// Held returns the money held for orderID: its charges minus its
// refunds. It is the zero Money when the order was never charged, and zero
// in the charge's currency when everything was refunded.
func (p *Payments) Held(orderID string) orderflow.Money {
	p.mu.Lock()
	defer p.mu.Unlock()
	var m orderflow.Money
	for _, c := range p.charges.records {
		if c.OrderID == orderID {
			m.Currency = c.Amount.Currency
			if !c.Refunded {
				m.Amount += c.Amount.Amount
			}
		}
	}
	return m
}

// Charges returns the charges made, in order, refunded ones included.
func (p *Payments) Charges() []ChargeRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.charges.all()
}

// Refunds returns the refunds that returned money, in order. Refunds without
// effect are not listed; they are in Calls.
func (p *Payments) Refunds() []RefundRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]RefundRecord(nil), p.refunds...)
}
