package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
)

var lowLatency = &orderflow.Options{LowLatency: true}

// markers counts the local activity markers and the version markers of a
// history.
func markers(events []*historypb.HistoryEvent) (local, version int) {
	for _, ev := range events {
		switch ev.GetMarkerRecordedEventAttributes().GetMarkerName() {
		case "LocalActivity":
			local++
		case "Version":
			version++
		}
	}
	return local, version
}

// sideEffects counts the SideEffect markers of a history.
func sideEffects(events []*historypb.HistoryEvent) (n int) {
	for _, ev := range events {
		if ev.GetMarkerRecordedEventAttributes().GetMarkerName() == "SideEffect" {
			n++
		}
	}
	return n
}

func TestLowLatencyOrderRunsItsCallsInTheWorkflowTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t, lowLatency, nil)
	id := e.id("1")
	res, err := e.orders.Execute(e.ctx, smallOrder(id))
	if err != nil || res.Status != orderflow.StatusCompleted {
		t.Fatalf("Execute = %+v, %v", res, err)
	}
	if e.charged(id) != smallTotal || len(e.p.Delivery.Shipments()) != 1 {
		t.Fatalf("charged %d, shipments %d; want the total once and one shipment", e.charged(id), len(e.p.Delivery.Shipments()))
	}
	// Payment, inventory and email run in workflow tasks; delivery, which
	// cannot be undone, runs as an activity, after a completed task has
	// recorded the steps before it.
	events := e.history(id)
	local, version := markers(events)
	if scheduled := countEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED); scheduled != 1 || local != 3 {
		t.Fatalf("%d activities scheduled and %d local activity markers; want delivery and the 3 other steps", scheduled, local)
	}
	if version != 0 {
		t.Errorf("a Client-started order records %d version markers; want none", version)
	}
	if n := ownEvents(events); n > 14 {
		t.Errorf("history of %d events (besides retried workflow tasks), want at most 14", n)
	}
}

// cancelDuringReserve cancels the order from inside its inventory call,
// which lasts until the order has taken the cancel: the cancel is taken
// while the call is in flight, however long the worker takes to let it in.
type cancelDuringReserve struct {
	orderflow.InventoryProvider
	e      *env
	cancel chan error
}

func (c cancelDuringReserve) Reserve(ctx context.Context, req orderflow.ReserveRequest) (orderflow.InventoryResult, error) {
	taken := make(chan error, 1)
	go func() { taken <- c.e.orders.Cancel(c.e.ctx, req.OrderID, "changed my mind") }()
	select {
	case err := <-taken:
		c.cancel <- err
	case <-ctx.Done(): // the call timed out first: the test fails on its outcome
		c.cancel <- fmt.Errorf("the cancel was not taken while the call ran: %w", ctx.Err())
	}
	return c.InventoryProvider.Reserve(ctx, req)
}

// A cancel while a local call is in flight takes effect once the call
// returns: what it did is undone, never overtaken. Updates (and queries)
// reach an order between workflow tasks; a local call that lasts holds its
// task open, which the worker heartbeats about every 8 s (80 % of the 10 s
// workflow task timeout): the call here lasts until the cancel is taken,
// at such a heartbeat, while it runs.
func TestLowLatencyCancelWaitsForTheCallInFlight(t *testing.T) {
	t.Parallel()
	e := newEnvWithoutWorker(t, lowLatency, nil)
	cancelled := make(chan error, 1)
	e.acts.Inventory = cancelDuringReserve{e.p.Inventory, e, cancelled}
	e.startWorker()
	id := e.id("1")
	e.mustStart(smallOrder(id))
	if err := <-cancelled; err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	res, _ := e.result(id, orderflow.StatusCancelled)
	assertCompensated(t, e, res, id, orderflow.ActivityReleaseInventory, orderflow.ActivityRefundPayment)
	reservations := e.p.Inventory.Reservations()
	if len(reservations) != 1 || !reservations[0].Released || res.Compensations[0].Reference != reservations[0].ReservationID {
		t.Fatalf("reservations %+v, compensations %+v; want the one that landed, released", reservations, res.Compensations)
	}
	if e.charged(id) != 0 || len(e.p.Delivery.Calls()) != 0 {
		t.Fatalf("held %d after the cancel, delivery calls %d; want nothing held or shipped", e.charged(id), len(e.p.Delivery.Calls()))
	}
}

