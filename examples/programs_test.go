package examples_test

import (
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/keys"
	"github.com/orderflow/orderflow/examples/internal/proctest"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/proto"
)

// binDir holds the example programs, built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	proctest.Main(m, &binDir, "./demo", "./worker", "./starter", "./approve", "./devserver")
}

// The package's tests run the programs in binDir by name, with these
// shorthands for proctest's helpers.

// syncBuffer is a bytes.Buffer safe for a process writing and a test reading.
type syncBuffer = proctest.Buffer

// environ returns the test process's environment without TEMPORAL_* (or
// OTEL_*) settings, with the given ones added and the user's temporal.toml
// hidden.
func environ(t *testing.T, kv ...string) []string {
	return proctest.Environ(t, kv...)
}

// With -address, the tests that take their server from serverEnv run
// against the server at that address instead of one of their own: the
// cluster program's test runs the Python demo's walkthrough and CLI
// commands that way against a cluster. They use the demo's fixed order IDs,
// so run them once per server:
//
//	go test ./examples -run 'TestPythonDemoWalkthrough|TestTemporalCLI' -args -address 127.0.0.1:7233
var (
	addressFlag   = flag.String("address", "", "run the tests that start a server against the one at host:port instead")
	namespaceFlag = flag.String("namespace", "default", "the namespace to run in, with -address")
)

// testServer is the Temporal server of a test and a client of it.
type testServer struct {
	address, namespace string
	client             client.Client
}

func (s *testServer) GetFrontendHostPort() string     { return s.address }
func (s *testServer) GetDefaultNamespace() string     { return s.namespace }
func (s *testServer) GetDefaultClient() client.Client { return s.client }

// serverEnv starts a temporaltest server for t, or connects to -address,
// and returns an environment that points the programs at it.
func serverEnv(t *testing.T) (*testServer, []string) {
	var s *testServer
	if *addressFlag != "" {
		c, err := client.Dial(client.Options{HostPort: *addressFlag, Namespace: *namespaceFlag})
		require.NoError(t, err)
		t.Cleanup(c.Close)
		s = &testServer{address: *addressFlag, namespace: *namespaceFlag, client: c}
	} else {
		ts := temporaltest.NewServer(temporaltest.WithT(t))
		s = &testServer{address: ts.GetFrontendHostPort(), namespace: ts.GetDefaultNamespace(), client: ts.GetDefaultClient()}
	}
	return s, environ(t, "TEMPORAL_ADDRESS="+s.address, "TEMPORAL_NAMESPACE="+s.namespace)
}

// result is how a program run ended.
type result struct {
	stdout, stderr string
	code           int
}

// runProgram runs an example program to its end, or kills it at the test's
// deadline (shortly before go test's -timeout).
func runProgram(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	r := proctest.Run(t, env, filepath.Join(binDir, name), args...)
	return result{r.Stdout, r.Stderr, r.Code}
}

// run runs an example program to its end, within timeout (and the test's
// deadline). Prefer runProgram: a budget sized for one machine fails on a
// slower one.
func run(t *testing.T, env []string, timeout time.Duration, name string, args ...string) result {
	t.Helper()
	r := proctest.RunUntil(t, time.Now().Add(timeout), env, filepath.Join(binDir, name), args...)
	return result{r.Stdout, r.Stderr, r.Code}
}

// process is an example program running in the background.
type process struct {
	*proctest.Process
	output fmt.Stringer // stdout and stderr
}

// start starts an example program and waits until its output contains ready.
func start(t *testing.T, env []string, ready, name string, args ...string) *process {
	t.Helper()
	p := proctest.Start(t, env, ready, filepath.Join(binDir, name), args...)
	return &process{p, stringFunc(p.Output)}
}

// interrupt sends SIGINT and returns the exit code, failing t unless the
// process ends by the test's deadline.
func (p *process) interrupt(t *testing.T) int {
	t.Helper()
	return p.Interrupt(t)
}

// stringFunc is a fmt.Stringer that calls itself.
type stringFunc func() string

func (f stringFunc) String() string { return f() }

var (
	transactionID = regexp.MustCompile(`Transaction ID: TXN-[0-9A-F]{12}\n`)
	reservationID = regexp.MustCompile(`Reservation ID: RES-[0-9A-F]{12}\n`)
	trackingNo    = regexp.MustCompile(`Tracking Number: TRACK-[0-9A-F]{16}\n`)
	estimated     = regexp.MustCompile(`Estimated Delivery: \d{4}-\d{2}-\d{2}\n`)
	ruler         = strings.Repeat("=", 70) + "\n"
)

