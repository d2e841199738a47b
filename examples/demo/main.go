// Demo runs the Python demo end to end in one process: it starts a real
// Temporal server in-process (go.temporal.io/server/temporaltest; nothing to
// install or download), a worker with in-memory providers, and drives the
// demo's orders through the typed orderflow.Client, printing the Python
// demo's output blocks and each step as it happens.
//
// Usage, from the repository root:
//
//	go run ./examples/demo [flags]
//
// Scenarios (-scenarios, comma-separated, run in the order given):
//
//	small    ORD-001, $89.95: no approval needed; completes
//	large    ORD-002, $1899.97: waits for approval, is approved; completes
//	reject   ORD-003, $1899.97: waits for approval, is rejected; nothing charged
//	timeout  ORD-004, $1899.97: nobody decides; ends timed_out, nothing charged
//
// Flags:
//
//	-scenarios list       scenarios to run (default "small,large")
//	-approval-timeout d   approval timeout of the large and reject orders (default 5m);
//	                      when given, also that of the timeout order, which otherwise waits 3s
//	-latency scale        simulated provider latency, times the Python demo's
//	                      (payment 2 s, inventory 1.5 s, delivery 1 s, email 0.5 s) (default 0.25)
//	-address host:port    use this Temporal server instead of an embedded one
//	                      (also $TEMPORAL_ADDRESS); order IDs then get a random suffix
//	                      so that reruns do not collide
//	-namespace name       namespace on that server (default $TEMPORAL_NAMESPACE, else "default")
//	-ui-port n            serve the Temporal Web UI of the embedded server on this port
//	                      (8233 is the Temporal CLI's), and keep serving it after the
//	                      scenarios until Ctrl-C, to look at the orders (default 0: no UI)
//	-metrics addr         serve Prometheus metrics at http://addr/metrics, e.g. 127.0.0.1:9464
//	                      (port 0 picks a free one), and keep serving them after the
//	                      scenarios until Ctrl-C: the Temporal SDK's (temporal_*) and the
//	                      orders' (orderflow_*) (default: none)
//	-otlp endpoint        export traces over OTLP/HTTP to endpoint, e.g. http://localhost:4318,
//	                      one trace per scenario (default $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
//	                      else $OTEL_EXPORTER_OTLP_ENDPOINT, else no tracing)
//	-v                    log the Temporal SDK at DEBUG level (default: warnings only, to stderr)
//	-keys list            encryption keys, id=BASE64SECRET,… with the current one first
//	                      (default $ORDERFLOW_ENCRYPTION_KEYS): every payload is encrypted
//	                      (docs/encryption.md; examples/codecserver serves the Web UI and CLI)
//
// Against an existing server the demo runs its own worker on the
// order-task-queue task queue; other workers polling it may take its orders.
// The exit status is 1 when any scenario ends otherwise than it expects.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/embedded"
	"github.com/orderflow/orderflow/examples/internal/scenario"
	"github.com/orderflow/orderflow/examples/internal/webui"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
)

