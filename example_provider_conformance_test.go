package orderflow_test

import (
	"testing"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
)

// gatewayHarness runs the payment conformance suite against the package
// example's GatewayPayments, so that the provider shown in the docs keeps
// the contract it tells readers to check.
type gatewayHarness struct {
	t *testing.T
	p GatewayPayments
}

func (h gatewayHarness) Provider() orderflow.PaymentProvider  { return h.p }
func (h gatewayHarness) Decline(req *orderflow.ChargeRequest) { req.Amount = orderflow.USD(900000) }
func (h gatewayHarness) Held(orderID string) orderflow.Money {
	return orderflow.USD(h.p.gw.held(orderID))
}
func (h gatewayHarness) Slow() { h.t.Skip("the example gateway answers at once") }

func TestExamplePaymentProviderConforms(t *testing.T) {
	orderflowtest.TestPaymentProvider(t, func(t *testing.T) orderflowtest.PaymentHarness {
		return gatewayHarness{t: t, p: GatewayPayments{gw: newGateway()}}
	})
}
