package conn

import (
	"context"
	"errors"
	"flag"

	"go.opentelemetry.io/otel"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"

	"github.com/orderflow/orderflow/examples/internal/telemetry"
)

// TelemetryFlags are the -metrics and -otlp flags of the programs that run
// orders (the worker and the demo).
type TelemetryFlags struct {
	// MetricsAddr is the host:port to serve Prometheus metrics on, at
	// /metrics; empty for none.
	MetricsAddr string
	// OTLP is the OTLP/HTTP endpoint to export spans to. If empty,
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT,
	// when set, turn tracing on; otherwise nothing is traced.
	OTLP string
}

// Register adds -metrics and -otlp to fs.
func (f *TelemetryFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.MetricsAddr, "metrics", "",
		"serve Prometheus metrics at http://`addr`/metrics, e.g. 127.0.0.1:9464 (default: none)")
	fs.StringVar(&f.OTLP, "otlp", "",
		"export traces over OTLP/HTTP to this `endpoint`, e.g. http://localhost:4318 "+
			"(default $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else $OTEL_EXPORTER_OTLP_ENDPOINT, else none)")
}

// Telemetry is what the flags started: the metrics server and the span
// exporter, either of which may be off.
type Telemetry struct {
	// Metrics serves the metrics; nil when -metrics was not given.
	Metrics *telemetry.Metrics
	// Tracing exports the spans; nil when tracing is off.
	Tracing *telemetry.Tracing
}

// Start starts what the flags ask for. service names the program in its
// spans (service.name). When tracing is on, it also makes the exporter's
// tracer provider and W3C trace-context propagation OpenTelemetry's global
// ones, for the program's own spans and instrumented HTTP clients, and
// logs OpenTelemetry's errors (a collector out of reach) at WARN. Close
// what it returns, also when it is empty.
func (f *TelemetryFlags) Start(ctx context.Context, service string, logger log.Logger) (*Telemetry, error) {
	t := &Telemetry{}
	if f.MetricsAddr != "" {
		m, err := telemetry.ServeMetrics(f.MetricsAddr, logger)
		if err != nil {
			return nil, err
		}
		t.Metrics = m
	}
	if f.OTLP != "" || telemetry.OTLPEndpointFromEnv() != "" {
		tr, err := telemetry.ExportOTLP(ctx, f.OTLP, service)
		if err != nil {
			t.Close(ctx)
			return nil, err
		}
		t.Tracing = tr
		otel.SetTracerProvider(tr.Provider)
		otel.SetTextMapPropagator(telemetry.Propagator())
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			logger.Warn("OpenTelemetry", "Error", err)
		}))
	}
	return t, nil
}

// MetricsHandler is the handler that metrics go to, for
// orderflow.Options.MetricsHandler; nil when metrics are off.
func (t *Telemetry) MetricsHandler() client.MetricsHandler {
	if t == nil || t.Metrics == nil {
		return nil
	}
	return t.Metrics.Handler
}

// Apply sets the metrics handler and the tracing interceptor in opts, for
// the client and the workers made from it. Pass it to Flags.Dial.
func (t *Telemetry) Apply(opts *client.Options) {
	if t == nil {
		return
	}
	if t.Metrics != nil {
		opts.MetricsHandler = t.Metrics.Handler
	}
	if t.Tracing != nil {
		opts.Interceptors = append([]interceptor.ClientInterceptor{t.Tracing.Interceptor}, opts.Interceptors...)
	}
}

// Close flushes the metrics and spans not yet handed over and stops the
// metrics server, within ctx.
func (t *Telemetry) Close(ctx context.Context) error {
	if t == nil {
		return nil
	}
	var err error
	if t.Tracing != nil {
		err = errors.Join(err, t.Tracing.Close(ctx))
	}
	if t.Metrics != nil {
		err = errors.Join(err, t.Metrics.Close(ctx))
	}
	return err
}
