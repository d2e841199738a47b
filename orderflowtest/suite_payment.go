package orderflowtest

import (
	"context"
	"errors"
	"testing"

	"github.com/orderflow/orderflow"
)

// PaymentHarness connects TestPaymentProvider to a PaymentProvider and the
// system behind it. The suite makes a new harness for every clause, with the
// clause's t: a harness may fail t when it cannot observe something, and may
// call t.Skip when it cannot arrange a stimulus.
type PaymentHarness interface {
	// Provider returns the provider under test.
	Provider() orderflow.PaymentProvider
	// Decline changes req, or arranges the system, so that charging req is
	// declined: for instance it sets an amount the sandbox declines.
	Decline(req *orderflow.ChargeRequest)
	// Held returns the money currently held for orderID: what was
	// charged minus what was refunded. Only its Amount is compared.
	Held(orderID string) orderflow.Money
	// Slow makes the provider's calls block for at least a minute, or calls
	// t.Skip. The suite cancels them after 50 ms and wants them back within
	// 10 s, a bound generous enough for a loaded machine; a call that ignored
	// its context must still be running then.
	Slow()
}

// TestPaymentProvider checks that a PaymentProvider keeps the contract
// documented on orderflow.PaymentProvider. newHarness is called once per
// clause; each clause is a subtest named after it. Run it with -race.
// Amounts are in USD.
func TestPaymentProvider(t *testing.T, newHarness func(t *testing.T) PaymentHarness) {
	t.Helper()
	clause(t, "ChargeTakesMoney", newHarness, testChargeTakesMoney)
	clause(t, "ChargeIsIdempotent", newHarness, testChargeIsIdempotent)
	clause(t, "ConcurrentChargesWithOneKeyTakeMoneyOnce", newHarness, testConcurrentChargesOneKey)
	clause(t, "ChargeKeyReusedForOtherRequestFailsPermanently", newHarness, testChargeKeyReused)
	clause(t, "DeclineWrapsErrPaymentDeclined", newHarness, testDecline)
	clause(t, "RefundReturnsMoney", newHarness, testRefund)
	clause(t, "RefundByChargeKeyAlone", newHarness, testRefundByKey)
	clause(t, "RefundIsIdempotent", newHarness, testRefundIsIdempotent)
	clause(t, "RefundKeyReusedForOtherChargeFailsPermanently", newHarness, testRefundKeyReused)
	clause(t, "RefundOfUnknownChargeSucceedsWithoutEffect", newHarness, testRefundUnknown)
	clause(t, "RefundBeforeChargeBlocksLateCharge", newHarness, testRefundBlocksLateCharge)
	clause(t, "RefundedChargeStaysRefunded", newHarness, testRefundedChargeStaysRefunded)
	clause(t, "ChargeReturnsPromptlyWhenCancelled", newHarness, testChargeCancel)
	clause(t, "ConcurrentCharges", newHarness, testConcurrentCharges)
}

func chargeRequest(orderID string) orderflow.ChargeRequest {
	return orderflow.ChargeRequest{IdempotencyKey: key(orderID, orderflow.ActivityProcessPayment),
		OrderID: orderID, CustomerName: "Ada Lovelace", Amount: orderflow.USD(8995)}
}

func refundRequest(charge orderflow.ChargeRequest, transactionID string) orderflow.RefundRequest {
	return orderflow.RefundRequest{IdempotencyKey: key(charge.OrderID, orderflow.ActivityRefundPayment),
		OrderID: charge.OrderID, ChargeKey: charge.IdempotencyKey, TransactionID: transactionID, Amount: charge.Amount}
}

// mustCharge charges req and fails t unless it succeeds.
func mustCharge(t *testing.T, p orderflow.PaymentProvider, req orderflow.ChargeRequest) orderflow.PaymentResult {
	t.Helper()
	res, err := p.Charge(t.Context(), req)
	if err != nil {
		t.Fatalf("Charge(%s, key %q) = %v; want success", req.Amount, req.IdempotencyKey, err)
	}
	return res
}

// wantHeld fails t unless the harness reports want cents held for orderID.
func wantHeld(t *testing.T, h PaymentHarness, orderID string, want int64, why string) {
	t.Helper()
	if got := h.Held(orderID); got.Amount != want {
		t.Errorf("money held for order %s = %d minor units, want %d: %s", orderID, got.Amount, want, why)
	}
}

func testChargeTakesMoney(t *testing.T, h PaymentHarness) {
	req := chargeRequest(newOrderID())
	res := mustCharge(t, h.Provider(), req)
	if res.TransactionID == "" {
		t.Errorf("Charge returned an empty TransactionID; the workflow refunds by it and shows it to people")
	}
	if res.Amount != req.Amount {
		t.Errorf("Charge returned Amount %v, want the requested %v", res.Amount, req.Amount)
	}
	wantHeld(t, h, req.OrderID, req.Amount.Amount, "a successful Charge takes the requested amount")
}

