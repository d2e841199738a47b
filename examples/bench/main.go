// Command bench measures what a small order costs on a Temporal server
// started in-process (go.temporal.io/server/temporaltest, SQLite in
// memory), against a no-op floor measured in the same run. Providers are
// in memory, with no simulated latency, so the figures are Temporal round
// trips and the code around them.
//
// It runs these modes, each with its own worker on its own task queue:
//
//	noop       a workflow that returns at once, started and awaited with
//	           the plain SDK client (ExecuteWorkflow + Get): the floor
//	bare       a bare-SDK port of the Python demo's workflow: four no-op
//	           activities in sequence, with orderflow's default activity
//	           options (30 s start-to-close; retry 1 s ×2 up to 30 s, 3 attempts)
//	orderflow  orderflow.Client.Execute of orderflowtest.SmallOrder, on a
//	           worker running orderflow.Register with in-memory providers
//	lowlatency orderflow with Options.LowLatency: the provider calls run
//	           as local activities, and the order starts eagerly on the
//	           worker of the same process
//	checkout   orderflow.Client.Checkout of the same order: the wait until
//	           the payment is taken (the order goes on in the background)
//	checkout-lowlatency
//	           the same in the low-latency mode
//	orderflow+encryption
//	           orderflow on a Temporal client with package encryption's
//	           codec (AES-256-GCM on every payload, failure messages too)
//	orderflow+metrics
//	           orderflow on a Temporal client whose metrics go to a
//	           Prometheus registry, as examples/worker -metrics serves them
//
// For each mode it warms up, then reports p50 and p99 latency of n orders
// run one after another, orders/s of n orders at the given concurrency, the
// history events (and workflow tasks) of one completed order, and each
// figure as a ratio to the noop mode's; then what each orderflow+ mode costs
// as a ratio to the orderflow mode's, measured in the same run.
//
// Usage:
//
//	go run ./examples/bench [-n 100] [-concurrency 16] [-warmup 20] [-modes noop,bare,orderflow,…]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/embedded"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// config is what the flags ask for.
type config struct {
	n           int      // orders per mode, serially and again concurrently
	concurrency int      // callers in flight for the throughput figure
	warmup      int      // orders per mode before measuring
	modes       []string // names of the modes to run, in order
	cpuProfile  string   // file for a CPU profile of the whole run, if set
}

// parseFlags reads args into a config and checks it.
func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var cfg config
	var modes string
	fs.IntVar(&cfg.n, "n", 100, "orders per mode, for the serial and again for the concurrent figures")
	fs.IntVar(&cfg.concurrency, "concurrency", 16, "callers in flight for orders/s")
	fs.IntVar(&cfg.warmup, "warmup", 20, "orders per mode run before measuring")
	fs.StringVar(&modes, "modes", strings.Join(modeNames(), ","), "comma-separated modes to run")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the run (server, workers and clients: one process) to this file")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if cfg.n < 1 || cfg.concurrency < 1 || cfg.warmup < 0 {
		return config{}, errors.New("want -n ≥ 1, -concurrency ≥ 1 and -warmup ≥ 0")
	}
	for _, name := range strings.Split(modes, ",") {
		name = strings.TrimSpace(name)
		if _, ok := modeMakers[name]; !ok {
			return config{}, fmt.Errorf("-modes: unknown mode %q (want some of %s)", name, strings.Join(modeNames(), ", "))
		}
		cfg.modes = append(cfg.modes, name)
	}
	return cfg, nil
}

// run starts the embedded server, measures every mode the flags name and
// prints the table.
func run(args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	began := time.Now()
	srv, err := embedded.Start(conn.NewLogger(os.Stderr, slog.LevelWarn))
	if err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Printf("embedded Temporal server started in %v; n=%d per mode, concurrency %d, warm-up %d\n",
		time.Since(began).Round(time.Millisecond), cfg.n, cfg.concurrency, cfg.warmup)

	var results []result
	for _, name := range cfg.modes {
		m, err := modeMakers[name](srv, "bench-"+name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r, err := measureMode(ctx, m, cfg)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		results = append(results, r)
	}
	fmt.Println()
	printTable(os.Stdout, results)
	fmt.Printf("\ntotal %v (server start included)\n", time.Since(began).Round(time.Millisecond))
	return nil
}
