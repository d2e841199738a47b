// Package orderflowtest helps test code built on orderflow, and provider
// implementations for it.
//
// # In-memory providers
//
// Payments, Inventory, Delivery and Mailer implement orderflow's four
// provider interfaces in memory, keeping the contract the interfaces
// document (idempotency keys, refunds and releases by key, the permanent
// error sentinels). Each records its calls (Calls), shows its effects
// (Payments.Held, Inventory.Reserved, Delivery.Shipments, Mailer.Sent),
// can be told to fail through a Faults value per method, and can take a
// simulated Latency. Their identifiers and messages are the Python demo's:
// "TXN-" and 12 hex digits, "Payment of $89.95 processed successfully".
// NewActivities wires fresh ones into an *orderflow.Activities:
//
//	acts, providers := orderflowtest.NewActivities()
//	providers.Inventory.SetStock("LAPTOP-001", 0) // out of stock
//	providers.Payment.ChargeFaults.FailNext(2, orderflowtest.ErrTransient) // retried
//	if err := orderflow.Register(env, acts); err != nil { … }
//
// # Conformance suites
//
// TestPaymentProvider, TestInventoryProvider, TestDeliveryProvider and
// TestEmailProvider check a provider against its contract, one subtest per
// clause, in the manner of testing/slogtest. An implementer runs them against
// a sandbox through a small harness that supplies what only they know: how
// to make a payment decline, an item run out, and how to observe the money
// taken or the stock held.
//
//	func TestGatewayConformance(t *testing.T) {
//		orderflowtest.TestPaymentProvider(t, func(t *testing.T) orderflowtest.PaymentHarness {
//			return &gatewayHarness{t: t, gw: newSandboxGateway(t)}
//		})
//	}
//
// The in-memory providers run these same suites, so they cannot drift from
// the contract.
package orderflowtest
