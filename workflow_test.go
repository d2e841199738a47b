package orderflow_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
)

// The Python demo's orders: small ($89.95, no approval) and large ($1899.97).
var (
	smallOrder = orderflowtest.SmallOrder
	largeOrder = orderflowtest.LargeOrder
)

// orderOf returns a one-item order of the given total.
func orderOf(id string, cents int64) orderflow.Order {
	o := smallOrder(id)
	o.Items = []orderflow.Item{{ProductID: "THING-001", ProductName: "Thing", Quantity: 1, UnitPrice: orderflow.USD(cents)}}
	return o
}

// updateOutcome is what the test environment reported for one Update.
type updateOutcome struct {
	accepted bool
	rejected error
	err      error
	result   any
	done     bool
	// finished is closed when the Update is refused or completes.
	finished chan struct{}
}

type WorkflowSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite

	env        *testsuite.TestWorkflowEnvironment
	p          *orderflowtest.Providers
	acts       *orderflow.Activities
	onStart    map[string]func() // activity name → hook run when it first starts
	started    []string          // activity names in the order they started
	timers     int               // timers scheduled
	cancelled  int               // timers cancelled
	fired      int               // timers fired
	startedAt  time.Time         // workflow clock at start
	registered bool              // Register has run on env
	metrics    *orderflowtest.Metrics
}

func TestWorkflow(t *testing.T) { suite.Run(t, new(WorkflowSuite)) }

func (s *WorkflowSuite) SetupTest() {
	s.metrics = orderflowtest.NewMetrics()
	s.SetMetricsHandler(s.metrics)
	s.env = s.NewTestWorkflowEnvironment()
	s.acts, s.p = orderflowtest.NewActivities()
	s.onStart = map[string]func(){}
	s.registered = false
	s.started, s.timers, s.cancelled, s.fired = nil, 0, 0, 0
	s.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		name := info.ActivityType.Name
		s.started = append(s.started, name)
		if hook := s.onStart[name]; hook != nil {
			delete(s.onStart, name)
			// Hooks act from the workflow's side of the environment (the
			// listener runs there), while the activity waits for the
			// listener to return: what a hook sends reaches the order
			// before the activity's result, however the machine schedules.
			hook()
		}
	})
	s.env.SetOnTimerScheduledListener(func(string, time.Duration) { s.timers++ })
	s.env.SetOnTimerCanceledListener(func(string) { s.cancelled++ })
	s.env.SetOnTimerFiredListener(func(string) { s.fired++ })
}

// defaultSettings returns options with every default.
func defaultSettings() orderflow.Options { return orderflow.Options{} }

// newEnvKeepingProviders starts a fresh test environment that shares the
// providers (their ledger) with the previous one.
func (s *WorkflowSuite) newEnvKeepingProviders() {
	acts, p := s.acts, s.p
	s.SetupTest()
	s.acts, s.p = acts, p
}

func (s *WorkflowSuite) TearDownTest() {
	s.env.AssertExpectations(s.T())
	s.requireNoCustomerDataInMetrics()
}

// register registers the workflow and the (possibly replaced) activities.
func (s *WorkflowSuite) register() {
	if s.registered {
		return
	}
	s.registered = true
	s.Require().NoError(orderflow.Register(s.env, s.acts))
}

// run executes the workflow for o, as the Client starts it with opts, and
// returns its result.
func (s *WorkflowSuite) run(o orderflow.Order, opts *orderflow.Options) *orderflow.OrderState {
	in, err := orderflow.NewWorkflowInput(o, opts)
	s.Require().NoError(err)
	return s.runInput(in)
}

// runRaw executes the workflow for o as the CLI starts it: the order's
// fields only.
func (s *WorkflowSuite) runRaw(o orderflow.Order) *orderflow.OrderState {
	return s.runInput(orderflow.WorkflowInput{Order: o})
}

func (s *WorkflowSuite) runInput(in orderflow.WorkflowInput) *orderflow.OrderState {
	s.register()
	s.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: orderflow.WorkflowID(in.Order.OrderID)})
	s.startedAt = s.env.Now()
	s.env.ExecuteWorkflow(orderflow.WorkflowName, in)
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var res orderflow.OrderState
	s.Require().NoError(s.env.GetWorkflowResult(&res))
	return &res
}

// at runs fn when the workflow clock has advanced by d.
func (s *WorkflowSuite) at(d time.Duration, fn func()) { s.env.RegisterDelayedCallback(fn, d) }

// update sends an Update; its outcome is filled in as the environment runs it.
func (s *WorkflowSuite) update(name string, arg string) *updateOutcome {
	return s.updateArgs(name, name+"-"+arg, arg)
}

// updateAs sends a decision Update as the Client's Approve and Reject
// do: the reason, then the approver.
func (s *WorkflowSuite) updateAs(name, reason, approver string) *updateOutcome {
	return s.updateArgs(name, name+"-"+approver+"-"+reason, reason, approver)
}

func (s *WorkflowSuite) updateArgs(name, id string, args ...any) *updateOutcome {
	out := &updateOutcome{finished: make(chan struct{})}
	s.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
		OnAccept: func() { out.accepted = true },
		OnReject: func(err error) { out.rejected = err; out.done = true; close(out.finished) },
		OnComplete: func(r any, err error) {
			out.result, out.err, out.done = r, err, true
			close(out.finished)
		},
	}, args...)
	return out
}

// decided checks that a decision carries the time it took, and returns it
// without that time, for comparison.
func (s *WorkflowSuite) decided(a any) orderflow.Approval {
	ap, ok := a.(orderflow.Approval)
	s.Require().True(ok, "want an Approval, got %T", a)
	s.False(ap.DecidedAt.IsZero(), "a decision records when it took")
	ap.DecidedAt = time.Time{}
	return ap
}

func (s *WorkflowSuite) queryString(name string) string {
	v, err := s.env.QueryWorkflow(name)
	s.Require().NoError(err)
	var out string
	s.Require().NoError(v.Get(&out))
	return out
}

func (s *WorkflowSuite) queryState() orderflow.OrderState {
	v, err := s.env.QueryWorkflow(orderflow.QueryOrderState)
	s.Require().NoError(err)
	var out orderflow.OrderState
	s.Require().NoError(v.Get(&out))
	return out
}

