package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/telemetry"
	"github.com/orderflow/orderflow/orderflowtest"
)

// TestTracingFollowsAnOrder traces two orders through a Temporal client with
// the tracing interceptor of package telemetry, and a worker made from it
// whose payment provider calls an HTTP payment gateway: a small order placed
// with Checkout, and a large one that waits for approval while its worker
// stops and the process's workflow cache is purged, so that another worker
// replays it before it is approved, and that is evicted and replayed again
// while its payment runs. Each order's spans form one tree under
// the request that placed it, from the client's Update-with-Start down to
// the gateway's server span; the approval's spans hang under the request
// that approved; no span is there twice, replay or not; and no span carries
// the customer's name, email or address or an item's name.
func TestTracingFollowsAnOrder(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	tp := telemetry.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tracing, err := telemetry.NewTracingInterceptor(tp)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := client.NewClientFromExisting(temporalClient, client.Options{
		Namespace:    defaultNamespace,
		Interceptors: []interceptor.ClientInterceptor{tracing},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	gateway := newPaymentGateway(t, tp)

	e := newEnvOn(t, tc, nil, nil)
	payments := &gatewayPayments{Payments: e.p.Payment, url: gateway.URL, http: &http.Client{
		Transport: otelhttp.NewTransport(http.DefaultTransport,
			otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(telemetry.Propagator())),
	}}
	e.acts.Payment = payments
	e.startWorker()
	tracer := tp.Tracer("orderflow-test")

	// The small order: Checkout answers once it is paid.
	small := smallOrder(e.id("small"))
	smallCtx, smallRoot := tracer.Start(e.ctx, "checkout request")
	co, err := e.orders.Checkout(smallCtx, small)
	smallRoot.End()
	if err != nil || !co.Paid() {
		t.Fatalf("Checkout(%s) = %+v, %v; want paid", small.OrderID, co, err)
	}
	e.result(small.OrderID, orderflow.StatusCompleted)

	// The large order waits for approval...
	large := largeOrder(e.id("large"))
	largeCtx, largeRoot := tracer.Start(e.ctx, "checkout request")
	co, err = e.orders.Checkout(largeCtx, large)
	largeRoot.End()
	if err != nil || !co.AwaitingApproval() {
		t.Fatalf("Checkout(%s) = %+v, %v; want awaiting approval", large.OrderID, co, err)
	}
	// ...while its worker stops and the workflow leaves the cache: another
	// worker replays it from its history to take the approval.
	e.worker.Stop()
	worker.PurgeStickyWorkflowCache()
	replays := &replayWatch{}
	w2 := worker.New(tc, e.taskQueue, worker.Options{
		WorkflowPanicPolicy: worker.FailWorkflow,
		Interceptors:        []interceptor.WorkerInterceptor{replays},
	})
	if err := orderflow.Register(w2, e.acts); err != nil {
		t.Fatal(err)
	}
	if err := w2.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w2.Stop)
	// Once approved, the order is evicted again while its payment runs:
	// the steps scheduled after that replay hang under the same workflow
	// run span as those before it.
	payments.hold(large.OrderID)
	// The approver's request is a trace of its own; the decision joins the
	// order's trace, linked to that request.
	requestCtx, request := tracer.Start(e.ctx, "approval request")
	approveCtx, approveRoot, err := telemetry.StartInOrder(requestCtx, tracer, e.tc, orderflow.WorkflowID(large.OrderID), "approve order")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.orders.Approve(approveCtx, large.OrderID, orderflow.Decision{Approver: "manager@example.com", Reason: "known customer"})
	approveRoot.End()
	request.End()
	if err != nil {
		t.Fatalf("Approve(%s): %v", large.OrderID, err)
	}
	select {
	case <-payments.held:
	case <-e.ctx.Done():
		t.Fatalf("the payment of order %s did not start by the test's deadline", large.OrderID)
	}
	worker.PurgeStickyWorkflowCache()
	close(payments.release)
	e.result(large.OrderID, orderflow.StatusCompleted)
	if n := replays.replays(orderflow.WorkflowID(large.OrderID)); n < 2 {
		t.Fatalf("the second worker replayed order %s %d times, want 2 (to take the approval, and after its payment): the test shows nothing of replays", large.OrderID, n)
	}

	smallWant := orderTrace{workflowID: orderflow.WorkflowID(small.OrderID), root: smallRoot.SpanContext()}
	largeWant := orderTrace{workflowID: orderflow.WorkflowID(large.OrderID), root: largeRoot.SpanContext(),
		approval: approveRoot.SpanContext(), request: request.SpanContext()}
	// A span is exported when it ends, the HTTP server's once its handler
	// has returned: wait until every span is in.
	var spans tracetest.SpanStubs
	for {
		spans = exp.GetSpans()
		if smallWant.complete(spans) && largeWant.complete(spans) {
			break
		}
		select {
		case <-e.ctx.Done():
			t.Fatalf("by the test's deadline, not every span of the orders was exported:\n%s", spanTree(spans))
		case <-time.After(20 * time.Millisecond):
		}
	}

	var problems []string
	problems = append(problems, smallWant.check(spans)...)
	problems = append(problems, largeWant.check(spans)...)
	problems = append(problems, duplicates(spans)...)
	problems = append(problems, dangling(spans)...)
	problems = append(problems, personalData(spans, small, large)...)
	if len(problems) > 0 {
		t.Errorf("the orders' spans are wrong:\n  %s\nspans:\n%s", strings.Join(problems, "\n  "), spanTree(spans))
	}
	if n := payments.calls(); n != 2 {
		t.Errorf("the payment gateway got %d calls, want 2 (one charge per order)", n)
	}
}

// Span names of the Temporal SDK's tracing interceptor.
const (
	spanUpdateWithStart  = "UpdateWithStartWorkflow:checkout"
	spanRunWorkflow      = "RunWorkflow:" + orderflow.WorkflowName
	spanHandleCheckout   = "HandleUpdate:checkout"
	spanValidateCheckout = "ValidateUpdate:checkout"
	spanUpdateApprove    = "UpdateWorkflow:" + orderflow.UpdateApprove
	spanHandleApprove    = "HandleUpdate:" + orderflow.UpdateApprove
	spanValidateApprove  = "ValidateUpdate:" + orderflow.UpdateApprove
)

// orderSteps are the activities of an order that completes.
var orderSteps = []string{orderflow.ActivityProcessPayment, orderflow.ActivityReserveInventory,
	orderflow.ActivityArrangeDelivery, orderflow.ActivitySendConfirmation}

// orderTrace is what one order's spans must be: under root, the approval's
// too, under the decision's span that telemetry.StartInOrder started.
type orderTrace struct {
	workflowID string
	root       trace.SpanContext
	approval   trace.SpanContext // the decision's span; invalid when the order needs none
	request    trace.SpanContext // the approver's request, which the decision links to
}

// of returns the spans of the order named name.
func (o orderTrace) of(spans tracetest.SpanStubs, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name && attr(s, telemetry.AttrWorkflowID) == o.workflowID {
			out = append(out, s)
		}
	}
	return out
}

