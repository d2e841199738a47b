package telemetry

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// headerKey is the Temporal header in which the tracing interceptor carries
// a span context: the contrib package's default.
const headerKey = "_tracer-data"

// StartInOrder starts a span named name in the trace of the order whose
// workflow is workflowID, as a child of the span that started it (the
// checkout call's), and linked to the span in ctx, if any (the request
// that asks, such as an approver's): a decision made with the returned ctx
// joins the order's trace, and the approver's request still leads to it.
// The caller ends the span. The order's span context is read from the
// header of the first event of its history, where the tracing interceptor
// wrote it; an order started without tracing gives a span in ctx's trace.
func StartInOrder(ctx context.Context, tracer trace.Tracer, tc client.Client, workflowID, name string) (context.Context, trace.Span, error) {
	it := tc.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var order trace.SpanContext
	if it.HasNext() {
		first, err := it.Next()
		if err != nil {
			return ctx, nil, fmt.Errorf("trace context of %s: %w", workflowID, err)
		}
		if p := first.GetWorkflowExecutionStartedEventAttributes().GetHeader().GetFields()[headerKey]; p != nil {
			var carrier map[string]string
			if err := converter.GetDefaultDataConverter().FromPayload(p, &carrier); err != nil {
				return ctx, nil, fmt.Errorf("trace context of %s: %w", workflowID, err)
			}
			order = trace.SpanContextFromContext(Propagator().Extract(context.Background(), propagation.MapCarrier(carrier)))
		}
	}
	var opts []trace.SpanStartOption
	parent := ctx
	if order.IsValid() {
		if req := trace.SpanContextFromContext(ctx); req.IsValid() {
			opts = append(opts, trace.WithLinks(trace.Link{SpanContext: req}))
		}
		parent = trace.ContextWithRemoteSpanContext(ctx, order)
	}
	ctx, span := tracer.Start(parent, name, opts...)
	return ctx, span, nil
}
