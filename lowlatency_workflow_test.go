package orderflow_test

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/orderflow/orderflow"
)

// lowLatency returns options with LowLatency on.
func lowLatency() *orderflow.Options {
	st := defaultSettings()
	st.LowLatency = true
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

// In the low-latency mode, the payment after an approval runs as an
// activity, whose scheduling records the approval before any money moves,
// and the delivery too, which cannot be undone; the other calls run in the
// workflow's tasks.
func (s *WorkflowSuite) TestLowLatencyApprovalIsRecordedBeforeThePayment() {
	local := s.trackLocal()
	var out *updateOutcome
	s.at(time.Minute, func() { out = s.updateAs(orderflow.UpdateApprove, "ok", "alice") })
	res := s.run(largeOrder("ORD-002"), lowLatency())

	s.requireAccepted(out)
	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Equal(orderflow.USD(189997), s.p.Payment.Held("ORD-002"))
	s.Equal([]string{orderflow.ActivityReserveInventory, orderflow.ActivitySendConfirmation}, *local)
	s.Equal([]string{orderflow.ActivityProcessPayment, orderflow.ActivityArrangeDelivery}, s.started)
}

// A small order needs no approval: only the delivery is an activity.
func (s *WorkflowSuite) TestLowLatencySmallOrderDeliversAsAnActivity() {
	local := s.trackLocal()
	res := s.run(smallOrder("ORD-001"), lowLatency())

	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Equal([]string{orderflow.ActivityProcessPayment, orderflow.ActivityReserveInventory, orderflow.ActivitySendConfirmation}, *local)
	s.Equal([]string{orderflow.ActivityArrangeDelivery}, s.started)
}

// A rejected or timed-out order in the low-latency mode calls no provider.
func (s *WorkflowSuite) TestLowLatencyOrderEndingWithoutApprovalCallsNoProvider() {
	for _, tc := range []struct {
		name   string
		decide func()
		status orderflow.Status
	}{
		{"rejected by update", func() { s.updateAs(orderflow.UpdateReject, "no", "bob") }, orderflow.StatusRejected},
		{"timed out", nil, orderflow.StatusTimedOut},
	} {
		s.Run(tc.name, func() {
			s.SetupTest()
			local := s.trackLocal()
			if tc.decide != nil {
				s.at(time.Minute, tc.decide)
			}
			res := s.run(largeOrder("ORD-002"), lowLatency())
			s.Equal(tc.status, res.Status, res.Message)
			s.Empty(s.methods())
			s.Empty(*local)
			s.Empty(s.started)
		})
	}
}
