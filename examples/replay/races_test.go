package replay

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/orderflow/orderflow/examples/internal/updatewatch"
	"github.com/orderflow/orderflow/orderflowtest"
)

// TestDecisionRacesInOneWorkflowTask puts several decisions into one
// workflow task, as a busy or restarted worker meets them: the worker is
// stopped once the order awaits approval, the signals and Updates are sent
// (and the approval timer left to fire) while no worker runs, then a worker
// starts and handles them all in one task. The first decision in history
// wins, and every caller's answer matches the order's end.
func TestDecisionRacesInOneWorkflowTask(t *testing.T) {
	srv := temporaltest.NewServer(temporaltest.WithT(t),
		temporaltest.WithBaseClientOptions(client.Options{Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))}))
	tc := srv.GetDefaultClient()
	const queue = "orderflow-races"
	acts, p := orderflowtest.NewActivities()
	register := func(r worker.Registry) { require.NoError(t, orderflow.Register(r, acts)) }
	// orders' approval timer fires soon; patient's does not within a test.
	// The Clients send their Updates through wtc, which tells watch, so
	// that the test can wait until the server holds them.
	watch, wtc, err := updatewatch.New(tc, srv.GetDefaultNamespace())
	require.NoError(t, err)
	defer wtc.Close()
	ctx := testctx.Context(t)
	orders, err := orderflow.NewClient(wtc, &orderflow.Options{TaskQueue: queue, ApprovalTimeout: 4 * time.Second})
	require.NoError(t, err)
	patient, err := orderflow.NewClient(wtc, &orderflow.Options{TaskQueue: queue, ApprovalTimeout: time.Hour})
	require.NoError(t, err)

	// race starts order id, stops the worker once it awaits approval, runs
	// send without a worker, and starts a worker again.
	race := func(t *testing.T, orders *orderflow.Client, id string, send func(id string)) *orderflow.OrderState {
		w := srv.NewWorker(queue, register)
		require.NoError(t, orders.Start(ctx, order(id, 189998)))
		waitPending(t, ctx, tc, id)
		w.Stop()
		send(id)
		w = srv.NewWorker(queue, register)
		defer w.Stop()
		res, err := orders.Result(ctx, id)
		require.NoError(t, err)
		requireOneTask(t, history(t, ctx, tc, orderflow.WorkflowID(id)))
		record(t, "race_"+strings.ToLower(strings.TrimPrefix(id, "ORD-RACE-")), history(t, ctx, tc, orderflow.WorkflowID(id)))
		return res
	}
	timerFired := func(id string) {
		awaitEvent(t, ctx, tc, orderflow.WorkflowID(id), enumspb.EVENT_TYPE_TIMER_FIRED)
	}
	// async sends an Update and waits until the server has it.
	async := func(f func() error) <-chan error {
		done := make(chan error, 1)
		go func() { done <- f() }()
		require.NoError(t, watch.AwaitAdmitted(ctx, 1))
		return done
	}

	t.Run("approve signal, timer, cancel Update: the approval came first, so the cancel is accepted", func(t *testing.T) {
		var cancelled <-chan error
		res := race(t, orders, "ORD-RACE-SIGNAL-TIMER-CANCEL", func(id string) {
			require.NoError(t, tc.SignalWorkflow(ctx, orderflow.WorkflowID(id), "", orderflow.SignalApprove, "ok"))
			timerFired(id)
			cancelled = async(func() error { return orders.Cancel(ctx, id, "changed mind") })
		})
		h := history(t, ctx, tc, orderflow.WorkflowID(res.OrderID))
		if firstOf(h, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, enumspb.EVENT_TYPE_TIMER_FIRED) == enumspb.EVENT_TYPE_TIMER_FIRED {
			// A slow machine: the timer fired before the signal was sent.
			require.ErrorIs(t, <-cancelled, orderflow.ErrTooLateToCancel)
			require.Equal(t, orderflow.StatusTimedOut, res.Status, res.Message)
			return
		}
		require.NoError(t, <-cancelled, "the canceller must not be told the approval timed out")
		require.Equal(t, orderflow.StatusCancelled, res.Status, res.Message)
		require.Equal(t, orderflow.ApprovalApproved, res.Approval.Status)
		require.Zero(t, p.Payment.Held(res.OrderID).Amount, "nothing may be charged")
		require.Empty(t, p.Delivery.Shipments())
	})

	for name, bad := range map[string]any{"undecodable": 42, "oversized": strings.Repeat("x", 2000)} {
		t.Run(name+" approve signal, timer, valid approve signal: the timer came first", func(t *testing.T) {
			res := race(t, orders, "ORD-RACE-"+strings.ToUpper(name)+"-TIMER-APPROVE", func(id string) {
				require.NoError(t, tc.SignalWorkflow(ctx, orderflow.WorkflowID(id), "", orderflow.SignalApprove, bad))
				timerFired(id)
				require.NoError(t, tc.SignalWorkflow(ctx, orderflow.WorkflowID(id), "", orderflow.SignalApprove, "ok"))
			})
			require.Equal(t, orderflow.StatusTimedOut, res.Status, res.Message)
			require.Equal(t, orderflow.ApprovalTimedOut, res.Approval.Status)
			require.Zero(t, p.Payment.Held(res.OrderID).Amount, "nothing may be charged")
		})
	}

	// Two Updates in one task: the server hands them over in an order of its
	// own, and the one accepted first in history decides.
	t.Run("approve and cancel Updates in one task", func(t *testing.T) {
		var approved, cancelled <-chan error
		var approval orderflow.Approval
		id := "ORD-RACE-APPROVE-CANCEL"
		res := race(t, patient, id, func(id string) {
			approved = async(func() (err error) {
				approval, err = patient.Approve(ctx, id, orderflow.Decision{Reason: "ok"})
				return err
			})
			cancelled = async(func() error { return patient.Cancel(ctx, id, "changed mind") })
		})
		approveErr, cancelErr := <-approved, <-cancelled
		require.NoError(t, cancelErr, "a cancel is accepted before delivery, after an approval or before one")
		require.Equal(t, orderflow.StatusCancelled, res.Status, res.Message)
		if firstUpdate(t, history(t, ctx, tc, orderflow.WorkflowID(id))) == orderflow.UpdateApprove {
			require.NoError(t, approveErr, "the approver came first and is told so")
			require.Equal(t, orderflow.ApprovalApproved, approval.Status)
			require.Equal(t, orderflow.ApprovalApproved, res.Approval.Status)
		} else {
			require.ErrorIs(t, approveErr, orderflow.ErrNotAwaitingApproval)
		}
		require.Zero(t, p.Payment.Held(res.OrderID).Amount, "nothing may be charged")
	})

	t.Run("reject and cancel Updates in one task", func(t *testing.T) {
		var rejected, cancelled <-chan error
		id := "ORD-RACE-REJECT-CANCEL"
		res := race(t, patient, id, func(id string) {
			rejected = async(func() error { _, err := patient.Reject(ctx, id, orderflow.Decision{Reason: "no"}); return err })
			cancelled = async(func() error { return patient.Cancel(ctx, id, "changed mind") })
		})
		rejectErr, cancelErr := <-rejected, <-cancelled
		if firstUpdate(t, history(t, ctx, tc, orderflow.WorkflowID(id))) == orderflow.UpdateReject {
			require.NoError(t, rejectErr)
			require.ErrorIs(t, cancelErr, orderflow.ErrTooLateToCancel)
			require.Equal(t, orderflow.StatusRejected, res.Status, res.Message)
		} else {
			require.NoError(t, cancelErr)
			require.ErrorIs(t, rejectErr, orderflow.ErrNotAwaitingApproval)
			require.Equal(t, orderflow.StatusCancelled, res.Status, res.Message)
		}
	})
}

