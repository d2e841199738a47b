package orderflowtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderflow/orderflow"
)

// The in-memory providers run the conformance suites, so that fake and
// contract cannot drift apart.

const slow = time.Minute // Slow's latency; the suites cancel long before

type paymentsHarness struct{ p *Payments }

func (h paymentsHarness) Provider() orderflow.PaymentProvider { return h.p }
func (h paymentsHarness) Decline(req *orderflow.ChargeRequest) {
	h.p.ChargeFaults.FailOrder(req.OrderID, fmt.Errorf("card ending 0002: %w", orderflow.ErrPaymentDeclined))
}
func (h paymentsHarness) Held(orderID string) orderflow.Money { return h.p.Held(orderID) }
func (h paymentsHarness) Slow()                               { h.p.Latency = slow }

type inventoryHarness struct{ inv *Inventory }

func (h inventoryHarness) Provider() orderflow.InventoryProvider { return h.inv }
func (h inventoryHarness) Items() []orderflow.Item {
	return []orderflow.Item{
		{ProductID: "LAPTOP-001", ProductName: "Laptop", Quantity: 1, UnitPrice: orderflow.USD(89999)},
		{ProductID: "MOUSE-001", ProductName: "Mouse", Quantity: 2, UnitPrice: orderflow.USD(2999)},
	}
}
func (h inventoryHarness) OutOfStock(req *orderflow.ReserveRequest) {
	h.inv.SetStock("SOLD-OUT", 0)
	req.Items = append(req.Items, orderflow.Item{ProductID: "SOLD-OUT", ProductName: "Sold out", Quantity: 1,
		UnitPrice: orderflow.USD(100)})
}
func (h inventoryHarness) Reserved(orderID string) int64 {
	var n int64
	for _, q := range h.inv.Reserved(orderID) {
		n += q
	}
	return n
}
func (h inventoryHarness) Slow() { h.inv.Latency = slow }

type deliveryHarness struct{ d *Delivery }

func (h deliveryHarness) Provider() orderflow.DeliveryProvider { return h.d }
func (h deliveryHarness) Undeliverable(req *orderflow.DeliveryRequest) {
	h.d.ArrangeFaults.FailOrder(req.OrderID, fmt.Errorf("no carrier serves %q: %w", req.Address, orderflow.ErrUndeliverable))
}
func (h deliveryHarness) Shipments(orderID string) int {
	return countFunc(h.d.Shipments(), func(s Shipment) bool { return s.OrderID == orderID })
}
func (h deliveryHarness) Slow() { h.d.Latency = slow }

type mailerHarness struct{ m *Mailer }

func (h mailerHarness) Provider() orderflow.EmailProvider { return h.m }
func (h mailerHarness) Refuse(msg *orderflow.Email)       { msg.To = "not an address" }
func (h mailerHarness) Sent(orderID string) int {
	return countFunc(h.m.Sent(), func(msg orderflow.Email) bool { return msg.OrderID == orderID })
}

func countFunc[T any](xs []T, match func(T) bool) int {
	n := 0
	for _, x := range xs {
		if match(x) {
			n++
		}
	}
	return n
}
func (h mailerHarness) Slow() { h.m.Latency = slow }

func TestPaymentsConformance(t *testing.T) {
	TestPaymentProvider(t, func(*testing.T) PaymentHarness { return paymentsHarness{new(Payments)} })
}

func TestInventoryConformance(t *testing.T) {
	TestInventoryProvider(t, func(*testing.T) InventoryHarness { return inventoryHarness{new(Inventory)} })
}

func TestInventoryConformanceWithLimitedStock(t *testing.T) {
	TestInventoryProvider(t, func(*testing.T) InventoryHarness {
		inv := new(Inventory)
		inv.SetStock("LAPTOP-001", 100)
		inv.SetStock("MOUSE-001", 200)
		return inventoryHarness{inv}
	})
}

func TestDeliveryConformance(t *testing.T) {
	TestDeliveryProvider(t, func(*testing.T) DeliveryHarness { return deliveryHarness{new(Delivery)} })
}

