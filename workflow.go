package orderflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// OrderWorkflow runs one order: approval when the total is over the
// threshold, payment, inventory, delivery and the confirmation email,
// undoing what was done when a step fails or the order is cancelled. Its
// input is a workflowInput (or the Python demo's order JSON).
//
// It returns an OrderState for every business outcome (completed, rejected,
// timed_out, cancelled, failed, needs_attention) and an error only for an
// invalid input.
func OrderWorkflow(ctx workflow.Context, input json.RawMessage) (*OrderState, error) {
	return runOrder(ctx, input, rawPlan)
}

// runOrder runs the order of input; decide is how its first execution
// decides the plan of an input that carries none (replay never calls it).
func runOrder(ctx workflow.Context, input json.RawMessage, decide func(json.RawMessage) plan) (*OrderState, error) {
	order, p, err := readInput(ctx, input, decide)
	if err != nil {
		return nil, err
	}
	if p.Invalid != "" {
		workflow.GetLogger(ctx).Warn("Rejected invalid order", "WorkflowID", workflow.GetInfo(ctx).WorkflowExecution.ID, "Error", p.Invalid)
		return nil, temporal.NewNonRetryableApplicationError(p.Invalid, errorTypeInvalidOrder, nil)
	}
	w := &orderWorkflow{in: workflowInput{Order: order}, plan: p, root: ctx, stage: stageGoing, state: OrderState{
		OrderID:  order.OrderID,
		Status:   StatusRunning, // StatusAwaitingApproval while it waits
		Step:     StepPayment,
		Total:    p.Total,
		Approval: Approval{Status: ApprovalNotRequired},
	}}
	if p.RequiresApproval {
		w.stage = stageAwaiting
		w.state.Status = StatusAwaitingApproval
		w.state.Step = StepApproval
		w.state.Approval.Status = ApprovalPending
	}
	stepsCtx, cancelSteps := workflow.WithCancel(ctx)
	defer cancelSteps()
	w.stepsCancel = cancelSteps
	// Every handler is registered before anything blocks: the SDK runs
	// Updates that came with the first workflow task as soon as their
	// handler is registered.
	if err := w.setup(ctx); err != nil {
		return nil, err
	}
	w.publishMemo(ctx)
	w.orderStarted(ctx)
	w.run(ctx, stepsCtx)
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	w.publish(dctx, w.state.Status, time.Time{})
	w.orderEnded(dctx)
	w.showEnd(dctx)

	// Updates and queries may still be in flight; finish them before the run
	// ends so none is lost. A cancelled ctx would not wait, hence the
	// disconnected one.
	_ = workflow.Await(dctx, func() bool { return workflow.AllHandlersFinished(dctx) })
	return w.state.clone(), nil
}

type orderWorkflow struct {
	in    workflowInput // the normalized order
	plan  plan
	state OrderState
	// stage is where the order stands for decisions; it changes only as
	// next allows (decision.go).
	stage stage

	// root is the workflow's own context: a native cancellation ends it.
	root workflow.Context
	// stepsCancel cancels the forward steps; an accepted cancel calls it.
	stepsCancel workflow.CancelFunc

	// While the order awaits approval (approval.go): the approval timer, the
	// events the listeners took and the Updates accepted, not yet applied,
	// and the channel closed once a decision is taken.
	timer                   workflow.Future
	tickets                 int
	heard                   []heard
	queue                   []*request
	timerHeard, cancelHeard bool
	decided                 workflow.Channel

	// durableNext makes the next provider call a regular activity in the
	// low-latency mode (see checkpoint).
	durableNext bool
}

