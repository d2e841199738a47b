package integration

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
)

// TestNewClientValidation checks that NewClient refuses a missing Temporal
// client and out-of-range options, and fills in defaults otherwise.
func TestNewClientValidation(t *testing.T) {
	t.Parallel()
	tc := temporalClient
	if c, err := orderflow.NewClient(nil, nil); err == nil || c != nil {
		t.Errorf("NewClient(nil, nil) = %v, %v; want an error", c, err)
	}
	bad := map[string]orderflow.Options{
		"negative ApprovalTimeout":       {ApprovalTimeout: -time.Second},
		"negative ActivityTimeout":       {ActivityTimeout: -time.Second},
		"negative threshold":             {ApprovalThreshold: orderflow.USD(-1)},
		"lower-case threshold currency":  {ApprovalThreshold: orderflow.Money{Amount: 100, Currency: "usd"}},
		"backoff below 1":                {Retry: &temporal.RetryPolicy{BackoffCoefficient: 0.5}},
		"negative retry interval":        {Retry: &temporal.RetryPolicy{InitialInterval: -time.Second}},
		"negative compensation attempts": {CompensationRetry: &temporal.RetryPolicy{MaximumAttempts: -1}},
		"activity timeout of 1ns":        {ActivityTimeout: time.Nanosecond},
		"blank task queue":               {TaskQueue: " "},
		"negative CallTimeout":           {CallTimeout: -time.Second},
	}
	for name, opts := range bad {
		if c, err := orderflow.NewClient(tc, &opts); err == nil || c != nil {
			t.Errorf("%s: NewClient = %v, %v; want an error", name, c, err)
		} else if !strings.HasPrefix(err.Error(), "orderflow: ") {
			t.Errorf("%s: error %q lacks the orderflow: prefix", name, err)
		}
	}

	for _, opts := range []*orderflow.Options{nil, {}} {
		c, err := orderflow.NewClient(tc, opts)
		if err != nil {
			t.Fatalf("NewClient(tc, %v): %v", opts, err)
		}
		if got, want := c.Options(), defaultOptions(); !reflect.DeepEqual(got, want) {
			t.Errorf("NewClient(tc, %v).Options() = %+v, want the defaults %+v", opts, got, want)
		}
	}
	c, err := orderflow.NewClient(tc, &orderflow.Options{ApprovalTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	want := defaultOptions()
	want.ApprovalTimeout = 2 * time.Second
	if got := c.Options(); !reflect.DeepEqual(got, want) {
		t.Errorf("Options() = %+v: want ApprovalTimeout 2s and every other field at its default", got)
	}
}

// defaultOptions is what a zero Options stands for.
func defaultOptions() orderflow.Options {
	return orderflow.Options{TaskQueue: "order-task-queue", ApprovalThreshold: orderflow.USD(100000),
		ApprovalTimeout: (5 * time.Minute), ActivityTimeout: (30 * time.Second),
		Retry:             &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 3},
		CompensationRetry: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second},
		CallTimeout:       (10 * time.Second)}
}

// planJSON is the plan orderflowtest.WorkflowInput decides for order under
// opts, as JSON values: what the Client must carry in the workflow input.
func planJSON(t *testing.T, order orderflow.Order, opts *orderflow.Options) any {
	t.Helper()
	b, err := orderflowtest.WorkflowInput(order, opts)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m["plan"]
}

