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
		summary += " — needs approval by " + clock(now, deadline)
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

// clock formats t for a person reading it at now: "14:05 UTC", or "Dec 6
// 14:05 UTC" on another day.
func clock(now, t time.Time) string {
	now, t = now.UTC(), t.UTC()
	if y, m, d := now.Date(); t.Year() != y || t.Month() != m || t.Day() != d {
		return t.Format("Jan 2 15:04 UTC")
	}
	return t.Format("15:04 UTC")
}

// showDetails sets the order's current details, which the Web UI shows.
// Queries read them, so replay does not depend on them.
func showDetails(ctx workflow.Context, format string, args ...any) {
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
	what := w.callSummary(activity)
	showDetails(ctx, "**%s**: %s, since %s. Its attempts and last error show on the pending activity.",
		title(string(step)), strings.ToLower(what[:1])+what[1:], workflow.Now(ctx).UTC().Format("15:04:05 UTC"))
}

// title writes a wire name for people: "confirmation_email" is
// "Confirmation email".
func title(name string) string {
	if name == "" {
		return ""
	}
	return strings.ToUpper(name[:1]) + strings.ReplaceAll(name[1:], "_", " ")
}

// showEnd sets the current details of an order that has ended, from its
// status, the step that failed, why, and what was undone: never its
// message, which may quote a provider (and the provider a customer's
// address) or an approver.
func (w *orderWorkflow) showEnd(ctx workflow.Context) {
	s := &w.state
	text := "**" + title(string(s.Status)) + "**"
	if s.FailedStep != "" {
		text += " at " + strings.ToLower(title(string(s.FailedStep)))
	}
	if r := endReason(s); r != "none" && r != string(s.Status) {
		text += " (" + strings.ReplaceAll(r, "_", " ") + ")"
	}
	var undone []string
	for _, c := range s.Compensations {
		if c.Error == "" {
			undone = append(undone, string(c.Undoes))
		}
	}
	if len(undone) > 0 {
		text += "; undone: " + strings.Join(undone, ", ")
	}
	switch s.Status {
	case StatusCompleted:
		text += ": " + s.Message // orderflow's own words
	case StatusNeedsAttention:
		text += "; a person must act: see the order's state"
	}
	showDetails(ctx, "%s", text)
}
