package integration

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow"
)

// pythonOrder is an order as the Python demo's starter and the Temporal CLI
// send it: snake_case fields only, unit_price a bare decimal, no settings.
func pythonOrder(id string, large bool) map[string]any {
	items := []any{
		map[string]any{"product_id": "PROD-001", "product_name": "Wireless Mouse", "quantity": 2, "unit_price": json.Number("29.99")},
		map[string]any{"product_id": "PROD-002", "product_name": "USB-C Cable", "quantity": 1, "unit_price": json.Number("29.97")},
	}
	if large {
		items = []any{
			map[string]any{"product_id": "PROD-100", "product_name": "Laptop", "quantity": 1, "unit_price": json.Number("1299.99")},
			map[string]any{"product_id": "PROD-101", "product_name": "Monitor", "quantity": 2, "unit_price": json.Number("299.99")},
		}
	}
	return map[string]any{
		"order_id":         id,
		"customer_name":    "John Doe",
		"customer_email":   "john@example.com",
		"items":            items,
		"shipping_address": "123 Main St, Springfield",
	}
}

// startRaw starts an order by wire names through a plain SDK client, as the
// Python demo's starter does.
func (e *env) startRaw(id string, input any) client.WorkflowRun {
	e.t.Helper()
	run, err := e.tc.ExecuteWorkflow(e.ctx, client.StartWorkflowOptions{
		ID: "order-workflow-" + id, TaskQueue: e.taskQueue}, "OrderWorkflow", input)
	if err != nil {
		e.t.Fatalf("start %s by wire name: %v", id, err)
	}
	return run
}

// queryString runs a string query by wire name.
func (e *env) queryString(id, query string) string {
	e.t.Helper()
	s, err := e.tryQueryString(id, query)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) tryQueryString(id, query string) (string, error) {
	v, err := e.tc.QueryWorkflow(e.ctx, "order-workflow-"+id, "", query)
	if err != nil {
		return "", fmt.Errorf("query %s of %s: %w", query, id, err)
	}
	var s string
	if err := v.Get(&s); err != nil {
		return "", fmt.Errorf("decode %s of %s: %w", query, id, err)
	}
	return s, nil
}

// waitForQuery waits until query answers want. A query that fails is
// tried again: one sent before a worker has run the order's first workflow
// task can time out on a loaded machine.
func (e *env) waitForQuery(id, query, want string) {
	e.t.Helper()
	e.waitFor(fmt.Sprintf("%s of %s to be %q", query, id, want), func() (bool, error) {
		got, err := e.tryQueryString(id, query)
		if err != nil {
			return false, err
		}
		return got == want, fmt.Errorf("it is %q", got)
	})
}

func (e *env) signal(id, name, reason string) {
	e.t.Helper()
	if err := e.tc.SignalWorkflow(e.ctx, "order-workflow-"+id, "", name, reason); err != nil {
		e.t.Fatalf("signal %s to %s: %v", name, id, err)
	}
}

// rawResult waits for the run and returns its result as JSON fields, to
// check the wire form, and as an OrderState.
func rawResult(t *testing.T, e *env, run client.WorkflowRun) (map[string]any, *orderflow.OrderState) {
	t.Helper()
	var fields map[string]any
	if err := run.Get(e.ctx, &fields); err != nil {
		t.Fatalf("result of %s: %v", run.GetID(), err)
	}
	b, _ := json.Marshal(fields)
	var res orderflow.OrderState
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	return fields, &res
}

