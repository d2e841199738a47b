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
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// Client drives orders by order ID through a Temporal client the caller owns
// (and closes). It is safe for concurrent use.
//
// One rule for order IDs: an order ID names one order. Start, Execute and
// Checkout with the same order (the same fields and items, once normalized)
// as the one that runs or ran under its ID attach to it: nothing is started
// twice, and retrying any of them after a lost reply is safe. Another order
// under an existing ID is refused with ErrOrderExists. The ID stays taken
// while the order's workflow exists: while it runs, and for the namespace's
// retention period after it ends.
//
// Deadlines: every call is bounded by its ctx, and by Options.CallTimeout
// (10 s by default) when ctx has no deadline, Result and Execute included:
// give ctx a deadline to wait longer for an order awaiting approval. When
// the deadline passes or ctx is cancelled, the error satisfies
// errors.Is(err, context.DeadlineExceeded) or errors.Is(err,
// context.Canceled).
//
// Reading an order:
//
//	call            reads                                      use it for
//	ApprovalStatus  the order itself (get_approval_status)     the approval alone, as the Python demo
//	State           the order itself, and the server's record  what runs now: step, retries, last error
//	                of its pending provider call
//	Result          the order's result, once it has ended      the outcome; waits for the end
//	Summary         the visibility store (search attributes    a listing row, without asking the order;
//	                and memo)                                  may lag a moment behind
//	ListOrders,     the visibility store                       pages and counts of many orders, by status
//	CountOrders,
//	Orders
//
// ApprovalStatus and State need a worker to answer (Temporal runs queries
// on a worker, also for an order that has ended); Result, Summary and the
// listings are answered by the server alone.
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
			return nil, &opError{op: "new client: Options.Visibility", err: err}
		}
	}
	dc := o.DataConverter
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	return &Client{tc: c, opts: o, dc: dc}, nil
}

// Options returns the options the Client works with, defaults filled in.
func (c *Client) Options() Options { return c.opts }

// Start validates order and starts it, or attaches to it when the same
// order already runs or ran under its ID (see Client). Nothing reaches the
// server when the order is invalid (ErrInvalidOrder). Another order under
// an existing ID is refused with ErrOrderExists.
func (c *Client) Start(ctx context.Context, order Order) error {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	if _, err := c.start(ctx, order); err != nil {
		return c.wrap(ctx, "start", order.OrderID, err)
	}
	return nil
}

// Execute starts order (or attaches to it, as Start) and waits for its
// result, as Result. Both are bounded by one deadline: ctx's, or
// Options.CallTimeout when ctx has none.
func (c *Client) Execute(ctx context.Context, order Order) (*OrderState, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	run, err := c.start(ctx, order)
	if err != nil {
		return nil, c.wrap(ctx, "start", order.OrderID, err)
	}
	if run == nil { // started before: wait for the order's current run
		return c.Result(ctx, order.OrderID)
	}
	return c.result(ctx, order.OrderID, run)
}

// Checkout starts order (or attaches to it, as Start) and returns once the
// answer a customer waits for at checkout is known, while the order goes
// on in the background: paid (CheckoutResult.Paid; inventory, delivery and
// email follow), awaiting approval for an order over the threshold, or not
// paid, with a sentence for the customer and, when a step failed, an error
// wrapping the reason (ErrPaymentDeclined, …). It is one call to the
// server, an Update-with-Start, not a start followed by polling.
//
// Once the order has started, the result is not nil, also when the error is
// not: a declined card gives the unpaid result and an error wrapping
// ErrPaymentDeclined, as CheckoutResult.Err does. An order that ended
// unpaid without failing (cancelled, rejected) gives the result and a nil
// error. A nil result comes only with an error that says the order could
// not be started or reached (ErrInvalidOrder, ErrOrderExists, a server
// error, a deadline).
//
// A retried call attaches and gets the order's answer as it stands now: the
// first answer unless the order has since failed or been cancelled, and,
// once it has ended, paid only if it completed.
//
// What Checkout waits for: the payment's outcome for an order under the
// approval threshold, or the start of the approval wait for one over it.
// In the default mode the payment is an activity, which any worker runs;
// in the low-latency mode it runs in the order's first workflow task on
// its worker, so the answer comes with that task, after the inventory
// reservation that runs in the same task.
func (c *Client) Checkout(ctx context.Context, order Order) (*CheckoutResult, error) {
	start := time.Now()
	res, err := c.checkout(ctx, order)
	recordCheckout(c.opts.MetricsHandler, start, res, err)
	return res, err
}

