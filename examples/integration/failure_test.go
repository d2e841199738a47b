package integration

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
)

// These tests check what "Correct under failure" promises on a real server:
// decisions racing each other and the approval timer while no worker runs,
// retried Client calls, delivery whose replies come too late, compensations
// that fail for long, and an order run again after it was compensated.

// stopWorker stops the test's worker; orders then wait, with whatever is
// sent to them, until resumeWorker.
func (e *env) stopWorker() { e.worker.Stop() }

// resumeWorker starts a new worker, with an empty cache, on the test's task
// queue and providers: it replays each order's history, then takes the
// events that arrived while no worker ran, in one workflow task.
func (e *env) resumeWorker() {
	e.t.Helper()
	e.worker = worker.New(e.tc, e.taskQueue, worker.Options{WorkflowPanicPolicy: worker.FailWorkflow})
	e.startWorker()
}

// pendingWithoutWorker starts a large order, waits until it awaits approval
// and stops the worker.
func pendingWithoutWorker(t *testing.T, opts *orderflow.Options) (*env, string) {
	e := newEnv(t, opts, nil)
	id := e.id("1")
	e.mustStart(largeOrder(id))
	e.waitForApproval(id, orderflow.ApprovalPending)
	e.stopWorker()
	return e, id
}

// waitForTimerFired waits until the order's approval timer fired in history.
func (e *env) waitForTimerFired(id string) {
	e.t.Helper()
	e.waitFor("the approval timer to fire", func() (bool, error) {
		return countEvents(e.history(id), enumspb.EVENT_TYPE_TIMER_FIRED) == 1, nil
	})
}

func TestSignalBeforeTimerInOneTaskWins(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	// The signal must be in history before the timer fires, while no worker
	// runs: the worker is stopped and the signal sent within the approval
	// timeout. A machine too slow for that timeout gets the order again
	// with twice the timeout, rather than a failure.
	for attempt, timeout := 1, 2*time.Second; ; attempt, timeout = attempt+1, 2*timeout {
		opts := e.orders.Options()
		opts.ApprovalTimeout = timeout
		orders, err := orderflow.NewClient(e.tc, &opts)
		if err != nil {
			t.Fatal(err)
		}
		id := e.id(fmt.Sprint(attempt))
		if err := orders.Start(e.ctx, largeOrder(id)); err != nil {
			t.Fatal(err)
		}
		e.waitForApproval(id, orderflow.ApprovalPending)
		e.stopWorker()
		if err := e.tc.SignalWorkflow(e.ctx, orderflow.WorkflowID(id), "", orderflow.SignalApprove, "in time"); err != nil {
			t.Fatal(err)
		}
		e.waitForTimerFired(id)
		e.resumeWorker()
		events := e.history(id)
		if firstOf(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, enumspb.EVENT_TYPE_TIMER_FIRED) == enumspb.EVENT_TYPE_TIMER_FIRED {
			t.Logf("the %v approval timer fired before the signal was sent; again with %v", timeout, 2*timeout)
			e.result(id, orderflow.StatusTimedOut)
			continue
		}
		res, _ := e.result(id, orderflow.StatusCompleted)
		if res.Approval.Reason != "in time" {
			t.Errorf("approval %+v, want the signal's", res.Approval)
		}
		return
	}
}

// firstOf returns which of a and b comes first in events, or
// EVENT_TYPE_UNSPECIFIED when neither is there.
func firstOf(events []*historypb.HistoryEvent, a, b enumspb.EventType) enumspb.EventType {
	for _, ev := range events {
		if t := ev.GetEventType(); t == a || t == b {
			return t
		}
	}
	return enumspb.EVENT_TYPE_UNSPECIFIED
}

func TestTimerBeforeSignalInOneTaskWins(t *testing.T) {
	t.Parallel()
	e, id := pendingWithoutWorker(t, &orderflow.Options{ApprovalTimeout: 2 * time.Second})
	e.waitForTimerFired(id)
	if err := e.tc.SignalWorkflow(e.ctx, orderflow.WorkflowID(id), "", orderflow.SignalApprove, "too late"); err != nil {
		t.Fatal(err)
	}
	e.resumeWorker()
	e.result(id, orderflow.StatusTimedOut)
	if n := len(e.p.Payment.Calls()); n != 0 {
		t.Errorf("%d payment calls for a timed-out order", n)
	}
}

