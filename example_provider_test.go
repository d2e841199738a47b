package orderflow_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/orderflow/orderflow"
)

// gateway stands for a payment service's SDK. Like most real gateways, it
// accepts an idempotency key and reports declines with a code.
type gateway struct {
	mu      sync.Mutex
	byKey   map[string]string // idempotency key → transaction ID
	refunds map[string]bool
}

var errCardDeclined = errors.New("gateway: card_declined")

func (g *gateway) charge(key string, cents int64, currency string) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if cents > 500000 {
		return "", errCardDeclined
	}
	if id, ok := g.byKey[key]; ok {
		return id, nil
	}
	id := fmt.Sprintf("ch_%03d", len(g.byKey)+1)
	g.byKey[key] = id
	return id, nil
}

func (g *gateway) refund(key, chargeKey string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, charged := g.byKey[chargeKey]; charged {
		g.refunds[chargeKey] = true
	}
	return nil
}

// GatewayPayments adapts the gateway to orderflow.PaymentProvider.
type GatewayPayments struct{ gw *gateway }

var _ orderflow.PaymentProvider = GatewayPayments{}

// Charge passes the idempotency key through, so a retried activity finds
// the first charge, and maps a decline to orderflow.ErrPaymentDeclined so the
// workflow stops retrying and fails the order.
func (p GatewayPayments) Charge(ctx context.Context, req orderflow.ChargeRequest) (orderflow.PaymentResult, error) {
	id, err := p.gw.charge(req.IdempotencyKey, req.Amount.Amount, req.Amount.Currency)
	if errors.Is(err, errCardDeclined) {
		return orderflow.PaymentResult{}, fmt.Errorf("order %s: %w: %w", req.OrderID, orderflow.ErrPaymentDeclined, err)
	}
	if err != nil {
		return orderflow.PaymentResult{}, err // transient: retried with the same key
	}
	return orderflow.PaymentResult{TransactionID: id, Amount: req.Amount,
		Message: fmt.Sprintf("Payment of %s processed successfully", req.Amount)}, nil
}

// Refund refunds by the charge's key, which also covers a charge whose
// reply was lost (the workflow then has no transaction ID).
func (p GatewayPayments) Refund(ctx context.Context, req orderflow.RefundRequest) error {
	return p.gw.refund(req.IdempotencyKey, req.ChargeKey)
}

// This example implements orderflow.PaymentProvider for a payment gateway.
// Run orderflowtest.TestPaymentProvider against such an implementation to
// check it keeps the contract.
func Example_paymentProvider() {
	p := GatewayPayments{gw: &gateway{byKey: map[string]string{}, refunds: map[string]bool{}}}
	ctx := context.Background()
	key := orderflow.IdempotencyKey(orderflow.WorkflowID("ORD-001"), orderflow.ActivityProcessPayment)
	req := orderflow.ChargeRequest{IdempotencyKey: key, OrderID: "ORD-001", Amount: orderflow.USD(8995)}

	first, _ := p.Charge(ctx, req)
	retry, _ := p.Charge(ctx, req) // a retry after a lost reply
	fmt.Println(first.TransactionID, retry.TransactionID, first.Message)

	big := orderflow.ChargeRequest{IdempotencyKey: "order-workflow-ORD-9/process_payment", OrderID: "ORD-9",
		Amount: orderflow.USD(900000)}
	_, err := p.Charge(ctx, big)
	fmt.Println(errors.Is(err, orderflow.ErrPaymentDeclined))
	// Output:
	// ch_001 ch_001 Payment of $89.95 processed successfully
	// true
}
