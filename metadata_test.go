package orderflow_test

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	sdkpb "go.temporal.io/api/sdk/v1"
	sdklog "go.temporal.io/sdk/log"

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
	s.Equal("**Awaiting approval** until "+start.Add(5*time.Minute).UTC().Format("2006-01-02 15:04:05 UTC")+
		" (5m0s after the order started): approve or reject it, or it times out.", waiting)
	s.Contains(charging, "**Payment**: charge $1899.97, since ")
	s.Contains(undoing, "**Payment**: refund $1899.97 (undo payment), since ")
	end := s.currentDetails()
	s.Equal("**Failed** at inventory (out of stock); undone: payment", end)
	for _, private := range []string{"Bob", "bob@", "Oak Ave", "Laptop"} {
		s.NotContains(waiting+charging+undoing+end, private)
	}
}

// orderflow's log lines name the order, its step and the failure's type;
// a provider's message, which may quote the customer's address, stays in
// the order's state. (The SDK's own "Activity error." line is the worker
// logger's to filter: docs/production.md.)
func (s *WorkflowSuite) TestLogsCarryNoProviderMessage() {
	var buf strings.Builder
	s.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	defer s.SetLogger(nil)
	s.SetupTest()
	o := smallOrder("ORD-001")
	s.p.Delivery.ArrangeFaults.FailOrder("ORD-001", fmt.Errorf("no carrier serves %s: %w", o.ShippingAddress, orderflow.ErrUndeliverable))
	s.p.Payment.RefundFaults.FailOrder("ORD-001", fmt.Errorf("account of %s closed: %w", o.CustomerName, orderflow.ErrPermanent))
	res := s.run(o, nil)

	s.Equal(orderflow.StatusNeedsAttention, res.Status)
	s.Contains(res.Message, o.ShippingAddress, "the state keeps the carrier's words")
	var ours []string
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, "OrderID=ORD-001") {
			ours = append(ours, line)
		}
	}
	s.Require().NotEmpty(ours)
	s.Equal("**Needs attention** at delivery (compensation refused); undone: inventory; a person must act: see the order's state",
		s.currentDetails(), "the Web UI's details say what happened without the providers' words")
	joined := strings.Join(ours, "\n")
	s.Contains(joined, "FailureType=orderflow.Undeliverable")
	for _, private := range []string{o.ShippingAddress, o.CustomerName, o.CustomerEmail} {
		s.NotContains(joined, private)
	}
}

// Steps and statuses read as words, and a completed order says so.
func (s *WorkflowSuite) TestDetailsReadAsWords() {
	var emailing string
	s.onStart[orderflow.ActivitySendConfirmation] = func() { emailing = s.currentDetails() }
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Contains(emailing, "**Confirmation email**: send the confirmation email, since ")
	s.Equal("**Completed**: Order processed successfully", s.currentDetails())
}