// decideConcurrently sends the decisions at once, while no worker runs,
// waits until the server holds them all, resumes the worker, and returns
// each call's error. Each call sends one Update through e.orders.
func decideConcurrently(e *env, id string, calls ...func() error) []error {
	e.t.Helper()
	watch := e.watchUpdates()
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Go(func() { errs[i] = call() })
	}
	if err := watch.AwaitAdmitted(e.ctx, len(calls)); err != nil {
		e.t.Fatal(err)
	}
	e.resumeWorker()
	wg.Wait()
	return errs
}

func TestRejectAndCancelAtOnceOneWins(t *testing.T) {
	t.Parallel()
	for round := range 3 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			t.Parallel()
			e, id := pendingWithoutWorker(t, nil)
			errs := decideConcurrently(e, id,
				func() error { _, err := e.orders.Reject(e.ctx, id, orderflow.Decision{Reason: "fraud"}); return err },
				func() error { return e.orders.Cancel(e.ctx, id, "customer asked") })
			res, _ := e.orders.Result(e.ctx, id)
			switch {
			case errs[0] == nil && errs[1] == nil:
				t.Fatalf("both Reject and Cancel were accepted; the order ended %s", res.Status)
			case errs[0] == nil:
				if !errors.Is(errs[1], orderflow.ErrTooLateToCancel) || res.Status != orderflow.StatusRejected {
					t.Errorf("Reject took; Cancel = %v, order %s; want ErrTooLateToCancel and rejected", errs[1], res.Status)
				}
			case errs[1] == nil:
				if !errors.Is(errs[0], orderflow.ErrNotAwaitingApproval) || res.Status != orderflow.StatusCancelled {
					t.Errorf("Cancel took; Reject = %v, order %s; want ErrNotAwaitingApproval and cancelled", errs[0], res.Status)
				}
			default:
				t.Fatalf("neither took: %v, %v", errs[0], errs[1])
			}
			if e.charged(id) != 0 || len(e.p.Payment.Calls()) != 0 {
				t.Errorf("money moved for an order that never went on")
			}
		})
	}
}

func TestSignalBeforeUpdateInOneTaskWins(t *testing.T) {
	t.Parallel()
	e, id := pendingWithoutWorker(t, nil)
	if err := e.tc.SignalWorkflow(e.ctx, orderflow.WorkflowID(id), "", orderflow.SignalApprove, "by signal"); err != nil {
		t.Fatal(err)
	}
	errs := decideConcurrently(e, id, func() error {
		_, err := e.orders.Reject(e.ctx, id, orderflow.Decision{Reason: "by update"})
		return err
	})
	if !errors.Is(errs[0], orderflow.ErrNotAwaitingApproval) {
		t.Errorf("Reject after an approve signal recorded first = %v; want ErrNotAwaitingApproval", errs[0])
	}
	res, _ := e.result(id, orderflow.StatusCompleted)
	if res.Approval.Reason != "by signal" {
		t.Errorf("approval %+v, want the signal's", res.Approval)
	}
}

func TestRetriedCallsGetTheFirstAnswer(t *testing.T) {
	t.Parallel()
	e, held := newEnvHolding(t, nil, orderflow.StepPayment)
	id := e.id("1")
	e.mustStart(largeOrder(id))
	e.waitForApproval(id, orderflow.ApprovalPending)
	for i := range 2 { // the call, and its retry after a lost reply
		if a, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "High-value customer"}); err != nil || a.Status != orderflow.ApprovalApproved {
			t.Fatalf("Approve #%d = %+v, %v; want the approval", i+1, a, err)
		}
	}
	if _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "a second approver"}); !errors.Is(err, orderflow.ErrNotAwaitingApproval) {
		t.Errorf("Approve with another reason = %v; want ErrNotAwaitingApproval", err)
	}
	if _, err := e.orders.Reject(e.ctx, id, orderflow.Decision{Reason: "High-value customer"}); !errors.Is(err, orderflow.ErrNotAwaitingApproval) {
		t.Errorf("Reject after Approve = %v; want ErrNotAwaitingApproval", err)
	}
	for i := range 2 {
		if err := e.orders.Cancel(e.ctx, id, "customer asked"); err != nil {
			t.Fatalf("Cancel #%d = %v; want success", i+1, err)
		}
	}
	held[0].open()
	e.result(id, orderflow.StatusCancelled)
	// After the order ended, a retry still gets the first answer.
	if a, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "High-value customer"}); err != nil || a.Status != orderflow.ApprovalApproved {
		t.Errorf("Approve retried after the order ended = %+v, %v; want the approval", a, err)
	}
	if err := e.orders.Cancel(e.ctx, id, "customer asked"); err != nil {
		t.Errorf("Cancel retried after the order ended = %v; want success", err)
	}
	if err := e.orders.Cancel(e.ctx, id, "another reason"); !errors.Is(err, orderflow.ErrTooLateToCancel) {
		t.Errorf("a new Cancel after the order ended = %v; want ErrTooLateToCancel", err)
	}
}

func TestOversizedReasonIsRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	id := e.id("1")
	e.mustStart(largeOrder(id))
	e.waitForApproval(id, orderflow.ApprovalPending)
	long := string(make([]byte, orderflow.MaxReasonLength+1))
	if _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: long}); !errors.Is(err, orderflow.ErrInvalidArgument) {
		t.Errorf("Approve with an oversized reason = %v; want ErrInvalidArgument", err)
	}
	// The validator refuses it too, for callers that bypass the Client.
	h, err := e.tc.UpdateWorkflow(e.ctx, client.UpdateWorkflowOptions{WorkflowID: orderflow.WorkflowID(id),
		UpdateName: orderflow.UpdateApprove, Args: []any{long}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(e.ctx, nil)
	}
	if err == nil {
		t.Fatal("the raw Update with an oversized reason was accepted")
	}
	if s, _ := e.orders.ApprovalStatus(e.ctx, id); s != orderflow.ApprovalPending {
		t.Errorf("approval status %q after refused decisions, want pending", s)
	}
	if _, err := e.orders.Reject(e.ctx, id, orderflow.Decision{Reason: "fine"}); err != nil {
		t.Fatal(err)
	}
	e.result(id, orderflow.StatusRejected)
}

// lateReplies books the shipment, then lets the attempt time out before
// answering, for its first n calls: the carrier has the shipment, orderflow
// does not know.
type lateReplies struct {
	orderflow.DeliveryProvider
	n     int32
	calls atomic.Int32
}

func (l *lateReplies) Arrange(ctx context.Context, req orderflow.DeliveryRequest) (orderflow.DeliveryResult, error) {
	res, err := l.DeliveryProvider.Arrange(context.Background(), req)
	if l.calls.Add(1) <= l.n {
		<-ctx.Done()
		return orderflow.DeliveryResult{}, ctx.Err()
	}
	return res, err
}

func TestDeliveryWhoseRepliesComeTooLateIsNotRefunded(t *testing.T) {
	t.Parallel()
	e := newEnvWithoutWorker(t, &orderflow.Options{
		ActivityTimeout: time.Second, Retry: fastRetry()}, nil)
	late := &lateReplies{DeliveryProvider: e.acts.Delivery, n: 4}
	e.acts.Delivery = late
	e.startWorker()
	id := e.id("1")
	e.mustStart(smallOrder(id))

	// While it retries, Client.State shows the attempts and the last error.
	e.waitFor("delivery's second attempt to show", func() (bool, error) {
		st, err := e.orders.State(e.ctx, id)
		if err != nil || st.Current == nil {
			return false, err
		}
		return st.Current.Step == orderflow.StepDelivery && st.Current.Attempt >= 2 && st.Current.LastError != "", nil
	})
	res, _ := e.result(id, orderflow.StatusCompleted)
	if len(res.Compensations) != 0 {
		t.Errorf("compensations %+v for a shipment that exists", res.Compensations)
	}
	if got := late.calls.Load(); got != 5 {
		t.Errorf("%d Arrange calls, want 4 late replies and the answer", got)
	}
	if n := len(e.p.Delivery.Shipments()); n != 1 || e.charged(id) != smallTotal {
		t.Errorf("%d shipments, %d charged; want 1 shipment, paid", n, e.charged(id))
	}
}

// heldRefund holds the nth Refund call at its gate, before the provider
// sees it.
type heldRefund struct {
	orderflow.PaymentProvider
	n     int32
	calls atomic.Int32
	g     *gate
}