// setup registers the queries and Updates.
func (w *orderWorkflow) setup(ctx workflow.Context) error {
	queries := []struct {
		name string
		fn   any
	}{
		{QueryApprovalStatus, func() (string, error) { return string(w.state.Approval.Status), nil }},
		{QueryApprovalReason, func() (string, error) { return w.state.Approval.Reason, nil }},
		{QueryOrderState, func() (*OrderState, error) { return w.state.clone(), nil }},
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
		{UpdateApprove, w.decisionHandler(moveApprove), w.validateDecision},
		{UpdateReject, w.decisionHandler(moveReject), w.validateDecision},
		{UpdateCancel, w.cancelHandler, w.validateCancel},
		{updateCheckout, w.checkoutHandler, w.validateCheckout},
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
	if w.plan.RequiresApproval {
		w.publish(ctx, StatusRunning, time.Time{})
		if w.plan.Settings.LowLatency {
			w.checkpoint() // the payment is recorded as an activity
		}
	}
	if w.cancelled(ctx) {
		// In the low-latency mode, an order that needs no approval runs its
		// first steps in its first workflow task: a lost run of that task
		// may have charged and reserved before this run saw the cancel.
		var undo []undoStep
		if !w.plan.RequiresApproval {
			undo = w.withLostRuns(nil)
		}
		w.compensate(ctx, undo, StatusCancelled, "")
		return
	}
	w.runSteps(ctx, stepsCtx)
}

// checkpoint makes the next provider call a (regular) activity in the
// low-latency mode. Scheduling an activity completes the workflow task,
// which records what the task decided before the call runs: an approval
// taken in a task the worker did not complete would otherwise be lost, and a
// rerun might see the approval timer or a rejection first and end with a
// charge; a delivery, which cannot be undone, would be booked by a run whose
// steps a rerun might not repeat; a compensation would undo a step whose
// failure a rerun might not see (and a rerun's charge would meet the
// refunded key, and report a declined card for an order that failed for
// another reason). (The SDK offers no other way to end a workflow task at
// will.)
func (w *orderWorkflow) checkpoint() {
	w.durableNext = true
}

// cancelled reports whether the order was cancelled, by Update or natively,
// applying a native cancellation to the order's stage. It is asked only
// before the point of no return.
func (w *orderWorkflow) cancelled(ctx workflow.Context) bool {
	if ctx.Err() != nil && w.stage == stageGoing {
		w.stage, _ = next(w.stage, moveCancel)
	}
	return w.stage == stageCancelled
}

func (w *orderWorkflow) key(activity string) string { return w.plan.KeyPrefix + "/" + activity }

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
		w.compensate(ctx, w.withLostRuns(undo), StatusCancelled, "")
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
	err := w.execute(w.forwardOptions(stepsCtx), step, activity, req, result)
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
	w.stage, _ = next(w.stage, moveDeliver)
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
	case failureType(err) == errorTypeUndeliverable:
		w.fail(ctx, undo, StepDelivery, err)
	default:
		// A permanent failure other than ErrUndeliverable says nothing about
		// whether a shipment exists: keep the money and the stock, and ask
		// a person.
		w.state.FailedStep = StepDelivery
		w.state.FailureType = failureType(err)
		workflow.GetLogger(ctx).Error("Delivery outcome unknown; needs a person", "OrderID", o.OrderID, "FailureType", w.state.FailureType)
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
		workflow.GetLogger(ctx).Warn("Confirmation email not sent", "OrderID", w.in.Order.OrderID, "FailureType", failureType(err))
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
// low-latency mode, unless a checkpoint asked for an activity) and shows it
// in the order's state while it runs.
func (w *orderWorkflow) execute(ctx workflow.Context, step Step, activity string, req, result any) error {
	if !compensation(activity) {
		w.state.Step = step
	}
	w.state.Current = &StepProgress{Step: step, Activity: activity, Since: workflow.Now(ctx)}
	w.showCall(ctx, step, activity)
	var f workflow.Future
	if w.plan.Settings.LowLatency && !w.durableNext {
		o := workflow.GetLocalActivityOptions(ctx)
		o.Summary = w.callSummary(activity)
		f = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, o), activity, req)
	} else {
		o := workflow.GetActivityOptions(ctx)
		o.Summary = w.callSummary(activity)
		f = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, o), activity, req)
	}
	w.durableNext = false
	err := f.Get(ctx, result)
	w.state.Current = nil
	return err
}

// compensation reports whether activity undoes a step.
func compensation(activity string) bool {
	return activity == ActivityRefundPayment || activity == ActivityReleaseInventory
}

