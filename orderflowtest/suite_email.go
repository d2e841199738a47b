package orderflowtest

import (
	"context"
	"testing"

	"github.com/orderflow/orderflow"
)

// EmailHarness connects TestEmailProvider to an EmailProvider and the
// system behind it. The suite makes a new harness for every clause, with the
// clause's t: a harness may fail t when it cannot observe something, and may
// call t.Skip when it cannot arrange a stimulus.
type EmailHarness interface {
	// Provider returns the provider under test.
	Provider() orderflow.EmailProvider
	// Refuse changes msg, or arranges the system, so that the mail service
	// refuses it for good: for instance it sets an address the sandbox
	// rejects.
	Refuse(msg *orderflow.Email)
	// Sent returns how many messages were sent for orderID.
	Sent(orderID string) int
	// Slow makes the provider's calls block for at least a minute, or calls
	// t.Skip. The suite cancels them after 50 ms and wants them back within
	// 10 s, a bound generous enough for a loaded machine; a call that ignored
	// its context must still be running then.
	Slow()
}

// TestEmailProvider checks that an EmailProvider keeps the contract
// documented on orderflow.EmailProvider. newHarness is called once per
// clause; each clause is a subtest named after it. Run it with -race.
func TestEmailProvider(t *testing.T, newHarness func(t *testing.T) EmailHarness) {
	t.Helper()
	clause(t, "SendSends", newHarness, testSendSends)
	clause(t, "SendIsIdempotent", newHarness, testSendIsIdempotent)
	clause(t, "SendKeyReusedForOtherMessageFailsPermanently", newHarness, testSendKeyReused)
	clause(t, "RefusedAddressWrapsErrPermanent", newHarness, testRefused)
	clause(t, "SendReturnsPromptlyWhenCancelled", newHarness, testSendCancel)
	clause(t, "ConcurrentSends", newHarness, testConcurrentSends)
}

func confirmation(orderID string) orderflow.Email {
	return orderflow.Email{IdempotencyKey: key(orderID, orderflow.ActivitySendConfirmation), OrderID: orderID,
		Kind: "order_confirmation", To: "ada@example.com", CustomerName: "Ada Lovelace",
		Subject: "Order " + orderID + " confirmed", Body: "Thank you for your order."}
}

func wantSent(t *testing.T, h EmailHarness, orderID string, want int, why string) {
	t.Helper()
	if got := h.Sent(orderID); got != want {
		t.Errorf("messages sent for order %s = %d, want %d: %s", orderID, got, want, why)
	}
}

func testSendSends(t *testing.T, h EmailHarness) {
	msg := confirmation(newOrderID())
	if err := h.Provider().Send(t.Context(), msg); err != nil {
		t.Fatalf("Send(to %q) = %v; want success", msg.To, err)
	}
	wantSent(t, h, msg.OrderID, 1, "a successful Send sends one message")
}

func testSendIsIdempotent(t *testing.T, h EmailHarness) {
	msg := confirmation(newOrderID())
	for i := range 2 {
		if err := h.Provider().Send(t.Context(), msg); err != nil {
			t.Fatalf("Send #%d with key %q = %v; want success", i+1, msg.IdempotencyKey, err)
		}
	}
	wantSent(t, h, msg.OrderID, 1,
		"a repeated Send with the same idempotency key must send nothing more (retries and replays reuse the key)")
}

func testSendKeyReused(t *testing.T, h EmailHarness) {
	for _, v := range []struct {
		what   string
		change func(msg *orderflow.Email)
	}{
		{"another order", func(msg *orderflow.Email) { msg.OrderID = newOrderID() }},
		{"another recipient", func(msg *orderflow.Email) { msg.To = "grace@example.com" }},
	} {
		first := confirmation(newOrderID())
		if err := h.Provider().Send(t.Context(), first); err != nil {
			t.Fatalf("Send(to %q) = %v; want success", first.To, err)
		}
		other := first
		v.change(&other)
		wantRefusedReuse(t, "Send", first.IdempotencyKey, v.what, h.Provider().Send(t.Context(), other))
		if other.OrderID != first.OrderID {
			wantSent(t, h, other.OrderID, 0, "a Send reusing another order's key sends nothing")
		}
		if err := h.Provider().Send(t.Context(), first); err != nil {
			t.Errorf("after a Send reusing key %q for %s was refused, the first message's retry = %v; want success", first.IdempotencyKey, v.what, err)
		}
		wantSent(t, h, first.OrderID, 1,
			"a Send reusing a key for "+v.what+" sends nothing, and the first message was sent once")
	}
}

func testRefused(t *testing.T, h EmailHarness) {
	msg := confirmation(newOrderID())
	h.Refuse(&msg)
	wantWraps(t, "Send to a refused address", h.Provider().Send(t.Context(), msg), orderflow.ErrPermanent)
	wantSent(t, h, msg.OrderID, 0, "a refused message is not sent")
}

func testSendCancel(t *testing.T, h EmailHarness) {
	h.Slow()
	msg := confirmation(newOrderID())
	checkCancel(t, "Send", func(ctx context.Context) error { return h.Provider().Send(ctx, msg) })
}

func testConcurrentSends(t *testing.T, h EmailHarness) {
	msgs := make([]orderflow.Email, concurrency)
	for i := range msgs {
		msgs[i] = confirmation(newOrderID())
	}
	checkConcurrent(t, "Send", concurrency, func(ctx context.Context, i int) (string, error) {
		return "-", h.Provider().Send(ctx, msgs[i])
	})
	for _, msg := range msgs {
		wantSent(t, h, msg.OrderID, 1, "each of several concurrent Sends sends its own message")
	}
}
