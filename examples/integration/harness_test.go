// Package integration runs orderflow's typed Client end to end against a
// real, in-process Temporal server (go.temporal.io/server/temporaltest), over
// gRPC, with a real worker and the in-memory providers of orderflowtest.
//
// One server serves the whole package (TestMain). Each test gets its own task
// queue, worker and providers, so tests run in parallel without sharing
// state; order IDs carry the test's name so workflow IDs never collide.
//
// With -address, the tests run against that server instead, a cluster say,
// in -namespace (default "default"), which must have orderflow's search
// attributes registered or be allowed to register them; a test that makes
// namespaces of its own makes them there:
//
//	go test ./examples/integration -args -address 127.0.0.1:7233
//
// The cluster program (examples/cluster) starts such a cluster; its test
// runs the core scenarios of this package against one. Order IDs carry the
// time of the run, so a run against a server that keeps the orders of
// earlier runs starts fresh ones.
package integration

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/scenario"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/orderflow/orderflow/examples/internal/updatewatch"
	"github.com/orderflow/orderflow/orderflowtest"
)

var (
	addressFlag   = flag.String("address", "", "run against the Temporal server at host:port instead of an in-process one")
	namespaceFlag = flag.String("namespace", "default", "the namespace to run in, with -address")
)

// The package's Temporal server, its namespace and a client of it, made by
// TestMain: in process, or the one at -address.
var (
	frontend         string
	defaultNamespace string
	temporalClient   client.Client
	// runID makes order IDs of this run unique on a server that outlives it.
	runID string
)

