package orderflow

import (
	"slices"
	"time"

	"encoding/json"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// WorkflowInput is the input of OrderWorkflow. Its JSON form is the order's
// fields, inline as in the Python demo, and an optional "settings" object:
//
//	{"order_id": "ORD-001", …, "items": […], "settings": {…}}
//
// The Client always fills Settings (see NewWorkflowInput). An order started
// by hand with only the order's fields (temporal workflow start --input
// '{"order_id": …}') runs with the defaults of Options, recorded in its
// history on first execution.
type WorkflowInput struct {
	Order    Order
	Settings *Settings
}

// workflowInputJSON is WorkflowInput on the wire: the order inline.
type workflowInputJSON struct {
	Order
	Settings *Settings `json:"settings,omitempty"`
}

// MarshalJSON writes the order's fields inline, and the settings.
func (in WorkflowInput) MarshalJSON() ([]byte, error) {
	return json.Marshal(workflowInputJSON{in.Order, in.Settings})
}

// UnmarshalJSON reads the order's fields inline, and the settings if any.
func (in *WorkflowInput) UnmarshalJSON(b []byte) error {
	var w workflowInputJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*in = WorkflowInput{Order: w.Order, Settings: w.Settings}
	return nil
}

// changeMoneySafety is the workflow.GetVersion change ID of this release's
// workflow. Orders started before it (no marker in their history) replay
// through orderWorkflowV1 with their original keys and decisions.
const changeMoneySafety = "orderflow-money-safety"

// currentWorkflowVersion is Settings.WorkflowVersion of the orders
// NewWorkflowInput makes: they run this release's workflow without asking
// GetVersion, which would record a marker and a search attribute upsert.
// Orders without it replay as before: through GetVersion.
//
// The revisions, each kept for the orders that run it:
//
//   - 2 (or no version, and the marker of changeMoneySafety): the plan is
//     recorded in history (SideEffect).
//   - 3: the plan is computed from the input at every replay, by rules frozen
//     for version 3 (TestVersion3PlanIsFrozen), which take their Unicode
//     properties and address syntax from frozen copies rather than from the
//     Go release (unicode_frozen.go): one event fewer. (The SDK's JSON
//     decoding of the input, which every workflow's replay relies on,
//     remains Go's.)
//
// A change to newPlan's rules (validation, defaults, totals, keys) or to the
// decisions below needs a new version, with the old code kept for the
// orders that run it.
const currentWorkflowVersion = LatestWorkflowVersion

// LatestWorkflowVersion is the newest revision of the workflow's logic this
// release runs, and the one the Client starts orders with unless
// Options.WorkflowVersion says otherwise. Workers of this release also run
// orders of every earlier revision.
const LatestWorkflowVersion = 3

// versionPlanFromInput is the first version whose plan is not recorded.
const versionPlanFromInput = 3

// OrderWorkflow runs one order: validation, approval when the total is over
// the threshold, payment, inventory, delivery and the confirmation email,
// undoing what was done when a step fails or the order is cancelled.
//
// It returns an OrderResult for every business outcome (completed, rejected,
// timed_out, cancelled, failed, needs_attention) and an error only for an
// invalid input.
func OrderWorkflow(ctx workflow.Context, in WorkflowInput) (*OrderResult, error) {
	version := 2 // the money-safety release's, unless the input names a later one
	if in.Settings != nil && in.Settings.WorkflowVersion > currentWorkflowVersion {
		// Started for a newer release's workflow: fail the workflow task,
		// so that the server retries it, on a newer worker once one runs.
		panic(fmt.Sprintf("orderflow: order %q needs workflow_version %d; this worker runs %d",
			in.Order.OrderID, in.Settings.WorkflowVersion, currentWorkflowVersion))
	}
	stamped := in.Settings != nil && in.Settings.WorkflowVersion >= 2
	if stamped {
		version = in.Settings.WorkflowVersion
	}
	if !stamped && workflow.GetVersion(ctx, changeMoneySafety, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return orderWorkflowV1(ctx, in)
	}
	// Orders from the CLI may not be normalized (CRLF line breaks); the
	// steps get the normalized order. A later change to Normalized changes
	// only activity inputs on replay, which replay does not compare.
	in.Order = in.Order.Normalized()
	w := &orderWorkflow{in: in, version: version, root: ctx, state: OrderResult{
		OrderID:  in.Order.OrderID,
		Status:   StatusRunning,
		Step:     stepValidation,
		Approval: Approval{Status: ApprovalNotRequired},
	}}
	// Everything the handlers read is settled before they are registered:
	// the SDK runs Updates that came with the first workflow task as soon as
	// their handler is registered. Nothing here blocks.
	if err := w.prepare(ctx); err != nil {
		return nil, err
	}
	stepsCtx, cancelSteps := workflow.WithCancel(ctx)
	defer cancelSteps()
	w.stepsCancel = cancelSteps
	w.wake = workflow.NewBufferedChannel(ctx, 1)
	if err := w.setup(ctx); err != nil {
		return nil, err
	}
	w.publishMemo(ctx)
	w.run(ctx, stepsCtx)
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	w.publish(dctx, w.state.Status, time.Time{})

	// Updates and queries may still be in flight; finish them before the run
	// ends so none is lost. A cancelled ctx would not wait, hence the
	// disconnected one.
	_ = workflow.Await(dctx, func() bool { return workflow.AllHandlersFinished(dctx) })
	return w.state.clone(), nil
}

// phase is how far an order has come, as far as decisions are concerned.
type phase int

const (
	phaseApproval     phase = iota // awaiting a decision (or about to)
	phaseSteps                     // payment and inventory: a cancel is still honoured
	phaseNoReturn                  // delivery has started: past the point of no return
	phaseCompensating              // a failed or cancelled order is being undone
	phaseDone                      // the outcome is final
)

type orderWorkflow struct {
	in WorkflowInput
	// version is the workflow revision the order runs (see
	// currentWorkflowVersion): 2 or 3.
	version int
	plan    plan
	state   OrderResult
	phase   phase

	// root is the workflow's own context: a native cancellation ends it.
	root workflow.Context
	// stepsCancel cancels the forward steps; an accepted cancel calls it.
	stepsCancel workflow.CancelFunc
	// timer is the approval timer, once the order waits for a decision.
	timer workflow.Future
	// wake tells the approval wait that an Update decided.
	wake workflow.Channel
	// cancelRequested is set by an accepted cancel Update, or by a native
	// cancellation before the point of no return.
	cancelRequested bool
	// claimedDecision and claimedCancel are set while an accepted Update
	// handler waits for the workflow to take what history recorded before
	// it (see yieldToWorkflow); meanwhile other decisions are refused by
	// their validators, leaving no event in history.
	claimedDecision ApprovalStatus
	claimedCancel   bool
	// durableNext makes the next provider call a regular activity in the
	// low-latency mode (see checkpoint).
	durableNext bool
}

// plan is what the workflow decided from its input. In version 2 it is
// computed once and recorded in history (SideEffect), so that a later
// release with other validation rules, defaults or key formats replays a
// running order the way it first ran. From version 3 it is computed from
// the input at every replay, and the rules that compute it are frozen for
// the version: a release that changes them starts a new version.
type plan struct {
	// Invalid is why the input was refused; the rest is then empty.
	Invalid          string   `json:"invalid,omitempty"`
	Settings         Settings `json:"settings"`
	Total            Money    `json:"total"`
	RequiresApproval bool     `json:"requires_approval"`
	// KeyScope prefixes every idempotency key of the order.
	KeyScope string `json:"key_scope"`
}

func newPlan(in WorkflowInput, workflowID string) plan {
	if err := in.Order.Validate(); err != nil {
		return plan{Invalid: err.Error()}
	}
	var given Settings
	if in.Settings != nil {
		given = *in.Settings
	}
	if err := given.validateNew(); err != nil {
		return plan{Invalid: (&ValidationError{Field: "settings", Reason: err.Error()}).Error()}
	}
	p := plan{Settings: given.withDefaults(), KeyScope: keyScope(workflowID, in.Order.OrderID)}
	if err := p.Settings.check(in.Order); err != nil {
		return plan{Invalid: err.Error()}
	}
	p.Total, _ = in.Order.Total() // check succeeded, so Total does
	p.RequiresApproval, _ = in.Order.RequiresApproval(p.Settings.ApprovalThreshold)
	return p
}

// prepare validates the input and fixes the plan of this run.
func (w *orderWorkflow) prepare(ctx workflow.Context) error {
	workflowID := workflow.GetInfo(ctx).WorkflowExecution.ID
	if w.version >= versionPlanFromInput {
		w.plan = newPlan(w.in, workflowID)
	} else {
		enc := workflow.SideEffect(ctx, func(workflow.Context) any { return newPlan(w.in, workflowID) })
		if err := enc.Get(&w.plan); err != nil {
			return err
		}
	}
	if w.plan.Invalid != "" {
		workflow.GetLogger(ctx).Warn("Rejected invalid order", "OrderID", w.in.Order.OrderID, "Error", w.plan.Invalid)
		return temporal.NewNonRetryableApplicationError(w.plan.Invalid, ErrorTypeInvalidOrder, nil)
	}
	w.state.Total = w.plan.Total
	if w.plan.RequiresApproval {
		w.state.Approval.Status = ApprovalPending
	}
	return nil
}

// setup registers every handler before anything can block, so that early
// Updates and queries find them. Signals are read by the approval wait, and
// drained by ignoreSignals once no decision is pending.
func (w *orderWorkflow) setup(ctx workflow.Context) error {
	queries := []struct {
		name string
		fn   any
	}{
		{QueryApprovalStatus, func() (string, error) { return string(w.state.Approval.Status), nil }},
		{QueryApprovalReason, func() (string, error) { return w.state.Approval.Reason, nil }},
		{QueryOrderState, func() (*OrderResult, error) { return w.state.clone(), nil }},
	}
	for _, q := range queries {
		if err := workflow.SetQueryHandler(ctx, q.name, q.fn); err != nil {
			return err
		}
	}
	updates := []struct {
		name      string
		handler   any
		validator any
	}{
		{UpdateApprove, w.decisionHandler(ApprovalApproved), w.validateDecision},
		{UpdateReject, w.decisionHandler(ApprovalRejected), w.validateDecision},
		{UpdateCancel, w.cancelHandler, w.validateCancel},
		{UpdateCheckout, w.checkoutHandler, nil},
	}
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler,
			workflow.UpdateHandlerOptions{Validator: u.validator}); err != nil {
			return err
		}
	}
	return nil
}