// TestClientPutsSettingsAndTaskQueueOnTheWire starts orders with a nil
// Options and with custom ones on queues no worker polls, and reads
// what reached the server: the default task queue "order-task-queue", the
// workflow ID, and the filled-in settings in the workflow input.
func TestClientPutsSettingsAndTaskQueueOnTheWire(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	check := func(c *orderflow.Client, orderID, wantQueue string, opts *orderflow.Options) {
		t.Helper()
		if err := c.Start(e.ctx, smallOrder(orderID)); err != nil {
			t.Fatalf("Start(%s): %v", orderID, err)
		}
		defer func() {
			_ = e.tc.TerminateWorkflow(e.ctx, orderflow.WorkflowID(orderID), "", "test done")
		}()
		d, err := e.tc.DescribeWorkflowExecution(e.ctx, orderflow.WorkflowID(orderID), "")
		if err != nil {
			t.Fatalf("describe %s: %v", orderID, err)
		}
		info := d.GetWorkflowExecutionInfo()
		if got := info.GetTaskQueue(); got != wantQueue {
			t.Errorf("%s: task queue %q, want %q", orderID, got, wantQueue)
		}
		if got := info.GetType().GetName(); got != orderflow.WorkflowName {
			t.Errorf("%s: workflow type %q, want %q", orderID, got, orderflow.WorkflowName)
		}
		events := e.history(orderID)
		var in struct {
			orderflow.Order
			Plan any `json:"plan"`
		}
		attrs := events[0].GetWorkflowExecutionStartedEventAttributes()
		if err := converter.GetDefaultDataConverter().FromPayloads(attrs.GetInput(), &in); err != nil {
			t.Fatalf("decode input of %s: %v", orderID, err)
		}
		if want := planJSON(t, smallOrder(orderID), opts); !reflect.DeepEqual(in.Plan, want) {
			t.Errorf("%s: plan in the input = %+v, want %+v", orderID, in.Plan, want)
		}
		if in.Order.OrderID != orderID || len(in.Order.Items) != 2 {
			t.Errorf("%s: order in the input = %+v", orderID, in.Order)
		}
	}
	def, err := orderflow.NewClient(e.tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	check(def, e.id("default"), "order-task-queue", nil)

	custom := &orderflow.Options{
		TaskQueue: e.taskQueue + "-nobody", ApprovalTimeout: 2 * time.Minute, ApprovalThreshold: orderflow.USD(5000),
		Retry: &temporal.RetryPolicy{MaximumAttempts: 7}}
	c, err := orderflow.NewClient(e.tc, custom)
	if err != nil {
		t.Fatal(err)
	}
	check(c, e.id("custom"), custom.TaskQueue, custom)
}

// TestStartAndResultSmallOrder runs the Python demo's small order: no
// approval, charged once, items reserved, delivery booked, confirmation sent.
func TestStartAndResultSmallOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	id := e.id("1")
	e.mustStart(smallOrder(id))
	res, _ := e.result(id, orderflow.StatusCompleted)

	if res.OrderID != id || res.Message != "Order processed successfully" || res.Total != orderflow.USD(smallTotal) {
		t.Errorf("result = %+v", res)
	}
	if !stepsEqual(res.Done, orderflow.StepPayment, orderflow.StepInventory, orderflow.StepDelivery, orderflow.StepEmail) {
		t.Errorf("Done = %v, want every step", res.Done)
	}
	if res.Step != orderflow.StepEmail || res.Approval.Status != orderflow.ApprovalNotRequired {
		t.Errorf("Step %q, Approval %+v; want done, not_required", res.Step, res.Approval)
	}
	if res.Payment == nil || res.Payment.Amount != orderflow.USD(smallTotal) ||
		res.Payment.Message != "Payment of $89.95 processed successfully" {
		t.Errorf("Payment = %+v", res.Payment)
	}
	if res.Inventory == nil || res.Inventory.Message != "Reserved 2 item(s) successfully" {
		t.Errorf("Inventory = %+v", res.Inventory)
	}
	if res.Delivery == nil || res.Delivery.Message != "Delivery scheduled to 123 Main St, Springfield, IL 62701" ||
		!strings.HasPrefix(res.Delivery.TrackingNumber, "TRACK-") {
		t.Errorf("Delivery = %+v", res.Delivery)
	}
	if len(res.Compensations) != 0 || len(res.Warnings) != 0 {
		t.Errorf("compensations %v, warnings %v; want none", res.Compensations, res.Warnings)
	}

	charges := e.chargesOf(id)
	if len(charges) != 1 || charges[0].Amount != orderflow.USD(smallTotal) || charges[0].Refunded ||
		charges[0].TransactionID != res.Payment.TransactionID {
		t.Errorf("charges = %+v, want one unrefunded charge of $89.95 matching the result", charges)
	}
	if got := e.p.Inventory.Reserved(id); got["MOUSE-001"] != 2 || got["CABLE-001"] != 3 || len(got) != 2 {
		t.Errorf("reserved = %v, want MOUSE-001:2 CABLE-001:3", got)
	}
	if s := e.p.Delivery.Shipments(); len(s) != 1 || s[0].OrderID != id || s[0].TrackingNumber != res.Delivery.TrackingNumber {
		t.Errorf("shipments = %+v", s)
	}
	if m := e.p.Email.Sent(); len(m) != 1 || m[0].To != "alice@example.com" || m[0].Kind != "order_confirmation" ||
		!strings.Contains(m[0].Body, res.Delivery.TrackingNumber) {
		t.Errorf("mail sent = %+v", m)
	}
}

