package orderflow

// This file is the order workflow as it was before versioned money-safety
// changes (change ID changeMoneySafety). It is frozen: orders started by
// earlier releases replay through it, with their original idempotency keys,
// retry policies and decisions. Do not edit it except to keep it compiling;
// new behaviour goes into workflow.go.

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// orderWorkflowV1 runs an order started before changeMoneySafety.
func orderWorkflowV1(ctx workflow.Context, in WorkflowInput) (*OrderResult, error) {
	w := &v1Order{in: in, state: OrderResult{
		OrderID:  in.Order.OrderID,
		Status:   StatusRunning,
		Step:     stepValidation,
		Approval: Approval{Status: ApprovalNotRequired},
	}}
	// Everything the handlers read is settled before they are registered:
	// the SDK runs Updates that came with the first workflow task as soon as
	// their handler is registered. Nothing here blocks.
	if err := w.prepare(ctx); err != nil {
		workflow.GetLogger(ctx).Warn("Rejected invalid order", "OrderID", in.Order.OrderID, "Error", err)
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrorTypeInvalidOrder, err)
	}
	stepsCtx, cancelSteps := workflow.WithCancel(ctx)
	defer cancelSteps()
	w.stepsCancel = cancelSteps
	if err := w.setup(ctx); err != nil {
		return nil, err
	}
	w.run(ctx, stepsCtx)

	// Updates and queries may still be in flight; finish them before the run
	// ends so none is lost. A cancelled ctx would not wait, hence the
	// disconnected one.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	_ = workflow.Await(dctx, func() bool { return workflow.AllHandlersFinished(dctx) })
	return w.state.clone(), nil
}

type v1Order struct {
	in       WorkflowInput
	settings Settings
	state    OrderResult

	// cancelReason is set, and stepsCancel called, by an accepted cancel Update.
	cancelRequested bool
	stepsCancel     workflow.CancelFunc
	// noReturn is set once delivery is being arranged: cancellation is too late.
	noReturn bool
	finished bool
}

// setup registers every handler before anything can block, so that early
// Updates, signals and queries find them.
func (w *v1Order) setup(ctx workflow.Context) error {
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
		{UpdateApprove, w.approveUpdate, w.validateDecision},
		{UpdateReject, w.rejectUpdate, w.validateDecision},
		{UpdateCancel, w.cancelUpdate, w.validateCancel},
	}
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler,
			workflow.UpdateHandlerOptions{Validator: u.validator}); err != nil {
			return err
		}
	}
	// The signal listener never blocks the run: signals that arrive after the
	// order has moved on are drained, logged and ignored.
	sigCtx, _ := workflow.NewDisconnectedContext(ctx)
	workflow.Go(sigCtx, w.listenForSignals)
	return nil
}

// prepare validates the input and fixes the settings of this run.
func (w *v1Order) prepare(ctx workflow.Context) error {
	if err := validateOrderV1(w.in.Order); err != nil {
		return err
	}
	var given Settings
	if w.in.Settings != nil {
		given = *w.in.Settings
	}
	if err := given.validate(); err != nil {
		return &ValidationError{Field: "settings", Reason: err.Error()}
	}
	// Defaults are code: record the filled-in settings in history so that a
	// later change of a default cannot change this order on replay.
	enc := workflow.SideEffect(ctx, func(workflow.Context) any { return given.withDefaults() })
	if err := enc.Get(&w.settings); err != nil {
		return err
	}
	total, err := w.in.Order.Total()
	if err != nil {
		return err
	}
	w.state.Total = total
	needs, err := w.in.Order.RequiresApproval(w.settings.ApprovalThreshold)
	if err != nil {
		return err
	}
	if needs {
		w.state.Approval.Status = ApprovalPending
	}
	return nil
}

// run takes the order from approval to its outcome. stepsCtx is cancelled
// by an accepted cancel Update, and with ctx by a native cancellation.
func (w *v1Order) run(ctx, stepsCtx workflow.Context) {
	workflow.GetLogger(ctx).Info("Order started", "OrderID", w.in.Order.OrderID, "Total", w.state.Total.String(),
		"RequiresApproval", w.state.Approval.Status == ApprovalPending)
	if w.state.Approval.Status != ApprovalNotRequired && !w.awaitApproval(stepsCtx) {
		return
	}
	if w.cancelled(ctx) {
		w.compensate(ctx, nil, StatusCancelled, "")
		return
	}
	w.runSteps(ctx, stepsCtx)
}

