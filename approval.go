package orderflow

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// How the first decision in history wins.
//
// A workflow task may hold several events that decide an order awaiting
// approval: approve_order and reject_order signals (some undecodable or
// with an oversized reason, which change nothing), the approval timer
// firing, a native cancellation, and Updates (approve, reject, cancel),
// which come after the task's events in history, in the order they were
// accepted. The SDK hands a task's events to the coroutines blocked on them
// before any workflow code runs, and a blocked Selector takes one event
// only; the others wait in their channels or futures, and which of them the
// next Select takes depends on the order its cases were added, not on
// history. So:
//
//   - While the order awaits approval, several listeners (coroutines) are
//     blocked on every source at once. Each event goes to the listener that
//     has waited longest among those still free (the SDK offers a signal to
//     the blocked receivers in the order they blocked, and a timer or a
//     cancellation to every blocked listener), so the order of the
//     listeners' tickets is the order of history. Events beyond the free
//     listeners of one task are taken afterwards, the timer and a
//     cancellation before signals, and rejections before approvals: with
//     listenerCount listeners, that happens only when a task holds more
//     decision signals than that before its timer.
//   - Updates accepted while the order awaits approval are queued, and the
//     workflow's coroutine, once the listeners have run, applies their
//     events by ticket, then the queued Updates in the order they were
//     accepted: history order.
//   - Validators only read: they refuse what is already decided, and what
//     must be refused whatever the task's events were (an approve when the
//     timer has fired in this task, or after another decision of it). An
//     Update they accept is settled by the decider; a handler refuses only
//     when events of its own workflow task that its validator could not see
//     decided first (the SDK runs validators before the workflow reads the
//     task's events). Such an Update shows in history as accepted, then
//     failed with the same typed error.
const listenerCount = 3

// heard is an event a listener took, with the ticket of its wait.
type heard struct {
	ticket int
	move   move
	signal string // the signal's name, for a signal
	reason string
	// dropped says why a signal changes nothing: undecodable, or a reason
	// that Decision.Validate refuses.
	dropped string
}

// request is an accepted Update's move, applied in history order.
type request struct {
	move     move
	approval Approval // of an approve or reject
	reason   string   // of a cancel
	applied  bool
	err      error
}

// awaitApproval waits for the first decision in history, and reports
// whether the order may go on.
func (w *orderWorkflow) awaitApproval(ctx workflow.Context) bool {
	w.state.Step = StepApproval
	timeout := w.plan.Settings.ApprovalTimeout
	// The timer is cancelled when a decision wins, and only then: a native
	// cancellation reaches the listeners as a cancellation, not as a timer
	// that ends early.
	bg, _ := workflow.NewDisconnectedContext(ctx)
	timerCtx, cancelTimer := workflow.WithCancel(bg)
	start := workflow.Now(ctx)
	w.timer = workflow.NewTimerWithOptions(timerCtx, timeout, workflow.TimerOptions{Summary: "Approval deadline"})
	w.decided = workflow.NewChannel(bg)
	deadline := start.Add(timeout)
	w.publish(ctx, StatusAwaitingApproval, deadline)
	showDetails(ctx, "**Awaiting approval** until %s (%v after the order started): approve or reject it, or it times out.",
		deadline.UTC().Format("2006-01-02 15:04:05 UTC"), timeout)
	for range listenerCount {
		workflow.Go(bg, w.listen)
	}
	w.decide(bg)
	cancelTimer()
	w.approvalWaited(ctx, start)

	switch w.stage {
	case stageGoing:
		w.state.Status = StatusRunning
		workflow.GetLogger(ctx).Info("Order approved", "OrderID", w.in.Order.OrderID)
		return true
	case stageRejected:
		w.finish(StatusRejected, "Order rejected: "+orDefault(w.state.Approval.Reason, "no reason given"))
	case stageTimedOut:
		w.finish(StatusTimedOut, fmt.Sprintf("Order approval timed out after %v; nothing was charged", timeout))
	case stageCancelled:
		if w.state.Approval.Status != ApprovalPending { // approved, then cancelled in the same workflow task
			w.finish(StatusCancelled, "Order cancelled: "+orDefault(w.state.CancelReason, "cancellation requested"))
			break
		}
		w.state.Approval = Approval{Status: ApprovalRejected, Reason: "order cancelled while awaiting approval"}
		w.finish(StatusCancelled, "Order cancelled while awaiting approval: "+orDefault(w.state.CancelReason, "cancellation requested"))
	}
	return false
}