// requireRejected asserts that an Update was refused by its validator with
// the given ApplicationError type.
func (s *WorkflowSuite) requireRejected(out *updateOutcome, errType string) {
	s.Require().True(out.done, "update never finished")
	s.Require().False(out.accepted, "update was accepted; want it refused by the validator")
	var appErr *temporal.ApplicationError
	s.Require().ErrorAs(out.rejected, &appErr)
	s.Require().Equal(errType, appErr.Type())
}

func (s *WorkflowSuite) requireAccepted(out *updateOutcome) {
	s.Require().True(out.done, "update never finished")
	s.Require().NoError(out.rejected)
	s.Require().True(out.accepted)
	s.Require().NoError(out.err)
}

// methods returns the provider methods called for the order, in order.
func (s *WorkflowSuite) methods() []string {
	var out []string
	for _, calls := range [][]orderflowtest.Call{
		s.p.Payment.Calls(), s.p.Inventory.Calls(), s.p.Delivery.Calls(), s.p.Email.Calls(),
	} {
		for _, c := range calls {
			out = append(out, c.Method)
		}
	}
	return out
}

func countCalls(calls []orderflowtest.Call, method string) int {
	n := 0
	for _, c := range calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

func (s *WorkflowSuite) requireNothingCharged(id string) {
	s.Require().Empty(s.p.Payment.Charges(), "money was taken")
	s.Require().Zero(s.p.Payment.Held(id).Amount)
	s.Require().Empty(s.p.Inventory.Reservations(), "stock was reserved")
}

func (s *WorkflowSuite) requireFullyUndone(id string) {
	s.Require().Zero(s.p.Payment.Held(id).Amount, "money still held after compensation")
	s.Require().Nil(s.p.Inventory.Reserved(id), "stock still held after compensation")
	s.Require().Empty(s.p.Delivery.Shipments(), "a shipment was booked")
}

// requireEndedAt asserts that the workflow ended when a decision came, d
// after it started, rather than waiting out the approval timer. (The test
// environment does not report the cancellation of a timer in the workflow
// task that completes the workflow; the integration tests check the
// TimerCanceled event in a real history.)
func (s *WorkflowSuite) requireEndedAt(d time.Duration) {
	s.Zero(s.fired, "the approval timer fired after the decision")
	s.Equal(d, s.env.Now().Sub(s.startedAt))
}

func compensationNames(res *orderflow.OrderState) []string {
	var out []string
	for _, c := range res.Compensations {
		out = append(out, c.Activity)
	}
	return out
}

var (
	txnID   = regexp.MustCompile(`^TXN-[0-9A-F]{12}$`)
	resID   = regexp.MustCompile(`^RES-[0-9A-F]{12}$`)
	trackID = regexp.MustCompile(`^TRACK-[0-9A-F]{16}$`)
)

// --- Orders under the threshold -------------------------------------------

func (s *WorkflowSuite) TestSmallOrderCompletesWithoutApproval() {
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Equal("Order processed successfully", res.Message)
	s.Equal(orderflow.USD(8995), res.Total)
	s.Equal(orderflow.ApprovalNotRequired, res.Approval.Status)
	s.Equal([]orderflow.Step{orderflow.StepPayment, orderflow.StepInventory, orderflow.StepDelivery, orderflow.StepEmail}, res.Done)
	s.Empty(res.Compensations)
	s.Empty(res.Warnings)
	s.Zero(s.timers, "an order under the threshold must not wait for approval")

	s.Require().NotNil(res.Payment)
	s.Regexp(txnID, res.Payment.TransactionID)
	s.Equal("Payment of $89.95 processed successfully", res.Payment.Message)
	s.Require().NotNil(res.Inventory)
	s.Regexp(resID, res.Inventory.ReservationID)
	s.Require().NotNil(res.Delivery)
	s.Regexp(trackID, res.Delivery.TrackingNumber)
	s.Equal("Delivery scheduled to 123 Main St, Springfield, IL 62701", res.Delivery.Message)

	// Money taken once, stock held, one shipment, one email.
	s.Equal(orderflow.USD(8995), s.p.Payment.Held("ORD-001"))
	s.Equal(map[string]int64{"MOUSE-001": 2, "CABLE-001": 3}, s.p.Inventory.Reserved("ORD-001"))
	s.Len(s.p.Delivery.Shipments(), 1)
	sent := s.p.Email.Sent()
	s.Require().Len(sent, 1)
	s.Equal("alice@example.com", sent[0].To)
	s.Equal("order_confirmation", sent[0].Kind)
	s.Contains(sent[0].Body, res.Delivery.TrackingNumber)

	// Each provider called exactly once, with the step's idempotency key.
	s.Equal([]string{"Charge", "Reserve", "Arrange", "Send"}, s.methods())
	want := map[string]string{
		"Charge":  orderflow.IdempotencyKey("ORD-001", orderflow.ActivityProcessPayment),
		"Reserve": orderflow.IdempotencyKey("ORD-001", orderflow.ActivityReserveInventory),
		"Arrange": orderflow.IdempotencyKey("ORD-001", orderflow.ActivityArrangeDelivery),
		"Send":    orderflow.IdempotencyKey("ORD-001", orderflow.ActivitySendConfirmation),
	}
	for _, calls := range [][]orderflowtest.Call{s.p.Payment.Calls(), s.p.Inventory.Calls(), s.p.Delivery.Calls(), s.p.Email.Calls()} {
		for _, c := range calls {
			s.Equal(want[c.Method], c.IdempotencyKey, c.Method)
		}
	}
	s.Equal("ORD-001/process_payment", want["Charge"])

	s.Equal(string(orderflow.ApprovalNotRequired), s.queryString(orderflow.QueryApprovalStatus))
}

func (s *WorkflowSuite) TestIdempotencyKeysDependOnWorkflowIDNotRun() {
	// Two runs of the same order ID (e.g. a re-run after a reset) must use
	// the same keys; two orders must not share keys.
	res := s.run(smallOrder("ORD-KEYS"), nil)
	s.Require().Equal(orderflow.StatusCompleted, res.Status)
	first := s.p.Payment.Calls()[0].IdempotencyKey

	s.SetupTest()
	res = s.run(smallOrder("ORD-KEYS"), nil)
	s.Require().Equal(orderflow.StatusCompleted, res.Status)
	s.Equal(first, s.p.Payment.Calls()[0].IdempotencyKey, "the key changed between runs of one order")

	s.SetupTest()
	s.run(smallOrder("ORD-OTHER"), nil)
	s.NotEqual(first, s.p.Payment.Calls()[0].IdempotencyKey, "two orders share a key")
}

func (s *WorkflowSuite) TestOrderRunAgainAfterRefundIsDeclined() {
	// The first run fails out of stock and is refunded; the same order run
	// again (a CLI start after it ended, a reset) must not complete on the
	// refunded charge.
	s.p.Inventory.SetStock("MOUSE-001", 0)
	res := s.run(smallOrder("ORD-AGAIN"), nil)
	s.Require().Equal(orderflow.StatusFailed, res.Status)
	s.Require().Len(s.p.Payment.Refunds(), 1)

	s.newEnvKeepingProviders()
	s.p.Inventory.SetStock("MOUSE-001", 10)
	res = s.run(smallOrder("ORD-AGAIN"), nil)

	s.Equal(orderflow.StatusFailed, res.Status)
	s.Equal(orderflow.StepPayment, res.FailedStep)
	s.ErrorIs(res.Err(), orderflow.ErrPaymentDeclined)
	s.Empty(res.Compensations, "the declined charge took nothing")
	s.Zero(s.p.Payment.Held("ORD-AGAIN").Amount, "nothing may be held")
	s.Empty(s.p.Delivery.Shipments(), "an order must never ship unpaid")
	s.Nil(s.p.Inventory.Reserved("ORD-AGAIN"))
}

func (s *WorkflowSuite) TestOrdersInTheTestEnvironmentHaveTheirOwnKeys() {
	// Without SetStartWorkflowOptions every workflow of the test
	// environment is "default-test-workflow-id".
	for i, id := range []string{"ORD-A", "ORD-B"} {
		if i > 0 {
			s.newEnvKeepingProviders()
		}
		s.register()
		s.env.ExecuteWorkflow(orderflow.WorkflowName, orderflow.WorkflowInput{Order: smallOrder(id)})
		var res orderflow.OrderState
		s.Require().NoError(s.env.GetWorkflowResult(&res))
		s.Require().Equal(orderflow.StatusCompleted, res.Status)
	}
	s.Equal(orderflow.USD(8995), s.p.Payment.Held("ORD-A"))
	s.Equal(orderflow.USD(8995), s.p.Payment.Held("ORD-B"), "order B completed on order A's charge")
	s.Len(s.p.Payment.Charges(), 2)
	s.Len(s.p.Delivery.Shipments(), 2)
	s.Equal("ORD-B/process_payment", s.p.Payment.Charges()[1].IdempotencyKey)
}

// Keys come from the order ID alone, with its slashes escaped: order "X/Z"
// and order "Z" started by hand as workflow "order-workflow-X" shared
// "order-workflow-X/Z/process_payment" once, and "Z" completed on "X/Z"'s
// charge and shipment.
func (s *WorkflowSuite) TestKeysCannotCollideAcrossWorkflowIDs() {
	res := s.run(smallOrder("X/Z"), nil)
	s.Require().Equal(orderflow.StatusCompleted, res.Status)

	s.newEnvKeepingProviders()
	s.register()
	s.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: orderflow.WorkflowID("X")})
	s.env.ExecuteWorkflow(orderflow.WorkflowName, orderflow.WorkflowInput{Order: smallOrder("Z")})
	var z orderflow.OrderState
	s.Require().NoError(s.env.GetWorkflowResult(&z))
	s.Require().Equal(orderflow.StatusCompleted, z.Status)

	s.NotEqual(res.Payment.TransactionID, z.Payment.TransactionID, "order Z must be charged itself")
	s.NotEqual(res.Delivery.TrackingNumber, z.Delivery.TrackingNumber, "order Z must ship itself")
	s.Equal(orderflow.USD(8995), s.p.Payment.Held("Z"))
	s.Equal(orderflow.USD(8995), s.p.Payment.Held("X/Z"))
	keys := []string{s.p.Payment.Charges()[0].IdempotencyKey, s.p.Payment.Charges()[1].IdempotencyKey}
	s.Equal([]string{"X%2FZ/process_payment", "Z/process_payment"}, keys)
}