// TestExecuteAndStatusAfterCompletion starts and waits in one call, then
// reads the full state of the finished order with no worker running: an
// ended order's state is its result, which the server holds.
func TestExecuteAndStatusAfterCompletion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	id := e.id("1")
	res, err := e.orders.Execute(e.ctx, smallOrder(id))
	if err != nil || res == nil || res.Status != orderflow.StatusCompleted {
		t.Fatalf("Execute = %+v, %v; want completed", res, err)
	}
	if e.charged(id) != smallTotal {
		t.Errorf("charged %d, want %d", e.charged(id), smallTotal)
	}
	e.stopWorker()
	st, err := e.orders.State(e.ctx, id)
	if err != nil {
		t.Fatalf("Status after completion: %v", err)
	}
	if st.Status != orderflow.StatusCompleted || st.Step != orderflow.StepEmail || len(st.Done) != 4 ||
		st.Payment == nil || st.Payment.TransactionID != res.Payment.TransactionID || !reflect.DeepEqual(st, res) {
		t.Errorf("Status = %+v, want the completed result %+v", st, res)
	}
	if a, err := e.orders.ApprovalStatus(e.ctx, id); err != nil || a != orderflow.ApprovalNotRequired {
		t.Errorf("ApprovalStatus = %q, %v; want not_required", a, err)
	}
}

