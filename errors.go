package orderflow

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
)

// Errors a caller tests with errors.Is.
var (
	// ErrInvalidOrder is wrapped by every validation error (see ValidationError).
	ErrInvalidOrder = errors.New("orderflow: invalid order")
	// ErrOrderExists means an order with this ID already ran or is running.
	ErrOrderExists = errors.New("orderflow: order already exists")
	// ErrOrderNotFound means no order with this ID exists.
	ErrOrderNotFound = errors.New("orderflow: order not found")
	// ErrNotAwaitingApproval means a decision was sent to an order that is not
	// waiting for one: it needs no approval, was already decided, timed out,
	// was cancelled or has finished.
	ErrNotAwaitingApproval = errors.New("orderflow: order is not awaiting approval")
	// ErrTooLateToCancel means delivery is already being arranged: the order
	// is past the point of no return.
	ErrTooLateToCancel = errors.New("orderflow: too late to cancel")
	// ErrAlreadyCancelled means the order was already cancelled.
	ErrAlreadyCancelled = errors.New("orderflow: order already cancelled")
	// ErrOrderFailed is wrapped by OrderFailedError, the error of an order
	// that ended with StatusFailed.
	ErrOrderFailed = errors.New("orderflow: order failed")
	// ErrNeedsAttention is wrapped by the error of an order that ended with
	// StatusNeedsAttention: a person must act (a refund or release was
	// refused, or delivery's outcome is unknown).
	ErrNeedsAttention = errors.New("orderflow: order needs a person")
	// ErrInvalidReason means the reason given with a decision or a
	// cancellation is too long or not plain text (see ValidateReason).
	ErrInvalidReason = errors.New("orderflow: invalid reason")
	// ErrInvalidApprover means the approver's name given with a decision is
	// too long or not a plain one-line name (see ValidateApprover).
	ErrInvalidApprover = errors.New("orderflow: invalid approver name")
	// ErrVisibilityNotReady means Options.Visibility is on but the
	// namespace lacks the search attributes it needs (see
	// RegisterSearchAttributes).
	ErrVisibilityNotReady = errors.New("orderflow: order search attributes are not registered")
	// ErrInvalidListOptions means ListOrders was given an unknown status, a
	// page size out of range or a page token it did not return.
	ErrInvalidListOptions = errors.New("orderflow: invalid list options")
)

// Permanent business failures. A provider returns an error wrapping one of
// these (fmt.Errorf("card %s: %w", last4, orderflow.ErrPaymentDeclined)) when
// trying again cannot help. The activity then fails at once, without retries,
// and the order is compensated and ends failed. Any other error is transient
// and retried under the order's retry policy.
var (
	// ErrPaymentDeclined: the payment was refused (card declined, insufficient funds).
	ErrPaymentDeclined = errors.New("orderflow: payment declined")
	// ErrOutOfStock: an item cannot be reserved.
	ErrOutOfStock = errors.New("orderflow: out of stock")
	// ErrUndeliverable: no carrier can deliver to the address.
	ErrUndeliverable = errors.New("orderflow: undeliverable")
	// ErrPermanent: any other failure that retrying cannot fix, such as an
	// email address the mail service refuses.
	ErrPermanent = errors.New("orderflow: permanent failure")
)

// ApplicationError type strings. They are stable wire names: they appear in
// workflow histories and OrderResult.FailureType, and FromTemporal and the
// Client map them back to the sentinels.
const (
	// The providers' permanent failures, one per sentinel.
	ErrorTypePaymentDeclined = "orderflow.PaymentDeclined"
	ErrorTypeOutOfStock      = "orderflow.OutOfStock"
	ErrorTypeUndeliverable   = "orderflow.Undeliverable"
	ErrorTypePermanent       = "orderflow.Permanent"

	// The workflow's refusals: an invalid input, and decisions or
	// cancellations refused by their Update's validator.
	ErrorTypeInvalidOrder        = "orderflow.InvalidOrder"
	ErrorTypeNotAwaitingApproval = "orderflow.NotAwaitingApproval"
	ErrorTypeTooLateToCancel     = "orderflow.TooLateToCancel"
	ErrorTypeAlreadyCancelled    = "orderflow.AlreadyCancelled"
	ErrorTypeInvalidReason       = "orderflow.InvalidReason"
	ErrorTypeInvalidApprover     = "orderflow.InvalidApprover"

	// How a step failed when no provider said why (OrderResult.FailureType):
	// its retries ran out, or its last attempt timed out.
	ErrorTypeRetriesExhausted = "orderflow.RetriesExhausted"
	ErrorTypeActivityTimedOut = "orderflow.ActivityTimedOut"
)

// errorTypeActivityCancelled is the FailureType of a step cancelled without
// a cancellation of the order, which the workflow does not do.
const errorTypeActivityCancelled = "orderflow.ActivityCancelled"

// errorTypeOrderExists refuses a checkout of another order under an
// existing order's ID.
const errorTypeOrderExists = "orderflow.OrderExists"