func (s *WorkflowSuite) TestThresholdIsStrictlyGreater() {
	res := s.run(orderOf("ORD-EXACT", 100000), nil) // exactly $1000.00
	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Equal(orderflow.ApprovalNotRequired, res.Approval.Status)
	s.Zero(s.timers)

	s.SetupTest()
	var status string
	s.at(time.Minute, func() {
		status = s.queryString(orderflow.QueryApprovalStatus)
		s.update(orderflow.UpdateReject, "checking the threshold")
	})
	res = s.run(orderOf("ORD-CENT", 100001), nil) // $1000.01
	s.Equal(string(orderflow.ApprovalPending), status)
	s.Equal(orderflow.StatusRejected, res.Status)
}

// --- Approval ---------------------------------------------------------------

func (s *WorkflowSuite) TestLargeOrderApprovedBySignal() {
	var before, after, reason string
	s.at(time.Minute, func() {
		before = s.queryString(orderflow.QueryApprovalStatus)
		s.env.SignalWorkflow(orderflow.SignalApprove, "High-value customer - approved")
	})
	s.onStart[orderflow.ActivityProcessPayment] = func() {
		after = s.queryString(orderflow.QueryApprovalStatus)
		reason = s.queryString(orderflow.QueryApprovalReason)
	}
	res := s.run(largeOrder("ORD-002"), nil)

	s.Equal(string(orderflow.ApprovalPending), before)
	s.Equal(string(orderflow.ApprovalApproved), after)
	s.Equal("High-value customer - approved", reason)
	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Equal(orderflow.Approval{Status: orderflow.ApprovalApproved, Reason: "High-value customer - approved"}, s.decided(res.Approval))
	s.Equal(orderflow.USD(189997), s.p.Payment.Held("ORD-002"))
	s.Equal(1, s.timers)
	s.Equal(1, s.cancelled, "the approval timer must be cancelled when the decision wins")
	s.Zero(s.fired)
}

func (s *WorkflowSuite) TestLargeOrderApprovedByUpdate() {
	var out *updateOutcome
	s.at(time.Minute, func() { out = s.update(orderflow.UpdateApprove, "VIP") })
	res := s.run(largeOrder("ORD-002"), nil)

	s.requireAccepted(out)
	s.Equal(orderflow.Approval{Status: orderflow.ApprovalApproved, Reason: "VIP"}, s.decided(out.result))
	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Equal(orderflow.USD(189997), s.p.Payment.Held("ORD-002"))
	s.Equal(1, s.cancelled, "the approval timer must be cancelled when the decision wins")
}

