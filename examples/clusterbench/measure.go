package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/bareport"
	"github.com/orderflow/orderflow/examples/internal/cluster"
	"github.com/orderflow/orderflow/examples/internal/latency"
	"github.com/orderflow/orderflow/examples/internal/retry"
	"github.com/orderflow/orderflow/orderflowtest"
)

// orderTimeout bounds one call and one wait for an order's end, so that a
// stuck order fails the run rather than hangs it.
const orderTimeout = 2 * time.Minute

// The table's CPU columns, in order; the cluster's parts come first.
var cpuColumns = []string{"frontend", "history", "matching", "worker-svc", "postgres", "server", "workers", "client"}

// result is what was measured of one target, mode and worker count.
type result struct {
	target, mode string
	workers      int
	orders       int             // in the throughput measurement
	ordersPerSec float64         // orders / the time until the last call returned
	rates        []float64       // each round's orders/s, in the order of the rounds
	p50, p99     time.Duration   // of the orders run one after another
	lat          []time.Duration // their latencies
	// wall is the throughput measurement's interval, until the last order
	// ended: the interval of cpu.
	wall time.Duration
	// cpu is the CPU time used over wall, by column of cpuColumns; a
	// column is absent when unknown.
	cpu map[string]time.Duration
	// writes is what the database wrote over the throughput measurement,
	// each end read a second later (PostgreSQL reports its statistics
	// late); nil when unknown.
	writes    *cluster.Writes
	completed int    // orders that completed, warm-up included
	note      string // what makes a figure doubtful, if anything
}

// mode is this process's side of one way of running an order.
type mode struct {
	name string
	// call runs the order orderID until the answer the mode measures. It
	// returns, for an order that has not ended yet (checkout), a function
	// that waits for its end and checks that it completed; nil otherwise.
	call func(ctx context.Context, orderID string) (end func(context.Context) error, err error)
}

// newMode returns the mode name on queue, with the client tc.
func newMode(tc client.Client, name, queue string) (*mode, error) {
	if name == "bare" {
		return &mode{name: name, call: func(ctx context.Context, id string) (func(context.Context) error, error) {
			run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: orderflow.WorkflowID(id), TaskQueue: queue},
				bareWorkflowName, orderflowtest.SmallOrder(id))
			if err != nil {
				return nil, err
			}
			var receipts []bareport.Receipt
			if err := run.Get(ctx, &receipts); err != nil {
				return nil, err
			}
			if len(receipts) != len(bareport.Steps) {
				return nil, fmt.Errorf("order %s ended with %d receipts, want %d", id, len(receipts), len(bareport.Steps))
			}
			return nil, nil
		}}, nil
	}
	orders, err := orderflow.NewClient(tc, &orderflow.Options{TaskQueue: queue})
	if err != nil {
		return nil, err
	}
	completed := func(ctx context.Context, id string) error {
		res, err := orders.Result(ctx, id)
		if err == nil && res.Status != orderflow.StatusCompleted {
			err = fmt.Errorf("order %s ended %s: %s", id, res.Status, res.Message)
		}
		return err
	}
	if name == "orderflow" {
		return &mode{name: name, call: func(ctx context.Context, id string) (func(context.Context) error, error) {
			res, err := orders.Execute(ctx, orderflowtest.SmallOrder(id))
			if err == nil && res.Status != orderflow.StatusCompleted {
				err = fmt.Errorf("order %s ended %s: %s", id, res.Status, res.Message)
			}
			return nil, err
		}}, nil
	}
	return &mode{name: name, call: func(ctx context.Context, id string) (func(context.Context) error, error) {
		res, err := orders.Checkout(ctx, orderflowtest.SmallOrder(id))
		if err == nil && !res.Paid() {
			err = fmt.Errorf("order %s: checkout answered %s: %s", id, res.Status, res.Message)
		}
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return completed(ctx, id) }, nil
	}}, nil
}

