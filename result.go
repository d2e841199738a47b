package orderflow

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status is where an order stands. The five final values are business
// outcomes: the workflow returns an OrderResult for each of them.
type Status string

// Order statuses.
const (
	StatusRunning   Status = "running"   // not finished yet (queries only)
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

	// StatusAwaitingApproval is a listing status only (Client.ListOrders):
	// a running order that waits for a decision. Queries report such an
	// order as StatusRunning with Approval.Status ApprovalPending.
	StatusAwaitingApproval Status = "awaiting_approval"
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

// Step names a stage of the order workflow, as reported in OrderResult.Step.
type Step string

// Steps, in the order the workflow runs them. The compensation steps run in
// reverse order of what they undo.
const (
	StepApproval     Step = "approval"
	StepPayment      Step = "payment"
	StepInventory    Step = "inventory"
	StepDelivery     Step = "delivery"
	StepEmail        Step = "confirmation_email"
	StepCompensation Step = "compensation"
	StepDone         Step = "done"
)

// Approval is the approval state of an order.
type Approval struct {
	Status ApprovalStatus `json:"status"`
	// Reason is the approver's reason, or why the approval ended without one.
	Reason string `json:"reason,omitempty"`
	// Approver names who decided, as the deciding call named them
	// (Client.ApproveAs, RejectAs): empty for a decision by signal or by a
	// call that named nobody, and for a timeout.
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

// MaxReasonLength bounds the reason of a decision or a cancellation, in bytes.
const MaxReasonLength = 1024

// ValidateReason checks the reason of a decision or cancellation: at most
// MaxReasonLength bytes of valid UTF-8, without control characters other
// than line breaks and tabs. An empty reason is allowed. The error wraps
// ErrInvalidReason.
//
// The workflow applies it to decision signals, also when it replays an
// order: a change to these rules changes decisions of running orders, and
// must be gated with workflow.GetVersion.
func ValidateReason(reason string) error {
	if len(reason) > MaxReasonLength {
		return fmt.Errorf("%w: %d bytes, more than the limit of %d", ErrInvalidReason, len(reason), MaxReasonLength)
	}
	if !utf8.ValidString(reason) {
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidReason)
	}
	for _, r := range reason {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return fmt.Errorf("%w: contains a control character", ErrInvalidReason)
		}
	}
	return nil
}

// MaxApproverLength bounds the name of an approver, in bytes.
const MaxApproverLength = 256

// ValidateApprover checks the name of an approver: at most
// MaxApproverLength bytes of valid UTF-8 on one line, without control or
// invisible format characters. An empty name is allowed (nobody named). The
// error wraps ErrInvalidApprover.
func ValidateApprover(name string) error {
	if len(name) > MaxApproverLength {
		return fmt.Errorf("%w: %d bytes, more than the limit of %d", ErrInvalidApprover, len(name), MaxApproverLength)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidApprover)
	}
	if trimSpace(name) != name {
		return fmt.Errorf("%w: leading or trailing space", ErrInvalidApprover)
	}
	for _, r := range name {
		if unicode.IsControl(r) || isFormat(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("%w: contains a control or invisible character", ErrInvalidApprover)
		}
	}
	return nil
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

