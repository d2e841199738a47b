package orderflow

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// DefaultWorkflowCacheSize is the number of workflows that NewWorker lets the
// process keep in memory between their workflow tasks (the SDK's sticky
// workflow cache), unless WorkerOptions.WorkflowCacheSize says otherwise.
//
// An order waiting for approval costs the worker about 60 KB of memory and
// four goroutines (its own and three that keep its decisions in history
// order) while it is cached, so the SDK's own default of 10,000 cached
// workflows would let 10,000 waiting orders hold over 500 MiB. An order
// that is not cached is replayed from its history, five to eight events
// while it waits, when its next task comes: its decision, its timeout, or a
// query. So the cache is best sized to the orders that make progress at
// once, not to those that wait. examples/waitbench measures it: with 10,000
// orders waiting, this default held the worker at 117.6 MiB.
const DefaultWorkflowCacheSize = 1000

// WorkerOptions configure NewWorker. The zero value is the recommended
// setup.
type WorkerOptions struct {
	// TaskQueue is the task queue the worker polls; empty means
	// DefaultTaskQueue. It must be the Client's (Options.TaskQueue).
	TaskQueue string
	// Worker are the SDK's worker options, passed to worker.New as they are.
	Worker worker.Options
	// WorkflowCacheSize sizes the SDK's sticky workflow cache
	// (worker.SetStickyWorkflowCacheSize): zero means
	// DefaultWorkflowCacheSize; a negative value leaves the SDK's setting as
	// the program left it (10,000 unless set).
	//
	// The cache belongs to the process, not to a worker, and the SDK sizes
	// it when a worker is created while no other exists: a size set while
	// another worker exists (created, not yet stopped) applies only once
	// all of them have stopped, and two NewWorker calls with different
	// sizes share the first. A program that sets the cache itself passes -1.
	WorkflowCacheSize int
	// VersioningBehavior is OrderWorkflow's Worker Versioning behaviour,
	// as RegisterOptions.VersioningBehavior: pinned
	// (workflow.VersioningBehaviorPinned) is Temporal's advice for order
	// processing, an order finishing on the code it started on. Zero is
	// unspecified, which a worker with versioning on
	// (Worker.DeploymentOptions.UseVersioning) refuses unless it sets a
	// DefaultVersioningBehavior.
	VersioningBehavior workflow.VersioningBehavior
}

// setStickyWorkflowCacheSize is the SDK's, replaced in tests.
var setStickyWorkflowCacheSize = worker.SetStickyWorkflowCacheSize

// NewWorker creates a worker of c for orderflow's task queue, with the
// workflow and a's activities registered (see Register), and the sticky
// workflow cache sized for orders that wait. Start it with Start or Run.
// opts may be nil.
//
// The cache is the SDK's, shared by every worker of the process: unless
// opts.WorkflowCacheSize is negative, NewWorker calls
// worker.SetStickyWorkflowCacheSize (with DefaultWorkflowCacheSize when it
// is zero), which replaces a size the program set before and applies to
// workers created later with worker.New too.
//
// Low-latency mode (Options.LowLatency): once this worker runs, a Client
// made from the same c, on the same task queue, starts orders on it
// eagerly.
func NewWorker(c client.Client, a *Activities, opts *WorkerOptions) (worker.Worker, error) {
	if c == nil {
		return nil, errors.New("orderflow: new worker: client is nil")
	}
	var o WorkerOptions
	if opts != nil {
		o = *opts
	}
	if o.TaskQueue == "" {
		o.TaskQueue = DefaultTaskQueue
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	switch {
	case o.WorkflowCacheSize == 0:
		setStickyWorkflowCacheSize(DefaultWorkflowCacheSize)
	case o.WorkflowCacheSize > 0:
		setStickyWorkflowCacheSize(o.WorkflowCacheSize)
	}
	w := worker.New(c, o.TaskQueue, o.Worker)
	if err := Register(w, a, RegisterOptions{VersioningBehavior: o.VersioningBehavior}); err != nil {
		return nil, fmt.Errorf("orderflow: new worker: %w", err)
	}
	return w, nil
}