func (h *heldRefund) Refund(ctx context.Context, req orderflow.RefundRequest) error {
	if h.calls.Add(1) == h.n {
		if err := h.g.wait(ctx); err != nil {
			return fmt.Errorf("refund held: %w", err)
		}
	}
	return h.PaymentProvider.Refund(ctx, req)
}

func TestRefundRetriesPastTheOldLimit(t *testing.T) {
	t.Parallel()
	e := newEnvWithoutWorker(t, &orderflow.Options{
		Retry: fastRetry(), CompensationRetry: fastRetry()}, func(p *orderflowtest.Providers) {
		p.Inventory.SetStock("MOUSE-001", 0)
		p.Payment.RefundFaults.FailNext(11, nil) // the previous release gave up after 10 attempts
	})
	// The third attempt waits until the test has seen the retries: fast
	// retries would leave it a window sized for one machine.
	third := &heldRefund{PaymentProvider: e.acts.Payment, n: 3,
		g: &gate{step: "refund", entered: make(chan struct{}), opened: make(chan struct{})}}
	t.Cleanup(third.g.open)
	e.acts.Payment = third
	e.startWorker()
	id := e.id("1")
	e.mustStart(smallOrder(id))
	e.waitFor("the refund to be retried", func() (bool, error) {
		st, err := e.orders.State(e.ctx, id)
		if err != nil || st.Current == nil {
			return false, err
		}
		return st.Current.Activity == orderflow.ActivityRefundPayment && st.Current.Attempt >= 2, nil
	})
	third.g.open()
	res, err := e.orders.Result(e.ctx, id)
	if res == nil || res.Status != orderflow.StatusFailed || !errors.Is(err, orderflow.ErrOutOfStock) {
		t.Fatalf("Result = %+v, %v; want failed out of stock", res, err)
	}
	if e.charged(id) != 0 || len(callsOf(e.p.Payment.Calls(), "Refund", id)) != 12 {
		t.Errorf("charged %d after %d refund calls; want the money back on the 12th",
			e.charged(id), len(callsOf(e.p.Payment.Calls(), "Refund", id)))
	}
}

func TestRefusedRefundEndsNeedingAPerson(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(p *orderflowtest.Providers) {
		p.Inventory.SetStock("MOUSE-001", 0)
		p.Payment.RefundFaults.FailNext(1, fmt.Errorf("account closed: %w", orderflow.ErrPermanent))
	})
	id := e.id("1")
	e.mustStart(smallOrder(id))
	res, err := e.orders.Result(e.ctx, id)
	if res == nil || res.Status != orderflow.StatusNeedsAttention || !errors.Is(err, orderflow.ErrNeedsAttention) {
		t.Fatalf("Result = %+v, %v; want needs_attention and ErrNeedsAttention", res, err)
	}
	if len(res.Compensations) != 1 || res.Compensations[0].Error == "" || e.charged(id) != smallTotal {
		t.Errorf("compensations %+v, charged %d; want the refused refund reported and the money still held", res.Compensations, e.charged(id))
	}
}

func TestOrderRunAgainAfterCompensationNeverShipsUnpaid(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(p *orderflowtest.Providers) { p.Inventory.SetStock("MOUSE-001", 0) })
	id := e.id("1")
	e.mustStart(smallOrder(id))
	e.result(id, orderflow.StatusFailed)
	e.p.Inventory.SetStock("MOUSE-001", 100)

	// The CLI's way: a plain start of the same workflow ID, after the first
	// run ended.
	run, err := e.tc.ExecuteWorkflow(e.ctx, client.StartWorkflowOptions{ID: orderflow.WorkflowID(id), TaskQueue: e.taskQueue},
		orderflow.WorkflowName, smallOrder(id))
	if err != nil {
		t.Fatal(err)
	}
	var res orderflow.OrderState
	if err := run.Get(e.ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != orderflow.StatusFailed || res.FailedStep != orderflow.StepPayment {
		t.Errorf("second run ended %s at %s (%s); want failed at payment", res.Status, res.FailedStep, res.Message)
	}
	if n := len(e.p.Delivery.Shipments()); n != 0 || e.charged(id) != 0 {
		t.Errorf("%d shipments with %d charged; an order must never ship unpaid", n, e.charged(id))
	}
}