// assertSmallResult checks the Python demo's result block of the small order.
func assertSmallResult(t *testing.T, out, orderID string) {
	t.Helper()
	assert.Contains(t, out, "Starting order workflow for Alice Smith, order ID: "+orderID+", total: $89.95\nWaiting for workflow to complete...\n")
	assert.Contains(t, out, "\n"+ruler+"Order Result: COMPLETED\n"+ruler+"Order ID: "+orderID+"\nStatus: completed\nMessage: Order processed successfully\n")
	assert.Regexp(t, transactionID, out)
	assert.Regexp(t, reservationID, out)
	assert.Regexp(t, trackingNo, out)
	assert.Regexp(t, estimated, out)
	assert.Contains(t, out, "\n  Payment of $89.95 processed successfully\n")
	assert.Contains(t, out, "\n  Reserved 2 item(s) successfully\n")
	assert.Contains(t, out, "\n  Delivery scheduled to 123 Main St, Springfield, IL 62701\n"+ruler)
}

// TestPythonDemoWalkthrough follows the Python demo's README with the Go
// programs: worker, starter small, starter large, a raw query, approve.
func TestPythonDemoWalkthrough(t *testing.T) {
	t.Parallel()
	ts, env := serverEnv(t)
	worker := start(t, env, "Worker ready — polling", "worker", "-latency", "0")

	small := runProgram(t, env, "starter", "small")
	require.Equal(t, 0, small.code, small.stderr)
	assertSmallResult(t, small.stdout, "ORD-001")

	large := runProgram(t, env, "starter", "large")
	require.Equal(t, 0, large.code, large.stderr)
	assert.Contains(t, large.stdout, ruler+"⚠️  ORDER REQUIRES APPROVAL\n"+ruler+"Order ID: ORD-002\nAmount: $1899.97\n")
	assert.Contains(t, large.stdout, "To approve this order, run:\n  go run ./examples/approve ORD-002 approve\n")
	assert.Contains(t, large.stdout, "Workflow will wait up to 5 minutes for approval signal.\n")

	// The wire names still work for tools that know nothing of orderflow.
	v, err := ts.GetDefaultClient().QueryWorkflow(testctx.Context(t), "order-workflow-ORD-002", "", "get_approval_status")
	require.NoError(t, err)
	var status string
	require.NoError(t, v.Get(&status))
	assert.Equal(t, "pending", status)

	approve := runProgram(t, env, "approve", "ORD-002", "approve", "High-value customer - approved")
	require.Equal(t, 0, approve.code, approve.stderr)
	assert.Contains(t, approve.stdout, ruler+"✅ ORDER APPROVED\n"+ruler+"Order ID: ORD-002\nReason: High-value customer - approved\n"+ruler)
	assert.Contains(t, approve.stdout, "\nWorkflow completed with status: completed\nMessage: Order processed successfully\n")

	again := runProgram(t, env, "approve", "ORD-002", "approve")
	assert.Equal(t, 1, again.code)
	assert.Contains(t, again.stderr, "cannot approve order ORD-002: it is not awaiting approval")
	assert.NotContains(t, again.stdout, "ORDER APPROVED")

	missing := runProgram(t, env, "approve", "ORD-404", "reject")
	assert.Equal(t, 1, missing.code)
	assert.Contains(t, missing.stderr, "no such order")

	// The same order again attaches to it; another order under its ID is
	// refused.
	same := runProgram(t, env, "starter", "small")
	require.Equal(t, 0, same.code, same.stderr)
	assert.Contains(t, same.stdout, "Order Result")
	dup := runProgram(t, env, "starter", "-order-id", "ORD-002", "small")
	assert.Equal(t, 1, dup.code)
	assert.Contains(t, dup.stderr, "order already exists")
	assert.NotContains(t, dup.stdout, "Order Result")

	assert.Equal(t, 0, worker.interrupt(t), "worker exit code after SIGINT")
	assert.Contains(t, worker.output.String(), "Worker stopped")
	assert.NotContains(t, worker.output.String(), "alice@example.com", "worker logs a customer email")
	assert.NotContains(t, worker.output.String(), "123 Main St", "worker logs a customer address")
}

