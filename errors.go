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
	ErrInvalidOrder = errors.New("invalid order")
	// ErrOrderExists means an order with this ID already ran or is running.
	ErrOrderExists = errors.New("order already exists")
	// ErrOrderNotFound means no order with this ID exists.
	ErrOrderNotFound = errors.New("order not found")
	// ErrNotAwaitingApproval means a decision was sent to an order that is not
	// waiting for one: it needs no approval, was already decided, timed out,
	// was cancelled or has finished.
	ErrNotAwaitingApproval = errors.New("order is not awaiting approval")
	// ErrTooLateToCancel means delivery is already being arranged: the order
	// is past the point of no return.
	ErrTooLateToCancel = errors.New("too late to cancel")
	// ErrAlreadyCancelled means the order was already cancelled.
	ErrAlreadyCancelled = errors.New("order already cancelled")
	// ErrOrderFailed is wrapped by the error of an order that ended with
	// StatusFailed (OrderState.Err): errors.Is also finds the provider's
	// sentinel, such as ErrPaymentDeclined.
	ErrOrderFailed = errors.New("order failed")
	// ErrNeedsAttention is wrapped by the error of an order that ended with
	// StatusNeedsAttention: a person must act (a refund or release was
	// refused, or delivery's outcome is unknown).
	ErrNeedsAttention = errors.New("order needs a person")
	// ErrInvalidArgument means a call was given something other than an
	// order that it refuses before anything is sent: a decision's reason or
	// approver (see Decision), a cancellation's reason, or list options (an
	// unknown status, a page size out of range, a page token ListOrders did
	// not return). The message names what is wrong.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrVisibilityNotReady means Options.Visibility is on but the
	// namespace lacks the search attributes it needs (see
	// RegisterSearchAttributes).
	ErrVisibilityNotReady = errors.New("order search attributes are not registered")
)

// Permanent business failures. A provider returns an error wrapping one of
// these (fmt.Errorf("card %s: %w", last4, orderflow.ErrPaymentDeclined)) when
// trying again cannot help. The activity then fails at once, without retries,
// and the order is compensated and ends failed. Any other error is transient
// and retried under the order's retry policy.
var (
	// ErrPaymentDeclined: the payment was refused (card declined, insufficient funds).
	ErrPaymentDeclined = errors.New("payment declined")
	// ErrOutOfStock: an item cannot be reserved.
	ErrOutOfStock = errors.New("out of stock")
	// ErrUndeliverable: no carrier can deliver to the address.
	ErrUndeliverable = errors.New("undeliverable")
	// ErrPermanent: any other failure that retrying cannot fix, such as an
	// email address the mail service refuses.
	ErrPermanent = errors.New("permanent failure")
)

// ApplicationError type strings. They are stable wire names: they appear in
// workflow histories and OrderState.FailureType, and the Client maps them
// back to the sentinels.
const (
	// The providers' permanent failures, one per sentinel.
	errorTypePaymentDeclined = "orderflow.PaymentDeclined"
	errorTypeOutOfStock      = "orderflow.OutOfStock"
	errorTypeUndeliverable   = "orderflow.Undeliverable"
	errorTypePermanent       = "orderflow.Permanent"

	// The workflow's refusals: an invalid input, and decisions or
	// cancellations refused by their Update's validator.
	errorTypeInvalidOrder        = "orderflow.InvalidOrder"
	errorTypeNotAwaitingApproval = "orderflow.NotAwaitingApproval"
	errorTypeTooLateToCancel     = "orderflow.TooLateToCancel"
	errorTypeAlreadyCancelled    = "orderflow.AlreadyCancelled"
	errorTypeInvalidReason       = "orderflow.InvalidReason"
	errorTypeInvalidApprover     = "orderflow.InvalidApprover"

	// How a step failed when no provider said why (OrderState.FailureType):
	// its retries ran out, or its last attempt timed out.
	errorTypeRetriesExhausted = "orderflow.RetriesExhausted"
	errorTypeActivityTimedOut = "orderflow.ActivityTimedOut"
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
	{errorTypePaymentDeclined, ErrPaymentDeclined},
	{errorTypeOutOfStock, ErrOutOfStock},
	{errorTypeUndeliverable, ErrUndeliverable},
	{errorTypePermanent, ErrPermanent},
	{errorTypeInvalidOrder, ErrInvalidOrder},
	{errorTypeNotAwaitingApproval, ErrNotAwaitingApproval},
	{errorTypeTooLateToCancel, ErrTooLateToCancel},
	{errorTypeAlreadyCancelled, ErrAlreadyCancelled},
	{errorTypeInvalidReason, ErrInvalidArgument},
	{errorTypeInvalidApprover, ErrInvalidArgument},
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

// providerError returns err as orderflow's activities return a provider's
// error: one that wraps a permanent sentinel (ErrPaymentDeclined,
// ErrOutOfStock, ErrUndeliverable, ErrPermanent) becomes a non-retryable
// *temporal.ApplicationError of its stable type ("orderflow.OutOfStock", …),
// which fails the step at once; any other error is returned as it is, and
// retried.
func providerError(err error) error {
	if err == nil {
		return nil
	}
	if typ := permanentType(err); typ != "" {
		return temporal.NewNonRetryableApplicationError(err.Error(), typ, err)
	}
	return err
}

// fromTemporal returns err such that errors.Is finds the orderflow sentinel
// that an *temporal.ApplicationError in its chain stands for (by its type,
// such as "orderflow.NotAwaitingApproval"). Errors without such a type are
// returned as they are.
func fromTemporal(err error) error {
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
	return "orderflow: " + e.sentinel.Error() + ": " + strings.TrimPrefix(e.msg, "orderflow: ")
}

func (e *temporalError) Unwrap() []error { return []error{e.sentinel, e.err} }

// orderError is the error of an order that ended with StatusFailed or
// StatusNeedsAttention (OrderState.Err). It wraps ErrOrderFailed (or
// ErrNeedsAttention) and the sentinel of the failure (ErrPaymentDeclined, …).
type orderError struct {
	orderID string
	status  Status // StatusFailed or StatusNeedsAttention
	step    Step   // the step that failed, if one did
	typ     string // an errorType, if a step failed
	message string
}

func (e *orderError) Error() string {
	if e.status == StatusNeedsAttention {
		return fmt.Sprintf("orderflow: order %q needs a person: %s", e.orderID, e.message)
	}
	return fmt.Sprintf("orderflow: order %q failed at %s: %s", e.orderID, e.step, e.message)
}

// Unwrap returns ErrOrderFailed or ErrNeedsAttention, and the sentinel
// matching the failure's type, if any.
func (e *orderError) Unwrap() []error {
	errs := []error{ErrOrderFailed}
	if e.status == StatusNeedsAttention {
		errs[0] = ErrNeedsAttention
	}
	if s := sentinelFor(e.typ); s != nil {
		errs = append(errs, s)
	}
	return errs
}
