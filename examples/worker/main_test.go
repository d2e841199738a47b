package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/server/temporaltest"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/proctest"
	"github.com/orderflow/orderflow/examples/internal/telemetry"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/orderflow/orderflow/orderflowtest"
)

// binDir holds the worker, built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	proctest.Main(m, &binDir, ".")
}

var metricsURL = regexp.MustCompile(`msg="Serving Prometheus metrics" URL=(http://\S+/metrics)`)

// TestMetricsEndpoint runs the worker with -metrics on a free port, runs a
// small order and an approved large one through it, and reads the
// Prometheus text it serves: the SDK's series and orderflow's, with their
// tags, and no order ID or customer data in any of them.
func TestMetricsEndpoint(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	env := proctest.Environ(t, "TEMPORAL_ADDRESS="+ts.GetFrontendHostPort(), "TEMPORAL_NAMESPACE="+ts.GetDefaultNamespace())
	w := proctest.Start(t, env, "Worker ready — polling", filepath.Join(binDir, "worker"), "-latency", "0", "-metrics", "127.0.0.1:0")
	logged := metricsURL.FindAllStringSubmatch(w.Output(), -1)
	require.Len(t, logged, 1, "the worker logs its metrics URL once:\n%s", w.Output())
	url := logged[0][1]

	ctx := testctx.Context(t)
	orders, err := orderflow.NewClient(ts.GetDefaultClient(), &orderflow.Options{CallTimeout: time.Minute})
	require.NoError(t, err)
	small, large := orderflowtest.SmallOrder("ORD-METRICS-1"), orderflowtest.LargeOrder("ORD-METRICS-2")
	state, err := orders.Execute(ctx, small)
	require.NoError(t, err)
	require.Equal(t, orderflow.StatusCompleted, state.Status)
	co, err := orders.Checkout(ctx, large)
	require.NoError(t, err)
	require.True(t, co.AwaitingApproval(), "the large order waits for approval")
	_, err = orders.Approve(ctx, large.OrderID, orderflow.Decision{Approver: "manager@example.com", Reason: "ok"})
	require.NoError(t, err)
	state, err = orders.Result(ctx, large.OrderID)
	require.NoError(t, err)
	require.Equal(t, orderflow.StatusCompleted, state.Status)

	// The handler hands the registry what it counted every second: read
	// until every series is there, or the test's deadline.
	want := []seriesCheck{
		{name: "temporal_workflow_completed_total", labels: map[string]string{"workflow_type": "OrderWorkflow"}, atLeast: 2},
		{name: "temporal_workflow_task_execution_latency_seconds", labels: map[string]string{"workflow_type": "OrderWorkflow"}, atLeast: 1},
		{name: "temporal_activity_execution_latency_seconds", labels: map[string]string{"activity_type": "process_payment"}, atLeast: 2},
		{name: "orderflow_orders_started_total", labels: map[string]string{"approval_required": "false", "mode": "default"}, atLeast: 1},
		{name: "orderflow_orders_started_total", labels: map[string]string{"approval_required": "true", "mode": "default"}, atLeast: 1},
		{name: "orderflow_orders_ended_total", labels: map[string]string{"status": "completed"}, keys: []string{"reason"}, atLeast: 2},
		{name: "orderflow_approval_wait_seconds", labels: map[string]string{"outcome": "approved"}, atLeast: 1},
		{name: "orderflow_provider_latency_seconds", labels: map[string]string{"provider": "payment", "operation": "charge"}, keys: []string{"outcome"}, atLeast: 2},
		{name: "orderflow_provider_latency_seconds", labels: map[string]string{"provider": "inventory", "operation": "reserve"}, keys: []string{"outcome"}, atLeast: 2},
		{name: "orderflow_provider_latency_seconds", labels: map[string]string{"provider": "delivery", "operation": "arrange"}, keys: []string{"outcome"}, atLeast: 2},
		{name: "orderflow_provider_latency_seconds", labels: map[string]string{"provider": "email", "operation": "send"}, keys: []string{"outcome"}, atLeast: 2},
	}
	var text string
	var families map[string]*dto.MetricFamily
	var missing []string
	for {
		text, families, err = scrape(url)
		if err == nil {
			missing = nil
			for _, c := range want {
				if msg := c.check(families); msg != "" {
					missing = append(missing, msg)
				}
			}
			if len(missing) == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("by the test's deadline, %s serves (error %v):\n%s\nmissing:\n%s", url, err, text, strings.Join(missing, "\n"))
		case <-time.After(100 * time.Millisecond):
		}
	}

	// Timers are histograms, with buckets from a millisecond to half an hour.
	payment := families["orderflow_provider_latency_seconds"]
	require.Equal(t, dto.MetricType_HISTOGRAM, payment.GetType())
	buckets := payment.GetMetric()[0].GetHistogram().GetBucket()
	require.Len(t, buckets, len(telemetry.LatencyBuckets)+1, "the buckets and +Inf")
	assert.Equal(t, 0.001, buckets[0].GetUpperBound())
	assert.Equal(t, 1800.0, buckets[len(buckets)-2].GetUpperBound())
	assert.True(t, math.IsInf(buckets[len(buckets)-1].GetUpperBound(), 1))
	assert.Contains(t, families, "go_goroutines", "the Go runtime's metrics")

	// Tags carry no order IDs and no customer data.
	for _, order := range []orderflow.Order{small, large} {
		secrets := []string{order.OrderID, order.CustomerName, order.CustomerEmail, order.ShippingAddress}
		for _, it := range order.Items {
			secrets = append(secrets, it.ProductName)
		}
		for _, s := range secrets {
			assert.NotContains(t, text, s, "the metrics name an order or a customer")
		}
	}

	require.Equal(t, 0, w.Interrupt(t), "exit code after SIGINT:\n%s", w.Output())
	assert.Contains(t, w.Output(), "Worker stopped")
	_, err = http.Get(url)
	assert.Error(t, err, "the worker still serves metrics after it stopped")
}