// demoBlocks checks the output of the demo's small and large scenarios.
func assertDemoSmallLarge(t *testing.T, out, suffix string) {
	t.Helper()
	assertSmallResult(t, out, "ORD-001"+suffix)
	assert.Regexp(t, regexp.MustCompile(`(?s)Waiting for workflow to complete...\n  ✓ payment processed\n  ✓ inventory reserved\n  ✓ delivery arranged\n  ✓ confirmation email sent\n\n=+\nOrder Result`), out,
		"progress lines before the result block")
	assert.Contains(t, out, ruler+"⚠️  ORDER REQUIRES APPROVAL\n"+ruler+"Order ID: ORD-002"+suffix+"\nAmount: $1899.97\n")
	assert.Contains(t, out, ruler+"✅ ORDER APPROVED\n"+ruler+"Order ID: ORD-002"+suffix+"\n")
	assert.Contains(t, out, "Workflow completed with status: completed\nMessage: Order processed successfully\n")
	assert.Contains(t, out, "All 2 scenarios ended as expected.")
}

// TestDemoEmbedded runs `go run ./examples/demo` as a newcomer would: no
// flags, no server.
func TestDemoEmbedded(t *testing.T) {
	t.Parallel()
	res := runProgram(t, environ(t), "demo")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "Started an embedded Temporal server")
	assertDemoSmallLarge(t, res.stdout, "")
	assert.Empty(t, res.stderr, "the SDK's log drowns the demo")
}

// TestDemoExistingServer runs the demo against a server given by -address,
// twice, to check that reruns do not collide, and with every scenario.
func TestDemoExistingServer(t *testing.T) {
	t.Parallel()
	ts, _ := serverEnv(t)
	// No TEMPORAL_ADDRESS: the address comes from -address.
	env := environ(t, "TEMPORAL_NAMESPACE="+ts.GetDefaultNamespace())
	addr := ts.GetFrontendHostPort()

	first := runProgram(t, env, "demo", "-address", addr, "-latency", "0")
	require.Equal(t, 0, first.code, first.stderr)
	suffix := regexp.MustCompile(`order ID: ORD-001(-[0-9A-F]{6}),`).FindStringSubmatch(first.stdout)
	require.NotNil(t, suffix, "order IDs on an existing server carry a suffix")
	assertDemoSmallLarge(t, first.stdout, suffix[1])

	// The reject scenario on its own, with the default approval timeout: a
	// short one would race the rejection on a slow machine.
	rejected := runProgram(t, env, "demo", "-address", addr, "-latency", "0", "-scenarios", "reject")
	require.Equal(t, 0, rejected.code, rejected.stderr)
	assert.Contains(t, rejected.stdout, "❌ ORDER REJECTED\n")
	assert.Contains(t, rejected.stdout, "Reason: Insufficient credit check\n")
	assert.Contains(t, rejected.stdout, "Workflow completed with status: rejected\nMessage: Order rejected: Insufficient credit check\n")
	assert.NotContains(t, rejected.stdout, "✓ payment processed", "a rejected order was charged")
	timedOut := runProgram(t, env, "demo", "-address", addr, "-latency", "0", "-scenarios", "timeout", "-approval-timeout", "2s")
	require.Equal(t, 0, timedOut.code, timedOut.stderr)
	assert.Contains(t, timedOut.stdout, "Workflow will wait up to 2 seconds for approval signal.\n")
	assert.Contains(t, timedOut.stdout, "Workflow completed with status: timed_out\nMessage: Order approval timed out after 2s; nothing was charged\n")
	assert.NotContains(t, timedOut.stdout, "✓ payment processed", "a timed-out order was charged")

	bad := runProgram(t, env, "demo", "-address", addr, "-scenarios", "nosuch")
	assert.Equal(t, 1, bad.code)
	assert.Contains(t, bad.stderr, `unknown scenario "nosuch"`)
}