// awaitApproval waits for a decision, a cancellation or the timeout, and
// reports whether the order may go on.
func (w *v1Order) awaitApproval(ctx workflow.Context) bool {
	w.state.Step = StepApproval
	var err error
	// A decision or cancellation may have come with the first workflow
	// task, before any wait; then there is nothing to time.
	if w.state.Approval.Status == ApprovalPending && !w.cancelRequested {
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		timer := workflow.NewTimer(timerCtx, w.settings.ApprovalTimeout)
		err = workflow.Await(ctx, func() bool {
			return w.state.Approval.Status != ApprovalPending || w.cancelRequested || timer.IsReady()
		})
		cancelTimer()
	}

	// A decision that was accepted wins, even if the timer fired in the same
	// workflow task: the approver was told it took. A cancellation also
	// fires the timer (its context is a child of ctx), so it is checked
	// before the timeout.
	switch {
	case w.state.Approval.Status == ApprovalApproved:
		workflow.GetLogger(ctx).Info("Order approved", "OrderID", w.in.Order.OrderID)
		return true
	case w.state.Approval.Status == ApprovalRejected:
		w.finish(StatusRejected, "Order rejected: "+orDefault(w.state.Approval.Reason, "no reason given"))
	case err != nil || w.cancelRequested || ctx.Err() != nil:
		w.state.Approval = Approval{Status: ApprovalRejected, Reason: "order cancelled while awaiting approval"}
		w.finish(StatusCancelled, "Order cancelled while awaiting approval: "+orDefault(w.state.CancelReason, "cancellation requested"))
	default:
		w.state.Approval = Approval{Status: ApprovalTimedOut,
			Reason: fmt.Sprintf("no decision within %v", w.settings.ApprovalTimeout)}
		w.finish(StatusTimedOut, fmt.Sprintf("Order approval timed out after %v; nothing was charged", w.settings.ApprovalTimeout))
	}
	return false
}

// runSteps runs payment, inventory, delivery and email. stepsCtx is
// cancelled by a cancellation (Update or native); ctx is the workflow's own.
func (w *v1Order) runSteps(ctx, stepsCtx workflow.Context) {
	var undo []v1Compensation
	wfID := workflow.GetInfo(ctx).WorkflowExecution.ID
	key := func(activity string) string { return wfID + "/" + activity }
	o := w.in.Order

	// Payment.
	w.state.Step = StepPayment
	var pay PaymentResult
	charge := ChargeRequest{IdempotencyKey: key(ActivityProcessPayment), OrderID: o.OrderID,
		CustomerName: o.CustomerName, Amount: w.state.Total}
	err := workflow.ExecuteActivity(w.activityCtx(stepsCtx), ActivityProcessPayment, charge).Get(stepsCtx, &pay)
	if err == nil || !isBusinessFailure(err) {
		undo = append(undo, v1Compensation{ActivityRefundPayment, StepPayment, RefundRequest{
			IdempotencyKey: key(ActivityRefundPayment), OrderID: o.OrderID, ChargeKey: charge.IdempotencyKey,
			TransactionID: pay.TransactionID, Amount: w.state.Total}})
	}
	if w.stopped(ctx, undo, StepPayment, err) {
		return
	}
	w.state.Payment = &pay
	w.state.markDone(StepPayment)

	// Inventory.
	w.state.Step = StepInventory
	var inv InventoryResult
	reserve := ReserveRequest{IdempotencyKey: key(ActivityReserveInventory), OrderID: o.OrderID, Items: o.Items}
	err = workflow.ExecuteActivity(w.activityCtx(stepsCtx), ActivityReserveInventory, reserve).Get(stepsCtx, &inv)
	if err == nil || !isBusinessFailure(err) {
		undo = append(undo, v1Compensation{ActivityReleaseInventory, StepInventory, ReleaseRequest{
			IdempotencyKey: key(ActivityReleaseInventory), OrderID: o.OrderID, ReserveKey: reserve.IdempotencyKey,
			ReservationID: inv.ReservationID, Items: o.Items}})
	}
	if w.stopped(ctx, undo, StepInventory, err) {
		return
	}
	w.state.Inventory = &inv
	w.state.markDone(StepInventory)

	// Delivery: the point of no return. From here a cancellation is refused
	// (Update) or noted (native cancel), and the remaining steps run in a
	// context that cancellation does not reach.
	if w.cancelled(ctx) {
		w.compensate(ctx, undo, StatusCancelled, "")
		return
	}
	w.noReturn = true
	final, _ := workflow.NewDisconnectedContext(ctx)
	w.state.Step = StepDelivery
	var del DeliveryResult
	err = workflow.ExecuteActivity(w.activityCtx(final), ActivityArrangeDelivery, DeliveryRequest{
		IdempotencyKey: key(ActivityArrangeDelivery), OrderID: o.OrderID, CustomerName: o.CustomerName,
		Address: o.ShippingAddress, Items: o.Items}).Get(final, &del)
	if err != nil {
		w.fail(ctx, undo, StepDelivery, err)
		return
	}
	w.state.Delivery = &del
	w.state.markDone(StepDelivery)

	// Confirmation email: best effort.
	w.state.Step = StepEmail
	err = workflow.ExecuteActivity(w.activityCtx(final), ActivitySendConfirmation, w.confirmation(key(ActivitySendConfirmation))).Get(final, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("Confirmation email not sent", "OrderID", o.OrderID, "Error", err)
		w.state.warn("confirmation email not sent: " + failureMessage(err))
	} else {
		w.state.markDone(StepEmail)
	}
	if ctx.Err() != nil {
		w.state.warn("cancellation requested after delivery was arranged; the order was completed")
	}
	w.finish(StatusCompleted, "Order processed successfully")
}

