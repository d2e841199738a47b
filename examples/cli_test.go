package examples_test

import (
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Temporal CLI that the test runs, pinned in .ci/run.
const temporalCLIPackage = "github.com/temporalio/cli/cmd/temporal@v1.5.1"

// temporalCLI returns the path of the Temporal CLI: $ORDERFLOW_TEMPORAL_CLI,
// else `temporal` on PATH, else in GOBIN or GOPATH/bin. Without one it skips
// t, or fails t when ORDERFLOW_REQUIRE_TEMPORAL_CLI is set (as in CI).
func temporalCLI(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ORDERFLOW_TEMPORAL_CLI"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("ORDERFLOW_TEMPORAL_CLI=%s: %v", p, err)
		}
		return p
	}
	if p, err := exec.LookPath("temporal"); err == nil {
		return p
	}
	var dirs []string
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
		if len(lines) == 2 {
			if lines[0] != "" {
				dirs = append(dirs, lines[0])
			}
			for _, gopath := range filepath.SplitList(lines[1]) {
				dirs = append(dirs, filepath.Join(gopath, "bin"))
			}
		}
	}
	for _, dir := range dirs {
		if p, err := exec.LookPath(filepath.Join(dir, "temporal")); err == nil {
			return p
		}
	}
	msg := "the Temporal CLI is not installed (looked on PATH and in GOBIN, GOPATH/bin); " +
		"install it with `go install " + temporalCLIPackage + "` or set ORDERFLOW_TEMPORAL_CLI to its path"
	if os.Getenv("ORDERFLOW_REQUIRE_TEMPORAL_CLI") != "" {
		t.Fatal(msg + " (ORDERFLOW_REQUIRE_TEMPORAL_CLI is set)")
	}
	t.Skip(msg)
	return ""
}

// cliRunner runs Temporal CLI commands against one server and namespace.
type cliRunner struct {
	t                  *testing.T
	path               string
	env                []string
	address, namespace string
}