// OrderResult is the state of an order: the full-state query returns it while
// the order runs (Status is StatusRunning), and the workflow returns it when the
// order reaches a business outcome.
type OrderResult struct {
	OrderID string `json:"order_id"`
	Status  Status `json:"status"`
	// Message says what happened, for people.
	Message string `json:"message,omitempty"`
	Total   Money  `json:"total"`
	// Step is the step running now, or the last one reached when the order ended.
	Step Step `json:"step"`
	// Current is the provider call running now, if any: a step, or a
	// compensation. Delivery and compensations are retried until the
	// provider answers; Client.State shows their attempts and last error.
	Current *StepProgress `json:"current,omitempty"`
	// Done lists the forward steps that succeeded, in order.
	Done     []Step   `json:"done,omitempty"`
	Approval Approval `json:"approval"`

	Payment   *PaymentResult   `json:"payment_result,omitempty"`
	Inventory *InventoryResult `json:"inventory_result,omitempty"`
	Delivery  *DeliveryResult  `json:"delivery_result,omitempty"`

	// FailedStep and FailureType say which step failed and how, when Status
	// is StatusFailed. FailureType is one of the ErrorType constants for a
	// permanent business failure, or ErrorTypeRetriesExhausted.
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
func (r *OrderResult) Err() error {
	if r == nil || (r.Status != StatusFailed && r.Status != StatusNeedsAttention) {
		return nil
	}
	return &OrderFailedError{OrderID: r.OrderID, Status: r.Status, Step: r.FailedStep, Type: r.FailureType, Message: r.Message}
}

func (r *OrderResult) markDone(s Step) { r.Done = append(r.Done, s) }

func (r *OrderResult) warn(msg string) { r.Warnings = append(r.Warnings, msg) }

// clone returns a copy that shares no slices with r, so a query answer
// cannot be changed by the workflow after it is serialized.
func (r *OrderResult) clone() *OrderResult {
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

// CheckoutOutcome is what a checkout page tells the customer.
type CheckoutOutcome string

// Checkout outcomes.
const (
	// CheckoutPaid: the payment was taken; inventory, delivery and the
	// confirmation email continue in the background.
	CheckoutPaid CheckoutOutcome = "paid"
	// CheckoutAwaitingApproval: the order is over the approval threshold
	// and waits for a person's decision; nothing is charged yet.
	CheckoutAwaitingApproval CheckoutOutcome = "awaiting_approval"
	// CheckoutNotPaid: no payment was taken — it was declined, or the order
	// ended (cancelled, failed) before it. Status and FailureType say which.
	CheckoutNotPaid CheckoutOutcome = "not_paid"
)

// CheckoutResult is the answer of Client.Checkout: the outcome a customer
// waits for at checkout, while the order goes on.
type CheckoutResult struct {
	OrderID string          `json:"order_id"`
	Outcome CheckoutOutcome `json:"outcome"`
	Total   Money           `json:"total"`
	// Payment is the charge, when Outcome is CheckoutPaid.
	Payment *PaymentResult `json:"payment_result,omitempty"`
	// Status, FailureType and Message say why, when Outcome is
	// CheckoutNotPaid: Status is the order's status when the outcome was
	// known (StatusRunning while it is being undone).
	Status      Status `json:"status,omitempty"`
	FailureType string `json:"failure_type,omitempty"`
	Message     string `json:"message,omitempty"`
}

// Err returns nil unless a step failed before the payment was taken; then
// it returns an *OrderFailedError that wraps ErrOrderFailed and the
// provider's sentinel (ErrPaymentDeclined, …). An order that ended unpaid for
// another reason (cancelled, rejected) is no error: see Status.
func (r *CheckoutResult) Err() error {
	if r == nil || r.Outcome != CheckoutNotPaid || r.FailureType == "" {
		return nil
	}
	return &OrderFailedError{OrderID: r.OrderID, Status: StatusFailed, Step: StepPayment, Type: r.FailureType,
		Message: orDefault(r.Message, "no payment was taken (order "+string(r.Status)+")")}
}

// checkoutOf answers a checkout from the result of an order that has
// ended: paid only if it completed, since a failed or cancelled order's
// payment was refunded (or, needing a person, is being settled).
func checkoutOf(r *OrderResult) CheckoutResult {
	res := CheckoutResult{OrderID: r.OrderID, Total: r.Total, Payment: r.Payment, Outcome: CheckoutPaid}
	if r.Payment == nil || r.Status != StatusCompleted {
		res.Payment = nil
		res.Outcome, res.Status, res.FailureType, res.Message = CheckoutNotPaid, r.Status, r.FailureType, r.Message
	}
	return res
}