// stopped ends the order when step failed (err) or a cancellation arrived,
// compensating what undo holds, and reports whether it did.
func (w *orderWorkflow) stopped(ctx workflow.Context, undo []undoStep, step Step, err error) bool {
	switch {
	case w.cancelled(ctx):
		w.compensate(ctx, w.withLostRuns(undo), StatusCancelled, "")
	case err != nil:
		w.fail(ctx, undo, step, err)
	default:
		return false
	}
	return true
}

func (w *orderWorkflow) fail(ctx workflow.Context, undo []undoStep, step Step, err error) {
	if !isBusinessFailure(err) {
		// The outcome is unknown (timed out, retries exhausted): a lost run
		// of a low-latency task may have got further than this one.
		// (After a provider's permanent answer it did not: providers answer
		// a key the same way every time.)
		undo = w.withLostRuns(undo)
	}
	w.stage, _ = next(w.stage, moveFail)
	w.state.FailedStep = step
	w.state.FailureType = failureType(err)
	workflow.GetLogger(ctx).Error("Order step failed", "OrderID", w.in.Order.OrderID, "Step", step,
		"FailureType", w.state.FailureType)
	w.compensate(ctx, undo, StatusFailed, fmt.Sprintf("Order failed at %s: %s", step, failureMessage(err)))
}

// withLostRuns returns undo with the payment and the reservation added, by
// key, when it lacks them. In the low-latency mode the steps run inside
// workflow tasks; a task the worker did not complete is run again, and the
// rerun may see a cancel that the lost run did not, or a call may time out
// that answered the lost run, and stop earlier than it. What the lost run
// charged or reserved is then undone by key: a provider refunds or releases
// nothing when nothing was taken under the key. (A provider's permanent
// failure needs none of this: providers answer a key the same way every
// time, so a rerun fails where the lost run did. Delivery, which cannot be
// undone, only starts after a checkpoint has recorded the steps before it.)
func (w *orderWorkflow) withLostRuns(undo []undoStep) []undoStep {
	if !w.plan.Settings.LowLatency {
		return undo
	}
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
// does not reach, then ends the order with status. Each undo is a regular
// activity retried by the server until the provider answers (in the
// low-latency mode too: the failure that causes it is then recorded before
// it runs, and its retries add no history); one it refuses for good leaves
// the order StatusNeedsAttention, after the others have run.
func (w *orderWorkflow) compensate(ctx workflow.Context, undo []undoStep, status Status, message string) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	actx := w.untilAnswered(dctx, w.plan.Settings.CompensationRetry)
	refused := 0
	for i := len(undo) - 1; i >= 0; i-- {
		c := undo[i]
		rec := Compensation{Activity: c.activity, Undoes: c.undoes, Reference: c.reference()}
		w.checkpoint()
		if err := w.execute(actx, c.undoes, c.activity, c.req, nil); err != nil {
			rec.Error = failureMessage(err)
			refused++
			workflow.GetLogger(ctx).Error("Compensation refused; needs a person", "OrderID", w.in.Order.OrderID,
				"Activity", c.activity, "FailureType", failureType(err))
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
}

// forwardOptions sets the options of payment, inventory and email.
// WaitForCancellation makes a cancelled step wait for the provider call to
// end, so that its compensation cannot overtake it.
func (w *orderWorkflow) forwardOptions(ctx workflow.Context) workflow.Context {
	return w.callOptions(ctx, w.plan.Settings.Retry.policy())
}

// callOptions sets the options of a provider call with the retry policy p:
// an activity's, and in the low-latency mode a local activity's.
func (w *orderWorkflow) callOptions(ctx workflow.Context, p *temporal.RetryPolicy) workflow.Context {
	if w.plan.Settings.LowLatency {
		// A local activity in flight is not cancelled: the cancellation
		// is read once it returns, so that a compensation never overtakes
		// the call it undoes (what WaitForCancellation does below).
		ctx, _ = workflow.NewDisconnectedContext(ctx)
		ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: w.plan.Settings.ActivityTimeout,
			// The SDK bounds a local call with its retries by
			// StartToCloseTimeout unless told otherwise: the policy's
			// attempts bound it here, as an activity's.
			ScheduleToCloseTimeout: localCallLimit,
			RetryPolicy:            p,
		})
	}
	return w.activityOptions(ctx, p)
}