// run takes the order from approval to its outcome. stepsCtx is cancelled
// by an accepted cancel Update, and with ctx by a native cancellation.
func (w *orderWorkflow) run(ctx, stepsCtx workflow.Context) {
	workflow.GetLogger(ctx).Info("Order started", "OrderID", w.in.Order.OrderID, "Total", w.state.Total.String(),
		"RequiresApproval", w.plan.RequiresApproval)
	if !w.plan.RequiresApproval {
		w.publish(ctx, StatusRunning, time.Time{})
	}
	approved := !w.plan.RequiresApproval || w.awaitApproval(ctx)
	sigCtx, _ := workflow.NewDisconnectedContext(ctx)
	workflow.Go(sigCtx, w.ignoreSignals)
	if !approved {
		return
	}
	w.phase = phaseSteps
	if w.plan.RequiresApproval {
		w.publish(ctx, StatusRunning, time.Time{})
		if w.plan.Settings.LowLatency {
			w.checkpoint() // the payment is recorded as an activity
		}
	}
	if w.cancelled(ctx) {
		w.compensate(ctx, nil, StatusCancelled, "")
		return
	}
	w.runSteps(ctx, stepsCtx)
}

// checkpoint makes the next provider call a (regular) activity in the
// low-latency mode. Scheduling an activity completes the workflow task,
// which records what the task decided before the call runs: an approval
// taken by Update in a task the worker did not complete would otherwise be
// lost, and a rerun might see the approval timer or a rejection first and
// end with a charge (refunded by key, but a rejected or timed-out order is
// never to be charged at all); a delivery, which cannot be undone, would be
// booked by a run whose steps a rerun might not repeat (see withLostRuns).
// (A short timer would do the same, but costs two more events, and servers
// fire timers on a coarse clock: about a second on the embedded server. The
// SDK offers no way to end a workflow task at will.)
func (w *orderWorkflow) checkpoint() {
	w.durableNext = true
}

