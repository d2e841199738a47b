package orderflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// Client drives orders by order ID through a Temporal client the caller owns
// (and closes). It is safe for concurrent use.
type Client struct {
	tc   client.Client
	opts Options // defaults filled in
	// dc decodes memos: Options.DataConverter, or the SDK's default.
	dc converter.DataConverter
}

// NewClient returns a Client that starts orders with the options opts (nil
// means the defaults). It fails when c is nil or an option is out of range.
// With Options.Visibility it asks the server whether the namespace has the
// search attributes registered, within Options.CallTimeout, and fails with
// ErrVisibilityNotReady when it does not: orders that upsert an
// unregistered attribute would hang.
func NewClient(c client.Client, opts *Options) (*Client, error) {
	if c == nil {
		return nil, errors.New("orderflow: new client: temporal client is nil")
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.Visibility {
		ctx, cancel := context.WithTimeout(context.Background(), o.CallTimeout)
		defer cancel()
		if err := checkVisibility(ctx, c); err != nil {
			return nil, fmt.Errorf("orderflow: new client: Options.Visibility: %w", err)
		}
	}
	dc := o.DataConverter
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	return &Client{tc: c, opts: o, dc: dc}, nil
}

// startOptions are the options every start of an order uses.
func (c *Client) startOptions(in WorkflowInput) client.StartWorkflowOptions {
	o := client.StartWorkflowOptions{
		ID:        WorkflowID(in.Order.OrderID),
		TaskQueue: c.opts.TaskQueue,
		// An order ID is used once: a second start, while the first runs or
		// after it ended, is an error rather than a silent reuse.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}
	if c.opts.Visibility {
		o.TypedSearchAttributes, o.Memo = startAttributes(in, time.Now())
	}
	return o
}

// Options returns the options the Client works with, defaults filled in.
func (c *Client) Options() Options { return c.opts }

// Start validates order and starts it. Nothing reaches the server when the
// order is invalid (ErrInvalidOrder). An order whose ID already ran or is
// running is refused with ErrOrderExists.
func (c *Client) Start(ctx context.Context, order Order) error {
	if err := c.start(ctx, order); err != nil {
		return fmt.Errorf("orderflow: start order %q: %w", order.OrderID, err)
	}
	return nil
}

// StartIfAbsent is Start for callers that retry: when the same order
// (normalized, it has the same fields and items) already ran or is running
// under this ID it returns started == false and no error, and the existing
// order stands (its Result is the result). Another order under this ID is
// refused with ErrOrderExists.
func (c *Client) StartIfAbsent(ctx context.Context, order Order) (started bool, err error) {
	err = c.start(ctx, order)
	if errors.Is(err, ErrOrderExists) {
		err = c.sameOrder(ctx, order)
	}
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, errSameOrder):
		return false, nil
	}
	return false, fmt.Errorf("orderflow: start order %q: %w", order.OrderID, err)
}

// errSameOrder says that the order under an ID is the one the caller has.
var errSameOrder = errors.New("the same order exists")

// sameOrder returns errSameOrder when the order that exists under order's
// ID has order's content, and an error wrapping ErrOrderExists when it has
// another.
func (c *Client) sameOrder(ctx context.Context, order Order) error {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	it := c.tc.GetWorkflowHistory(ctx, WorkflowID(order.OrderID), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return ErrOrderExists
	}
	first, err := it.Next()
	if err != nil {
		return c.wrap("read", order.OrderID, err)
	}
	var in struct {
		Order
		Plan *plan `json:"plan"`
	}
	payloads := first.GetWorkflowExecutionStartedEventAttributes().GetInput()
	if err := c.dc.FromPayloads(payloads, &in); err != nil {
		return fmt.Errorf("%w (its input cannot be read: %v)", ErrOrderExists, err)
	}
	theirs := ""
	if in.Plan != nil {
		theirs = in.Plan.Fingerprint
	} else { // started without a plan: by the CLI, or by hand
		theirs = fingerprint(in.Order.Normalized())
	}
	if theirs != fingerprint(order.Normalized()) {
		return fmt.Errorf("%w, with other fields or items", ErrOrderExists)
	}
	return errSameOrder
}

