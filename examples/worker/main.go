// Worker runs an orderflow worker: it polls the order-task-queue task queue
// and runs OrderWorkflow with in-memory payment, inventory, delivery and email
// providers (package orderflowtest) that simulate the Python demo's latencies.
// It replaces the Python demo's worker.py.
//
// Usage:
//
//	go run ./examples/worker [flags]
//
// Flags:
//
//	-address host:port  Temporal server (default $TEMPORAL_ADDRESS, else localhost:7233)
//	-namespace name     Temporal namespace (default $TEMPORAL_NAMESPACE, else "default")
//	-latency scale      simulated provider latency, times the Python demo's
//	                    (payment 2 s, inventory 1.5 s, delivery 1 s, email 0.5 s);
//	                    0 disables it (default 1)
//	-v                  log at DEBUG level instead of INFO
//
// The connection also honours the rest of the Temporal environment
// configuration (TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE and the
// temporal.toml file), so the worker can run against Temporal Cloud.
//
// It logs through log/slog to stderr, order IDs and amounts but never
// customer emails or addresses, prints "Worker ready — polling …" once it
// polls, and stops cleanly on Ctrl-C or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/scenario"
	"go.temporal.io/sdk/worker"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run() error {
	var cf conn.Flags
	cf.Register(flag.CommandLine)
	latency := flag.Float64("latency", 1, "simulated provider latency, times the Python demo's; 0 disables it")
	flag.Parse()

	logger := cf.Logger(os.Stderr, slog.LevelInfo)
	c, opts, err := cf.Dial(logger)
	if err != nil {
		return err
	}
	defer c.Close()

	// This process runs one worker: size the SDK's sticky workflow cache,
	// which is process-wide, for orders that wait. 1000 cached workflows
	// hold 10,000 waiting orders at about 118 MiB, against about 435 MiB
	// with the SDK's default of 10,000 (docs/production.md).
	worker.SetStickyWorkflowCacheSize(1000)
	w, _, err := scenario.NewWorker(c, *latency)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	logger.Info("Worker ready — polling", "TaskQueue", "order-task-queue",
		"Address", opts.HostPort, "Namespace", opts.Namespace, "LatencyScale", *latency)

	<-worker.InterruptCh()
	logger.Info("Stopping worker")
	w.Stop()
	logger.Info("Worker stopped")
	return nil
}