// TestStatusWhileRunning follows an order through its steps with the
// full-state query.
func TestStatusWhileRunning(t *testing.T) {
	t.Parallel()
	e, held := newEnvHolding(t, nil, orderflow.StepPayment, orderflow.StepInventory)
	id := e.id("1")
	e.mustStart(smallOrder(id))

	e.waitForStep(id, orderflow.StepPayment)
	st, err := e.orders.State(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != orderflow.StatusRunning || len(st.Done) != 0 || st.Payment != nil || st.Total != orderflow.USD(smallTotal) {
		t.Errorf("Status during payment = %+v; want running, nothing done", st)
	}
	held[0].open()

	e.waitForStep(id, orderflow.StepInventory)
	st, err = e.orders.State(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != orderflow.StatusRunning || !stepsEqual(st.Done, orderflow.StepPayment) || st.Payment == nil ||
		st.Payment.Amount != orderflow.USD(smallTotal) {
		t.Errorf("Status during inventory = %+v; want running with payment done", st)
	}
	held[1].open()
	e.result(id, orderflow.StatusCompleted)
}

// TestStartAgainAttaches starts once, then again while the order runs and
// after it ended, without an error and without a second charge.
func TestStartAgainAttaches(t *testing.T) {
	t.Parallel()
	e, held := newEnvHolding(t, nil, orderflow.StepPayment)
	id := e.id("1")
	order := smallOrder(id)
	for _, when := range []string{"first", "while running"} {
		if err := e.orders.Start(e.ctx, order); err != nil {
			t.Fatalf("Start (%s) = %v; want nil", when, err)
		}
	}
	held[0].open()
	e.result(id, orderflow.StatusCompleted)
	if err := e.orders.Start(e.ctx, order); err != nil {
		t.Fatalf("Start after completion = %v; want nil", err)
	}
	if n := len(e.chargesOf(id)); n != 1 || e.charged(id) != smallTotal {
		t.Errorf("%d charges, %d cents held; want exactly one charge of %d", n, e.charged(id), smallTotal)
	}

	bad := smallOrder(e.id("bad"))
	bad.Items[0].Quantity = 0
	if err := e.orders.Start(e.ctx, bad); !errors.Is(err, orderflow.ErrInvalidOrder) {
		t.Errorf("Start(invalid) = %v; want ErrInvalidOrder", err)
	}
}

// TestApproveLargeOrder approves a large order through the typed Client.
func TestApproveLargeOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	id := e.id("1")
	e.mustStart(largeOrder(id))
	e.waitForApproval(id, orderflow.ApprovalPending)
	st, err := e.orders.State(e.ctx, id)
	if err != nil || st.Status != orderflow.StatusAwaitingApproval || st.Step != orderflow.StepApproval {
		t.Fatalf("Status while awaiting approval = %+v, %v", st, err)
	}
	if len(e.p.Payment.Calls()) != 0 {
		t.Fatalf("payment provider called before approval: %+v", e.p.Payment.Calls())
	}

	a, err := e.orders.Approve(e.ctx, id, orderflow.Decision{Reason: "Approved by manager"})
	if err != nil || !decided(a, orderflow.Approval{Status: orderflow.ApprovalApproved, Reason: "Approved by manager"}) {
		t.Fatalf("Approve = %+v, %v", a, err)
	}
	res, _ := e.result(id, orderflow.StatusCompleted)
	if res.Approval != a {
		t.Errorf("result approval = %+v, want %+v", res.Approval, a)
	}
	if e.charged(id) != largeTotal || len(e.chargesOf(id)) != 1 {
		t.Errorf("charged %d in %d charges, want %d once", e.charged(id), len(e.chargesOf(id)), largeTotal)
	}
	if got := e.p.Inventory.Reserved(id); got["LAPTOP-001"] != 1 || got["MONITOR-001"] != 2 {
		t.Errorf("reserved = %v", got)
	}
	if s, err := e.orders.ApprovalStatus(e.ctx, id); err != nil || s != orderflow.ApprovalApproved {
		t.Errorf("ApprovalStatus after completion = %q, %v", s, err)
	}
}

// TestRejectLargeOrder rejects a large order: nothing charged, nothing reserved.
func TestRejectLargeOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	id := e.id("1")
	e.mustStart(largeOrder(id))
	e.waitForApproval(id, orderflow.ApprovalPending)

	a, err := e.orders.Reject(e.ctx, id, orderflow.Decision{Reason: "Too expensive"})
	if err != nil || !decided(a, orderflow.Approval{Status: orderflow.ApprovalRejected, Reason: "Too expensive"}) {
		t.Fatalf("Reject = %+v, %v", a, err)
	}
	res, _ := e.result(id, orderflow.StatusRejected)
	if !strings.Contains(res.Message, "Too expensive") || res.Approval != a {
		t.Errorf("result = %+v; want the reason in the message and the approval", res)
	}
	if n := len(e.p.Payment.Calls()) + len(e.p.Inventory.Calls()) + len(e.p.Delivery.Calls()) + len(e.p.Email.Calls()); n != 0 {
		t.Errorf("%d provider calls for a rejected order, want none", n)
	}
	if s, err := e.orders.ApprovalStatus(e.ctx, id); err != nil || s != orderflow.ApprovalRejected {
		t.Errorf("ApprovalStatus = %q, %v; want rejected", s, err)
	}
}

// TestApprovalTimeout lets a large order wait out a short approval timeout.
func TestApprovalTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &orderflow.Options{ApprovalTimeout: 2 * time.Second}, nil)
	id := e.id("1")
	e.mustStart(largeOrder(id))
	res, _ := e.result(id, orderflow.StatusTimedOut)
	if res.Approval.Status != orderflow.ApprovalTimedOut {
		t.Errorf("approval = %+v, want timed_out", res.Approval)
	}
	if len(e.p.Payment.Calls()) != 0 || e.charged(id) != 0 {
		t.Errorf("payment calls %v for a timed-out order; want none", e.p.Payment.Calls())
	}
	if s, err := e.orders.ApprovalStatus(e.ctx, id); err != nil || s != orderflow.ApprovalTimedOut {
		t.Errorf("ApprovalStatus = %q, %v; want timed_out", s, err)
	}
	events := e.history(id)
	if n := countEvents(events, enumspb.EVENT_TYPE_TIMER_FIRED); n != 1 {
		t.Errorf("%d TimerFired events, want 1", n)
	}
}

