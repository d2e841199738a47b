package integration

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/orderflow/orderflow/orderflowtest"
)

// listed waits until ListOrders under status shows every one of ids, and
// returns their rows by ID.
func (e *env) listed(status orderflow.Status, ids ...string) map[string]orderflow.OrderSummary {
	e.t.Helper()
	for {
		rows := map[string]orderflow.OrderSummary{}
		for o, err := range e.orders.Orders(e.ctx, status) {
			if err != nil {
				e.t.Fatalf("Orders(%q): %v", status, err)
			}
			if slices.Contains(ids, o.OrderID) {
				rows[o.OrderID] = o
			}
		}
		if len(rows) == len(ids) {
			return rows
		}
		select {
		case <-e.ctx.Done():
			e.t.Fatalf("Orders(%q) shows %d of %v at the test's deadline", status, len(rows), ids)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// notListed fails the test if ListOrders under status shows id.
func (e *env) notListed(status orderflow.Status, id string) {
	e.t.Helper()
	for o, err := range e.orders.Orders(e.ctx, status) {
		if err != nil {
			e.t.Fatalf("Orders(%q): %v", status, err)
		}
		if o.OrderID == id {
			e.t.Fatalf("Orders(%q) shows %s (status %q)", status, id, o.Status)
		}
	}
}

func TestOrdersAreListedByStatus(t *testing.T) {
	t.Parallel()
	small, large, rejected, declined := "", "", "", ""
	e := newListingEnv(t, nil, nil)
	small, large, rejected, declined = e.id("small"), e.id("large"), e.id("rejected"), e.id("declined")
	e.p.Payment.ChargeFaults.FailOrder(declined, fmt.Errorf("card ending 0002: %w", orderflow.ErrPaymentDeclined))
	e.mustStart(smallOrder(small))
	before := time.Now()
	e.mustStart(largeOrder(large))
	e.mustStart(largeOrder(rejected))
	e.mustStart(smallOrder(declined))

	rows := e.listed(orderflow.StatusAwaitingApproval, large, rejected)
	row := rows[large]
	want := largeOrder(large)
	if row.Status != orderflow.StatusAwaitingApproval || row.Total != orderflow.USD(largeTotal) ||
		row.ItemCount != len(want.Items) || row.CustomerName != want.CustomerName {
		t.Fatalf("row of the waiting order: %+v", row)
	}
	if row.Items[0].ProductID != want.Items[0].ProductID || row.Items[0].Quantity != want.Items[0].Quantity {
		t.Fatalf("row items: %+v, want the order's %+v", row.Items, want.Items)
	}
	// The approval timer started after the order did and before now: the
	// bounds follow from how long this test took so far, on any machine
	// (with a second for the server's and the workflow's clocks to differ).
	now := time.Now()
	elapsed := now.Sub(before)
	if left := row.TimeLeft(now); left < (5*time.Minute)-elapsed-time.Second || left > (5*time.Minute) {
		t.Fatalf("time left %v, want just under the 5m approval timeout (%v since the start)", left, elapsed)
	}
	if d := row.ApprovalDeadline.Sub(row.StartedAt); row.StartedAt.Before(before.Add(-time.Minute)) ||
		d < (5*time.Minute)-time.Second || d > (5*time.Minute)+elapsed+time.Second {
		t.Fatalf("started %v, deadline %v", row.StartedAt, row.ApprovalDeadline)
	}

	e.result(small, orderflow.StatusCompleted)
	e.listed(orderflow.StatusCompleted, small)
	e.notListed(orderflow.StatusAwaitingApproval, small)

	if _, err := e.orders.Approve(e.ctx, large, orderflow.Decision{Approver: "alice", Reason: "VIP"}); err != nil {
		t.Fatal(err)
	}
	res, _ := e.result(large, orderflow.StatusCompleted)
	if res.Approval.Approver != "alice" || res.Approval.DecidedAt.IsZero() {
		t.Fatalf("approval %+v, want alice's with its time", res.Approval)
	}
	if _, err := e.orders.Reject(e.ctx, rejected, orderflow.Decision{Approver: "bob", Reason: "no"}); err != nil {
		t.Fatal(err)
	}
	e.result(rejected, orderflow.StatusRejected)
	e.listed(orderflow.StatusCompleted, large)
	e.listed(orderflow.StatusRejected, rejected)
	e.notListed(orderflow.StatusAwaitingApproval, large)
	e.notListed(orderflow.StatusAwaitingApproval, rejected)
	if _, err := e.result(declined, orderflow.StatusFailed); err == nil {
		t.Fatal("want the declined order's error")
	}
	e.listed(orderflow.StatusFailed, declined)
	all := e.listed("", small, large, rejected, declined)
	if all[declined].ClosedAt.IsZero() || all[declined].Status != orderflow.StatusFailed {
		t.Fatalf("row of the failed order in the full listing: %+v", all[declined])
	}
}

// newNamespace registers a namespace of its own for a test, without the
// search attributes, and returns a client connected to it.
func newNamespace(t testing.TB, prefix string) (string, client.Client) {
	t.Helper()
	ctx := testctx.Context(t)
	ns := prefix + "-" + fmt.Sprint(time.Now().UnixNano())
	nc, err := client.NewNamespaceClient(client.Options{HostPort: frontend})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{Namespace: ns,
		WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for { // a new namespace takes a moment to reach every cache
		c, err := client.Dial(client.Options{HostPort: frontend, Namespace: ns})
		if err == nil {
			if _, err = c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{}); err == nil {
				t.Cleanup(c.Close)
				return ns, c
			}
			c.Close()
		}
		if ctx.Err() != nil {
			t.Fatalf("namespace %s not ready: %v", ns, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestVisibilityNeedsTheSearchAttributes(t *testing.T) {
	t.Parallel()
	ctx := testctx.Context(t)
	ns, c := newNamespace(t, "no-attrs")

	// Without the feature the Client does not care.
	if _, err := orderflow.NewClient(c, nil); err != nil {
		t.Fatalf("NewClient without Visibility: %v", err)
	}
	_, err := orderflow.NewClient(c, &orderflow.Options{Visibility: true})
	if !errors.Is(err, orderflow.ErrVisibilityNotReady) || !strings.Contains(err.Error(), "RegisterSearchAttributes") {
		t.Fatalf("NewClient with Visibility on a namespace without the attributes: %v, want ErrVisibilityNotReady saying how to fix it", err)
	}
	for range 2 { // idempotent
		if err := orderflow.RegisterSearchAttributes(ctx, c, ns); err != nil {
			t.Fatalf("RegisterSearchAttributes: %v", err)
		}
	}
	if _, err := orderflow.NewClient(c, &orderflow.Options{Visibility: true}); err != nil {
		t.Fatalf("NewClient after RegisterSearchAttributes: %v", err)
	}
}

// Orders started without the feature run as before and are not listed;
// orders started without the Client but with the feature in their input
// (a raw client, the CLI with settings) get their row from the workflow.
func TestListedAndUnlistedOrdersShareANamespace(t *testing.T) {
	t.Parallel()
	// Started by a Client without the feature, in a namespace that has it.
	e := newListingEnv(t, nil, nil)
	unlisted, err := orderflow.NewClient(e.tc, &orderflow.Options{TaskQueue: e.taskQueue})
	if err != nil {
		t.Fatal(err)
	}
	plain, raw := e.id("plain"), e.id("raw")
	if err := unlisted.Start(e.ctx, largeOrder(plain)); err != nil {
		t.Fatal(err)
	}
	in, err := orderflowtest.WorkflowInput(largeOrder(raw), &orderflow.Options{Visibility: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.tc.ExecuteWorkflow(e.ctx, client.StartWorkflowOptions{ID: orderflow.WorkflowID(raw), TaskQueue: e.taskQueue},
		orderflow.WorkflowName, in); err != nil {
		t.Fatal(err)
	}
	row := e.listed(orderflow.StatusAwaitingApproval, raw)[raw]
	if row.CustomerName != largeOrder(raw).CustomerName || row.Total != orderflow.USD(largeTotal) || row.ApprovalDeadline.IsZero() {
		t.Fatalf("row of the order started raw: %+v", row)
	}
	e.notListed("", plain)
	for _, id := range []string{plain, raw} {
		if _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "ok"}); err != nil {
			t.Fatal(err)
		}
		e.result(id, orderflow.StatusCompleted)
	}
	e.listed(orderflow.StatusCompleted, raw)
	e.notListed("", plain)
}

// An order whose workflow was terminated never reached an outcome: what it
// took may still be held, so it is listed as needing a person.
func TestTerminatedOrderIsListedAsNeedingAPerson(t *testing.T) {
	t.Parallel()
	e := newListingEnv(t, nil, nil)
	id := e.id("terminated")
	e.mustStart(largeOrder(id))
	e.listed(orderflow.StatusAwaitingApproval, id)
	if err := e.tc.TerminateWorkflow(e.ctx, orderflow.WorkflowID(id), "", "operator"); err != nil {
		t.Fatal(err)
	}
	row := e.listed(orderflow.StatusNeedsAttention, id)[id]
	if row.Status != orderflow.StatusNeedsAttention || row.ClosedAt.IsZero() {
		t.Fatalf("row: %+v", row)
	}
	e.notListed(orderflow.StatusAwaitingApproval, id)
}

func TestListOrdersRefusesBadInput(t *testing.T) {
	t.Parallel()
	e := newEnvWithoutWorker(t, &orderflow.Options{Visibility: true}, nil)
	for _, tc := range []struct {
		opts orderflow.ListOptions
		want string
	}{
		{orderflow.ListOptions{Status: "shipped"}, `unknown status "shipped"`},
		{orderflow.ListOptions{PageSize: 1000 + 1}, "page size"},
		{orderflow.ListOptions{PageSize: -1}, "page size"},
		{orderflow.ListOptions{PageToken: "not a token"}, "page token"},
	} {
		if _, _, err := e.orders.ListOrders(e.ctx, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ListOrders(%+v) = %v, want an error saying %q", tc.opts, err, tc.want)
		}
	}
	page, err := asPage(e.orders.ListOrders(e.ctx, orderflow.ListOptions{Status: orderflow.StatusCompleted, PageSize: 1}))
	if err != nil {
		t.Fatal(err)
	}
	if page.NextPageToken != "" {
		if _, _, err := e.orders.ListOrders(e.ctx, orderflow.ListOptions{Status: orderflow.StatusFailed, PageToken: page.NextPageToken}); err == nil {
			t.Error("a page token of one status was accepted for another")
		}
	}
}

// More orders wait than one scan reads (1000): the listing cuts them into
// time windows and still yields every one, once, oldest first, in pages of
// any size.
func TestAwaitingOrdersComeOldestFirstAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 1,200 orders")
	}
	t.Parallel()
	// A namespace of its own, so that other tests' listings stay short, and
	// no worker: the orders wait as started, which is all a listing reads.
	ns, c := newNamespace(t, "scale")
	if err := orderflow.RegisterSearchAttributes(testctx.Context(t), c, ns); err != nil {
		t.Fatal(err)
	}
	orders, err := orderflow.NewClient(c, &orderflow.Options{Visibility: true, TaskQueue: "no-worker"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: testctx.Context(t), tc: c, orders: orders}
	const n = 1200
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		ids[i] = e.id(fmt.Sprintf("%04d", i))
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs <- e.orders.Start(e.ctx, largeOrder(ids[i]))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	mine := func(s string) bool { return strings.HasPrefix(s, e.id("")) }
	e.listed(orderflow.StatusAwaitingApproval, ids...)

	// The iterator, in pages of 1000.
	var got []orderflow.OrderSummary
	for o, err := range e.orders.Orders(e.ctx, orderflow.StatusAwaitingApproval) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o)
	}
	checkOldestFirst(t, got, ids, mine)

	// Pages of 97, token by token.
	got = got[:0]
	opts := orderflow.ListOptions{Status: orderflow.StatusAwaitingApproval, PageSize: 97}
	for pages := 0; ; pages++ {
		page, err := asPage(e.orders.ListOrders(e.ctx, opts))
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Orders) > 97 {
			t.Fatalf("page of %d orders, want at most 97", len(page.Orders))
		}
		got = append(got, page.Orders...)
		if page.NextPageToken == "" {
			break
		}
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		opts.PageToken = page.NextPageToken
	}
	checkOldestFirst(t, got, ids, mine)
}

func checkOldestFirst(t *testing.T, got []orderflow.OrderSummary, ids []string, mine func(string) bool) {
	t.Helper()
	seen := map[string]int{}
	for i, o := range got {
		seen[o.OrderID]++
		if i > 0 && o.StartedAt.Before(got[i-1].StartedAt) {
			t.Fatalf("row %d (%s, started %v) comes after a younger one (%s, %v)", i, o.OrderID, o.StartedAt,
				got[i-1].OrderID, got[i-1].StartedAt)
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Fatalf("order %s listed %d times, want once", id, seen[id])
		}
	}
	for id, k := range seen {
		if k != 1 && mine(id) {
			t.Fatalf("order %s listed %d times", id, k)
		}
	}
}

// BenchmarkListAwaiting1000 lists 1,000 orders awaiting approval, in one
// namespace, through the Client (oldest first) and, as the baseline in the
// same run, through plain visibility ListWorkflow calls on the same query
// (newest first, in the server's order). It reports each in ms and the
// Client's time as a multiple of the baseline's:
//
//	go test -run '^$' -bench ListAwaiting ./examples/integration/
func BenchmarkListAwaiting1000(b *testing.B) {
	ns, c := newNamespace(b, "bench-list")
	ctx := context.Background()
	if err := orderflow.RegisterSearchAttributes(ctx, c, ns); err != nil {
		b.Fatal(err)
	}
	orders, err := orderflow.NewClient(c, &orderflow.Options{Visibility: true, TaskQueue: "no-worker"})
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := orders.Start(ctx, largeOrder(fmt.Sprintf("B-%04d", i))); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	query := orderflow.SearchAttributeStatus + " = 'awaiting_approval' AND ExecutionStatus = 'Running'"
	plain := func(pageSize int32) int {
		rows := 0
		var next []byte
		for {
			resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Query: query, PageSize: pageSize, NextPageToken: next})
			if err != nil {
				b.Fatal(err)
			}
			rows += len(resp.GetExecutions())
			if next = resp.GetNextPageToken(); len(next) == 0 {
				return rows
			}
		}
	}
	viaClient := func() int {
		rows := 0
		for _, err := range orders.Orders(ctx, orderflow.StatusAwaitingApproval) {
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		return rows
	}
	firstPage := func() int {
		page, err := asPage(orders.ListOrders(ctx, orderflow.ListOptions{Status: orderflow.StatusAwaitingApproval, PageSize: 25}))
		if err != nil {
			b.Fatal(err)
		}
		return len(page.Orders)
	}
	for time.Sleep(time.Second); plain(200) != n; time.Sleep(100 * time.Millisecond) {
	}
	var tPlain, tClient, tPage time.Duration
	for b.Loop() {
		t0 := time.Now()
		if got := plain(200); got != n {
			b.Fatalf("ListWorkflow: %d rows, want %d", got, n)
		}
		t1 := time.Now()
		if got := viaClient(); got != n {
			b.Fatalf("Client.Orders: %d rows, want %d", got, n)
		}
		t2 := time.Now()
		if got := firstPage(); got != 25 {
			b.Fatalf("ListOrders: %d rows, want 25", got)
		}
		tPlain, tClient, tPage = tPlain+t1.Sub(t0), tClient+t2.Sub(t1), tPage+time.Since(t2)
	}
	k := float64(b.N)
	b.ReportMetric(float64(tPlain.Milliseconds())/k, "ms-ListWorkflow")
	b.ReportMetric(float64(tClient.Milliseconds())/k, "ms-Client.Orders")
	b.ReportMetric(float64(tPage.Milliseconds())/k, "ms-first-page-of-25")
	b.ReportMetric(float64(tClient)/float64(tPlain), "client/plain")
}