func (c *Client) checkout(ctx context.Context, order Order) (*CheckoutResult, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	in, err := newWorkflowInput(order, &c.opts)
	if err != nil {
		return nil, c.wrap(ctx, "checkout", order.OrderID, err)
	}
	so := c.startOptions(in)
	so.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	op := c.tc.NewWithStartWorkflowOperation(so, WorkflowName, in)
	// Each call is its own Update (the SDK names it), answered from the
	// order's state now: the server would answer a repeated Update ID with
	// its first answer, even once the order has failed and refunded. The
	// fingerprint lets the workflow refuse another order under this ID.
	h, err := c.tc.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: so.ID, UpdateName: updateCheckout,
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
		return nil, c.wrap(ctx, "checkout", order.OrderID, err)
	}
	// The order has ended: it answers from its result, if it is this one.
	if err := c.sameOrder(ctx, in); err != nil {
		return nil, c.wrap(ctx, "checkout", order.OrderID, err)
	}
	ended := c.endedResult(ctx, order.OrderID)
	if ended == nil {
		return nil, c.wrap(ctx, "checkout", order.OrderID, err)
	}
	res = checkoutOf(ended)
	return &res, res.Err()
}

// Result waits for the order to end and returns its final state. For an
// order that ended failed it returns the state and an error that wraps
// ErrOrderFailed and the provider sentinel (errors.Is(err,
// ErrPaymentDeclined)); for one that needs a person (StatusNeedsAttention)
// the error wraps ErrNeedsAttention. Other outcomes (rejected, timed_out,
// cancelled) are not errors: check OrderState.Status.
func (c *Client) Result(ctx context.Context, orderID string) (*OrderState, error) {
	if err := ValidateOrderID(orderID); err != nil {
		return nil, c.wrap(ctx, "get result of", orderID, err)
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	return c.result(ctx, orderID, c.tc.GetWorkflow(ctx, WorkflowID(orderID), ""))
}

// result waits for run to end and returns its final state, as Result. A
// run got without its run ID first asks the server for it (one more call).
func (c *Client) result(ctx context.Context, orderID string, run client.WorkflowRun) (*OrderState, error) {
	var res OrderState
	if err := run.Get(ctx, &res); err != nil {
		return nil, c.wrap(ctx, "get result of", orderID, err)
	}
	return &res, res.Err()
}

// Approve approves an order that is awaiting approval, through a validated
// Update: it returns the Approval once the decision took, or an error
// wrapping ErrNotAwaitingApproval when the order needs no approval, was
// already decided, timed out, was cancelled or ended. d may be the zero
// Decision; one that is not valid (see Decision) is refused with
// ErrInvalidArgument before anything is sent.
//
// Decisions are applied in the order the server recorded them, and a
// caller told that its decision took is told what the order ends as: of
// two approvers deciding one order, the second is refused. A retried call
// with the same Decision (after a lost reply, say) gets the first call's
// answer.
func (c *Client) Approve(ctx context.Context, orderID string, d Decision) (Approval, error) {
	return c.decide(ctx, UpdateApprove, orderID, d)
}

// Reject rejects an order that is awaiting approval; see Approve. A rejected
// order ends with StatusRejected and nothing charged.
func (c *Client) Reject(ctx context.Context, orderID string, d Decision) (Approval, error) {
	return c.decide(ctx, UpdateReject, orderID, d)
}

func (c *Client) decide(ctx context.Context, update, orderID string, d Decision) (Approval, error) {
	var a Approval
	if err := validateApprover(d.Approver); err != nil {
		return a, c.wrap(ctx, update, orderID, err)
	}
	err := c.update(ctx, update, orderID, d.Reason, &a, d.Approver)
	if errors.Is(err, errFinished) {
		// A retry of a call whose answer was lost, after the order ended:
		// answer it as the first call was answered.
		want := ApprovalApproved
		if update == UpdateReject {
			want = ApprovalRejected
		}
		if res := c.endedResult(ctx, orderID); res != nil && res.Approval.Status == want &&
			res.Approval.Reason == d.Reason && res.Approval.Approver == d.Approver {
			return res.Approval, nil
		}
		err = c.wrap(ctx, update, orderID, fmt.Errorf("%w: the order has ended", ErrNotAwaitingApproval))
	}
	return a, err
}

// Cancel cancels an order before delivery is arranged: what was done is
// undone and the order ends with StatusCancelled (wait with Result). Once
// delivery is being arranged, once the order was rejected, timed out or
// failed, or when it has ended, it returns an error wrapping
// ErrTooLateToCancel; a second cancel, with another reason, one wrapping
// ErrAlreadyCancelled. A retried call with the same reason, after the first
// took, returns nil. The reason follows the rules of Decision.Reason.
func (c *Client) Cancel(ctx context.Context, orderID, reason string) error {
	err := c.update(ctx, UpdateCancel, orderID, reason, nil, "")
	if errors.Is(err, errFinished) {
		if res := c.endedResult(ctx, orderID); res != nil && res.CancelReason == reason &&
			(res.Status == StatusCancelled || res.Status == StatusNeedsAttention) {
			return nil
		}
		err = c.wrap(ctx, "cancel", orderID, fmt.Errorf("%w: the order has ended", ErrTooLateToCancel))
	}
	return err
}

// ApprovalStatus returns the order's approval status: the
// get_approval_status query while the order runs, its result's once it has
// ended (see State).
func (c *Client) ApprovalStatus(ctx context.Context, orderID string) (ApprovalStatus, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	_, final, err := c.describe(ctx, QueryApprovalStatus, orderID)
	switch {
	case err != nil:
		return "", err
	case final != nil:
		return final.Approval.Status, nil
	}
	var s string
	err = c.query(ctx, QueryApprovalStatus, orderID, &s)
	return ApprovalStatus(s), err
}

// State returns the order's state now, running or ended: its status, step,
// approval, what was done and what was compensated. A running order is
// asked by the get_order_state query, which a worker answers; an order that
// has ended is read from its result, which the server holds: no worker
// needs to be up, nor to replay it. For a provider call that is still
// running (Current), it adds what the server knows of its retries: the
// attempt, the last error and when the next attempt starts, so that a
// delivery or refund that keeps failing can be seen.
func (c *Client) State(ctx context.Context, orderID string) (*OrderState, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	desc, final, err := c.describe(ctx, QueryOrderState, orderID)
	if err != nil || final != nil {
		return final, err
	}
	var r OrderState
	if err := c.query(ctx, QueryOrderState, orderID, &r); err != nil {
		return nil, err
	}
	if r.Current != nil {
		addRetries(desc, r.Current)
	}
	return &r, nil
}

// describe returns the server's record of the order's workflow and, once
// the workflow has completed, the order's final state: its result, which
// is what its queries answer from then on. query names the call in errors.
func (c *Client) describe(ctx context.Context, query, orderID string) (*workflowservice.DescribeWorkflowExecutionResponse, *OrderState, error) {
	op := "query " + query + " of"
	if err := ValidateOrderID(orderID); err != nil {
		return nil, nil, c.wrap(ctx, op, orderID, err)
	}
	desc, err := c.tc.DescribeWorkflowExecution(ctx, WorkflowID(orderID), "")
	if err != nil {
		return nil, nil, c.wrap(ctx, op, orderID, err)
	}
	// A terminated or failed workflow has no result: its queries replay it.
	info := desc.GetWorkflowExecutionInfo()
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return desc, nil, nil
	}
	var final OrderState
	if err := c.tc.GetWorkflow(ctx, WorkflowID(orderID), info.GetExecution().GetRunId()).Get(ctx, &final); err != nil {
		return nil, nil, c.wrap(ctx, op, orderID, err)
	}
	return desc, &final, nil
}