// listen takes decision events while the order awaits approval (see
// listenerCount).
func (w *orderWorkflow) listen(ctx workflow.Context) {
	approve := workflow.GetSignalChannel(ctx, SignalApprove)
	reject := workflow.GetSignalChannel(ctx, SignalReject)
	for w.stage == stageAwaiting {
		h := heard{ticket: w.tickets}
		w.tickets++
		stop := false
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(w.decided, func(workflow.ReceiveChannel, bool) { stop = true })
		if !w.cancelHeard {
			sel.AddReceive(w.root.Done(), func(workflow.ReceiveChannel, bool) { h.move = moveCancel })
		}
		if !w.timerHeard {
			sel.AddFuture(w.timer, func(f workflow.Future) {
				h.move = moveTimeout
				if f.Get(ctx, nil) != nil { // cancelled: a decision won
					stop = true
				}
			})
		}
		sel.AddReceive(reject, func(c workflow.ReceiveChannel, _ bool) { h = signalHeard(c, h, moveReject) })
		sel.AddReceive(approve, func(c workflow.ReceiveChannel, _ bool) { h = signalHeard(c, h, moveApprove) })
		sel.Select(ctx)
		if stop {
			return
		}
		switch h.move {
		case moveTimeout:
			w.timerHeard = true
		case moveCancel:
			w.cancelHeard = true
		}
		w.heard = append(w.heard, h)
	}
}

// signalHeard reads the signal that c delivered to a listener. A payload
// that is not a string is read as raw, so that an undecodable signal is
// taken (and dropped) in its place in history rather than skipped.
func signalHeard(c workflow.ReceiveChannel, h heard, m move) heard {
	h.move, h.signal = m, c.Name()
	var raw converter.RawValue
	c.ReceiveAsync(&raw)
	switch {
	case raw.Payload() == nil: // sent without a reason, as the CLI may
	case converter.GetDefaultDataConverter().FromPayload(raw.Payload(), &h.reason) != nil:
		h.dropped = "payload is not a string"
	case len(h.reason) > signalReasonLimit:
		h.dropped = fmt.Sprintf("reason of %d bytes, more than the limit of %d", len(h.reason), signalReasonLimit)
	}
	return h
}

// signalReasonLimit is the longest reason of a decision signal that the
// workflow takes. It is workflow logic, not validation: a replayed signal is
// judged by it again, so a change to it needs a workflow.GetVersion patch
// (docs/versioning.md), whatever MaxReasonLength becomes. (A signal's other
// text rules are not checked: the Python demo's signals carried any text.)
const signalReasonLimit = 1024

// decide applies, in history order, the events the listeners took and the
// Updates accepted meanwhile, until the order is no longer awaiting
// approval. It runs on the workflow's own coroutine, which the SDK runs
// before the listeners in every round of a workflow task: so once something
// is to be decided, it first lets every other coroutine run once
// (yieldToWorkflow), and then sees all the events of the task that the
// listeners took.
func (w *orderWorkflow) decide(ctx workflow.Context) {
	for w.stage == stageAwaiting {
		_ = workflow.Await(ctx, func() bool { return len(w.heard) > 0 || len(w.queue) > 0 })
		yieldToWorkflow(ctx)
		slices.SortStableFunc(w.heard, func(a, b heard) int { return a.ticket - b.ticket })
		for _, h := range w.heard {
			w.applyHeard(ctx, h)
		}
		w.heard = w.heard[:0]
		for _, r := range w.queue {
			r.err = w.apply(ctx, r)
			r.applied = true
		}
		w.queue = w.queue[:0]
	}
	w.decided.Close()
}

// yieldToWorkflow lets every other coroutine of the workflow run once: the
// coroutine it starts runs after all the others in the round.
func yieldToWorkflow(ctx workflow.Context) {
	ch := workflow.NewChannel(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) { ch.Send(ctx, true) })
	ch.Receive(ctx, nil)
}

// applyHeard applies one event a listener took.
func (w *orderWorkflow) applyHeard(ctx workflow.Context, h heard) {
	logger := workflow.GetLogger(ctx)
	switch {
	case h.dropped != "":
		logger.Warn("Dropped approval signal", "OrderID", w.in.Order.OrderID, "Signal", h.signal, "Error", h.dropped)
	case h.move == moveTimeout && w.stage == stageAwaiting:
		w.stage = stageTimedOut
		w.state.Approval = Approval{Status: ApprovalTimedOut,
			Reason: fmt.Sprintf("no decision within %v", w.plan.Settings.ApprovalTimeout)}
	case h.move == moveTimeout:
	case h.move == moveCancel:
		if s, err := next(w.stage, moveCancel); err == nil {
			w.stage = s
			w.state.CancelReason = "cancellation requested"
		}
	default: // a decision signal
		if _, err := next(w.stage, h.move); err != nil {
			logger.Warn("Ignored approval signal: no decision pending", "OrderID", w.in.Order.OrderID,
				"Signal", h.signal, "ApprovalStatus", w.state.Approval.Status)
			return
		}
		w.takeDecision(ctx, h.move, Approval{Reason: h.reason})
		logger.Info("Approval decision by signal", "OrderID", w.in.Order.OrderID, "Decision", w.state.Approval.Status)
	}
}

