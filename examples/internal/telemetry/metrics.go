package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
	"unicode"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.temporal.io/sdk/log"
)

// LatencyBuckets are the upper bounds, in seconds, of the histograms that
// timers become: from a millisecond (a workflow task, a Temporal request)
// through the seconds of a provider call to half an hour (an approval wait,
// 5 minutes by default; an order's end-to-end latency).
var LatencyBuckets = []float64{
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800,
}

// sanitizeOptions are the SDK's Prometheus sanitize options for names and
// label keys, but leave label values alone: Prometheus takes any text
// there, and a task queue or namespace reads as the one configured
// (order-task-queue, not order_task_queue).
var sanitizeOptions = tally.SanitizeOptions{
	NameCharacters:       sdktally.PrometheusSanitizeOptions.NameCharacters,
	KeyCharacters:        sdktally.PrometheusSanitizeOptions.KeyCharacters,
	ValueCharacters:      tally.ValidCharacters{Ranges: []tally.SanitizeRange{{0, unicode.MaxRune}}},
	ReplacementCharacter: tally.DefaultReplacementCharacter,
}

// reportInterval is how often the tally scope hands what it counted to the
// Prometheus registry.
const reportInterval = time.Second

// NewPrometheusHandler returns a Temporal metrics handler that records into
// reg with Prometheus names: counters get _total, timers _seconds and
// become histograms with LatencyBuckets (temporal_workflow_completed is
// temporal_workflow_completed_total; orderflow_provider_latency is
// orderflow_provider_latency_seconds_bucket, _sum and _count). What the
// handler records reaches reg within a second. onError, if not nil, is
// told of a metric that the registry refused (one name with two sets of
// tag keys); the default is to drop it. Close the returned io.Closer to
// stop the handler and hand reg what it has left.
func NewPrometheusHandler(reg *prom.Registry, onError func(error)) (client.MetricsHandler, io.Closer) {
	if onError == nil {
		onError = func(error) {}
	}
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:              reg,
		DefaultTimerType:        tallyprom.HistogramTimerType,
		DefaultHistogramBuckets: LatencyBuckets,
		OnRegisterError:         onError,
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:         reporter,
		Separator:              tallyprom.DefaultSeparator,
		SanitizeOptions:        &sanitizeOptions,
		OmitCardinalityMetrics: true,
	}, reportInterval)
	return sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)), closer
}

// Metrics serves the metrics of a Temporal client (the SDK's, temporal_*,
// and those that workflows and activities emit through it, orderflow_*), and
// the Go runtime's and the process's, as Prometheus text over HTTP.
type Metrics struct {
	// Handler is the metrics handler to set in client.Options (and in
	// orderflow.Options, for the Client's own metric).
	Handler client.MetricsHandler
	// URL is where the metrics are served: http://host:port/metrics.
	URL string

	closer   io.Closer
	srv      *http.Server
	served   chan error
	closeErr error
	once     sync.Once
}

// ServeMetrics listens on addr (host:port; port 0 picks a free one) and
// serves the metrics of Metrics.Handler at /metrics until Close. A metric
// the registry refuses is logged once, at WARN.
func ServeMetrics(addr string, logger log.Logger) (*Metrics, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve metrics on %s: %w", addr, err)
	}
	reg := prom.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var refused sync.Map
	handler, closer := NewPrometheusHandler(reg, func(err error) {
		if _, seen := refused.LoadOrStore(err.Error(), true); !seen && logger != nil {
			logger.Warn("A metric was not registered", "Error", err)
		}
	})
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	m := &Metrics{
		Handler: handler,
		URL:     "http://" + displayAddr(l.Addr()) + "/metrics",
		closer:  closer,
		srv:     &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		served:  make(chan error, 1),
	}
	go func() { m.served <- m.srv.Serve(l) }()
	return m, nil
}

// Close stops the handler, then the HTTP server, waiting for the scrapes
// in progress until ctx ends.
func (m *Metrics) Close(ctx context.Context) error {
	m.once.Do(func() {
		err := m.closer.Close()
		if serr := m.srv.Shutdown(ctx); serr != nil {
			err = errors.Join(err, serr, m.srv.Close())
		}
		if serr := <-m.served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		m.closeErr = err
	})
	return m.closeErr
}

// displayAddr is a listener's address as a person would type it: the
// loopback name when it listens on every interface.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))
}
