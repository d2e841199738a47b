package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/retry"
	"github.com/orderflow/orderflow/orderflowtest"
)

// approvalTimeout is how long each order may wait for its approval: far
// longer than a run.
const approvalTimeout = time.Hour

// stickyCache is the worker's sticky workflow cache, as examples/worker
// sets it: waiting orders beyond it are evicted and cost nothing.
const stickyCache = 1000

// phaseTimeout bounds each phase (starting, waiting, cancelling), so that a
// stuck run fails rather than hangs.
const phaseTimeout = 30 * time.Minute

// awaitingQuery is the visibility query of the orders awaiting approval, as
// orderflow's listing and CountOrders build it (see docs/production.md): the
// plain ListWorkflow baseline runs the same.
var awaitingQuery = fmt.Sprintf("%s = '%s' AND ExecutionStatus = 'Running'",
	orderflow.SearchAttributeStatus, orderflow.StatusAwaitingApproval)

// runOrders are the orders of one run, in start order.
type runOrders struct {
	prefix string   // of every order ID of the run
	ids    []string // ids[i] is the (i+1)th order launched
	index  map[string]int
	// sent and returned are when each order's Start was sent (its first
	// attempt) and when it returned.
	sent, returned []time.Time
	total          orderflow.Money // of every order
	items          int
}

// newRunOrders names n orders LB-<run>-<n>, n zero-padded so that the IDs
// sort in start order.
func newRunOrders(n int, now time.Time) *runOrders {
	r := &runOrders{
		prefix:   "LB-" + strconv.FormatInt(now.UnixMilli(), 36) + "-",
		ids:      make([]string, n),
		index:    make(map[string]int, n),
		sent:     make([]time.Time, n),
		returned: make([]time.Time, n),
	}
	width := max(6, len(strconv.Itoa(n)))
	for i := range r.ids {
		r.ids[i] = fmt.Sprintf("%s%0*d", r.prefix, width, i+1)
		r.index[r.ids[i]] = i
	}
	o := orderflowtest.LargeOrder(r.prefix)
	r.total, _ = o.Total()
	r.items = len(o.Items)
	return r
}

// waitTracker records the workflows that started their approval timer: the
// orders that wait for their approval. It is a workflow interceptor of the
// worker; recording a workflow ID changes nothing the workflow does.
type waitTracker struct {
	interceptor.WorkerInterceptorBase
	timeout time.Duration
	mu      sync.Mutex
	waiting map[string]bool // by workflow ID
}

func newWaitTracker(timeout time.Duration) *waitTracker {
	return &waitTracker{timeout: timeout, waiting: map[string]bool{}}
}

func (t *waitTracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.waiting)
}

func (t *waitTracker) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &trackerInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, t: t}
}

type trackerInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	t *waitTracker
}

func (i *trackerInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&trackerOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, t: i.t})
}

type trackerOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	t *waitTracker
}

// NewTimerWithOptions records the workflow when the timer is its approval
// timer: one of the approval timeout.
func (o *trackerOutbound) NewTimerWithOptions(ctx workflow.Context, d time.Duration, opts workflow.TimerOptions) workflow.Future {
	if d == o.t.timeout {
		id := o.GetInfo(ctx).WorkflowExecution.ID
		o.t.mu.Lock()
		o.t.waiting[id] = true
		o.t.mu.Unlock()
	}
	return o.Next.NewTimerWithOptions(ctx, d, opts)
}

// newWorker returns orderflow's worker on queue, not yet started, with
// orderflowtest's in-memory providers (no latency) and the tracker.
func newWorker(tc client.Client, queue string, tracker *waitTracker) (worker.Worker, error) {
	acts, _ := orderflowtest.NewActivities()
	worker.SetStickyWorkflowCacheSize(stickyCache) // process-wide: this process runs this worker only
	w := worker.New(tc, queue, worker.Options{Interceptors: []interceptor.WorkerInterceptor{tracker}})
	return w, orderflow.Register(w, acts)
}

// startOrders starts every order of r, concurrency at a time, launching
// them at least spacing apart, and records when each was sent and
// returned.
func startOrders(ctx context.Context, oc *orderflow.Client, r *runOrders, concurrency int, spacing time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, phaseTimeout)
	defer cancel()
	launch := make(chan int)
	go func() {
		defer close(launch)
		next := time.Now()
		for i := range r.ids {
			if d := time.Until(next); d > 0 {
				if retry.Sleep(ctx, d) != nil {
					return
				}
			}
			select {
			case launch <- i:
			case <-ctx.Done():
				return
			}
			next = time.Now().Add(spacing)
		}
	}()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range min(concurrency, len(r.ids)) {
		wg.Go(func() {
			for i := range launch {
				r.sent[i] = time.Now()
				err := retry.Do(ctx, func() error { return oc.Start(ctx, orderflowtest.LargeOrder(r.ids[i])) })
				r.returned[i] = time.Now()
				if err != nil {
					once.Do(func() { first = fmt.Errorf("start order %s: %w", r.ids[i], err); cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// lastReturned is when the last start returned.
func (r *runOrders) lastReturned() time.Time {
	var last time.Time
	for _, t := range r.returned {
		if t.After(last) {
			last = t
		}
	}
	return last
}

// poll calls f every pollInterval until it reports done, and returns when
// it first did; what names the wait, state what f saw last, for the error.
func poll(ctx context.Context, what string, f func() (done bool, state string, err error)) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, phaseTimeout)
	defer cancel()
	for {
		done, state, err := f()
		if err != nil {
			return time.Time{}, fmt.Errorf("%s: %w", what, err)
		}
		if done {
			return time.Now(), nil
		}
		if err := retry.Sleep(ctx, pollInterval); err != nil {
			return time.Time{}, fmt.Errorf("%s: %s: %w", what, state, err)
		}
	}
}

// pollInterval is how often the waits ask: the visibility lag is measured
// to about this.
const pollInterval = 50 * time.Millisecond

// onQueue scopes a visibility query to the run's task queue.
func onQueue(query, queue string) string {
	return fmt.Sprintf("%s AND TaskQueue = '%s'", query, queue)
}

// cancelOrders cancels every order of r that still runs, concurrency at a
// time, and waits until none of queue's workflows runs.
func cancelOrders(ctx context.Context, oc *orderflow.Client, tc client.Client, r *runOrders, queue string, concurrency int) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, phaseTimeout)
	defer cancel()
	var cancelled atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range min(concurrency, len(r.ids)) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(r.ids)) && ctx.Err() == nil; i = next.Add(1) - 1 {
				if r.sent[i].IsZero() {
					continue // never started
				}
				err := retry.Do(ctx, func() error { return oc.Cancel(ctx, r.ids[i], "listbench: benchmark over") })
				switch {
				case err == nil:
					cancelled.Add(1)
				case errors.Is(err, orderflow.ErrTooLateToCancel), errors.Is(err, orderflow.ErrAlreadyCancelled),
					errors.Is(err, orderflow.ErrOrderNotFound):
				default:
					mu.Lock()
					errs = append(errs, fmt.Errorf("cancel order %s: %w", r.ids[i], err))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return int(cancelled.Load()), fmt.Errorf("%d orders not cancelled; the first: %w", len(errs), errs[0])
	}
	_, err := poll(ctx, "wait until the cancelled orders end", func() (bool, string, error) {
		n, err := retry.Count(ctx, tc, fmt.Sprintf("TaskQueue = '%s' AND ExecutionStatus = 'Running'", queue))
		return n == 0, fmt.Sprintf("%d still running", n), err
	})
	return int(cancelled.Load()), err
}