// apply applies an accepted Update's move, or returns its refusal.
func (w *orderWorkflow) apply(ctx workflow.Context, r *request) error {
	s, err := next(w.stage, r.move)
	if err != nil && r.move != moveCancel {
		return w.decisionRefusal()
	}
	if err != nil {
		return err
	}
	switch r.move {
	case moveApprove, moveReject:
		w.takeDecision(ctx, r.move, r.approval)
		r.approval = w.state.Approval
		workflow.GetLogger(ctx).Info("Approval decision by update", "OrderID", w.in.Order.OrderID,
			"Decision", w.state.Approval.Status, "Approver", r.approval.Approver)
	case moveCancel:
		w.stage = s
		w.state.CancelReason = r.reason
		w.stepsCancel()
		workflow.GetLogger(ctx).Info("Order cancellation accepted", "OrderID", w.in.Order.OrderID, "Step", w.state.Step)
	}
	return nil
}

// takeDecision records an approve or reject that next allowed.
func (w *orderWorkflow) takeDecision(ctx workflow.Context, m move, a Approval) {
	w.stage, _ = next(w.stage, m)
	a.Status = ApprovalApproved
	if m == moveReject {
		a.Status = ApprovalRejected
	}
	a.DecidedAt = workflow.Now(ctx)
	w.state.Approval = a
}

// submit applies an accepted Update's move: at once, or, while the order
// awaits approval, after the events recorded before it (see decide).
func (w *orderWorkflow) submit(ctx workflow.Context, r *request) error {
	if w.stage != stageAwaiting {
		return w.apply(ctx, r)
	}
	w.queue = append(w.queue, r)
	bg, _ := workflow.NewDisconnectedContext(ctx)
	_ = workflow.Await(bg, func() bool { return r.applied })
	return r.err
}

// pendingInTask reports whether the current workflow task may hold a
// decision that is not applied yet: the timer fired or a native
// cancellation arrived while the order awaits approval, or an Update was
// accepted before this one.
func (w *orderWorkflow) pendingInTask() bool {
	return w.stage == stageAwaiting && (len(w.queue) > 0 || (w.timer != nil && w.timer.IsReady()) || w.root.Err() != nil)
}

// validateDecision checks an approve or reject Update. The approver is the
// Update's second argument, absent in Updates sent by the CLI (then empty).
func (w *orderWorkflow) validateDecision(_ workflow.Context, reason, approver string) error {
	if err := validateReason(reason); err != nil {
		return refusal(errorTypeInvalidReason, argProblem(err))
	}
	if err := validateApprover(approver); err != nil {
		return refusal(errorTypeInvalidApprover, argProblem(err))
	}
	if w.pendingInTask() {
		// Whatever the task's events were, one of them decided first.
		return refusal(errorTypeNotAwaitingApproval, "another decision came first")
	}
	return w.decisionRefusal()
}

// decisionRefusal is why an approve or reject is refused now, or nil.
func (w *orderWorkflow) decisionRefusal() error {
	if w.stage == stageGoing || w.stage == stageNoReturn || w.stage == stageFailed {
		return refusal(errorTypeNotAwaitingApproval, fmt.Sprintf("approval status is %s", w.state.Approval.Status))
	}
	_, err := next(w.stage, moveApprove)
	return err
}

// validateCancel checks a cancel Update. While the order awaits approval
// the events of the task decide whether it comes too late: the handler
// settles it.
func (w *orderWorkflow) validateCancel(_ workflow.Context, reason string) error {
	if err := validateReason(reason); err != nil {
		return refusal(errorTypeInvalidReason, argProblem(err))
	}
	if w.stage == stageAwaiting {
		return nil
	}
	if w.stage == stageGoing && w.root.Err() != nil {
		return refusal(errorTypeAlreadyCancelled, "a cancellation was already accepted")
	}
	_, err := next(w.stage, moveCancel)
	return err
}

// decisionHandler returns the handler of the approve or reject Update.
func (w *orderWorkflow) decisionHandler(m move) func(workflow.Context, string, string) (Approval, error) {
	return func(ctx workflow.Context, reason, approver string) (Approval, error) {
		r := &request{move: m, approval: Approval{Reason: reason, Approver: approver}}
		if err := w.submit(ctx, r); err != nil {
			return Approval{}, err
		}
		return r.approval, nil
	}
}

// cancelHandler handles the cancel Update.
func (w *orderWorkflow) cancelHandler(ctx workflow.Context, reason string) error {
	return w.submit(ctx, &request{move: moveCancel, reason: reason})
}

// ignoreSignals drains decision signals that arrive when none is pending.
func (w *orderWorkflow) ignoreSignals(ctx workflow.Context) {
	sel := workflow.NewSelector(ctx)
	for _, name := range []string{SignalApprove, SignalReject} {
		sel.AddReceive(workflow.GetSignalChannel(ctx, name), func(c workflow.ReceiveChannel, _ bool) {
			var raw converter.RawValue
			c.ReceiveAsync(&raw)
			workflow.GetLogger(ctx).Warn("Ignored approval signal: no decision pending", "OrderID", w.in.Order.OrderID,
				"Signal", name, "ApprovalStatus", w.state.Approval.Status)
		})
	}
	for {
		sel.Select(ctx)
	}
}
