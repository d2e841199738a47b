package orderflow_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/orderflow/orderflow"
)

// tags builds a tag set from key, value pairs.
func tags(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// count is how many times the order metric name was emitted with tags.
func (s *WorkflowSuite) count(name string, kv ...string) int64 {
	return s.metrics.Count(name, tags(kv...))
}

// requireEnded checks that the order was counted as started once and
// ended once, with status and reason.
func (s *WorkflowSuite) requireEnded(status orderflow.Status, reason string) {
	s.Equal(int64(1), s.count("orderflow_orders_started"), "orders started")
	s.Equal(int64(1), s.count("orderflow_orders_ended"), "orders ended")
	s.Equal(int64(1), s.count("orderflow_orders_ended", "status", string(status), "reason", reason),
		"orders ended as %s/%s; recorded: %v", status, reason, s.metrics.Recorded("orderflow_orders_ended"))
}

// requireCall checks that one provider call was timed with outcome.
func (s *WorkflowSuite) requireCall(provider, operation, outcome string, n int64) {
	s.Equal(n, s.count("orderflow_provider_latency", "provider", provider, "operation", operation, "outcome", outcome),
		"%s.%s calls with outcome %s; recorded: %v", provider, operation, outcome, s.metrics.Recorded("orderflow_provider_latency"))
}

// requireNoCustomerDataInMetrics checks that no tag of any metric (the
// SDK's included) names an order or its customer.
func (s *WorkflowSuite) requireNoCustomerDataInMetrics() {
	forbidden := []string{"ORD-", "Alice", "Bob", "@example.com", "Main St", "Oak Ave", "Mouse", "Laptop"}
	for _, m := range s.metrics.Recorded("") {
		for k, v := range m.Tags {
			for _, f := range forbidden {
				s.NotContains(strings.ToLower(v), strings.ToLower(f), "metric %s tag %s", m.Name, k)
			}
		}
	}
}

func (s *WorkflowSuite) TestMetricsOfACompletedOrder() {
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Equal(int64(1), s.count("orderflow_orders_started", "mode", "default", "approval_required", "false"))
	s.requireEnded(orderflow.StatusCompleted, "none")
	s.requireCall("payment", "charge", "ok", 1)
	s.requireCall("inventory", "reserve", "ok", 1)
	s.requireCall("delivery", "arrange", "ok", 1)
	s.requireCall("email", "send", "ok", 1)
	s.Len(s.metrics.Recorded("orderflow_provider_latency"), 4, "one record per call")
	s.Zero(s.count("orderflow_approval_wait"), "no approval, no wait")
	s.Zero(s.count("orderflow_compensation_attempts"))
}

func (s *WorkflowSuite) TestMetricsOfTheLowLatencyMode() {
	res := s.run(smallOrder("ORD-001"), &orderflow.Options{LowLatency: true})

	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Equal(int64(1), s.count("orderflow_orders_started", "mode", "low_latency", "approval_required", "false"))
	s.requireEnded(orderflow.StatusCompleted, "none")
	s.requireCall("payment", "charge", "ok", 1)
}

func (s *WorkflowSuite) TestMetricsOfAnApprovedOrder() {
	s.at(2*time.Minute, func() { s.update(orderflow.UpdateApprove, "VIP") })
	res := s.run(largeOrder("ORD-002"), nil)

	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Equal(int64(1), s.count("orderflow_orders_started", "mode", "default", "approval_required", "true"))
	s.requireEnded(orderflow.StatusCompleted, "none")
	waits := s.metrics.Recorded("orderflow_approval_wait")
	s.Require().Len(waits, 1)
	s.Equal("approved", waits[0].Tags["outcome"])
	s.Equal(2*time.Minute, waits[0].Duration.Round(time.Second), "the wait is measured on the workflow clock")
}

func (s *WorkflowSuite) TestMetricsOfOrdersDecidedWithoutPayment() {
	cases := []struct {
		name   string
		decide func()
		status orderflow.Status
		wait   time.Duration
	}{
		{"rejected", func() { s.at(time.Minute, func() { s.update(orderflow.UpdateReject, "fraud") }) }, orderflow.StatusRejected, time.Minute},
		{"timed_out", func() {}, orderflow.StatusTimedOut, 5 * time.Minute},
		{"cancelled", func() { s.at(3*time.Minute, func() { s.update(orderflow.UpdateCancel, "changed mind") }) }, orderflow.StatusCancelled, 3 * time.Minute},
	}
	for _, c := range cases {
		s.Run(c.name, func() {
			s.SetupTest()
			c.decide()
			res := s.run(largeOrder("ORD-002"), nil)

			s.Equal(c.status, res.Status)
			s.requireEnded(c.status, c.name)
			waits := s.metrics.Recorded("orderflow_approval_wait")
			s.Require().Len(waits, 1)
			s.Equal(c.name, waits[0].Tags["outcome"])
			s.Equal(c.wait, waits[0].Duration.Round(time.Second))
			s.Empty(s.metrics.Recorded("orderflow_provider_latency"), "no provider was called")
		})
	}
}

func (s *WorkflowSuite) TestMetricsOfAFailedOrderAndItsCompensation() {
	s.p.Inventory.SetStock("MOUSE-001", 1) // the order wants 2
	s.p.Payment.RefundFaults.FailNext(2, nil)
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusFailed, res.Status)
	s.requireEnded(orderflow.StatusFailed, "out_of_stock")
	s.requireCall("payment", "charge", "ok", 1)
	s.requireCall("inventory", "reserve", "out_of_stock", 1)
	s.requireCall("payment", "refund", "error", 2)
	s.requireCall("payment", "refund", "ok", 1)
	s.Equal(int64(2), s.count("orderflow_compensation_attempts", "step", "payment", "outcome", "retrying"))
	s.Equal(int64(1), s.count("orderflow_compensation_attempts", "step", "payment", "outcome", "succeeded"))
	s.Zero(s.count("orderflow_compensation_attempts", "step", "inventory"), "nothing was reserved")
}