// measure measures mode with workers worker processes on t, on a task
// queue of its own: warm-up, latency of orders one after another, then
// orders/s and CPU time of cfg.n orders at cfg.concurrency.
func measure(ctx context.Context, t *target, modeName string, workers int, cfg config, runID string) (result, error) {
	r := result{target: t.name, mode: modeName, workers: workers, orders: cfg.n}
	queue := fmt.Sprintf("clusterbench-%s-%s-%s-w%d", runID, t.name, modeName, workers)
	m, err := newMode(t.tc, modeName, queue)
	if err != nil {
		return r, err
	}
	procs, err := startWorkers(ctx, t, workerKind(modeName), queue, workers, cfg.verbose)
	if err != nil {
		return r, err
	}
	defer stopWorkers(procs)

	var seq atomic.Int64
	b := batch{m: m, newID: func() string {
		return fmt.Sprintf("cb-%s-%s-%s-w%d-%d", runID, t.name, modeName, workers, seq.Add(1))
	}}
	if cfg.warmup > 0 {
		if err := b.concurrently(ctx, cfg.warmup, min(cfg.concurrency, cfg.warmup)); err != nil {
			return r, fmt.Errorf("warm-up: %w", err)
		}
		if err := b.ended(ctx, cfg.concurrency, &r.completed); err != nil {
			return r, fmt.Errorf("warm-up: %w", err)
		}
	}

	lat, err := b.serially(ctx, cfg.latencyN)
	if err != nil {
		return r, fmt.Errorf("latency: %w", err)
	}
	if err := b.ended(ctx, cfg.concurrency, &r.completed); err != nil {
		return r, fmt.Errorf("latency: %w", err)
	}
	r.lat = lat
	r.p50, r.p99 = latency.Percentile(lat, 0.50), latency.Percentile(lat, 0.99)

	restarts := 0
	if t.restarts != nil {
		restarts = t.restarts()
	}
	// The database's writes are read a second after the orders before and
	// after the measurement: PostgreSQL reports its statistics late.
	writesBefore, err := takeWrites(ctx, t, time.Second)
	if err != nil {
		return r, err
	}
	before := takeUsage(t, procs)
	if err := b.concurrently(ctx, cfg.n, cfg.concurrency); err != nil {
		return r, fmt.Errorf("throughput: %w", err)
	}
	answered := time.Since(before.at)
	if err := b.ended(ctx, cfg.concurrency, &r.completed); err != nil {
		return r, fmt.Errorf("throughput: %w", err)
	}
	after := takeUsage(t, procs)
	r.ordersPerSec = float64(cfg.n) / answered.Seconds()
	r.rates = []float64{r.ordersPerSec}
	r.wall = after.at.Sub(before.at)
	r.cpu = after.minus(before)
	if writesBefore != nil {
		w, err := takeWrites(ctx, t, time.Second)
		if err != nil {
			return r, err
		}
		r.writes = &cluster.Writes{Transactions: w.Transactions - writesBefore.Transactions,
			Rows: w.Rows - writesBefore.Rows, WAL: w.WAL - writesBefore.WAL}
	}

	if workersRestarted(procs) {
		return r, errWorkerExited
	}
	if t.restarts != nil && t.restarts() != restarts {
		r.note = "a server process died and was started again during the measurement: its CPU figures are wrong"
	}
	return r, nil
}

// batch runs orders of one mode, and keeps the ends to wait for of those
// that have not ended yet.
type batch struct {
	m     *mode
	newID func() string

	mu   sync.Mutex
	ends []func(context.Context) error
	runs int // orders run since the last ended
}

// one runs one order to the mode's answer.
func (b *batch) one(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, orderTimeout)
	defer cancel()
	end, err := b.m.call(ctx, b.newID())
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.runs++
	if end != nil {
		b.ends = append(b.ends, end)
	}
	b.mu.Unlock()
	return nil
}

// serially runs n orders one after another and returns their latencies.
func (b *batch) serially(ctx context.Context, n int) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if err := b.one(ctx); err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(start))
	}
	return lat, nil
}

// concurrently runs n orders with up to c in flight.
func (b *batch) concurrently(ctx context.Context, n, c int) error {
	return each(ctx, n, c, func(ctx context.Context, _ int) error { return b.one(ctx) })
}

// ended waits, with up to c at once, until every order run since the last
// call has ended, checks that each completed, and adds their number to
// completed.
func (b *batch) ended(ctx context.Context, c int, completed *int) error {
	b.mu.Lock()
	ends, runs := b.ends, b.runs
	b.ends, b.runs = nil, 0
	b.mu.Unlock()
	err := each(ctx, len(ends), c, func(ctx context.Context, i int) error {
		ctx, cancel := context.WithTimeout(ctx, orderTimeout)
		defer cancel()
		return ends[i](ctx)
	})
	if err == nil {
		*completed += runs
	}
	return err
}