// complete reports whether the spans that end last are in: the workflow
// run's, the gateway server's under this order's charge, and the approval's.
func (o orderTrace) complete(spans tracetest.SpanStubs) bool {
	if len(o.of(spans, spanRunWorkflow)) == 0 || len(o.of(spans, "RunActivity:"+orderflow.ActivitySendConfirmation)) == 0 {
		return false
	}
	if o.approval.IsValid() && len(o.of(spans, spanHandleApprove)) == 0 {
		return false
	}
	for _, run := range o.of(spans, "RunActivity:"+orderflow.ActivityProcessPayment) {
		for _, c := range childrenOf(spans, run) {
			if c.SpanKind == trace.SpanKindClient && len(childrenOf(spans, c)) > 0 {
				return true
			}
		}
	}
	return false
}

// check returns what is wrong with the order's spans.
func (o orderTrace) check(spans tracetest.SpanStubs) []string {
	var problems []string
	fail := func(format string, args ...any) {
		problems = append(problems, o.workflowID+": "+fmt.Sprintf(format, args...))
	}
	// one returns the order's only span named name, failing otherwise.
	one := func(name string) (tracetest.SpanStub, bool) {
		got := o.of(spans, name)
		if len(got) != 1 {
			fail("%d spans %s, want 1", len(got), name)
			return tracetest.SpanStub{}, false
		}
		return got[0], true
	}
	wantParent := func(s, parent tracetest.SpanStub) {
		if s.Parent.SpanID() != parent.SpanContext.SpanID() || s.SpanContext.TraceID() != parent.SpanContext.TraceID() {
			fail("the parent of %s is %s, want %s (%s)", s.Name, s.Parent.SpanID(), parent.Name, parent.SpanContext.SpanID())
		}
	}

	// Every span of the order is in the trace of the request that placed
	// it, the approval's included.
	for _, s := range spans {
		if attr(s, telemetry.AttrWorkflowID) != o.workflowID {
			continue
		}
		if want := o.root.TraceID(); s.SpanContext.TraceID() != want {
			fail("%s is in trace %s, want %s", s.Name, s.SpanContext.TraceID(), want)
		}
	}

	start, ok := one(spanUpdateWithStart)
	if ok && (start.Parent.SpanID() != o.root.SpanID() || start.SpanContext.TraceID() != o.root.TraceID()) {
		fail("the parent of %s is %s, want the checkout request %s", start.Name, start.Parent.SpanID(), o.root.SpanID())
	}
	run, runOK := one(spanRunWorkflow)
	if ok && runOK {
		wantParent(run, start)
	}
	if handle, hok := one(spanHandleCheckout); ok && hok {
		wantParent(handle, start)
	}
	if got := o.of(spans, spanValidateCheckout); len(got) > 1 {
		fail("%d spans %s, want at most 1", len(got), spanValidateCheckout)
	}
	for _, step := range orderSteps {
		sched, sok := one("StartActivity:" + step)
		exec, eok := one("RunActivity:" + step)
		if sok && eok {
			wantParent(exec, sched)
		}
		if sok && runOK && sched.Parent.SpanID() != run.SpanContext.SpanID() &&
			!slices.ContainsFunc(o.of(spans, spanHandleCheckout), func(h tracetest.SpanStub) bool {
				return sched.Parent.SpanID() == h.SpanContext.SpanID()
			}) {
			fail("the parent of %s is %s, want the workflow run or the checkout Update", sched.Name, sched.Parent.SpanID())
		}
		if step != orderflow.ActivityProcessPayment || !eok {
			continue
		}
		// The provider's own HTTP call hangs under the activity, and the
		// gateway's server span under that call.
		var calls []tracetest.SpanStub
		for _, c := range childrenOf(spans, exec) {
			if c.SpanKind == trace.SpanKindClient {
				calls = append(calls, c)
			}
		}
		if len(calls) != 1 {
			fail("%d HTTP client spans under %s, want 1", len(calls), exec.Name)
			continue
		}
		served := childrenOf(spans, calls[0])
		if len(served) != 1 || served[0].SpanKind != trace.SpanKindServer {
			fail("%d spans under the HTTP call %q, want the gateway's server span", len(served), calls[0].Name)
		}
	}

	if !o.approval.IsValid() {
		return problems
	}
	// The decision's span hangs under the span that started the order, and
	// links to the approver's request, a trace of its own.
	var decision tracetest.SpanStub
	for _, s := range spans {
		if s.SpanContext.SpanID() == o.approval.SpanID() {
			decision = s
		}
	}
	switch {
	case !decision.SpanContext.IsValid():
		fail("the decision's span %s was not exported", o.approval.SpanID())
	case ok:
		wantParent(decision, start)
		if len(decision.Links) != 1 || decision.Links[0].SpanContext.SpanID() != o.request.SpanID() {
			fail("the decision's span links to %v, want the approval request %s", decision.Links, o.request.SpanID())
		}
	}
	update, uok := one(spanUpdateApprove)
	if uok && (update.Parent.SpanID() != o.approval.SpanID() || update.SpanContext.TraceID() != o.root.TraceID()) {
		fail("the parent of %s is %s, want the decision's span %s", update.Name, update.Parent.SpanID(), o.approval.SpanID())
	}
	if handle, hok := one(spanHandleApprove); uok && hok {
		wantParent(handle, update)
	}
	for _, v := range o.of(spans, spanValidateApprove) {
		if uok {
			wantParent(v, update)
		}
	}
	return problems
}

