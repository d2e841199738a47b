// Command listbench proves and times orderflow's listing of orders awaiting
// approval on the PostgreSQL advanced visibility of a production-shaped
// Temporal cluster: many orders waiting at once, listed oldest first, each
// exactly once, through Client.Orders (the iterator) and through
// Client.ListOrders pages, with the first page and a page deep in the list
// timed against plain ListWorkflow calls in the same run.
//
// By default it starts a cluster of its own (examples/internal/cluster:
// PostgreSQL, the pinned Temporal server as five processes, SQL visibility
// on PostgreSQL with the postgres12 plugin, orderflow's search attributes
// registered) and removes it at exit. With -address it runs against an
// existing cluster instead, a user's own say; it registers orderflow's
// search attributes in the namespace (RegisterSearchAttributes, which
// leaves them alone when they are there) and, at the end, cancels the
// orders it started unless -keep is given. -target embedded runs the same
// on the in-process server (SQLite visibility), for comparison.
//
// A run:
//
//  1. starts an orderflow worker in this process on a task queue of the
//     run's own (orderflowtest's in-memory providers, no latency; sticky
//     cache of 1,000 workflows), and starts -orders large orders
//     (orderflowtest.LargeOrder, $1899.97, over the $1000 approval
//     threshold) with Options.Visibility and a 1 h ApprovalTimeout,
//     -concurrency at a time, each start launched at least -spacing after
//     the previous one. Order IDs are LB-<run>-<n>, n in start order, so
//     the run's rows are told from other orders of the namespace. The time
//     each start was sent and returned is recorded;
//  2. waits until each order's workflow has started its approval timer
//     (seen by a workflow interceptor on the worker: the order waits for
//     approval) and until visibility counts every one of them awaiting
//     approval (CountWorkflow with orderflow's status query, scoped to the
//     run's task queue). The lag is from the last start's return;
//  3. checks the listing, once through Client.Orders and once through
//     ListOrders pages of -pagesize with PageToken until it is empty:
//     every one of the run's orders appears exactly once, none is missing,
//     and the listing is oldest first as ListOptions documents it: by start
//     time (the visibility record's StartTime), orders started at the same
//     instant by order ID; that key must strictly increase over all rows,
//     other orders of the namespace included (those are skipped otherwise).
//     Each of the run's rows must say awaiting_approval with an approval
//     deadline and the order's total. And the order must be the start
//     order: no order may be listed before one whose Start returned before
//     its own was sent (on an existing cluster only a warning: its hosts
//     may not share one clock). Any failure fails the run (exit status 1);
//  4. times, -reps times each, alternating, orderflow's call and the plain
//     ListWorkflow call on the query orderflow's listing uses
//     (OrderflowStatus = 'awaiting_approval' AND ExecutionStatus =
//     'Running'), in the server's order (newest first):
//     the count (CountOrders / CountWorkflow), the first page of 50 and of
//     1000, the page of 50 and of 1000 that starts at row 90 % into the
//     listing (its page token reached once, then that page fetched again
//     and again), and every row (Client.Orders / pages of 1000 and pages of
//     200 until the last);
//  5. with -address, cancels every order it started (Client.Cancel: they
//     end cancelled, nothing charged) and waits until none runs, unless
//     -keep. Its own cluster, or the embedded server, is removed instead.
//
// Usage, from the repository root:
//
//	go run ./examples/listbench [-orders 10000] [-concurrency 32] [-pagesize 100] [-reps 5]
//	go run ./examples/listbench -address host:port [-namespace ns] [-keep] ...
//	go run ./examples/listbench -target embedded ...
//
// Flags:
//
//	-orders n        orders to start and list (default 10000)
//	-concurrency n   starts (and cancels) in flight at once (default 32)
//	-spacing d       least time between two starts' launches (default 1ms)
//	-pagesize n      page size of the paged check (default 100; 1 to 1000)
//	-reps n          repetitions of each timed call (default 5)
//	-target t        cluster (default: a cluster of its own) or embedded
//	-address h:p     an existing cluster's frontend instead (with the
//	                 Temporal environment configuration: TLS, API key)
//	-namespace ns    the namespace (default $TEMPORAL_NAMESPACE, else
//	                 "default"); with a cluster of its own, the one it
//	                 registers
//	-keep            leave the orders waiting on an existing cluster
//	-keys k          encryption keys (default $ORDERFLOW_ENCRYPTION_KEYS)
//	-v               the Temporal SDK's logs at DEBUG level
//
// The report's figures:
//
//	started      time to start every order, and starts per second
//	waiting      from the last start's return until every order's workflow
//	             waits for its approval (its approval timer started)
//	visibility   from the last start's return until visibility counts every
//	             order awaiting approval: the store's lag
//	checks       PASS or FAIL per check, with the time the listing took
//	             and the visibility calls orderflow made for it (counts and
//	             lists, and the time spent in each). Lines under it say how
//	             many rows share a start time, how often concurrent starts
//	             are listed out of launch order (allowed: they raced), and
//	             how the approval deadlines run down the listing: the
//	             Client sets one at start, and the workflow moves it to its
//	             first workflow task's time + the timeout when the two
//	             differ by more than a second, so a worker that lags puts later
//	             deadlines on older orders; the row of the order closest to
//	             timing out is named when it is not the first
//	timing       the median of -reps calls and their range, for orderflow
//	             and for plain ListWorkflow, orderflow / plain, and the mean
//	             visibility calls of one orderflow call; reaching the deep
//	             page's token is timed once. The machine's load average
//	             around the timing is printed where /proc has it
//
// The cluster and this program share the machine's cores: the figures are
// as measured there. A first run on a machine builds the Temporal server
// (about 5 minutes on 2 cores). Without -address, TEMPORAL_ADDRESS is not
// used: a run against an existing cluster must be asked for by flag.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/orderflow/orderflow/examples/internal/conn"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, stop, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listbench:", err)
		os.Exit(1)
	}
	if !rep.passed() {
		fmt.Fprintln(os.Stderr, "listbench: the listing failed a check (see FAIL above)")
		os.Exit(1)
	}
}