func (s *WorkflowSuite) TestRejectedBySignalChargesNothing() {
	s.at(time.Minute, func() { s.env.SignalWorkflow(orderflow.SignalReject, "Insufficient credit check") })
	res := s.run(largeOrder("ORD-002"), nil)

	s.Equal(orderflow.StatusRejected, res.Status)
	s.Equal(orderflow.Approval{Status: orderflow.ApprovalRejected, Reason: "Insufficient credit check"}, s.decided(res.Approval))
	s.Contains(res.Message, "Insufficient credit check")
	s.Empty(s.methods(), "a rejected order must not call any provider")
	s.requireNothingCharged("ORD-002")
	s.Equal(string(orderflow.ApprovalRejected), s.queryString(orderflow.QueryApprovalStatus))
	s.Equal("Insufficient credit check", s.queryString(orderflow.QueryApprovalReason))
	s.requireEndedAt(time.Minute)
}

func (s *WorkflowSuite) TestRejectedByUpdateChargesNothing() {
	var out *updateOutcome
	s.at(2*time.Minute, func() { out = s.update(orderflow.UpdateReject, "fraud suspected") })
	res := s.run(largeOrder("ORD-002"), nil)

	s.requireAccepted(out)
	s.Equal(orderflow.StatusRejected, res.Status)
	s.Empty(s.methods())
	s.requireNothingCharged("ORD-002")
	s.requireEndedAt(2 * time.Minute)
}

func (s *WorkflowSuite) TestApprovalTimesOutAfterFiveMinutes() {
	start := s.env.Now()
	var justBefore string
	s.at(5*time.Minute-time.Second, func() { justBefore = s.queryString(orderflow.QueryApprovalStatus) })
	res := s.runRaw(largeOrder("ORD-002")) // the CLI's way: defaults apply

	s.Equal(string(orderflow.ApprovalPending), justBefore, "the order must still wait just before 5 minutes")
	s.Equal(orderflow.StatusTimedOut, res.Status)
	s.Equal(orderflow.ApprovalTimedOut, res.Approval.Status)
	s.Equal(string(orderflow.ApprovalTimedOut), s.queryString(orderflow.QueryApprovalStatus))
	s.Empty(s.methods(), "a timed-out order must not call any provider")
	s.requireNothingCharged("ORD-002")
	s.Equal(1, s.fired)
	elapsed := s.env.Now().Sub(start)
	s.GreaterOrEqual(elapsed, 5*time.Minute)
	s.Less(elapsed, 5*time.Minute+time.Second)
}

func (s *WorkflowSuite) TestCustomThresholdAndTimeoutFromInput() {
	settings := defaultSettings()
	settings.ApprovalThreshold = orderflow.USD(5000) // $50: the small order now needs approval
	settings.ApprovalTimeout = time.Minute
	start := s.env.Now()
	var status string
	s.at(30*time.Second, func() { status = s.queryString(orderflow.QueryApprovalStatus) })
	res := s.run(smallOrder("ORD-001"), &settings)

	s.Equal(string(orderflow.ApprovalPending), status)
	s.Equal(orderflow.StatusTimedOut, res.Status)
	elapsed := s.env.Now().Sub(start)
	s.GreaterOrEqual(elapsed, time.Minute)
	s.Less(elapsed, 2*time.Minute)

	s.SetupTest()
	settings.ApprovalThreshold = orderflow.USD(500000) // $5000: the large order needs none
	res = s.run(largeOrder("ORD-002"), &settings)
	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Equal(orderflow.ApprovalNotRequired, res.Approval.Status)
}

func (s *WorkflowSuite) TestSecondDecisionIsRefused() {
	var first, second, viaUpdateReject *updateOutcome
	s.at(time.Minute, func() { first = s.update(orderflow.UpdateApprove, "ok") })
	s.onStart[orderflow.ActivityProcessPayment] = func() {
		second = s.update(orderflow.UpdateApprove, "again")
		viaUpdateReject = s.update(orderflow.UpdateReject, "changed my mind")
		s.env.SignalWorkflow(orderflow.SignalReject, "late signal") // ignored and logged
	}
	res := s.run(largeOrder("ORD-002"), nil)

	s.requireAccepted(first)
	s.requireRejected(second, "orderflow.NotAwaitingApproval")
	s.requireRejected(viaUpdateReject, "orderflow.NotAwaitingApproval")
	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Equal(orderflow.Approval{Status: orderflow.ApprovalApproved, Reason: "ok"}, s.decided(res.Approval))
}

func (s *WorkflowSuite) TestCancelAfterApprovalBeforeDeliveryIsHonoured() {
	var approve, cancel *updateOutcome
	s.at(time.Minute, func() { approve = s.update(orderflow.UpdateApprove, "ok") })
	s.onStart[orderflow.ActivityReserveInventory] = func() { cancel = s.update(orderflow.UpdateCancel, "changed mind") }
	res := s.run(largeOrder("ORD-002"), nil)

	s.requireAccepted(approve)
	s.requireAccepted(cancel)
	s.Equal(orderflow.StatusCancelled, res.Status)
	s.Equal(orderflow.ApprovalApproved, res.Approval.Status)
	s.requireFullyUndone("ORD-002")
}

func (s *WorkflowSuite) TestCancelWhileAFailedOrderIsUndoneIsRefused() {
	var cancel *updateOutcome
	s.p.Inventory.SetStock("MOUSE-001", 0)
	// The refund waits for the cancel's answer, so that the cancel comes
	// while the order is being undone, however the machine schedules.
	answered := make(chan struct{})
	s.acts.Payment = refundAfter{s.acts.Payment, answered}
	s.onStart[orderflow.ActivityRefundPayment] = func() {
		cancel = s.update(orderflow.UpdateCancel, "too late")
		go func(finished chan struct{}) { <-finished; close(answered) }(cancel.finished)
	}
	res := s.run(smallOrder("ORD-001"), nil)

	s.requireRejected(cancel, "orderflow.TooLateToCancel")
	s.Equal(orderflow.StatusFailed, res.Status, "the order had failed before the cancel came")
	s.Empty(res.CancelReason)
	s.requireFullyUndone("ORD-001")
}