func TestDeliveryConformanceBlankAddress(t *testing.T) {
	TestDeliveryProvider(t, func(*testing.T) DeliveryHarness { return blankAddressHarness{deliveryHarness{new(Delivery)}} })
}

// blankAddressHarness makes orders undeliverable with a blank address
// rather than an injected fault, checking Delivery's own refusal.
type blankAddressHarness struct{ deliveryHarness }

func (blankAddressHarness) Undeliverable(req *orderflow.DeliveryRequest) { req.Address = "  " }

func TestMailerConformance(t *testing.T) {
	TestEmailProvider(t, func(*testing.T) EmailHarness { return mailerHarness{new(Mailer)} })
}

// The suites must catch a provider that breaks the contract. Each forgetful
// provider below forgets idempotency by giving every call a fresh key; each
// tombstoneless one keeps the old contract, under which a Refund or Release
// that finds nothing leaves no trace; each lenient one answers a key reused
// for another request as if it were the first. The suite runs against a broken
// provider in a child process, which must fail the named clause.

// brokenEnv tells the child process which broken provider to test.
const brokenEnv = "ORDERFLOWTEST_BROKEN"

var keyCount atomic.Int64

func freshKey(k string) string { return fmt.Sprintf("%s#%d", k, keyCount.Add(1)) }

type forgetfulPayments struct{ *Payments }

func (p forgetfulPayments) Charge(ctx context.Context, req orderflow.ChargeRequest) (orderflow.PaymentResult, error) {
	req.IdempotencyKey = freshKey(req.IdempotencyKey)
	return p.Payments.Charge(ctx, req)
}

type forgetfulInventory struct{ *Inventory }

func (inv forgetfulInventory) Reserve(ctx context.Context, req orderflow.ReserveRequest) (orderflow.InventoryResult, error) {
	req.IdempotencyKey = freshKey(req.IdempotencyKey)
	return inv.Inventory.Reserve(ctx, req)
}

type forgetfulDelivery struct{ *Delivery }

func (d forgetfulDelivery) Arrange(ctx context.Context, req orderflow.DeliveryRequest) (orderflow.DeliveryResult, error) {
	req.IdempotencyKey = freshKey(req.IdempotencyKey)
	return d.Delivery.Arrange(ctx, req)
}

type forgetfulMailer struct{ *Mailer }

func (m forgetfulMailer) Send(ctx context.Context, msg orderflow.Email) error {
	msg.IdempotencyKey = freshKey(msg.IdempotencyKey)
	return m.Mailer.Send(ctx, msg)
}

// tombstonelessPayments refunds like Payments, except that a Refund finding
// no charge has no effect at all, so a charge landing later takes money.
type tombstonelessPayments struct{ *Payments }

func (p tombstonelessPayments) Refund(ctx context.Context, req orderflow.RefundRequest) error {
	if !slices.ContainsFunc(p.Charges(), func(c ChargeRecord) bool { return c.IdempotencyKey == req.ChargeKey }) {
		return nil
	}
	return p.Payments.Refund(ctx, req)
}

// tombstonelessInventory is tombstonelessPayments for Inventory.
type tombstonelessInventory struct{ *Inventory }

func (inv tombstonelessInventory) Release(ctx context.Context, req orderflow.ReleaseRequest) error {
	if !slices.ContainsFunc(inv.Reservations(), func(r Reservation) bool { return r.IdempotencyKey == req.ReserveKey }) {
		return nil
	}
	return inv.Inventory.Release(ctx, req)
}

// revivingPayments keeps the old contract under which a Charge with a key
// whose charge was refunded returns that charge's result, as if it held.
type revivingPayments struct{ *Payments }

func (p revivingPayments) Charge(ctx context.Context, req orderflow.ChargeRequest) (orderflow.PaymentResult, error) {
	for _, c := range p.Charges() {
		if c.IdempotencyKey == req.IdempotencyKey && c.Refunded {
			return orderflow.PaymentResult{TransactionID: c.TransactionID, Amount: c.Amount}, nil
		}
	}
	return p.Payments.Charge(ctx, req)
}

