package crashtest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/orderflow/orderflow"
)

// statusNeedsAttention is the outcome of an order that a person must settle.
const statusNeedsAttention = orderflow.StatusNeedsAttention

// checker collects what is wrong with one order.
type checker struct {
	o        *orderRun
	b        books
	problems []string
}

func (c *checker) fail(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// checkOrder compares how an order ended, and what its Client calls were
// told, with what the ledger holds for it. It returns one line per problem.
func checkOrder(o *orderRun, b books) []string {
	c := &checker{o: o, b: b}
	for _, a := range b.Anomalies {
		c.fail("the provider got a bad request: %s", a)
	}
	switch {
	case o.startErr != nil:
		c.fail("not started: %v", o.startErr)
	case o.result == nil && errors.Is(o.resultErr, context.DeadlineExceeded):
		c.fail("stuck: no result within the wait; last status: %s", o.lastStatus)
	case o.result == nil:
		c.fail("ended without a result: %v; last status: %s", o.resultErr, o.lastStatus)
	default:
		c.checkBooks()
		c.checkCalls()
	}
	return c.problems
}

// checkBooks checks the ledger against the order's status.
func (c *checker) checkBooks() {
	res := c.o.result
	switch res.Status {
	case orderflow.StatusCompleted:
		c.checkCompleted()
	case orderflow.StatusFailed, orderflow.StatusCancelled:
		c.checkHolds(false, false, false)
	case orderflow.StatusRejected, orderflow.StatusTimedOut:
		if len(c.b.Charges) > 0 || len(c.b.Reservations) > 0 {
			c.fail("ended %s, but it was charged or reserved (even if undone since): %s", res.Status, c.ledgerSays())
		}
		c.checkHolds(false, false, false)
	case statusNeedsAttention:
		c.checkNeedsAttention()
	default:
		c.fail("ended with unknown status %q (%s)", res.Status, describe(res))
	}
}

// checkCompleted: one charge of the total, one reservation, one shipment,
// at most one confirmation, and the result names what the ledger holds.
func (c *checker) checkCompleted() {
	live, kept := c.b.liveCharges(), c.b.keptReservations()
	switch {
	case len(live) != 1 || live[0].Amount != c.o.Total:
		c.fail("completed, but it is not charged exactly once %s: %s", c.o.Total, c.ledgerSays())
	case c.o.result.Payment == nil || c.o.result.Payment.TransactionID != live[0].TransactionID:
		c.fail("completed with payment %+v, but the ledger holds %s", c.o.result.Payment, live[0].TransactionID)
	}
	if len(kept) != 1 {
		c.fail("completed, but it does not hold exactly one reservation: %s", c.ledgerSays())
	}
	if len(c.b.Shipments) != 1 {
		c.fail("completed, but it does not have exactly one shipment: %s", c.ledgerSays())
	} else if d := c.o.result.Delivery; d == nil || d.TrackingNumber != c.b.Shipments[0].TrackingNumber {
		c.fail("completed with delivery %+v, but the ledger shipped %s", d, c.b.Shipments[0].TrackingNumber)
	}
	if c.b.Emails > 1 {
		c.fail("completed, but %d confirmation emails were sent", c.b.Emails)
	}
}

// checkNeedsAttention: the ledger holds exactly what the result says was
// not undone. A refused compensation leaves its money or stock held; a
// delivery whose outcome is unknown leaves payment and stock held, and
// maybe a shipment.
func (c *checker) checkNeedsAttention() {
	res := c.o.result
	deliveryUnknown := res.FailedStep == orderflow.StepDelivery && res.FailureType != "orderflow.Undeliverable"
	charge := held(res, orderflow.ActivityRefundPayment, orderflow.StepPayment, deliveryUnknown)
	stock := held(res, orderflow.ActivityReleaseInventory, orderflow.StepInventory, deliveryUnknown)
	if !deliveryUnknown && !hasFailedCompensation(res) {
		c.fail("needs attention, but its result names no refused compensation and no unknown delivery (%s)", describe(res))
	}
	c.checkHolds(charge, stock, deliveryUnknown)
}

// held reports whether the result says a step's effect is still held: its
// compensation was refused, or never ran because delivery's outcome is
// unknown.
func held(res *orderflow.OrderState, activity string, undoes orderflow.Step, deliveryUnknown bool) bool {
	ran := false
	for _, comp := range res.Compensations {
		if comp.Activity == activity || comp.Undoes == undoes {
			if comp.Error != "" {
				return true
			}
			ran = true
		}
	}
	return !ran && deliveryUnknown
}

func hasFailedCompensation(res *orderflow.OrderState) bool {
	for _, comp := range res.Compensations {
		if comp.Error != "" {
			return true
		}
	}
	return false
}

// checkHolds checks that the order holds its total if charge (else
// nothing), one reservation if stock (else none), and a shipment only if
// mayShip. An order that did not complete sends no confirmation.
func (c *checker) checkHolds(charge, stock, mayShip bool) {
	res := c.o.result
	live, kept := c.b.liveCharges(), c.b.keptReservations()
	switch {
	case charge && (len(live) != 1 || live[0].Amount != c.o.Total):
		c.fail("ended %s and its result says the charge of %s is still held, but the ledger disagrees: %s; %s",
			res.Status, c.o.Total, c.ledgerSays(), describe(res))
	case !charge && len(live) > 0:
		c.fail("ended %s, but money is still charged: %s; %s", res.Status, c.ledgerSays(), describe(res))
	}
	switch {
	case stock && len(kept) != 1:
		c.fail("ended %s and its result says the reservation is still held, but the ledger disagrees: %s; %s",
			res.Status, c.ledgerSays(), describe(res))
	case !stock && len(kept) > 0:
		c.fail("ended %s, but stock is still reserved: %s; %s", res.Status, c.ledgerSays(), describe(res))
	}
	switch {
	case mayShip && len(c.b.Shipments) > 1:
		c.fail("ended %s with %d shipments", res.Status, len(c.b.Shipments))
	case !mayShip && len(c.b.Shipments) > 0:
		c.fail("ended %s, but a shipment was booked: %s; %s", res.Status, c.ledgerSays(), describe(res))
	}
	if c.b.Emails > 0 {
		c.fail("ended %s, but a confirmation email was sent", res.Status)
	}
}

// checkCalls checks what each Client call was told against the end: an
// accepted call's decision took, a refused one lost to another decision.
func (c *checker) checkCalls() {
	res := c.o.result
	for _, call := range c.o.calls {
		switch {
		case call.accepted():
			c.checkAccepted(call, res)
		case call.refused():
			c.checkRefused(call, res)
		}
	}
}

func (c *checker) checkAccepted(call callRecord, res *orderflow.OrderState) {
	switch call.Op {
	case opApprove:
		if res.Status == orderflow.StatusRejected || res.Status == orderflow.StatusTimedOut {
			c.fail("%s, but the order ended %s (%s)", call, res.Status, describe(res))
		}
	case opReject:
		if res.Status != orderflow.StatusRejected {
			c.fail("%s, but the order ended %s (%s)", call, res.Status, describe(res))
		}
	case opCancel:
		refused := res.Status == statusNeedsAttention && hasFailedCompensation(res)
		if res.Status != orderflow.StatusCancelled && !refused {
			c.fail("%s, but the order ended %s (%s)", call, res.Status, describe(res))
		}
	}
}

// checkRefused flags a refusal of the very decision that won: a call
// retried with the same reason must get the first call's answer.
func (c *checker) checkRefused(call callRecord, res *orderflow.OrderState) {
	var won bool
	switch call.Op {
	case opApprove:
		won = res.Approval.Status == orderflow.ApprovalApproved && res.Approval.Reason == call.Reason
	case opReject:
		won = res.Status == orderflow.StatusRejected && res.Approval.Reason == call.Reason
	case opCancel:
		won = res.Status == orderflow.StatusCancelled && res.CancelReason == call.Reason
	}
	if won {
		c.fail("%s, yet that same decision won (%s)", call, describe(res))
	}
}

// ledgerSays describes what the ledger holds for the order.
func (c *checker) ledgerSays() string {
	var parts []string
	for _, ch := range c.b.Charges {
		state := "held"
		if ch.Refunded {
			state = "refunded"
		}
		parts = append(parts, fmt.Sprintf("charge %s %s %s", ch.TransactionID, ch.Amount, state))
	}
	for _, r := range c.b.Reservations {
		state := "held"
		if r.Released {
			state = "released"
		}
		parts = append(parts, fmt.Sprintf("reservation %s %s", r.ReservationID, state))
	}
	for _, s := range c.b.Shipments {
		parts = append(parts, "shipment "+s.TrackingNumber)
	}
	if len(parts) == 0 {
		return "ledger holds nothing"
	}
	return "ledger: " + strings.Join(parts, ", ")
}

// describe sums up an order's state for a violation line.
func describe(r *orderflow.OrderState) string {
	s := fmt.Sprintf("status=%s step=%s approval=%s", r.Status, r.Step, r.Approval.Status)
	if r.FailedStep != "" {
		s += fmt.Sprintf(" failed_step=%s failure_type=%s", r.FailedStep, r.FailureType)
	}
	if r.Current != nil {
		s += fmt.Sprintf(" current=%s attempt=%d last_error=%q", r.Current.Activity, r.Current.Attempt, r.Current.LastError)
	}
	for _, comp := range r.Compensations {
		outcome := "ok"
		if comp.Error != "" {
			outcome = fmt.Sprintf("error %q", comp.Error)
		}
		s += fmt.Sprintf(" compensation[%s %s]", comp.Activity, outcome)
	}
	return s + fmt.Sprintf(" message=%q", r.Message)
}