func (s *WorkflowSuite) TestUndecodableSignalDoesNotDeafenTheOrder() {
	s.at(time.Minute, func() { s.env.SignalWorkflow(orderflow.SignalApprove, 42) })
	s.at(2*time.Minute, func() { s.env.SignalWorkflow(orderflow.SignalReject, "Insufficient credit check") })
	res := s.run(largeOrder("ORD-002"), nil)

	s.Equal(orderflow.StatusRejected, res.Status)
	s.Equal("Insufficient credit check", res.Approval.Reason)
	s.requireEndedAt(2 * time.Minute)
}

func (s *WorkflowSuite) TestOversizedReasonsAreRefused() {
	long := strings.Repeat("x", orderflow.MaxReasonLength+1)
	var update, cancel *updateOutcome
	var afterSignal string
	s.at(time.Minute, func() {
		update = s.update(orderflow.UpdateReject, long)
		cancel = s.update(orderflow.UpdateCancel, long)
		s.env.SignalWorkflow(orderflow.SignalReject, long)
	})
	s.at(2*time.Minute, func() {
		afterSignal = s.queryString(orderflow.QueryApprovalStatus)
		s.update(orderflow.UpdateApprove, strings.Repeat("y", orderflow.MaxReasonLength))
	})
	res := s.run(largeOrder("ORD-002"), nil)

	s.requireRejected(update, "orderflow.InvalidReason")
	s.requireRejected(cancel, "orderflow.InvalidReason")
	s.Equal(string(orderflow.ApprovalPending), afterSignal, "an oversized signal is dropped, and the order keeps waiting")
	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Len(res.Approval.Reason, orderflow.MaxReasonLength, "a reason at the limit is accepted")
}

func (s *WorkflowSuite) TestDecisionOnSmallOrderIsRefused() {
	var out *updateOutcome
	s.onStart[orderflow.ActivityProcessPayment] = func() {
		out = s.update(orderflow.UpdateApprove, "not needed")
		s.env.SignalWorkflow(orderflow.SignalReject, "ignored")
	}
	res := s.run(smallOrder("ORD-001"), nil)

	s.requireRejected(out, "orderflow.NotAwaitingApproval")
	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Equal(orderflow.ApprovalNotRequired, res.Approval.Status)
}

func (s *WorkflowSuite) TestPaymentDeclinedCompensatesNothing() {
	s.p.Payment.ChargeFaults.FailOrder("ORD-001", fmt.Errorf("card ending 0002: %w", orderflow.ErrPaymentDeclined))
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusFailed, res.Status)
	s.Equal(orderflow.StepPayment, res.FailedStep)
	s.Equal("orderflow.PaymentDeclined", res.FailureType)
	s.Contains(res.Message, "card ending 0002")
	s.Empty(res.Compensations, "a declined payment took nothing, so nothing is undone")
	s.Equal([]string{"Charge"}, s.methods(), "a permanent failure must not be retried, nor later steps run")
	s.requireNothingCharged("ORD-001")
	s.ErrorIs(res.Err(), orderflow.ErrPaymentDeclined)
	s.ErrorIs(res.Err(), orderflow.ErrOrderFailed)
}

func (s *WorkflowSuite) TestOutOfStockRefundsPayment() {
	s.p.Inventory.SetStock("MOUSE-001", 1) // the order wants 2
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusFailed, res.Status)
	s.Equal(orderflow.StepInventory, res.FailedStep)
	s.Equal("orderflow.OutOfStock", res.FailureType)
	s.Equal([]string{orderflow.ActivityRefundPayment}, compensationNames(res))
	s.Empty(res.Compensations[0].Error)
	s.Equal(s.p.Payment.Charges()[0].TransactionID, res.Compensations[0].Reference)
	s.Equal(1, countCalls(s.p.Inventory.Calls(), "Reserve"), "out of stock must not be retried")
	s.Zero(countCalls(s.p.Inventory.Calls(), "Release"), "nothing was reserved, so nothing is released")
	s.Empty(s.p.Delivery.Calls())
	s.Empty(s.p.Email.Calls())
	s.requireFullyUndone("ORD-001")

	refunds := s.p.Payment.Refunds()
	s.Require().Len(refunds, 1)
	s.Equal(orderflow.IdempotencyKey("ORD-001", orderflow.ActivityRefundPayment), refunds[0].IdempotencyKey)
	s.Equal(orderflow.IdempotencyKey("ORD-001", orderflow.ActivityProcessPayment), refunds[0].ChargeKey)
	s.ErrorIs(res.Err(), orderflow.ErrOutOfStock)
}

func (s *WorkflowSuite) TestUndeliverableReleasesThenRefunds() {
	s.p.Delivery.ArrangeFaults.FailOrder("ORD-001", fmt.Errorf("no carrier: %w", orderflow.ErrUndeliverable))
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusFailed, res.Status)
	s.Equal(orderflow.StepDelivery, res.FailedStep)
	s.Equal("orderflow.Undeliverable", res.FailureType)
	// Undone in reverse order: the reservation first, then the charge.
	s.Equal([]string{orderflow.ActivityReleaseInventory, orderflow.ActivityRefundPayment}, compensationNames(res))
	s.Equal(s.p.Inventory.Reservations()[0].ReservationID, res.Compensations[0].Reference)
	s.Equal(s.p.Payment.Charges()[0].TransactionID, res.Compensations[1].Reference)
	s.Equal(1, countCalls(s.p.Delivery.Calls(), "Arrange"))
	s.Empty(s.p.Email.Calls(), "no confirmation for a failed order")
	s.requireFullyUndone("ORD-001")
	s.Contains(res.Message, "2 of 2 compensations succeeded")
	s.ErrorIs(res.Err(), orderflow.ErrUndeliverable)
}

func (s *WorkflowSuite) TestTransientFailuresAreRetriedWithTheSameKey() {
	s.p.Payment.ChargeFaults.FailNext(2, nil)
	s.p.Inventory.ReserveFaults.LoseNext(1, nil) // reserved, but the reply was lost
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusCompleted, res.Status)
	charges := s.p.Payment.Calls()
	s.Len(charges, 3, "two transient failures, then success")
	for _, c := range charges {
		s.Equal(charges[0].IdempotencyKey, c.IdempotencyKey, "a retry must reuse the idempotency key")
	}
	s.Len(s.p.Payment.Charges(), 1, "charged once")
	s.Equal(orderflow.USD(8995), s.p.Payment.Held("ORD-001"))
	s.Len(s.p.Inventory.Calls(), 2)
	s.Len(s.p.Inventory.Reservations(), 1, "the retried reservation must not reserve twice")
	s.Equal(s.p.Inventory.Reservations()[0].ReservationID, res.Inventory.ReservationID)
}

