package orderflow

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
	StepValidation   Step = "validation"
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
}

// PaymentResult is what the payment provider returned for a charge.
type PaymentResult struct {
	TransactionID string `json:"transaction_id"`
	Amount        Money  `json:"amount"`
	Message       string `json:"message,omitempty"`
}

// InventoryResult is what the inventory provider returned for a reservation.
type InventoryResult struct {
	ReservationID string `json:"reservation_id"`
	Message       string `json:"message,omitempty"`
}

// DeliveryResult is what the delivery provider returned when it arranged a shipment.
type DeliveryResult struct {
	TrackingNumber string `json:"tracking_number"`
	// EstimatedDelivery is a calendar date, YYYY-MM-DD.
	EstimatedDelivery string `json:"estimated_delivery"`
	Message           string `json:"message,omitempty"`
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
	// the undo could not be done and needs a person.
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

// Err returns nil unless the order failed; then it returns an error that
// wraps the provider sentinel matching FailureType (ErrPaymentDeclined,
// ErrOutOfStock, …) and ErrOrderFailed.
func (r *OrderResult) Err() error {
	if r == nil || r.Status != StatusFailed {
		return nil
	}
	return &OrderFailedError{OrderID: r.OrderID, Step: r.FailedStep, Type: r.FailureType, Message: r.Message}
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
	return &c
}