// revivingInventory is revivingPayments for Inventory.
type revivingInventory struct{ *Inventory }

func (inv revivingInventory) Reserve(ctx context.Context, req orderflow.ReserveRequest) (orderflow.InventoryResult, error) {
	for _, r := range inv.Reservations() {
		if r.IdempotencyKey == req.IdempotencyKey && r.Released {
			return orderflow.InventoryResult{ReservationID: r.ReservationID}, nil
		}
	}
	return inv.Inventory.Reserve(ctx, req)
}

// The lenient providers keep the old contract under which a call with a
// key already used answers with the first call's result, or succeeds
// without effect, whatever the request: "even when its amount differs".

// lenientPayments answers a Charge whose key has charged with that charge.
type lenientPayments struct{ *Payments }

func (p lenientPayments) Charge(ctx context.Context, req orderflow.ChargeRequest) (orderflow.PaymentResult, error) {
	for _, c := range p.Charges() {
		if c.IdempotencyKey == req.IdempotencyKey && !c.Refunded {
			return paymentResult(c), nil
		}
	}
	return p.Payments.Charge(ctx, req)
}

// lenientRefunds answers a Refund whose key has refunded with success.
type lenientRefunds struct{ *Payments }

func (p lenientRefunds) Refund(ctx context.Context, req orderflow.RefundRequest) error {
	if servedBefore(p.Calls(), "Refund", req.IdempotencyKey) {
		return nil
	}
	return p.Payments.Refund(ctx, req)
}

// lenientInventory answers a Reserve whose key has reserved with that
// reservation.
type lenientInventory struct{ *Inventory }

func (inv lenientInventory) Reserve(ctx context.Context, req orderflow.ReserveRequest) (orderflow.InventoryResult, error) {
	for _, r := range inv.Reservations() {
		if r.IdempotencyKey == req.IdempotencyKey && !r.Released {
			return inventoryResult(r), nil
		}
	}
	return inv.Inventory.Reserve(ctx, req)
}

// lenientReleases answers a Release whose key has released with success.
type lenientReleases struct{ *Inventory }

func (inv lenientReleases) Release(ctx context.Context, req orderflow.ReleaseRequest) error {
	if servedBefore(inv.Calls(), "Release", req.IdempotencyKey) {
		return nil
	}
	return inv.Inventory.Release(ctx, req)
}

// lenientDelivery answers an Arrange whose key has booked with that booking.
type lenientDelivery struct{ *Delivery }

func (d lenientDelivery) Arrange(ctx context.Context, req orderflow.DeliveryRequest) (orderflow.DeliveryResult, error) {
	for _, s := range d.Shipments() {
		if s.IdempotencyKey == req.IdempotencyKey {
			return deliveryResult(s), nil
		}
	}
	return d.Delivery.Arrange(ctx, req)
}

// lenientMailer answers a Send whose key has sent with success.
type lenientMailer struct{ *Mailer }

func (m lenientMailer) Send(ctx context.Context, msg orderflow.Email) error {
	if slices.ContainsFunc(m.Sent(), func(s orderflow.Email) bool { return s.IdempotencyKey == msg.IdempotencyKey }) {
		return nil
	}
	return m.Mailer.Send(ctx, msg)
}

// servedBefore reports whether calls hold a successful call of method with
// the idempotency key.
func servedBefore(calls []Call, method, key string) bool {
	return slices.ContainsFunc(calls, func(c Call) bool { return c.Method == method && c.IdempotencyKey == key && c.Err == nil })
}

type (
	lenientPaymentsHarness  struct{ paymentsHarness }
	lenientRefundsHarness   struct{ paymentsHarness }
	lenientInventoryHarness struct{ inventoryHarness }
	lenientReleasesHarness  struct{ inventoryHarness }
	lenientDeliveryHarness  struct{ deliveryHarness }
	lenientMailerHarness    struct{ mailerHarness }
)