// awaitApproval waits for the first of a decision (signal or Update), a
// cancellation and the timeout, and reports whether the order may go on.
//
// Signals, the timer and a native cancellation are read through one
// Selector: the SDK readies its branches in the order their events appear in
// history, so the first recorded wins even when several arrive in one
// workflow task. Updates decide in their handlers (see decisionHandler) and
// wake the Selector.
func (w *orderWorkflow) awaitApproval(ctx workflow.Context) bool {
	w.state.Step = StepApproval
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	w.timer = workflow.NewTimer(timerCtx, w.plan.Settings.ApprovalTimeout)
	w.publish(ctx, StatusAwaitingApproval, workflow.Now(ctx).Add(w.plan.Settings.ApprovalTimeout))
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(workflow.GetSignalChannel(ctx, SignalApprove), w.onDecisionSignal(ctx, ApprovalApproved))
	sel.AddReceive(workflow.GetSignalChannel(ctx, SignalReject), w.onDecisionSignal(ctx, ApprovalRejected))
	sel.AddFuture(w.timer, func(f workflow.Future) {
		// A timer cancelled by a native cancellation is not a timeout;
		// the Done branch below handles it.
		if f.Get(ctx, nil) == nil && w.awaiting() {
			w.state.Approval = Approval{Status: ApprovalTimedOut,
				Reason: fmt.Sprintf("no decision within %v", w.plan.Settings.ApprovalTimeout)}
		}
	})
	sel.AddReceive(w.wake, func(c workflow.ReceiveChannel, _ bool) { c.ReceiveAsync(nil) })
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {
		if w.awaiting() {
			w.cancelRequested = true
		}
	})
	for w.awaiting() {
		sel.Select(ctx)
	}
	cancelTimer()

	switch w.state.Approval.Status {
	case ApprovalApproved:
		workflow.GetLogger(ctx).Info("Order approved", "OrderID", w.in.Order.OrderID)
		return true
	case ApprovalRejected:
		w.finish(StatusRejected, "Order rejected: "+orDefault(w.state.Approval.Reason, "no reason given"))
	case ApprovalTimedOut:
		w.finish(StatusTimedOut, fmt.Sprintf("Order approval timed out after %v; nothing was charged", w.plan.Settings.ApprovalTimeout))
	default: // still pending: cancelled while awaiting approval
		w.state.Approval = Approval{Status: ApprovalRejected, Reason: "order cancelled while awaiting approval"}
		w.finish(StatusCancelled, "Order cancelled while awaiting approval: "+orDefault(w.state.CancelReason, "cancellation requested"))
	}
	return false
}