// duplicates reports the spans of the Temporal SDK that are there more than
// once for one workflow: none of the orders retries a step, so each ran
// once.
func duplicates(spans tracetest.SpanStubs) []string {
	count := map[[2]string]int{}
	for _, s := range spans {
		if id := attr(s, telemetry.AttrWorkflowID); id != "" {
			count[[2]string{id, s.Name}]++
		}
	}
	var problems []string
	for k, n := range count {
		if n > 1 {
			problems = append(problems, fmt.Sprintf("%s: %d spans %s, want 1", k[0], n, k[1]))
		}
	}
	sort.Strings(problems)
	return problems
}

// dangling reports spans whose parent is neither exported nor remote: a
// trace with a hole.
func dangling(spans tracetest.SpanStubs) []string {
	ids := map[trace.SpanID]bool{}
	for _, s := range spans {
		ids[s.SpanContext.SpanID()] = true
	}
	var problems []string
	for _, s := range spans {
		if s.Parent.IsValid() && !ids[s.Parent.SpanID()] {
			problems = append(problems, fmt.Sprintf("the parent %s of %s (%s) was never exported", s.Parent.SpanID(), s.Name, s.SpanContext.SpanID()))
		}
	}
	return problems
}

// personalData reports every span that carries a customer's name, email or
// address or an item's name: in its name, its attributes, its events, its
// status or its resource.
func personalData(spans tracetest.SpanStubs, orders ...orderflow.Order) []string {
	var secrets []string
	for _, o := range orders {
		secrets = append(secrets, o.CustomerName, o.CustomerEmail, o.ShippingAddress)
		for _, it := range o.Items {
			secrets = append(secrets, it.ProductName)
		}
	}
	var problems []string
	for _, s := range spans {
		texts := []string{s.Name, s.Status.Description}
		attrs := slices.Clone(s.Attributes)
		for _, ev := range s.Events {
			texts = append(texts, ev.Name)
			attrs = append(attrs, ev.Attributes...)
		}
		if s.Resource != nil {
			attrs = append(attrs, s.Resource.Attributes()...)
		}
		for _, a := range attrs {
			texts = append(texts, a.Value.String())
		}
		for _, text := range texts {
			for _, secret := range secrets {
				if strings.Contains(text, secret) {
					problems = append(problems, fmt.Sprintf("span %s carries %q: %q", s.Name, secret, text))
				}
			}
		}
	}
	return problems
}