// stopped ends the order when step failed (err) or a cancellation arrived,
// compensating what undo holds, and reports whether it did.
func (w *v1Order) stopped(ctx workflow.Context, undo []v1Compensation, step Step, err error) bool {
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

// cancelled reports whether the order was cancelled, by Update or natively.
func (w *v1Order) cancelled(ctx workflow.Context) bool {
	return w.cancelRequested || ctx.Err() != nil
}

func (w *v1Order) fail(ctx workflow.Context, undo []v1Compensation, step Step, err error) {
	w.state.FailedStep = step
	w.state.FailureType = failureType(err)
	workflow.GetLogger(ctx).Error("Order step failed", "OrderID", w.in.Order.OrderID, "Step", step, "Error", err)
	w.compensate(ctx, undo, StatusFailed, fmt.Sprintf("Order failed at %s: %s", step, failureMessage(err)))
}

// compensation is one undo step of the saga.
type v1Compensation struct {
	activity string
	undoes   Step
	req      any
}

func (c v1Compensation) reference() string {
	switch r := c.req.(type) {
	case RefundRequest:
		return orDefault(r.TransactionID, r.ChargeKey)
	case ReleaseRequest:
		return orDefault(r.ReservationID, r.ReserveKey)
	}
	return ""
}

// compensate undoes undo in reverse order, in a context that cancellation
// does not reach, then ends the order with status.
func (w *v1Order) compensate(ctx workflow.Context, undo []v1Compensation, status Status, message string) {
	w.state.Step = StepCompensation
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	actx := workflow.WithActivityOptions(dctx, workflow.ActivityOptions{
		StartToCloseTimeout: w.settings.ActivityTimeout,
		RetryPolicy:         w.settings.CompensationRetry.policy(),
	})
	failed := 0
	for i := len(undo) - 1; i >= 0; i-- {
		c := undo[i]
		rec := Compensation{Activity: c.activity, Undoes: c.undoes, Reference: c.reference()}
		if err := workflow.ExecuteActivity(actx, c.activity, c.req).Get(actx, nil); err != nil {
			rec.Error = failureMessage(err)
			failed++
			workflow.GetLogger(ctx).Error("Compensation failed; needs a person", "OrderID", w.in.Order.OrderID,
				"Activity", c.activity, "Error", err)
		}
		w.state.Compensations = append(w.state.Compensations, rec)
	}
	if status == StatusCancelled {
		message = "Order cancelled: " + orDefault(w.state.CancelReason, "cancellation requested")
	}
	if len(undo) > 0 {
		message += fmt.Sprintf(" (%d of %d compensations succeeded)", len(undo)-failed, len(undo))
	}
	w.finish(status, message)
}

func (w *v1Order) finish(status Status, message string) {
	w.state.Status = status
	w.state.Message = message
	w.state.Step = StepDone
	w.finished = true
}

// activityCtx sets the options of a forward step. WaitForCancellation makes a
// cancelled step wait for the provider call to end, so that its compensation
// cannot overtake it (a refund by key before the charge lands would refund
// nothing).
func (w *v1Order) activityCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: w.settings.ActivityTimeout,
		HeartbeatTimeout:    heartbeatTimeout(w.settings.ActivityTimeout),
		RetryPolicy:         w.settings.Retry.policy(),
		WaitForCancellation: true,
	})
}