// awaiting reports whether the approval is still open in the workflow's
// own state.
func (w *orderWorkflow) awaiting() bool {
	return w.state.Approval.Status == ApprovalPending && !w.cancelRequested
}

// onDecisionSignal reads one approve_order or reject_order signal. A payload
// that is not a string, or a reason over the limit, is logged and dropped,
// and the order keeps listening.
func (w *orderWorkflow) onDecisionSignal(ctx workflow.Context, status ApprovalStatus) func(workflow.ReceiveChannel, bool) {
	return func(c workflow.ReceiveChannel, _ bool) {
		logger := workflow.GetLogger(ctx)
		var reason string
		// ReceiveAsync drops payloads it cannot decode (the SDK logs them)
		// instead of blocking for a decodable one, as Receive would.
		if !c.ReceiveAsync(&reason) {
			logger.Warn("Dropped approval signal: payload is not a string", "OrderID", w.in.Order.OrderID, "Signal", c.Name())
			return
		}
		if err := ValidateReason(reason); err != nil {
			logger.Warn("Dropped approval signal", "OrderID", w.in.Order.OrderID, "Signal", c.Name(), "Error", err)
			return
		}
		if !w.awaiting() {
			logger.Warn("Ignored approval signal: no decision pending", "OrderID", w.in.Order.OrderID,
				"Signal", c.Name(), "ApprovalStatus", w.state.Approval.Status)
			return
		}
		w.state.Approval = Approval{Status: status, Reason: reason, DecidedAt: workflow.Now(ctx)}
		logger.Info("Approval decision by signal", "OrderID", w.in.Order.OrderID, "Decision", status)
	}
}

// ignoreSignals drains decision signals that arrive when none is pending.
func (w *orderWorkflow) ignoreSignals(ctx workflow.Context) {
	sel := workflow.NewSelector(ctx)
	for _, name := range []string{SignalApprove, SignalReject} {
		sel.AddReceive(workflow.GetSignalChannel(ctx, name), func(c workflow.ReceiveChannel, _ bool) {
			var reason string
			ok := c.ReceiveAsync(&reason)
			workflow.GetLogger(ctx).Warn("Ignored approval signal: no decision pending", "OrderID", w.in.Order.OrderID,
				"Signal", name, "Decodable", ok, "ApprovalStatus", w.state.Approval.Status)
		})
	}
	for {
		sel.Select(ctx)
	}
}

// yieldToWorkflow lets every other coroutine of the workflow run once. The
// SDK runs Update handlers before the workflow's own code in a workflow
// task; yielding first lets the approval wait take the signals and timer
// that were recorded in history before the Update, so that the first
// decision in history wins.
func yieldToWorkflow(ctx workflow.Context) {
	ch := workflow.NewChannel(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) { ch.Send(ctx, true) })
	ch.Receive(ctx, nil)
}

// decisionRefusal says why an approval decision cannot be taken now, or nil.
func (w *orderWorkflow) decisionRefusal() error {
	switch {
	case w.claimedCancel:
		return refusal(ErrorTypeNotAwaitingApproval, "the order is being cancelled")
	case w.claimedDecision != "":
		return refusal(ErrorTypeNotAwaitingApproval, fmt.Sprintf("another decision (%s) is being recorded", w.claimedDecision))
	case w.cancelRequested || (w.phase == phaseApproval && w.root.Err() != nil):
		return refusal(ErrorTypeNotAwaitingApproval, "the order was cancelled")
	case w.state.Approval.Status != ApprovalPending:
		return refusal(ErrorTypeNotAwaitingApproval, fmt.Sprintf("approval status is %s", w.state.Approval.Status))
	case w.timer != nil && w.timer.IsReady():
		return refusal(ErrorTypeNotAwaitingApproval, "the approval timed out")
	}
	return nil
}

// cancelRefusal says why a cancellation cannot be accepted now, or nil. An
// approval being recorded does not stop a cancel: approved orders may be
// cancelled until delivery starts.
func (w *orderWorkflow) cancelRefusal() error {
	switch {
	case w.claimedCancel || w.cancelRequested || (w.phase < phaseNoReturn && w.root.Err() != nil):
		return refusal(ErrorTypeAlreadyCancelled, "a cancellation was already accepted")
	case w.phase == phaseNoReturn:
		return refusal(ErrorTypeTooLateToCancel, "delivery has started: past the point of no return")
	case w.phase == phaseCompensating:
		return refusal(ErrorTypeTooLateToCancel, "the order has failed and is being undone")
	case w.phase == phaseDone:
		return refusal(ErrorTypeTooLateToCancel, fmt.Sprintf("the order has ended (%s)", w.state.Status))
	case w.claimedDecision == ApprovalRejected:
		return refusal(ErrorTypeTooLateToCancel, "the order is being rejected")
	case w.state.Approval.Status == ApprovalRejected || w.state.Approval.Status == ApprovalTimedOut:
		return refusal(ErrorTypeTooLateToCancel, fmt.Sprintf("the order was already decided (approval %s)", w.state.Approval.Status))
	case w.state.Approval.Status == ApprovalPending && w.timer != nil && w.timer.IsReady():
		return refusal(ErrorTypeTooLateToCancel, "the approval timed out")
	}
	return nil
}