func attr(s tracetest.SpanStub, key string) string {
	for _, a := range s.Attributes {
		if a.Key == attribute.Key(key) {
			return a.Value.String()
		}
	}
	return ""
}

func childrenOf(spans tracetest.SpanStubs, parent tracetest.SpanStub) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Parent.SpanID() == parent.SpanContext.SpanID() && s.SpanContext.TraceID() == parent.SpanContext.TraceID() {
			out = append(out, s)
		}
	}
	return out
}

// spanTree prints the spans as trees, each under its parent, by start time.
func spanTree(spans tracetest.SpanStubs) string {
	ids := map[trace.SpanID]bool{}
	for _, s := range spans {
		ids[s.SpanContext.SpanID()] = true
	}
	sorted := slices.Clone(spans)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].StartTime.Before(sorted[j].StartTime) })
	var b strings.Builder
	var walk func(s tracetest.SpanStub, depth int)
	walk = func(s tracetest.SpanStub, depth int) {
		fmt.Fprintf(&b, "%s%s [trace %s span %s kind %s] %s\n", strings.Repeat("  ", depth), s.Name,
			s.SpanContext.TraceID().String()[:8], s.SpanContext.SpanID(), s.SpanKind, attr(s, telemetry.AttrWorkflowID))
		for _, c := range sorted {
			if c.Parent.SpanID() == s.SpanContext.SpanID() && c.SpanContext.TraceID() == s.SpanContext.TraceID() {
				walk(c, depth+1)
			}
		}
	}
	for _, s := range sorted {
		if !s.Parent.IsValid() || !ids[s.Parent.SpanID()] {
			if s.Parent.IsValid() {
				fmt.Fprintf(&b, "(parent %s not exported)\n", s.Parent.SpanID())
			}
			walk(s, 0)
		}
	}
	return b.String()
}

