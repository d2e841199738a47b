package orderflow_test

import (
	"time"

	sdkpb "go.temporal.io/api/sdk/v1"

	"github.com/orderflow/orderflow"
)

// currentDetails reads the order's current details, as the Web UI does.
func (s *WorkflowSuite) currentDetails() string {
	v, err := s.env.QueryWorkflow("__temporal_workflow_metadata")
	s.Require().NoError(err)
	var md sdkpb.WorkflowMetadata
	s.Require().NoError(v.Get(&md))
	return md.GetCurrentDetails()
}

// The Web UI shows what the order is doing now, as a person would say it.
func (s *WorkflowSuite) TestCurrentDetailsFollowTheOrder() {
	var waiting, charging, undoing string
	s.at(time.Minute, func() {
		waiting = s.currentDetails()
		s.update(orderflow.UpdateApprove, "VIP")
	})
	s.onStart[orderflow.ActivityProcessPayment] = func() { charging = s.currentDetails() }
	s.onStart[orderflow.ActivityRefundPayment] = func() { undoing = s.currentDetails() }
	s.p.Inventory.SetStock("LAPTOP-001", 0)
	start := s.env.Now()
	res := s.run(largeOrder("ORD-002"), nil)

	s.Equal(orderflow.StatusFailed, res.Status)
	s.Equal("**Awaiting approval** until "+start.Add(5*time.Minute).UTC().Format("15:04:05 UTC")+
		" (5m0s after the order started): approve or reject it, or it times out.", waiting)
	s.Contains(charging, "**Payment**: charge $1899.97, since ")
	s.Contains(undoing, "**Payment**: refund $1899.97 (undo payment), since ")
	s.Equal("**Failed**: "+res.Message, s.currentDetails())
	for _, private := range []string{"Bob", "bob@", "Oak Ave", "Laptop"} {
		s.NotContains(waiting+charging+undoing, private)
	}
}