// startOptions are the options every start of an order uses.
func (c *Client) startOptions(in workflowInput) client.StartWorkflowOptions {
	o := client.StartWorkflowOptions{
		ID:        WorkflowID(in.Order.OrderID),
		TaskQueue: c.opts.TaskQueue,
		// An order ID is used once: a second start, while the first runs or
		// after it ended, finds the first (see sameOrder).
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}
	now := time.Now()
	o.StaticSummary, o.StaticDetails = startMetadata(in, now)
	if c.opts.Visibility {
		o.TypedSearchAttributes, o.Memo = startAttributes(in, now)
	}
	return o
}

// start starts order and returns its run, or finds it started (see
// sameOrder) and returns a nil run.
func (c *Client) start(ctx context.Context, order Order) (client.WorkflowRun, error) {
	in, err := newWorkflowInput(order, &c.opts)
	if err != nil {
		return nil, err
	}
	so := c.startOptions(in)
	so.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL
	so.WorkflowExecutionErrorWhenAlreadyStarted = true
	// With a worker for the queue on this Temporal client, the server hands
	// it the first workflow task in its reply: one round trip less.
	so.EnableEagerStart = c.opts.LowLatency
	run, err := c.tc.ExecuteWorkflow(ctx, so, WorkflowName, in)
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return nil, c.sameOrder(ctx, in)
	}
	return run, err
}

// sameOrder returns nil when the order that exists under in's order ID is
// in's order, and an error wrapping ErrOrderExists when it is another. It
// compares fingerprints of the normalized orders, read from the first
// event of the existing order's history.
func (c *Client) sameOrder(ctx context.Context, in workflowInput) error {
	it := c.tc.GetWorkflowHistory(ctx, WorkflowID(in.Order.OrderID), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return ErrOrderExists
	}
	first, err := it.Next()
	if err != nil {
		return err
	}
	var theirs struct {
		Order
		Plan *plan `json:"plan"`
	}
	payloads := first.GetWorkflowExecutionStartedEventAttributes().GetInput()
	if err := c.dc.FromPayloads(payloads, &theirs); err != nil {
		return fmt.Errorf("%w (its input cannot be read with Options.DataConverter, "+
			"which must be the data converter of the Temporal client that started it: %v)", ErrOrderExists, err)
	}
	fp := ""
	if theirs.Plan != nil {
		fp = theirs.Plan.Fingerprint
	} else { // started without a plan: by the CLI, or by hand
		fp = fingerprint(theirs.Order.Normalized())
	}
	if fp != in.plan.Fingerprint {
		return fmt.Errorf("%w, with other fields or items", ErrOrderExists)
	}
	return nil
}