// newPaymentGateway serves a payment gateway's charge and refund calls over
// HTTP, with a server span for each under the caller's, read from the W3C
// trace-context headers.
func newPaymentGateway(t *testing.T, tp trace.TracerProvider) *httptest.Server {
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, r *http.Request) {
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"accepted"}`))
	}
	mux.HandleFunc("POST /charges", ok)
	mux.HandleFunc("POST /refunds", ok)
	srv := httptest.NewServer(otelhttp.NewHandler(mux, "payment gateway",
		otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(telemetry.Propagator())))
	t.Cleanup(srv.Close)
	return srv
}

// gatewayPayments is the in-memory payment provider behind an HTTP call to
// the payment gateway, made with the activity's ctx: what a real provider
// does, through an instrumented HTTP client.
type gatewayPayments struct {
	*orderflowtest.Payments
	url  string
	http *http.Client

	mu sync.Mutex
	n  int
	// The charge of holdOrder tells held, then waits for release.
	holdOrder     string
	held, release chan struct{}
}

// hold makes the charge of orderID wait, once it has told held, until
// release is closed.
func (p *gatewayPayments) hold(orderID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holdOrder, p.held, p.release = orderID, make(chan struct{}, 1), make(chan struct{})
}

func (p *gatewayPayments) Charge(ctx context.Context, req orderflow.ChargeRequest) (orderflow.PaymentResult, error) {
	p.mu.Lock()
	holdOrder, held, release := p.holdOrder, p.held, p.release
	p.mu.Unlock()
	if req.OrderID == holdOrder {
		select {
		case held <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-ctx.Done():
			return orderflow.PaymentResult{}, ctx.Err()
		}
	}
	if err := p.post(ctx, "/charges", map[string]any{"idempotency_key": req.IdempotencyKey, "amount": req.Amount}); err != nil {
		return orderflow.PaymentResult{}, err
	}
	return p.Payments.Charge(ctx, req)
}

func (p *gatewayPayments) Refund(ctx context.Context, req orderflow.RefundRequest) error {
	if err := p.post(ctx, "/refunds", map[string]any{"idempotency_key": req.IdempotencyKey, "charge_key": req.ChargeKey}); err != nil {
		return err
	}
	return p.Payments.Refund(ctx, req)
}

func (p *gatewayPayments) post(ctx context.Context, path string, body map[string]any) error {
	p.mu.Lock()
	p.n++
	p.mu.Unlock()
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+path, strings.NewReader(string(data)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.http.Do(req)
	if err != nil {
		return fmt.Errorf("payment gateway: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("payment gateway: %s", resp.Status)
	}
	return nil
}

func (p *gatewayPayments) calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// replayWatch is a worker interceptor that notes the workflows whose code
// a worker ran from the start to replay them.
type replayWatch struct {
	interceptor.WorkerInterceptorBase
	mu  sync.Mutex
	ids map[string]int
}

func (r *replayWatch) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	i := &replayWatchInbound{root: r}
	i.Next = next
	return i
}

// replays returns how many times the workflow was replayed.
func (r *replayWatch) replays(workflowID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ids[workflowID]
}

type replayWatchInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	root *replayWatch
}

func (i *replayWatchInbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	if workflow.IsReplaying(ctx) {
		i.root.mu.Lock()
		if i.root.ids == nil {
			i.root.ids = map[string]int{}
		}
		i.root.ids[workflow.GetInfo(ctx).WorkflowExecution.ID]++
		i.root.mu.Unlock()
	}
	return i.Next.ExecuteWorkflow(ctx, in)
}