// each calls do for 0 to n-1 with up to c calls in flight, and returns the
// first error, after which it starts no more calls and cancels those in
// flight.
func each(ctx context.Context, n, c int, do func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(c, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := do(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// usage is the CPU time used so far by every part measured, at a moment.
type usage struct {
	at  time.Time
	cpu map[string]time.Duration // by column of cpuColumns; absent when unknown
}

// takeUsage reads the CPU time of t's server, of the worker processes and
// of this process.
func takeUsage(t *target, procs []*workerProc) usage {
	u := usage{at: time.Now(), cpu: map[string]time.Duration{}}
	if t.serverCPU != nil {
		s := t.serverCPU()
		for col, cpu := range s.parts {
			u.cpu[col] = cpu
		}
		u.cpu["server"] = s.total
	}
	if cpu, ok := workersCPU(procs); ok {
		u.cpu["workers"] = cpu
	}
	if cpu, ok := cluster.CPUTime(os.Getpid()); ok {
		u.cpu["client"] = cpu
	}
	return u
}

// takeWrites reads, after a pause of wait, what t's database has written
// so far: nil when unknown.
func takeWrites(ctx context.Context, t *target, wait time.Duration) (*cluster.Writes, error) {
	if t.writes == nil {
		return nil, nil
	}
	if err := retry.Sleep(ctx, wait); err != nil {
		return nil, err
	}
	w, err := t.writes(ctx)
	if err != nil {
		return nil, err
	}
	return &w, nil
}

// minus returns the CPU time used between from and u, by column known at
// both.
func (u usage) minus(from usage) map[string]time.Duration {
	d := map[string]time.Duration{}
	for col, cpu := range u.cpu {
		if was, ok := from.cpu[col]; ok {
			d[col] = cpu - was
		}
	}
	return d
}

// idleTime is how long a server's CPU use is measured with no orders.
const idleTime = 3 * time.Second

// idleUse is a server's CPU use with no orders and no workers.
type idleUse struct {
	target string
	wall   time.Duration
	cpu    serverCPU
}

// measureIdle measures t's server with no orders, from a second after the
// last (for the work that follows an order's end, such as its visibility
// record), for idleTime. ok is false when the server's CPU is not known.
func measureIdle(ctx context.Context, t *target) (u idleUse, ok bool, err error) {
	if t.serverCPU == nil {
		return u, false, nil
	}
	if err := retry.Sleep(ctx, time.Second); err != nil {
		return u, false, err
	}
	t0, before := time.Now(), t.serverCPU()
	if err := retry.Sleep(ctx, idleTime); err != nil {
		return u, false, err
	}
	after := t.serverCPU()
	u = idleUse{target: t.name, wall: time.Since(t0), cpu: serverCPU{total: after.total - before.total}}
	if after.parts != nil {
		u.cpu.parts = map[string]time.Duration{}
		for col, cpu := range after.parts {
			u.cpu.parts[col] = cpu - before.parts[col]
		}
	}
	return u, true, nil
}

// combine makes one result of the rounds of one combination: the median
// round's orders/s, the percentiles of all rounds' latencies, and the CPU
// time and wall time of all rounds (so figures per 1000 orders cover them
// all).
func combine(rounds []result) result {
	r := rounds[0]
	r.orders, r.wall, r.completed, r.lat, r.cpu, r.rates = 0, 0, 0, nil, maps.Clone(rounds[0].cpu), nil
	if r.writes != nil {
		r.writes = &cluster.Writes{}
	}
	var notes []string
	for i, x := range rounds {
		r.orders += x.orders
		r.wall += x.wall
		r.completed += x.completed
		r.lat = append(r.lat, x.lat...)
		r.rates = append(r.rates, x.ordersPerSec)
		if r.writes != nil && x.writes != nil {
			r.writes.Transactions += x.writes.Transactions
			r.writes.Rows += x.writes.Rows
			r.writes.WAL += x.writes.WAL
		}
		// A column unknown in any round is unknown.
		for col := range r.cpu {
			if d, ok := x.cpu[col]; !ok {
				delete(r.cpu, col)
			} else if i > 0 {
				r.cpu[col] += d
			}
		}
		if x.note != "" && !slices.Contains(notes, x.note) {
			notes = append(notes, x.note)
		}
	}
	rates := slices.Sorted(slices.Values(r.rates))
	r.ordersPerSec = rates[len(rates)/2]
	if len(rates)%2 == 0 {
		r.ordersPerSec = (rates[len(rates)/2-1] + rates[len(rates)/2]) / 2
	}
	r.p50, r.p99 = latency.Percentile(r.lat, 0.50), latency.Percentile(r.lat, 0.99)
	r.note = strings.Join(notes, "; ")
	return r
}
