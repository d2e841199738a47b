package orderflowtest

import (
	"errors"
	"reflect"
	"regexp"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow"
)

func reserve(orderID, key string, items ...orderflow.Item) orderflow.ReserveRequest {
	if items == nil {
		items = []orderflow.Item{
			{ProductID: "LAPTOP-001", ProductName: "Laptop", Quantity: 1, UnitPrice: orderflow.USD(89999)},
			{ProductID: "MOUSE-001", ProductName: "Mouse", Quantity: 2, UnitPrice: orderflow.USD(2999)},
		}
	}
	return orderflow.ReserveRequest{IdempotencyKey: key, OrderID: orderID, Items: items}
}

func email(orderID string) orderflow.Email {
	return orderflow.Email{IdempotencyKey: key(orderID, orderflow.ActivitySendConfirmation), OrderID: orderID,
		Kind: "order_confirmation", To: "ada@example.com", Subject: "Order confirmed"}
}

func TestIDFormats(t *testing.T) {
	var (
		p   Payments
		inv Inventory
		d   Delivery
	)
	txn, rid, track := regexp.MustCompile(`^TXN-[0-9A-F]{12}$`), regexp.MustCompile(`^RES-[0-9A-F]{12}$`),
		regexp.MustCompile(`^TRACK-[0-9A-F]{16}$`)
	seen := make(map[string]bool)
	for i := range 50 {
		orderID := newOrderID()
		pr, err1 := p.Charge(t.Context(), charge(orderID))
		ir, err2 := inv.Reserve(t.Context(), reserve(orderID, orderID))
		dr, err3 := d.Arrange(t.Context(), orderflow.DeliveryRequest{IdempotencyKey: orderID, OrderID: orderID, Address: "1 Main St"})
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			re *regexp.Regexp
			id string
		}{{txn, pr.TransactionID}, {rid, ir.ReservationID}, {track, dr.TrackingNumber}} {
			if !c.re.MatchString(c.id) {
				t.Errorf("ID %q does not match %s", c.id, c.re)
			}
			if seen[c.id] {
				t.Errorf("ID %q made twice in %d calls; want random IDs", c.id, i+1)
			}
			seen[c.id] = true
		}
	}
}

