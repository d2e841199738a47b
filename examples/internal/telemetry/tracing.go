package telemetry

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"sync/atomic"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"
)

// TracerName is the instrumentation scope of the spans the tracing
// interceptor starts: the name the Temporal SDK's contrib package uses.
const TracerName = "temporal-sdk-go"

// The tags the Temporal SDK's tracing interceptor sets on its spans, which
// become span attributes.
const (
	AttrWorkflowID = "temporalWorkflowID"
	AttrRunID      = "temporalRunID"
	AttrActivityID = "temporalActivityID"
	AttrUpdateID   = "temporalUpdateID"
)

// Propagator is how span contexts travel: W3C trace context (traceparent,
// tracestate) and W3C baggage, in Temporal headers and in HTTP requests
// alike.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// NewTracerProvider returns an OpenTelemetry SDK tracer provider with opts
// (exporters, sampler, resource), and with the span IDs that make the
// interceptor of NewTracingInterceptor replay-safe: the spans of an order's
// workflow run and of its Updates get the same IDs whenever a worker
// replays them. Without it those spans still work, but the spans started
// after a replay hang under a parent that was never exported.
func NewTracerProvider(opts ...sdktrace.TracerProviderOption) *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithIDGenerator(idGenerator{})}, opts...)...)
}

// NewTracingInterceptor returns the Temporal client interceptor that traces
// orders with the spans of tp (from NewTracerProvider): the client's calls
// (StartWorkflow, UpdateWithStartWorkflow, UpdateWorkflow, QueryWorkflow,
// SignalWorkflow), and, in the workers made from that client, the workflow
// run, its Updates and signals, and every activity (StartActivity when the
// workflow schedules it, RunActivity for each attempt, with the span in the
// activity's ctx, so that a provider's own calls join the trace). Span
// contexts travel in Temporal headers as W3C trace context.
//
// It is go.temporal.io/sdk/contrib/opentelemetry's interceptor, made
// replay-safe. As it stands, the SDK starts a RunWorkflow span whenever a
// worker runs the workflow code from its start, also to replay it (after
// the workflow left the worker's cache, or on another worker), and a
// HandleUpdate span whenever it replays an Update: one order's trace would
// show them once per replay. Here those two spans are ended, and so
// exported, only by the run of the code that finishes them for real, not
// in a replay and not when a worker evicts the workflow midway; and their
// IDs are derived from the workflow's run ID (and the Update's ID), so that
// the spans started after a replay hang under the one RunWorkflow span that
// is exported, whose start is the workflow's start.
func NewTracingInterceptor(tp trace.TracerProvider) (interceptor.Interceptor, error) {
	opts := opentelemetry.TracerOptions{
		Tracer:            tp.Tracer(TracerName),
		TextMapPropagator: Propagator(),
	}
	base, err := opentelemetry.NewTracer(opts)
	if err != nil {
		return nil, err
	}
	return &tracingInterceptor{Interceptor: interceptor.NewTracingInterceptor(&replaySafeTracer{Tracer: base, opts: opts})}, nil
}

// tracingInterceptor is the SDK's tracing interceptor with a workflow
// interceptor of its own under it, which marks when a workflow run or an
// Update handler returns outside a replay.
type tracingInterceptor struct {
	interceptor.Interceptor
}

func (t *tracingInterceptor) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	g := &returnGuard{}
	g.Next = next
	return t.Interceptor.InterceptWorkflow(ctx, g)
}

// returnGuard runs inside the tracing interceptor's ExecuteWorkflow and
// ExecuteUpdate, whose span is in ctx: it lets the span end when the code
// returns outside a replay. When a worker evicts a workflow, its code never
// returns (its goroutines exit), and the span is dropped.
type returnGuard struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (g *returnGuard) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	res, err := g.Next.ExecuteWorkflow(ctx, in)
	releaseSpan(ctx)
	return res, err
}