func (h lenientPaymentsHarness) Provider() orderflow.PaymentProvider { return lenientPayments{h.p} }
func (h lenientRefundsHarness) Provider() orderflow.PaymentProvider  { return lenientRefunds{h.p} }
func (h lenientInventoryHarness) Provider() orderflow.InventoryProvider {
	return lenientInventory{h.inv}
}
func (h lenientReleasesHarness) Provider() orderflow.InventoryProvider {
	return lenientReleases{h.inv}
}
func (h lenientDeliveryHarness) Provider() orderflow.DeliveryProvider { return lenientDelivery{h.d} }
func (h lenientMailerHarness) Provider() orderflow.EmailProvider      { return lenientMailer{h.m} }

type (
	revivingPaymentsHarness  struct{ paymentsHarness }
	revivingInventoryHarness struct{ inventoryHarness }
)

func (h revivingPaymentsHarness) Provider() orderflow.PaymentProvider { return revivingPayments{h.p} }
func (h revivingInventoryHarness) Provider() orderflow.InventoryProvider {
	return revivingInventory{h.inv}
}

type (
	tombstonelessPaymentsHarness  struct{ paymentsHarness }
	tombstonelessInventoryHarness struct{ inventoryHarness }
)

func (h tombstonelessPaymentsHarness) Provider() orderflow.PaymentProvider {
	return tombstonelessPayments{h.p}
}
func (h tombstonelessInventoryHarness) Provider() orderflow.InventoryProvider {
	return tombstonelessInventory{h.inv}
}

type (
	forgetfulPaymentsHarness  struct{ paymentsHarness }
	forgetfulInventoryHarness struct{ inventoryHarness }
	forgetfulDeliveryHarness  struct{ deliveryHarness }
	forgetfulMailerHarness    struct{ mailerHarness }
)

func (h forgetfulPaymentsHarness) Provider() orderflow.PaymentProvider {
	return forgetfulPayments{h.p}
}
func (h forgetfulInventoryHarness) Provider() orderflow.InventoryProvider {
	return forgetfulInventory{h.inv}
}
func (h forgetfulDeliveryHarness) Provider() orderflow.DeliveryProvider {
	return forgetfulDelivery{h.d}
}
func (h forgetfulMailerHarness) Provider() orderflow.EmailProvider { return forgetfulMailer{h.m} }

// TestBrokenProvider runs a suite against a broken provider; it only runs
// as the child process of TestSuitesCatchBrokenProviders.
func TestBrokenProvider(t *testing.T) {
	switch os.Getenv(brokenEnv) {
	case "payment":
		TestPaymentProvider(t, func(*testing.T) PaymentHarness { return forgetfulPaymentsHarness{paymentsHarness{new(Payments)}} })
	case "inventory":
		TestInventoryProvider(t, func(*testing.T) InventoryHarness {
			return forgetfulInventoryHarness{inventoryHarness{new(Inventory)}}
		})
	case "delivery":
		TestDeliveryProvider(t, func(*testing.T) DeliveryHarness { return forgetfulDeliveryHarness{deliveryHarness{new(Delivery)}} })
	case "email":
		TestEmailProvider(t, func(*testing.T) EmailHarness { return forgetfulMailerHarness{mailerHarness{new(Mailer)}} })
	case "payment-tombstoneless":
		TestPaymentProvider(t, func(*testing.T) PaymentHarness {
			return tombstonelessPaymentsHarness{paymentsHarness{new(Payments)}}
		})
	case "inventory-tombstoneless":
		TestInventoryProvider(t, func(*testing.T) InventoryHarness {
			return tombstonelessInventoryHarness{inventoryHarness{new(Inventory)}}
		})
	case "payment-reviving":
		TestPaymentProvider(t, func(*testing.T) PaymentHarness { return revivingPaymentsHarness{paymentsHarness{new(Payments)}} })
	case "inventory-reviving":
		TestInventoryProvider(t, func(*testing.T) InventoryHarness {
			return revivingInventoryHarness{inventoryHarness{new(Inventory)}}
		})
	case "payment-lenient":
		TestPaymentProvider(t, func(*testing.T) PaymentHarness { return lenientPaymentsHarness{paymentsHarness{new(Payments)}} })
	case "refund-lenient":
		TestPaymentProvider(t, func(*testing.T) PaymentHarness { return lenientRefundsHarness{paymentsHarness{new(Payments)}} })
	case "inventory-lenient":
		TestInventoryProvider(t, func(*testing.T) InventoryHarness {
			return lenientInventoryHarness{inventoryHarness{new(Inventory)}}
		})
	case "release-lenient":
		TestInventoryProvider(t, func(*testing.T) InventoryHarness {
			return lenientReleasesHarness{inventoryHarness{new(Inventory)}}
		})
	case "delivery-lenient":
		TestDeliveryProvider(t, func(*testing.T) DeliveryHarness { return lenientDeliveryHarness{deliveryHarness{new(Delivery)}} })
	case "email-lenient":
		TestEmailProvider(t, func(*testing.T) EmailHarness { return lenientMailerHarness{mailerHarness{new(Mailer)}} })
	default:
		t.Skip("runs only as a child of TestSuitesCatchBrokenProviders")
	}
}

