package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/orderflow/orderflow/examples/internal/latency"
)

// orderTimeout bounds one order, so that a stuck mode fails rather than hangs.
const orderTimeout = time.Minute

// result is what was measured of one mode.
type result struct {
	name          string
	p50, p99      time.Duration // of serial runs
	ordersPerSec  float64       // at the configured concurrency
	events        int           // history events of one completed order
	workflowTasks int           // of which WorkflowTaskCompleted
}

// measureMode starts the mode's worker, warms up, and measures it.
func measureMode(ctx context.Context, m *mode, cfg config) (result, error) {
	tc := m.tc
	w := worker.New(tc, m.queue, worker.Options{})
	if err := m.register(w); err != nil {
		return result{}, err
	}
	if err := w.Start(); err != nil {
		return result{}, err
	}
	defer w.Stop()

	var seq atomic.Int64
	do := func() (string, error) {
		octx, cancel := context.WithTimeout(ctx, orderTimeout)
		defer cancel()
		return m.run(octx, seq.Add(1))
	}
	if _, err := concurrently(cfg.warmup, min(cfg.concurrency, max(cfg.warmup, 1)), do); err != nil {
		return result{}, fmt.Errorf("warm-up: %w", err)
	}
	r := result{name: m.name}
	lat, firstID, err := serially(cfg.n, do)
	if err != nil {
		return result{}, err
	}
	r.p50, r.p99 = latency.Percentile(lat, 0.50), latency.Percentile(lat, 0.99)
	if r.events, r.workflowTasks, err = countEvents(ctx, tc, firstID); err != nil {
		return result{}, fmt.Errorf("history of %s: %w", firstID, err)
	}
	elapsed, err := concurrently(cfg.n, cfg.concurrency, do)
	if err != nil {
		return result{}, err
	}
	r.ordersPerSec = float64(cfg.n) / elapsed.Seconds()
	return r, nil
}

// serially runs do n times, one after another, and returns each latency
// and the workflow ID of the first run.
func serially(n int, do func() (string, error)) ([]time.Duration, string, error) {
	lat := make([]time.Duration, 0, n)
	var first string
	for range n {
		start := time.Now()
		id, err := do()
		if err != nil {
			return nil, "", err
		}
		lat = append(lat, time.Since(start))
		if first == "" {
			first = id
		}
	}
	return lat, first, nil
}

// concurrently runs do n times with up to c calls in flight and returns
// the time it all took; it stops at the first error.
func concurrently(n, c int, do func() (string, error)) (time.Duration, error) {
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	errs := make(chan error, c)
	start := time.Now()
	for range c {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if _, err := do(); err != nil {
					left.Store(0)
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	return elapsed, <-errs // nil when no call failed
}

// countEvents counts the history events of a completed workflow, and among
// them the completed workflow tasks.
func countEvents(ctx context.Context, tc client.Client, workflowID string) (events, workflowTasks int, err error) {
	// A mode may return before its workflow ends (checkout): count it whole.
	if err := tc.GetWorkflow(ctx, workflowID, "").Get(ctx, nil); err != nil {
		return 0, 0, err
	}
	it := tc.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return 0, 0, err
		}
		events++
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			workflowTasks++
		}
	}
	return events, workflowTasks, nil
}

// printTable writes the results, each figure followed by its ratio to the
// noop mode's (blank when noop was not run).
func printTable(w io.Writer, results []result) {
	var floor *result
	for i := range results {
		if results[i].name == "noop" {
			floor = &results[i]
		}
	}
	ratio := func(v, base float64) string {
		if floor == nil || base == 0 {
			return ""
		}
		return fmt.Sprintf("%.2f×", v/base)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tp50\t×noop\tp99\t×noop\torders/s\t×noop\tevents\t×noop\twf tasks\t")
	for _, r := range results {
		var f result
		if floor != nil {
			f = *floor
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%d\t%s\t%d\t\n", r.name,
			latency.MS(r.p50), ratio(float64(r.p50), float64(f.p50)),
			latency.MS(r.p99), ratio(float64(r.p99), float64(f.p99)),
			r.ordersPerSec, ratio(r.ordersPerSec, f.ordersPerSec),
			r.events, ratio(float64(r.events), float64(f.events)), r.workflowTasks)
	}
	tw.Flush()
	printCosts(w, results)
}

// printCosts writes what each "orderflow+…" mode costs over the orderflow
// mode measured in the same run.
func printCosts(w io.Writer, results []result) {
	var base *result
	for i := range results {
		if results[i].name == "orderflow" {
			base = &results[i]
		}
	}
	if base == nil {
		return
	}
	for _, r := range results {
		if !strings.HasPrefix(r.name, "orderflow+") {
			continue
		}
		fmt.Fprintf(w, "%s vs orderflow: p50 %.2f×, p99 %.2f×, orders/s %.2f×\n", r.name,
			float64(r.p50)/float64(base.p50), float64(r.p99)/float64(base.p99), r.ordersPerSec/base.ordersPerSec)
	}
}
