package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/retry"
)

// phaseTimeout bounds each phase of a mode (starting, waiting, approving),
// so that a stuck mode fails rather than hangs.
const phaseTimeout = 15 * time.Minute

// pollInterval is how often the server and the worker's RSS are sampled.
const pollInterval = 250 * time.Millisecond

// result is what was measured of one mode.
type result struct {
	name           string
	orders, cache  int
	rssIdle        int64 // bytes; -1 when unknown
	rssWaiting     int64 // bytes; -1 when unknown
	idle, waiting  workerStats
	startAll       time.Duration // to start every order
	toWaiting      time.Duration // from the last start until every order waits
	approveAll     time.Duration // from the first approval to the last close
	approvesPerSec float64
}

// measureMode runs one mode on its own task queue and worker process.
func measureMode(ctx context.Context, srv *server, name string, cfg config, out io.Writer) (result, error) {
	queue := "waitbench-" + name
	m, err := newMode(srv.client, name, queue)
	if err != nil {
		return result{}, err
	}
	w, err := startWorker(ctx, srv.address, name, queue, cfg)
	if err != nil {
		return result{}, err
	}
	defer w.stop()
	r := result{name: name, orders: cfg.orders, cache: cfg.cache}
	if r.cache == 0 {
		r.cache = cacheDefaults[name]
	}
	if r.rssIdle, err = settledRSS(ctx, w, cfg.settle); err != nil {
		return r, err
	}
	if r.idle, err = w.stats(ctx, true); err != nil {
		return r, err
	}
	ids := make([]string, cfg.orders)
	for i := range ids {
		ids[i] = fmt.Sprintf("wb-%s-%06d", name, i+1)
	}
	if err := startAndWait(ctx, srv.client, m, w, ids, cfg, &r); err != nil {
		return r, err
	}
	fmt.Fprintf(out, "%s: %d orders started in %v, all waiting %v later; worker RSS %s idle, %s waiting (live heap %s, goroutine stacks %s, from the OS %s)\n",
		name, len(ids), round(r.startAll), round(r.toWaiting), mib(r.rssIdle), mib(r.rssWaiting),
		mib(int64(r.waiting.HeapAlloc)), mib(int64(r.waiting.StackInuse)), mib(int64(r.waiting.Sys)))
	if err := approveAll(ctx, srv.client, m, ids, cfg.concurrency, &r); err != nil {
		return r, err
	}
	fmt.Fprintf(out, "%s: all approved and completed in %v (%.1f orders/s)\n", name, round(r.approveAll), r.approvesPerSec)
	return r, nil
}

// startAndWait starts every order, waits until all wait for approval, and
// measures the worker then.
func startAndWait(ctx context.Context, tc client.Client, m *mode, w *workerProc, ids []string, cfg config, r *result) error {
	began := time.Now()
	if err := concurrently(ctx, ids, cfg.concurrency, m.start); err != nil {
		return fmt.Errorf("start orders: %w", err)
	}
	r.startAll = time.Since(began)
	began = time.Now()
	progress := io.Discard
	if cfg.verbose {
		progress = os.Stderr
	}
	if err := awaitWaiting(ctx, tc, m.queue, ids, cfg.concurrency, progress); err != nil {
		return err
	}
	r.toWaiting = time.Since(began)
	var err error
	if r.rssWaiting, err = settledRSS(ctx, w, cfg.settle); err != nil {
		return err
	}
	if r.waiting, err = w.stats(ctx, true); err != nil {
		return err
	}
	if cfg.heapDir != "" {
		path := filepath.Join(cfg.heapDir, "waitbench-"+m.name+".heap.pb.gz")
		if err := w.writeHeapProfile(ctx, path); err != nil {
			return err
		}
	}
	// After the measurement: a query may need the worker to replay.
	return m.checkWaiting(ctx, ids[len(ids)-1])
}

// awaitWaiting waits until every order's workflow has completed its first
// workflow task and has none pending: the worker has run it up to its wait
// for approval. The server tells, so the worker is not disturbed: first
// the workflow task queue's backlog (one call), then each workflow's
// description, in passes over those not yet waiting.
func awaitWaiting(ctx context.Context, tc client.Client, queue string, ids []string, c int, progress io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, phaseTimeout)
	defer cancel()
	if err := awaitNoBacklog(ctx, tc, queue); err != nil {
		return err
	}
	for pending := ids; ; {
		var mu sync.Mutex
		var notYet []string
		err := concurrently(ctx, pending, min(c, describeConcurrency), func(ctx context.Context, id string) error {
			waiting, err := isWaiting(ctx, tc, id)
			if err == nil && !waiting {
				mu.Lock()
				notYet = append(notYet, id)
				mu.Unlock()
			}
			return err
		})
		if err != nil || len(notYet) == 0 {
			return err
		}
		fmt.Fprintf(progress, "%d of %d orders not yet waiting for approval\n", len(notYet), len(ids))
		pending = notYet
		if err := retry.Sleep(ctx, time.Second); err != nil {
			return fmt.Errorf("%d orders not yet waiting for approval: %w", len(pending), err)
		}
	}
}

// describeConcurrency caps the descriptions in flight, so that checking
// does not crowd out the work it checks.
const describeConcurrency = 8

// isWaiting reports whether the order's workflow runs with no workflow
// task pending, after its first.
func isWaiting(ctx context.Context, tc client.Client, id string) (bool, error) {
	var waiting bool
	err := retry.Do(ctx, func() error {
		d, err := tc.DescribeWorkflowExecution(ctx, orderflow.WorkflowID(id), "")
		if err != nil {
			return err
		}
		if st := d.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return retry.Permanent(fmt.Errorf("%v, not waiting for approval", st))
		}
		waiting = d.GetPendingWorkflowTask() == nil && d.GetWorkflowExecutionInfo().GetHistoryLength() > 3
		return nil
	})
	return waiting, err
}