func refusal(errType, msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, errType, nil)
}

// validateDecision checks an approve or reject Update. The approver is the
// Update's second argument, absent in Updates sent by earlier releases and
// by the CLI (then empty).
func (w *orderWorkflow) validateDecision(_ workflow.Context, reason, approver string) error {
	if err := ValidateReason(reason); err != nil {
		return refusal(ErrorTypeInvalidReason, err.Error())
	}
	if err := ValidateApprover(approver); err != nil {
		return refusal(ErrorTypeInvalidApprover, err.Error())
	}
	return w.decisionRefusal()
}

func (w *orderWorkflow) validateCancel(_ workflow.Context, reason string) error {
	if err := ValidateReason(reason); err != nil {
		return refusal(ErrorTypeInvalidReason, err.Error())
	}
	return w.cancelRefusal()
}

// decisionHandler returns the handler of the approve or reject Update. The
// validator accepted the decision; it takes unless a signal, the timer or a
// cancellation recorded earlier in history wins first, in which case the
// handler says so with the validator's error.
func (w *orderWorkflow) decisionHandler(status ApprovalStatus) func(workflow.Context, string, string) (Approval, error) {
	return func(ctx workflow.Context, reason, approver string) (Approval, error) {
		w.claimedDecision = status
		yieldToWorkflow(ctx)
		w.claimedDecision = ""
		if err := w.decisionRefusal(); err != nil {
			return Approval{}, err
		}
		w.state.Approval = Approval{Status: status, Reason: reason, Approver: approver, DecidedAt: workflow.Now(ctx)}
		w.wake.SendAsync(true)
		workflow.GetLogger(ctx).Info("Approval decision by update", "OrderID", w.in.Order.OrderID, "Decision", status,
			"Approver", approver)
		return w.state.Approval, nil
	}
}

// cancelHandler handles the cancel Update. While the order awaits approval
// it yields first, like decisionHandler; afterwards it takes effect at once,
// before the workflow's code runs on, so that the steps stop as soon as
// possible.
func (w *orderWorkflow) cancelHandler(ctx workflow.Context, reason string) error {
	if w.phase == phaseApproval {
		w.claimedCancel = true
		yieldToWorkflow(ctx)
		w.claimedCancel = false
	}
	if err := w.cancelRefusal(); err != nil {
		return err
	}
	w.cancelRequested = true
	w.state.CancelReason = reason
	w.stepsCancel()
	w.wake.SendAsync(true)
	workflow.GetLogger(ctx).Info("Order cancellation accepted", "OrderID", w.in.Order.OrderID, "Step", w.state.Step)
	return nil
}

// checkoutHandler handles the checkout Update: it answers once the outcome
// a customer waits for at checkout is known — the payment taken, the order
// awaiting approval, or the order ended or failing without a charge — while
// the order goes on.
func (w *orderWorkflow) checkoutHandler(ctx workflow.Context) (CheckoutResult, error) {
	err := workflow.Await(ctx, func() bool {
		return w.state.Payment != nil || w.state.FailedStep != "" || w.phase >= phaseCompensating ||
			(w.phase == phaseApproval && w.awaiting() && w.timer != nil)
	})
	if err != nil {
		return CheckoutResult{}, err
	}
	res := CheckoutResult{OrderID: w.in.Order.OrderID, Total: w.state.Total, Payment: w.state.Payment}
	switch {
	case w.state.Payment != nil:
		res.Outcome = CheckoutPaid
	case w.phase == phaseApproval && w.awaiting():
		res.Outcome = CheckoutAwaitingApproval
	default:
		res.Outcome = CheckoutNotPaid
		res.Status, res.FailureType, res.Message = w.state.Status, w.state.FailureType, w.state.Message
	}
	return res, nil
}

// cancelled reports whether the order was cancelled, by Update or natively.
// It is asked only before the point of no return.
func (w *orderWorkflow) cancelled(ctx workflow.Context) bool {
	if ctx.Err() != nil {
		w.cancelRequested = true
	}
	return w.cancelRequested
}

func (w *orderWorkflow) key(activity string) string { return w.plan.KeyScope + "/" + activity }