func TestSequentialIDs(t *testing.T) {
	ids := SequentialIDs()
	got := []string{ids("TXN-", 12), ids("TXN-", 12), ids("RES-", 12), ids("TRACK-", 16)}
	want := []string{"TXN-000000000001", "TXN-000000000002", "RES-000000000001", "TRACK-0000000000000001"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestMessagesAndDate(t *testing.T) {
	_, prov := NewActivities()
	prov.Delivery.Now = func() time.Time { return time.Date(2025, 12, 30, 23, 0, 0, 0, time.UTC) }
	pr, err := prov.Payment.Charge(t.Context(), charge("ORD-1"))
	if err != nil {
		t.Fatal(err)
	}
	ir, err := prov.Inventory.Reserve(t.Context(), reserve("ORD-1", "k"))
	if err != nil {
		t.Fatal(err)
	}
	dr, err := prov.Delivery.Arrange(t.Context(), orderflow.DeliveryRequest{IdempotencyKey: "k", OrderID: "ORD-1",
		Address: "123 Main St, Anytown, USA"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ got, want string }{
		{pr.Message, "Payment of $89.95 processed successfully"},
		{ir.Message, "Reserved 2 item(s) successfully"},
		{dr.Message, "Delivery scheduled to 123 Main St, Anytown, USA"},
		{dr.EstimatedDelivery, "2026-01-02"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestDeliveryEstimateUsesTheClockByDefault(t *testing.T) {
	var d Delivery
	before := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	res, err := d.Arrange(t.Context(), orderflow.DeliveryRequest{IdempotencyKey: "k", OrderID: "ORD-1", Address: "1 Main St"})
	after := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	if err != nil {
		t.Fatal(err)
	}
	if res.EstimatedDelivery != before && res.EstimatedDelivery != after {
		t.Fatalf("EstimatedDelivery = %q, want %q (three days from now)", res.EstimatedDelivery, before)
	}
}

func TestCallsRecordRequestsResultsAndErrors(t *testing.T) {
	var p Payments
	p.ChargeFaults.FailNext(1, nil)
	req := charge("ORD-1")
	_, _ = p.Charge(t.Context(), req)
	res, _ := p.Charge(t.Context(), req)
	refund := orderflow.RefundRequest{IdempotencyKey: "r", OrderID: "ORD-1", ChargeKey: req.IdempotencyKey}
	_ = p.Refund(t.Context(), refund)
	want := []Call{
		{Method: "Charge", OrderID: "ORD-1", IdempotencyKey: req.IdempotencyKey, Request: req, Err: ErrTransient},
		{Method: "Charge", OrderID: "ORD-1", IdempotencyKey: req.IdempotencyKey, Request: req, Result: res},
		{Method: "Refund", OrderID: "ORD-1", IdempotencyKey: "r", Request: refund},
	}
	calls := p.Calls()
	if !reflect.DeepEqual(calls, want) {
		t.Fatalf("Calls() =\n%+v\nwant\n%+v", calls, want)
	}
	calls[0].Method = "changed"
	if p.Calls()[0].Method != "Charge" {
		t.Fatal("Calls returned the provider's own slice; want a copy")
	}
}

func TestRefundAccounting(t *testing.T) {
	var p Payments
	req := charge("ORD-1")
	res, _ := p.Charge(t.Context(), req)
	refund := orderflow.RefundRequest{IdempotencyKey: "r1", OrderID: "ORD-1", ChargeKey: req.IdempotencyKey,
		TransactionID: "TXN-NOTTHISONE0"}
	if err := p.Refund(t.Context(), refund); !errors.Is(err, orderflow.ErrPermanent) {
		t.Fatalf("Refund naming another transaction: err = %v, want ErrPermanent", err)
	}
	refund.TransactionID = res.TransactionID
	if err := p.Refund(t.Context(), refund); err != nil {
		t.Fatal(err)
	}
	refund.IdempotencyKey = "r2" // a second refund of the same charge under another key
	if err := p.Refund(t.Context(), refund); err != nil {
		t.Fatal(err)
	}
	if got := p.Held("ORD-1"); got != orderflow.USD(0) {
		t.Errorf("Held = %#v, want USD(0)", got)
	}
	if got := p.Refunds(); len(got) != 1 || got[0].Amount != orderflow.USD(8995) || got[0].TransactionID != res.TransactionID {
		t.Errorf("Refunds() = %+v, want one refund of $89.95 of %s", got, res.TransactionID)
	}
	if got := p.Charges(); len(got) != 1 || !got[0].Refunded {
		t.Errorf("Charges() = %+v, want one refunded charge", got)
	}
	if got := p.Held("ORD-NEVER"); got != (orderflow.Money{}) {
		t.Errorf("Held of an order never charged = %#v, want the zero Money", got)
	}
}

func TestStock(t *testing.T) {
	var inv Inventory
	inv.SetStock("MOUSE-001", 3)
	if _, err := inv.Reserve(t.Context(), reserve("ORD-1", "k1")); err != nil {
		t.Fatal(err)
	}
	if n, limited := inv.Stock("MOUSE-001"); n != 1 || !limited {
		t.Fatalf("Stock(MOUSE-001) = %d, %v; want 1 left of 3 after reserving 2", n, limited)
	}
	if n, limited := inv.Stock("LAPTOP-001"); limited {
		t.Fatalf("Stock(LAPTOP-001) = %d, limited; want unlimited when never set", n)
	}
	_, err := inv.Reserve(t.Context(), reserve("ORD-2", "k2"))
	if !errors.Is(err, orderflow.ErrOutOfStock) {
		t.Fatalf("Reserve of 2 mice with 1 left: err = %v, want ErrOutOfStock", err)
	}
	if got := inv.Reserved("ORD-2"); got != nil {
		t.Fatalf("Reserved(ORD-2) = %v after a failed Reserve, want nothing", got)
	}
	// Two lines of the same product count together.
	split := []orderflow.Item{{ProductID: "MOUSE-001", Quantity: 1}, {ProductID: "MOUSE-001", Quantity: 1}}
	if _, err := inv.Reserve(t.Context(), reserve("ORD-3", "k3", split...)); !errors.Is(err, orderflow.ErrOutOfStock) {
		t.Fatalf("Reserve of 1+1 mice with 1 left: err = %v, want ErrOutOfStock", err)
	}
	if want := map[string]int64{"LAPTOP-001": 1, "MOUSE-001": 2}; !reflect.DeepEqual(inv.Reserved("ORD-1"), want) {
		t.Fatalf("Reserved(ORD-1) = %v, want %v", inv.Reserved("ORD-1"), want)
	}
	if err := inv.Release(t.Context(), orderflow.ReleaseRequest{IdempotencyKey: "rel", OrderID: "ORD-1", ReserveKey: "k1"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := inv.Stock("MOUSE-001"); n != 3 {
		t.Fatalf("Stock(MOUSE-001) = %d after release, want 3", n)
	}
	if r := inv.Reservations(); len(r) != 1 || !r[0].Released {
		t.Fatalf("Reservations() = %+v, want one released reservation", r)
	}
}

func TestReleaseNamingAnotherReservationIsPermanent(t *testing.T) {
	var inv Inventory
	if _, err := inv.Reserve(t.Context(), reserve("ORD-1", "k1")); err != nil {
		t.Fatal(err)
	}
	err := inv.Release(t.Context(), orderflow.ReleaseRequest{IdempotencyKey: "rel", OrderID: "ORD-1", ReserveKey: "k1",
		ReservationID: "RES-000000000000"})
	if !errors.Is(err, orderflow.ErrPermanent) {
		t.Fatalf("err = %v, want ErrPermanent", err)
	}
	if inv.Reserved("ORD-1") == nil {
		t.Fatal("the reservation was released by a request naming another one")
	}
}

func TestMailer(t *testing.T) {
	var m Mailer
	msg := email("ORD-1")
	for range 2 {
		if err := m.Send(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	if got := m.Sent(); !reflect.DeepEqual(got, []orderflow.Email{msg}) {
		t.Fatalf("Sent() = %+v, want the message once", got)
	}
	bad := email("ORD-2")
	bad.To = "nobody"
	if err := m.Send(t.Context(), bad); !errors.Is(err, orderflow.ErrPermanent) {
		t.Fatalf("Send to %q: err = %v, want ErrPermanent", bad.To, err)
	}
}

func TestNewActivities(t *testing.T) {
	acts, prov := NewActivities()
	if err := RegisterActivities(new(testsuite.WorkflowTestSuite).NewTestActivityEnvironment(), acts); err != nil {
		t.Fatal(err)
	}
	if acts.Payment != prov.Payment || acts.Inventory != prov.Inventory || acts.Delivery != prov.Delivery || acts.Email != prov.Email {
		t.Fatal("the activities are not backed by the returned providers")
	}
	prov.UseDemoLatency(1)
	got := []time.Duration{prov.Payment.Latency, prov.Inventory.Latency, prov.Delivery.Latency, prov.Email.Latency}
	want := []time.Duration{2 * time.Second, 1500 * time.Millisecond, time.Second, 500 * time.Millisecond}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("demo latencies = %v, want %v", got, want)
	}
}

func TestLatencyIsHonoured(t *testing.T) {
	m := Mailer{Latency: 30 * time.Millisecond}
	start := time.Now()
	if err := m.Send(t.Context(), email("ORD-1")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < m.Latency {
		t.Fatalf("Send took %v, want at least its latency %v", d, m.Latency)
	}
}

func TestConcurrentUse(t *testing.T) {
	acts, prov := NewActivities()
	prov.Inventory.SetStock("MOUSE-001", 2*20)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			orderID := newOrderID()
			k := key(orderID, "step")
			prov.Payment.ChargeFaults.FailNext(1, nil) // faults change while calls run
			// Retried until it succeeds (the 20 faults may all come to one
			// order), then repeated twice after success.
			for ok, repeats := 0, 0; ok < 3 && repeats < 25; repeats++ {
				if _, err := acts.Payment.Charge(t.Context(), charge(orderID)); err == nil {
					ok++
				}
			}
			_, _ = acts.Inventory.Reserve(t.Context(), reserve(orderID, k))
			_, _ = acts.Delivery.Arrange(t.Context(), orderflow.DeliveryRequest{IdempotencyKey: k, OrderID: orderID, Address: "x"})
			_ = acts.Email.Send(t.Context(), email(orderID))
			_ = prov.Payment.Calls()
			if i%2 == 0 {
				_ = acts.Payment.Refund(t.Context(), orderflow.RefundRequest{IdempotencyKey: k, OrderID: orderID,
					ChargeKey: charge(orderID).IdempotencyKey})
			}
		})
	}
	wg.Wait()
	if n := len(prov.Payment.Charges()); n != 20 {
		t.Errorf("%d charges, want 20: one per order however often it was retried", n)
	}
	if n := len(prov.Payment.Refunds()); n != 10 {
		t.Errorf("%d refunds, want 10", n)
	}
	if n, _ := prov.Inventory.Stock("MOUSE-001"); n != 0 {
		t.Errorf("%d mice left, want 0: 20 orders of 2", n)
	}
	if n := len(prov.Delivery.Shipments()); n != 20 {
		t.Errorf("%d shipments, want 20", n)
	}
	if n := len(prov.Email.Sent()); n != 20 {
		t.Errorf("%d emails, want 20", n)
	}
}