// ended reports whether the order exists and has ended: one describe call.
func (c *Client) ended(ctx context.Context, orderID string) bool {
	d, err := c.tc.DescribeWorkflowExecution(ctx, WorkflowID(orderID), "")
	return err == nil && d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
}

// endedResult returns the result of an order that has ended, or nil.
func (c *Client) endedResult(ctx context.Context, orderID string) *OrderState {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	var res OrderState
	if err := c.tc.GetWorkflow(ctx, WorkflowID(orderID), "").Get(ctx, &res); err != nil {
		return nil
	}
	return &res
}

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
	if err := ValidateOrderID(orderID); err != nil {
		return c.wrap(ctx, op, orderID, err)
	}
	if err := validateReason(reason); err != nil {
		return c.wrap(ctx, op, orderID, err)
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
		err = fmt.Errorf("no answer in time; is a worker polling task queue %q? %w", c.opts.TaskQueue, err)
	}
	return c.wrap(ctx, op, orderID, err)
}

// exists reports whether an order with this ID ran or is running.
func (c *Client) exists(ctx context.Context, orderID string) bool {
	_, err := c.tc.DescribeWorkflowExecution(ctx, WorkflowID(orderID), "")
	return err == nil
}

// addRetries fills in cur's attempts from desc, the server's record of the
// order's pending activities.
func addRetries(desc *workflowservice.DescribeWorkflowExecutionResponse, cur *StepProgress) {
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

// query asks the order's workflow the query name, whose answer it decodes
// into result. orderID has been validated.
func (c *Client) query(ctx context.Context, name, orderID string, result any) error {
	v, err := c.tc.QueryWorkflow(ctx, WorkflowID(orderID), "", name)
	if err == nil {
		err = v.Get(result)
	}
	if err != nil {
		return c.wrap(ctx, "query "+name+" of", orderID, err)
	}
	return nil
}

// withDeadline bounds ctx by Options.CallTimeout when it has no deadline.
func (c *Client) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.opts.CallTimeout)
}

// wrap makes err the error of the call op on an order: it names both, and
// maps what the server, the SDK or the workflow said to the package's
// sentinels and to ctx's errors.
func (c *Client) wrap(ctx context.Context, op, orderID string, err error) error {
	op = fmt.Sprintf("%s order %q", op, orderID)
	if isNotFound(err) {
		return &opError{op: op, err: ErrOrderNotFound}
	}
	if msg, s := sentinelIn(err); s != nil {
		// The workflow's message may repeat what the sentinel says.
		msg = strings.TrimPrefix(strings.TrimPrefix(msg, "orderflow: "), s.Error()+": ")
		return &opError{op: op, err: fmt.Errorf("%w: %s", s, msg)}
	}
	return &opError{op: op, err: withContextErr(ctx, err)}
}

// withContextErr returns err such that errors.Is finds context.Canceled or
// context.DeadlineExceeded when ctx ended, or when the SDK or the server
// reports a timeout or cancellation in its own terms.
func withContextErr(ctx context.Context, err error) error {
	cause := ctx.Err()
	if cause == nil {
		var timeout *client.WorkflowUpdateServiceTimeoutOrCanceledError
		var deadline *serviceerror.DeadlineExceeded
		var canceled *serviceerror.Canceled
		switch {
		case errors.As(err, &canceled):
			cause = context.Canceled
		case errors.As(err, &deadline), errors.As(err, &timeout):
			cause = context.DeadlineExceeded
		}
	}
	if cause == nil || errors.Is(err, cause) {
		return err
	}
	return &contextError{cause: cause, err: err}
}

// contextError is an error of the SDK or the server that stands for a
// context's error.
type contextError struct{ cause, err error }

func (e *contextError) Error() string   { return e.err.Error() }
func (e *contextError) Unwrap() []error { return []error{e.cause, e.err} }

// opError is the error of an operation: "orderflow: <op>: <err>", where
// err's own "orderflow: " prefix is dropped so that it is said once.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string {
	return "orderflow: " + e.op + ": " + strings.TrimPrefix(e.err.Error(), "orderflow: ")
}

func (e *opError) Unwrap() error { return e.err }

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
