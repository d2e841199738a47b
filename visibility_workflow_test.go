package orderflow_test

import (
	"encoding/json"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow"
)

var (
	statusKey   = temporal.NewSearchAttributeKeyKeyword(orderflow.SearchAttributeStatus)
	deadlineKey = temporal.NewSearchAttributeKeyTime(orderflow.SearchAttributeApprovalDeadline)
)

// upsert is one search attribute upsert, as the workflow made it.
type upsert struct {
	status   string
	deadline time.Time
}

// recordListing records the search attribute and memo upserts of the run.
func (s *WorkflowSuite) recordListing() (upserts *[]upsert, memos *[]map[string]any) {
	upserts, memos = &[]upsert{}, &[]map[string]any{}
	s.register() // the environment takes registrations before mocks only
	s.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		var u upsert
		u.status, _ = sa.GetKeyword(statusKey)
		u.deadline, _ = sa.GetTime(deadlineKey)
		*upserts = append(*upserts, u)
	}).Return(nil).Maybe()
	s.env.OnUpsertMemo(mock.Anything).Run(func(args mock.Arguments) {
		*memos = append(*memos, args.Get(0).(map[string]any))
	}).Return(nil).Maybe()
	return upserts, memos
}

func listed() *orderflow.Options { return &orderflow.Options{Visibility: true} }

// An order started without the Client (no search attributes, no memo)
// gets its row from the workflow, and its status follows the order.
func (s *WorkflowSuite) TestListedOrderPublishesItsStatus() {
	upserts, memos := s.recordListing()
	s.at(time.Minute, func() { s.updateAs(orderflow.UpdateApprove, "VIP", "alice") })
	res := s.run(largeOrder("ORD-002"), listed())

	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Require().Len(*upserts, 3, "awaiting (with deadline), running, completed")
	s.Equal(upsert{"awaiting_approval", s.startedAt.Add(5 * time.Minute).UTC()}, (*upserts)[0])
	s.Equal(upsert{status: "running"}, (*upserts)[1])
	s.Equal(upsert{status: "completed"}, (*upserts)[2])
	s.Require().Len(*memos, 1)
	row, err := json.Marshal((*memos)[0][orderflow.MemoSummary])
	s.Require().NoError(err)
	s.JSONEq(`{"order_id":"ORD-002","total":{"amount":189997,"currency":"USD"},"item_count":2,
		"items":[{"product_id":"LAPTOP-001","product_name":"Laptop","quantity":1},
		         {"product_id":"MONITOR-001","product_name":"Monitor","quantity":2}],
		"customer_name":"Bob Johnson"}`, string(row), "the row carries no email and no address")
}

// An order the Client started carries its row and first status already:
// the workflow upserts only when the status changes.
func (s *WorkflowSuite) TestOrderStartedListedUpsertsOnlyChanges() {
	upserts, memos := s.recordListing()
	s.Require().NoError(s.env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(
		statusKey.ValueSet("awaiting_approval"),
		deadlineKey.ValueSet(s.env.Now().Add(5*time.Minute)))))
	s.Require().NoError(s.env.SetMemoOnStart(map[string]any{orderflow.MemoSummary: map[string]any{"order_id": "ORD-002"}}))
	s.at(time.Minute, func() { s.updateAs(orderflow.UpdateReject, "no", "bob") })
	res := s.run(largeOrder("ORD-002"), listed())

	s.Equal(orderflow.StatusRejected, res.Status)
	s.Equal([]upsert{{status: "rejected"}}, *upserts)
	s.Empty(*memos)
}

func (s *WorkflowSuite) TestSmallListedOrderPublishesRunningThenItsOutcome() {
	upserts, _ := s.recordListing()
	s.p.Payment.ChargeFaults.FailOrder("ORD-001", orderflow.ErrPaymentDeclined)
	res := s.run(smallOrder("ORD-001"), listed())

	s.Equal(orderflow.StatusFailed, res.Status)
	s.Equal([]upsert{{status: "running"}, {status: "failed"}}, *upserts)
}

func (s *WorkflowSuite) TestUnlistedOrderUpsertsNothing() {
	upserts, memos := s.recordListing()
	s.at(time.Minute, func() { s.update(orderflow.UpdateApprove, "ok") })
	res := s.run(largeOrder("ORD-002"), nil)

	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Empty(*upserts)
	s.Empty(*memos)
}

func (s *WorkflowSuite) TestApproverIsRecordedWithTheDecision() {
	var out *updateOutcome
	var during orderflow.OrderState
	s.at(time.Minute, func() { out = s.updateAs(orderflow.UpdateApprove, "VIP", "alice@example.com") })
	s.at(2*time.Minute, func() { during = s.queryState() })
	s.onStart["process_payment"] = func() { during = s.queryState() }
	res := s.run(largeOrder("ORD-002"), nil)

	s.requireAccepted(out)
	want := orderflow.Approval{Status: orderflow.ApprovalApproved, Reason: "VIP", Approver: "alice@example.com"}
	s.Equal(want, s.decided(out.result), "the Update's answer")
	s.Equal(want, s.decided(during.Approval), "the state query")
	s.Equal(want, s.decided(res.Approval), "the result")
	s.True(s.startedAt.Add(time.Minute).Equal(res.Approval.DecidedAt), "decided a minute in, by the workflow clock: %v", res.Approval.DecidedAt)
}

func (s *WorkflowSuite) TestInvalidApproverIsRefused() {
	var bad, long, good *updateOutcome
	s.at(time.Minute, func() {
		bad = s.updateAs(orderflow.UpdateApprove, "ok", "alice\nbob")
		long = s.updateAs(orderflow.UpdateApprove, "ok", string(make([]byte, 257)))
		good = s.updateAs(orderflow.UpdateApprove, "ok", "alice")
	})
	res := s.run(largeOrder("ORD-002"), nil)

	s.requireRejected(bad, "orderflow.InvalidApprover")
	s.requireRejected(long, "orderflow.InvalidApprover")
	s.requireAccepted(good)
	s.Equal("alice", res.Approval.Approver)
}