var failedClause = regexp.MustCompile(`--- FAIL: TestBrokenProvider/(\S+) `)

func TestSuitesCatchBrokenProviders(t *testing.T) {
	const forgetful, tombstoneless = "ignores idempotency keys", "leaves no tombstone"
	const reviving = "revives a compensated key"
	const lenient = "answers a key reused for another request as it answered the first"
	for _, tc := range []struct {
		provider, clause, breakage string
		only                       bool // no other clause may fail
	}{
		{"payment", "ChargeIsIdempotent", forgetful, false},
		{"payment", "ConcurrentChargesWithOneKeyTakeMoneyOnce", forgetful, false},
		{"inventory", "ReserveIsIdempotent", forgetful, false},
		{"delivery", "ArrangeIsIdempotent", forgetful, false},
		{"email", "SendIsIdempotent", forgetful, false},
		{"payment-tombstoneless", "RefundBeforeChargeBlocksLateCharge", tombstoneless, true},
		{"inventory-tombstoneless", "ReleaseBeforeReserveBlocksLateReserve", tombstoneless, true},
		{"payment-reviving", "RefundedChargeStaysRefunded", reviving, true},
		{"inventory-reviving", "ReleasedReservationStaysReleased", reviving, true},
		{"payment-lenient", "ChargeKeyReusedForOtherRequestFailsPermanently", lenient, true},
		{"refund-lenient", "RefundKeyReusedForOtherChargeFailsPermanently", lenient, true},
		{"inventory-lenient", "ReserveKeyReusedForOtherRequestFailsPermanently", lenient, true},
		{"release-lenient", "ReleaseKeyReusedForOtherReservationFailsPermanently", lenient, true},
		{"delivery-lenient", "ArrangeKeyReusedForOtherRequestFailsPermanently", lenient, true},
		{"email-lenient", "SendKeyReusedForOtherMessageFailsPermanently", lenient, true},
	} {
		t.Run(tc.provider+"/"+tc.clause, func(t *testing.T) {
			// The child's result depends on no timing: its cancellation
			// clauses have a provider latency of a minute and a 10 s bound.
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenProvider$", "-test.v")
			cmd.Env = append(os.Environ(), brokenEnv+"="+tc.provider)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the %s suite passed a provider that %s; want it to fail:\n%s", tc.provider, tc.breakage, out)
			}
			var failed []string
			for _, m := range failedClause.FindAllSubmatch(out, -1) {
				failed = append(failed, string(m[1]))
			}
			switch {
			case !slices.Contains(failed, tc.clause):
				t.Errorf("the %s suite did not fail clause %s on a provider that %s (err = %v):\n%s", tc.provider, tc.clause, tc.breakage, err, out)
			case tc.only && len(failed) != 1:
				t.Errorf("the %s suite failed clauses %q on a provider that only %s; want only %s:\n%s", tc.provider, failed, tc.breakage, tc.clause, out)
			}
		})
	}
}
