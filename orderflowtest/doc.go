// Package orderflowtest helps test code built on orderflow, and provider
// implementations for it.
//
// # In-memory providers
//
// Payments, Inventory, Delivery and Mailer implement orderflow's four
// provider interfaces in memory, keeping the contract the interfaces
// document (idempotency keys, refunds and releases by key, the permanent
// error sentinels). A key reused for a different request (another order,
// amount, items, address or recipient) does nothing and fails with an error
// wrapping orderflow.ErrPermanent that names the key and what differs. They
// keep keys and tombstones for as long as they live. Each records its calls
// (Calls), shows its effects (Payments.Held, Inventory.Reserved,
// Delivery.Shipments, Mailer.Sent), can be told to fail through a Faults
// value per method, and can take a simulated Latency. Their identifiers and messages are the Python demo's:
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
// The suites check, among the rest, that a key reused for a different request
// (another order, amount, items, address or recipient) takes nothing and
// fails with an error wrapping orderflow.ErrPermanent. What they cannot check
// is how long a provider keeps its keys: keep every key, with its request,
// and every tombstone (a key refunded or released) for as long as the
// order's workflow can exist, plus a safety margin. That is while it runs,
// without bound (delivery and compensations retry until answered), and for
// the Temporal namespace's retention period after it closes, while it can be
// reset; in practice at least the retention period plus the margin after
// the order's last call, and never while its workflow may still run (see
// orderflow.PaymentProvider).
//
// The in-memory providers run these same suites, so they cannot drift from
// the contract.
package orderflowtest
