// Package telemetry gives the example programs and tests Prometheus
// metrics and OpenTelemetry traces of the orders they run, through the
// Temporal client: a metrics handler (client.Options.MetricsHandler) backed
// by a Prometheus registry, served over HTTP (ServeMetrics), and a tracing
// interceptor (client.Options.Interceptors) whose spans follow an order
// from the request that placed it through its workflow, its Updates and
// each provider call, replay-safe (NewTracingInterceptor), exported over
// OTLP/HTTP (ExportOTLP) or wherever a test's tracer provider sends them.
//
// orderflow itself only emits through the SDK (workflow.GetMetricsHandler,
// activity.GetMetricsHandler, orderflow.Options.MetricsHandler) and never
// imports any of this; docs/production.md lists what it emits.
package telemetry