func testChargeIsIdempotent(t *testing.T, h PaymentHarness) {
	req := chargeRequest(newOrderID())
	first := mustCharge(t, h.Provider(), req)
	again := mustCharge(t, h.Provider(), req)
	if again.TransactionID != first.TransactionID {
		t.Errorf("a repeated Charge with key %q returned transaction %q, want the first charge's %q",
			req.IdempotencyKey, again.TransactionID, first.TransactionID)
	}
	wantHeld(t, h, req.OrderID, req.Amount.Amount,
		"a repeated Charge with the same idempotency key must take no money (retries and replays reuse the key)")
}

func testConcurrentChargesOneKey(t *testing.T, h PaymentHarness) {
	req := chargeRequest(newOrderID())
	results := make([]orderflow.PaymentResult, concurrency)
	errs := make([]error, concurrency)
	concurrently(concurrency, func(i int) { results[i], errs[i] = h.Provider().Charge(t.Context(), req) })
	txn, split := "", false
	for i, err := range errs {
		switch {
		case err != nil:
			if s := permanent(err); s != "" {
				t.Errorf("concurrent Charge with one key returned %v, wrapping %q; a conflict on the key is not a permanent failure", err, s)
			}
		case txn == "":
			txn = results[i].TransactionID
		case results[i].TransactionID != txn && !split:
			split = true
			t.Errorf("concurrent Charges with key %q returned transactions %q and %q; want one charge", req.IdempotencyKey, txn, results[i].TransactionID)
		}
	}
	if txn == "" {
		t.Fatalf("all %d concurrent Charges with one key failed (first: %v); want at least one to succeed", concurrency, errs[0])
	}
	wantHeld(t, h, req.OrderID, req.Amount.Amount,
		"concurrent Charges with the same idempotency key must take money once (an activity can run twice at once after a timeout)")
}

func testChargeKeyReused(t *testing.T, h PaymentHarness) {
	for _, v := range []struct {
		what   string
		change func(req *orderflow.ChargeRequest)
	}{
		{"another order", func(req *orderflow.ChargeRequest) { req.OrderID = newOrderID() }},
		{"another amount", func(req *orderflow.ChargeRequest) { req.Amount.Amount += 100 }},
	} {
		first := chargeRequest(newOrderID())
		res := mustCharge(t, h.Provider(), first)
		other := first
		v.change(&other)
		_, err := h.Provider().Charge(t.Context(), other)
		wantRefusedReuse(t, "Charge", first.IdempotencyKey, v.what, err)
		if other.OrderID != first.OrderID {
			wantHeld(t, h, other.OrderID, 0, "a Charge reusing another order's key takes no money")
		}
		wantHeld(t, h, first.OrderID, first.Amount.Amount,
			"a Charge reusing a key for "+v.what+" takes no money and leaves the first charge as it was")
		if again := mustCharge(t, h.Provider(), first); again.TransactionID != res.TransactionID {
			t.Errorf("after a Charge reusing key %q for %s was refused, the first request's retry returned transaction %q, want the first charge's %q",
				first.IdempotencyKey, v.what, again.TransactionID, res.TransactionID)
		}
	}
}

func testDecline(t *testing.T, h PaymentHarness) {
	req := chargeRequest(newOrderID())
	h.Decline(&req)
	_, err := h.Provider().Charge(t.Context(), req)
	wantWraps(t, "Charge of a declined payment", err, orderflow.ErrPaymentDeclined)
	wantHeld(t, h, req.OrderID, 0, "a declined Charge takes no money")
}

func testRefund(t *testing.T, h PaymentHarness) {
	req := chargeRequest(newOrderID())
	res := mustCharge(t, h.Provider(), req)
	if err := h.Provider().Refund(t.Context(), refundRequest(req, res.TransactionID)); err != nil {
		t.Fatalf("Refund of transaction %q = %v; want success", res.TransactionID, err)
	}
	wantHeld(t, h, req.OrderID, 0, "Refund returns the charge's money")
}

func testRefundByKey(t *testing.T, h PaymentHarness) {
	req := chargeRequest(newOrderID())
	mustCharge(t, h.Provider(), req)
	if err := h.Provider().Refund(t.Context(), refundRequest(req, "")); err != nil {
		t.Fatalf("Refund with ChargeKey %q and no TransactionID = %v; want success", req.IdempotencyKey, err)
	}
	wantHeld(t, h, req.OrderID, 0,
		"Refund with only ChargeKey must find the charge by its idempotency key (the workflow refunds so when a charge's outcome is unknown)")
}

func testRefundIsIdempotent(t *testing.T, h PaymentHarness) {
	req := chargeRequest(newOrderID())
	res := mustCharge(t, h.Provider(), req)
	refund := refundRequest(req, res.TransactionID)
	for i := range 2 {
		if err := h.Provider().Refund(t.Context(), refund); err != nil {
			t.Fatalf("Refund #%d with key %q = %v; want success (Refund is idempotent)", i+1, refund.IdempotencyKey, err)
		}
	}
	wantHeld(t, h, req.OrderID, 0, "a repeated Refund returns no more money than was charged")
}

