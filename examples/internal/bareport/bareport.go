// Package bareport is the Python demo's order workflow written directly
// against the Temporal Go SDK, with no-op activities: the baseline the
// benchmarks measure orderflow against. Its activity options are
// orderflow's defaults for the forward steps (orderflow also sets a
// heartbeat timeout, which a no-op activity never comes near).
package bareport

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow"
)

// Steps are the Python demo's activities, in the order they run.
var Steps = []string{
	orderflow.ActivityProcessPayment,
	orderflow.ActivityReserveInventory,
	orderflow.ActivityArrangeDelivery,
	orderflow.ActivitySendConfirmation,
}

// Receipt is what each step returns: a small struct, as the Python demo's
// activities return a small dict.
type Receipt struct {
	Step    string `json:"step"`
	OrderID string `json:"order_id"`
	Status  string `json:"status"`
}

// Result is what the approval workflow returns.
type Result struct {
	Status   string    `json:"status"` // completed or timed_out
	Reason   string    `json:"reason,omitempty"`
	Receipts []Receipt `json:"receipts"`
}

// Register registers Workflow under workflowName and ApprovalWorkflow
// (with approvalTimeout) under approvalName, each if its name is not empty,
// and one no-op activity per step under its wire name.
func Register(r worker.Registry, workflowName, approvalName string, approvalTimeout time.Duration) {
	if workflowName != "" {
		r.RegisterWorkflowWithOptions(Workflow, workflow.RegisterOptions{Name: workflowName})
	}
	if approvalName != "" {
		r.RegisterWorkflowWithOptions(ApprovalWorkflow(approvalTimeout), workflow.RegisterOptions{Name: approvalName})
	}
	for _, name := range Steps {
		r.RegisterActivityWithOptions(step(name), activity.RegisterOptions{Name: name})
	}
}

// step returns a no-op activity for the step name.
func step(name string) func(context.Context, orderflow.Order) (Receipt, error) {
	return func(_ context.Context, o orderflow.Order) (Receipt, error) {
		return Receipt{Step: name, OrderID: o.OrderID, Status: "success"}, nil
	}
}

// ActivityOptions are orderflow's default options for its forward steps.
func ActivityOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
			MaximumAttempts:    3,
		},
	}
}

// Workflow runs the four steps in sequence and returns their receipts: the
// Python demo's small order.
func Workflow(ctx workflow.Context, o orderflow.Order) ([]Receipt, error) {
	ctx = workflow.WithActivityOptions(ctx, ActivityOptions())
	receipts := make([]Receipt, len(Steps))
	for i, name := range Steps {
		if err := workflow.ExecuteActivity(ctx, name, o).Get(ctx, &receipts[i]); err != nil {
			return receipts[:i], err
		}
	}
	return receipts, nil
}

// ApprovalWorkflow returns the Python demo's workflow for a large order: it
// waits for the approve_order signal (a string reason) or the approval
// timeout, as the demo's wait_condition with a timeout does (the timer is
// cancelled when the approval comes), then runs the four steps.
func ApprovalWorkflow(timeout time.Duration) func(workflow.Context, orderflow.Order) (Result, error) {
	return func(ctx workflow.Context, o orderflow.Order) (Result, error) {
		var res Result
		approved := false
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(workflow.GetSignalChannel(ctx, orderflow.SignalApprove), func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, &res.Reason)
			approved = true
		})
		sel.AddFuture(workflow.NewTimer(timerCtx, timeout), func(workflow.Future) {})
		sel.Select(ctx)
		if !approved {
			res.Status = "timed_out"
			return res, nil
		}
		cancelTimer()
		receipts, err := Workflow(ctx, o)
		res.Receipts = receipts
		if err == nil {
			res.Status = "completed"
		}
		return res, err
	}
}
