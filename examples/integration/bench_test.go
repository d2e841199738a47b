package integration

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow"
)

// noopWorkflow is the baseline: one workflow task, no activities.
func noopWorkflow(workflow.Context) error { return nil }

// BenchmarkOrderEndToEnd measures small orders through the typed Client
// (Execute: start, four activities, result) on the embedded server, against
// a baseline measured in the same run: a no-op workflow started and awaited
// through the plain SDK client on the same server. Each mode reports
// orders/s for both; the order sub-benchmark also reports
// order-vs-noop, its throughput as a fraction of the baseline's.
//
//	go test -run '^$' -bench OrderEndToEnd ./examples/integration/
func BenchmarkOrderEndToEnd(b *testing.B) {
	e := newEnv(b, nil, nil)
	// A benchmark may run longer than testTimeout (-benchtime).
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	e.ctx = ctx
	noopQueue := e.taskQueue + "-noop"
	w := worker.New(e.tc, noopQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(noopWorkflow, workflow.RegisterOptions{Name: "Noop"})
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Stop)

	var seq atomic.Int64
	next := func(kind string) string { return fmt.Sprintf("bench-%s-%d", kind, seq.Add(1)) }
	noop := func() error {
		run, err := e.tc.ExecuteWorkflow(e.ctx, client.StartWorkflowOptions{ID: next("noop"), TaskQueue: noopQueue}, "Noop")
		if err == nil {
			err = run.Get(e.ctx, nil)
		}
		return err
	}
	order := func() error {
		res, err := e.orders.Execute(e.ctx, smallOrder(next("order")))
		if err == nil && res.Status != orderflow.StatusCompleted {
			err = fmt.Errorf("order ended %s: %s", res.Status, res.Message)
		}
		return err
	}

	for _, mode := range []struct {
		name        string
		concurrency int // callers in flight; 1 is one after another
	}{{"serial", 1}, {"concurrent-32", 32}} {
		b.Run(mode.name, func(b *testing.B) {
			var baseline float64
			for _, kind := range []struct {
				name string
				do   func() error
			}{{"noop", noop}, {"order", order}} {
				b.Run(kind.name, func(b *testing.B) {
					rate := measure(b, mode.concurrency, kind.do)
					b.ReportMetric(rate, "orders/s")
					if kind.name == "noop" {
						baseline = rate
					} else if baseline > 0 {
						b.ReportMetric(rate/baseline, "order-vs-noop")
					}
				})
			}
		})
	}
}

// measure runs do b.N times with concurrency callers in flight and returns
// the rate of completed calls per second.
func measure(b *testing.B, concurrency int, do func() error) float64 {
	b.Helper()
	var left atomic.Int64
	left.Store(int64(b.N))
	errs := make(chan error, concurrency)
	b.ResetTimer()
	start := time.Now()
	for range concurrency {
		go func() {
			var err error
			for err == nil && left.Add(-1) >= 0 {
				err = do()
			}
			errs <- err
		}()
	}
	for range concurrency {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	return float64(b.N) / elapsed.Seconds()
}