// runSteps runs payment, inventory, delivery and email. stepsCtx is
// cancelled by a cancellation (Update or native); ctx is the workflow's own.
func (w *orderWorkflow) runSteps(ctx, stepsCtx workflow.Context) {
	var undo []undoStep
	o := w.in.Order

	var pay PaymentResult
	charge := ChargeRequest{IdempotencyKey: w.key(ActivityProcessPayment), OrderID: o.OrderID,
		CustomerName: o.CustomerName, Amount: w.state.Total}
	if !w.forward(ctx, stepsCtx, &undo, StepPayment, ActivityProcessPayment, charge, &pay, func() undoStep {
		return undoStep{ActivityRefundPayment, StepPayment, RefundRequest{IdempotencyKey: w.key(ActivityRefundPayment),
			OrderID: o.OrderID, ChargeKey: charge.IdempotencyKey, TransactionID: pay.TransactionID, Amount: w.state.Total}}
	}) {
		return
	}
	w.state.Payment = &pay

	var inv InventoryResult
	reserve := ReserveRequest{IdempotencyKey: w.key(ActivityReserveInventory), OrderID: o.OrderID, Items: o.Items}
	if !w.forward(ctx, stepsCtx, &undo, StepInventory, ActivityReserveInventory, reserve, &inv, func() undoStep {
		return undoStep{ActivityReleaseInventory, StepInventory, ReleaseRequest{IdempotencyKey: w.key(ActivityReleaseInventory),
			OrderID: o.OrderID, ReserveKey: reserve.IdempotencyKey, ReservationID: inv.ReservationID, Items: o.Items}}
	}) {
		return
	}
	w.state.Inventory = &inv

	if w.plan.Settings.LowLatency {
		w.checkpoint() // delivery cannot be undone: it runs as an activity
	}
	if w.cancelled(ctx) {
		w.compensate(ctx, undo, StatusCancelled, "")
		return
	}
	if !w.deliver(ctx, undo) {
		return
	}
	w.sendConfirmation(ctx)
}

// forward runs a step before the point of no return, and reports whether the
// order goes on. A step that failed with a provider's permanent sentinel did
// nothing; any other outcome (success, timeout, cancellation, retries
// exhausted) may have taken effect, so the step's undo, made by undoOf once
// the call has returned, joins undo. A failure or a cancellation ends the
// order, compensating undo.
func (w *orderWorkflow) forward(ctx, stepsCtx workflow.Context, undo *[]undoStep, step Step, activity string,
	req, result any, undoOf func() undoStep) bool {
	opts := w.forwardOptions(stepsCtx)
	if w.plan.Settings.LowLatency {
		// A local call's answer is recorded only when the workflow task
		// completes. If the worker dies first, the task runs again and calls
		// again under the same key, and must take the same path: so a step
		// is retried until the provider answers, never given up on (which
		// a rerun might not do, and undo what the lost run went on to do).
		opts = w.untilAnswered(stepsCtx, w.plan.Settings.Retry)
	}
	err := w.execute(opts, step, activity, req, result)
	if err == nil || !isBusinessFailure(err) {
		*undo = append(*undo, undoOf())
	}
	if w.stopped(ctx, *undo, step, err) {
		return false
	}
	w.state.markDone(step)
	return true
}

// deliver arranges delivery, the point of no return, and reports whether
// the order goes on. From here a cancellation is refused (Update) or noted
// (native cancel), and the remaining steps run in a context that
// cancellation does not reach. An unknown outcome is never read as "not
// shipped": the call is retried until the provider answers, and only
// ErrUndeliverable undoes the order.
func (w *orderWorkflow) deliver(ctx workflow.Context, undo []undoStep) bool {
	w.phase = phaseNoReturn
	final, _ := workflow.NewDisconnectedContext(ctx)
	o := w.in.Order
	var del DeliveryResult
	err := w.execute(w.untilAnswered(final, w.plan.Settings.Retry), StepDelivery, ActivityArrangeDelivery, DeliveryRequest{
		IdempotencyKey: w.key(ActivityArrangeDelivery), OrderID: o.OrderID, CustomerName: o.CustomerName,
		Address: o.ShippingAddress, Items: o.Items}, &del)
	switch {
	case err == nil:
		w.state.Delivery = &del
		w.state.markDone(StepDelivery)
		return true
	case failureType(err) == ErrorTypeUndeliverable:
		w.fail(ctx, undo, StepDelivery, err)
	default:
		// A permanent failure other than ErrUndeliverable says nothing about
		// whether a shipment exists: keep the money and the stock, and ask
		// a person.
		w.state.FailedStep = StepDelivery
		w.state.FailureType = failureType(err)
		workflow.GetLogger(ctx).Error("Delivery outcome unknown; needs a person", "OrderID", o.OrderID, "Error", err)
		w.finish(StatusNeedsAttention, fmt.Sprintf(
			"Delivery failed without saying whether it shipped (%s); payment and stock are kept: a person must check with the carrier",
			failureMessage(err)))
	}
	return false
}