func (s *WorkflowSuite) TestMetricsOfProviderRefusals() {
	cases := []struct {
		name, reason string
		status       orderflow.Status
		fault        func()
		call         [3]string // provider, operation, outcome
	}{
		{"declined", "declined", orderflow.StatusFailed, func() {
			s.p.Payment.ChargeFaults.FailOrder("ORD-001", fmt.Errorf("card: %w", orderflow.ErrPaymentDeclined))
		}, [3]string{"payment", "charge", "declined"}},
		{"undeliverable", "undeliverable", orderflow.StatusFailed, func() {
			s.p.Delivery.ArrangeFaults.FailOrder("ORD-001", fmt.Errorf("no carrier: %w", orderflow.ErrUndeliverable))
		}, [3]string{"delivery", "arrange", "undeliverable"}},
		{"refund refused", "compensation_refused", orderflow.StatusNeedsAttention, func() {
			s.p.Inventory.SetStock("MOUSE-001", 0)
			s.p.Payment.RefundFaults.FailOrder("ORD-001", fmt.Errorf("gateway gone: %w", orderflow.ErrPermanent))
		}, [3]string{"payment", "refund", "refused"}},
		{"retries exhausted", "retries_exhausted", orderflow.StatusFailed, func() {
			s.p.Payment.ChargeFaults.FailNext(3, nil) // the default policy's 3 attempts
		}, [3]string{"payment", "charge", "error"}},
	}
	for _, c := range cases {
		s.Run(c.name, func() {
			s.SetupTest()
			c.fault()
			res := s.run(smallOrder("ORD-001"), nil)

			s.Equal(c.status, res.Status)
			s.requireEnded(c.status, c.reason)
			s.Positive(s.count("orderflow_provider_latency", "provider", c.call[0], "operation", c.call[1], "outcome", c.call[2]),
				"%v; recorded: %v", c.call, s.metrics.Recorded("orderflow_provider_latency"))
			if c.status == orderflow.StatusNeedsAttention {
				s.Equal(int64(1), s.count("orderflow_compensation_attempts", "step", "payment", "outcome", "refused"),
					"the refund was refused once, for good")
			}
		})
	}
}