// A failed order in the low-latency mode undoes what it did, and only that:
// providers answer a key the same way every time, so a lost run of its
// workflow task failed where this one did, and reserved nothing either. The
// refund runs after the failure is recorded, so the order names the real
// failure (out of stock), never a declined card met by a rerun.
func TestLowLatencyFailureIsCompensated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, lowLatency, func(p *orderflowtest.Providers) { p.Inventory.SetStock("MOUSE-001", 0) })
	id := e.id("1")
	e.mustStart(smallOrder(id))
	res, err := e.result(id, orderflow.StatusFailed)
	if !strings.Contains(err.Error(), "out of stock") {
		t.Fatalf("err = %v, want out of stock", err)
	}
	assertCompensated(t, e, res, id, orderflow.ActivityRefundPayment)
	if len(e.p.Inventory.Reservations()) != 0 {
		t.Fatalf("reservations %+v; want none", e.p.Inventory.Reservations())
	}
	if e.charged(id) != 0 {
		t.Fatalf("held %d after the failure; want the charge refunded", e.charged(id))
	}
}

func TestLowLatencyLargeOrderWaitsForItsApprover(t *testing.T) {
	t.Parallel()
	e := newEnv(t, lowLatency, nil)
	id := e.id("1")
	e.mustStart(largeOrder(id))
	e.waitForApproval(id, orderflow.ApprovalPending)
	if e.charged(id) != 0 {
		t.Fatal("charged before the approval")
	}
	if _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Approver: "alice", Reason: "ok"}); err != nil {
		t.Fatal(err)
	}
	res, _ := e.result(id, orderflow.StatusCompleted)
	if res.Approval.Approver != "alice" || e.charged(id) != largeTotal {
		t.Fatalf("approval %+v, held %d", res.Approval, e.charged(id))
	}
	// The payment after the approval runs as an activity, which records
	// the approval before any money moves; the delivery too.
	events := e.history(id)
	if local, _ := markers(events); local != 2 || countEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) != 2 {
		t.Fatalf("%d local activity markers and %d activities; want 2 and 2 (payment and delivery)", local,
			countEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED))
	}
}

// Orders the Client starts name the workflow revision in their settings,
// so they need no version marker and its search attribute upsert.
func TestOrdersStartedByTheClientNeedNoVersionMarker(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	id := e.id("1")
	e.mustStart(smallOrder(id))
	e.result(id, orderflow.StatusCompleted)
	events := e.history(id)
	if _, version := markers(events); version != 0 || countEvents(events, enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) != 0 {
		t.Fatalf("history has %d version markers and %d upserts; want none", version,
			countEvents(events, enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES))
	}
	if ownEvents(events) > 29 || sideEffects(events) != 0 {
		t.Errorf("a small order's history has %d events (besides retried workflow tasks) and %d recorded plans; want at most 29 and none",
			ownEvents(events), sideEffects(events))
	}
}

// An order started without a plan (the Temporal CLI, a raw start) records
// the plan its first execution decides: one event more than the Client's.
func TestOrdersStartedWithoutAPlanRecordIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	id := e.id("1")
	if _, err := e.tc.ExecuteWorkflow(e.ctx, client.StartWorkflowOptions{ID: orderflow.WorkflowID(id),
		TaskQueue: e.taskQueue}, orderflow.WorkflowName, smallOrder(id)); err != nil {
		t.Fatal(err)
	}
	e.result(id, orderflow.StatusCompleted)
	if events := e.history(id); sideEffects(events) != 1 || ownEvents(events) > 30 {
		t.Fatalf("history of %d events (besides retried workflow tasks) with %d recorded plans; want at most 30 and 1", ownEvents(events), sideEffects(events))
	}
}

// ownEvents counts the events of a history less those of workflow tasks
// that timed out and were scheduled again: a busy or slow machine's worker
// misses the sticky queue's 5 s schedule-to-start timeout, or the 10 s task
// timeout, and the server records the task again; the workflow asked for
// none of it.
func ownEvents(events []*historypb.HistoryEvent) int {
	n := len(events)
	for _, ev := range events {
		if a := ev.GetWorkflowTaskTimedOutEventAttributes(); a != nil {
			n -= 2 // the timed-out task's scheduled event, and this one
			if a.GetStartedEventId() != 0 {
				n--
			}
		}
	}
	return n
}