// defaultTimeoutScenarioWait is the approval timeout of the timeout scenario
// when -approval-timeout is not given.
const defaultTimeoutScenarioWait = 3 * time.Second

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	var cf conn.Flags
	cf.Register(flag.CommandLine)
	names := flag.String("scenarios", "small,large", "comma-separated scenarios: small, large, reject, timeout")
	approvalTimeout := flag.Duration("approval-timeout", 5*time.Minute,
		"approval timeout of the large and reject orders; when given, also that of the timeout order (otherwise 3s)")
	latency := flag.Float64("latency", 0.25, "simulated provider latency, times the Python demo's; 0 disables it")
	uiPort := flag.Int("ui-port", 0, "serve the embedded server's Temporal Web UI on this port, until Ctrl-C (default: no UI)")
	var tf conn.TelemetryFlags
	tf.Register(flag.CommandLine)
	flag.Parse()
	if *uiPort < 0 || *uiPort > 65535 {
		return fmt.Errorf("-ui-port %d: want a port from 1 to 65535, or 0 for no UI", *uiPort)
	}
	if *uiPort != 0 && cf.Remote() {
		return fmt.Errorf("-ui-port serves the embedded server's Web UI; with -address or $TEMPORAL_ADDRESS, use that server's UI")
	}

	d := &demo{approvalTimeout: *approvalTimeout, timeoutWait: defaultTimeoutScenarioWait}
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "approval-timeout" {
			d.timeoutWait = *approvalTimeout
		}
	})
	runs, err := d.scenarios(*names)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logger := cf.Logger(os.Stderr, slog.LevelWarn)
	tel, err := tf.Start(ctx, "orderflow-demo", logger)
	if err != nil {
		return err
	}
	// Closed last: the worker and the client hand it their last metrics
	// and spans first.
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := tel.Close(cctx); err != nil {
			fmt.Fprintln(os.Stderr, "demo: telemetry did not close cleanly:", err)
		}
	}()
	if tel.Metrics != nil {
		fmt.Printf("Prometheus metrics at %s\n", tel.Metrics.URL)
	}
	if tel.Tracing != nil {
		fmt.Printf("Exporting traces over OTLP/HTTP to %s\n", tel.Tracing.Endpoint)
	}
	d.metrics = tel.MetricsHandler()
	uiURL, closeServer, err := d.connect(cf, logger, tel, *uiPort)
	if err != nil {
		return err
	}
	defer closeServer()

	w, _, err := scenario.NewWorker(d.tc, *latency)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	fmt.Printf("Worker ready — polling task queue %s.\n", "order-task-queue")

	err = runAll(ctx, runs)
	switch {
	case ctx.Err() != nil:
	case uiURL != "":
		// The orders live in the embedded server, which stops at exit.
		fmt.Printf("\nThe orders are in the Temporal Web UI at %s until you press Ctrl-C.\n", uiURL)
		<-ctx.Done()
	case tel.Metrics != nil:
		fmt.Printf("\nThe metrics are at %s until you press Ctrl-C.\n", tel.Metrics.URL)
		<-ctx.Done()
	}
	return err
}

// closeTimeout bounds how long the demo waits at exit for the last metrics
// and spans to be handed over.
const closeTimeout = 10 * time.Second

