package main

import (
	"context"
	"fmt"
	"sort"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/bareport"
	"github.com/orderflow/orderflow/orderflowtest"
)

// mode is one way of running an order, with its own task queue.
type mode struct {
	name  string
	queue string
	// register puts the mode's workflow and activities on a worker.
	register func(worker.Registry) error
	// run runs the order numbered seq to its end and returns its workflow ID.
	run func(ctx context.Context, seq int64) (workflowID string, err error)
}

// modeMakers builds each mode for a client and a task queue.
var modeMakers = map[string]func(tc client.Client, queue string) (*mode, error){
	"noop":      noopMode,
	"bare":      bareMode,
	"orderflow": orderflowMode,
	"checkout":  checkoutMode,
	"lowlatency": func(tc client.Client, queue string) (*mode, error) {
		return orderflowModeWith(tc, queue, "lowlatency", &orderflow.Options{TaskQueue: queue, LowLatency: true})
	},
	"checkout-lowlatency": func(tc client.Client, queue string) (*mode, error) {
		return checkoutModeWith(tc, queue, "checkout-lowlatency", &orderflow.Options{TaskQueue: queue, LowLatency: true})
	},
}

// modeNames returns the modes in the order they run by default: the floor first.
func modeNames() []string {
	order := map[string]int{"noop": 0, "bare": 1, "orderflow": 2, "lowlatency": 3, "checkout": 4, "checkout-lowlatency": 5}
	names := make([]string, 0, len(modeMakers))
	for name := range modeMakers {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return order[names[i]] < order[names[j]] })
	return names
}

// noopWorkflow returns at once: one workflow task, no activities.
func noopWorkflow(workflow.Context) error { return nil }

// noopMode is the floor: noopWorkflow through the plain SDK client.
func noopMode(tc client.Client, queue string) (*mode, error) {
	return &mode{
		name:  "noop",
		queue: queue,
		register: func(r worker.Registry) error {
			r.RegisterWorkflowWithOptions(noopWorkflow, workflow.RegisterOptions{Name: "BenchNoop"})
			return nil
		},
		run: func(ctx context.Context, seq int64) (string, error) {
			return execute(ctx, tc, queue, fmt.Sprintf("bench-noop-%d", seq), "BenchNoop", nil)
		},
	}, nil
}

// execute starts a workflow with the plain SDK client and waits for its end.
func execute(ctx context.Context, tc client.Client, queue, id, workflowType string, args ...any) (string, error) {
	opts := client.StartWorkflowOptions{ID: id, TaskQueue: queue}
	run, err := tc.ExecuteWorkflow(ctx, opts, workflowType, args...)
	if err != nil {
		return "", err
	}
	return id, run.Get(ctx, nil)
}

// orderflowMode runs orderflowtest.SmallOrder through orderflow's Client
// (Execute), on a worker with orderflow's workflow and in-memory providers.
func orderflowMode(tc client.Client, queue string) (*mode, error) {
	return orderflowModeWith(tc, queue, "orderflow", &orderflow.Options{TaskQueue: queue})
}

// orderflowModeWith is orderflowMode with the Client's options opts.
func orderflowModeWith(tc client.Client, queue, name string, opts *orderflow.Options) (*mode, error) {
	return clientMode(tc, queue, name, opts, func(ctx context.Context, orders *orderflow.Client, id string) error {
		res, err := orders.Execute(ctx, orderflowtest.SmallOrder(id))
		if err == nil && res.Status != orderflow.StatusCompleted {
			err = fmt.Errorf("order %s ended %s: %s", id, res.Status, res.Message)
		}
		return err
	})
}

// clientMode runs one small order per call through call, with a Client of
// options opts, on a worker with orderflow's workflow and in-memory
// providers.
func clientMode(tc client.Client, queue, name string, opts *orderflow.Options,
	call func(ctx context.Context, orders *orderflow.Client, orderID string) error) (*mode, error) {
	orders, err := orderflow.NewClient(tc, opts)
	if err != nil {
		return nil, err
	}
	acts, _ := orderflowtest.NewActivities()
	return &mode{
		name:     name,
		queue:    queue,
		register: func(r worker.Registry) error { return orderflow.Register(r, acts) },
		run: func(ctx context.Context, seq int64) (string, error) {
			id := fmt.Sprintf("bench-%s-%d", name, seq)
			return orderflow.WorkflowID(id), call(ctx, orders, id)
		},
	}, nil
}

// checkoutMode runs orderflowtest.SmallOrder through orderflow's
// Client.Checkout: its latency is the customer's wait at checkout, until the
// payment is taken; the order then goes on in the background.
func checkoutMode(tc client.Client, queue string) (*mode, error) {
	return checkoutModeWith(tc, queue, "checkout", &orderflow.Options{TaskQueue: queue})
}

// checkoutModeWith is checkoutMode with the Client's options opts.
func checkoutModeWith(tc client.Client, queue, name string, opts *orderflow.Options) (*mode, error) {
	return clientMode(tc, queue, name, opts, func(ctx context.Context, orders *orderflow.Client, id string) error {
		res, err := orders.Checkout(ctx, orderflowtest.SmallOrder(id))
		if err == nil && !res.Paid() {
			err = fmt.Errorf("order %s: checkout answered %s: %s", id, res.Status, res.Message)
		}
		return err
	})
}

// bareMode runs bareWorkflow, the Python demo's workflow written directly
// against the SDK, with orderflowtest.SmallOrder as its input.
func bareMode(tc client.Client, queue string) (*mode, error) {
	return &mode{
		name:     "bare",
		queue:    queue,
		register: registerBare,
		run: func(ctx context.Context, seq int64) (string, error) {
			id := fmt.Sprintf("bench-bare-%d", seq)
			return execute(ctx, tc, queue, id, "BenchBareOrder", orderflowtest.SmallOrder(id))
		},
	}, nil
}

// registerBare registers the bare port and its steps.
func registerBare(r worker.Registry) error {
	bareport.Register(r, "BenchBareOrder", "", 0)
	return nil
}