func (s *WorkflowSuite) TestExhaustedRetriesCompensate() {
	s.p.Inventory.ReserveFaults.FailNext(3, nil)
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusFailed, res.Status)
	s.Equal(orderflow.StepInventory, res.FailedStep)
	s.Equal("orderflow.RetriesExhausted", res.FailureType)
	s.Equal(3, countCalls(s.p.Inventory.Calls(), "Reserve"), "the default policy makes 3 attempts")
	// The reservation's outcome is unknown, so it is released by key; then
	// the charge is refunded.
	s.Equal([]string{orderflow.ActivityReleaseInventory, orderflow.ActivityRefundPayment}, compensationNames(res))
	s.Equal(orderflow.IdempotencyKey("ORD-001", orderflow.ActivityReserveInventory),
		res.Compensations[0].Reference)
	s.requireFullyUndone("ORD-001")
	s.ErrorIs(res.Err(), orderflow.ErrOrderFailed)
}

func (s *WorkflowSuite) TestRetryPolicyComesFromInput() {
	settings := defaultSettings()
	settings.Retry = &temporal.RetryPolicy{MaximumAttempts: 5}
	s.p.Payment.ChargeFaults.FailNext(4, nil)
	res := s.run(smallOrder("ORD-001"), &settings)

	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Len(s.p.Payment.Calls(), 5)
}

func (s *WorkflowSuite) TestRefusedRefundNeedsAPerson() {
	s.p.Inventory.SetStock("MOUSE-001", 0)
	s.p.Payment.RefundFaults.FailOrder("ORD-001", fmt.Errorf("gateway gone: %w", orderflow.ErrPermanent))
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusNeedsAttention, res.Status, "a refund refused for good must not end as if settled")
	s.Equal(orderflow.StepInventory, res.FailedStep)
	s.Require().Len(res.Compensations, 1)
	s.Contains(res.Compensations[0].Error, "gateway gone")
	s.Contains(res.Message, "0 of 1 compensations succeeded")
	s.Contains(res.Message, "a person must act")
	s.Equal(orderflow.USD(8995), s.p.Payment.Held("ORD-001"), "the money is still held, as the result says")
	s.ErrorIs(res.Err(), orderflow.ErrNeedsAttention)
	s.ErrorIs(res.Err(), orderflow.ErrOutOfStock)
	s.NotErrorIs(res.Err(), orderflow.ErrOrderFailed)
}

func (s *WorkflowSuite) TestCompensationsRetryUntilTheProviderAnswers() {
	// A maximum attempts set for compensations is not a reason to give up:
	// the money would stay taken. (The test environment caps retries at
	// 10; the integration tests check more failures on a real server.)
	settings := defaultSettings()
	settings.Retry = &temporal.RetryPolicy{MaximumAttempts: 3} // compensations are retried beyond it
	s.p.Delivery.ArrangeFaults.FailOrder("ORD-001", fmt.Errorf("no carrier: %w", orderflow.ErrUndeliverable))
	s.p.Inventory.ReleaseFaults.FailNext(5, nil)
	s.p.Payment.RefundFaults.FailNext(8, nil)
	var during orderflow.OrderState
	s.onStart[orderflow.ActivityRefundPayment] = func() { during = s.queryState() }
	res := s.run(smallOrder("ORD-001"), &settings)

	s.Equal(orderflow.StatusFailed, res.Status)
	s.Equal(6, countCalls(s.p.Inventory.Calls(), "Release"), "5 transient failures, then the release")
	s.Equal(9, countCalls(s.p.Payment.Calls(), "Refund"), "8 transient failures, then the refund")
	s.requireFullyUndone("ORD-001")
	for _, c := range res.Compensations {
		s.Empty(c.Error, c.Activity)
	}
	s.Contains(res.Message, "2 of 2 compensations succeeded")

	s.Equal(orderflow.StepDelivery, during.Step, "the step stays the furthest reached while it is undone")
	s.Require().NotNil(during.Current, "the state must show the compensation in progress")
	s.Equal(orderflow.ActivityRefundPayment, during.Current.Activity)
	s.Equal(orderflow.StepPayment, during.Current.Step, "a compensation shows the step it undoes")
	s.Equal([]string{orderflow.ActivityReleaseInventory}, compensationNames(&during))
}

func (s *WorkflowSuite) TestDeliveryRetriesUntilTheProviderAnswers() {
	// Every attempt fails or loses its reply for longer than the forward
	// retry policy's 3 attempts: the shipment may exist, so the order is
	// neither failed nor refunded; delivery is retried until it answers.
	s.p.Delivery.ArrangeFaults.FailNext(4, nil)
	s.p.Delivery.ArrangeFaults.LoseNext(4, nil)
	var during orderflow.OrderState
	s.onStart[orderflow.ActivityArrangeDelivery] = func() { during = s.queryState() }
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Empty(res.Compensations, "a shipment whose outcome was unknown must not be refunded")
	s.Equal(9, countCalls(s.p.Delivery.Calls(), "Arrange"))
	s.Require().Len(s.p.Delivery.Shipments(), 1, "the lost replies booked one shipment, found again by key")
	s.Equal(s.p.Delivery.Shipments()[0].TrackingNumber, res.Delivery.TrackingNumber)
	s.Equal(orderflow.USD(8995), s.p.Payment.Held("ORD-001"))
	s.NotNil(s.p.Inventory.Reserved("ORD-001"))

	s.Equal(orderflow.StepDelivery, during.Step)
	s.Require().NotNil(during.Current, "the state must show the call in progress")
	s.Equal(orderflow.ActivityArrangeDelivery, during.Current.Activity)
	s.Nil(res.Current)
}