// TestApprovalThresholdBoundary checks "strictly greater than $1000.00" at
// the cent, through the server.
func TestApprovalThresholdBoundary(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	at := smallOrder(e.id("at"))
	at.Items = []orderflow.Item{{ProductID: "P", ProductName: "Exactly", Quantity: 4, UnitPrice: orderflow.USD(25000)}}
	over := smallOrder(e.id("over"))
	over.Items = []orderflow.Item{{ProductID: "P", ProductName: "Just over", Quantity: 1, UnitPrice: orderflow.USD(100001)}}

	res, err := e.orders.Execute(e.ctx, at)
	if err != nil || res.Status != orderflow.StatusCompleted || res.Approval.Status != orderflow.ApprovalNotRequired {
		t.Errorf("order of exactly $1000.00: %+v, %v; want completed without approval", res, err)
	}
	e.mustStart(over)
	e.waitForApproval(over.OrderID, orderflow.ApprovalPending)
	if _, err := e.orders.Reject(e.ctx, over.OrderID, orderflow.Decision{Reason: "boundary"}); err != nil {
		t.Fatal(err)
	}
	e.result(over.OrderID, orderflow.StatusRejected)
}

// TestClientCancel cancels through the typed Client while awaiting approval
// and while inventory is being reserved.
func TestClientCancel(t *testing.T) {
	t.Parallel()
	t.Run("awaiting approval", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, nil)
		id := e.id("1")
		e.mustStart(largeOrder(id))
		e.waitForApproval(id, orderflow.ApprovalPending)
		if err := e.orders.Cancel(e.ctx, id, "customer changed their mind"); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		res, _ := e.result(id, orderflow.StatusCancelled)
		if res.CancelReason != "customer changed their mind" || !strings.Contains(res.Message, "customer changed their mind") {
			t.Errorf("result = %+v; want the cancel reason", res)
		}
		if len(e.p.Payment.Calls()) != 0 {
			t.Errorf("payment calls %+v; want none", e.p.Payment.Calls())
		}
	})
	t.Run("during inventory", func(t *testing.T) {
		t.Parallel()
		e, held := newEnvHolding(t, nil, orderflow.StepInventory)
		id := e.id("1")
		e.mustStart(smallOrder(id))
		e.waitForStep(id, orderflow.StepInventory)
		if err := e.orders.Cancel(e.ctx, id, "fraud suspected"); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		held[0].open()
		res, _ := e.result(id, orderflow.StatusCancelled)
		assertCompensated(t, e, res, id, orderflow.ActivityReleaseInventory, orderflow.ActivityRefundPayment)
		if len(e.p.Delivery.Calls()) != 0 {
			t.Errorf("delivery calls %+v for a cancelled order", e.p.Delivery.Calls())
		}
	})
}

// assertCompensated checks that the order was charged, then refunded in
// full, that nothing stays reserved, and that res lists the compensations
// wanted, in order, all successful.
func assertCompensated(t *testing.T, e *env, res *orderflow.OrderState, id string, want ...string) {
	t.Helper()
	if got := e.charged(id); got != 0 {
		t.Errorf("%d cents still held; want everything refunded", got)
	}
	if got := e.p.Inventory.Reserved(id); got != nil {
		t.Errorf("still reserved: %v", got)
	}
	var got []string
	for _, c := range res.Compensations {
		got = append(got, c.Activity)
		if c.Error != "" {
			t.Errorf("compensation %s failed: %s", c.Activity, c.Error)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("compensations %v, want %v", got, want)
	}
}
