package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/examples/internal/cluster"
	"github.com/orderflow/orderflow/examples/internal/proctest"
	"github.com/orderflow/orderflow/examples/internal/testctx"
)

// binDir holds the cluster program, built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	proctest.Main(m, &binDir, ".")
}

var (
	readyLine  = regexp.MustCompile(`Temporal cluster ready: frontend (\S+), namespace (\S+), (\d+) history shards`)
	pidLine    = regexp.MustCompile(`(?m)^  (\S+)\s+pid (\d+)`)
	logsLine   = regexp.MustCompile(`(?m)^Logs: (\S+)/logs$`)
	workersLen = 3
)

// TestClusterRunsTheSuites starts the cluster program as a user does, with
// three orderflow worker processes, and runs against its frontend, from
// other processes: the Python demo's walkthrough (starter and approve) and
// its Temporal CLI commands, then the whole integration suite. Ctrl-C then
// stops every process and removes the cluster's directory.
func TestClusterRunsTheSuites(t *testing.T) {
	if err := cluster.Available(); err != nil {
		if os.Getenv(cluster.RequireEnv) == "1" {
			t.Fatal(err)
		}
		t.Skipf("%v (set %s=1 to fail instead)", err, cluster.RequireEnv)
	}
	cluster.Exclusive(t)
	p := proctest.Start(t, proctest.Environ(t), "Ctrl-C stops the cluster.", filepath.Join(binDir, "cluster"),
		"-workers", strconv.Itoa(workersLen), "-latency", "0.05")
	out := p.Output()
	m := readyLine.FindStringSubmatch(out)
	require.NotNil(t, m, "ready line in:\n%s", out)
	address, namespace := m[1], m[2]
	assert.Equal(t, "default", namespace)
	assert.Equal(t, "16", m[3])
	pids := map[string]int{}
	for _, pm := range pidLine.FindAllStringSubmatch(out, -1) {
		pids[pm[1]], _ = strconv.Atoi(pm[2])
	}
	for _, name := range append(append([]string(nil), cluster.Names...), "postgres", "worker-1", "worker-2", "worker-3") {
		require.NotZero(t, pids[name], "pid of %s in:\n%s", name, out)
	}
	logs := logsLine.FindStringSubmatch(out)
	require.NotNil(t, logs, "logs line in:\n%s", out)

	// The three worker processes poll the demo's task queue.
	ctx := testctx.Context(t)
	tc, err := client.DialContext(ctx, client.Options{HostPort: address, Namespace: namespace})
	require.NoError(t, err)
	defer tc.Close()
	pollers := map[string]bool{}
	for len(pollers) < workersLen && ctx.Err() == nil {
		d, err := tc.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace: namespace,
			TaskQueue: &taskqueuepb.TaskQueue{Name: "order-task-queue", Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		})
		require.NoError(t, err)
		for _, poller := range d.GetPollers() {
			pollers[poller.GetIdentity()] = true
		}
		time.Sleep(100 * time.Millisecond)
	}
	assert.Len(t, pollers, workersLen, "workflow pollers of order-task-queue: %v", pollers)

	// The demo's fixed order IDs need the fresh cluster: these run first.
	goTest(t, ctx, "..", "-run", "^(TestPythonDemoWalkthrough|TestTemporalCLI)$", "-args", "-address", address)
	goTest(t, ctx, "../integration", "-args", "-address", address)

	assert.Equal(t, 0, p.Interrupt(t), "exit code after Ctrl-C")
	assert.Contains(t, p.Output(), "cluster stopped")
	for name, pid := range pids {
		assert.False(t, syscall.Kill(pid, 0) == nil, "%s (pid %d) outlives the cluster", name, pid)
	}
	_, err = os.Stat(logs[1])
	assert.True(t, os.IsNotExist(err), "the cluster's directory %s is left behind (%v)", logs[1], err)
}

// goTest runs go test on the package in dir with args, and fails t with
// its output unless it passes.
func goTest(t *testing.T, ctx context.Context, dir string, args ...string) {
	t.Helper()
	full := append([]string{"test", "-count=1", "-timeout", timeoutLeft(t)}, args...)
	cmd := exec.CommandContext(ctx, "go", full...)
	cmd.Dir = dir
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(full, " "), dir, err, out)
	}
	t.Logf("go %s in %s passed in %v", strings.Join(full, " "), dir, time.Since(t0).Round(time.Second))
}

// timeoutLeft is go test's -timeout for a child run: what is left of this
// test's time.
func timeoutLeft(t *testing.T) string {
	return time.Until(testctx.Deadline(t)).Round(time.Second).String()
}