func TestMain(m *testing.M) {
	flag.Parse()
	// The tests mostly wait on timers, provider latency and the server; they
	// use little CPU. Unless -parallel was given, run more of them at once
	// than the default GOMAXPROCS so the package stays fast on small machines.
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		_ = flag.Set("test.parallel", "16")
	}

	var stop func()
	if *addressFlag == "" {
		server := temporaltest.NewServer()
		frontend, defaultNamespace = server.GetFrontendHostPort(), server.GetDefaultNamespace()
		temporalClient = server.GetDefaultClient()
		stop = server.Stop
	} else {
		frontend, defaultNamespace = *addressFlag, *namespaceFlag
		runID = fmt.Sprintf("%x-", time.Now().UnixMilli())
		c, err := client.Dial(client.Options{HostPort: frontend, Namespace: defaultNamespace,
			Logger: conn.NewLogger(os.Stderr, slog.LevelWarn)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		temporalClient = c
		stop = c.Close
	}
	// Orders started with Options.Visibility need these; the others run
	// alongside them unchanged.
	ctx, cancel := testctx.Main()
	if err := orderflow.RegisterSearchAttributes(ctx, temporalClient, defaultNamespace); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cancel()
	code := m.Run()
	stop()
	os.Exit(code)
}

// env is one test's world: a task queue with its own worker and providers,
// and the typed Client that starts orders on it.
type env struct {
	t         testing.TB
	ctx       context.Context
	tc        client.Client
	orders    *orderflow.Client
	p         *orderflowtest.Providers
	taskQueue string
	worker    worker.Worker
	// acts are registered by startWorker; a test may wrap a provider first.
	acts *orderflow.Activities
}

// newEnv starts a worker on a fresh task queue with fresh in-memory
// providers. configure, if not nil, sets the providers up (latency, faults,
// stock) before the worker takes work. opts are the Client's options; their
// TaskQueue is replaced by the test's own.
func newEnv(t testing.TB, opts *orderflow.Options, configure func(*orderflowtest.Providers)) *env {
	t.Helper()
	e := newEnvWithoutWorker(t, opts, configure)
	e.startWorker()
	return e
}

// newEnvWithoutWorker is newEnv with the worker not yet started: orders
// started on it wait, with whatever is sent to them, until startWorker.
func newEnvWithoutWorker(t testing.TB, opts *orderflow.Options, configure func(*orderflowtest.Providers)) *env {
	t.Helper()
	return newEnvOn(t, temporalClient, opts, configure)
}

// newListingEnv is newEnv in a namespace of the test's own, with the
// search attributes registered and Options.Visibility on: its listings hold
// only its own orders, however many other tests start.
func newListingEnv(t testing.TB, opts *orderflow.Options, configure func(*orderflowtest.Providers)) *env {
	t.Helper()
	ns, tc := newNamespace(t, "listing")
	if err := orderflow.RegisterSearchAttributes(testctx.Context(t), tc, ns); err != nil {
		t.Fatalf("RegisterSearchAttributes: %v", err)
	}
	var o orderflow.Options
	if opts != nil {
		o = *opts
	}
	o.Visibility = true
	e := newEnvOn(t, tc, &o, configure)
	e.startWorker()
	return e
}

// newEnvOn is newEnvWithoutWorker on the namespace of tc.
func newEnvOn(t testing.TB, tc client.Client, opts *orderflow.Options, configure func(*orderflowtest.Providers)) *env {
	t.Helper()
	// Every call and wait of the test ends with the test, or shortly before
	// go test's -timeout: never at a budget sized for one machine.
	ctx := testctx.Context(t)

	taskQueue := "it-" + runID + sanitize(t.Name())
	acts, providers := orderflowtest.NewActivities()
	if configure != nil {
		configure(providers)
	}
	w := worker.New(tc, taskQueue, worker.Options{WorkflowPanicPolicy: worker.FailWorkflow})

	var o orderflow.Options
	if opts != nil {
		o = *opts
	}
	o.TaskQueue = taskQueue
	orders, err := orderflow.NewClient(tc, &o)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return &env{t: t, ctx: ctx, tc: tc, orders: orders, p: providers, taskQueue: taskQueue, worker: w, acts: acts}
}

func (e *env) startWorker() {
	e.t.Helper()
	if err := orderflow.Register(e.worker, e.acts); err != nil {
		e.t.Fatalf("Register: %v", err)
	}
	if err := e.worker.Start(); err != nil {
		e.t.Fatalf("worker start: %v", err)
	}
	e.t.Cleanup(e.worker.Stop)
}

func sanitize(name string) string {
	return strings.NewReplacer("/", "-", " ", "_").Replace(name)
}

// id returns an order ID unique to this test (and to this run, with
// -address).
func (e *env) id(suffix string) string {
	return runID + sanitize(e.t.Name()) + "-" + suffix
}

// Orders. The small one is the Python demo's $89.95; the large one is
// $1899.97, over the $1000.00 threshold.
const (
	smallTotal = 8995
	largeTotal = 189997
)

func smallOrder(id string) orderflow.Order { return scenario.SmallOrder(id) }

func largeOrder(id string) orderflow.Order { return scenario.LargeOrder(id) }

// charged is the money the payment provider holds for orderID, in cents.
func (e *env) charged(orderID string) int64 { return e.p.Payment.Held(orderID).Amount }

// chargesOf returns the charges taken for orderID, refunded ones included.
func (e *env) chargesOf(orderID string) []orderflowtest.ChargeRecord {
	var out []orderflowtest.ChargeRecord
	for _, c := range e.p.Payment.Charges() {
		if c.OrderID == orderID {
			out = append(out, c)
		}
	}
	return out
}

// callsOf returns the recorded calls of method for orderID.
func callsOf(calls []orderflowtest.Call, method, orderID string) []orderflowtest.Call {
	var out []orderflowtest.Call
	for _, c := range calls {
		if c.Method == method && c.OrderID == orderID {
			out = append(out, c)
		}
	}
	return out
}

// mustStart starts order through the typed Client.
func (e *env) mustStart(order orderflow.Order) {
	e.t.Helper()
	if err := e.orders.Start(e.ctx, order); err != nil {
		e.t.Fatalf("Start(%s): %v", order.OrderID, err)
	}
}

// result waits for the order's result and fails the test unless it ended
// with want. A failed order's error is expected and returned.
func (e *env) result(orderID string, want orderflow.Status) (*orderflow.OrderState, error) {
	e.t.Helper()
	res, err := e.orders.Result(e.ctx, orderID)
	if res == nil {
		e.t.Fatalf("Result(%s): no result, err = %v", orderID, err)
	}
	if res.Status != want {
		e.t.Fatalf("Result(%s): status %q (message %q, err %v), want %q", orderID, res.Status, res.Message, err, want)
	}
	if (err != nil) != (want == orderflow.StatusFailed) {
		e.t.Fatalf("Result(%s): status %q with err = %v", orderID, res.Status, err)
	}
	return res, err
}

// waitFor polls cond every 20 ms until it holds, failing the test when the
// test's context ends (shortly before go test's -timeout). what names the
// condition in the failure.
func (e *env) waitFor(what string, cond func() (bool, error)) {
	e.t.Helper()
	var lastErr error
	for {
		ok, err := cond()
		if ok {
			return
		}
		lastErr = err
		select {
		case <-e.ctx.Done():
			e.t.Fatalf("gave up waiting for %s at the test's deadline (last error: %v)", what, lastErr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitForStep waits until the full-state query reports the order at step.
func (e *env) waitForStep(orderID string, step orderflow.Step) {
	e.t.Helper()
	e.waitFor(fmt.Sprintf("order %s to reach step %q", orderID, step), func() (bool, error) {
		st, err := e.orders.State(e.ctx, orderID)
		if err != nil {
			return false, err
		}
		return st.Step == step, fmt.Errorf("order is at step %q, status %q", st.Step, st.Status)
	})
}

// waitForApproval waits until the order's approval status is want. Pending
// is waited for in the order's history (scenario.AwaitApproval), which
// loads the server alone; other statuses by query.
func (e *env) waitForApproval(orderID string, want orderflow.ApprovalStatus) {
	e.t.Helper()
	if want == orderflow.ApprovalPending {
		if err := scenario.AwaitApproval(e.ctx, e.tc, orderID); err != nil {
			e.t.Fatal(err)
		}
		return
	}
	e.waitFor(fmt.Sprintf("order %s approval status %q", orderID, want), func() (bool, error) {
		got, err := e.orders.ApprovalStatus(e.ctx, orderID)
		if err != nil {
			return false, err
		}
		return got == want, fmt.Errorf("approval status is %q", got)
	})
}

// watchUpdates replaces the test's Client by one that reports the Updates
// it sends to the returned Watch, so that the test can wait until the
// server holds them. Only for tests on the package's namespace.
func (e *env) watchUpdates() *updatewatch.Watch {
	e.t.Helper()
	if e.tc != temporalClient {
		e.t.Fatal("watchUpdates: the test's client is not the package's")
	}
	w, wc, err := updatewatch.New(e.tc, defaultNamespace)
	if err != nil {
		e.t.Fatalf("updatewatch.New: %v", err)
	}
	e.t.Cleanup(wc.Close)
	opts := e.orders.Options()
	if e.orders, err = orderflow.NewClient(wc, &opts); err != nil {
		e.t.Fatalf("NewClient: %v", err)
	}
	return w
}

// history returns the events of the order's workflow.
func (e *env) history(orderID string) []*historypb.HistoryEvent {
	e.t.Helper()
	it := e.tc.GetWorkflowHistory(e.ctx, orderflow.WorkflowID(orderID), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			e.t.Fatalf("history of %s: %v", orderID, err)
		}
		events = append(events, ev)
	}
	return events
}

// countEvents counts the events of type typ.
func countEvents(events []*historypb.HistoryEvent, typ enumspb.EventType) int {
	n := 0
	for _, ev := range events {
		if ev.GetEventType() == typ {
			n++
		}
	}
	return n
}

// workflowExists reports whether any run of the order's workflow exists.
func (e *env) workflowExists(orderID string) bool {
	e.t.Helper()
	_, err := e.tc.DescribeWorkflowExecution(e.ctx, orderflow.WorkflowID(orderID), "")
	var nf *serviceerror.NotFound
	switch {
	case err == nil:
		return true
	case errors.As(err, &nf):
		return false
	}
	e.t.Fatalf("DescribeWorkflowExecution(%s): %v", orderID, err)
	return false
}

// fastRetry makes transient failures retry quickly, so tests that inject them
// do not wait out the default 1 s, 2 s backoff.
func fastRetry() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{InitialInterval: 50 * time.Millisecond, BackoffCoefficient: 1, MaximumInterval: 100 * time.Millisecond}
}

func stepsEqual(got []orderflow.Step, want ...orderflow.Step) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// decided reports whether a is the decision want, taken at some time (the
// time is not compared).
func decided(a, want orderflow.Approval) bool {
	if a.DecidedAt.IsZero() {
		return false
	}
	a.DecidedAt = time.Time{}
	return a == want
}

// page is one page of a listing.
type page struct {
	Orders        []orderflow.OrderSummary
	NextPageToken string
}

// asPage takes what Client.ListOrders returns.
func asPage(orders []orderflow.OrderSummary, next string, err error) (page, error) {
	return page{Orders: orders, NextPageToken: next}, err
}
