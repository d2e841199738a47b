package orderflow

import (
	"context"
	"errors"
	"strconv"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

// Order metrics, emitted through the SDK's metrics handler: the workflow's
// and activities' go wherever the worker's Temporal client sends its own
// (client.Options.MetricsHandler), and are not recorded again when a
// workflow replays; Checkout's go to Options.MetricsHandler. Tags never
// carry order IDs or customer data. The package doc lists them.
const (
	metricOrdersStarted        = "orderflow_orders_started"
	metricOrdersEnded          = "orderflow_orders_ended"
	metricApprovalWait         = "orderflow_approval_wait"
	metricCompensationAttempts = "orderflow_compensation_attempts"
	metricProviderLatency      = "orderflow_provider_latency"
	metricCheckoutLatency      = "orderflow_checkout_latency"
)

// orderStarted counts an order's start, in its first workflow task.
func (w *orderWorkflow) orderStarted(ctx workflow.Context) {
	mode := "default"
	if w.plan.Settings.LowLatency {
		mode = "low_latency"
	}
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{
		"mode": mode, "approval_required": strconv.FormatBool(w.plan.RequiresApproval),
	}).Counter(metricOrdersStarted).Inc(1)
}

// orderEnded counts an order's end by status and reason.
func (w *orderWorkflow) orderEnded(ctx workflow.Context) {
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{
		"status": string(w.state.Status), "reason": endReason(&w.state),
	}).Counter(metricOrdersEnded).Inc(1)
}

// endReason says why an order ended as it did, in a few stable words.
func endReason(s *OrderState) string {
	switch s.Status {
	case StatusCompleted:
		return "none"
	case StatusFailed:
		return failureReason(s.FailureType)
	case StatusNeedsAttention:
		for _, c := range s.Compensations {
			if c.Error != "" {
				return "compensation_refused"
			}
		}
		return "delivery_unknown"
	}
	return string(s.Status) // rejected, timed_out, cancelled
}

// failureReason names a FailureType in a metric tag.
func failureReason(typ string) string {
	switch typ {
	case errorTypePaymentDeclined:
		return "declined"
	case errorTypeOutOfStock:
		return "out_of_stock"
	case errorTypeUndeliverable:
		return "undeliverable"
	case errorTypePermanent:
		return "refused"
	case errorTypeActivityTimedOut:
		return "step_timed_out"
	case errorTypeActivityCancelled:
		return "step_cancelled"
	}
	return "retries_exhausted"
}

// approvalWaited records how long an order waited for its decision, by the
// decision.
func (w *orderWorkflow) approvalWaited(ctx workflow.Context, since time.Time) {
	outcome := map[stage]string{stageGoing: "approved", stageRejected: "rejected",
		stageTimedOut: "timed_out", stageCancelled: "cancelled"}[w.stage]
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"outcome": outcome}).
		Timer(metricApprovalWait).Record(workflow.Now(ctx).Sub(since))
}

// providerCall names a provider operation in metric tags. compensates is the
// step a refund or release undoes, "" for a forward step.
type providerCall struct {
	provider, operation string
	compensates         Step
}

// recordCall records one provider call attempt that took d and returned
// err (already through providerError), when ctx is an activity's.
func recordCall(ctx context.Context, c providerCall, d time.Duration, err error) {
	if !activity.IsActivity(ctx) {
		return
	}
	outcome := "ok"
	switch {
	case err == nil:
	case permanentType(err) != "":
		outcome = failureReason(permanentType(err))
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		outcome = "cancelled"
	default:
		outcome = "error"
	}
	h := activity.GetMetricsHandler(ctx)
	h.WithTags(map[string]string{"provider": c.provider, "operation": c.operation, "outcome": outcome}).
		Timer(metricProviderLatency).Record(d)
	if c.compensates == "" {
		return
	}
	// A compensation is retried until the provider answers: an error other
	// than a refusal is a retry to come.
	attempt := "succeeded"
	switch {
	case err == nil:
	case permanentType(err) != "":
		attempt = "refused"
	default:
		attempt = "retrying"
	}
	h.WithTags(map[string]string{"step": string(c.compensates), "outcome": attempt}).
		Counter(metricCompensationAttempts).Inc(1)
}

// checkoutOutcome names how a Checkout call ended, as a metric tag.
func checkoutOutcome(res *CheckoutResult, err error) string {
	switch {
	case res == nil && errors.Is(err, ErrInvalidOrder):
		return "invalid_order"
	case res == nil && errors.Is(err, ErrOrderExists):
		return "order_exists"
	case res == nil:
		return "error"
	case res.Paid():
		return "paid"
	case res.AwaitingApproval():
		return "awaiting_approval"
	}
	return "not_paid"
}

// recordCheckout records a Checkout call's latency on h, if set.
func recordCheckout(h client.MetricsHandler, start time.Time, res *CheckoutResult, err error) {
	if h == nil {
		return
	}
	h.WithTags(map[string]string{"outcome": checkoutOutcome(res, err)}).
		Timer(metricCheckoutLatency).Record(time.Since(start))
}
