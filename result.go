package orderflow

import (
	"time"
)

// Status is where an order stands: awaiting approval, running, or one of
// six outcomes, for each of which the workflow returns an OrderState.
type Status string

// Order statuses.
const (
	// StatusAwaitingApproval: the order waits for a person's decision
	// (Approval.Status is ApprovalPending); nothing is charged yet.
	StatusAwaitingApproval Status = "awaiting_approval"
	// StatusRunning: the order is being processed, or undone.
	StatusRunning Status = "running"

	StatusCompleted Status = "completed" // paid, reserved, delivery arranged
	StatusRejected  Status = "rejected"  // an approver said no; nothing charged
	StatusTimedOut  Status = "timed_out" // nobody decided in time; nothing charged
	StatusCancelled Status = "cancelled" // cancelled before delivery; what was done is undone
	StatusFailed    Status = "failed"    // a step failed; what was done is undone
	// StatusNeedsAttention: the order stopped where orderflow cannot finish it
	// safely on its own, and a person must act. A compensation was refused
	// for good (see the Compensations with an Error: that money or stock is
	// still held), or delivery failed without saying whether it shipped
	// (FailedStep is StepDelivery; payment and stock are kept).
	StatusNeedsAttention Status = "needs_attention"
)

// ApprovalStatus is the answer of the get_approval_status query.
type ApprovalStatus string

// Approval statuses.
const (
	ApprovalNotRequired ApprovalStatus = "not_required" // total at or under the threshold
	ApprovalPending     ApprovalStatus = "pending"      // waiting for a decision
	ApprovalApproved    ApprovalStatus = "approved"
	ApprovalRejected    ApprovalStatus = "rejected"
	ApprovalTimedOut    ApprovalStatus = "timed_out" // no decision within the approval timeout
)

// Step names a stage of the order workflow, as reported in OrderState.Step.
type Step string

// Steps, in the order the workflow runs them.
const (
	StepApproval  Step = "approval"
	StepPayment   Step = "payment"
	StepInventory Step = "inventory"
	StepDelivery  Step = "delivery"
	StepEmail     Step = "confirmation_email"
)

// Approval is the approval state of an order.
type Approval struct {
	Status ApprovalStatus `json:"status"`
	// Reason is the approver's reason, or why the approval ended without one.
	Reason string `json:"reason,omitempty"`
	// Approver names who decided, as the deciding call named them
	// (Decision.Approver): empty for a decision by signal or by a call that
	// named nobody, and for a timeout.
	Approver string `json:"approver,omitempty"`
	// DecidedAt is when the decision took, by the workflow's clock; zero
	// when no decision was made.
	DecidedAt time.Time `json:"decided_at,omitzero"`
}

// PaymentResult is what the payment provider returned for a charge.
type PaymentResult struct {
	// TransactionID is required: the workflow shows it and refunds by it.
	TransactionID string `json:"transaction_id"`
	// Amount is what was charged.
	Amount Money `json:"amount"`
	// Message is for people, such as "Payment of $89.95 processed successfully".
	Message string `json:"message,omitempty"`
}

// InventoryResult is what the inventory provider returned for a reservation.
type InventoryResult struct {
	// ReservationID is required: the workflow shows it and releases by it.
	ReservationID string `json:"reservation_id"`
	// Message is for people, such as "Reserved 2 item(s) successfully".
	Message string `json:"message,omitempty"`
}

// DeliveryResult is what the delivery provider returned when it arranged a shipment.
type DeliveryResult struct {
	TrackingNumber string `json:"tracking_number"`
	// EstimatedDelivery is a calendar date, YYYY-MM-DD.
	EstimatedDelivery string `json:"estimated_delivery"`
	Message           string `json:"message,omitempty"`
}

