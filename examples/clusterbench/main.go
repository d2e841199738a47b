// Command clusterbench measures orderflow on a production-shaped Temporal
// cluster, against the bare SDK port of the Python demo's workflow on the
// same cluster and against a single-process Temporal server, with 1, 2 and
// 3 worker processes, and reports where the CPU time goes. Every figure it
// compares is measured in the same run.
//
// The targets, measured one after the other (a server this program started
// is stopped before the next starts, so that they do not share the cores):
//
//	cluster  package cluster's cluster: PostgreSQL and the pinned Temporal
//	         server as five processes (frontend, two history, matching,
//	         worker service), 16 history shards, SQL visibility; or, with
//	         -address, a cluster that already runs (then there are no server
//	         CPU figures: its processes are not this program's)
//	single   the devserver program (examples/devserver) as one child
//	         process: the whole server in one process on SQLite in memory,
//	         one history shard
//
// The modes, each run by worker processes of its own:
//
//	bare       the bare-SDK port of the Python demo's workflow (package
//	           bareport: four no-op activities in sequence, with orderflow's
//	           default activity options), started and awaited with the plain
//	           SDK client (ExecuteWorkflow + Get)
//	orderflow  orderflow.Client.Execute of orderflowtest.SmallOrder, on
//	           workers running orderflow.Register with orderflowtest's
//	           in-memory providers, without simulated latency
//	checkout   orderflow.Client.Checkout of the same order: the call returns
//	           once the payment is taken; the order goes on in the background
//
// The workers are separate processes: this program started again with
// CLUSTERBENCH_WORKER set, each with one SDK worker (default options) on the
// task queue of one target, mode and worker count; this process is the
// client only. On each target it runs -rounds rounds; in each, every worker
// count of -workers and every mode takes its turn, in an order reversed
// every other round, so that a steady drift of the machine's speed, or of
// the server's as its database grows, reaches them alike over two rounds
// (hence an even -rounds). A turn, on a fresh task queue, starts the worker
// processes and waits until they poll, runs -warmup orders, then -latency-n
// orders one after another, then -n orders with -concurrency callers, and
// stops the workers. A mode's orders/s is its median round's; its p50 and
// p99 are of all its rounds' latencies; its CPU figures cover all its
// rounds. Every order must complete: the first that fails ends the run
// with an error, and so does a worker process that dies. Order IDs are new
// in every run, so that a run against an existing cluster never attaches to
// an earlier run's orders.
//
// The table's figures, per target, mode and worker count:
//
//	orders/s     the median round's -n orders over the time from the first
//	             call to the last answer: for bare and orderflow the orders'
//	             ends, for checkout the checkouts' answers
//	×bare        orders/s as a ratio to the bare mode's on the same target
//	             with the same number of workers
//	p50, p99     latency of the rounds' -latency-n orders run one after
//	             another: until the order ended (bare, orderflow) or was paid
//	             (checkout)
//	cores        CPU time of everything measured below over the wall time of
//	             the -n orders: how many of the machine's cores they kept busy
//	CPU s per 1000 orders, over the same interval (for checkout, until the
//	last order ended), from /proc:
//	  frontend, history (both processes), matching, worker-svc (the Temporal
//	             worker service), postgres (the postmaster and its backends):
//	             the cluster's processes (package cluster's Usage)
//	  server     the whole server: the five processes and PostgreSQL on the
//	             cluster, the devserver process on the single target
//	  workers    the worker processes together
//	  client     this process, which starts and awaits the orders
//
// Below the table, each server's CPU use with no orders (over 3 s, from a
// second after the last orders), in cores: the fixed cost that the figures
// per 1000 orders carry a share of.
//
// Then it prints ratio lines: orderflow (and checkout) vs bare per target
// and worker count; orders/s with each worker count vs the fewest; cluster
// vs single-process server per mode and worker count; and orderflow's goals
// on the cluster, as met or NOT met: orderflow's orders/s ≥ 1.0× the bare
// port's at every worker count, and adding workers never lowering orders/s.
// Throughput at these sizes moves by several percent between runs: compare
// ratios from one run, and read a ratio within a few percent of 1.0 as
// noise.
//
// Usage, from the repository root:
//
//	go run ./examples/clusterbench [-rounds 4] [-n 100] [-concurrency 32] [-latency-n 20] [-warmup 10]
//	    [-workers 1,2,3] [-modes bare,orderflow,checkout] [-targets cluster,single]
//	    [-address host:port [-namespace ns]] [-v]
//
// The first run builds the Temporal server and the devserver into the
// user's cache directory (about 5 minutes on 2 cores); later runs start the
// cluster in about 10 seconds. PostgreSQL must be installed for the cluster
// target (on Debian: apt-get install postgresql). -v shows the SDK's
// warnings of this process and its workers, and the devserver's log.
// Ctrl-C stops the workers and servers and removes what the run made.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orderflow/orderflow/examples/internal/latency"
)