// TestMetricsAddressRefused checks that a -metrics address the worker cannot
// listen on stops it at once, with the address in the error.
func TestMetricsAddressRefused(t *testing.T) {
	res := proctest.Run(t, proctest.Environ(t, "TEMPORAL_ADDRESS=127.0.0.1:1"), filepath.Join(binDir, "worker"), "-metrics", "127.0.0.1:not-a-port")
	assert.Equal(t, 1, res.Code)
	assert.Contains(t, res.Stdout+res.Stderr, "serve metrics on 127.0.0.1:not-a-port")
}

// scrape reads the Prometheus text at url.
func scrape(url string) (string, map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	var body strings.Builder
	var parser expfmt.TextParser
	families, err := parser.TextToMetricFamilies(io.TeeReader(resp.Body, &body))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body.String(), families, err
}

// seriesCheck wants a series of a family with these label values and
// label keys, that counted at least atLeast (a counter's value, a
// histogram's sample count).
type seriesCheck struct {
	name    string
	labels  map[string]string
	keys    []string
	atLeast float64
}

// check returns what is wrong, or "".
func (c seriesCheck) check(families map[string]*dto.MetricFamily) string {
	f, ok := families[c.name]
	if !ok {
		return "no " + c.name
	}
	best := -1.0
series:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range c.labels {
			if have[k] != v {
				continue series
			}
		}
		for _, k := range c.keys {
			if _, ok := have[k]; !ok {
				continue series
			}
		}
		n := m.GetCounter().GetValue()
		if h := m.GetHistogram(); h != nil {
			n = float64(h.GetSampleCount())
		}
		if n >= c.atLeast {
			return ""
		}
		best = max(best, n)
	}
	if best < 0 {
		return fmt.Sprintf("%s has no series with labels %v and keys %v", c.name, c.labels, c.keys)
	}
	return fmt.Sprintf("%s%v counted %v, want at least %v", c.name, c.labels, best, c.atLeast)
}
