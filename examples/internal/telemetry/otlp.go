package telemetry

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.temporal.io/sdk/interceptor"
)

// The OpenTelemetry environment variables that name where OTLP spans go;
// the exporter reads them (and OTEL_EXPORTER_OTLP_HEADERS and the like)
// when no endpoint is given.
const (
	EnvOTLPEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvOTLPTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
)

// OTLPEndpointFromEnv returns the OTLP traces endpoint that the environment
// names, or "" when it names none.
func OTLPEndpointFromEnv() string {
	if e := os.Getenv(EnvOTLPTracesEndpoint); e != "" {
		return e
	}
	return os.Getenv(EnvOTLPEndpoint)
}

// Tracing exports spans over OTLP/HTTP, and holds the Temporal interceptor
// that makes them.
type Tracing struct {
	// Provider makes the spans and batches them to the endpoint.
	Provider *sdktrace.TracerProvider
	// Interceptor is the Temporal client interceptor of
	// NewTracingInterceptor, with Provider's spans.
	Interceptor interceptor.Interceptor
	// Endpoint is where the spans go: a URL, or what the environment says.
	Endpoint string
}

// ExportOTLP starts exporting spans over OTLP/HTTP (protobuf) to endpoint,
// an OTLP/HTTP collector's base URL as in OTEL_EXPORTER_OTLP_ENDPOINT
// ("http://localhost:4318"; a bare host:port means http, and a URL with no
// path gets /v1/traces), or, when endpoint is "", to where the OTEL_*
// environment variables say. The spans' resource has service.name service,
// unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise. Close
// flushes what is left.
func ExportOTLP(ctx context.Context, endpoint, service string) (*Tracing, error) {
	var opts []otlptracehttp.Option
	shown := OTLPEndpointFromEnv()
	if endpoint != "" {
		u, err := otlpURL(endpoint)
		if err != nil {
			return nil, err
		}
		opts = append(opts, otlptracehttp.WithEndpointURL(u))
		shown = u
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", service)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry resource: %w", err)
	}
	tp := NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	icpt, err := NewTracingInterceptor(tp)
	if err != nil {
		_ = tp.Shutdown(ctx)
		return nil, err
	}
	return &Tracing{Provider: tp, Interceptor: icpt, Endpoint: shown}, nil
}

// Close exports the spans not yet sent, until ctx ends, and stops.
func (t *Tracing) Close(ctx context.Context) error {
	return t.Provider.Shutdown(ctx)
}

// otlpURL turns an OTLP/HTTP endpoint as a person writes it into the URL
// that traces are posted to.
func otlpURL(endpoint string) (string, error) {
	if !strings.Contains(endpoint, "://") {
		endpoint = "http://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("OTLP endpoint %q: want an http(s) URL such as http://localhost:4318, or host:port", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}
