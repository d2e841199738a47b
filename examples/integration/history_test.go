package integration

import (
	"errors"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"

	"github.com/orderflow/orderflow"
)

var updateEventTypes = []enumspb.EventType{
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED,
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
}

// acceptedUpdates returns the Accepted events of Updates in events.
func acceptedUpdates(events []*historypb.HistoryEvent) []*historypb.WorkflowExecutionUpdateAcceptedEventAttributes {
	var out []*historypb.WorkflowExecutionUpdateAcceptedEventAttributes
	for _, ev := range events {
		if a := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
			out = append(out, a)
		}
	}
	return out
}

// TestRejectedUpdateLeavesNoEvent checks that decisions refused by the
// Update validator leave nothing in the order's history, while an accepted
// one leaves exactly its Accepted and Completed events.
func TestRejectedUpdateLeavesNoEvent(t *testing.T) {
	t.Parallel()
	t.Run("small order", func(t *testing.T) {
		t.Parallel()
		e, held := newEnvHolding(t, nil, orderflow.StepPayment)
		id := e.id("1")
		e.mustStart(smallOrder(id))
		e.waitForStep(id, orderflow.StepPayment)
		for range 3 {
			if _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "not needed"}); !errors.Is(err, orderflow.ErrNotAwaitingApproval) {
				t.Fatalf("Approve of a small order: %v, want ErrNotAwaitingApproval", err)
			}
		}
		held[0].open()
		e.result(id, orderflow.StatusCompleted)
		events := e.history(id)
		for _, typ := range updateEventTypes {
			if n := countEvents(events, typ); n != 0 {
				t.Errorf("%d %v events after rejected Updates, want none", n, typ)
			}
		}
	})
	t.Run("second decision", func(t *testing.T) {
		t.Parallel()
		e, held := newEnvHolding(t, nil, orderflow.StepPayment)
		id := e.id("1")
		e.mustStart(largeOrder(id))
		e.waitForApproval(id, orderflow.ApprovalPending)
		if _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "accepted one"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.orders.Reject(e.ctx, id, orderflow.Decision{Reason: "refused one"}); !errors.Is(err, orderflow.ErrNotAwaitingApproval) {
			t.Fatalf("Reject after Approve: %v, want ErrNotAwaitingApproval", err)
		}
		if _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "refused two"}); !errors.Is(err, orderflow.ErrNotAwaitingApproval) {
			t.Fatalf("second Approve: %v, want ErrNotAwaitingApproval", err)
		}
		held[0].open()
		e.result(id, orderflow.StatusCompleted)
		events := e.history(id)
		accepted := acceptedUpdates(events)
		if len(accepted) != 1 {
			t.Fatalf("%d UpdateAccepted events, want exactly 1 (the approval)", len(accepted))
		}
		req := accepted[0].GetAcceptedRequest()
		if name := req.GetInput().GetName(); name != orderflow.UpdateApprove {
			t.Errorf("accepted Update %q, want %q", name, orderflow.UpdateApprove)
		}
		if n := countEvents(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED); n != 1 {
			t.Errorf("%d UpdateCompleted events, want 1", n)
		}
		if n := countEvents(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED); n != 0 {
			t.Errorf("%d UpdateRejected events, want 0", n)
		}
	})
}

// TestTimerCancelledWhenDecisionWins checks that the approval timer does not
// outlive a decision: the history holds TimerCanceled, not TimerFired.
func TestTimerCancelledWhenDecisionWins(t *testing.T) {
	t.Parallel()
	for _, decision := range []string{"approve", "reject"} {
		t.Run(decision, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			id := e.id("1")
			e.mustStart(largeOrder(id))
			e.waitForApproval(id, orderflow.ApprovalPending)
			want := orderflow.StatusCompleted
			var err error
			if decision == "approve" {
				_, err = e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "ok"})
			} else {
				_, err = e.orders.Reject(e.ctx, id, orderflow.Decision{Reason: "no"})
				want = orderflow.StatusRejected
			}
			if err != nil {
				t.Fatal(err)
			}
			e.result(id, want)
			events := e.history(id)
			assertTimerCancelled(t, events, (5 * time.Minute))
			if decision == "approve" {
				assertTimerCancelledBeforeSteps(t, events)
			}
		})
	}
}

// assertTimerCancelled checks that events started one approval timer of
// timeout, and cancelled it rather than letting it fire.
func assertTimerCancelled(t *testing.T, events []*historypb.HistoryEvent, timeout time.Duration) {
	t.Helper()
	var started []*historypb.TimerStartedEventAttributes
	for _, ev := range events {
		if a := ev.GetTimerStartedEventAttributes(); a != nil {
			started = append(started, a)
		}
	}
	if len(started) != 1 || started[0].GetStartToFireTimeout().AsDuration() != timeout {
		t.Errorf("timers started: %v; want one of %v", started, timeout)
	}
	if n := countEvents(events, enumspb.EVENT_TYPE_TIMER_CANCELED); n != 1 {
		t.Errorf("%d TimerCanceled events, want 1", n)
	}
	if n := countEvents(events, enumspb.EVENT_TYPE_TIMER_FIRED); n != 0 {
		t.Errorf("%d TimerFired events, want 0", n)
	}
}

// assertTimerCancelledBeforeSteps checks that the approval timer was
// cancelled when the approval won, before the first step was scheduled, not
// left running until the order ended.
func assertTimerCancelledBeforeSteps(t *testing.T, events []*historypb.HistoryEvent) {
	t.Helper()
	var cancelledAt, firstActivity int64
	for _, ev := range events {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_TIMER_CANCELED:
			cancelledAt = ev.GetEventId()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			if firstActivity == 0 {
				firstActivity = ev.GetEventId()
			}
		}
	}
	if cancelledAt == 0 || firstActivity == 0 || cancelledAt > firstActivity {
		t.Errorf("timer cancelled at event %d, first step scheduled at event %d; want the timer cancelled first",
			cancelledAt, firstActivity)
	}
}