func (c *Client) start(ctx context.Context, order Order) error {
	in, err := NewWorkflowInput(order, &c.opts)
	if err != nil {
		return err
	}
	so := c.startOptions(in)
	so.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL
	so.WorkflowExecutionErrorWhenAlreadyStarted = true
	// With a worker for the queue on this Temporal client, the server hands
	// it the first workflow task in its reply: one round trip less.
	so.EnableEagerStart = c.opts.LowLatency
	_, err = c.tc.ExecuteWorkflow(ctx, so, WorkflowName, in)
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return ErrOrderExists
	}
	return err
}

// Execute starts order and waits for its result; see Start and Result.
func (c *Client) Execute(ctx context.Context, order Order) (*OrderResult, error) {
	if err := c.Start(ctx, order); err != nil {
		return nil, err
	}
	return c.Result(ctx, order.OrderID)
}

// Checkout starts order and returns as soon as the outcome a customer waits
// for at checkout is known, while the order goes on in the background:
// CheckoutPaid with the payment (inventory, delivery and email follow),
// CheckoutAwaitingApproval for an order over the threshold, or
// CheckoutNotPaid with an error wrapping the reason (ErrPaymentDeclined, …)
// when no payment was taken. It is one call to the server, an
// Update-with-Start, not a start followed by polling.
//
// Once the order has started, the result is not nil, also when the error is
// not: a declined card gives the CheckoutNotPaid result (with the order's
// status and message for the customer) and an error wrapping
// ErrPaymentDeclined, as CheckoutResult.Err does. An order that ended
// unpaid without failing (cancelled, rejected) gives the result and a nil
// error. A nil result comes only with an error that says the order could
// not be started or reached (ErrInvalidOrder, a server error, ctx).
//
// A retried call with the same order (same fields and items, once
// normalized) attaches to it and gets its answer as it stands now: the
// first answer unless the order has since failed or been cancelled, and,
// once it has ended, CheckoutPaid only if it completed. Another order under
// an existing ID is refused with ErrOrderExists. An invalid order is refused with ErrInvalidOrder before
// anything is sent.
//
// What Checkout waits for: the payment's outcome for an order under the
// approval threshold (in the default mode the payment activity runs on an
// activity worker; in the low-latency mode it runs in the order's first
// workflow task on its worker), or the start of the approval wait for one
// over it. It waits as long as ctx allows, or Options.CallTimeout when ctx
// has no deadline.
func (c *Client) Checkout(ctx context.Context, order Order) (*CheckoutResult, error) {
	in, err := NewWorkflowInput(order, &c.opts)
	if err != nil {
		return nil, fmt.Errorf("orderflow: checkout order %q: %w", order.OrderID, err)
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	id := WorkflowID(order.OrderID)
	so := c.startOptions(in)
	so.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	op := c.tc.NewWithStartWorkflowOperation(so, WorkflowName, in)
	// Each call is its own Update (the SDK names it), answered from the
	// order's state now: the server would answer a repeated Update ID with
	// its first answer, even once the order has failed and refunded. The
	// fingerprint lets the workflow refuse another order under this ID.
	h, err := c.tc.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: UpdateCheckout,
			Args: []any{in.plan.Fingerprint}, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	var res CheckoutResult
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err == nil {
		return &res, res.Err()
	}
	if !c.ended(ctx, order.OrderID) {
		return nil, c.wrap("checkout", order.OrderID, err)
	}
	// The order has ended: it answers from its result, if it is this one.
	if same := c.sameOrder(ctx, order); !errors.Is(same, errSameOrder) {
		return nil, fmt.Errorf("orderflow: checkout order %q: %w", order.OrderID, same)
	}
	ended := c.endedResult(ctx, order.OrderID)
	if ended == nil {
		return nil, c.wrap("checkout", order.OrderID, err)
	}
	res = checkoutOf(ended)
	return &res, res.Err()
}

// Result waits for the order to end and returns its result. For an order
// that ended failed it returns the result and an *OrderFailedError, which
// wraps the provider sentinel (errors.Is(err, ErrPaymentDeclined)); for one
// that needs a person (StatusNeedsAttention) the error wraps
// ErrNeedsAttention. Other business outcomes (rejected, timed_out,
// cancelled) are not errors: check OrderResult.Status. Result waits as long
// as ctx allows.
func (c *Client) Result(ctx context.Context, orderID string) (*OrderResult, error) {
	if err := validateLookupID(orderID); err != nil {
		return nil, err
	}
	var res OrderResult
	if err := c.tc.GetWorkflow(ctx, WorkflowID(orderID), "").Get(ctx, &res); err != nil {
		return nil, c.wrap("get result of", orderID, err)
	}
	return &res, res.Err()
}

// Approve approves an order that is awaiting approval, through a validated
// Update: it returns once the decision took, or ErrNotAwaitingApproval when
// the order needs no approval, was already decided, timed out, was
// cancelled or ended. Of several decisions, the first recorded in the
// order's history wins and every later one is refused. A retried call with
// the same reason (after a lost reply, say) gets the first call's answer; a
// reason over MaxReasonLength is refused with ErrInvalidReason before
// anything is sent.
func (c *Client) Approve(ctx context.Context, orderID, reason string) (Approval, error) {
	return c.decide(ctx, UpdateApprove, orderID, "", reason)
}

// Reject rejects an order that is awaiting approval; see Approve. A rejected
// order ends with StatusRejected and nothing charged.
func (c *Client) Reject(ctx context.Context, orderID, reason string) (Approval, error) {
	return c.decide(ctx, UpdateReject, orderID, "", reason)
}

// ApproveAs is Approve on behalf of approver, a name the caller has
// authenticated (see ValidateApprover). The name is recorded with the
// decision: in the Update's arguments in the order's history, and in
// Approval.Approver of its state and result. Two approvers deciding the
// same order are two decisions: the first wins, the second is refused with
// ErrNotAwaitingApproval.
func (c *Client) ApproveAs(ctx context.Context, orderID, approver, reason string) (Approval, error) {
	return c.decide(ctx, UpdateApprove, orderID, approver, reason)
}

// RejectAs is Reject on behalf of approver; see ApproveAs.
func (c *Client) RejectAs(ctx context.Context, orderID, approver, reason string) (Approval, error) {
	return c.decide(ctx, UpdateReject, orderID, approver, reason)
}

func (c *Client) decide(ctx context.Context, update, orderID, approver, reason string) (Approval, error) {
	var a Approval
	if err := ValidateApprover(approver); err != nil {
		return a, fmt.Errorf("orderflow: %s order %q: %w", strings.TrimSuffix(update, "_order"), orderID, err)
	}
	err := c.update(ctx, update, orderID, reason, &a, approver)
	if errors.Is(err, errFinished) {
		// A retry of a call whose answer was lost, after the order ended:
		// answer it as the first call was answered.
		want := ApprovalApproved
		if update == UpdateReject {
			want = ApprovalRejected
		}
		if res := c.endedResult(ctx, orderID); res != nil && res.Approval.Status == want &&
			res.Approval.Reason == reason && res.Approval.Approver == approver {
			return res.Approval, nil
		}
		err = fmt.Errorf("orderflow: %s order %q: %w: the order has ended", update, orderID, ErrNotAwaitingApproval)
	}
	return a, err
}

// Cancel cancels an order before delivery is arranged: what was done is
// undone and the order ends with StatusCancelled (wait with Result). Once
// delivery is being arranged, once the order was rejected, timed out or
// failed, or when it has ended, it returns ErrTooLateToCancel; a second
// cancel returns ErrAlreadyCancelled. A retried call with the same reason,
// after the first took, returns nil.
func (c *Client) Cancel(ctx context.Context, orderID, reason string) error {
	err := c.update(ctx, UpdateCancel, orderID, reason, nil, "")
	if errors.Is(err, errFinished) {
		if res := c.endedResult(ctx, orderID); res != nil && res.CancelReason == reason &&
			(res.Status == StatusCancelled || res.Status == StatusNeedsAttention) {
			return nil
		}
		err = fmt.Errorf("orderflow: cancel order %q: %w: the order has ended", orderID, ErrTooLateToCancel)
	}
	return err
}

// ended reports whether the order exists and has ended: one describe call.
func (c *Client) ended(ctx context.Context, orderID string) bool {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	d, err := c.tc.DescribeWorkflowExecution(ctx, WorkflowID(orderID), "")
	return err == nil && d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
}

// endedResult returns the result of an order that has ended, or nil.
func (c *Client) endedResult(ctx context.Context, orderID string) *OrderResult {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	var res OrderResult
	if err := c.tc.GetWorkflow(ctx, WorkflowID(orderID), "").Get(ctx, &res); err != nil {
		return nil
	}
	return &res
}

// validateLookupID checks the order ID of a lookup or decision.
func validateLookupID(orderID string) error { return ValidateOrderID(orderID) }

// errFinished marks an Update sent to an order that has ended.
var errFinished = errors.New("order has ended")

// updateID names a decision or cancellation by its name, approver and
// reason, so that a retried call is the same Update to the server, which
// answers it with the first call's outcome instead of running it again.
func updateID(name, approver, reason string) string {
	key := reason
	if approver != "" {
		key = approver + "\x00" + reason
	}
	sum := sha256.Sum256([]byte(key))
	return name + "-" + hex.EncodeToString(sum[:16])
}

// update sends the Update name with reason, and approver as its second
// argument when not empty.
func (c *Client) update(ctx context.Context, name, orderID, reason string, result any, approver string) error {
	op := strings.TrimSuffix(name, "_order")
	if err := validateLookupID(orderID); err != nil {
		return err
	}
	if err := ValidateReason(reason); err != nil {
		return fmt.Errorf("orderflow: %s order %q: %w", op, orderID, err)
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	args := []any{reason}
	if approver != "" {
		args = append(args, approver)
	}
	h, err := c.tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID:     updateID(name, approver, reason),
		WorkflowID:   WorkflowID(orderID),
		UpdateName:   name,
		Args:         args,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, result)
	}
	if err == nil {
		return nil
	}
	if isNotFound(err) && c.exists(ctx, orderID) {
		return errFinished
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// An accepted Update needs a worker to run it; say so rather than
		// leave the caller with a bare deadline.
		return fmt.Errorf("orderflow: %s order %q: no answer in time; is a worker polling task queue %q? %w",
			op, orderID, c.opts.TaskQueue, err)
	}
	return c.wrap(op, orderID, err)
}

