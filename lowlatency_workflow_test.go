package orderflow_test

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/orderflow/orderflow"
)

// lowLatency returns the settings the Client sends with Options.LowLatency,
// for the given workflow version (0: the current one).
func lowLatency(version int) *orderflow.Settings {
	st := defaultSettings()
	st.LowLatency = true
	if version != 0 {
		st.WorkflowVersion = version
	}
	return &st
}

// trackLocal records the activities that start as local activities.
func (s *WorkflowSuite) trackLocal() *[]string {
	var local []string
	s.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		local = append(local, info.ActivityType.Name)
	})
	return &local
}

// The payment after an approval runs in the workflow task that takes the
// approval, as a local activity; only the delivery runs as an activity.
func (s *WorkflowSuite) TestLowLatencyApprovalPaysInItsOwnTask() {
	local := s.trackLocal()
	var out *updateOutcome
	s.at(time.Minute, func() { out = s.updateAs(orderflow.UpdateApprove, "ok", "alice") })
	res := s.run(largeOrder("ORD-002"), lowLatency(0))

	s.requireAccepted(out)
	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Equal(orderflow.USD(189997), s.p.Payment.Held("ORD-002"))
	s.Equal([]string{orderflow.ActivityProcessPayment, orderflow.ActivityReserveInventory, orderflow.ActivitySendConfirmation}, *local)
	s.Equal([]string{orderflow.ActivityArrangeDelivery}, s.started)
	s.Empty(res.Compensations)
}

// Orders started as version 2 keep its way: the payment after an approval
// runs as an activity.
func (s *WorkflowSuite) TestLowLatencyVersion2ApprovalPaysAsAnActivity() {
	local := s.trackLocal()
	s.at(time.Minute, func() { s.updateAs(orderflow.UpdateApprove, "ok", "alice") })
	res := s.run(largeOrder("ORD-002"), lowLatency(2))

	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Equal([]string{orderflow.ActivityReserveInventory, orderflow.ActivitySendConfirmation}, *local)
	s.Equal([]string{orderflow.ActivityProcessPayment, orderflow.ActivityArrangeDelivery}, s.started)
}

// chargeAsALostTask charges and reserves under the order's keys, as a run
// of the workflow task that took an approval would have before the worker
// died: the rerun saw another decision first, and nothing in history says
// the money was taken.
func (s *WorkflowSuite) chargeAsALostTask(o orderflow.Order) {
	wid := orderflow.WorkflowID(o.OrderID)
	total, err := o.Total()
	s.Require().NoError(err)
	_, err = s.p.Payment.Charge(context.Background(), orderflow.ChargeRequest{OrderID: o.OrderID, Amount: total,
		IdempotencyKey: orderflow.IdempotencyKey(wid, o.OrderID, orderflow.ActivityProcessPayment)})
	s.Require().NoError(err)
	_, err = s.p.Inventory.Reserve(context.Background(), orderflow.ReserveRequest{OrderID: o.OrderID, Items: o.Items,
		IdempotencyKey: orderflow.IdempotencyKey(wid, o.OrderID, orderflow.ActivityReserveInventory)})
	s.Require().NoError(err)
}

// An order that ends without approval in the low-latency mode refunds and
// releases by key what a lost workflow task took, for every way of ending
// so; the calls are not listed as compensations.
func (s *WorkflowSuite) TestLowLatencyOrderEndingWithoutApprovalUndoesALostApproval() {
	for _, tc := range []struct {
		name   string
		decide func()
		status orderflow.Status
	}{
		{"rejected by update", func() { s.updateAs(orderflow.UpdateReject, "no", "bob") }, orderflow.StatusRejected},
		{"rejected by signal", func() { s.env.SignalWorkflow(orderflow.SignalReject, "no") }, orderflow.StatusRejected},
		{"cancelled", func() { s.update(orderflow.UpdateCancel, "changed my mind") }, orderflow.StatusCancelled},
		{"timed out", nil, orderflow.StatusTimedOut},
	} {
		s.Run(tc.name, func() {
			s.SetupTest()
			o := largeOrder("ORD-002")
			s.at(time.Second, func() { s.chargeAsALostTask(o) })
			if tc.decide != nil {
				s.at(time.Minute, tc.decide)
			}
			res := s.run(o, lowLatency(0))

			s.Equal(tc.status, res.Status, res.Message)
			s.Zero(s.p.Payment.Held(o.OrderID).Amount, "the lost task's charge must be refunded")
			s.Require().Len(s.p.Inventory.Reservations(), 1)
			s.True(s.p.Inventory.Reservations()[0].Released, "the lost task's reservation must be released")
			s.Empty(res.Compensations, "nothing the order knows of was undone")
			s.Empty(s.started, "no activity: the calls are local")
			s.Equal(orderflow.StepDone, res.Step)
		})
	}
}

// A refund by key that the provider refuses leaves the order needing a
// person, with the refusal listed.
func (s *WorkflowSuite) TestLowLatencyRefusedRefundByKeyNeedsAPerson() {
	s.p.Payment.RefundFaults.FailOrder("ORD-002", fmt.Errorf("account closed: %w", orderflow.ErrPermanent))
	res := s.run(largeOrder("ORD-002"), lowLatency(0))

	s.Equal(orderflow.StatusNeedsAttention, res.Status)
	s.Contains(res.Message, "timed out")
	s.Require().Len(res.Compensations, 1)
	s.Equal(orderflow.ActivityRefundPayment, res.Compensations[0].Activity)
	s.Contains(res.Compensations[0].Error, "account closed")
	s.Equal(orderflow.ApprovalTimedOut, res.Approval.Status)
}

// A zombie run of the lost task that charges after the rejection refunded
// by key takes nothing.
func (s *WorkflowSuite) TestLowLatencyChargeAfterTheRefundByKeyIsDeclined() {
	s.at(time.Minute, func() { s.updateAs(orderflow.UpdateReject, "no", "bob") })
	o := largeOrder("ORD-002")
	res := s.run(o, lowLatency(0))
	s.Equal(orderflow.StatusRejected, res.Status)

	wid := orderflow.WorkflowID(o.OrderID)
	_, err := s.p.Payment.Charge(context.Background(), orderflow.ChargeRequest{OrderID: o.OrderID, Amount: orderflow.USD(189997),
		IdempotencyKey: orderflow.IdempotencyKey(wid, o.OrderID, orderflow.ActivityProcessPayment)})
	s.ErrorIs(err, orderflow.ErrPaymentDeclined)
	s.Zero(s.p.Payment.Held(o.OrderID).Amount)
}