func (g *returnGuard) ExecuteUpdate(ctx workflow.Context, in *interceptor.UpdateInput) (any, error) {
	res, err := g.Next.ExecuteUpdate(ctx, in)
	releaseSpan(ctx)
	return res, err
}

func releaseSpan(ctx workflow.Context) {
	if workflow.IsReplaying(ctx) {
		return
	}
	if span, ok := opentelemetry.SpanFromWorkflowContext(ctx); ok {
		if h, ok := span.(*heldSpan); ok {
			h.released.Store(true)
		}
	}
}

// replaySafeTracer is the contrib tracer, except for the spans of workflow
// runs and Updates, which it starts with IDs derived from what they are and
// holds back from ending until their code returns outside a replay.
type replaySafeTracer struct {
	interceptor.Tracer
	opts opentelemetry.TracerOptions
}

func (t *replaySafeTracer) StartSpan(opts *interceptor.TracerStartSpanOptions) (interceptor.TracerSpan, error) {
	key := durableKey(opts)
	if key == "" {
		return t.Tracer.StartSpan(opts)
	}
	// A tracer of the contrib package for this one span, so that its span
	// has the contrib's type, which the SDK hands back to the contrib
	// tracer as a parent and to serialize into headers.
	o := t.opts
	o.SpanStarter = func(ctx context.Context, tr trace.Tracer, name string, so ...trace.SpanStartOption) trace.Span {
		_, span := tr.Start(context.WithValue(ctx, spanKeyContextKey{}, key), name, so...)
		return &heldSpan{Span: span}
	}
	once, err := opentelemetry.NewTracer(o)
	if err != nil {
		return nil, err
	}
	return once.StartSpan(opts)
}

// durableKey names the span of a workflow run or of an Update's handler, the
// same on every replay; "" for other spans.
func durableKey(opts *interceptor.TracerStartSpanOptions) string {
	runID := opts.Tags[AttrRunID]
	if runID == "" {
		return ""
	}
	switch opts.Operation {
	case "RunWorkflow":
		return "RunWorkflow\x00" + runID
	case "HandleUpdate":
		if id := opts.Tags[AttrUpdateID]; id != "" {
			return "HandleUpdate\x00" + runID + "\x00" + id
		}
	}
	return ""
}

// heldSpan is a span that ends only once released.
type heldSpan struct {
	trace.Span
	released atomic.Bool
}

func (s *heldSpan) End(opts ...trace.SpanEndOption) {
	if s.released.Load() {
		s.Span.End(opts...)
	}
}

// spanKeyContextKey carries a durable span's key to idGenerator.
type spanKeyContextKey struct{}

// idGenerator derives the IDs of durable spans from their keys, and draws
// the others at random.
type idGenerator struct{}

func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if key, ok := ctx.Value(spanKeyContextKey{}).(string); ok {
		sum := sha256.Sum256([]byte("trace\x00" + key))
		var tid trace.TraceID
		copy(tid[:], sum[:16])
		return tid, derivedSpanID(tid, key)
	}
	var tid trace.TraceID
	for !tid.IsValid() {
		binary.BigEndian.PutUint64(tid[:8], rand.Uint64())
		binary.BigEndian.PutUint64(tid[8:], rand.Uint64())
	}
	return tid, randomSpanID()
}

func (idGenerator) NewSpanID(ctx context.Context, traceID trace.TraceID) trace.SpanID {
	if key, ok := ctx.Value(spanKeyContextKey{}).(string); ok {
		return derivedSpanID(traceID, key)
	}
	return randomSpanID()
}

func derivedSpanID(tid trace.TraceID, key string) trace.SpanID {
	sum := sha256.Sum256(append(tid[:], key...))
	var sid trace.SpanID
	copy(sid[:], sum[:8])
	if !sid.IsValid() {
		sid[7] = 1
	}
	return sid
}

func randomSpanID() trace.SpanID {
	var sid trace.SpanID
	for !sid.IsValid() {
		binary.BigEndian.PutUint64(sid[:], rand.Uint64())
	}
	return sid
}