func testRefundKeyReused(t *testing.T, h PaymentHarness) {
	a, b := chargeRequest(newOrderID()), chargeRequest(newOrderID())
	mustCharge(t, h.Provider(), a)
	mustCharge(t, h.Provider(), b)
	refundA := refundRequest(a, "")
	if err := h.Provider().Refund(t.Context(), refundA); err != nil {
		t.Fatalf("Refund with ChargeKey %q = %v; want success", a.IdempotencyKey, err)
	}
	refundB := refundRequest(b, "")
	refundB.IdempotencyKey = refundA.IdempotencyKey
	err := h.Provider().Refund(t.Context(), refundB)
	wantRefusedReuse(t, "Refund", refundA.IdempotencyKey, "another order's charge", err)
	wantHeld(t, h, b.OrderID, b.Amount.Amount,
		"a Refund reusing a key for another charge moves no money (it fails, and a person settles the order)")
	wantHeld(t, h, a.OrderID, 0, "the first Refund under the key stays done")
}

func testRefundUnknown(t *testing.T, h PaymentHarness) {
	req := chargeRequest(newOrderID())
	if err := h.Provider().Refund(t.Context(), refundRequest(req, "")); err != nil {
		t.Fatalf("Refund of ChargeKey %q, which never charged, = %v; want success without effect (the workflow refunds by key when a charge's outcome is unknown)",
			req.IdempotencyKey, err)
	}
	wantHeld(t, h, req.OrderID, 0, "a Refund of a charge that was never made moves no money")
}

func testRefundBlocksLateCharge(t *testing.T, h PaymentHarness) {
	req := chargeRequest(newOrderID())
	if err := h.Provider().Refund(t.Context(), refundRequest(req, "")); err != nil {
		t.Fatalf("Refund of ChargeKey %q, which never charged, = %v; want success", req.IdempotencyKey, err)
	}
	for i := range 2 { // the late charge, and its retry
		_, err := h.Provider().Charge(t.Context(), req)
		if err == nil {
			t.Errorf("Charge #%d with key %q succeeded after a Refund by that key found nothing; want an error wrapping %v (the charge was in flight when the order was compensated, and its money would never be returned)",
				i+1, req.IdempotencyKey, orderflow.ErrPaymentDeclined)
		} else if !errors.Is(err, orderflow.ErrPaymentDeclined) {
			t.Errorf("Charge #%d with key %q after a Refund by that key found nothing = %v; want an error wrapping %v, so that it is not retried",
				i+1, req.IdempotencyKey, err, orderflow.ErrPaymentDeclined)
		}
	}
	wantHeld(t, h, req.OrderID, 0,
		"a Refund by a key that has not charged must leave a tombstone, so that a Charge landing later takes no money")
}

func testChargeCancel(t *testing.T, h PaymentHarness) {
	h.Slow()
	req := chargeRequest(newOrderID())
	checkCancel(t, "Charge", func(ctx context.Context) error {
		_, err := h.Provider().Charge(ctx, req)
		return err
	})
}

func testConcurrentCharges(t *testing.T, h PaymentHarness) {
	reqs := make([]orderflow.ChargeRequest, concurrency)
	for i := range reqs {
		reqs[i] = chargeRequest(newOrderID())
	}
	checkConcurrent(t, "Charge", concurrency, func(ctx context.Context, i int) (string, error) {
		res, err := h.Provider().Charge(ctx, reqs[i])
		return res.TransactionID, err
	})
	for _, req := range reqs {
		wantHeld(t, h, req.OrderID, req.Amount.Amount, "each of several concurrent Charges takes its own amount")
	}
}

func testRefundedChargeStaysRefunded(t *testing.T, h PaymentHarness) {
	req := chargeRequest(newOrderID())
	res := mustCharge(t, h.Provider(), req)
	if err := h.Provider().Refund(t.Context(), refundRequest(req, res.TransactionID)); err != nil {
		t.Fatalf("Refund of transaction %q = %v; want success", res.TransactionID, err)
	}
	for i := range 2 { // a second run of the order, and its retry
		again, err := h.Provider().Charge(t.Context(), req)
		if err == nil {
			t.Errorf("Charge #%d with key %q after its charge was refunded succeeded (transaction %q); want an error wrapping %v (an order run again after it was compensated would otherwise ship on a refunded charge)",
				i+1, req.IdempotencyKey, again.TransactionID, orderflow.ErrPaymentDeclined)
		} else if !errors.Is(err, orderflow.ErrPaymentDeclined) {
			t.Errorf("Charge #%d with key %q after its charge was refunded = %v; want an error wrapping %v, which tells the workflow that no money was taken",
				i+1, req.IdempotencyKey, err, orderflow.ErrPaymentDeclined)
		}
	}
	wantHeld(t, h, req.OrderID, 0, "a charge that was refunded stays refunded: a later Charge with its key takes no money")
}