func (s *WorkflowSuite) TestDeliveryWithoutADefiniteAnswerNeedsAPerson() {
	s.p.Delivery.ArrangeFaults.FailOrder("ORD-001", fmt.Errorf("carrier API rejected the request: %w", orderflow.ErrPermanent))
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusNeedsAttention, res.Status)
	s.Equal(orderflow.StepDelivery, res.FailedStep)
	s.Empty(res.Compensations, "only ErrUndeliverable says nothing shipped")
	s.Equal(orderflow.USD(8995), s.p.Payment.Held("ORD-001"))
	s.NotNil(s.p.Inventory.Reserved("ORD-001"))
	s.Empty(s.p.Email.Calls())
	s.ErrorIs(res.Err(), orderflow.ErrNeedsAttention)
}

func (s *WorkflowSuite) TestFailingEmailStillCompletesWithWarning() {
	s.p.Email.SendFaults.FailOrder("ORD-001", errors.New("smtp unavailable"))
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Empty(res.Compensations, "a failed email must not undo a delivered order")
	s.Require().Len(res.Warnings, 1)
	s.Contains(res.Warnings[0], "confirmation email")
	s.Equal(3, countCalls(s.p.Email.Calls(), "Send"), "the email is retried")
	s.NotContains(res.Done, orderflow.StepEmail)
	s.Equal(orderflow.USD(8995), s.p.Payment.Held("ORD-001"))
	s.Len(s.p.Delivery.Shipments(), 1)
	s.NoError(res.Err())
}

// --- Cancellation by Update ---------------------------------------------------

func (s *WorkflowSuite) TestCancelWhileAwaitingApproval() {
	var out *updateOutcome
	s.at(time.Minute, func() { out = s.update(orderflow.UpdateCancel, "customer changed mind") })
	res := s.run(largeOrder("ORD-002"), nil)

	s.requireAccepted(out)
	s.Equal(orderflow.StatusCancelled, res.Status)
	s.Equal("customer changed mind", res.CancelReason)
	s.Contains(res.Message, "customer changed mind")
	s.Empty(s.methods())
	s.requireNothingCharged("ORD-002")
	s.requireEndedAt(time.Minute)
}

func (s *WorkflowSuite) TestCancelDuringPayment() {
	var out *updateOutcome
	s.onStart[orderflow.ActivityProcessPayment] = func() { out = s.update(orderflow.UpdateCancel, "stop") }
	res := s.run(smallOrder("ORD-001"), nil)

	s.requireAccepted(out)
	s.Equal(orderflow.StatusCancelled, res.Status)
	s.Equal([]string{orderflow.ActivityRefundPayment}, compensationNames(res))
	s.Zero(countCalls(s.p.Inventory.Calls(), "Reserve"))
	s.requireFullyUndone("ORD-001")
}

func (s *WorkflowSuite) TestCancelAfterPayment() {
	var out *updateOutcome
	s.onStart[orderflow.ActivityReserveInventory] = func() { out = s.update(orderflow.UpdateCancel, "stop") }
	res := s.run(smallOrder("ORD-001"), nil)

	s.requireAccepted(out)
	s.Equal(orderflow.StatusCancelled, res.Status)
	s.Equal([]string{orderflow.ActivityReleaseInventory, orderflow.ActivityRefundPayment}, compensationNames(res))
	s.Equal(s.p.Payment.Charges()[0].TransactionID, res.Compensations[1].Reference)
	s.Empty(s.p.Delivery.Calls())
	s.requireFullyUndone("ORD-001")
}

func (s *WorkflowSuite) TestCancelOnceDeliveryStartedIsTooLate() {
	var during, after *updateOutcome
	s.onStart[orderflow.ActivityArrangeDelivery] = func() { during = s.update(orderflow.UpdateCancel, "too late") }
	s.onStart[orderflow.ActivitySendConfirmation] = func() { after = s.update(orderflow.UpdateCancel, "later still") }
	res := s.run(smallOrder("ORD-001"), nil)

	s.requireRejected(during, "orderflow.TooLateToCancel")
	s.requireRejected(after, "orderflow.TooLateToCancel")
	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Empty(res.Compensations)
	s.Equal(orderflow.USD(8995), s.p.Payment.Held("ORD-001"))
}

func (s *WorkflowSuite) TestSecondCancelIsRefused() {
	var first, second *updateOutcome
	s.onStart[orderflow.ActivityReserveInventory] = func() {
		first = s.update(orderflow.UpdateCancel, "one")
		second = s.update(orderflow.UpdateCancel, "two")
	}
	res := s.run(smallOrder("ORD-001"), nil)

	s.requireAccepted(first)
	s.requireRejected(second, "orderflow.AlreadyCancelled")
	s.Equal(orderflow.StatusCancelled, res.Status)
	s.Equal("one", res.CancelReason)
}

func (s *WorkflowSuite) TestNativeCancelWhileAwaitingApproval() {
	s.at(time.Minute, s.env.CancelWorkflow)
	res := s.run(largeOrder("ORD-002"), nil)

	s.Equal(orderflow.StatusCancelled, res.Status)
	s.Empty(s.methods())
	s.requireNothingCharged("ORD-002")
}

func (s *WorkflowSuite) TestNativeCancelBeforeDeliveryCompensates() {
	s.onStart[orderflow.ActivityReserveInventory] = s.env.CancelWorkflow
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusCancelled, res.Status)
	s.Equal([]string{orderflow.ActivityReleaseInventory, orderflow.ActivityRefundPayment}, compensationNames(res))
	s.Empty(s.p.Delivery.Calls())
	s.requireFullyUndone("ORD-001")
}

func (s *WorkflowSuite) TestNativeCancelAfterDeliveryStartedIsNoted() {
	s.onStart[orderflow.ActivityArrangeDelivery] = s.env.CancelWorkflow
	res := s.run(smallOrder("ORD-001"), nil)

	s.Equal(orderflow.StatusCompleted, res.Status)
	s.Empty(res.Compensations)
	s.Require().Len(res.Warnings, 1)
	s.Contains(res.Warnings[0], "cancellation requested after delivery")
	s.Equal(orderflow.USD(8995), s.p.Payment.Held("ORD-001"))
	s.Len(s.p.Delivery.Shipments(), 1)
	s.Len(s.p.Email.Sent(), 1, "the confirmation is still sent")
}

// --- State query ----------------------------------------------------------------

