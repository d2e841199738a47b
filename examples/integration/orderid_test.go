package integration

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow"
)

// punctuation is every printable ASCII punctuation character, 32 of them.
const punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// TestOrderIDsOfPrintableASCIIRunEndToEnd starts orders whose IDs hold
// every printable ASCII punctuation character, which order IDs may (the
// workflow ID travels in a gRPC header, so printable ASCII it must be), and
// checks each runs to completion through the typed Client, reachable by its
// ID: Start then Result, Execute, the queries, an approval by Update. On
// the test's own server the IDs are bare ("." is one); on one that outlives
// the run (-address) they start with the run's prefix, so that the suite
// can run there again.
func TestOrderIDsOfPrintableASCIIRunEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	ids := []string{
		"ORD/1", "a%2Fb", "x?y#z", `~!@$^&*()+=[]{}|;:'",.<>`, "\\`-_#%/?",
		".", "..", "/", "%",
	}
	for i := range ids {
		ids[i] = runID + ids[i]
	}
	// 128 bytes, the limit.
	ids = append(ids, (runID + strings.Repeat(punctuation, 128/len(punctuation)))[:128])
	if n := len(ids[len(ids)-1]); n != 128 {
		t.Fatalf("the longest ID is %d bytes, want %d", n, 128)
	}
	covered := strings.Join(ids[:5], "")
	for _, c := range punctuation {
		if !strings.ContainsRune(covered, c) {
			t.Fatalf("no ID holds %q", c)
		}
	}

	// Start all, then wait for each; the last one by Execute.
	for _, id := range ids[:len(ids)-1] {
		e.mustStart(smallOrder(id))
	}
	longest := ids[len(ids)-1]
	if res, err := e.orders.Execute(e.ctx, smallOrder(longest)); err != nil || res.Status != orderflow.StatusCompleted {
		t.Fatalf("Execute(%q) = %+v, %v; want completed", longest, res, err)
	}
	for _, id := range ids {
		res, _ := e.result(id, orderflow.StatusCompleted)
		if res.OrderID != id {
			t.Errorf("Result(%q).OrderID = %q", id, res.OrderID)
		}
		if st, err := e.orders.ApprovalStatus(e.ctx, id); err != nil || st != orderflow.ApprovalNotRequired {
			t.Errorf("ApprovalStatus(%q) = %q, %v; want %q", id, st, err, orderflow.ApprovalNotRequired)
		}
		if e.charged(id) != smallTotal {
			t.Errorf("order %q: %d cents charged, want %d", id, e.charged(id), smallTotal)
		}
		if _, err := e.tc.DescribeWorkflowExecution(e.ctx, orderflow.WorkflowID(id), ""); err != nil {
			t.Errorf("Describe(%q): %v", orderflow.WorkflowID(id), err)
		}
	}

	// A decision by Update reaches an order whose ID is all punctuation.
	large := runID + "?#%2F/.." + punctuation
	e.mustStart(largeOrder(large))
	e.waitForApproval(large, orderflow.ApprovalPending)
	if _, err := e.orders.Approve(e.ctx, large, orderflow.Decision{Reason: "ok"}); err != nil {
		t.Fatalf("Approve(%q): %v", large, err)
	}
	e.result(large, orderflow.StatusCompleted)
}

// TestOrderIDsOutsidePrintableASCIIAreRefused checks that IDs with a
// character outside printable ASCII (non-ASCII, a space, DEL) are refused
// with ErrInvalidOrder before anything reaches the server, by every way of
// starting and looking up an order, and that no workflow exists afterwards.
// The raw SDK shows why: it cannot start such a workflow ID at all.
func TestOrderIDsOutsidePrintableASCIIAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	refused := []string{"café", "注文-001", "ORD 1", "ORD\x7f1", "ORD_002.é"}

	// What the rule prevents: the SDK puts the workflow ID in the
	// temporal-resource-id gRPC header, which gRPC refuses outside
	// printable ASCII, so the start fails with a transport error.
	_, err := e.tc.ExecuteWorkflow(e.ctx, client.StartWorkflowOptions{ID: orderflow.WorkflowID("café"), TaskQueue: e.taskQueue},
		orderflow.WorkflowName, smallOrder("café"))
	if err == nil || !strings.Contains(err.Error(), "non-printable ASCII") {
		t.Errorf("raw start of a non-ASCII workflow ID: err = %v; want gRPC's refusal of the header (if the SDK now "+
			"accepts such IDs, ValidateOrderID may accept them again)", err)
	}

	for _, id := range refused {
		checkInvalid := func(what string, err error) {
			t.Helper()
			var ve *orderflow.ValidationError
			switch {
			case !errors.Is(err, orderflow.ErrInvalidOrder):
				t.Errorf("%s(%q): err = %v; want ErrInvalidOrder", what, id, err)
			case !errors.As(err, &ve) || ve.Field != "order_id" || !strings.Contains(ve.Reason, "printable ASCII"):
				t.Errorf("%s(%q): err = %v; want the order_id rule", what, id, err)
			}
		}
		checkInvalid("Start", e.orders.Start(e.ctx, smallOrder(id)))
		_, err := e.orders.Execute(e.ctx, smallOrder(id))
		checkInvalid("Execute", err)
		_, err = e.orders.Checkout(e.ctx, smallOrder(id))
		checkInvalid("Checkout", err)
		_, err = e.orders.Result(e.ctx, id)
		checkInvalid("Result", err)
		_, err = e.orders.State(e.ctx, id)
		checkInvalid("State", err)
		_, err = e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "ok"})
		checkInvalid("Approve", err)
	}

	// Nothing was started. Describe can ask only for IDs gRPC can carry
	// (the space); for the others, the visibility store, once it shows an
	// order started after them, shows none of theirs.
	var nf *serviceerror.NotFound
	if _, err := e.tc.DescribeWorkflowExecution(e.ctx, orderflow.WorkflowID("ORD 1"), ""); !errors.As(err, &nf) {
		t.Errorf("Describe(%q): err = %v; want NotFound", orderflow.WorkflowID("ORD 1"), err)
	}
	marker := e.id("after")
	e.mustStart(smallOrder(marker))
	e.result(marker, orderflow.StatusCompleted)
	for {
		resp, err := e.tc.ListWorkflow(e.ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: "TaskQueue = '" + e.taskQueue + "'"})
		if err != nil {
			t.Fatalf("ListWorkflow: %v", err)
		}
		var listed []string
		for _, ex := range resp.GetExecutions() {
			listed = append(listed, ex.GetExecution().GetWorkflowId())
		}
		if slices.Contains(listed, orderflow.WorkflowID(marker)) {
			if len(listed) != 1 {
				t.Errorf("workflows on the task queue: %q; want only the marker order's", listed)
			}
			break
		}
		select {
		case <-e.ctx.Done():
			t.Fatalf("the marker order is not listed by the test's deadline: %q", listed)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if n := len(e.p.Payment.Calls()); n != 1 {
		t.Errorf("%d payment calls; want 1, the marker order's", n)
	}
}
