// Command waitbench measures what many orders awaiting approval cost a
// worker, and how fast approving them all completes.
//
// It builds and starts a real Temporal server as a separate process (the
// devserver program, SQLite in memory, on a free port, no Web UI). Then,
// for each mode in turn, on its own task queue, it:
//
//  1. starts a worker as a child process (this program again, with
//     WAITBENCH_WORKER set) and measures its resident memory once it is
//     idle and polling;
//  2. starts -orders large orders (orderflowtest.LargeOrder, over the
//     approval threshold, with a 1 h approval timeout), -concurrency at a
//     time;
//  3. waits until every order waits for its approval, asking the server
//     only, so as not to disturb the worker: first until the workflow task
//     queue has no backlog (DescribeTaskQueue's approximate count), then
//     until each order's workflow has completed its first workflow task and
//     has none pending (DescribeWorkflowExecution, in passes over those not
//     yet there, 8 at a time): the worker has run it up to its wait for
//     approval, and holds it in its cache as far as the cache reaches.
//     Then it waits until the worker's RSS has held still for -settle (3 s;
//     within 1 MiB or 0.5 %);
//  4. measures the worker's memory again, and the live heap and goroutines
//     it reports, and checks that the last order's approval is pending (a
//     query, for the orderflow modes);
//  5. approves every order, -concurrency at a time, and waits until none
//     runs and all completed (visibility counts); the last close time is
//     then found to the millisecond by counting the orders closed after a
//     time, in a binary search;
//  6. stops the worker.
//
// The modes:
//
//	bare        a bare-SDK port of the Python demo's workflow: a Selector
//	            waits for the approve_order signal (a string reason) or a
//	            1 h timer, then four no-op activities run in sequence;
//	            approved by SignalWorkflow
//	orderflow   orderflow.Client.Start, on a worker running orderflow.Register
//	            with orderflowtest's in-memory providers (no latency);
//	            approved by Client.Approve (a validated Update)
//	lowlatency  orderflow with Options.LowLatency (provider calls as local
//	            activities); the worker is in another process, so orders do
//	            not start eagerly
//
// The table's figures, per mode:
//
//	RSS idle     the worker's resident set (VmRSS of /proc/<pid>/status;
//	             n/a where there is no /proc) once it polls, before any order
//	RSS waiting  the same with every order waiting for approval
//	KB/order     (RSS waiting - RSS idle) / orders
//	live heap    the worker's heap in use after a forced GC (runtime.MemStats
//	             HeapAlloc), with every order waiting
//	heap KB/order (live heap waiting - live heap idle) / orders
//	goroutines   the worker's goroutines with every order waiting
//	+/order      (goroutines waiting - goroutines idle) / orders
//	approve-all  from the first approval sent to the last order's close time
//	             on the server (its visibility record; server and program
//	             share the machine's clock)
//	orders/s     orders / approve-all
//	×bare        orders/s as a ratio to the bare mode's, when bare ran
//
// -cache n sets the worker's sticky workflow cache (worker.SetStickyWorkflowCacheSize)
// in every mode; 0 keeps each mode's default: the SDK's 10,000 workflows
// for the bare port, 1,000, as examples/worker sets it, for
// orderflow, whose worker is set up as examples/worker's. Orders beyond the
// cache are evicted from the worker's memory and replayed from history when
// their approval comes.
//
// The server and the worker run on the same machine and share its cores:
// the figures are as measured there.
//
// Each mode also prints a line with the time to start the orders and until
// all waited, and where the worker's memory is: live heap, goroutine stacks
// (one workflow goroutine per cached order) and what it got from the OS.
//
// Usage, from the repository root:
//
//	go run ./examples/waitbench [-orders 10000] [-modes bare,orderflow,lowlatency] [-cache 0] [-concurrency 32] [-v]
//
// -v shows the server's and the worker SDK's logs, and the progress of the
// wait. The hidden flag -heapprofile dir writes a heap profile of each
// worker with all its orders waiting (sampled every 4 KiB) to
// dir/waitbench-<mode>.heap.pb.gz, for go tool pprof -top.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	if isWorkerProcess() {
		if err := runWorker(); err != nil {
			fmt.Fprintln(os.Stderr, "waitbench worker:", err)
			os.Exit(1)
		}
		return
	}
	if _, err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "waitbench:", err)
		os.Exit(1)
	}
}