// StepProgress is a provider call that has not finished yet.
type StepProgress struct {
	Step Step `json:"step"`
	// Activity is the wire name of the call, such as ActivityArrangeDelivery.
	Activity string `json:"activity"`
	// Since is when the workflow scheduled the call (workflow time).
	Since time.Time `json:"since"`
	// Attempt, LastError and NextAttempt are what the Temporal server knows
	// of the call's retries. Client.State fills them in; the workflow's own
	// get_order_state query cannot know them and leaves them empty.
	Attempt     int32     `json:"attempt,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
}

// Compensation records one undo step of the saga.
type Compensation struct {
	// Activity is the wire name of the compensating activity, such as
	// ActivityRefundPayment.
	Activity string `json:"activity"`
	// Undoes is the step it undid.
	Undoes Step `json:"undoes"`
	// Reference is what was undone: a transaction or reservation ID, or the
	// idempotency key of a call whose outcome was unknown.
	Reference string `json:"reference"`
	// Error is empty when the compensation succeeded. A non-empty Error means
	// the provider refused the undo for good: what it should have undone is
	// still held, and the order ends StatusNeedsAttention.
	Error string `json:"error,omitempty"`
}

// OrderState is the state of an order: Client.State and the get_order_state
// query return it while the order runs, and the workflow returns it, as
// Client.Result does, once the order reaches its outcome.
type OrderState struct {
	OrderID string `json:"order_id"`
	Status  Status `json:"status"`
	// Message says what happened, for people.
	Message string `json:"message,omitempty"`
	Total   Money  `json:"total"`
	// Step is the furthest step the order has reached: the one running now
	// while it goes forward, and, once it is being undone or has ended, the
	// last one it reached.
	Step Step `json:"step"`
	// Current is the provider call running now, if any: a step, or a
	// compensation (its Step is then the step it undoes). Delivery and compensations are retried until the
	// provider answers; Client.State shows their attempts and last error.
	Current *StepProgress `json:"current,omitempty"`
	// Done lists the forward steps that succeeded, in order.
	Done     []Step   `json:"done,omitempty"`
	Approval Approval `json:"approval"`

	Payment   *PaymentResult   `json:"payment_result,omitempty"`
	Inventory *InventoryResult `json:"inventory_result,omitempty"`
	Delivery  *DeliveryResult  `json:"delivery_result,omitempty"`

	// FailedStep and FailureType say which step failed and how, when Status
	// is StatusFailed (or StatusNeedsAttention after a failure).
	// FailureType is a wire name, one of:
	//
	//	"orderflow.PaymentDeclined"  the provider returned ErrPaymentDeclined
	//	"orderflow.OutOfStock"       ErrOutOfStock
	//	"orderflow.Undeliverable"    ErrUndeliverable
	//	"orderflow.Permanent"        ErrPermanent
	//	"orderflow.RetriesExhausted" the step's attempts ran out (Options.Retry)
	//	"orderflow.ActivityTimedOut" its last attempt timed out
	//
	// Err maps the first four to their sentinels.
	FailedStep  Step   `json:"failed_step,omitempty"`
	FailureType string `json:"failure_type,omitempty"`

	// CancelReason is the reason given with a cancellation, accepted or late.
	CancelReason string `json:"cancel_reason,omitempty"`
	// Compensations lists the undo steps that ran, in the order they ran.
	Compensations []Compensation `json:"compensations,omitempty"`
	// Warnings lists problems that did not change the outcome, such as a
	// confirmation email that could not be sent or a cancellation that came
	// after the point of no return.
	Warnings []string `json:"warnings,omitempty"`
}

// Err returns nil unless the order failed or needs a person. For a failed
// order it returns an error that wraps ErrOrderFailed and the provider
// sentinel matching FailureType (ErrPaymentDeclined, ErrOutOfStock, …); for
// StatusNeedsAttention one that wraps ErrNeedsAttention (and that sentinel).
func (r *OrderState) Err() error {
	if r == nil || (r.Status != StatusFailed && r.Status != StatusNeedsAttention) {
		return nil
	}
	return &orderError{orderID: r.OrderID, status: r.Status, step: r.FailedStep, typ: r.FailureType, message: r.Message}
}

func (r *OrderState) markDone(s Step) { r.Done = append(r.Done, s) }

func (r *OrderState) warn(msg string) { r.Warnings = append(r.Warnings, msg) }

// clone returns a copy that shares no slices with r, so a query answer
// cannot be changed by the workflow after it is serialized.
func (r *OrderState) clone() *OrderState {
	c := *r
	c.Done = append([]Step(nil), r.Done...)
	c.Compensations = append([]Compensation(nil), r.Compensations...)
	c.Warnings = append([]string(nil), r.Warnings...)
	if r.Current != nil {
		cur := *r.Current
		c.Current = &cur
	}
	return &c
}

// CheckoutResult is the answer of Client.Checkout: what the customer waits
// for at checkout, while the order goes on. Exactly one of Paid,
// AwaitingApproval and "not paid" holds.
type CheckoutResult struct {
	OrderID string `json:"order_id"`
	Total   Money  `json:"total"`
	// Status is the order's status when the answer was known:
	// StatusAwaitingApproval for an order that waits for a person (nothing
	// is charged yet), StatusRunning or StatusCompleted for a paid one, and
	// for an unpaid one the outcome, or StatusRunning while what it did is
	// being undone.
	Status Status `json:"status"`
	// Payment is the charge when the customer has paid (see Paid):
	// inventory, delivery and the confirmation email continue in the
	// background. It is nil otherwise.
	Payment *PaymentResult `json:"payment_result,omitempty"`
	// FailedStep and FailureType say which step failed and how, when one
	// did: the payment ("orderflow.PaymentDeclined", …), or, for an order
	// that has ended, a later step (its payment was then refunded). See
	// OrderState.FailureType.
	FailedStep  Step   `json:"failed_step,omitempty"`
	FailureType string `json:"failure_type,omitempty"`
	// Message is one sentence for the customer, such as "Your payment was
	// declined. Nothing was charged." It never carries a provider's error
	// text: that goes to the worker's log and the order's state
	// (Client.State, OrderState.Message).
	Message string `json:"message"`
}

// Paid reports whether the payment was taken.
func (r *CheckoutResult) Paid() bool { return r != nil && r.Payment != nil }

// AwaitingApproval reports whether the order waits for a person's decision
// before anything is charged.
func (r *CheckoutResult) AwaitingApproval() bool {
	return r != nil && r.Payment == nil && r.Status == StatusAwaitingApproval
}

// Err returns nil unless the order is not paid because a step failed, or
// it needs a person; then it returns an error that wraps ErrOrderFailed (or
// ErrNeedsAttention) and the provider's sentinel (ErrPaymentDeclined, …).
// An order that ended unpaid for another reason (cancelled, rejected) is no
// error: see Status.
func (r *CheckoutResult) Err() error {
	if r == nil || r.Payment != nil || (r.FailureType == "" && r.Status != StatusNeedsAttention) {
		return nil
	}
	status := StatusFailed
	if r.Status == StatusNeedsAttention {
		status = StatusNeedsAttention
	}
	return &orderError{orderID: r.OrderID, status: status, step: r.FailedStep, typ: r.FailureType, message: r.Message}
}

// newCheckoutResult is the checkout answer of an order in state, paid when
// paid is true.
func newCheckoutResult(state *OrderState, paid bool) CheckoutResult {
	res := CheckoutResult{OrderID: state.OrderID, Total: state.Total, Status: state.Status}
	switch {
	case paid:
		res.Payment = state.Payment
		res.Message = "Payment received. Your order is on its way."
	case state.Status == StatusAwaitingApproval:
		res.Message = "Your order is waiting for approval. Nothing is charged until it is approved."
	default:
		res.FailedStep, res.FailureType = state.FailedStep, state.FailureType
		res.Message = notPaidMessage(state)
	}
	return res
}

// notPaidMessage tells a customer why an order has not kept a payment.
func notPaidMessage(state *OrderState) string {
	refund := "Your payment is refunded."
	if state.Status == StatusRunning {
		refund = "Your payment is being refunded."
	}
	refunded := state.Payment != nil // taken, then undone: the order went no further
	switch {
	case state.Status == StatusNeedsAttention:
		return "We could not complete your order. Our staff will contact you."
	case state.FailureType == errorTypePaymentDeclined:
		return "Your payment was declined. Nothing was charged."
	case state.Status == StatusCancelled && refunded:
		return "Your order was cancelled. " + refund
	case state.Status == StatusCancelled:
		return "Your order was cancelled. Nothing was charged."
	case state.Status == StatusRejected, state.Status == StatusTimedOut:
		return "Your order was not approved. Nothing was charged."
	case state.FailureType == errorTypeOutOfStock && refunded:
		return "An item in your order is out of stock. " + refund
	case refunded:
		return "We could not complete your order. " + refund
	}
	return "We could not take your payment. Nothing was charged."
}

// checkoutOf answers a checkout from the result of an order that has
// ended: paid only if it completed, since a failed or cancelled order's
// payment was refunded (or, needing a person, is being settled).
func checkoutOf(r *OrderState) CheckoutResult {
	return newCheckoutResult(r, r.Payment != nil && r.Status == StatusCompleted)
}
