package orderflow

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

// What the Temporal Web UI and CLI show of an order, as a person would say
// it: Temporal's user metadata. The Client gives each order a summary and
// details when it starts it; the workflow keeps its current details and
// names each call and its approval timer. None of it holds customer data
// (no name, email, address or product name), and all of it goes through
// the client's data converter, so an encryption codec covers it.

// startMetadata returns the summary and details of the order of in,
// started at now: "ORD-002 — $1899.97, 2 items — needs approval by 14:05
// UTC", and a few Markdown lines of what the order will do.
func startMetadata(in workflowInput, now time.Time) (summary, details string) {
	o, s := in.Order, in.plan.Settings
	summary = fmt.Sprintf("%s — %s, %s", o.OrderID, in.plan.Total, itemCount(o.Items))
	approval := fmt.Sprintf("not needed (%s or less)", s.ApprovalThreshold)
	if in.plan.RequiresApproval {
		deadline := now.Add(s.ApprovalTimeout).UTC()
		summary += " — needs approval by " + clock(deadline)
		approval = fmt.Sprintf("needed (over %s), within %v: by %s", s.ApprovalThreshold, s.ApprovalTimeout,
			deadline.Format("2006-01-02 15:04:05 UTC"))
	}
	mode := "default"
	if s.LowLatency {
		mode = "low latency"
	}
	details = fmt.Sprintf("**Order** %s · **Total** %s · **Items** %d (%d units)\n\n**Approval** %s\n\n**Mode** %s",
		o.OrderID, in.plan.Total, len(o.Items), unitCount(o.Items), approval, mode)
	return summary, details
}

// itemCount says how many lines items has: "1 item", "3 items".
func itemCount(items []Item) string {
	if len(items) == 1 {
		return "1 item"
	}
	return fmt.Sprintf("%d items", len(items))
}

// unitCount is how many units items hold.
func unitCount(items []Item) int64 {
	var n int64
	for _, it := range items {
		n += it.Quantity
	}
	return n
}

// clock formats t as "14:05 UTC".
func clock(t time.Time) string { return t.UTC().Format("15:04 UTC") }

// showDetails sets the order's current details, which the Web UI shows.
// Queries read them, so replay does not depend on them.
func (w *orderWorkflow) showDetails(ctx workflow.Context, format string, args ...any) {
	workflow.SetCurrentDetails(ctx, fmt.Sprintf(format, args...))
}

// callSummary names a provider call for the Web UI's event history:
// "Charge $1899.97", "Release 2 items (undo inventory)".
func (w *orderWorkflow) callSummary(activity string) string {
	total, items := w.state.Total.String(), itemCount(w.in.Order.Items)
	switch activity {
	case ActivityProcessPayment:
		return "Charge " + total
	case ActivityRefundPayment:
		return "Refund " + total + " (undo payment)"
	case ActivityReserveInventory:
		return "Reserve " + items
	case ActivityReleaseInventory:
		return "Release " + items + " (undo inventory)"
	case ActivityArrangeDelivery:
		return "Arrange delivery of " + items
	case ActivitySendConfirmation:
		return "Send the confirmation email"
	}
	return activity
}

// showCall sets the current details while a provider call runs.
func (w *orderWorkflow) showCall(ctx workflow.Context, step Step, activity string) {
	what := strings.ToLower(w.callSummary(activity)[:1]) + w.callSummary(activity)[1:]
	w.showDetails(ctx, "**%s**: %s, since %s. Its attempts and last error show on the pending activity.",
		stepTitle(step), what, workflow.Now(ctx).UTC().Format("15:04:05 UTC"))
}

// stepTitle is a step's name for people: "Payment".
func stepTitle(s Step) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// showEnd sets the current details of an order that has ended.
func (w *orderWorkflow) showEnd(ctx workflow.Context) {
	w.showDetails(ctx, "**%s**: %s", statusWords(w.state.Status), w.state.Message)
}

// statusWords is a status for people: "Needs attention".
func statusWords(s Status) string {
	return stepTitle(Step(strings.ReplaceAll(string(s), "_", " ")))
}