// scenarios returns the scenarios named in the comma-separated names.
func (d *demo) scenarios(names string) ([]func(context.Context) error, error) {
	var runs []func(context.Context) error
	for _, name := range strings.Split(names, ",") {
		fn, err := d.scenario(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		runs = append(runs, fn)
	}
	return runs, nil
}

// connect dials the server the flags name, or starts an embedded one (and
// its Web UI on uiPort, unless 0), with a client whose metrics and spans go
// to tel. It returns the UI's address, if any, and what closes the
// connection or stops the server.
func (d *demo) connect(cf conn.Flags, logger log.Logger, tel *conn.Telemetry, uiPort int) (uiURL string, closeServer func(), err error) {
	if cf.Remote() {
		tc, opts, err := cf.Dial(logger, tel.Apply)
		if err != nil {
			return "", nil, err
		}
		d.tc, d.dc = tc, opts.DataConverter
		d.suffix = randomSuffix()
		fmt.Printf("Using the Temporal server at %s, namespace %s.\n", opts.HostPort, opts.Namespace)
		return "", tc.Close, nil
	}
	srv, err := embedded.Start(logger)
	if err != nil {
		return "", nil, err
	}
	fmt.Printf("Started an embedded Temporal server at %s, namespace %s.\n", srv.Address, srv.Namespace)
	// A client of the demo's own, as a program in another process would
	// dial: the server's client has no metrics handler or interceptor.
	opts := client.Options{HostPort: srv.Address, Namespace: srv.Namespace, Logger: logger}
	tel.Apply(&opts)
	if err := cf.Encrypt(&opts); err != nil {
		srv.Stop()
		return "", nil, err
	}
	tc, err := client.Dial(opts)
	if err != nil {
		srv.Stop()
		return "", nil, fmt.Errorf("connect to the embedded Temporal server at %s: %w", srv.Address, err)
	}
	d.tc, d.dc = tc, opts.DataConverter
	stop := func() { tc.Close(); srv.Stop() }
	if uiPort == 0 {
		return "", stop, nil
	}
	ui, err := webui.Start("127.0.0.1", uiPort, srv.Address, srv.Namespace)
	if err != nil {
		stop()
		return "", nil, err
	}
	fmt.Printf("Temporal Web UI at %s\n", ui.URL)
	return ui.URL, func() { ui.Stop(); stop() }, nil
}

// runAll runs the scenarios in turn, until ctx ends, and says how they went.
func runAll(ctx context.Context, runs []func(context.Context) error) error {
	var failed []string
	for _, fn := range runs {
		if err := fn(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "FAILED:", err)
			failed = append(failed, err.Error())
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d scenarios did not end as expected", len(failed), len(runs))
	}
	fmt.Printf("\nAll %d scenarios ended as expected.\n", len(runs))
	return nil
}

// demo holds what the scenarios share.
type demo struct {
	tc client.Client
	// metrics receives the Client's own metrics; nil without -metrics.
	metrics client.MetricsHandler
	// dc is tc's data converter: nil, or an encrypting one with -keys.
	dc converter.DataConverter
	// suffix makes order IDs unique on a server that may have seen them.
	suffix          string
	approvalTimeout time.Duration
	timeoutWait     time.Duration
}

// scenario returns the scenario named name, which runs in a span of its
// own when tracing is on: one trace per scenario.
func (d *demo) scenario(name string) (func(context.Context) error, error) {
	fn, err := d.untracedScenario(name)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		ctx, span := otel.Tracer("orderflow-demo").Start(ctx, "demo scenario "+name)
		defer span.End()
		err := fn(ctx)
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		return err
	}, nil
}

func (d *demo) untracedScenario(name string) (func(context.Context) error, error) {
	switch name {
	case "small":
		return d.small, nil
	case "large":
		return func(ctx context.Context) error {
			return d.decided(ctx, "large", "ORD-002", "High-value customer - approved", orderflow.StatusCompleted)
		}, nil
	case "reject":
		return func(ctx context.Context) error {
			return d.decided(ctx, "reject", "ORD-003", "Insufficient credit check", orderflow.StatusRejected)
		}, nil
	case "timeout":
		return d.timeout, nil
	}
	return nil, fmt.Errorf("unknown scenario %q: want small, large, reject or timeout", name)
}

func (d *demo) client(approvalTimeout time.Duration) (*orderflow.Client, error) {
	// A decision waits for the demo's worker to run a workflow task:
	// milliseconds on an idle machine, seconds on a loaded one. The
	// library's default call budget (10 s) is sized for services; the demo
	// allows a minute, and still says so if its worker never answers.
	return orderflow.NewClient(d.tc, &orderflow.Options{ApprovalTimeout: approvalTimeout, CallTimeout: time.Minute,
		MetricsHandler: d.metrics, DataConverter: d.dc})
}

func header(name, about string) {
	fmt.Printf("\n━━━ Scenario %s: %s ━━━\n\n", name, about)
}

// small runs the Python demo's small order: no approval, completed.
func (d *demo) small(ctx context.Context) error {
	header("small", "an order under $1000.00 needs no approval")
	orders, err := d.client(d.approvalTimeout)
	if err != nil {
		return err
	}
	order := scenario.SmallOrder("ORD-001" + d.suffix)
	if err := scenario.PrintStarting(os.Stdout, order); err != nil {
		return err
	}
	if err := orders.Start(ctx, order); err != nil {
		return err
	}
	fmt.Println("Waiting for workflow to complete...")
	res, err := scenario.Wait(ctx, orders, order.OrderID, os.Stdout)
	if res != nil {
		scenario.PrintResult(os.Stdout, res)
	}
	return expect("small", order.OrderID, res, err, orderflow.StatusCompleted)
}

