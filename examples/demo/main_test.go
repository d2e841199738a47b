package main

import (
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/examples/internal/proctest"
	"github.com/orderflow/orderflow/examples/internal/testctx"
)

// binDir holds the demo, built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	proctest.Main(m, &binDir, ".")
}

var metricsLine = regexp.MustCompile(`(?m)^Prometheus metrics at (http://\S+/metrics)$`)

// TestDemoServesMetrics runs the demo on its embedded server with -metrics:
// it prints the URL once, runs the small scenario, keeps serving the
// metrics of its order (the SDK's and orderflow's) until Ctrl-C, and then
// stops, and with it the metrics server.
func TestDemoServesMetrics(t *testing.T) {
	demo := proctest.Start(t, proctest.Environ(t), "until you press Ctrl-C.", filepath.Join(binDir, "demo"),
		"-latency", "0", "-scenarios", "small", "-metrics", "127.0.0.1:0")
	urls := metricsLine.FindAllStringSubmatch(demo.Output(), -1)
	require.Len(t, urls, 1, "the demo prints its metrics URL once:\n%s", demo.Output())
	url := urls[0][1]
	assert.Contains(t, demo.Output(), "The metrics are at "+url+" until you press Ctrl-C.")
	assert.Contains(t, demo.Output(), "All 1 scenarios ended as expected.")

	// What the worker and the client recorded reaches the registry within
	// a second of the order's end.
	deadline := time.After(time.Until(testctx.Deadline(t)))
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

	if code := demo.Interrupt(t); code != 0 {
		t.Fatalf("the demo exited %d after Ctrl-C:\n%s", code, demo.Output())
	}
	_, err := http.Get(url)
	assert.Error(t, err, "the demo still serves metrics after it stopped")
}