// firstUpdate names the Update that history accepted first.
func firstUpdate(t *testing.T, h *historypb.History) string {
	t.Helper()
	for _, e := range h.Events {
		if a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
			return a.GetAcceptedRequest().GetInput().GetName()
		}
	}
	t.Fatal("no Update was accepted")
	return ""
}

// requireOneTask checks that the decisions of a race met the workflow in
// one workflow task: no workflow task completed between the order's first
// decision event and the task that handled them.
func requireOneTask(t *testing.T, h *historypb.History) {
	t.Helper()
	first, completed := -1, -1
	for i, e := range h.Events {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, enumspb.EVENT_TYPE_TIMER_FIRED:
			if first < 0 {
				first = i
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			if first < 0 {
				first = i - 1 // accepted with the task before it
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			if first >= 0 && completed < 0 {
				completed = i
			}
		}
	}
	require.Positive(t, first, "no decision in history")
	for _, e := range h.Events[first:] {
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			break
		}
		require.NotEqual(t, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, e.GetEventType())
	}
}

// firstOf returns whichever of a and b comes first in h.
func firstOf(h *historypb.History, a, b enumspb.EventType) enumspb.EventType {
	for _, e := range h.Events {
		if t := e.GetEventType(); t == a || t == b {
			return t
		}
	}
	return enumspb.EVENT_TYPE_UNSPECIFIED
}

// record writes a new recording to ORDERFLOW_RECORD_HISTORIES, if set.
func record(t *testing.T, name string, h *historypb.History) {
	t.Helper()
	dir := os.Getenv("ORDERFLOW_RECORD_HISTORIES")
	if dir == "" {
		return
	}
	file := filepath.Join(dir, "history_"+name+".json")
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(file, b, 0o644))
	}
}