// sendConfirmation sends the confirmation email, best effort, and completes
// the order.
func (w *orderWorkflow) sendConfirmation(ctx workflow.Context) {
	final, _ := workflow.NewDisconnectedContext(ctx)
	err := w.execute(w.forwardOptions(final), StepEmail, ActivitySendConfirmation, w.confirmation(w.key(ActivitySendConfirmation)), nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("Confirmation email not sent", "OrderID", w.in.Order.OrderID, "Error", err)
		w.state.warn("confirmation email not sent: " + failureMessage(err))
	} else {
		w.state.markDone(StepEmail)
	}
	if ctx.Err() != nil {
		w.state.warn("cancellation requested after delivery was arranged; the order was completed")
	}
	w.finish(StatusCompleted, "Order processed successfully")
}

// execute runs one provider call as an activity (a local one in the
// low-latency mode) and shows it in the order's state while it runs.
func (w *orderWorkflow) execute(ctx workflow.Context, step Step, activity string, req, result any) error {
	w.state.Step = step
	w.state.Current = &StepProgress{Step: step, Activity: activity, Since: workflow.Now(ctx)}
	var f workflow.Future
	if w.plan.Settings.LowLatency && !w.durableNext {
		f = workflow.ExecuteLocalActivity(ctx, activity, req)
	} else {
		f = workflow.ExecuteActivity(ctx, activity, req)
	}
	w.durableNext = false
	err := f.Get(ctx, result)
	w.state.Current = nil
	return err
}

// stopped ends the order when step failed (err) or a cancellation arrived,
// compensating what undo holds, and reports whether it did.
func (w *orderWorkflow) stopped(ctx workflow.Context, undo []undoStep, step Step, err error) bool {
	switch {
	case w.cancelled(ctx):
		w.compensate(ctx, undo, StatusCancelled, "")
	case err != nil:
		w.fail(ctx, undo, step, err)
	default:
		return false
	}
	return true
}

func (w *orderWorkflow) fail(ctx workflow.Context, undo []undoStep, step Step, err error) {
	w.state.FailedStep = step
	w.state.FailureType = failureType(err)
	workflow.GetLogger(ctx).Error("Order step failed", "OrderID", w.in.Order.OrderID, "Step", step,
		"FailureType", w.state.FailureType, "Error", failureMessage(err))
	w.compensate(ctx, undo, StatusFailed, fmt.Sprintf("Order failed at %s: %s", step, failureMessage(err)))
}

// withLostRuns returns undo with the payment and the reservation added, by
// key, when it lacks them. In the low-latency mode the steps run inside
// workflow tasks; a task the worker did not complete is run again, and the
// rerun may see a cancel (or a provider's answer) that the lost run did not,
// and stop earlier than it. What the lost run charged or reserved is then
// undone by key: a provider refunds or releases nothing when nothing was
// taken under the key. (Delivery, which cannot be undone, only starts after
// a checkpoint has recorded the steps before it.)
func (w *orderWorkflow) withLostRuns(undo []undoStep) []undoStep {
	has := func(activity string) bool {
		return slices.ContainsFunc(undo, func(u undoStep) bool { return u.activity == activity })
	}
	o := w.in.Order
	if !has(ActivityRefundPayment) {
		undo = append(undo, undoStep{ActivityRefundPayment, StepPayment, RefundRequest{IdempotencyKey: w.key(ActivityRefundPayment),
			OrderID: o.OrderID, ChargeKey: w.key(ActivityProcessPayment), Amount: w.state.Total}})
	}
	if !has(ActivityReleaseInventory) {
		undo = append(undo, undoStep{ActivityReleaseInventory, StepInventory, ReleaseRequest{IdempotencyKey: w.key(ActivityReleaseInventory),
			OrderID: o.OrderID, ReserveKey: w.key(ActivityReserveInventory), Items: o.Items}})
	}
	return undo
}

// undoStep is one compensation of the saga.
type undoStep struct {
	activity string
	undoes   Step
	req      any
}

func (c undoStep) reference() string {
	switch r := c.req.(type) {
	case RefundRequest:
		return orDefault(r.TransactionID, r.ChargeKey)
	case ReleaseRequest:
		return orDefault(r.ReservationID, r.ReserveKey)
	}
	return ""
}

