package crashtest

import (
	"testing"
	"time"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
)

// The crashtest providers run orderflow's conformance suites: every clause
// gets a fresh ledger, served over HTTP in this process with no faults, and
// a ledgerClient talking to it. Stimuli are the ledger's per-order terms;
// observations are its books.

// slowCalls is how long the ledger delays calls after Slow; the suites
// cancel them long before.
const slowCalls = time.Minute

// conformanceHarness implements the four harnesses of orderflowtest.
type conformanceHarness struct {
	t      *testing.T
	ledger *ledger
	client *ledgerClient
}

func newConformanceHarness(t *testing.T) *conformanceHarness {
	h := &conformanceHarness{t: t, ledger: newLedger()}
	h.serve(rates{})
	return h
}

// serve starts a service of h's ledger with faults r, and points h's
// client at it.
func (h *conformanceHarness) serve(r rates) {
	h.t.Helper()
	s, err := startService(h.ledger, newInjector(1, r, slowCalls))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(s.close)
	h.client = newLedgerClient(s.url)
}

// Slow serves the ledger again with every call slow: it takes effect after
// the injector's timeout, a minute. Only the cancellation clauses call it.
func (h *conformanceHarness) Slow() { h.serve(rates{Slow: 1}) }

func (h *conformanceHarness) Decline(req *orderflow.ChargeRequest) {
	h.ledger.setTerms(req.OrderID, terms{Decline: true})
}

func (h *conformanceHarness) Held(orderID string) orderflow.Money {
	var held orderflow.Money
	for _, c := range h.ledger.books(orderID).liveCharges() {
		held.Amount += c.Amount.Amount
		held.Currency = c.Amount.Currency
	}
	return held
}

func (h *conformanceHarness) Items() []orderflow.Item {
	return []orderflow.Item{
		{ProductID: "LAPTOP-001", ProductName: "Laptop", Quantity: 1, UnitPrice: orderflow.USD(89999)},
		{ProductID: "MOUSE-001", ProductName: "Mouse", Quantity: 2, UnitPrice: orderflow.USD(2999)},
	}
}

func (h *conformanceHarness) OutOfStock(req *orderflow.ReserveRequest) {
	h.ledger.setTerms(req.OrderID, terms{OutOfStock: true})
}

func (h *conformanceHarness) Reserved(orderID string) int64 {
	var n int64
	for _, r := range h.ledger.books(orderID).keptReservations() {
		n += r.Units
	}
	return n
}

func (h *conformanceHarness) Undeliverable(req *orderflow.DeliveryRequest) {
	h.ledger.setTerms(req.OrderID, terms{Undeliverable: true})
}

func (h *conformanceHarness) Shipments(orderID string) int {
	return len(h.ledger.books(orderID).Shipments)
}

func (h *conformanceHarness) Refuse(msg *orderflow.Email) {
	h.ledger.setTerms(msg.OrderID, terms{RefuseEmail: true})
}

func (h *conformanceHarness) Sent(orderID string) int { return h.ledger.books(orderID).Emails }

type (
	paymentHarness   struct{ *conformanceHarness }
	inventoryHarness struct{ *conformanceHarness }
	deliveryHarness  struct{ *conformanceHarness }
	emailHarness     struct{ *conformanceHarness }
)

func (h paymentHarness) Provider() orderflow.PaymentProvider     { return h.client }
func (h inventoryHarness) Provider() orderflow.InventoryProvider { return h.client }
func (h deliveryHarness) Provider() orderflow.DeliveryProvider   { return h.client }
func (h emailHarness) Provider() orderflow.EmailProvider         { return h.client }

func TestPaymentConformance(t *testing.T) {
	orderflowtest.TestPaymentProvider(t, func(t *testing.T) orderflowtest.PaymentHarness {
		return paymentHarness{newConformanceHarness(t)}
	})
}

func TestInventoryConformance(t *testing.T) {
	orderflowtest.TestInventoryProvider(t, func(t *testing.T) orderflowtest.InventoryHarness {
		return inventoryHarness{newConformanceHarness(t)}
	})
}

func TestDeliveryConformance(t *testing.T) {
	orderflowtest.TestDeliveryProvider(t, func(t *testing.T) orderflowtest.DeliveryHarness {
		return deliveryHarness{newConformanceHarness(t)}
	})
}

func TestEmailConformance(t *testing.T) {
	orderflowtest.TestEmailProvider(t, func(t *testing.T) orderflowtest.EmailHarness {
		return emailHarness{newConformanceHarness(t)}
	})
}