// TestPythonDemoWireCompatibility drives orders the way the Python demo's
// scripts and the Temporal CLI do: by wire names, with the demo's JSON input,
// its signals and its queries.
func TestPythonDemoWireCompatibility(t *testing.T) {
	t.Parallel()
	t.Run("small order", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, nil)
		id := e.id("ORD-001")
		fields, res := rawResult(t, e, e.startRaw(id, pythonOrder(id, false)))
		if res.Status != orderflow.StatusCompleted || res.Total != orderflow.USD(smallTotal) {
			t.Errorf("result = %+v; want completed, $89.95", res)
		}
		for _, key := range []string{"order_id", "status", "message", "payment_result", "inventory_result", "delivery_result"} {
			if _, ok := fields[key]; !ok {
				t.Errorf("result JSON lacks %q: %v", key, fields)
			}
		}
		if res.Payment == nil || res.Payment.Message != "Payment of $89.95 processed successfully" {
			t.Errorf("payment = %+v", res.Payment)
		}
		if e.charged(id) != smallTotal {
			t.Errorf("charged %d, want %d", e.charged(id), smallTotal)
		}
		if got := e.queryString(id, "get_approval_status"); got != "not_required" {
			t.Errorf("get_approval_status = %q, want not_required", got)
		}
	})
	t.Run("large order approved by signal", func(t *testing.T) {
		t.Parallel()
		e, held := newEnvHolding(t, nil, orderflow.StepPayment)
		id := e.id("ORD-002")
		run := e.startRaw(id, pythonOrder(id, true))
		e.waitForQuery(id, "get_approval_status", "pending")
		e.signal(id, "approve_order", "Approved by manager")
		e.waitForQuery(id, "get_approval_status", "approved")
		if got := e.queryString(id, "get_approval_reason"); got != "Approved by manager" {
			t.Errorf("get_approval_reason = %q", got)
		}
		// A decision that arrives when none is pending is ignored.
		e.waitForStep(id, orderflow.StepPayment)
		e.signal(id, "reject_order", "Rejected by manager")
		held[0].open()
		_, res := rawResult(t, e, run)
		if res.Status != orderflow.StatusCompleted || !decided(res.Approval, orderflow.Approval{Status: "approved", Reason: "Approved by manager"}) {
			t.Errorf("result = %+v; want completed with the signalled approval", res)
		}
		if e.charged(id) != largeTotal {
			t.Errorf("charged %d, want %d", e.charged(id), largeTotal)
		}
		if got := e.queryString(id, "get_approval_status"); got != "approved" {
			t.Errorf("get_approval_status after a late reject = %q, want approved", got)
		}
		// An order started without settings runs with the defaults: the
		// $1000.00 threshold (above) and the 5-minute approval timer.
		events := e.history(id)
		assertTimerCancelled(t, events, (5 * time.Minute))
		assertTimerCancelledBeforeSteps(t, events)
	})
	t.Run("large order rejected by signal", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, nil)
		id := e.id("ORD-003")
		run := e.startRaw(id, pythonOrder(id, true))
		e.waitForQuery(id, "get_approval_status", "pending")
		e.signal(id, "reject_order", "Rejected by manager")
		_, res := rawResult(t, e, run)
		if res.Status != orderflow.StatusRejected || !strings.Contains(res.Message, "Rejected by manager") {
			t.Errorf("result = %+v; want rejected with the reason", res)
		}
		if got := e.queryString(id, "get_approval_reason"); got != "Rejected by manager" {
			t.Errorf("get_approval_reason = %q", got)
		}
		if len(e.p.Payment.Calls()) != 0 {
			t.Errorf("payment calls for a rejected order: %+v", e.p.Payment.Calls())
		}
	})
	t.Run("signal to an order needing no approval", func(t *testing.T) {
		t.Parallel()
		e, held := newEnvHolding(t, nil, orderflow.StepPayment)
		id := e.id("ORD-004")
		run := e.startRaw(id, pythonOrder(id, false))
		e.waitForStep(id, orderflow.StepPayment)
		e.signal(id, "reject_order", "Rejected by manager")
		e.signal(id, "approve_order", "")
		held[0].open()
		_, res := rawResult(t, e, run)
		if res.Status != orderflow.StatusCompleted || res.Approval.Status != orderflow.ApprovalNotRequired {
			t.Errorf("result = %+v; want completed, approval not_required", res)
		}
		if e.charged(id) != smallTotal {
			t.Errorf("charged %d, want %d", e.charged(id), smallTotal)
		}
	})
	t.Run("typed client on a raw order", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, nil)
		id := e.id("ORD-005")
		e.startRaw(id, pythonOrder(id, true))
		e.waitForApproval(id, orderflow.ApprovalPending)
		if _, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "typed"}); err != nil {
			t.Fatal(err)
		}
		res, _ := e.result(id, orderflow.StatusCompleted)
		if res.Total != orderflow.USD(largeTotal) || e.charged(id) != largeTotal {
			t.Errorf("total %v, charged %d; want $1899.97", res.Total, e.charged(id))
		}
	})
}
