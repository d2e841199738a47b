package main

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/bareport"
	"github.com/orderflow/orderflow/orderflowtest"
)

// modeNames are the modes, in the order they run by default.
var modeNames = []string{"bare", "orderflow", "lowlatency"}

// workers create each mode's worker in the worker process, with the sticky
// workflow cache at cache workflows, or when 0 at the mode's default: the
// SDK's for the bare port, the 1000 the examples' worker sets for orderflow.
var workers = map[string]func(c client.Client, queue string, cache int) (worker.Worker, error){
	"bare":       newBareWorker,
	"orderflow":  newOrderflowWorker,
	"lowlatency": newOrderflowWorker,
}

// cacheDefaults are the sticky workflow cache sizes of the modes when
// -cache is 0.
var cacheDefaults = map[string]int{
	"bare":       10_000, // the SDK's
	"orderflow":  1000,   // as examples/worker sets it
	"lowlatency": 1000,
}

// approvalTimeout is how long each order may wait for its approval: far
// longer than a run.
const approvalTimeout = time.Hour

// mode is the parent's side of one way of running an order.
type mode struct {
	name  string
	queue string
	// start starts the order with this ID, which then waits for approval.
	start func(ctx context.Context, orderID string) error
	// approve approves the order.
	approve func(ctx context.Context, orderID string) error
	// checkWaiting checks that a waiting order waits for approval.
	checkWaiting func(ctx context.Context, orderID string) error
	// checkDone checks that a completed order completed as approved.
	checkDone func(ctx context.Context, orderID string) error
}

// newMode returns the mode name on its task queue, with the client tc.
func newMode(tc client.Client, name, queue string) (*mode, error) {
	if name == "bare" {
		return bareMode(tc, queue), nil
	}
	opts := &orderflow.Options{TaskQueue: queue, ApprovalTimeout: approvalTimeout, LowLatency: name == "lowlatency"}
	orders, err := orderflow.NewClient(tc, opts)
	if err != nil {
		return nil, err
	}
	return &mode{
		name:  name,
		queue: queue,
		start: func(ctx context.Context, id string) error { return orders.Start(ctx, orderflowtest.LargeOrder(id)) },
		approve: func(ctx context.Context, id string) error {
			_, err := orders.Approve(ctx, id, orderflow.Decision{Reason: "ok"})
			return err
		},
		checkWaiting: func(ctx context.Context, id string) error {
			s, err := orders.ApprovalStatus(ctx, id)
			if err == nil && s != orderflow.ApprovalPending {
				err = fmt.Errorf("order %s: approval status %q, want %q", id, s, orderflow.ApprovalPending)
			}
			return err
		},
		checkDone: func(ctx context.Context, id string) error {
			res, err := orders.Result(ctx, id)
			if err == nil && res.Status != orderflow.StatusCompleted {
				err = fmt.Errorf("order %s ended %s: %s", id, res.Status, res.Message)
			}
			return err
		},
	}, nil
}

// newOrderflowWorker creates orderflow's worker as a user would, with
// orderflowtest's in-memory providers, without simulated latency.
func newOrderflowWorker(c client.Client, queue string, cache int) (worker.Worker, error) {
	acts, _ := orderflowtest.NewActivities()
	worker.SetStickyWorkflowCacheSize(cache) // process-wide: this process runs this worker only
	w := worker.New(c, queue, worker.Options{})
	return w, orderflow.Register(w, acts)
}

// bareWorkflowName is the bare workflow's type, apart from orderflow's.
const bareWorkflowName = "WaitBenchBareOrder"

// bareMode starts bareWorkflow with the plain SDK client and approves by
// the Python demo's signal.
func bareMode(tc client.Client, queue string) *mode {
	return &mode{
		name:  "bare",
		queue: queue,
		start: func(ctx context.Context, id string) error {
			opts := client.StartWorkflowOptions{ID: orderflow.WorkflowID(id), TaskQueue: queue}
			_, err := tc.ExecuteWorkflow(ctx, opts, bareWorkflowName, orderflowtest.LargeOrder(id))
			return err
		},
		approve: func(ctx context.Context, id string) error {
			return tc.SignalWorkflow(ctx, orderflow.WorkflowID(id), "", orderflow.SignalApprove, "ok")
		},
		checkWaiting: func(context.Context, string) error { return nil }, // no query: nothing to ask
		checkDone: func(ctx context.Context, id string) error {
			var res bareport.Result
			err := tc.GetWorkflow(ctx, orderflow.WorkflowID(id), "").Get(ctx, &res)
			if err == nil && (res.Status != "completed" || len(res.Receipts) != len(bareport.Steps)) {
				err = fmt.Errorf("order %s ended %s with %d receipts", id, res.Status, len(res.Receipts))
			}
			return err
		},
	}
}

// newBareWorker creates a plain SDK worker for the bare port's approval
// workflow and its steps.
func newBareWorker(c client.Client, queue string, cache int) (worker.Worker, error) {
	if cache > 0 {
		worker.SetStickyWorkflowCacheSize(cache)
	}
	w := worker.New(c, queue, worker.Options{})
	bareport.Register(w, "", bareWorkflowName, approvalTimeout)
	return w, nil
}
