package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"

	prom "github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/encryption"
	"github.com/orderflow/orderflow/examples/internal/bareport"
	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/embedded"
	"github.com/orderflow/orderflow/examples/internal/telemetry"
	"github.com/orderflow/orderflow/orderflowtest"
)

// mode is one way of running an order, with its own task queue.
type mode struct {
	name  string
	queue string
	// tc is the Temporal client of the mode's worker and calls.
	tc client.Client
	// register puts the mode's workflow and activities on a worker.
	register func(worker.Registry) error
	// run runs the order numbered seq to its end and returns its workflow ID.
	run func(ctx context.Context, seq int64) (workflowID string, err error)
}

// modeMakers builds each mode for a server and a task queue.
var modeMakers = map[string]func(srv *embedded.Server, queue string) (*mode, error){
	"noop":      noopMode,
	"bare":      bareMode,
	"orderflow": orderflowMode,
	"checkout":  checkoutMode,
	"lowlatency": func(srv *embedded.Server, queue string) (*mode, error) {
		return orderflowModeWith(srv.Client, queue, "lowlatency", &orderflow.Options{TaskQueue: queue, LowLatency: true})
	},
	"checkout-lowlatency": func(srv *embedded.Server, queue string) (*mode, error) {
		return checkoutModeWith(srv.Client, queue, "checkout-lowlatency", &orderflow.Options{TaskQueue: queue, LowLatency: true})
	},
	"orderflow+encryption": encryptedMode,
	"orderflow+metrics":    metricsMode,
}

// modeNames returns the modes in the order they run by default: the floor first.
func modeNames() []string {
	order := map[string]int{"noop": 0, "bare": 1, "orderflow": 2, "lowlatency": 3, "checkout": 4, "checkout-lowlatency": 5,
		"orderflow+encryption": 6, "orderflow+metrics": 7}
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
func noopMode(srv *embedded.Server, queue string) (*mode, error) {
	tc := srv.Client
	return &mode{
		name:  "noop",
		queue: queue,
		tc:    tc,
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
func orderflowMode(srv *embedded.Server, queue string) (*mode, error) {
	return orderflowModeWith(srv.Client, queue, "orderflow", &orderflow.Options{TaskQueue: queue})
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
		tc:       tc,
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
func checkoutMode(srv *embedded.Server, queue string) (*mode, error) {
	return checkoutModeWith(srv.Client, queue, "checkout", &orderflow.Options{TaskQueue: queue})
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
func bareMode(srv *embedded.Server, queue string) (*mode, error) {
	tc := srv.Client
	return &mode{
		name:     "bare",
		queue:    queue,
		tc:       tc,
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

// encryptedMode is orderflowMode on a Temporal client whose payloads are
// encrypted (package encryption: AES-256-GCM, failure messages included),
// for its worker and its Client alike.
func encryptedMode(srv *embedded.Server, queue string) (*mode, error) {
	ring, err := encryption.Keys(encryption.Key{ID: "bench", Secret: make([]byte, 32)})
	if err != nil {
		return nil, err
	}
	codec, err := encryption.NewCodec(ring)
	if err != nil {
		return nil, err
	}
	opts := client.Options{HostPort: srv.Address, Namespace: srv.Namespace,
		Logger: conn.NewLogger(os.Stderr, slog.LevelWarn)}
	codec.ClientOptions(&opts)
	tc, err := client.Dial(opts)
	if err != nil {
		return nil, err
	}
	return orderflowModeWith(tc, queue, "orderflow+encryption", &orderflow.Options{TaskQueue: queue, DataConverter: opts.DataConverter})
}

// metricsMode is orderflowMode on a Temporal client whose metrics, the SDK's
// and orderflow's, go to a Prometheus registry (as examples/worker's
// -metrics serves them), for its worker and its Client alike.
func metricsMode(srv *embedded.Server, queue string) (*mode, error) {
	handler, _ := telemetry.NewPrometheusHandler(prom.NewRegistry(), nil)
	tc, err := client.Dial(client.Options{HostPort: srv.Address, Namespace: srv.Namespace,
		Logger: conn.NewLogger(os.Stderr, slog.LevelWarn), MetricsHandler: handler})
	if err != nil {
		return nil, err
	}
	return orderflowModeWith(tc, queue, "orderflow+metrics", &orderflow.Options{TaskQueue: queue, MetricsHandler: handler})
}