func main() {
	if isWorkerProcess() {
		if err := runWorker(); err != nil {
			fmt.Fprintln(os.Stderr, "clusterbench worker:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	_, err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "clusterbench:", err)
		os.Exit(1)
	}
}

// The names of the targets and modes, in their default order.
var (
	targetNames = []string{"cluster", "single"}
	modeNames   = []string{"bare", "orderflow", "checkout"}
)

// config is what the flags ask for.
type config struct {
	n           int      // orders per throughput measurement
	concurrency int      // callers in flight for orders/s
	latencyN    int      // orders run one after another for p50 and p99
	warmup      int      // orders per combination before measuring
	rounds      int      // measurements of each combination, modes interleaved
	workers     []int    // worker process counts, ascending
	modes       []string // in the order they run
	targets     []string // in the order they run
	address     string   // an existing cluster's frontend; empty: start one
	namespace   string   // its namespace, or the one to register
	verbose     bool     // show the SDK's warnings
}

// parseFlags reads args into a config and checks it.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("clusterbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	var workers, modes, targets string
	fs.IntVar(&cfg.n, "n", 100, "orders per throughput measurement (per round)")
	fs.IntVar(&cfg.concurrency, "concurrency", 32, "callers in flight for orders/s")
	fs.IntVar(&cfg.latencyN, "latency-n", 20, "orders run one after another for p50 and p99 (per round)")
	fs.IntVar(&cfg.rounds, "rounds", 4, "rounds, each measuring every worker count and mode, in an order reversed every other round")
	fs.IntVar(&cfg.warmup, "warmup", 10, "orders per target, mode, worker count and round before measuring")
	fs.StringVar(&workers, "workers", "1,2,3", "comma-separated counts of worker processes")
	fs.StringVar(&modes, "modes", strings.Join(modeNames, ","), "comma-separated modes, of "+strings.Join(modeNames, ", "))
	fs.StringVar(&targets, "targets", strings.Join(targetNames, ","), "comma-separated targets, of "+strings.Join(targetNames, ", "))
	fs.StringVar(&cfg.address, "address", "", "host:port of a running cluster's frontend to measure as the cluster target, instead of starting one")
	fs.StringVar(&cfg.namespace, "namespace", "default", "the cluster's namespace (with -address), or the one to register")
	fs.BoolVar(&cfg.verbose, "v", false, "show the Temporal SDK's warnings, of this process and of its workers")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case cfg.n < 1:
		return config{}, fmt.Errorf("-n %d: want at least 1", cfg.n)
	case cfg.concurrency < 1:
		return config{}, fmt.Errorf("-concurrency %d: want at least 1", cfg.concurrency)
	case cfg.latencyN < 1:
		return config{}, fmt.Errorf("-latency-n %d: want at least 1", cfg.latencyN)
	case cfg.rounds < 1:
		return config{}, fmt.Errorf("-rounds %d: want at least 1", cfg.rounds)
	case cfg.warmup < 0:
		return config{}, fmt.Errorf("-warmup %d: want 0 or more", cfg.warmup)
	case cfg.namespace == "":
		return config{}, errors.New("-namespace must not be empty")
	}
	for _, s := range strings.Split(workers, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || w < 1 {
			return config{}, fmt.Errorf("-workers: %q is not a positive count", s)
		}
		if slices.Contains(cfg.workers, w) {
			return config{}, fmt.Errorf("-workers: %d given twice", w)
		}
		cfg.workers = append(cfg.workers, w)
	}
	slices.Sort(cfg.workers)
	var err error
	if cfg.modes, err = names("-modes", modes, modeNames); err != nil {
		return config{}, err
	}
	if cfg.targets, err = names("-targets", targets, targetNames); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// names splits the comma-separated list of flag into names, each one of
// known and none twice.
func names(flag, list string, known []string) ([]string, error) {
	var out []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		switch {
		case !slices.Contains(known, name):
			return nil, fmt.Errorf("%s: unknown %q (want some of %s)", flag, name, strings.Join(known, ", "))
		case slices.Contains(out, name):
			return nil, fmt.Errorf("%s: %q given twice", flag, name)
		}
		out = append(out, name)
	}
	return out, nil
}