// awaitNoBacklog waits until the workflow task queue's backlog is empty
// (the server's approximate count).
func awaitNoBacklog(ctx context.Context, tc client.Client, queue string) error {
	req := &workflowservice.DescribeTaskQueueRequest{
		Namespace:     client.DefaultNamespace,
		TaskQueue:     &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		TaskQueueType: enumspb.TASK_QUEUE_TYPE_WORKFLOW,
		ReportStats:   true,
	}
	for {
		var backlog int64
		err := retry.Do(ctx, func() error {
			resp, err := tc.WorkflowService().DescribeTaskQueue(ctx, req)
			backlog = resp.GetStats().GetApproximateBacklogCount()
			return err
		})
		if err != nil || backlog == 0 {
			return err
		}
		if err := retry.Sleep(ctx, time.Second); err != nil {
			return fmt.Errorf("%d workflow tasks in the backlog: %w", backlog, err)
		}
	}
}

// settledRSS waits until the worker's RSS has held still for settle
// (within 1 MiB or 0.5 %, whichever is more) and returns it; -1 where RSS
// cannot be read. If it never settles within ten times settle plus 30 s,
// it returns the last sample.
func settledRSS(ctx context.Context, w *workerProc, settle time.Duration) (int64, error) {
	type sample struct {
		at  time.Time
		rss int64
	}
	var window []sample
	deadline := time.Now().Add(10*settle + 30*time.Second)
	for {
		now := time.Now()
		s := sample{now, w.rss()}
		if s.rss < 0 {
			return -1, retry.Sleep(ctx, settle)
		}
		window = append(window, s)
		for len(window) > 1 && now.Sub(window[1].at) >= settle {
			window = window[1:]
		}
		lo, hi := s.rss, s.rss
		for _, x := range window {
			lo, hi = min(lo, x.rss), max(hi, x.rss)
		}
		if (now.Sub(window[0].at) >= settle && hi-lo <= max(1<<20, hi/200)) || now.After(deadline) {
			return s.rss, nil
		}
		if err := retry.Sleep(ctx, pollInterval); err != nil {
			return -1, err
		}
	}
}

// approveAll approves every order and waits until all have completed; it
// measures from the first approval to the last order's close time.
func approveAll(ctx context.Context, tc client.Client, m *mode, ids []string, c int, r *result) error {
	ctx, cancel := context.WithTimeout(ctx, phaseTimeout)
	defer cancel()
	began := time.Now()
	approve := func(ctx context.Context, id string) error {
		return retry.Do(ctx, func() error { return m.approve(ctx, id) })
	}
	if err := concurrently(ctx, ids, c, approve); err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	last, err := awaitClosed(ctx, tc, m.queue, len(ids), began)
	if err != nil {
		return err
	}
	r.approveAll = last.Sub(began)
	r.approvesPerSec = float64(len(ids)) / r.approveAll.Seconds()
	if err := m.checkDone(ctx, ids[0]); err != nil {
		return err
	}
	return m.checkDone(ctx, ids[len(ids)-1])
}

// awaitClosed waits until no workflow on queue runs, checks that all n
// completed, and returns the latest close time among them (visibility
// counts only: listing is slow on SQLite).
func awaitClosed(ctx context.Context, tc client.Client, queue string, n int, since time.Time) (time.Time, error) {
	onQueue := fmt.Sprintf("TaskQueue = '%s'", queue)
	for {
		running, err := retry.Count(ctx, tc, onQueue+" AND ExecutionStatus = 'Running'")
		if err != nil {
			return time.Time{}, err
		}
		if running == 0 {
			break
		}
		if err := retry.Sleep(ctx, pollInterval); err != nil {
			return time.Time{}, fmt.Errorf("%d orders still running: %w", running, err)
		}
	}
	done, err := retry.Count(ctx, tc, onQueue+" AND ExecutionStatus = 'Completed'")
	if err != nil {
		return time.Time{}, err
	}
	if done != int64(n) {
		return time.Time{}, fmt.Errorf("%d of %d orders completed (see the others' status in their histories)", done, n)
	}
	return lastClose(ctx, tc, onQueue, since, time.Now().Add(time.Second))
}

// lastClose returns the latest close time of the workflows that query
// matches, which lies in (lo, hi], to the millisecond: a binary search by
// counting those that closed later than a time.
func lastClose(ctx context.Context, tc client.Client, query string, lo, hi time.Time) (time.Time, error) {
	for hi.Sub(lo) > time.Millisecond {
		mid := lo.Add(hi.Sub(lo) / 2)
		later, err := retry.Count(ctx, tc, fmt.Sprintf("%s AND CloseTime > '%s'", query, mid.UTC().Format(time.RFC3339Nano)))
		if err != nil {
			return time.Time{}, err
		}
		if later > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil
}

// concurrently calls do for every ID, with up to c calls in flight; it
// stops at the first error and returns it.
func concurrently(ctx context.Context, ids []string, c int, do func(context.Context, string) error) error {
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, c)
	for range min(c, len(ids)) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(ids)) && !failed.Load(); i = next.Add(1) - 1 {
				if err := do(ctx, ids[i]); err != nil {
					failed.Store(true)
					errs <- fmt.Errorf("order %s: %w", ids[i], err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return errors.Join(<-errs, ctx.Err())
}
