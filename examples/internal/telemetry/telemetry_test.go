package telemetry

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/interceptor"
)

// TestPrometheusNames checks the names, types, buckets and tag values that
// the handler gives the registry.
func TestPrometheusNames(t *testing.T) {
	reg := prom.NewRegistry()
	var refused []error
	h, closer := NewPrometheusHandler(reg, func(err error) { refused = append(refused, err) })
	h.WithTags(map[string]string{"status": "needs_attention", "task_queue": "order-task-queue"}).
		Counter("orderflow_orders_ended").Inc(2)
	h.WithTags(map[string]string{"provider": "payment", "operation": "charge", "outcome": "ok"}).
		Timer("orderflow_provider_latency").Record(1500 * time.Millisecond)
	h.Gauge("temporal_sticky_cache_size").Update(3)
	require.NoError(t, closer.Close()) // reports what is left

	families := map[string]*dto.MetricFamily{}
	got, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range got {
		families[f.GetName()] = f
	}
	ended := families["orderflow_orders_ended_total"]
	require.NotNil(t, ended, "counters get _total: %v", families)
	assert.Equal(t, dto.MetricType_COUNTER, ended.GetType())
	assert.Equal(t, 2.0, ended.GetMetric()[0].GetCounter().GetValue())
	labels := map[string]string{}
	for _, l := range ended.GetMetric()[0].GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	assert.Equal(t, map[string]string{"status": "needs_attention", "task_queue": "order-task-queue"}, labels,
		"tag values stay as they are")

	latency := families["orderflow_provider_latency_seconds"]
	require.NotNil(t, latency, "timers get _seconds: %v", families)
	assert.Equal(t, dto.MetricType_HISTOGRAM, latency.GetType())
	hist := latency.GetMetric()[0].GetHistogram()
	assert.Equal(t, uint64(1), hist.GetSampleCount())
	assert.InDelta(t, 1.5, hist.GetSampleSum(), 1e-9)
	require.Len(t, hist.GetBucket(), len(LatencyBuckets))
	for i, b := range hist.GetBucket() {
		assert.Equal(t, LatencyBuckets[i], b.GetUpperBound())
	}
	assert.Equal(t, dto.MetricType_GAUGE, families["temporal_sticky_cache_size"].GetType())
	assert.Empty(t, refused)
}

// TestServeMetrics serves metrics on a free port and stops.
func TestServeMetrics(t *testing.T) {
	m, err := ServeMetrics("127.0.0.1:0", nil)
	require.NoError(t, err)
	assert.Regexp(t, `^http://127\.0\.0\.1:[1-9][0-9]*/metrics$`, m.URL)
	m.Handler.Counter("orderflow_orders_started").Inc(1)

	var body string
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(body, "orderflow_orders_started_total 1") && time.Now().Before(deadline) {
		resp, err := http.Get(m.URL)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		time.Sleep(50 * time.Millisecond)
	}
	assert.Contains(t, body, "orderflow_orders_started_total 1")
	assert.Contains(t, body, "go_goroutines", "the Go runtime's metrics")

	require.NoError(t, m.Close(context.Background()))
	require.NoError(t, m.Close(context.Background()), "Close twice")
	_, err = http.Get(m.URL)
	assert.Error(t, err, "still serving after Close")

	_, err = ServeMetrics("127.0.0.1:not-a-port", nil)
	assert.ErrorContains(t, err, "serve metrics on 127.0.0.1:not-a-port")
}

func TestDisplayAddr(t *testing.T) {
	assert.Equal(t, "localhost:9464", displayAddr(&net.TCPAddr{IP: net.IPv6zero, Port: 9464}))
	assert.Equal(t, "localhost:9464", displayAddr(&net.TCPAddr{IP: net.IPv4zero, Port: 9464}))
	assert.Equal(t, "127.0.0.1:9464", displayAddr(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9464}))
}

func TestOTLPURL(t *testing.T) {
	for in, want := range map[string]string{
		"localhost:4318":                       "http://localhost:4318/v1/traces",
		"http://collector:4318":                "http://collector:4318/v1/traces",
		"https://collector.example.com/":       "https://collector.example.com/v1/traces",
		"http://collector:4318/custom/traces":  "http://collector:4318/custom/traces",
		"http://collector:4318/v1/traces?x=1":  "http://collector:4318/v1/traces?x=1",
		"https://otlp.example.com:443/v1/tra":  "https://otlp.example.com:443/v1/tra",
		"http://127.0.0.1:4318/v1/traces#frag": "http://127.0.0.1:4318/v1/traces#frag",
	} {
		got, err := otlpURL(in)
		if assert.NoError(t, err, in) {
			assert.Equal(t, want, got, in)
		}
	}
	for _, bad := range []string{"ftp://collector:21", "http://", "://x"} {
		_, err := otlpURL(bad)
		assert.Error(t, err, bad)
	}
}

// TestDurableSpanIDs checks that the spans of a workflow run and of an
// Update get the same IDs on every replay, and other spans random ones.
func TestDurableSpanIDs(t *testing.T) {
	run := &interceptor.TracerStartSpanOptions{Operation: "RunWorkflow", Name: "OrderWorkflow",
		Tags: map[string]string{AttrWorkflowID: "order-workflow-ORD-1", AttrRunID: "run-1"}}
	update := &interceptor.TracerStartSpanOptions{Operation: "HandleUpdate", Name: "approve",
		Tags: map[string]string{AttrWorkflowID: "order-workflow-ORD-1", AttrRunID: "run-1", AttrUpdateID: "u-1"}}
	activity := &interceptor.TracerStartSpanOptions{Operation: "StartActivity", Name: "process_payment",
		Tags: map[string]string{AttrWorkflowID: "order-workflow-ORD-1", AttrRunID: "run-1"}}
	assert.NotEmpty(t, durableKey(run))
	assert.NotEmpty(t, durableKey(update))
	assert.NotEqual(t, durableKey(run), durableKey(update))
	assert.Empty(t, durableKey(activity))
	assert.Empty(t, durableKey(&interceptor.TracerStartSpanOptions{Operation: "RunWorkflow"}), "no run ID")

	var g idGenerator
	ctx := context.WithValue(context.Background(), spanKeyContextKey{}, durableKey(run))
	tid1, sid1 := g.NewIDs(ctx)
	tid2, sid2 := g.NewIDs(ctx)
	assert.True(t, tid1.IsValid() && sid1.IsValid())
	assert.Equal(t, tid1, tid2)
	assert.Equal(t, sid1, sid2)
	parent := trace.TraceID{1, 2, 3}
	assert.Equal(t, g.NewSpanID(ctx, parent), g.NewSpanID(ctx, parent))
	other := context.WithValue(context.Background(), spanKeyContextKey{}, durableKey(update))
	assert.NotEqual(t, g.NewSpanID(ctx, parent), g.NewSpanID(other, parent))

	r1, s1 := g.NewIDs(context.Background())
	r2, s2 := g.NewIDs(context.Background())
	assert.True(t, r1.IsValid() && s1.IsValid())
	assert.NotEqual(t, r1, r2)
	assert.NotEqual(t, s1, s2)
	assert.NotEqual(t, g.NewSpanID(context.Background(), parent), g.NewSpanID(context.Background(), parent))
}