func (s *WorkflowSuite) TestOrderStateQueryTracksProgress() {
	var atApproval, atInventory orderflow.OrderState
	s.at(time.Minute, func() {
		atApproval = s.queryState()
		s.update(orderflow.UpdateApprove, "fine")
	})
	s.onStart[orderflow.ActivityReserveInventory] = func() { atInventory = s.queryState() }
	s.run(largeOrder("ORD-002"), nil)

	s.Equal(orderflow.StatusAwaitingApproval, atApproval.Status)
	s.Equal(orderflow.StepApproval, atApproval.Step)
	s.Equal(orderflow.ApprovalPending, atApproval.Approval.Status)
	s.Equal(orderflow.USD(189997), atApproval.Total)
	s.Empty(atApproval.Done)

	s.Equal(orderflow.StatusRunning, atInventory.Status, "approved, the order runs")
	s.Equal(orderflow.StepInventory, atInventory.Step)
	s.Equal([]orderflow.Step{orderflow.StepPayment}, atInventory.Done)
	s.Require().NotNil(atInventory.Payment)
	s.Equal(orderflow.USD(189997), atInventory.Payment.Amount)

	final := s.queryState()
	s.Equal(orderflow.StatusCompleted, final.Status)
	s.Equal(orderflow.StepEmail, final.Step)
}

// --- Invalid input ------------------------------------------------------------------

func (s *WorkflowSuite) TestInvalidOrdersAreRejectedBeforeAnyStep() {
	cases := map[string]func(o *orderflow.Order){
		"order_id":       func(o *orderflow.Order) { o.OrderID = "ORD 1" },
		"items":          func(o *orderflow.Order) { o.Items = nil },
		"quantity":       func(o *orderflow.Order) { o.Items[0].Quantity = 0 },
		"unit_price":     func(o *orderflow.Order) { o.Items[0].UnitPrice = orderflow.USD(-1) },
		"customer_email": func(o *orderflow.Order) { o.CustomerEmail = "not-an-email" },
		"shipping":       func(o *orderflow.Order) { o.ShippingAddress = "  " },
		"overflow": func(o *orderflow.Order) {
			o.Items[0].UnitPrice = orderflow.USD(1 << 62)
			o.Items[0].Quantity = 4
		},
	}
	for name, mutate := range cases {
		s.Run(name, func() {
			s.SetupTest()
			s.register()
			o := smallOrder("ORD-BAD")
			mutate(&o)
			s.env.ExecuteWorkflow(orderflow.WorkflowName, orderflow.WorkflowInput{Order: o})
			s.Require().True(s.env.IsWorkflowCompleted())
			var appErr *temporal.ApplicationError
			s.Require().ErrorAs(s.env.GetWorkflowError(), &appErr)
			s.Equal("orderflow.InvalidOrder", appErr.Type())
			s.True(appErr.NonRetryable())
			s.Empty(s.methods(), "nothing may run for an invalid order")
		})
	}
}

// --- Register ---------------------------------------------------------------------

func TestRegisterRefusesMissingProviders(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	acts, _ := orderflowtest.NewActivities()
	acts.Delivery = nil
	err := orderflow.Register(env, acts)
	require.ErrorContains(t, err, "Delivery")
	require.Error(t, orderflow.Register(env, nil))
}

func TestRegisterTwiceIsAnError(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	acts, _ := orderflowtest.NewActivities()
	require.NoError(t, orderflow.Register(env, acts))
	err := orderflow.Register(env, acts)
	require.ErrorContains(t, err, "orderflow: register:")
	require.ErrorContains(t, err, "twice")
}

func (s *WorkflowSuite) TestCheckoutAnswersOnceThePaymentIsKnown() {
	cases := []struct {
		name    string
		order   orderflow.Order
		setup   func()
		outcome string
		status  orderflow.Status // the order's end
	}{
		{"paid", smallOrder("ORD-001"), nil, "paid", orderflow.StatusCompleted},
		{"declined", smallOrder("ORD-001"), func() {
			s.p.Payment.ChargeFaults.FailOrder("ORD-001", fmt.Errorf("card 4000 0000 0000 0002: gateway 402 card_declined: %w", orderflow.ErrPaymentDeclined))
		}, "not paid", orderflow.StatusFailed},
		{"awaiting approval", largeOrder("ORD-002"), nil, "awaiting approval", orderflow.StatusTimedOut},
	}
	for _, c := range cases {
		s.Run(c.name, func() {
			s.SetupTest()
			if c.setup != nil {
				c.setup()
			}
			var out *updateOutcome
			var inventoryStarted bool
			s.env.RegisterDelayedCallback(func() {
				out = &updateOutcome{}
				s.env.UpdateWorkflow("checkout", "checkout", &testsuite.TestUpdateCallback{
					OnAccept: func() { out.accepted = true },
					OnReject: func(err error) { out.rejected, out.done = err, true },
					OnComplete: func(r any, err error) {
						out.result, out.err, out.done = r, err, true
						inventoryStarted = slices.Contains(s.started, orderflow.ActivityReserveInventory)
					},
				})
			}, 0)
			res := s.run(c.order, nil)

			s.requireAccepted(out)
			got := out.result.(orderflow.CheckoutResult)
			s.Equal(c.status, res.Status)
			s.Equal(c.outcome == "paid", got.Paid())
			s.Equal(c.outcome == "awaiting approval", got.AwaitingApproval())
			s.NotContains(got.Message, "\n")
			switch c.outcome {
			case "paid":
				s.Equal(s.p.Payment.Charges()[0].TransactionID, got.Payment.TransactionID)
				s.Equal(orderflow.StatusRunning, got.Status)
				s.False(inventoryStarted, "checkout must answer before the order goes on to inventory")
			case "not paid":
				s.ErrorIs(got.Err(), orderflow.ErrPaymentDeclined)
				s.Nil(got.Payment)
				s.Equal("Your payment was declined. Nothing was charged.", got.Message)
				s.NotContains(got.Message, "gateway", "the customer's sentence carries no provider internals")
				s.NotContains(got.Err().Error(), "gateway")
				s.Contains(res.Message, "gateway 402", "the detail stays in the order's state")
			case "awaiting approval":
				s.Equal(orderflow.StatusAwaitingApproval, got.Status)
				s.Empty(s.p.Payment.Calls())
			}
		})
	}
}

// refundAfter is a payment provider whose refunds wait until answered is
// closed.
type refundAfter struct {
	orderflow.PaymentProvider
	answered <-chan struct{}
}

func (p refundAfter) Refund(ctx context.Context, req orderflow.RefundRequest) error {
	select {
	case <-p.answered:
	case <-ctx.Done():
		return ctx.Err()
	}
	return p.PaymentProvider.Refund(ctx, req)
}