// config is what the flags ask for.
type config struct {
	orders      int
	concurrency int
	spacing     time.Duration
	pageSize    int
	reps        int
	target      string // targetCluster, targetEmbedded or targetAddress
	keep        bool
	conn        conn.Flags
}

// The targets.
const (
	targetCluster  = "cluster"  // a cluster of the run's own
	targetEmbedded = "embedded" // the in-process server
	targetAddress  = "address"  // an existing cluster, by -address
)

// parseFlags reads args into a config and checks it.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("listbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.IntVar(&cfg.orders, "orders", 10000, "orders to start and list")
	fs.IntVar(&cfg.concurrency, "concurrency", 32, "starts (and cancels) in flight at once")
	fs.DurationVar(&cfg.spacing, "spacing", time.Millisecond, "least time between two starts' launches")
	fs.IntVar(&cfg.pageSize, "pagesize", 100, "page size of the paged check (1 to 1000)")
	fs.IntVar(&cfg.reps, "reps", 5, "repetitions of each timed call")
	fs.StringVar(&cfg.target, "target", targetCluster, "cluster (a cluster of the run's own) or embedded (the in-process server); -address names an existing cluster")
	fs.BoolVar(&cfg.keep, "keep", false, "leave the orders waiting on an existing cluster (-address) rather than cancel them")
	cfg.conn.Register(fs)
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	targetSet := false
	fs.Visit(func(f *flag.Flag) { targetSet = targetSet || f.Name == "target" })
	switch {
	case cfg.orders < 1:
		return cfg, fmt.Errorf("-orders %d: want at least 1", cfg.orders)
	case cfg.concurrency < 1:
		return cfg, fmt.Errorf("-concurrency %d: want at least 1", cfg.concurrency)
	case cfg.spacing < 0:
		return cfg, fmt.Errorf("-spacing %v: want 0 or more", cfg.spacing)
	case cfg.pageSize < 1 || cfg.pageSize > 1000:
		return cfg, fmt.Errorf("-pagesize %d: want 1 to 1000", cfg.pageSize)
	case cfg.reps < 1:
		return cfg, fmt.Errorf("-reps %d: want at least 1", cfg.reps)
	case cfg.target != targetCluster && cfg.target != targetEmbedded:
		return cfg, fmt.Errorf("-target %q: want %s or %s", cfg.target, targetCluster, targetEmbedded)
	case cfg.conn.Address != "" && targetSet:
		return cfg, errors.New("-address and -target exclude each other: -address runs against that cluster")
	case cfg.keep && cfg.conn.Address == "":
		return cfg, errors.New("-keep is for an existing cluster (-address): a cluster of the run's own is removed at exit")
	}
	if cfg.conn.Address != "" {
		cfg.target = targetAddress
	}
	return cfg, nil
}

// run runs the benchmark the flags describe, writing the report to out and
// progress to stderr, and returns the report; an error means it could not
// run to its end. stopSignals, if not nil, restores the default handling of
// interrupts, so that a second one kills the program while it cleans up.
func run(ctx context.Context, stopSignals func(), args []string, out, stderr io.Writer) (*report, error) {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, out: out, stderr: stderr, stopSignals: stopSignals, rep: &report{}}
	err = b.run(ctx)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("interrupted: %w", err)
	}
	if err == nil {
		if b.rep.passed() {
			fmt.Fprintf(out, "\nresult      PASS: every check passed\n")
		} else {
			fmt.Fprintf(out, "\nresult      FAIL: see the FAIL lines above\n")
		}
	}
	return b.rep, err
}