// run runs `temporal args… --address … --namespace …` and returns its
// stdout, failing t unless it exits 0.
func (c *cliRunner) run(args ...string) string {
	c.t.Helper()
	stdout, stderr, err := c.try(args...)
	require.NoError(c.t, err, "temporal %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), stdout, stderr)
	return stdout
}

// try runs a CLI command and returns its output and how it ended.
func (c *cliRunner) try(args ...string) (stdout, stderr string, err error) {
	c.t.Helper()
	ctx, cancel := testctx.Background(c.t)
	defer cancel()
	full := append(append([]string(nil), args...), "--address", c.address, "--namespace", c.namespace)
	cmd := exec.CommandContext(ctx, c.path, full...)
	cmd.Env = c.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ctx.Err() != nil {
		c.t.Fatalf("temporal %s did not end by the test's deadline\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), &out, &errOut)
	}
	c.t.Logf("$ temporal %s (err %v)\n%s%s", strings.Join(args, " "), err, &out, &errOut)
	return out.String(), errOut.String(), err
}

// json runs a CLI command with -o json and decodes its output into v.
func (c *cliRunner) json(v any, args ...string) {
	c.t.Helper()
	out := c.run(append(args, "-o", "json")...)
	require.NoError(c.t, json.Unmarshal([]byte(out), v), "output of temporal %s:\n%s", strings.Join(args, " "), out)
}

// cliOrder is an order as the Temporal CLI's --input takes it: the Python
// demo's snake_case JSON with unit_price a bare decimal, as doc.go shows it.
func cliOrder(orderID, price string) string {
	return `{"order_id":"` + orderID + `","customer_name":"Carol","customer_email":"carol@example.com",` +
		`"items":[{"product_id":"P1","product_name":"Pen","quantity":2,"unit_price":` + price + `}],` +
		`"shipping_address":"1 Elm St"}`
}

// cliState is the part of the get_order_state query's and the workflow's
// result JSON that the test checks.
type cliState struct {
	OrderID string `json:"order_id"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Total   struct {
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
	} `json:"total"`
	Approval struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	} `json:"approval"`
	Payment *struct {
		TransactionID string `json:"transaction_id"`
	} `json:"payment_result"`
	Delivery *struct {
		TrackingNumber string `json:"tracking_number"`
	} `json:"delivery_result"`
}

// cliResult is `temporal workflow result -o json`.
type cliResult struct {
	WorkflowID string   `json:"workflowId"`
	Status     string   `json:"status"`
	Result     cliState `json:"result"`
}

// cliQuery is `temporal workflow query -o json`: the QueryWorkflow response,
// whose one payload the CLI prints as its JSON.
type cliQuery struct {
	QueryResult []json.RawMessage `json:"queryResult"`
}

// query runs `temporal workflow query` and decodes its one answer into v.
func (c *cliRunner) query(v any, workflowID, queryType string) {
	c.t.Helper()
	var q cliQuery
	c.json(&q, "workflow", "query", "--workflow-id", workflowID, "--type", queryType)
	require.Len(c.t, q.QueryResult, 1, "query %s answers", queryType)
	require.NoError(c.t, json.Unmarshal(q.QueryResult[0], v), "answer of query %s: %s", queryType, q.QueryResult[0])
}

// TestTemporalCLI runs the Python demo's Temporal CLI commands (README,
// doc.go) against a real server and the example worker: start orders from
// JSON, query them, approve one by signal, cancel one natively, and look at
// them with show, describe, list and result.
func TestTemporalCLI(t *testing.T) {
	t.Parallel()
	cliPath := temporalCLI(t)
	ts, env := serverEnv(t)
	start(t, env, "Worker ready — polling", "worker", "-latency", "0")
	cli := &cliRunner{
		t: t, path: cliPath,
		// The server comes from the flags only: no TEMPORAL_* environment, no temporal.toml.
		env:     environ(t),
		address: ts.GetFrontendHostPort(), namespace: ts.GetDefaultNamespace(),
	}
	if info, err := buildinfo.ReadFile(cliPath); err == nil {
		t.Logf("Temporal CLI %s %s, built with %s", info.Main.Path, info.Main.Version, info.GoVersion)
	}

	// A small order exactly as doc.go starts it: no approval, 2 × 1.50 = $3.00.
	const smallID = "order-workflow-ORD-003"
	var started struct {
		WorkflowID string `json:"workflowId"`
		RunID      string `json:"runId"`
		Type       string `json:"type"`
		TaskQueue  string `json:"taskQueue"`
	}
	cli.json(&started, "workflow", "start", "--type", "OrderWorkflow", "--task-queue", "order-task-queue",
		"--workflow-id", smallID, "--input", cliOrder("ORD-003", "1.50"))
	assert.Equal(t, smallID, started.WorkflowID)
	assert.NotEmpty(t, started.RunID)
	var small cliResult
	cli.json(&small, "workflow", "result", "--workflow-id", smallID)
	assert.Equal(t, "COMPLETED", small.Status)
	assert.Equal(t, "completed", small.Result.Status, "result of %s", smallID)
	assert.Equal(t, "ORD-003", small.Result.OrderID)
	assert.Equal(t, int64(300), small.Result.Total.Amount, "2 × 1.50 in cents")
	assert.Equal(t, "USD", small.Result.Total.Currency)

	// A large order (2 × 999.99 = $1999.98) waits for approval.
	const largeID = "order-workflow-ORD-9"
	cli.run("workflow", "start", "--type", "OrderWorkflow", "--task-queue", "order-task-queue",
		"--workflow-id", largeID, "--input", cliOrder("ORD-9", "999.99"))
	// The README's command, as a person types it, then its JSON form.
	assert.Contains(t, cli.run("workflow", "query", "--workflow-id", largeID, "--type", "get_approval_status"), `"pending"`)
	var approval string
	cli.query(&approval, largeID, "get_approval_status")
	assert.Equal(t, "pending", approval)
	var state cliState
	cli.query(&state, largeID, "get_order_state")
	assert.Equal(t, "ORD-9", state.OrderID)
	assert.Equal(t, "awaiting_approval", state.Status)
	assert.Equal(t, "pending", state.Approval.Status)
	assert.Equal(t, int64(199998), state.Total.Amount, "2 × 999.99 in cents")
	assert.Nil(t, state.Payment, "charged before approval")

	// The Python demo's approval: a plain signal with a reason string.
	assert.Contains(t, cli.run("workflow", "signal", "--workflow-id", largeID, "--name", "approve_order", "--input", `"ok"`),
		"Signal workflow succeeded")
	var large cliResult
	cli.json(&large, "workflow", "result", "--workflow-id", largeID)
	assert.Equal(t, largeID, large.WorkflowID)
	assert.Equal(t, "COMPLETED", large.Status)
	assert.Equal(t, "completed", large.Result.Status)
	assert.Equal(t, "Order processed successfully", large.Result.Message)
	assert.Equal(t, "approved", large.Result.Approval.Status)
	assert.Equal(t, "ok", large.Result.Approval.Reason)
	if assert.NotNil(t, large.Result.Payment) {
		assert.True(t, strings.HasPrefix(large.Result.Payment.TransactionID, "TXN-"), large.Result.Payment.TransactionID)
	}
	if assert.NotNil(t, large.Result.Delivery) {
		assert.True(t, strings.HasPrefix(large.Result.Delivery.TrackingNumber, "TRACK-"), large.Result.Delivery.TrackingNumber)
	}
	cli.query(&state, largeID, "get_order_state")
	assert.Equal(t, "completed", state.Status, "get_order_state after the order ended")
	cli.query(&approval, largeID, "get_approval_status")
	assert.Equal(t, "approved", approval)

	// describe: the execution, completed, of type OrderWorkflow on the task queue.
	var described struct {
		WorkflowExecutionInfo struct {
			Execution struct {
				WorkflowID string `json:"workflowId"`
			} `json:"execution"`
			Type struct {
				Name string `json:"name"`
			} `json:"type"`
			Status    string `json:"status"`
			TaskQueue string `json:"taskQueue"`
		} `json:"workflowExecutionInfo"`
	}
	cli.json(&described, "workflow", "describe", "--workflow-id", largeID)
	info := described.WorkflowExecutionInfo
	assert.Equal(t, largeID, info.Execution.WorkflowID)
	assert.Equal(t, "OrderWorkflow", info.Type.Name)
	assert.Equal(t, "WORKFLOW_EXECUTION_STATUS_COMPLETED", info.Status)
	assert.Equal(t, "order-task-queue", info.TaskQueue)

	// show: the history, with the signal and the four activities, ends completed.
	var shown struct {
		Events []struct {
			EventType                                string `json:"eventType"`
			WorkflowExecutionSignaledEventAttributes *struct {
				SignalName string `json:"signalName"`
			} `json:"workflowExecutionSignaledEventAttributes"`
			ActivityTaskScheduledEventAttributes *struct {
				ActivityType struct {
					Name string `json:"name"`
				} `json:"activityType"`
			} `json:"activityTaskScheduledEventAttributes"`
		} `json:"events"`
	}
	cli.json(&shown, "workflow", "show", "--workflow-id", largeID)
	require.NotEmpty(t, shown.Events)
	var signals, activities []string
	for _, e := range shown.Events {
		if a := e.WorkflowExecutionSignaledEventAttributes; a != nil {
			signals = append(signals, a.SignalName)
		}
		if a := e.ActivityTaskScheduledEventAttributes; a != nil {
			activities = append(activities, a.ActivityType.Name)
		}
	}
	assert.Equal(t, []string{"approve_order"}, signals)
	assert.Equal(t, []string{"process_payment", "reserve_inventory", "arrange_delivery", "send_confirmation_email"}, activities)
	assert.Equal(t, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED", shown.Events[len(shown.Events)-1].EventType)
	// The text form a person reads: the event table, then the result.
	text := cli.run("workflow", "show", "--workflow-id", largeID)
	assert.Regexp(t, `\n\s*\d+\s+\S+\s+WorkflowExecutionSignaled\s*\n`, text)
	assert.Regexp(t, `\nResults:\n\s+Status\s+COMPLETED\n\s+Result\s+\{.*"status":"completed"`, text)

	// list: both orders appear, completed. Visibility trails the history, so poll.
	type listed struct {
		Execution struct {
			WorkflowID string `json:"workflowId"`
		} `json:"execution"`
		Type struct {
			Name string `json:"name"`
		} `json:"type"`
		Status string `json:"status"`
	}
	want := map[string]string{
		smallID: "WORKFLOW_EXECUTION_STATUS_COMPLETED",
		largeID: "WORKFLOW_EXECUTION_STATUS_COMPLETED",
	}
	var statuses map[string]string
	for deadline := testctx.Deadline(t); ; {
		var list []listed
		cli.json(&list, "workflow", "list")
		statuses = map[string]string{}
		for _, e := range list {
			// A server of -address may hold other workflows.
			if _, ours := want[e.Execution.WorkflowID]; !ours && *addressFlag != "" {
				continue
			}
			assert.Equal(t, "OrderWorkflow", e.Type.Name, e.Execution.WorkflowID)
			statuses[e.Execution.WorkflowID] = e.Status
		}
		if assert.ObjectsAreEqual(want, statuses) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	assert.Equal(t, want, statuses, "temporal workflow list")
	// The Python demo's end-to-end script's form, as a table.
	assert.Regexp(t, `\n\s*Completed\s+`+largeID+`\s+OrderWorkflow\s`, cli.run("workflow", "list", "--limit", "5"))

	// A native cancellation of a large order awaiting approval: the order
	// ends cancelled, as a result, not as a cancelled or failed workflow.
	const cancelID = "order-workflow-ORD-10"
	cli.run("workflow", "start", "--type", "OrderWorkflow", "--task-queue", "order-task-queue",
		"--workflow-id", cancelID, "--input", cliOrder("ORD-10", "999.99"))
	cli.query(&approval, cancelID, "get_approval_status")
	require.Equal(t, "pending", approval)
	assert.Contains(t, cli.run("workflow", "cancel", "--workflow-id", cancelID), "Canceled workflow")
	var cancelled cliResult
	cli.json(&cancelled, "workflow", "result", "--workflow-id", cancelID)
	assert.Equal(t, "COMPLETED", cancelled.Status, "the workflow returns its result")
	assert.Equal(t, "cancelled", cancelled.Result.Status)
	assert.Equal(t, "ORD-10", cancelled.Result.OrderID)
	assert.Nil(t, cancelled.Result.Payment, "a cancelled order was charged")
	cli.query(&state, cancelID, "get_order_state")
	assert.Equal(t, "cancelled", state.Status)
	cli.json(&described, "workflow", "describe", "--workflow-id", cancelID)
	assert.Equal(t, "WORKFLOW_EXECUTION_STATUS_COMPLETED", described.WorkflowExecutionInfo.Status)

}