// errorTypes pairs each type string with its sentinel; the first four are
// the providers' permanent failures. A slice, not a map, so that
// classification order is fixed.
var errorTypes = []struct {
	typ string
	err error
}{
	{ErrorTypePaymentDeclined, ErrPaymentDeclined},
	{ErrorTypeOutOfStock, ErrOutOfStock},
	{ErrorTypeUndeliverable, ErrUndeliverable},
	{ErrorTypePermanent, ErrPermanent},
	{ErrorTypeInvalidOrder, ErrInvalidOrder},
	{ErrorTypeNotAwaitingApproval, ErrNotAwaitingApproval},
	{ErrorTypeTooLateToCancel, ErrTooLateToCancel},
	{ErrorTypeAlreadyCancelled, ErrAlreadyCancelled},
	{ErrorTypeInvalidReason, ErrInvalidReason},
	{ErrorTypeInvalidApprover, ErrInvalidApprover},
	{errorTypeOrderExists, ErrOrderExists},
}

// sentinelFor returns the sentinel for an ApplicationError type string, or nil.
func sentinelFor(typ string) error {
	for _, e := range errorTypes {
		if e.typ == typ {
			return e.err
		}
	}
	return nil
}

// providerErrors is how many entries of errorTypes are providers' failures.
const providerErrors = 4

// permanentType returns the type string of the permanent business failure
// err wraps, or "".
func permanentType(err error) string {
	for _, e := range errorTypes[:providerErrors] {
		if errors.Is(err, e.err) {
			return e.typ
		}
	}
	return ""
}

// ProviderError returns err as orderflow's activities return a provider's
// error: one that wraps a permanent sentinel (ErrPaymentDeclined,
// ErrOutOfStock, ErrUndeliverable, ErrPermanent) becomes a non-retryable
// *temporal.ApplicationError of its stable type (ErrorTypeOutOfStock, …),
// which fails the step at once; any other error is returned as it is, and
// retried. It is for tests that mock an activity, whose error does not pass
// through orderflow's activity code:
//
//	env.OnActivity(orderflow.ActivityReserveInventory, mock.Anything, mock.Anything).
//		Return(orderflow.InventoryResult{}, orderflow.ProviderError(orderflow.ErrOutOfStock))
func ProviderError(err error) error {
	if err == nil {
		return nil
	}
	if typ := permanentType(err); typ != "" {
		return temporal.NewNonRetryableApplicationError(err.Error(), typ, err)
	}
	return err
}

// FromTemporal returns err such that errors.Is finds the orderflow sentinel
// that an *temporal.ApplicationError in its chain stands for (by its type,
// such as ErrorTypeNotAwaitingApproval): a refused Update, a failed step or
// an invalid input, as the SDK's test environment or a plain Temporal client
// reports them. The Client does this for every error it returns. Errors
// without such a type are returned as they are.
func FromTemporal(err error) error {
	msg, s := sentinelIn(err)
	if s == nil {
		return err
	}
	return &temporalError{sentinel: s, msg: msg, err: err}
}

// sentinelIn returns the sentinel of the first ApplicationError in err's
// chain whose type has one, and that error's message.
func sentinelIn(err error) (msg string, sentinel error) {
	var appErr *temporal.ApplicationError
	for e := err; errors.As(e, &appErr); e = appErr.Unwrap() {
		if s := sentinelFor(appErr.Type()); s != nil {
			return appErr.Message(), s
		}
		if appErr.Unwrap() == nil {
			break
		}
	}
	return "", nil
}

// temporalError is an error from Temporal that carries an orderflow sentinel.
type temporalError struct {
	sentinel error
	msg      string
	err      error
}

func (e *temporalError) Error() string {
	return e.sentinel.Error() + ": " + strings.TrimPrefix(e.msg, "orderflow: ")
}

func (e *temporalError) Unwrap() []error { return []error{e.sentinel, e.err} }

// OrderFailedError is the error of an order that ended with StatusFailed or
// StatusNeedsAttention. It wraps ErrOrderFailed (or ErrNeedsAttention) and
// the sentinel of the failure (ErrPaymentDeclined, …).
type OrderFailedError struct {
	OrderID string
	Status  Status // StatusFailed or StatusNeedsAttention
	Step    Step   // the step that failed, if one did
	Type    string // an ErrorType constant, if a step failed
	Message string
}

func (e *OrderFailedError) Error() string {
	if e.Status == StatusNeedsAttention {
		return fmt.Sprintf("orderflow: order %q needs a person: %s", e.OrderID, e.Message)
	}
	return fmt.Sprintf("orderflow: order %q failed at %s: %s", e.OrderID, e.Step, e.Message)
}

// Unwrap returns ErrOrderFailed or ErrNeedsAttention, and the sentinel
// matching Type, if any.
func (e *OrderFailedError) Unwrap() []error {
	errs := []error{ErrOrderFailed}
	if e.Status == StatusNeedsAttention {
		errs[0] = ErrNeedsAttention
	}
	if s := sentinelFor(e.Type); s != nil {
		errs = append(errs, s)
	}
	return errs
}
