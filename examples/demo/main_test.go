package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/examples/internal/testctx"
)

// demoBin is the demo program, built once by TestMain.
var demoBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "orderflow-demo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	demoBin = filepath.Join(dir, "demo")
	build := exec.Command("go", "build", "-o", demoBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the demo:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects a process's output for a test to read meanwhile.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var metricsLine = regexp.MustCompile(`(?m)^Prometheus metrics at (http://\S+/metrics)$`)

// TestDemoServesMetrics runs the demo on its embedded server with -metrics:
// it prints the URL once, runs the small scenario, keeps serving the
// metrics of its order (the SDK's and orderflow's) until Ctrl-C, and then
// stops, and with it the metrics server.
func TestDemoServesMetrics(t *testing.T) {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "TEMPORAL_") && !strings.HasPrefix(e, "OTEL_") {
			env = append(env, e)
		}
	}
	env = append(env, "TEMPORAL_CONFIG_FILE="+filepath.Join(t.TempDir(), "absent.toml"))
	cmd := exec.Command(demoBin, "-latency", "0", "-scenarios", "small", "-metrics", "127.0.0.1:0")
	cmd.Env = env
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-done
		}
	})

	deadline := time.After(time.Until(testctx.Deadline(t)))
	for !strings.Contains(out.String(), "until you press Ctrl-C.") {
		select {
		case err := <-done:
			t.Fatalf("the demo exited before it waited for Ctrl-C (%v):\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("the demo did not wait for Ctrl-C by the test's deadline:\n%s", out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	urls := metricsLine.FindAllStringSubmatch(out.String(), -1)
	require.Len(t, urls, 1, "the demo prints its metrics URL once:\n%s", out.String())
	url := urls[0][1]
	assert.Contains(t, out.String(), "The metrics are at "+url+" until you press Ctrl-C.")
	assert.Contains(t, out.String(), "All 1 scenarios ended as expected.")

	// What the worker and the client recorded reaches the registry within
	// a second of the order's end.
	var text string
	for !strings.Contains(text, "orderflow_orders_ended_total{") || !strings.Contains(text, "temporal_workflow_completed_total{") {
		select {
		case <-deadline:
			t.Fatalf("by the test's deadline, %s serves:\n%s", url, text)
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(url)
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		text = string(body)
	}
	assert.Regexp(t, `orderflow_orders_ended_total\{[^}]*status="completed"`, text)
	assert.Regexp(t, `orderflow_provider_latency_seconds_count\{[^}]*operation="charge"[^}]*provider="payment"`, text)
	assert.NotContains(t, text, "ORD-001", "the metrics name an order")

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	select {
	case err := <-done:
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			t.Fatalf("the demo exited %d after Ctrl-C:\n%s", exitErr.ExitCode(), out.String())
		}
		require.NoError(t, err)
	case <-deadline:
		t.Fatalf("the demo did not stop after SIGINT by the test's deadline:\n%s", out.String())
	}
	_, err := http.Get(url)
	assert.Error(t, err, "the demo still serves metrics after it stopped")
}