// exists reports whether an order with this ID ran or is running.
func (c *Client) exists(ctx context.Context, orderID string) bool {
	_, err := c.tc.DescribeWorkflowExecution(ctx, WorkflowID(orderID), "")
	return err == nil
}

// ApprovalStatus returns the order's approval status (the
// get_approval_status query).
func (c *Client) ApprovalStatus(ctx context.Context, orderID string) (ApprovalStatus, error) {
	var s string
	err := c.query(ctx, QueryApprovalStatus, orderID, &s)
	return ApprovalStatus(s), err
}

// State returns the order's full state, running or ended (the
// get_order_state query): its status, step, approval, what was done and what
// was compensated. For a provider call that
// is still running (Current), it adds what the server knows of its retries:
// the attempt, the last error and when the next attempt starts, so that a
// delivery or refund that keeps failing can be seen.
func (c *Client) State(ctx context.Context, orderID string) (*OrderResult, error) {
	var r OrderResult
	if err := c.query(ctx, QueryOrderState, orderID, &r); err != nil {
		return nil, err
	}
	if r.Current != nil {
		c.addRetries(ctx, orderID, r.Current)
	}
	return &r, nil
}

// addRetries fills in cur's attempts from the server's record of the
// order's pending activities. It leaves cur alone when that is not to be had.
func (c *Client) addRetries(ctx context.Context, orderID string, cur *StepProgress) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	desc, err := c.tc.DescribeWorkflowExecution(ctx, WorkflowID(orderID), "")
	if err != nil {
		return
	}
	for _, pa := range desc.GetPendingActivities() {
		if pa.GetActivityType().GetName() != cur.Activity {
			continue
		}
		cur.Attempt = pa.GetAttempt()
		cur.LastError = pa.GetLastFailure().GetMessage()
		if t := pa.GetNextAttemptScheduleTime(); t != nil {
			cur.NextAttempt = t.AsTime()
		}
	}
}

func (c *Client) query(ctx context.Context, name, orderID string, result any) error {
	if err := validateLookupID(orderID); err != nil {
		return err
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	v, err := c.tc.QueryWorkflow(ctx, WorkflowID(orderID), "", name)
	if err == nil {
		err = v.Get(result)
	}
	if err != nil {
		return c.wrap("query "+name+" of", orderID, err)
	}
	return nil
}

func (c *Client) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.opts.CallTimeout)
}

// wrap adds the operation and order to err, and maps what the server or the
// workflow said back to the package's sentinels.
func (c *Client) wrap(op, orderID string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("orderflow: %s order %q: %w", op, orderID, ErrOrderNotFound)
	}
	if msg, s := sentinelIn(err); s != nil {
		return fmt.Errorf("orderflow: %s order %q: %w: %s", op, orderID, s, strings.TrimPrefix(msg, "orderflow: "))
	}
	return fmt.Errorf("orderflow: %s order %q: %w", op, orderID, err)
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
