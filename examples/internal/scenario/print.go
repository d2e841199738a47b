package scenario

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/orderflow/orderflow"
)

// ruler frames the Python demo's blocks.
var ruler = strings.Repeat("=", 70)

// PrintStarting prints the starter's first line:
//
//	Starting order workflow for Alice Smith, order ID: ORD-001, total: $89.95
func PrintStarting(w io.Writer, order orderflow.Order) error {
	total, err := order.Total()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Starting order workflow for %s, order ID: %s, total: %s\n", order.CustomerName, order.OrderID, total)
	return nil
}

// PrintResult prints the Python demo's "Order Result" block: status,
// message, and what payment, inventory and delivery returned. It adds what
// the Python demo lacks: the failed step, compensations and warnings.
func PrintResult(w io.Writer, r *orderflow.OrderState) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, ruler)
	fmt.Fprintf(w, "Order Result: %s\n", strings.ToUpper(string(r.Status)))
	fmt.Fprintln(w, ruler)
	fmt.Fprintf(w, "Order ID: %s\n", r.OrderID)
	fmt.Fprintf(w, "Status: %s\n", r.Status)
	fmt.Fprintf(w, "Message: %s\n", r.Message)
	if p := r.Payment; p != nil {
		fmt.Fprintf(w, "\nPayment:\n  Transaction ID: %s\n  %s\n", p.TransactionID, p.Message)
	}
	if inv := r.Inventory; inv != nil {
		fmt.Fprintf(w, "\nInventory:\n  Reservation ID: %s\n  %s\n", inv.ReservationID, inv.Message)
	}
	if d := r.Delivery; d != nil {
		fmt.Fprintf(w, "\nDelivery:\n  Tracking Number: %s\n  Estimated Delivery: %s\n  %s\n",
			d.TrackingNumber, d.EstimatedDelivery, d.Message)
	}
	if r.FailedStep != "" {
		fmt.Fprintf(w, "\nFailed step: %s (%s)\n", r.FailedStep, r.FailureType)
	}
	if len(r.Compensations) > 0 {
		fmt.Fprintln(w, "\nCompensations:")
		for _, c := range r.Compensations {
			outcome := "ok"
			if c.Error != "" {
				outcome = "FAILED: " + c.Error
			}
			fmt.Fprintf(w, "  %s of %s %s: %s\n", c.Activity, c.Undoes, c.Reference, outcome)
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings:")
		for _, warning := range r.Warnings {
			fmt.Fprintf(w, "  %s\n", warning)
		}
	}
	fmt.Fprintln(w, ruler)
}

// PrintApprovalRequired prints the Python demo's "ORDER REQUIRES APPROVAL"
// block for an order of amount that waits up to timeout. The block names
// the approve program's commands, or says note instead when note is not empty.
func PrintApprovalRequired(w io.Writer, orderID string, amount orderflow.Money, timeout time.Duration, note string) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, ruler)
	fmt.Fprintln(w, "⚠️  ORDER REQUIRES APPROVAL")
	fmt.Fprintln(w, ruler)
	fmt.Fprintf(w, "Order ID: %s\n", orderID)
	fmt.Fprintf(w, "Amount: %s\n", amount)
	fmt.Fprintln(w)
	if note == "" {
		fmt.Fprintf(w, "To approve this order, run:\n  go run ./examples/approve %s approve\n\n", orderID)
		fmt.Fprintf(w, "To reject this order, run:\n  go run ./examples/approve %s reject\n", orderID)
	} else {
		fmt.Fprintln(w, note)
	}
	fmt.Fprintln(w, ruler)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Workflow started and waiting for approval...")
	fmt.Fprintf(w, "Workflow will wait up to %s for approval signal.\n", humanDuration(timeout))
}

// PrintDecision prints the Python demo's "ORDER APPROVED" block, or its
// "ORDER REJECTED" counterpart, for a decision that took.
func PrintDecision(w io.Writer, orderID string, a orderflow.Approval) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, ruler)
	if a.Status == orderflow.ApprovalApproved {
		fmt.Fprintln(w, "✅ ORDER APPROVED")
	} else {
		fmt.Fprintln(w, "❌ ORDER REJECTED")
	}
	fmt.Fprintln(w, ruler)
	fmt.Fprintf(w, "Order ID: %s\n", orderID)
	fmt.Fprintf(w, "Reason: %s\n", a.Reason)
	fmt.Fprintln(w, ruler)
	if a.Status == orderflow.ApprovalApproved {
		fmt.Fprintln(w, "The workflow will now proceed with payment and fulfillment.")
	} else {
		fmt.Fprintln(w, "The workflow will now end the order as rejected; nothing is charged.")
	}
	fmt.Fprintln(w)
}

// PrintOutcome prints the approval sender's closing lines:
//
//	Workflow completed with status: completed
//	Message: Order processed successfully
func PrintOutcome(w io.Writer, r *orderflow.OrderState) {
	fmt.Fprintf(w, "Workflow completed with status: %s\n", r.Status)
	fmt.Fprintf(w, "Message: %s\n", r.Message)
}

// humanDuration writes whole minutes and seconds as the Python demo does
// ("5 minutes"), anything else as Go does.
func humanDuration(d time.Duration) string {
	unit := func(n int64, name string) string {
		if n == 1 {
			return "1 " + name
		}
		return fmt.Sprintf("%d %ss", n, name)
	}
	switch {
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	case d >= time.Second && d%time.Second == 0:
		return unit(int64(d/time.Second), "second")
	}
	return d.String()
}