// activityOptions sets the options of a provider call as a (regular)
// activity with the retry policy p.
func (w *orderWorkflow) activityOptions(ctx workflow.Context, p *temporal.RetryPolicy) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: w.plan.Settings.ActivityTimeout,
		HeartbeatTimeout:    heartbeatTimeout(w.plan.Settings.ActivityTimeout),
		RetryPolicy:         p,
		WaitForCancellation: true,
	})
}

// localCallLimit bounds a local call with all its retries: in effect no
// bound, as an activity's schedule-to-close is unset.
const localCallLimit = 10 * 365 * 24 * time.Hour

// untilAnswered sets the options of a call that must not give up: delivery
// and compensations, always regular activities, retried by the server with
// r's intervals and no attempt limit, until the call succeeds or fails with
// a non-retryable error.
func (w *orderWorkflow) untilAnswered(ctx workflow.Context, r retry) workflow.Context {
	policy := r.policy()
	policy.MaximumAttempts = 0
	return w.activityOptions(ctx, policy)
}

func (w *orderWorkflow) confirmation(key string) Email {
	o := w.in.Order
	body := fmt.Sprintf("Dear %s,\n\nYour order %s of %s is confirmed.\n", orDefault(o.CustomerName, "customer"), o.OrderID, w.state.Total)
	if d := w.state.Delivery; d != nil {
		body += fmt.Sprintf("Tracking number: %s\nEstimated delivery: %s\n", d.TrackingNumber, d.EstimatedDelivery)
	}
	return Email{IdempotencyKey: key, OrderID: o.OrderID, Kind: emailConfirmation, To: o.CustomerEmail,
		CustomerName: o.CustomerName, Subject: "Your order " + o.OrderID + " is confirmed", Body: body}
}

// checkoutHandler handles the checkout Update: it answers once the outcome
// a customer waits for at checkout is known — the payment taken, the order
// awaiting approval, or the order ended or failing without a charge — while
// the order goes on.
func (w *orderWorkflow) checkoutHandler(ctx workflow.Context, _ string) (CheckoutResult, error) {
	err := workflow.Await(ctx, func() bool {
		return w.state.Payment != nil || (w.stage == stageAwaiting && w.timer != nil) ||
			(w.stage != stageAwaiting && w.stage != stageGoing)
	})
	if err != nil {
		return CheckoutResult{}, err
	}
	paid := w.state.Payment != nil && w.stage != stageFailed && w.stage != stageCancelled
	return newCheckoutResult(&w.state, paid), nil
}

// validateCheckout refuses a checkout of another order under this order's
// ID: the fingerprint of the order the caller has differs.
func (w *orderWorkflow) validateCheckout(_ workflow.Context, fingerprint string) error {
	if fingerprint != "" && fingerprint != w.plan.Fingerprint {
		return refusal(errorTypeOrderExists, "the order ID was used for another order")
	}
	return nil
}

func refusal(errType, msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, errType, nil)
}

// isBusinessFailure reports whether err is a provider's permanent business
// failure: the provider said the step did not happen, so there is nothing to undo.
func isBusinessFailure(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable() && sentinelFor(appErr.Type()) != nil
}

// failureType names how a step failed, as OrderState.FailureType.
func failureType(err error) string {
	var appErr *temporal.ApplicationError
	var timeoutErr *temporal.TimeoutError
	var canceledErr *temporal.CanceledError
	switch {
	case isBusinessFailure(err) && errors.As(err, &appErr):
		return appErr.Type()
	case errors.As(err, &timeoutErr):
		return errorTypeActivityTimedOut
	case errors.As(err, &canceledErr):
		return errorTypeActivityCancelled
	}
	return errorTypeRetriesExhausted
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
