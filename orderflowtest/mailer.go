package orderflowtest

import (
	"context"
	"fmt"
	"net/mail"
	"time"

	"github.com/orderflow/orderflow"
)

var _ orderflow.EmailProvider = (*Mailer)(nil)

// Mailer is an in-memory orderflow.EmailProvider. It keeps every message
// sent, refuses an address that does not parse with an error wrapping
// orderflow.ErrPermanent, records every call (see Calls) and can be told to
// fail through SendFaults.
//
// The zero Mailer is ready to use. Set Latency before the first call;
// faults may be changed at any time. It is safe for concurrent use, and must
// not be copied after first use.
type Mailer struct {
	// Latency is how long each call takes. A call returns ctx.Err() as soon
	// as its context ends. Zero means no delay.
	Latency time.Duration

	// SendFaults injects failures into Send.
	SendFaults Faults

	recorder
	sent []orderflow.Email
	keys map[string]int // idempotency key → index in sent
}

// Send keeps msg as sent, once per idempotency key: a repeated key with the
// same order, kind and recipient sends nothing. A key first used for
// another order, kind or recipient sends nothing and fails with an error
// wrapping orderflow.ErrPermanent that names the key and what differs (not
// the addresses).
func (m *Mailer) Send(ctx context.Context, msg orderflow.Email) error {
	in := invocation{method: "Send", orderID: msg.OrderID, key: msg.IdempotencyKey, request: msg,
		latency: m.Latency, faults: &m.SendFaults}
	return serveErr(ctx, &m.recorder, in, func() error {
		if i, ok := m.keys[msg.IdempotencyKey]; ok {
			first := m.sent[i]
			var r reuse
			r.add(first.OrderID != msg.OrderID, "order %q, now %q", first.OrderID, msg.OrderID)
			r.add(first.Kind != msg.Kind, "kind %q, now %q", first.Kind, msg.Kind)
			r.add(first.To != msg.To, "another recipient")
			return r.err("email", msg.IdempotencyKey, "nothing was sent")
		}
		if _, err := mail.ParseAddress(msg.To); err != nil {
			return fmt.Errorf("orderflowtest: address %q refused: %v: %w", msg.To, err, orderflow.ErrPermanent)
		}
		if m.keys == nil {
			m.keys = make(map[string]int)
		}
		m.keys[msg.IdempotencyKey] = len(m.sent)
		m.sent = append(m.sent, msg)
		return nil
	})
}

// Sent returns the messages sent, in order.
func (m *Mailer) Sent() []orderflow.Email {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]orderflow.Email(nil), m.sent...)
}
