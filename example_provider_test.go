package orderflow_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/orderflow/orderflow"
)

// gateway stands for a payment service's SDK. Like most real gateways, it
// accepts an idempotency key, reports declines with a code, and refunds by
// the key of the charge.
type gateway struct {
	mu      sync.Mutex
	charges map[string]*gatewayCharge // idempotency key → charge
	voided  map[string]bool           // keys refunded, charged or not
	refunds map[string]string         // refund key → the charge key it voided
}

type gatewayCharge struct {
	id, orderID string
	cents       int64
	refunded    bool
}

var (
	errCardDeclined = errors.New("gateway: card_declined")
	errKeyVoided    = errors.New("gateway: idempotency_key_voided")
	errKeyReused    = errors.New("gateway: idempotency_key_reused_with_other_parameters")
)

func newGateway() *gateway {
	return &gateway{charges: map[string]*gatewayCharge{}, voided: map[string]bool{}, refunds: map[string]string{}}
}

func (g *gateway) charge(key, orderID string, cents int64) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch c, ok := g.charges[key]; {
	case ok && (c.orderID != orderID || c.cents != cents):
		return "", errKeyReused
	case g.voided[key]:
		return "", errKeyVoided
	case ok:
		return c.id, nil
	case cents > 500000:
		return "", errCardDeclined
	}
	c := &gatewayCharge{id: fmt.Sprintf("ch_%03d", len(g.charges)+1), orderID: orderID, cents: cents}
	g.charges[key] = c
	return c.id, nil
}

// refund voids chargeKey, whether or not it has charged yet, under the
// refund's own key.
func (g *gateway) refund(key, chargeKey string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if prev, ok := g.refunds[key]; ok && prev != chargeKey {
		return errKeyReused
	}
	g.refunds[key] = chargeKey
	g.voided[chargeKey] = true
	if c, ok := g.charges[chargeKey]; ok {
		c.refunded = true
	}
	return nil
}

// held returns the cents charged and not refunded for orderID.
func (g *gateway) held(orderID string) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	var n int64
	for _, c := range g.charges {
		if c.orderID == orderID && !c.refunded {
			n += c.cents
		}
	}
	return n
}

// GatewayPayments adapts the gateway to orderflow.PaymentProvider.
type GatewayPayments struct{ gw *gateway }

var _ orderflow.PaymentProvider = GatewayPayments{}

// Charge passes the idempotency key through, so a retried activity finds
// the first charge, and maps a decline to orderflow.ErrPaymentDeclined so the
// workflow stops retrying and fails the order.
func (p GatewayPayments) Charge(ctx context.Context, req orderflow.ChargeRequest) (orderflow.PaymentResult, error) {
	if err := ctx.Err(); err != nil {
		return orderflow.PaymentResult{}, err
	}
	id, err := p.gw.charge(req.IdempotencyKey, req.OrderID, req.Amount.Amount)
	if errors.Is(err, errCardDeclined) || errors.Is(err, errKeyVoided) {
		return orderflow.PaymentResult{}, fmt.Errorf("order %s: %w: %w", req.OrderID, orderflow.ErrPaymentDeclined, err)
	}
	if errors.Is(err, errKeyReused) { // a key names one charge: this call took nothing
		return orderflow.PaymentResult{}, fmt.Errorf("order %s: %w: %w", req.OrderID, orderflow.ErrPermanent, err)
	}
	if err != nil {
		return orderflow.PaymentResult{}, err // transient: retried with the same key
	}
	return orderflow.PaymentResult{TransactionID: id, Amount: req.Amount,
		Message: fmt.Sprintf("Payment of %s processed successfully", req.Amount)}, nil
}

// Refund refunds by the charge's key, which also covers a charge whose
// reply was lost (the workflow then has no transaction ID). The gateway
// voids the key, so a charge still in flight, or the order run again, is
// declined instead of taking money that nobody returns.
func (p GatewayPayments) Refund(ctx context.Context, req orderflow.RefundRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.gw.refund(req.IdempotencyKey, req.ChargeKey); err != nil {
		return fmt.Errorf("order %s: %w: %w", req.OrderID, orderflow.ErrPermanent, err)
	}
	return nil
}

// This example implements orderflow.PaymentProvider for a payment gateway.
// Run orderflowtest.TestPaymentProvider against such an implementation to
// check it keeps the contract (this package's tests run it against this one).
func Example_paymentProvider() {
	p := GatewayPayments{gw: newGateway()}
	ctx := context.Background()
	key := orderflow.IdempotencyKey("ORD-001", orderflow.ActivityProcessPayment)
	req := orderflow.ChargeRequest{IdempotencyKey: key, OrderID: "ORD-001", Amount: orderflow.USD(8995)}

	first, _ := p.Charge(ctx, req)
	retry, _ := p.Charge(ctx, req) // a retry after a lost reply
	fmt.Println(first.TransactionID, retry.TransactionID, first.Message)

	big := orderflow.ChargeRequest{IdempotencyKey: "ORD-9/process_payment", OrderID: "ORD-9",
		Amount: orderflow.USD(900000)}
	_, err := p.Charge(ctx, big)
	fmt.Println(errors.Is(err, orderflow.ErrPaymentDeclined))

	_ = p.Refund(ctx, orderflow.RefundRequest{OrderID: "ORD-001", ChargeKey: key})
	_, err = p.Charge(ctx, req) // the order run again after it was compensated
	fmt.Println(errors.Is(err, orderflow.ErrPaymentDeclined))
	// Output:
	// ch_001 ch_001 Payment of $89.95 processed successfully
	// true
	// true
}