// config is what the flags ask for.
type config struct {
	orders      int           // orders per mode
	concurrency int           // callers in flight when starting and approving
	cache       int           // sticky workflow cache size; 0: each mode's default
	modes       []string      // names of the modes to run, in order
	settle      time.Duration // how long the worker's RSS must hold still
	verbose     bool          // show the server's and the SDK's logs
	heapDir     string        // if set, write a heap profile of each worker here
}

// hiddenFlags are for tests and investigation; -h does not list them.
var hiddenFlags = map[string]bool{"settle": true, "heapprofile": true}

// parseFlags reads args into a config and checks it.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("waitbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	var modes string
	fs.IntVar(&cfg.orders, "orders", 10000, "orders per mode, all waiting for approval at once")
	fs.IntVar(&cfg.concurrency, "concurrency", 32, "callers in flight when starting and when approving orders")
	fs.IntVar(&cfg.cache, "cache", 0, "the worker's sticky workflow cache size; 0 keeps each mode's default (bare: the SDK's 10000; orderflow: 1000, as examples/worker sets it)")
	fs.StringVar(&modes, "modes", strings.Join(modeNames, ","), "comma-separated modes to run, of "+strings.Join(modeNames, ", "))
	fs.BoolVar(&cfg.verbose, "v", false, "show the Temporal server's and the worker SDK's logs")
	fs.DurationVar(&cfg.settle, "settle", 3*time.Second, "how long the worker's RSS must be stable to be measured")
	fs.StringVar(&cfg.heapDir, "heapprofile", "", "directory to write each worker's heap profile to, with all orders waiting")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return cfg, cfg.check(modes)
}

// check validates the figures of cfg and sets cfg.modes from the -modes list.
func (cfg *config) check(modes string) error {
	switch {
	case cfg.orders < 1:
		return fmt.Errorf("-orders %d: want at least 1", cfg.orders)
	case cfg.concurrency < 1:
		return fmt.Errorf("-concurrency %d: want at least 1", cfg.concurrency)
	case cfg.cache < 0:
		return fmt.Errorf("-cache %d: want 0 (each mode's default) or a positive size", cfg.cache)
	case cfg.settle <= 0:
		return fmt.Errorf("-settle %v: want a positive duration", cfg.settle)
	}
	for _, name := range strings.Split(modes, ",") {
		name = strings.TrimSpace(name)
		switch {
		case !slices.Contains(modeNames, name):
			return fmt.Errorf("-modes: unknown mode %q (want some of %s)", name, strings.Join(modeNames, ", "))
		case slices.Contains(cfg.modes, name):
			return fmt.Errorf("-modes: mode %q given twice", name)
		}
		cfg.modes = append(cfg.modes, name)
	}
	return nil
}

// usage prints the flags, without the hidden ones.
func usage(fs *flag.FlagSet) {
	out := fs.Output()
	fmt.Fprintln(out, "usage: waitbench [-orders n] [-modes list] [-cache n] [-concurrency n] [-v]")
	fs.VisitAll(func(f *flag.Flag) {
		if !hiddenFlags[f.Name] {
			fmt.Fprintf(out, "  -%s\n    \t%s (default %q)\n", f.Name, f.Usage, f.DefValue)
		}
	})
}

// run starts the server, measures every mode the flags name, prints the
// table to out and returns the results.
func run(args []string, out io.Writer) ([]result, error) {
	cfg, err := parseFlags(args, os.Stderr)
	if err != nil {
		return nil, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	began := time.Now()
	srv, err := startServer(ctx, cfg.verbose)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	fmt.Fprintf(out, "Temporal server (devserver, SQLite in memory) at %s, ready in %v; %d orders per mode, concurrency %d, cache %s\n",
		srv.address, time.Since(began).Round(time.Millisecond), cfg.orders, cfg.concurrency, cacheName(cfg.cache))

	var results []result
	for _, name := range cfg.modes {
		r, err := measureMode(ctx, srv, name, cfg, out)
		if err != nil {
			return results, fmt.Errorf("%s: %w", name, err)
		}
		results = append(results, r)
	}
	if ctx.Err() != nil {
		return results, errors.New("interrupted")
	}
	fmt.Fprintln(out)
	printTable(out, results)
	fmt.Fprintf(out, "\ntotal %v (server build and start included)\n", time.Since(began).Round(time.Millisecond))
	return results, nil
}

// cacheName names a -cache value.
func cacheName(n int) string {
	if n == 0 {
		return "default"
	}
	return fmt.Sprint(n)
}
