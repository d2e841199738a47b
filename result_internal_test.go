package orderflow

import (
	"errors"
	"strings"
	"testing"
)

// A checkout answer tells the customer one sentence that fits what
// happened, and never a provider's words.
func TestCheckoutAnswers(t *testing.T) {
	pay := &PaymentResult{TransactionID: "TXN-1", Amount: USD(100), Message: "gateway 200 ok"}
	for _, c := range []struct {
		name    string
		state   OrderState
		paid    bool
		message string
		err     error
	}{
		{"paid", OrderState{Status: StatusRunning, Payment: pay}, true, "Payment received. Your order is on its way.", nil},
		{"awaiting approval", OrderState{Status: StatusAwaitingApproval}, false, "Your order is waiting for approval. Nothing is charged until it is approved.", nil},
		{"declined", OrderState{Status: StatusFailed, FailedStep: StepPayment, FailureType: errorTypePaymentDeclined,
			Message: "card: gateway 402 card_declined"}, false, "Your payment was declined. Nothing was charged.", ErrPaymentDeclined},
		{"payment retries ran out", OrderState{Status: StatusFailed, FailedStep: StepPayment, FailureType: errorTypeRetriesExhausted},
			false, "We could not take your payment. Nothing was charged.", ErrOrderFailed},
		{"out of stock after payment", OrderState{Status: StatusFailed, Payment: pay, FailedStep: StepInventory, FailureType: errorTypeOutOfStock},
			false, "An item in your order is out of stock. Your payment is refunded.", ErrOutOfStock},
		{"being undone", OrderState{Status: StatusRunning, Payment: pay, FailedStep: StepDelivery, FailureType: errorTypeUndeliverable},
			false, "We could not complete your order. Your payment is being refunded.", ErrUndeliverable},
		{"cancelled after payment", OrderState{Status: StatusCancelled, Payment: pay}, false, "Your order was cancelled. Your payment is refunded.", nil},
		{"cancelled before", OrderState{Status: StatusCancelled}, false, "Your order was cancelled. Nothing was charged.", nil},
		{"rejected", OrderState{Status: StatusRejected}, false, "Your order was not approved. Nothing was charged.", nil},
		{"timed out", OrderState{Status: StatusTimedOut}, false, "Your order was not approved. Nothing was charged.", nil},
		{"needs a person", OrderState{Status: StatusNeedsAttention, Payment: pay, FailedStep: StepDelivery},
			false, "We could not complete your order. Our staff will contact you.", ErrNeedsAttention},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := newCheckoutResult(&c.state, c.paid)
			if res.Message != c.message {
				t.Errorf("Message = %q, want %q", res.Message, c.message)
			}
			if res.Paid() != c.paid || (res.Payment != nil) != c.paid {
				t.Errorf("Paid() = %v, Payment = %v; want paid %v", res.Paid(), res.Payment, c.paid)
			}
			if strings.Contains(res.Message, "gateway") {
				t.Errorf("Message %q carries the provider's words", res.Message)
			}
			err := res.Err()
			switch {
			case c.err == nil && err != nil:
				t.Errorf("Err() = %v, want nil", err)
			case c.err != nil && !errors.Is(err, c.err):
				t.Errorf("Err() = %v, want %v", err, c.err)
			case err != nil && strings.Count(err.Error(), "orderflow:") != 1:
				t.Errorf("Err() = %q says orderflow: more than once", err)
			}
		})
	}
}