// decided runs a large order that an approver approves or rejects (by the
// final status wanted) through the Client's validated Update.
func (d *demo) decided(ctx context.Context, name, orderID, reason string, want orderflow.Status) error {
	approve := want == orderflow.StatusCompleted
	about := "an order over $1000.00 waits for approval, and is approved"
	if !approve {
		about = "an order over $1000.00 waits for approval, and is rejected; nothing is charged"
	}
	header(name, about)
	orders, err := d.client(d.approvalTimeout)
	if err != nil {
		return err
	}
	order, err := d.startLarge(ctx, orders, orderID+d.suffix, "The demo decides it now, through orderflow.Client.")
	if err != nil {
		return err
	}
	// A person would read the block first; the demo waits until the order
	// awaits the decision, so that the decision is not refused as early.
	// It waits for that event in the order's history, however long the
	// machine takes, until Ctrl-C: no budget sized for one machine.
	if err := scenario.AwaitApproval(ctx, d.tc, order.OrderID); err != nil {
		return err
	}
	decide := orders.Approve
	if !approve {
		decide = orders.Reject
	}
	approval, err := decide(ctx, order.OrderID, orderflow.Decision{Reason: reason})
	if err != nil {
		return err
	}
	scenario.PrintDecision(os.Stdout, order.OrderID, approval)
	res, err := scenario.Wait(ctx, orders, order.OrderID, os.Stdout)
	if res != nil {
		scenario.PrintOutcome(os.Stdout, res)
	}
	return expect(name, order.OrderID, res, err, want)
}

// timeout runs a large order nobody decides: it ends timed_out.
func (d *demo) timeout(ctx context.Context) error {
	header("timeout", fmt.Sprintf("an order over $1000.00 that nobody decides within %v times out; nothing is charged", d.timeoutWait))
	orders, err := d.client(d.timeoutWait)
	if err != nil {
		return err
	}
	order, err := d.startLarge(ctx, orders, "ORD-004"+d.suffix, "Nobody will decide: the demo lets the approval time out.")
	if err != nil {
		return err
	}
	fmt.Println()
	res, err := scenario.Wait(ctx, orders, order.OrderID, os.Stdout)
	if res != nil {
		scenario.PrintOutcome(os.Stdout, res)
	}
	return expect("timeout", order.OrderID, res, err, orderflow.StatusTimedOut)
}

// startLarge starts the Python demo's large order under orderID and prints
// the approval block with note (see scenario.PrintApprovalRequired).
func (d *demo) startLarge(ctx context.Context, orders *orderflow.Client, orderID, note string) (orderflow.Order, error) {
	order := scenario.LargeOrder(orderID)
	total, err := order.Total()
	if err != nil {
		return order, err
	}
	if err := scenario.PrintStarting(os.Stdout, order); err != nil {
		return order, err
	}
	if err := orders.Start(ctx, order); err != nil {
		return order, err
	}
	scenario.PrintApprovalRequired(os.Stdout, order.OrderID, total, orders.Options().ApprovalTimeout, note)
	return order, nil
}

// expect checks that the scenario's order ended with status want.
func expect(name, orderID string, res *orderflow.OrderState, err error, want orderflow.Status) error {
	switch {
	case res == nil && err != nil:
		return fmt.Errorf("scenario %s: order %s: %w", name, orderID, err)
	case res == nil:
		return fmt.Errorf("scenario %s: order %s: no result", name, orderID)
	case res.Status != want:
		return fmt.Errorf("scenario %s: order %s ended %s (%s), want %s", name, orderID, res.Status, res.Message, want)
	}
	return nil
}

// randomSuffix returns "-" and six random hex digits.
func randomSuffix() string {
	b := make([]byte, 3)
	rand.Read(b) // never fails; see crypto/rand.Read
	return "-" + strings.ToUpper(hex.EncodeToString(b))
}