// run measures every target, worker count and mode the flags name, prints
// the table and the ratios to out, and returns the results. It stops what
// it started before it returns, also when ctx ends (Ctrl-C).
func run(ctx context.Context, args []string, out io.Writer) ([]result, error) {
	cfg, err := parseFlags(args, os.Stderr)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	runID := strconv.FormatInt(time.Now().UnixMilli(), 36)
	fmt.Fprintf(out, "clusterbench: %d rounds of n=%d per measurement, concurrency %d, latency-n %d, warm-up %d, workers %s, %d CPUs\n",
		cfg.rounds, cfg.n, cfg.concurrency, cfg.latencyN, cfg.warmup, joinInts(cfg.workers), runtime.NumCPU())
	var results []result
	var idle []idleUse
	completed := 0
	for _, name := range cfg.targets {
		rs, idleUse, n, err := measureTarget(ctx, name, cfg, runID, out)
		results = append(results, rs...)
		idle = append(idle, idleUse...)
		completed += n
		if err != nil {
			if ctx.Err() != nil {
				return results, fmt.Errorf("interrupted: %w", err)
			}
			return results, fmt.Errorf("%s: %w", name, err)
		}
	}
	fmt.Fprintln(out)
	printTable(out, results)
	printWrites(out, results)
	printIdle(out, idle)
	fmt.Fprintln(out)
	printRatios(out, results, cfg.workers)
	fmt.Fprintf(out, "\nall %d orders completed; total %v (servers' start included)\n", completed,
		time.Since(began).Round(time.Second))
	return results, nil
}

// measureTarget starts the target name, measures every worker count and
// mode on it, then its server's CPU use with no orders, and stops it. It
// returns the results, the idle use (none when unknown) and the number of
// orders that completed.
func measureTarget(ctx context.Context, name string, cfg config, runID string, out io.Writer) ([]result, []idleUse, int, error) {
	t0 := time.Now()
	tg, err := startTarget(ctx, name, cfg)
	if err != nil {
		return nil, nil, 0, err
	}
	defer tg.stop()
	fmt.Fprintf(out, "%s: %s, ready in %v\n", name, tg.describe, time.Since(t0).Round(100*time.Millisecond))
	// Every worker count and mode takes its turn in every round, in an
	// order reversed every other round: over two rounds, each of them sits
	// as early and as late as the others, so that a steady drift of the
	// machine's speed, or of the server's as its database grows, reaches
	// them alike.
	type combo struct {
		workers int
		mode    string
	}
	var combos []combo
	for _, workers := range cfg.workers {
		for _, mode := range cfg.modes {
			combos = append(combos, combo{workers, mode})
		}
	}
	rounds := map[combo][]result{}
	completed := 0
	for round := range cfg.rounds {
		for i := range combos {
			c := combos[i]
			if round%2 == 1 {
				c = combos[len(combos)-1-i]
			}
			r, err := measure(ctx, tg, c.mode, c.workers, cfg, fmt.Sprintf("%s-r%d", runID, round+1))
			completed += r.completed
			if err != nil {
				return nil, nil, completed, fmt.Errorf("%s with %s: %w", c.mode, plural(c.workers, "worker"), err)
			}
			fmt.Fprintf(out, "  round %d %-9s %s: %.1f orders/s, p50 %s, p99 %s\n", round+1, c.mode, plural(c.workers, "worker"),
				r.ordersPerSec, latency.MS(r.p50), latency.MS(r.p99))
			if r.note != "" {
				fmt.Fprintf(out, "    %s\n", r.note)
			}
			rounds[c] = append(rounds[c], r)
		}
	}
	var results []result
	for _, c := range combos {
		results = append(results, combine(rounds[c]))
	}
	idle, ok, err := measureIdle(ctx, tg)
	if err != nil || !ok {
		return results, nil, completed, err
	}
	return results, []idleUse{idle}, completed, nil
}

// joinInts joins ns with commas.
func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// plural formats n things: "1 worker", "2 workers".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