// TestDevServerKeepsOrdersAcrossRestart starts an order on the dev server,
// restarts the server on the same database file, and approves the order.
func TestDevServerKeepsOrdersAcrossRestart(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	db := filepath.Join(t.TempDir(), "orders.db")
	env := environ(t, "TEMPORAL_ADDRESS="+addr)
	devArgs := []string{"-port", fmt.Sprint(port), "-db-file", db}

	server := start(t, env, "Temporal dev server listening on "+addr, "devserver", devArgs...)
	worker := start(t, env, "Worker ready — polling", "worker", "-latency", "0")
	large := runProgram(t, env, "starter", "large")
	require.Equal(t, 0, large.code, large.stderr)
	require.Equal(t, 0, server.interrupt(t), "devserver exit code after SIGINT")

	start(t, env, "Temporal dev server listening on "+addr, "devserver", devArgs...)
	// The devserver registers the search attributes of listed orders, on a
	// new state file and again (idempotently) on one that has them.
	c, err := client.Dial(client.Options{HostPort: addr})
	require.NoError(t, err)
	defer c.Close()
	_, err = orderflow.NewClient(c, &orderflow.Options{Visibility: true})
	require.NoError(t, err, "NewClient with Visibility against the devserver")
	approve := runProgram(t, env, "approve", "ORD-002", "approve")
	require.Equal(t, 0, approve.code, approve.stderr)
	assert.Contains(t, approve.stdout, "Reason: Approved by manager\n")
	assert.Contains(t, approve.stdout, "Workflow completed with status: completed\n")
	assert.Equal(t, 0, worker.interrupt(t), "worker exit code after SIGINT")
}

// freePort returns a port n such that the devserver's ports (n for the
// frontend, n+100 … n+103 for membership) are free now.
func freePort(t *testing.T) int {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		n := l.Addr().(*net.TCPAddr).Port
		l.Close()
		free := true
		for _, p := range []int{n + 100, n + 101, n + 102, n + 103} {
			m, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				free = false
				break
			}
			m.Close()
		}
		if free {
			return n
		}
	}
	t.Fatal("no free port with free membership ports n+100 … n+103")
	return 0
}

// TestEncryptedWalkthrough runs the Python demo's walkthrough with
// encryption keys in the environment, rotating the key mid-run: the
// programs read their orders, the server holds no customer data in plain
// text, and a program without the keys fails clearly.
func TestEncryptedWalkthrough(t *testing.T) {
	t.Parallel()
	ts, env := serverEnv(t)
	k1, err := keys.Generate("k1")
	require.NoError(t, err)
	k2, err := keys.Generate("k2")
	require.NoError(t, err)
	withKeys := func(ks string) []string { return append(append([]string(nil), env...), keys.EnvVar+"="+ks) }

	worker := start(t, withKeys(k1), "Worker ready — polling", "worker", "-latency", "0")
	small := runProgram(t, withKeys(k1), "starter", "small")
	require.Equal(t, 0, small.code, small.stderr)
	assertSmallResult(t, small.stdout, "ORD-001")
	large := runProgram(t, withKeys(k1), "starter", "large")
	require.Equal(t, 0, large.code, large.stderr)

	// Rotate while ORD-002 waits: k2 current, k1 kept to read what it wrote.
	assert.Equal(t, 0, worker.interrupt(t))
	rotated := withKeys(k2 + "," + k1)
	worker = start(t, rotated, "Worker ready — polling", "worker", "-latency", "0")
	// A program without the keys cannot read an order: here the starter,
	// which attaches to ORD-001 and reads its history.
	blind := runProgram(t, env, "starter", "small")
	assert.Equal(t, 1, blind.code, "starter without the keys: %s", blind.stdout)
	assert.Contains(t, blind.stderr, "binary/encrypted")
	assert.NotContains(t, blind.stdout, "Order Result")
	approve := runProgram(t, rotated, "approve", "ORD-002", "approve", "High-value customer - approved")
	require.Equal(t, 0, approve.code, approve.stderr)
	assert.Contains(t, approve.stdout, "\nWorkflow completed with status: completed\n")
	assert.Equal(t, 0, worker.interrupt(t))

	// What the server holds: no customer data, payloads under both keys.
	ctx := testctx.Context(t)
	for _, id := range []string{"ORD-001", "ORD-002"} {
		it := ts.GetDefaultClient().GetWorkflowHistory(ctx, orderflow.WorkflowID(id), "", false, 0)
		var raw []byte
		for it.HasNext() {
			ev, err := it.Next()
			require.NoError(t, err)
			b, err := proto.Marshal(ev)
			require.NoError(t, err)
			raw = append(raw, b...)
		}
		for _, private := range []string{"Alice Smith", "alice@example.com", "Bob Johnson", "bob@example.com", "Main St", "Oak Ave", "Laptop", "Wireless Mouse"} {
			assert.NotContains(t, string(raw), private, "history of %s", id)
		}
		if id == "ORD-002" {
			assert.Contains(t, string(raw), "k1", "payloads written before the rotation")
			assert.Contains(t, string(raw), "k2", "payloads written after it")
		}
	}
}
