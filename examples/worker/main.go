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
//	-metrics addr       serve Prometheus metrics at http://addr/metrics, e.g.
//	                    127.0.0.1:9464 (port 0 picks a free one): the Temporal SDK's
//	                    (temporal_*) and the orders' (orderflow_*); default: none
//	-otlp endpoint      export traces over OTLP/HTTP to endpoint, e.g.
//	                    http://localhost:4318 (default $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
//	                    else $OTEL_EXPORTER_OTLP_ENDPOINT, else no tracing)
//	-v                  log at DEBUG level instead of INFO
//	-keys list          encryption keys, id=BASE64SECRET,… with the current one first
//	                    (default $ORDERFLOW_ENCRYPTION_KEYS): every payload is encrypted
//	                    (docs/encryption.md; examples/codecserver serves the Web UI and CLI)
//
// The connection also honours the rest of the Temporal environment
// configuration (TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE and the
// temporal.toml file), so the worker can run against Temporal Cloud.
//
// It logs through log/slog to stderr, order IDs and amounts but never
// customer emails or addresses, logs where it serves metrics ("Serving
// Prometheus metrics" URL=…) and sends traces, prints "Worker ready —
// polling …" once it polls, and stops cleanly on Ctrl-C or SIGTERM, after
// handing over the last metrics and spans. docs/production.md lists the
// metrics and the alerts to set on them.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

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

// closeTimeout bounds how long the worker waits at exit for the last
// metrics and spans to be handed over.
const closeTimeout = 10 * time.Second

func run() error {
	var cf conn.Flags
	cf.Register(flag.CommandLine)
	var tf conn.TelemetryFlags
	tf.Register(flag.CommandLine)
	latency := flag.Float64("latency", 1, "simulated provider latency, times the Python demo's; 0 disables it")
	flag.Parse()

	logger := cf.Logger(os.Stderr, slog.LevelInfo)
	tel, err := tf.Start(context.Background(), "orderflow-worker", logger)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if cerr := tel.Close(ctx); cerr != nil {
			logger.Warn("Telemetry did not close cleanly", "Error", cerr)
		}
	}()
	if tel.Metrics != nil {
		logger.Info("Serving Prometheus metrics", "URL", tel.Metrics.URL)
	}
	if tel.Tracing != nil {
		logger.Info("Exporting traces over OTLP/HTTP", "Endpoint", tel.Tracing.Endpoint)
	}
	c, opts, err := cf.Dial(logger, tel.Apply)
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
