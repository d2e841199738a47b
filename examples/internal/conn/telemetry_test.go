package conn

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
)

func parseTelemetry(t *testing.T, args ...string) TelemetryFlags {
	t.Helper()
	var tf TelemetryFlags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	tf.Register(fs)
	require.NoError(t, fs.Parse(args))
	return tf
}

// TestTelemetryOff checks that without flags or OTEL_* variables nothing
// runs and the client options are left alone.
func TestTelemetryOff(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	tf := parseTelemetry(t)
	tel, err := tf.Start(context.Background(), "test", NewLogger(io.Discard, slog.LevelInfo))
	require.NoError(t, err)
	assert.Nil(t, tel.Metrics)
	assert.Nil(t, tel.Tracing)
	assert.Nil(t, tel.MetricsHandler())
	var opts client.Options
	tel.Apply(&opts)
	assert.Nil(t, opts.MetricsHandler)
	assert.Empty(t, opts.Interceptors)
	assert.NoError(t, tel.Close(context.Background()))

	var none *Telemetry
	none.Apply(&opts)
	assert.Nil(t, none.MetricsHandler())
	assert.NoError(t, none.Close(context.Background()))
}

// TestTelemetryOn checks that -metrics and -otlp serve metrics and set the
// handler and the tracing interceptor in the client options, ahead of the
// interceptors already there.
func TestTelemetryOn(t *testing.T) {
	tf := parseTelemetry(t, "-metrics", "127.0.0.1:0", "-otlp", "127.0.0.1:1")
	tel, err := tf.Start(context.Background(), "test", NewLogger(io.Discard, slog.LevelInfo))
	require.NoError(t, err)
	require.NotNil(t, tel.Metrics)
	require.NotNil(t, tel.Tracing)
	assert.Equal(t, "http://127.0.0.1:1/v1/traces", tel.Tracing.Endpoint)
	mine := &interceptor.InterceptorBase{}
	opts := client.Options{Interceptors: []interceptor.ClientInterceptor{mine}}
	tel.Apply(&opts)
	assert.Equal(t, tel.Metrics.Handler, opts.MetricsHandler)
	assert.Equal(t, tel.Metrics.Handler, tel.MetricsHandler())
	require.Len(t, opts.Interceptors, 2)
	assert.Equal(t, tel.Tracing.Interceptor, opts.Interceptors[0])
	assert.Equal(t, mine, opts.Interceptors[1])

	resp, err := http.Get(tel.Metrics.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NoError(t, tel.Close(context.Background()))
	_, err = http.Get(tel.Metrics.URL)
	assert.Error(t, err, "still serving metrics after Close")
}

// TestTelemetryEnvTurnsTracingOn checks that OTEL_EXPORTER_OTLP_ENDPOINT
// alone turns tracing on, and that a bad -otlp fails Start and stops the
// metrics server it had started.
func TestTelemetryEnvTurnsTracingOn(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	tf := parseTelemetry(t)
	tel, err := tf.Start(context.Background(), "test", NewLogger(io.Discard, slog.LevelInfo))
	require.NoError(t, err)
	require.NotNil(t, tel.Tracing)
	assert.Equal(t, "http://127.0.0.1:1", tel.Tracing.Endpoint)
	assert.NoError(t, tel.Close(context.Background()))

	tf = parseTelemetry(t, "-metrics", "127.0.0.1:0", "-otlp", "ftp://collector")
	_, err = tf.Start(context.Background(), "test", NewLogger(io.Discard, slog.LevelInfo))
	assert.ErrorContains(t, err, `OTLP endpoint "ftp://collector"`)
}