// compensate undoes undo in reverse order, in a context that cancellation
// does not reach, then ends the order with status. Each undo is retried
// until the provider answers; one it refuses for good leaves the order
// StatusNeedsAttention, after the others have run.
func (w *orderWorkflow) compensate(ctx workflow.Context, undo []undoStep, status Status, message string) {
	if w.plan.Settings.LowLatency && w.phase == phaseSteps {
		undo = w.withLostRuns(undo)
	}
	w.phase = phaseCompensating
	w.state.Step = StepCompensation
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	actx := w.untilAnswered(dctx, w.plan.Settings.CompensationRetry)
	refused := 0
	for i := len(undo) - 1; i >= 0; i-- {
		c := undo[i]
		rec := Compensation{Activity: c.activity, Undoes: c.undoes, Reference: c.reference()}
		if err := w.execute(actx, StepCompensation, c.activity, c.req, nil); err != nil {
			rec.Error = failureMessage(err)
			refused++
			workflow.GetLogger(ctx).Error("Compensation refused; needs a person", "OrderID", w.in.Order.OrderID,
				"Activity", c.activity, "Error", err)
		}
		w.state.Compensations = append(w.state.Compensations, rec)
	}
	if status == StatusCancelled {
		message = "Order cancelled: " + orDefault(w.state.CancelReason, "cancellation requested")
	}
	if len(undo) > 0 {
		message += fmt.Sprintf(" (%d of %d compensations succeeded)", len(undo)-refused, len(undo))
	}
	if refused > 0 {
		status = StatusNeedsAttention
		message += "; a person must act: see the compensations with an error"
	}
	w.finish(status, message)
}

func (w *orderWorkflow) finish(status Status, message string) {
	w.state.Status = status
	w.state.Message = message
	w.state.Step = StepDone
	w.phase = phaseDone
}

// forwardOptions sets the options of payment, inventory and email.
// WaitForCancellation makes a cancelled step wait for the provider call to
// end, so that its compensation cannot overtake it.
func (w *orderWorkflow) forwardOptions(ctx workflow.Context) workflow.Context {
	return w.callOptions(ctx, w.plan.Settings.Retry.policy())
}

// callOptions sets the options of a provider call with the retry policy p:
// an activity's, or in the low-latency mode a local activity's.
func (w *orderWorkflow) callOptions(ctx workflow.Context, p *temporal.RetryPolicy) workflow.Context {
	if w.plan.Settings.LowLatency {
		// A local activity in flight is not cancelled: the cancellation
		// is read once it returns, so that a compensation never overtakes
		// the call it undoes (what WaitForCancellation does below). Its
		// attempts are bounded by the policy, not by a total time.
		ctx, _ = workflow.NewDisconnectedContext(ctx)
		ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout:    w.plan.Settings.ActivityTimeout,
			ScheduleToCloseTimeout: localCallLimit,
			RetryPolicy:            p,
		})
		// and the options of the calls that checkpoint makes activities.
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: w.plan.Settings.ActivityTimeout,
		HeartbeatTimeout:    heartbeatTimeout(w.plan.Settings.ActivityTimeout),
		RetryPolicy:         p,
		WaitForCancellation: true,
	})
}

// localCallLimit bounds a local provider call with all its retries: in
// effect no bound, as an activity's schedule-to-close is unset.
const localCallLimit = 10 * 365 * 24 * time.Hour

// untilAnswered sets the options of a call that must not give up: delivery
// and compensations. It is retried with r's intervals and no attempt limit,
// until it succeeds or fails with a non-retryable error.
func (w *orderWorkflow) untilAnswered(ctx workflow.Context, r Retry) workflow.Context {
	policy := r.policy()
	policy.MaximumAttempts = 0
	return w.callOptions(ctx, policy)
}

func (w *orderWorkflow) confirmation(key string) Email {
	o := w.in.Order
	body := fmt.Sprintf("Dear %s,\n\nYour order %s of %s is confirmed.\n", orDefault(o.CustomerName, "customer"), o.OrderID, w.state.Total)
	if d := w.state.Delivery; d != nil {
		body += fmt.Sprintf("Tracking number: %s\nEstimated delivery: %s\n", d.TrackingNumber, d.EstimatedDelivery)
	}
	return Email{IdempotencyKey: key, OrderID: o.OrderID, Kind: EmailConfirmation, To: o.CustomerEmail,
		CustomerName: o.CustomerName, Subject: "Your order " + o.OrderID + " is confirmed", Body: body}
}

// isBusinessFailure reports whether err is a provider's permanent business
// failure: the provider said the step did not happen, so there is nothing to undo.
func isBusinessFailure(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable() && sentinelFor(appErr.Type()) != nil
}

// failureType names how a step failed, as OrderResult.FailureType.
func failureType(err error) string {
	var appErr *temporal.ApplicationError
	var timeoutErr *temporal.TimeoutError
	var canceledErr *temporal.CanceledError
	switch {
	case isBusinessFailure(err) && errors.As(err, &appErr):
		return appErr.Type()
	case errors.As(err, &timeoutErr):
		return ErrorTypeActivityTimedOut
	case errors.As(err, &canceledErr):
		return errorTypeActivityCancelled
	}
	return ErrorTypeRetriesExhausted
}

// failureMessage says how an activity failed, without the SDK's wrapping.
func failureMessage(err error) string {
	var appErr *temporal.ApplicationError
	var timeoutErr *temporal.TimeoutError
	switch {
	case errors.As(err, &appErr):
		return appErr.Message()
	case errors.As(err, &timeoutErr):
		return "timed out (" + timeoutErr.TimeoutType().String() + ")"
	case temporal.IsCanceledError(err):
		return "cancelled"
	}
	return err.Error()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