func (w *v1Order) confirmation(key string) Email {
	o := w.in.Order
	body := fmt.Sprintf("Dear %s,\n\nYour order %s of %s is confirmed.\n", orDefault(o.CustomerName, "customer"), o.OrderID, w.state.Total)
	if d := w.state.Delivery; d != nil {
		body += fmt.Sprintf("Tracking number: %s\nEstimated delivery: %s\n", d.TrackingNumber, d.EstimatedDelivery)
	}
	return Email{IdempotencyKey: key, OrderID: o.OrderID, Kind: EmailConfirmation, To: o.CustomerEmail,
		CustomerName: o.CustomerName, Subject: "Your order " + o.OrderID + " is confirmed", Body: body}
}

// decide applies an approval decision if one is pending, and reports whether it did.
func (w *v1Order) decide(status ApprovalStatus, reason string) bool {
	if w.state.Approval.Status != ApprovalPending || w.cancelRequested || w.finished {
		return false
	}
	w.state.Approval = Approval{Status: status, Reason: reason}
	return true
}

func (w *v1Order) listenForSignals(ctx workflow.Context) {
	approve := workflow.GetSignalChannel(ctx, SignalApprove)
	reject := workflow.GetSignalChannel(ctx, SignalReject)
	on := func(status ApprovalStatus) func(workflow.ReceiveChannel, bool) {
		return func(c workflow.ReceiveChannel, _ bool) {
			var reason string
			c.Receive(ctx, &reason)
			if w.decide(status, reason) {
				workflow.GetLogger(ctx).Info("Approval decision by signal", "OrderID", w.in.Order.OrderID, "Decision", status)
			} else {
				workflow.GetLogger(ctx).Warn("Ignored approval signal: no decision pending", "OrderID", w.in.Order.OrderID,
					"Decision", status, "ApprovalStatus", w.state.Approval.Status)
			}
		}
	}
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(approve, on(ApprovalApproved))
	sel.AddReceive(reject, on(ApprovalRejected))
	for {
		sel.Select(ctx)
	}
}

func (w *v1Order) validateDecision(ctx workflow.Context, reason string) error {
	if w.state.Approval.Status != ApprovalPending || w.cancelRequested || w.finished {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("approval status is %s", w.state.Approval.Status),
			ErrorTypeNotAwaitingApproval, nil)
	}
	return nil
}

func (w *v1Order) approveUpdate(ctx workflow.Context, reason string) (Approval, error) {
	return w.decideByUpdate(ctx, ApprovalApproved, reason)
}

func (w *v1Order) rejectUpdate(ctx workflow.Context, reason string) (Approval, error) {
	return w.decideByUpdate(ctx, ApprovalRejected, reason)
}

func (w *v1Order) decideByUpdate(ctx workflow.Context, status ApprovalStatus, reason string) (Approval, error) {
	if err := w.validateDecision(ctx, reason); err != nil {
		return Approval{}, err
	}
	w.decide(status, reason)
	workflow.GetLogger(ctx).Info("Approval decision by update", "OrderID", w.in.Order.OrderID, "Decision", status)
	return w.state.Approval, nil
}

func (w *v1Order) validateCancel(ctx workflow.Context, reason string) error {
	switch {
	case w.cancelRequested:
		return temporal.NewNonRetryableApplicationError(
			"a cancellation was already accepted", ErrorTypeAlreadyCancelled, nil)
	case w.noReturn || w.finished:
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("past the point of no return (step: %s, status: %s)", w.state.Step, w.state.Status),
			ErrorTypeTooLateToCancel, nil)
	}
	return nil
}

func (w *v1Order) cancelUpdate(ctx workflow.Context, reason string) error {
	if err := w.validateCancel(ctx, reason); err != nil {
		return err
	}
	w.cancelRequested = true
	w.state.CancelReason = reason
	w.stepsCancel()
	workflow.GetLogger(ctx).Info("Order cancellation accepted", "OrderID", w.in.Order.OrderID, "Step", w.state.Step)
	return nil
}
