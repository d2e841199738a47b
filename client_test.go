package orderflow_test

// Unit tests of Client (client.go, list.go and RegisterSearchAttributes)
// against the SDK's mocks: no server, no worker.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/operatorservicemock/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
)

// mcCallTimeout is the Options.CallTimeout of the Clients under test: an odd
// value, so that a deadline derived from it is told apart from any other.
const mcCallTimeout = 3*time.Hour + 17*time.Minute

// mcTaskQueue is the Options.TaskQueue of the Clients under test.
const mcTaskQueue = "mc-task-queue"

var mcDC = converter.GetDefaultDataConverter()

// mcClient returns a Client on a fresh mocks.Client, which fails the test
// on a call it was not told to expect and, at the end, on an expected call
// that was not made.
func mcClient(t *testing.T, opts *orderflow.Options) (*orderflow.Client, *mocks.Client) {
	t.Helper()
	tc := mocks.NewClient(t)
	if opts == nil {
		opts = &orderflow.Options{}
	}
	o := *opts
	if o.CallTimeout == 0 {
		o.CallTimeout = mcCallTimeout
	}
	if o.TaskQueue == "" {
		o.TaskQueue = mcTaskQueue
	}
	c, err := orderflow.NewClient(tc, &o)
	require.NoError(t, err)
	return c, tc
}

// requireErr checks what every error of the Client says: errors.Is finds
// want, and the message starts with "orderflow: " exactly once and names
// what it names (the operation, the order ID).
func requireErr(t *testing.T, err error, want error, names ...string) {
	t.Helper()
	require.Error(t, err)
	if want != nil {
		require.ErrorIs(t, err, want)
	}
	msg := err.Error()
	require.True(t, strings.HasPrefix(msg, "orderflow: "), "message %q does not start with \"orderflow: \"", msg)
	require.Equal(t, 1, strings.Count(msg, "orderflow:"), "message %q says \"orderflow:\" more than once", msg)
	for _, n := range names {
		require.Contains(t, msg, n)
	}
}

// quoted is how messages name an order ID.
func quoted(id string) string { return strconv.Quote(id) }

// fillArg returns a Run function that decodes v, as the SDK would through
// the default data converter, into the pointer that is argument i.
func fillArg(t *testing.T, i int, v any) func(mock.Arguments) {
	return func(args mock.Arguments) {
		ptr := args.Get(i)
		if ptr == nil {
			return
		}
		p, err := mcDC.ToPayload(v)
		require.NoError(t, err)
		require.NoError(t, mcDC.FromPayload(p, ptr))
	}
}

// runOf is a WorkflowRun whose Get answers with v, or fails with err.
func runOf(t *testing.T, v any, err error) *mocks.WorkflowRun {
	run := mocks.NewWorkflowRun(t)
	call := run.On("Get", mock.Anything, mock.Anything)
	if err != nil {
		call.Return(err)
	} else {
		call.Run(fillArg(t, 1, v)).Return(nil)
	}
	return run
}

// handleOf is a WorkflowUpdateHandle whose Get answers with v, or fails
// with err.
func handleOf(t *testing.T, v any, err error) *mocks.WorkflowUpdateHandle {
	h := mocks.NewWorkflowUpdateHandle(t)
	call := h.On("Get", mock.Anything, mock.Anything)
	if err != nil {
		call.Return(err)
	} else {
		call.Run(fillArg(t, 1, v)).Return(nil)
	}
	return h
}

// historyOf is the history of an order whose first event, its start, has
// input as its input.
func historyOf(t *testing.T, input *commonpb.Payloads) *mocks.HistoryEventIterator {
	it := mocks.NewHistoryEventIterator(t)
	it.On("HasNext").Return(true)
	it.On("Next").Return(&historypb.HistoryEvent{
		EventId:   1,
		EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{
			WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{Input: input},
		},
	}, nil)
	return it
}

// payloadsOf encodes args as the SDK's client sends a workflow's input.
func payloadsOf(t *testing.T, args ...any) *commonpb.Payloads {
	p, err := mcDC.ToPayloads(args...)
	require.NoError(t, err)
	return p
}

func payloadOf(t *testing.T, v any) *commonpb.Payload {
	p, err := mcDC.ToPayload(v)
	require.NoError(t, err)
	return p
}

// described is a DescribeWorkflowExecution answer for an order in status.
func described(status enumspb.WorkflowExecutionStatus) *workflowservice.DescribeWorkflowExecutionResponse {
	return &workflowservice.DescribeWorkflowExecutionResponse{
		WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{Status: status},
	}
}

// completedRun is the record of an order's workflow that has completed,
// in run runID.
func completedRun(id, runID string) *workflowservice.DescribeWorkflowExecutionResponse {
	d := described(enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED)
	d.WorkflowExecutionInfo.Execution = &commonpb.WorkflowExecution{WorkflowId: orderflow.WorkflowID(id), RunId: runID}
	return d
}

// inputFingerprint reads the plan's fingerprint of a workflow input the
// Client sent.
func inputFingerprint(t *testing.T, in any) string {
	b, err := json.Marshal(in)
	require.NoError(t, err)
	var v struct {
		OrderID string `json:"order_id"`
		Plan    struct {
			Fingerprint string `json:"fingerprint"`
		} `json:"plan"`
	}
	require.NoError(t, json.Unmarshal(b, &v))
	require.NotEmpty(t, v.Plan.Fingerprint)
	return v.Plan.Fingerprint
}

// fakeStartOp stands for the SDK's WithStartWorkflowOperation.
type fakeStartOp struct{ id int }

func (fakeStartOp) Get(context.Context) (client.WorkflowRun, error) {
	return nil, errors.New("not used")
}

// --- NewClient ---

func TestNewClientRefusesANilClient(t *testing.T) {
	t.Parallel()
	c, err := orderflow.NewClient(nil, nil)
	require.Nil(t, c)
	requireErr(t, err, nil, "nil")
}

func TestNewClientRefusesOptionsOutOfRange(t *testing.T) {
	t.Parallel()
	tc := mocks.NewClient(t)
	c, err := orderflow.NewClient(tc, &orderflow.Options{CallTimeout: -time.Second})
	require.Nil(t, c)
	requireErr(t, err, nil, "CallTimeout")
}

func TestNewClientFillsInTheDefaults(t *testing.T) {
	t.Parallel()
	tc := mocks.NewClient(t)
	c, err := orderflow.NewClient(tc, nil)
	require.NoError(t, err)
	o := c.Options()
	require.Equal(t, "order-task-queue", o.TaskQueue)
	require.Equal(t, 10*time.Second, o.CallTimeout)
	require.Equal(t, orderflow.DefaultApprovalThreshold, o.ApprovalThreshold)
}

func TestNewClientWithVisibilityChecksTheSearchAttributes(t *testing.T) {
	t.Parallel()
	t.Run("registered", func(t *testing.T) {
		t.Parallel()
		tc := mocks.NewClient(t)
		var req *workflowservice.CountWorkflowExecutionsRequest
		before := time.Now()
		tc.On("CountWorkflow", mock.Anything, mock.Anything).Run(func(args mock.Arguments) {
			requireCallTimeout(t, args.Get(0).(context.Context), before, time.Now())
			req = args.Get(1).(*workflowservice.CountWorkflowExecutionsRequest)
		}).Return(&workflowservice.CountWorkflowExecutionsResponse{}, nil).Once()
		c, err := orderflow.NewClient(tc, &orderflow.Options{Visibility: true, CallTimeout: mcCallTimeout})
		require.NoError(t, err)
		require.True(t, c.Options().Visibility)
		require.Contains(t, req.GetQuery(), orderflow.SearchAttributeStatus)
		require.Contains(t, req.GetQuery(), orderflow.SearchAttributeApprovalDeadline)
	})
	t.Run("not registered", func(t *testing.T) {
		t.Parallel()
		tc := mocks.NewClient(t)
		tc.On("CountWorkflow", mock.Anything, mock.Anything).
			Return(nil, serviceerror.NewInvalidArgument("invalid query: unknown search attribute OrderflowStatus")).Once()
		c, err := orderflow.NewClient(tc, &orderflow.Options{Visibility: true})
		require.Nil(t, c)
		requireErr(t, err, orderflow.ErrVisibilityNotReady, "new client", "OrderflowStatus", "RegisterSearchAttributes")
	})
	t.Run("server unavailable", func(t *testing.T) {
		t.Parallel()
		tc := mocks.NewClient(t)
		tc.On("CountWorkflow", mock.Anything, mock.Anything).Return(nil, serviceerror.NewUnavailable("connection refused")).Once()
		c, err := orderflow.NewClient(tc, &orderflow.Options{Visibility: true})
		require.Nil(t, c)
		requireErr(t, err, nil, "new client", "connection refused")
		require.NotErrorIs(t, err, orderflow.ErrVisibilityNotReady)
	})
}

// --- Deadlines ---

// requireCallTimeout checks that ctx carries the deadline Options.CallTimeout
// gives a call made between before and after.
func requireCallTimeout(t *testing.T, ctx context.Context, before, after time.Time) {
	t.Helper()
	d, ok := ctx.Deadline()
	require.True(t, ok, "the call's ctx has no deadline")
	require.False(t, d.Before(before.Add(mcCallTimeout)), "deadline %v is before the call started + CallTimeout", d)
	require.False(t, d.After(after.Add(mcCallTimeout)), "deadline %v is after the call ended + CallTimeout", d)
}

// Every call bounds a ctx without a deadline by Options.CallTimeout, and
// keeps the deadline of a ctx that has one.
func TestCallsHaveADeadline(t *testing.T) {
	t.Parallel()
	const id = "ORD-DL"
	// Each case expects the calls of one Client method and records the
	// contexts the mocks see.
	cases := []struct {
		name   string
		expect func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments))
		call   func(ctx context.Context, c *orderflow.Client) error
	}{
		{"Start", func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments)) {
			tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, orderflow.WorkflowName, mock.Anything).Run(seen).Return(mocks.NewWorkflowRun(t), nil)
		}, func(ctx context.Context, c *orderflow.Client) error {
			return c.Start(ctx, orderflowtest.SmallOrder(id))
		}},
		{"Execute", func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments)) {
			run := mocks.NewWorkflowRun(t)
			run.On("Get", mock.Anything, mock.Anything).Run(seen).Return(nil)
			tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, orderflow.WorkflowName, mock.Anything).Run(seen).Return(run, nil)
		}, func(ctx context.Context, c *orderflow.Client) error {
			_, err := c.Execute(ctx, orderflowtest.SmallOrder(id))
			return err
		}},
		{"Result", func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments)) {
			run := mocks.NewWorkflowRun(t)
			run.On("Get", mock.Anything, mock.Anything).Run(seen).Return(nil)
			tc.On("GetWorkflow", mock.Anything, orderflow.WorkflowID(id), "").Run(seen).Return(run)
		}, func(ctx context.Context, c *orderflow.Client) error {
			_, err := c.Result(ctx, id)
			return err
		}},
		{"Checkout", func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments)) {
			tc.On("NewWithStartWorkflowOperation", mock.Anything, orderflow.WorkflowName, mock.Anything).Return(fakeStartOp{})
			h := mocks.NewWorkflowUpdateHandle(t)
			h.On("Get", mock.Anything, mock.Anything).Run(seen).Return(nil)
			tc.On("UpdateWithStartWorkflow", mock.Anything, mock.Anything).Run(seen).Return(h, nil)
		}, func(ctx context.Context, c *orderflow.Client) error {
			_, err := c.Checkout(ctx, orderflowtest.SmallOrder(id))
			return err
		}},
		{"Approve", func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments)) {
			h := mocks.NewWorkflowUpdateHandle(t)
			h.On("Get", mock.Anything, mock.Anything).Run(seen).Return(nil)
			tc.On("UpdateWorkflow", mock.Anything, mock.Anything).Run(seen).Return(h, nil)
		}, func(ctx context.Context, c *orderflow.Client) error {
			_, err := c.Approve(ctx, id, orderflow.Decision{})
			return err
		}},
		{"Reject", func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments)) {
			h := mocks.NewWorkflowUpdateHandle(t)
			h.On("Get", mock.Anything, mock.Anything).Run(seen).Return(nil)
			tc.On("UpdateWorkflow", mock.Anything, mock.Anything).Run(seen).Return(h, nil)
		}, func(ctx context.Context, c *orderflow.Client) error {
			_, err := c.Reject(ctx, id, orderflow.Decision{Reason: "no"})
			return err
		}},
		{"Cancel", func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments)) {
			h := mocks.NewWorkflowUpdateHandle(t)
			h.On("Get", mock.Anything, mock.Anything).Run(seen).Return(nil)
			tc.On("UpdateWorkflow", mock.Anything, mock.Anything).Run(seen).Return(h, nil)
		}, func(ctx context.Context, c *orderflow.Client) error {
			return c.Cancel(ctx, id, "changed my mind")
		}},
		{"State", func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments)) {
			v := mocks.NewEncodedValue(t)
			v.On("Get", mock.Anything).Run(fillArg(t, 0, orderflow.OrderState{OrderID: id,
				Current: &orderflow.StepProgress{Step: orderflow.StepDelivery, Activity: orderflow.ActivityArrangeDelivery}})).Return(nil)
			tc.On("QueryWorkflow", mock.Anything, orderflow.WorkflowID(id), "", orderflow.QueryOrderState).Run(seen).Return(v, nil)
			tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").Run(seen).
				Return(described(enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING), nil)
		}, func(ctx context.Context, c *orderflow.Client) error {
			_, err := c.State(ctx, id)
			return err
		}},
		{"ApprovalStatus", func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments)) {
			v := mocks.NewEncodedValue(t)
			v.On("Get", mock.Anything).Run(fillArg(t, 0, "pending")).Return(nil)
			tc.On("QueryWorkflow", mock.Anything, orderflow.WorkflowID(id), "", orderflow.QueryApprovalStatus).Run(seen).Return(v, nil)
			tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").Run(seen).
				Return(described(enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING), nil)
		}, func(ctx context.Context, c *orderflow.Client) error {
			_, err := c.ApprovalStatus(ctx, id)
			return err
		}},
		{"State of an ended order", func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments)) {
			tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").Run(seen).
				Return(completedRun(id, "run-1"), nil)
			tc.On("GetWorkflow", mock.Anything, orderflow.WorkflowID(id), "run-1").Run(seen).
				Return(runOf(t, orderflow.OrderState{OrderID: id, Status: orderflow.StatusCompleted}, nil))
		}, func(ctx context.Context, c *orderflow.Client) error {
			_, err := c.State(ctx, id)
			return err
		}},
		{"Summary", func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments)) {
			tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").Run(seen).
				Return(described(enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING), nil)
		}, func(ctx context.Context, c *orderflow.Client) error {
			_, err := c.Summary(ctx, id)
			return err
		}},
		{"ListOrders", func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments)) {
			tc.On("ListWorkflow", mock.Anything, mock.Anything).Run(seen).Return(&workflowservice.ListWorkflowExecutionsResponse{}, nil)
		}, func(ctx context.Context, c *orderflow.Client) error {
			_, _, err := c.ListOrders(ctx, orderflow.ListOptions{})
			return err
		}},
		{"ListOrders awaiting approval", func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments)) {
			tc.On("CountWorkflow", mock.Anything, mock.Anything).Run(seen).Return(&workflowservice.CountWorkflowExecutionsResponse{Count: 1}, nil)
			tc.On("ListWorkflow", mock.Anything, mock.Anything).Run(seen).Return(&workflowservice.ListWorkflowExecutionsResponse{}, nil)
		}, func(ctx context.Context, c *orderflow.Client) error {
			_, _, err := c.ListOrders(ctx, orderflow.ListOptions{Status: orderflow.StatusAwaitingApproval})
			return err
		}},
		{"CountOrders", func(t *testing.T, tc *mocks.Client, seen func(mock.Arguments)) {
			tc.On("CountWorkflow", mock.Anything, mock.Anything).Run(seen).Return(&workflowservice.CountWorkflowExecutionsResponse{Count: 3}, nil)
		}, func(ctx context.Context, c *orderflow.Client) error {
			_, err := c.CountOrders(ctx, orderflow.StatusRunning)
			return err
		}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, tc := mcClient(t, nil)
			var mu sync.Mutex
			var ctxs []context.Context
			seen := func(args mock.Arguments) {
				mu.Lock()
				defer mu.Unlock()
				ctxs = append(ctxs, args.Get(0).(context.Context))
			}
			tt.expect(t, tc, seen)

			// A ctx without a deadline: CallTimeout, one deadline for the
			// whole call (Execute's start and wait included).
			before := time.Now()
			require.NoError(t, tt.call(context.Background(), c))
			after := time.Now()
			require.NotEmpty(t, ctxs)
			first, _ := ctxs[0].Deadline()
			for _, ctx := range ctxs {
				requireCallTimeout(t, ctx, before, after)
				d, _ := ctx.Deadline()
				require.True(t, d.Equal(first), "the calls of one %s have different deadlines", tt.name)
			}

			// A ctx with its own deadline keeps it, a longer one included.
			ctxs = nil
			own := time.Now().Add(2 * mcCallTimeout)
			ctx, cancel := context.WithDeadline(context.Background(), own)
			defer cancel()
			require.NoError(t, tt.call(ctx, c))
			require.NotEmpty(t, ctxs)
			for _, ctx := range ctxs {
				d, ok := ctx.Deadline()
				require.True(t, ok)
				require.True(t, d.Equal(own), "deadline %v, want the caller's %v", d, own)
			}
		})
	}
}

// --- Error mapping ---

// What the server, the SDK or the workflow says comes back as the
// package's sentinels and ctx's errors, in a message that names the
// operation and the order.
func TestErrorsMapToSentinels(t *testing.T) {
	t.Parallel()
	const id = "ORD-ERR"
	refusal := func(typ, msg string) error { return temporal.NewNonRetryableApplicationError(msg, typ, nil) }
	expired := func() context.Context {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		t.Cleanup(cancel)
		return ctx
	}
	cancelled := func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}
	// result fails Result's wait with err.
	result := func(err error) func(t *testing.T, c *orderflow.Client, tc *mocks.Client, ctx context.Context) error {
		return func(t *testing.T, c *orderflow.Client, tc *mocks.Client, ctx context.Context) error {
			tc.On("GetWorkflow", mock.Anything, orderflow.WorkflowID(id), "").Return(runOf(t, nil, err))
			res, err := c.Result(ctx, id)
			require.Nil(t, res)
			return err
		}
	}
	// update refuses an Update sent by call with err.
	update := func(err error, call func(ctx context.Context, c *orderflow.Client) error) func(t *testing.T, c *orderflow.Client, tc *mocks.Client, ctx context.Context) error {
		return func(t *testing.T, c *orderflow.Client, tc *mocks.Client, ctx context.Context) error {
			tc.On("UpdateWorkflow", mock.Anything, mock.Anything).Return(handleOf(t, nil, err), nil)
			return call(ctx, c)
		}
	}
	approve := func(ctx context.Context, c *orderflow.Client) error {
		_, err := c.Approve(ctx, id, orderflow.Decision{Reason: "ok"})
		return err
	}
	reject := func(ctx context.Context, c *orderflow.Client) error {
		_, err := c.Reject(ctx, id, orderflow.Decision{Approver: "alice"})
		return err
	}
	cancel := func(ctx context.Context, c *orderflow.Client) error { return c.Cancel(ctx, id, "changed my mind") }

	cases := []struct {
		name  string
		ctx   func() context.Context
		call  func(t *testing.T, c *orderflow.Client, tc *mocks.Client, ctx context.Context) error
		want  error
		names []string
	}{
		{"not found", nil, result(serviceerror.NewNotFound("workflow not found")), orderflow.ErrOrderNotFound,
			[]string{"get result of order " + quoted(id)}},
		{"server deadline", nil, result(serviceerror.NewDeadlineExceeded("deadline exceeded")), context.DeadlineExceeded,
			[]string{"get result of order " + quoted(id), "deadline exceeded"}},
		{"server cancelled", nil, result(serviceerror.NewCanceled("canceled")), context.Canceled,
			[]string{"get result of order " + quoted(id)}},
		{"ctx expired", expired, result(errors.New("rpc error: code = DeadlineExceeded")), context.DeadlineExceeded,
			[]string{"get result of order " + quoted(id), "rpc error"}},
		{"ctx cancelled", cancelled, result(errors.New("rpc error: code = Canceled")), context.Canceled,
			[]string{"get result of order " + quoted(id), "rpc error"}},
		{"ctx error as is", cancelled, result(context.Canceled), context.Canceled,
			[]string{"get result of order " + quoted(id)}},
		{"other server error", nil, result(serviceerror.NewUnavailable("connection refused")), nil,
			[]string{"get result of order " + quoted(id), "connection refused"}},
		{"update service timeout", nil, update(client.NewWorkflowUpdateServiceTimeoutOrCanceledError(errors.New("context deadline exceeded")), approve),
			context.DeadlineExceeded, []string{"approve order " + quoted(id)}},
		{"not awaiting approval", nil, update(refusal("orderflow.NotAwaitingApproval", "the order was rejected"), approve),
			orderflow.ErrNotAwaitingApproval, []string{"approve order " + quoted(id), "the order was rejected"}},
		{"invalid reason", nil, update(refusal("orderflow.InvalidReason", "reason is not valid UTF-8"), approve),
			orderflow.ErrInvalidArgument, []string{"approve order " + quoted(id), "reason is not valid UTF-8"}},
		{"invalid approver", nil, update(refusal("orderflow.InvalidApprover", "approver has leading or trailing space"), reject),
			orderflow.ErrInvalidArgument, []string{"reject order " + quoted(id), "approver has leading"}},
		{"too late to cancel", nil, update(refusal("orderflow.TooLateToCancel", "delivery has started: past the point of no return"), cancel),
			orderflow.ErrTooLateToCancel, []string{"cancel order " + quoted(id), "point of no return"}},
		{"already cancelled", nil, update(refusal("orderflow.AlreadyCancelled", "a cancellation was already accepted"), cancel),
			orderflow.ErrAlreadyCancelled, []string{"cancel order " + quoted(id), "already accepted"}},
		{"refusal wrapped by the SDK", nil, update(fmt.Errorf("update failed: %w",
			temporal.NewApplicationErrorWithCause("outer", "SomeOtherType", refusal("orderflow.NotAwaitingApproval", "another decision came first"))), approve),
			orderflow.ErrNotAwaitingApproval, []string{"approve order " + quoted(id), "another decision came first"}},
		{"order exists (checkout refused)", nil, func(t *testing.T, c *orderflow.Client, tc *mocks.Client, ctx context.Context) error {
			tc.On("NewWithStartWorkflowOperation", mock.Anything, orderflow.WorkflowName, mock.Anything).Return(fakeStartOp{})
			tc.On("UpdateWithStartWorkflow", mock.Anything, mock.Anything).
				Return(handleOf(t, nil, refusal("orderflow.OrderExists", "the order ID was used for another order")), nil)
			tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").
				Return(described(enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING), nil)
			res, err := c.Checkout(ctx, orderflowtest.SmallOrder(id))
			require.Nil(t, res)
			return err
		}, orderflow.ErrOrderExists, []string{"checkout order " + quoted(id), "used for another order"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, tc := mcClient(t, nil)
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			err := tt.call(t, c, tc, ctx)
			requireErr(t, err, tt.want, tt.names...)
			if tt.want == nil {
				require.NotErrorIs(t, err, context.DeadlineExceeded)
				require.NotErrorIs(t, err, context.Canceled)
			}
		})
	}
}

// A deadline that passes while an Update waits for its answer says that
// a worker may be missing.
func TestUpdateTimeoutNamesTheTaskQueue(t *testing.T) {
	t.Parallel()
	c, tc := mcClient(t, nil)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Millisecond))
	defer cancel()
	tc.On("UpdateWorkflow", mock.Anything, mock.Anything).
		Return(nil, client.NewWorkflowUpdateServiceTimeoutOrCanceledError(errors.New("context deadline exceeded"))).Once()
	_, err := c.Approve(ctx, "ORD-TQ", orderflow.Decision{})
	requireErr(t, err, context.DeadlineExceeded, "approve order "+quoted("ORD-TQ"), quoted(mcTaskQueue), "worker")

	tc.On("UpdateWorkflow", mock.Anything, mock.Anything).Return(handleOf(t, nil, errors.New("rpc error: code = DeadlineExceeded")), nil).Once()
	err = c.Cancel(ctx, "ORD-TQ", "")
	requireErr(t, err, context.DeadlineExceeded, "cancel order "+quoted("ORD-TQ"), quoted(mcTaskQueue))
}

// --- Start ---

func TestStartSendsTheOrder(t *testing.T) {
	t.Parallel()
	for _, lowLatency := range []bool{false, true} {
		t.Run(fmt.Sprintf("LowLatency=%v", lowLatency), func(t *testing.T) {
			t.Parallel()
			c, tc := mcClient(t, &orderflow.Options{LowLatency: lowLatency})
			order := orderflowtest.SmallOrder("ORD-S1")
			order.CustomerName = "  Alice Smith \n" // normalized before it is sent
			var so client.StartWorkflowOptions
			var in any
			tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, orderflow.WorkflowName, mock.Anything).Run(func(args mock.Arguments) {
				so = args.Get(1).(client.StartWorkflowOptions)
				in = args.Get(3)
			}).Return(mocks.NewWorkflowRun(t), nil).Once()
			require.NoError(t, c.Start(context.Background(), order))

			require.Equal(t, orderflow.WorkflowID("ORD-S1"), so.ID)
			require.Equal(t, mcTaskQueue, so.TaskQueue)
			require.Equal(t, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE, so.WorkflowIDReusePolicy)
			require.Equal(t, enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL, so.WorkflowIDConflictPolicy)
			require.True(t, so.WorkflowExecutionErrorWhenAlreadyStarted)
			require.Equal(t, lowLatency, so.EnableEagerStart)
			require.Nil(t, so.Memo, "a Client without Visibility sets no memo")
			require.Zero(t, so.TypedSearchAttributes.Size())

			var sent struct {
				orderflow.Order
				Plan map[string]any `json:"plan"`
			}
			require.NoError(t, mcDC.FromPayloads(payloadsOf(t, in), &sent))
			require.Equal(t, orderflowtest.SmallOrder("ORD-S1"), sent.Order)
			require.NotEmpty(t, sent.Plan["fingerprint"])
		})
	}
}

func TestStartWithVisibilitySetsTheListingRow(t *testing.T) {
	t.Parallel()
	tc := mocks.NewClient(t)
	tc.On("CountWorkflow", mock.Anything, mock.Anything).Return(&workflowservice.CountWorkflowExecutionsResponse{}, nil).Once()
	c, err := orderflow.NewClient(tc, &orderflow.Options{Visibility: true, ApprovalTimeout: time.Hour})
	require.NoError(t, err)
	var so client.StartWorkflowOptions
	tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, orderflow.WorkflowName, mock.Anything).Run(func(args mock.Arguments) {
		so = args.Get(1).(client.StartWorkflowOptions)
	}).Return(mocks.NewWorkflowRun(t), nil)

	before := time.Now()
	require.NoError(t, c.Start(context.Background(), orderflowtest.LargeOrder("ORD-V1")))
	after := time.Now()
	status, ok := so.TypedSearchAttributes.GetKeyword(temporal.NewSearchAttributeKeyKeyword(orderflow.SearchAttributeStatus))
	require.True(t, ok)
	require.Equal(t, string(orderflow.StatusAwaitingApproval), status)
	deadline, ok := so.TypedSearchAttributes.GetTime(temporal.NewSearchAttributeKeyTime(orderflow.SearchAttributeApprovalDeadline))
	require.True(t, ok)
	require.False(t, deadline.Before(before.Add(time.Hour)))
	require.False(t, deadline.After(after.Add(time.Hour)))
	memo, err := json.Marshal(so.Memo[orderflow.MemoSummary])
	require.NoError(t, err)
	require.JSONEq(t, `{"order_id":"ORD-V1","total":{"amount":189997,"currency":"USD"},"item_count":2,
		"items":[{"product_id":"LAPTOP-001","product_name":"Laptop","quantity":1},{"product_id":"MONITOR-001","product_name":"Monitor","quantity":2}],
		"customer_name":"Bob Johnson"}`, string(memo))

	require.NoError(t, c.Start(context.Background(), orderflowtest.SmallOrder("ORD-V2")))
	status, _ = so.TypedSearchAttributes.GetKeyword(temporal.NewSearchAttributeKeyKeyword(orderflow.SearchAttributeStatus))
	require.Equal(t, string(orderflow.StatusRunning), status)
	_, ok = so.TypedSearchAttributes.GetTime(temporal.NewSearchAttributeKeyTime(orderflow.SearchAttributeApprovalDeadline))
	require.False(t, ok, "an order under the threshold has no approval deadline")
}

func TestStartRefusesAnInvalidOrderBeforeSending(t *testing.T) {
	t.Parallel()
	c, tc := mcClient(t, nil)
	bad := orderflowtest.SmallOrder("ORD-BAD")
	bad.Items = nil
	err := c.Start(context.Background(), bad)
	requireErr(t, err, orderflow.ErrInvalidOrder, "start order "+quoted("ORD-BAD"), "items")
	var ve *orderflow.ValidationError
	require.ErrorAs(t, err, &ve)

	_, err = c.Execute(context.Background(), orderflowtest.SmallOrder("has space"))
	requireErr(t, err, orderflow.ErrInvalidOrder, "start order "+quoted("has space"))

	res, err := c.Checkout(context.Background(), bad)
	require.Nil(t, res)
	requireErr(t, err, orderflow.ErrInvalidOrder, "checkout order "+quoted("ORD-BAD"))
	tc.AssertNotCalled(t, "ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything)
	tc.AssertNotCalled(t, "UpdateWithStartWorkflow", mock.Anything, mock.Anything)
}

// A second Start of the same order (a retry after a lost reply) attaches to
// it; another order under its ID is refused.
func TestStartAttachesToTheSameOrder(t *testing.T) {
	t.Parallel()
	c, tc := mcClient(t, nil)
	const id = "ORD-S2"
	var first any
	tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, orderflow.WorkflowName, mock.Anything).Run(func(args mock.Arguments) {
		first = args.Get(3)
	}).Return(mocks.NewWorkflowRun(t), nil).Once()
	require.NoError(t, c.Start(context.Background(), orderflowtest.SmallOrder(id)))

	tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, orderflow.WorkflowName, mock.Anything).
		Return(nil, serviceerror.NewWorkflowExecutionAlreadyStarted("workflow execution already started", "", "run-1"))
	tc.On("GetWorkflowHistory", mock.Anything, orderflow.WorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT).
		Return(func(context.Context, string, string, bool, enumspb.HistoryEventFilterType) client.HistoryEventIterator {
			return historyOf(t, payloadsOf(t, first))
		})

	// The same order, as normalized, attaches.
	same := orderflowtest.SmallOrder(id)
	same.CustomerName = " Alice Smith "
	require.NoError(t, c.Start(context.Background(), same))
	res := orderflow.OrderState{OrderID: id, Status: orderflow.StatusCompleted, Total: orderflow.USD(8995)}
	tc.On("GetWorkflow", mock.Anything, orderflow.WorkflowID(id), "").Return(runOf(t, res, nil)).Once()
	got, err := c.Execute(context.Background(), same)
	require.NoError(t, err)
	require.Equal(t, res, *got)

	// Another order under the same ID is refused, by Execute too.
	other := orderflowtest.SmallOrder(id)
	other.Items[0].Quantity++
	err = c.Start(context.Background(), other)
	requireErr(t, err, orderflow.ErrOrderExists, "start order "+quoted(id), "other fields or items")
	got, err = c.Execute(context.Background(), other)
	require.Nil(t, got)
	requireErr(t, err, orderflow.ErrOrderExists, "start order "+quoted(id))
}

// An order started without the Client (by the CLI, with the order's fields
// only) is recognised by its content.
func TestStartAttachesToAnOrderStartedWithoutAPlan(t *testing.T) {
	t.Parallel()
	c, tc := mcClient(t, nil)
	const id = "ORD-CLI"
	cli := orderflowtest.LargeOrder(id)
	cli.ShippingAddress = "456 Oak Ave,\r\nPortland, OR 97201\r\n" // as typed, not normalized
	tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, orderflow.WorkflowName, mock.Anything).
		Return(nil, serviceerror.NewWorkflowExecutionAlreadyStarted("already started", "", "run-1"))
	tc.On("GetWorkflowHistory", mock.Anything, orderflow.WorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT).
		Return(func(context.Context, string, string, bool, enumspb.HistoryEventFilterType) client.HistoryEventIterator {
			return historyOf(t, payloadsOf(t, cli))
		})
	same := orderflowtest.LargeOrder(id)
	same.ShippingAddress = "456 Oak Ave,\nPortland, OR 97201"
	require.NoError(t, c.Start(context.Background(), same))
	err := c.Start(context.Background(), orderflowtest.LargeOrder(id)) // another address
	requireErr(t, err, orderflow.ErrOrderExists, "start order "+quoted(id))
}

func TestStartWhenTheExistingOrderCannotBeRead(t *testing.T) {
	t.Parallel()
	const id = "ORD-S3"
	already := serviceerror.NewWorkflowExecutionAlreadyStarted("already started", "", "run-1")
	t.Run("no history", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, orderflow.WorkflowName, mock.Anything).Return(nil, already)
		it := mocks.NewHistoryEventIterator(t)
		it.On("HasNext").Return(false)
		tc.On("GetWorkflowHistory", mock.Anything, orderflow.WorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT).Return(it)
		requireErr(t, c.Start(context.Background(), orderflowtest.SmallOrder(id)), orderflow.ErrOrderExists, "start order "+quoted(id))
	})
	t.Run("unreadable input", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, orderflow.WorkflowName, mock.Anything).Return(nil, already)
		input := &commonpb.Payloads{Payloads: []*commonpb.Payload{{
			Metadata: map[string][]byte{"encoding": []byte("binary/encrypted")}, Data: []byte{1, 2, 3}}}}
		tc.On("GetWorkflowHistory", mock.Anything, orderflow.WorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT).
			Return(historyOf(t, input))
		requireErr(t, c.Start(context.Background(), orderflowtest.SmallOrder(id)), orderflow.ErrOrderExists,
			"start order "+quoted(id), "cannot be read")
	})
	t.Run("history gone", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, orderflow.WorkflowName, mock.Anything).Return(nil, already)
		it := mocks.NewHistoryEventIterator(t)
		it.On("HasNext").Return(true)
		it.On("Next").Return(nil, serviceerror.NewNotFound("workflow execution not found"))
		tc.On("GetWorkflowHistory", mock.Anything, orderflow.WorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT).Return(it)
		requireErr(t, c.Start(context.Background(), orderflowtest.SmallOrder(id)), orderflow.ErrOrderNotFound, "start order "+quoted(id))
	})
	t.Run("server error", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, orderflow.WorkflowName, mock.Anything).
			Return(nil, serviceerror.NewUnavailable("connection refused"))
		err := c.Start(context.Background(), orderflowtest.SmallOrder(id))
		requireErr(t, err, nil, "start order "+quoted(id), "connection refused")
		require.NotErrorIs(t, err, orderflow.ErrOrderExists)
	})
}

// --- Execute and Result ---

func TestExecuteReturnsTheResult(t *testing.T) {
	t.Parallel()
	c, tc := mcClient(t, nil)
	const id = "ORD-E1"
	// Execute waits on the run it started: no GetWorkflow, whose lookup
	// of the current run would cost a call to the server.
	done := orderflow.OrderState{OrderID: id, Status: orderflow.StatusCompleted, Total: orderflow.USD(8995),
		Payment: &orderflow.PaymentResult{TransactionID: "TXN-1", Amount: orderflow.USD(8995)}}
	tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, orderflow.WorkflowName, mock.Anything).Return(runOf(t, done, nil), nil).Once()
	got, err := c.Execute(context.Background(), orderflowtest.SmallOrder(id))
	require.NoError(t, err)
	require.Equal(t, done, *got)

	// A failed order: its state, and an error that says why.
	failed := orderflow.OrderState{OrderID: id, Status: orderflow.StatusFailed, FailedStep: orderflow.StepPayment,
		FailureType: "orderflow.PaymentDeclined", Message: "card declined"}
	tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, orderflow.WorkflowName, mock.Anything).Return(runOf(t, failed, nil), nil).Once()
	got, err = c.Execute(context.Background(), orderflowtest.SmallOrder(id))
	require.Equal(t, &failed, got)
	requireErr(t, err, orderflow.ErrOrderFailed, quoted(id), "card declined")
	require.ErrorIs(t, err, orderflow.ErrPaymentDeclined)

	// Ending without an error is no error.
	rejected := orderflow.OrderState{OrderID: id, Status: orderflow.StatusRejected}
	tc.On("GetWorkflow", mock.Anything, orderflow.WorkflowID(id), "").Return(runOf(t, rejected, nil)).Once()
	got, err = c.Result(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, orderflow.StatusRejected, got.Status)
}

func TestResultRefusesAnInvalidOrderID(t *testing.T) {
	t.Parallel()
	c, _ := mcClient(t, nil)
	got, err := c.Result(context.Background(), "has space")
	require.Nil(t, got)
	requireErr(t, err, orderflow.ErrInvalidOrder, "get result of order "+quoted("has space"))
}

// --- Checkout ---

// checkoutSetup expects a checkout of order and answers the Update with
// answer or err; it returns the input the Client sent.
func checkoutSetup(t *testing.T, tc *mocks.Client, answer any, err error) (in *any, uo *client.UpdateWithStartWorkflowOptions) {
	in, uo = new(any), new(client.UpdateWithStartWorkflowOptions)
	op := fakeStartOp{id: 7}
	tc.On("NewWithStartWorkflowOperation", mock.Anything, orderflow.WorkflowName, mock.Anything).Run(func(args mock.Arguments) {
		so := args.Get(0).(client.StartWorkflowOptions)
		require.Equal(t, enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING, so.WorkflowIDConflictPolicy)
		require.Equal(t, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE, so.WorkflowIDReusePolicy)
		require.Equal(t, mcTaskQueue, so.TaskQueue)
		require.Len(t, args, 3)
		*in = args.Get(2)
	}).Return(op).Once()
	call := tc.On("UpdateWithStartWorkflow", mock.Anything, mock.Anything).Run(func(args mock.Arguments) {
		*uo = args.Get(1).(client.UpdateWithStartWorkflowOptions)
		require.Equal(t, op, uo.StartWorkflowOperation)
	}).Once()
	if answer != nil {
		call.Return(handleOf(t, answer, nil), nil)
	} else {
		call.Return(nil, err)
	}
	return in, uo
}

func TestCheckoutAnswers(t *testing.T) {
	t.Parallel()
	const id = "ORD-C1"
	paid := orderflow.CheckoutResult{OrderID: id, Total: orderflow.USD(8995), Status: orderflow.StatusRunning,
		Payment: &orderflow.PaymentResult{TransactionID: "TXN-1", Amount: orderflow.USD(8995)},
		Message: "Payment received. Your order is on its way."}
	waiting := orderflow.CheckoutResult{OrderID: id, Total: orderflow.USD(189997), Status: orderflow.StatusAwaitingApproval,
		Message: "Your order is waiting for approval. Nothing is charged until it is approved."}
	declined := orderflow.CheckoutResult{OrderID: id, Total: orderflow.USD(8995), Status: orderflow.StatusRunning,
		FailureType: "orderflow.PaymentDeclined", Message: "Your payment was declined. Nothing was charged."}

	t.Run("paid", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		in, uo := checkoutSetup(t, tc, paid, nil)
		res, err := c.Checkout(context.Background(), orderflowtest.SmallOrder(id))
		require.NoError(t, err)
		require.True(t, res.Paid())
		require.False(t, res.AwaitingApproval())
		require.Equal(t, paid, *res)
		require.Equal(t, orderflow.WorkflowID(id), uo.UpdateOptions.WorkflowID)
		require.Equal(t, "checkout", uo.UpdateOptions.UpdateName)
		require.Equal(t, client.WorkflowUpdateStageCompleted, uo.UpdateOptions.WaitForStage)
		require.Empty(t, uo.UpdateOptions.UpdateID, "each checkout is its own Update")
		require.Equal(t, []any{inputFingerprint(t, *in)}, uo.UpdateOptions.Args)
	})
	t.Run("awaiting approval", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		checkoutSetup(t, tc, waiting, nil)
		res, err := c.Checkout(context.Background(), orderflowtest.LargeOrder(id))
		require.NoError(t, err)
		require.False(t, res.Paid())
		require.True(t, res.AwaitingApproval())
	})
	t.Run("declined", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		checkoutSetup(t, tc, declined, nil)
		res, err := c.Checkout(context.Background(), orderflowtest.SmallOrder(id))
		require.NotNil(t, res)
		require.False(t, res.Paid())
		require.False(t, res.AwaitingApproval())
		requireErr(t, err, orderflow.ErrPaymentDeclined, quoted(id))
		require.ErrorIs(t, err, orderflow.ErrOrderFailed)
		require.Equal(t, res.Err().Error(), err.Error())
	})
	t.Run("not reached", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		checkoutSetup(t, tc, nil, serviceerror.NewUnavailable("connection refused"))
		tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").
			Return(nil, serviceerror.NewUnavailable("connection refused")).Once()
		res, err := c.Checkout(context.Background(), orderflowtest.SmallOrder(id))
		require.Nil(t, res)
		requireErr(t, err, nil, "checkout order "+quoted(id), "connection refused")
	})
}

// Checkout times each call on Options.MetricsHandler, by outcome, with no
// order ID or customer data in its tags.
func TestCheckoutLatencyMetric(t *testing.T) {
	t.Parallel()
	const id = "ORD-C3"
	m := orderflowtest.NewMetrics()
	paid := orderflow.CheckoutResult{OrderID: id, Total: orderflow.USD(8995), Status: orderflow.StatusRunning,
		Payment: &orderflow.PaymentResult{TransactionID: "TXN-1", Amount: orderflow.USD(8995)}}
	waiting := orderflow.CheckoutResult{OrderID: id, Total: orderflow.USD(189997), Status: orderflow.StatusAwaitingApproval}
	declined := orderflow.CheckoutResult{OrderID: id, Total: orderflow.USD(8995), Status: orderflow.StatusRunning,
		FailureType: "orderflow.PaymentDeclined"}
	for _, answer := range []orderflow.CheckoutResult{paid, waiting, declined} {
		c, tc := mcClient(t, &orderflow.Options{MetricsHandler: m})
		checkoutSetup(t, tc, answer, nil)
		_, _ = c.Checkout(context.Background(), orderflowtest.SmallOrder(id))
	}
	c, _ := mcClient(t, &orderflow.Options{MetricsHandler: m})
	bad := orderflowtest.SmallOrder(id)
	bad.Items = nil
	_, err := c.Checkout(context.Background(), bad)
	require.ErrorIs(t, err, orderflow.ErrInvalidOrder)

	recorded := m.Recorded("")
	require.Len(t, recorded, 4, "one record per call: %v", recorded)
	var outcomes []string
	for _, r := range recorded {
		require.Equal(t, "orderflow_checkout_latency", r.Name)
		require.Equal(t, "timer", r.Kind)
		require.Len(t, r.Tags, 1, "the outcome is the only tag")
		outcomes = append(outcomes, r.Tags["outcome"])
	}
	require.Equal(t, []string{"paid", "awaiting_approval", "not_paid", "invalid_order"}, outcomes)
}

// The Web UI and CLI show an order by the summary and details the Client
// gives it: what a person reads, without customer data.
func TestStartGivesTheOrderASummary(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		order   orderflow.Order
		summary string
	}{
		{orderflowtest.SmallOrder("ORD-001"), "ORD-001 — $89.95, 2 items"},
		{orderflowtest.LargeOrder("ORD-002"), "ORD-002 — $1899.97, 2 items — needs approval by "},
	} {
		oc, tc := mcClient(t, nil)
		var so client.StartWorkflowOptions
		tc.On("ExecuteWorkflow", mock.Anything, mock.Anything, orderflow.WorkflowName, mock.Anything).Run(func(args mock.Arguments) {
			so = args.Get(1).(client.StartWorkflowOptions)
		}).Return(mocks.NewWorkflowRun(t), nil).Once()
		before := time.Now()
		require.NoError(t, oc.Start(context.Background(), c.order))
		require.True(t, strings.HasPrefix(so.StaticSummary, c.summary), "summary %q", so.StaticSummary)
		if c.order.OrderID == "ORD-002" {
			var want []string
			for _, d := range []time.Time{before.Add(5 * time.Minute).UTC(), before.Add(6 * time.Minute).UTC()} {
				if d.Day() == before.UTC().Day() {
					want = append(want, d.Format("15:04 UTC"))
				} else { // a deadline on another day says which
					want = append(want, d.Format("Jan 2 15:04 UTC"))
				}
			}
			require.Contains(t, want, strings.TrimPrefix(so.StaticSummary, c.summary),
				"the deadline is the order's start plus the approval timeout")
			require.Contains(t, so.StaticDetails, "**Approval** needed (over $1000.00), within 5m0s")
		}
		for _, private := range []string{c.order.CustomerName, c.order.CustomerEmail, c.order.ShippingAddress, c.order.Items[0].ProductName} {
			require.NotContains(t, so.StaticSummary+so.StaticDetails, private)
		}
	}
}

// endedCheckout expects a checkout of an order that has ended with result,
// whose history starts with the input of started.
func endedCheckout(t *testing.T, c *orderflow.Client, tc *mocks.Client, id string, started orderflow.Order, result *orderflow.OrderState) {
	checkoutSetup(t, tc, nil, serviceerror.NewWorkflowExecutionAlreadyStarted("workflow execution already completed", "", "run-1"))
	tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").
		Return(described(enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED), nil).Once()
	// The history holds the input the Client sends for started.
	opts := c.Options()
	startedIn, err := orderflow.NewWorkflowInput(started, &opts)
	require.NoError(t, err)
	tc.On("GetWorkflowHistory", mock.Anything, orderflow.WorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT).
		Return(historyOf(t, payloadsOf(t, startedIn))).Once()
	if result != nil {
		tc.On("GetWorkflow", mock.Anything, orderflow.WorkflowID(id), "").Return(runOf(t, *result, nil)).Once()
	}
}

// A checkout retried after the order ended answers from its result: paid
// only if it completed.
func TestCheckoutOfAnEndedOrder(t *testing.T) {
	t.Parallel()
	const id = "ORD-C2"
	pay := &orderflow.PaymentResult{TransactionID: "TXN-1", Amount: orderflow.USD(8995), Message: "Payment of $89.95 processed"}
	t.Run("completed", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		endedCheckout(t, c, tc, id, orderflowtest.SmallOrder(id),
			&orderflow.OrderState{OrderID: id, Status: orderflow.StatusCompleted, Total: orderflow.USD(8995), Payment: pay})
		res, err := c.Checkout(context.Background(), orderflowtest.SmallOrder(id))
		require.NoError(t, err)
		require.True(t, res.Paid())
		require.Equal(t, pay, res.Payment)
		require.Equal(t, orderflow.StatusCompleted, res.Status)
		require.Equal(t, orderflow.USD(8995), res.Total)
	})
	t.Run("declined", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		endedCheckout(t, c, tc, id, orderflowtest.SmallOrder(id), &orderflow.OrderState{OrderID: id, Status: orderflow.StatusFailed,
			FailedStep: orderflow.StepPayment, FailureType: "orderflow.PaymentDeclined",
			Message: "card 4242 declined by AcmePay: insufficient funds"})
		res, err := c.Checkout(context.Background(), orderflowtest.SmallOrder(id))
		require.NotNil(t, res)
		require.False(t, res.Paid())
		requireErr(t, err, orderflow.ErrPaymentDeclined, quoted(id))
		require.NotContains(t, res.Message, "4242")
		require.NotContains(t, res.Message, "AcmePay")
		require.NotContains(t, err.Error(), "AcmePay")
		require.Contains(t, res.Message, "declined")
	})
	t.Run("refunded", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		endedCheckout(t, c, tc, id, orderflowtest.SmallOrder(id), &orderflow.OrderState{OrderID: id, Status: orderflow.StatusCancelled,
			Payment: pay, CancelReason: "changed my mind"})
		res, err := c.Checkout(context.Background(), orderflowtest.SmallOrder(id))
		require.NoError(t, err, "a cancelled order is no error")
		require.False(t, res.Paid(), "a cancelled order's payment was refunded")
		require.Nil(t, res.Payment)
		require.Equal(t, orderflow.StatusCancelled, res.Status)
	})
	t.Run("another order", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		endedCheckout(t, c, tc, id, orderflowtest.LargeOrder(id), nil)
		res, err := c.Checkout(context.Background(), orderflowtest.SmallOrder(id))
		require.Nil(t, res)
		requireErr(t, err, orderflow.ErrOrderExists, "checkout order "+quoted(id))
		tc.AssertNotCalled(t, "GetWorkflow", mock.Anything, mock.Anything, mock.Anything)
	})
	t.Run("result unreadable", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		endedCheckout(t, c, tc, id, orderflowtest.SmallOrder(id), nil)
		tc.On("GetWorkflow", mock.Anything, orderflow.WorkflowID(id), "").
			Return(runOf(t, nil, serviceerror.NewNotFound("workflow execution not found"))).Once()
		res, err := c.Checkout(context.Background(), orderflowtest.SmallOrder(id))
		require.Nil(t, res)
		requireErr(t, err, nil, "checkout order "+quoted(id), "already completed")
	})
}

// --- Approve, Reject, Cancel ---

// updateRecorder expects Updates and records their options; each answers
// with answer.
func updateRecorder(t *testing.T, tc *mocks.Client, answer any) *[]client.UpdateWorkflowOptions {
	var sent []client.UpdateWorkflowOptions
	tc.On("UpdateWorkflow", mock.Anything, mock.Anything).Run(func(args mock.Arguments) {
		sent = append(sent, args.Get(1).(client.UpdateWorkflowOptions))
	}).Return(handleOf(t, answer, nil), nil)
	return &sent
}

func TestApproveRejectCancelSendTheirUpdates(t *testing.T) {
	t.Parallel()
	const id = "ORD-A1"
	c, tc := mcClient(t, nil)
	approved := orderflow.Approval{Status: orderflow.ApprovalApproved, Reason: "looks fine", Approver: "alice",
		DecidedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	sent := updateRecorder(t, tc, approved)
	ctx := context.Background()

	a, err := c.Approve(ctx, id, orderflow.Decision{Approver: "alice", Reason: "looks fine"})
	require.NoError(t, err)
	require.Equal(t, approved, a)
	_, err = c.Approve(ctx, id, orderflow.Decision{Approver: "alice", Reason: "looks fine"}) // a retry
	require.NoError(t, err)
	_, err = c.Approve(ctx, id, orderflow.Decision{Reason: "looks fine"})
	require.NoError(t, err)
	_, err = c.Approve(ctx, id, orderflow.Decision{Approver: "bob", Reason: "looks fine"})
	require.NoError(t, err)
	_, err = c.Approve(ctx, id, orderflow.Decision{Approver: "alice", Reason: "looks good"})
	require.NoError(t, err)
	_, err = c.Reject(ctx, id, orderflow.Decision{Approver: "alice", Reason: "looks fine"})
	require.NoError(t, err)
	_, err = c.Reject(ctx, id, orderflow.Decision{})
	require.NoError(t, err)
	require.NoError(t, c.Cancel(ctx, id, "looks fine"))
	require.NoError(t, c.Cancel(ctx, id, "looks fine"))
	require.NoError(t, c.Cancel(ctx, id, ""))

	u := *sent
	require.Len(t, u, 10)
	for _, o := range u {
		require.Equal(t, orderflow.WorkflowID(id), o.WorkflowID)
		require.Equal(t, client.WorkflowUpdateStageCompleted, o.WaitForStage)
		require.NotEmpty(t, o.UpdateID)
	}
	names := []string{"approve", "approve", "approve", "approve", "approve", "reject", "reject", "cancel_order", "cancel_order", "cancel_order"}
	for i, n := range names {
		require.Equal(t, n, u[i].UpdateName, "update %d", i)
	}
	require.Equal(t, []any{"looks fine", "alice"}, u[0].Args)
	require.Equal(t, []any{"looks fine"}, u[2].Args)
	require.Equal(t, []any{"looks fine", "bob"}, u[3].Args)
	require.Equal(t, []any{""}, u[6].Args)
	require.Equal(t, []any{"looks fine"}, u[7].Args)

	// A retried call is the same Update; any other decision another one.
	require.Equal(t, u[0].UpdateID, u[1].UpdateID)
	require.Equal(t, u[7].UpdateID, u[8].UpdateID)
	ids := map[string]int{}
	for i, o := range u {
		if i == 1 || i == 8 {
			continue
		}
		if j, ok := ids[o.UpdateID]; ok {
			t.Fatalf("updates %d and %d share the Update ID %q", j, i, o.UpdateID)
		}
		ids[o.UpdateID] = i
	}
}

func TestDecisionsAreValidatedBeforeSending(t *testing.T) {
	t.Parallel()
	c, tc := mcClient(t, nil)
	ctx := context.Background()
	long := strings.Repeat("x", orderflow.MaxReasonLength+1)

	_, err := c.Approve(ctx, "ORD-1", orderflow.Decision{Approver: "bob\nsmith"})
	requireErr(t, err, orderflow.ErrInvalidArgument, "approve order "+quoted("ORD-1"), "approver")
	_, err = c.Reject(ctx, "ORD-1", orderflow.Decision{Reason: long})
	requireErr(t, err, orderflow.ErrInvalidArgument, "reject order "+quoted("ORD-1"), "1025 bytes")
	err = c.Cancel(ctx, "ORD-1", long)
	requireErr(t, err, orderflow.ErrInvalidArgument, "cancel order "+quoted("ORD-1"), "reason")
	err = c.Cancel(ctx, "ORD-1", "bell\a")
	requireErr(t, err, orderflow.ErrInvalidArgument, "cancel order "+quoted("ORD-1"), "control character")

	_, err = c.Approve(ctx, "has space", orderflow.Decision{})
	requireErr(t, err, orderflow.ErrInvalidOrder, "approve order "+quoted("has space"))
	_, err = c.Reject(ctx, "has space", orderflow.Decision{})
	requireErr(t, err, orderflow.ErrInvalidOrder, "reject order "+quoted("has space"))
	err = c.Cancel(ctx, "has space", "")
	requireErr(t, err, orderflow.ErrInvalidOrder, "cancel order "+quoted("has space"))
	_, err = c.State(ctx, "has space")
	requireErr(t, err, orderflow.ErrInvalidOrder, "get_order_state", quoted("has space"))
	_, err = c.ApprovalStatus(ctx, "has space")
	requireErr(t, err, orderflow.ErrInvalidOrder, "get_approval_status", quoted("has space"))
	_, err = c.Summary(ctx, "has space")
	requireErr(t, err, orderflow.ErrInvalidOrder, "describe order "+quoted("has space"))

	tc.AssertNotCalled(t, "UpdateWorkflow", mock.Anything, mock.Anything)
}

// endedUpdate makes the next Update find the order ended: NotFound, while
// the order is still described; its result is result.
func endedUpdate(t *testing.T, tc *mocks.Client, id string, result orderflow.OrderState) {
	tc.On("UpdateWorkflow", mock.Anything, mock.Anything).
		Return(nil, serviceerror.NewNotFound("workflow execution already completed")).Once()
	tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").
		Return(described(enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED), nil).Once()
	tc.On("GetWorkflow", mock.Anything, orderflow.WorkflowID(id), "").Return(runOf(t, result, nil)).Once()
}

// A decision retried after the order ended gets the first call's answer
// when the order ended with it, and a refusal otherwise.
func TestDecisionOnAnEndedOrder(t *testing.T) {
	t.Parallel()
	const id = "ORD-A2"
	approved := orderflow.Approval{Status: orderflow.ApprovalApproved, Reason: "ok", Approver: "alice",
		DecidedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	done := orderflow.OrderState{OrderID: id, Status: orderflow.StatusCompleted, Approval: approved}
	rejected := orderflow.OrderState{OrderID: id, Status: orderflow.StatusRejected,
		Approval: orderflow.Approval{Status: orderflow.ApprovalRejected, Reason: "too much"}}
	ctx := context.Background()
	cases := []struct {
		name   string
		result orderflow.OrderState
		call   func(c *orderflow.Client) (orderflow.Approval, error)
		want   *orderflow.Approval // nil: refused
		op     string
	}{
		{"approve retried", done, func(c *orderflow.Client) (orderflow.Approval, error) {
			return c.Approve(ctx, id, orderflow.Decision{Approver: "alice", Reason: "ok"})
		}, &approved, "approve"},
		{"approve by another approver", done, func(c *orderflow.Client) (orderflow.Approval, error) {
			return c.Approve(ctx, id, orderflow.Decision{Approver: "bob", Reason: "ok"})
		}, nil, "approve"},
		{"approve with another reason", done, func(c *orderflow.Client) (orderflow.Approval, error) {
			return c.Approve(ctx, id, orderflow.Decision{Approver: "alice", Reason: "fine"})
		}, nil, "approve"},
		{"reject of an approved order", done, func(c *orderflow.Client) (orderflow.Approval, error) {
			return c.Reject(ctx, id, orderflow.Decision{Approver: "alice", Reason: "ok"})
		}, nil, "reject"},
		{"reject retried", rejected, func(c *orderflow.Client) (orderflow.Approval, error) {
			return c.Reject(ctx, id, orderflow.Decision{Reason: "too much"})
		}, &rejected.Approval, "reject"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, tc := mcClient(t, nil)
			endedUpdate(t, tc, id, tt.result)
			a, err := tt.call(c)
			if tt.want != nil {
				require.NoError(t, err)
				require.Equal(t, *tt.want, a)
				return
			}
			requireErr(t, err, orderflow.ErrNotAwaitingApproval, tt.op+" order "+quoted(id), "ended")
		})
	}
	t.Run("result unreadable", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		tc.On("UpdateWorkflow", mock.Anything, mock.Anything).Return(nil, serviceerror.NewNotFound("already completed")).Once()
		tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").Return(described(enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED), nil).Once()
		tc.On("GetWorkflow", mock.Anything, orderflow.WorkflowID(id), "").Return(runOf(t, nil, errors.New("workflow terminated"))).Once()
		_, err := c.Approve(ctx, id, orderflow.Decision{})
		requireErr(t, err, orderflow.ErrNotAwaitingApproval, "approve order "+quoted(id))
	})
	t.Run("no such order", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		tc.On("UpdateWorkflow", mock.Anything, mock.Anything).Return(nil, serviceerror.NewNotFound("workflow not found")).Once()
		tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").Return(nil, serviceerror.NewNotFound("workflow not found")).Once()
		_, err := c.Approve(ctx, id, orderflow.Decision{})
		requireErr(t, err, orderflow.ErrOrderNotFound, "approve order "+quoted(id))
		require.NotErrorIs(t, err, orderflow.ErrNotAwaitingApproval)
	})
}

func TestCancelOfAnEndedOrder(t *testing.T) {
	t.Parallel()
	const id = "ORD-X1"
	cases := []struct {
		name   string
		result orderflow.OrderState
		reason string
		ok     bool
	}{
		{"retried", orderflow.OrderState{OrderID: id, Status: orderflow.StatusCancelled, CancelReason: "changed my mind"}, "changed my mind", true},
		{"retried, needs attention", orderflow.OrderState{OrderID: id, Status: orderflow.StatusNeedsAttention, CancelReason: "changed my mind"}, "changed my mind", true},
		{"another reason", orderflow.OrderState{OrderID: id, Status: orderflow.StatusCancelled, CancelReason: "changed my mind"}, "too slow", false},
		{"completed", orderflow.OrderState{OrderID: id, Status: orderflow.StatusCompleted, CancelReason: "changed my mind"}, "changed my mind", false},
		{"completed without a cancel", orderflow.OrderState{OrderID: id, Status: orderflow.StatusCompleted}, "", false},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, tc := mcClient(t, nil)
			endedUpdate(t, tc, id, tt.result)
			err := c.Cancel(context.Background(), id, tt.reason)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			requireErr(t, err, orderflow.ErrTooLateToCancel, "cancel order "+quoted(id), "ended")
		})
	}
}

// --- State and ApprovalStatus ---

// TestStateAddsTheRetriesOfTheCurrentCall checks State of a running order:
// the query's answer, with the attempts of its current call from the
// server's record of the workflow.
func TestStateAddsTheRetriesOfTheCurrentCall(t *testing.T) {
	t.Parallel()
	const id = "ORD-Q1"
	next := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	running := orderflow.OrderState{OrderID: id, Status: orderflow.StatusRunning, Step: orderflow.StepDelivery,
		Current: &orderflow.StepProgress{Step: orderflow.StepDelivery, Activity: orderflow.ActivityArrangeDelivery,
			Since: time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)}}
	query := func(t *testing.T, tc *mocks.Client, state orderflow.OrderState) {
		v := mocks.NewEncodedValue(t)
		v.On("Get", mock.Anything).Run(fillArg(t, 0, state)).Return(nil)
		tc.On("QueryWorkflow", mock.Anything, orderflow.WorkflowID(id), "", orderflow.QueryOrderState).Return(v, nil).Once()
	}
	t.Run("pending", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		query(t, tc, running)
		desc := described(enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING)
		desc.PendingActivities = []*workflowpb.PendingActivityInfo{
			{ActivityType: &commonpb.ActivityType{Name: orderflow.ActivityRefundPayment}, Attempt: 9,
				LastFailure: &failurepb.Failure{Message: "not this one"}},
			{ActivityType: &commonpb.ActivityType{Name: orderflow.ActivityArrangeDelivery}, Attempt: 4,
				LastFailure: &failurepb.Failure{Message: "carrier unavailable"}, NextAttemptScheduleTime: timestamppb.New(next)},
			{ActivityType: &commonpb.ActivityType{Name: orderflow.ActivitySendConfirmation}, Attempt: 2,
				LastFailure: &failurepb.Failure{Message: "nor this one"}},
		}
		tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").Return(desc, nil).Once()
		s, err := c.State(context.Background(), id)
		require.NoError(t, err)
		want := running
		cur := *running.Current
		cur.Attempt, cur.LastError, cur.NextAttempt = 4, "carrier unavailable", next
		want.Current = &cur
		require.Equal(t, want, *s)
	})
	t.Run("nothing pending", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		query(t, tc, running)
		tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").
			Return(described(enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING), nil).Once()
		s, err := c.State(context.Background(), id)
		require.NoError(t, err)
		require.Equal(t, running, *s)
	})
	t.Run("terminated", func(t *testing.T) {
		// A workflow that has no result is replayed by the query.
		t.Parallel()
		c, tc := mcClient(t, nil)
		query(t, tc, running)
		tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").
			Return(described(enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED), nil).Once()
		s, err := c.State(context.Background(), id)
		require.NoError(t, err)
		require.Equal(t, running, *s)
	})
	t.Run("query fails", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").
			Return(described(enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING), nil).Once()
		tc.On("QueryWorkflow", mock.Anything, orderflow.WorkflowID(id), "", orderflow.QueryOrderState).
			Return(nil, serviceerror.NewFailedPrecondition("no poller seen for task queue recently, worker may be down")).Once()
		s, err := c.State(context.Background(), id)
		require.Nil(t, s)
		requireErr(t, err, nil, "query get_order_state of order "+quoted(id), "no poller seen")
	})
	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").
			Return(nil, serviceerror.NewNotFound("workflow not found")).Once()
		s, err := c.State(context.Background(), id)
		require.Nil(t, s)
		requireErr(t, err, orderflow.ErrOrderNotFound, "query get_order_state of order "+quoted(id))
	})
	t.Run("describe fails", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").
			Return(nil, serviceerror.NewUnavailable("down")).Once()
		s, err := c.State(context.Background(), id)
		require.Nil(t, s)
		requireErr(t, err, nil, "query get_order_state of order "+quoted(id), "down")
	})
}

// TestStateOfAnEndedOrderIsItsResult checks that State and ApprovalStatus
// of an order whose workflow has completed read its result, in the run the
// server named, and ask no worker anything: the mock fails the test on a
// query.
func TestStateOfAnEndedOrderIsItsResult(t *testing.T) {
	t.Parallel()
	const id = "ORD-Q3"
	final := orderflow.OrderState{OrderID: id, Status: orderflow.StatusRejected,
		Approval: orderflow.Approval{Status: orderflow.ApprovalRejected, Reason: "too much"}}
	ended := func(t *testing.T, err error) *orderflow.Client {
		c, tc := mcClient(t, nil)
		tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").Return(completedRun(id, "run-7"), nil).Once()
		tc.On("GetWorkflow", mock.Anything, orderflow.WorkflowID(id), "run-7").Return(runOf(t, final, err)).Once()
		return c
	}
	t.Run("State", func(t *testing.T) {
		t.Parallel()
		s, err := ended(t, nil).State(context.Background(), id)
		require.NoError(t, err)
		require.Equal(t, final, *s)
	})
	t.Run("ApprovalStatus", func(t *testing.T) {
		t.Parallel()
		s, err := ended(t, nil).ApprovalStatus(context.Background(), id)
		require.NoError(t, err)
		require.Equal(t, orderflow.ApprovalRejected, s)
	})
	t.Run("result not decoded", func(t *testing.T) {
		t.Parallel()
		s, err := ended(t, errors.New("payload mismatch")).State(context.Background(), id)
		require.Nil(t, s)
		requireErr(t, err, nil, "query get_order_state of order "+quoted(id), "payload mismatch")
	})
}

func TestApprovalStatusMapsTheQuery(t *testing.T) {
	t.Parallel()
	const id = "ORD-Q2"
	running := func(t *testing.T) (*orderflow.Client, *mocks.Client) {
		c, tc := mcClient(t, nil)
		tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(id), "").
			Return(described(enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING), nil).Once()
		return c, tc
	}
	for _, s := range []orderflow.ApprovalStatus{orderflow.ApprovalPending, orderflow.ApprovalNotRequired, orderflow.ApprovalTimedOut} {
		c, tc := running(t)
		v := mocks.NewEncodedValue(t)
		v.On("Get", mock.Anything).Run(fillArg(t, 0, string(s))).Return(nil)
		tc.On("QueryWorkflow", mock.Anything, orderflow.WorkflowID(id), "", "get_approval_status").Return(v, nil).Once()
		got, err := c.ApprovalStatus(context.Background(), id)
		require.NoError(t, err)
		require.Equal(t, s, got)
	}
	c, tc := running(t)
	v := mocks.NewEncodedValue(t)
	v.On("Get", mock.Anything).Return(errors.New("payload mismatch")).Once()
	tc.On("QueryWorkflow", mock.Anything, orderflow.WorkflowID(id), "", "get_approval_status").Return(v, nil).Once()
	_, err := c.ApprovalStatus(context.Background(), id)
	requireErr(t, err, nil, "query get_approval_status of order "+quoted(id), "payload mismatch")
}

// --- Listing ---

// visRow is an order in the fake visibility store.
type visRow struct {
	id       string
	start    time.Time
	closed   time.Time
	status   orderflow.Status
	deadline time.Time
	noMemo   bool
}

// memoRow is the listing row as the Client stores it in the memo.
type memoRow struct {
	OrderID      string          `json:"order_id"`
	Total        orderflow.Money `json:"total"`
	ItemCount    int             `json:"item_count"`
	Items        []memoItem      `json:"items"`
	CustomerName string          `json:"customer_name"`
}

type memoItem struct {
	ProductID   string `json:"product_id"`
	ProductName string `json:"product_name"`
	Quantity    int64  `json:"quantity"`
}

func (r visRow) memo() memoRow {
	return memoRow{OrderID: r.id, Total: orderflow.USD(100000 + int64(len(r.id))), ItemCount: 12,
		Items:        []memoItem{{ProductID: "P-" + r.id, ProductName: "Thing", Quantity: 3}},
		CustomerName: "Customer " + r.id}
}

// info is r's visibility record, as the server returns it.
func (r visRow) info(t *testing.T) *workflowpb.WorkflowExecutionInfo {
	info := &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: orderflow.WorkflowID(r.id), RunId: "run-" + r.id},
		StartTime: timestamppb.New(r.start),
		Status:    enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{
			orderflow.SearchAttributeStatus: payloadOf(t, string(r.status)),
		}},
	}
	if !r.closed.IsZero() {
		info.CloseTime = timestamppb.New(r.closed)
		info.Status = enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED
	}
	if !r.deadline.IsZero() {
		info.SearchAttributes.IndexedFields[orderflow.SearchAttributeApprovalDeadline] = payloadOf(t, r.deadline)
	}
	if !r.noMemo {
		info.Memo = &commonpb.Memo{Fields: map[string]*commonpb.Payload{orderflow.MemoSummary: payloadOf(t, r.memo())}}
	}
	return info
}

// summary is the OrderSummary ListOrders should read from r.
func (r visRow) summary() orderflow.OrderSummary {
	s := orderflow.OrderSummary{OrderID: r.id, Status: r.status, StartedAt: r.start.UTC()}
	if !r.closed.IsZero() {
		s.ClosedAt = r.closed.UTC()
	}
	if !r.deadline.IsZero() {
		s.ApprovalDeadline = r.deadline.UTC()
	}
	if !r.noMemo {
		m := r.memo()
		s.Total, s.ItemCount, s.CustomerName = m.Total, m.ItemCount, m.CustomerName
		for _, it := range m.Items {
			s.Items = append(s.Items, orderflow.Item{ProductID: it.ProductID, ProductName: it.ProductName, Quantity: it.Quantity})
		}
	}
	return s
}

// fakeVisibility is a visibility store: it answers CountWorkflow and
// ListWorkflow for the rows it holds, filtering them by the StartTime
// bounds of the query, and lists them newest first, a page at a time.
type fakeVisibility struct {
	t     *testing.T
	base  string // the query every request starts with
	rows  []visRow
	infos map[string]*workflowpb.WorkflowExecutionInfo

	mu        sync.Mutex
	counts    int
	lists     int
	listSizes []int32
	failList  int // fail the listing call with this number (1-based); 0: never
	failCount int // fail the count call with this number (1-based); 0: never
}

var startTimeBound = regexp.MustCompile(`StartTime (>=|<|=) '([^']*)'`)

func newFakeVisibility(t *testing.T, status orderflow.Status, rows []visRow) *fakeVisibility {
	f := &fakeVisibility{t: t, rows: rows, infos: map[string]*workflowpb.WorkflowExecutionInfo{}}
	switch status {
	case "":
		f.base = "OrderflowStatus IN ('awaiting_approval', 'running', 'completed', 'rejected', 'timed_out', 'cancelled', 'failed', 'needs_attention')"
	case orderflow.StatusAwaitingApproval, orderflow.StatusRunning:
		f.base = "OrderflowStatus = '" + string(status) + "' AND ExecutionStatus = 'Running'"
	default:
		f.base = "OrderflowStatus = '" + string(status) + "'"
	}
	for _, r := range rows {
		f.infos[r.id] = r.info(t)
	}
	return f
}

// match returns the rows query selects, newest first.
func (f *fakeVisibility) match(query string) []visRow {
	require.True(f.t, strings.HasPrefix(query, f.base), "query %q does not start with %q", query, f.base)
	rest := strings.TrimPrefix(query, f.base)
	var lo, hi, at []time.Time
	for _, m := range startTimeBound.FindAllStringSubmatch(rest, -1) {
		ts, err := time.Parse(time.RFC3339Nano, m[2])
		require.NoError(f.t, err, "query %q", query)
		switch m[1] {
		case ">=":
			lo = append(lo, ts)
		case "<":
			hi = append(hi, ts)
		default:
			at = append(at, ts)
		}
	}
	require.Equal(f.t, rest, strings.Join(func() []string {
		var parts []string
		for _, m := range startTimeBound.FindAllString(rest, -1) {
			parts = append(parts, " AND "+m)
		}
		return parts
	}(), ""), "unexpected clauses in %q", query)
	var out []visRow
rows:
	for _, r := range f.rows {
		for _, l := range lo {
			if r.start.Before(l) {
				continue rows
			}
		}
		for _, h := range hi {
			if !r.start.Before(h) {
				continue rows
			}
		}
		for _, a := range at {
			if !r.start.Equal(a) {
				continue rows
			}
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b visRow) int { return b.start.Compare(a.start) })
	return out
}

func (f *fakeVisibility) install(tc *mocks.Client) {
	tc.On("CountWorkflow", mock.Anything, mock.Anything).Return(
		func(_ context.Context, req *workflowservice.CountWorkflowExecutionsRequest) (*workflowservice.CountWorkflowExecutionsResponse, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.counts++
			if f.counts == f.failCount {
				return nil, serviceerror.NewUnavailable("visibility store unavailable")
			}
			return &workflowservice.CountWorkflowExecutionsResponse{Count: int64(len(f.match(req.GetQuery())))}, nil
		}).Maybe()
	tc.On("ListWorkflow", mock.Anything, mock.Anything).Return(
		func(_ context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.lists++
			f.listSizes = append(f.listSizes, req.GetPageSize())
			if f.lists == f.failList {
				return nil, serviceerror.NewUnavailable("visibility store unavailable")
			}
			rows := f.match(req.GetQuery())
			off := 0
			if tok := req.GetNextPageToken(); len(tok) > 0 {
				var err error
				off, err = strconv.Atoi(strings.TrimPrefix(string(tok), "offset-"))
				require.NoError(f.t, err)
			}
			require.Positive(f.t, req.GetPageSize())
			end := min(off+int(req.GetPageSize()), len(rows))
			resp := &workflowservice.ListWorkflowExecutionsResponse{}
			for _, r := range rows[off:end] {
				resp.Executions = append(resp.Executions, f.infos[r.id])
			}
			if end < len(rows) {
				resp.NextPageToken = []byte("offset-" + strconv.Itoa(end))
			}
			return resp, nil
		}).Maybe()
}

func (f *fakeVisibility) calls() (counts, lists int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts, f.lists
}

// ids lists the order IDs of rows.
func ids[T any](rows []T, id func(T) string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = id(r)
	}
	return out
}

func summaryID(s orderflow.OrderSummary) string { return s.OrderID }

// oldestFirst returns the IDs of rows in the order of the awaiting-approval
// listing: by start time, then order ID.
func oldestFirst(rows []visRow) []string {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b visRow) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	return ids(rows, func(r visRow) string { return r.id })
}

// awaitingRows are n orders awaiting approval, started a second apart in
// the last hours before now, the first `shared` of them at one instant.
func awaitingRows(now time.Time, n, shared int) []visRow {
	rows := make([]visRow, n)
	base := now.Add(-time.Duration(n+10) * time.Second)
	for i := range rows {
		start := base.Add(time.Duration(i)*time.Second + time.Duration(i%7)*time.Microsecond)
		if i < shared {
			start = base
		}
		// IDs not in start order, so that the listing must sort.
		rows[i] = visRow{id: fmt.Sprintf("ORD-%04d", (i*7919)%n), start: start,
			status: orderflow.StatusAwaitingApproval, deadline: start.Add(5 * time.Minute)}
	}
	return rows
}

// listAllPages pages through a listing with page size n, returning the
// pages; it fails the test when an order is listed twice.
func listAllPages(t *testing.T, c *orderflow.Client, status orderflow.Status, n int) [][]orderflow.OrderSummary {
	var pages [][]orderflow.OrderSummary
	seen := map[string]int{}
	token := ""
	for {
		page, next, err := c.ListOrders(context.Background(), orderflow.ListOptions{Status: status, PageSize: n, PageToken: token})
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), n)
		for _, o := range page {
			if p, ok := seen[o.OrderID]; ok {
				t.Fatalf("order %s on pages %d and %d", o.OrderID, p, len(pages))
			}
			seen[o.OrderID] = len(pages)
		}
		pages = append(pages, page)
		if next == "" {
			return pages
		}
		require.NotEmpty(t, page, "an empty page with a next page token")
		token = next
	}
}

func TestListOrdersPagesNewestFirst(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var rows []visRow
	statuses := []orderflow.Status{orderflow.StatusCompleted, orderflow.StatusRunning, orderflow.StatusFailed}
	for i := range 7 {
		rows = append(rows, visRow{id: fmt.Sprintf("ORD-L%d", i), start: now.Add(-time.Duration(i) * time.Minute),
			status: statuses[i%3]})
	}
	c, tc := mcClient(t, nil)
	f := newFakeVisibility(t, "", rows)
	f.install(tc)

	pages := listAllPages(t, c, "", 3)
	require.Len(t, pages, 3)
	var got []orderflow.OrderSummary
	for _, p := range pages {
		got = append(got, p...)
	}
	want := make([]orderflow.OrderSummary, len(rows))
	for i, r := range rows {
		want[i] = r.summary()
	}
	require.Equal(t, want, got)
	_, lists := f.calls()
	require.Equal(t, 3, lists)
	require.Equal(t, []int32{3, 3, 3}, f.listSizes)

	// The default page size, and pages larger than one call fetches.
	f.listSizes = nil
	_, next, err := c.ListOrders(context.Background(), orderflow.ListOptions{})
	require.NoError(t, err)
	require.Empty(t, next)
	require.Equal(t, []int32{50}, f.listSizes)
}

func TestListOrdersFetchesLargePagesInParts(t *testing.T) {
	t.Parallel()
	now := time.Now()
	rows := make([]visRow, 450)
	for i := range rows {
		rows[i] = visRow{id: fmt.Sprintf("ORD-%03d", i), start: now.Add(-time.Duration(i) * time.Second), status: orderflow.StatusCompleted}
	}
	c, tc := mcClient(t, nil)
	f := newFakeVisibility(t, orderflow.StatusCompleted, rows)
	f.install(tc)
	page, next, err := c.ListOrders(context.Background(), orderflow.ListOptions{Status: orderflow.StatusCompleted, PageSize: 250})
	require.NoError(t, err)
	require.Len(t, page, 250)
	require.NotEmpty(t, next)
	require.Equal(t, []int32{200, 50}, f.listSizes)
	page2, next, err := c.ListOrders(context.Background(), orderflow.ListOptions{Status: orderflow.StatusCompleted, PageSize: 1000, PageToken: next})
	require.NoError(t, err)
	require.Empty(t, next)
	require.Len(t, page2, 200)
	require.Equal(t, "ORD-250", page2[0].OrderID)
	require.Equal(t, "ORD-449", page2[199].OrderID)
	require.Equal(t, []int32{200, 50, 200}, f.listSizes)
}

func TestListOrdersRefusesBadOptions(t *testing.T) {
	t.Parallel()
	c, tc := mcClient(t, nil)
	f := newFakeVisibility(t, "", []visRow{{id: "ORD-1", start: time.Now(), status: orderflow.StatusRunning}})
	f.install(tc)
	tokenFor := func(v map[string]any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	// A token of the listing of all orders.
	_, allToken, err := c.ListOrders(context.Background(), orderflow.ListOptions{PageSize: 1})
	require.NoError(t, err)
	require.Empty(t, allToken, "one order fits on a page")
	allToken = tokenFor(map[string]any{"s": "", "v": []byte("offset-1")})

	cases := []struct {
		name string
		opts orderflow.ListOptions
		says string
	}{
		{"page size over 1000", orderflow.ListOptions{PageSize: 1001}, "page size"},
		{"negative page size", orderflow.ListOptions{PageSize: -1}, "page size"},
		{"unknown status", orderflow.ListOptions{Status: "shipped"}, `"shipped"`},
		{"garbage token", orderflow.ListOptions{PageToken: "not a token!"}, "page token"},
		{"token not JSON", orderflow.ListOptions{PageToken: base64.RawURLEncoding.EncodeToString([]byte("{oops"))}, "page token"},
		{"token of another status", orderflow.ListOptions{Status: orderflow.StatusAwaitingApproval, PageToken: allToken}, "page token"},
		{"token of the awaiting listing", orderflow.ListOptions{Status: orderflow.StatusCompleted,
			PageToken: tokenFor(map[string]any{"s": "awaiting_approval", "t": time.Now()})}, "awaiting_approval"},
	}
	for _, tt := range cases {
		_, _, err := c.ListOrders(context.Background(), tt.opts)
		requireErr(t, err, orderflow.ErrInvalidArgument, "list orders", tt.says)
	}
	_, err = c.CountOrders(context.Background(), "shipped")
	requireErr(t, err, orderflow.ErrInvalidArgument, "count orders", `"shipped"`)
	counts, lists := f.calls()
	require.Equal(t, 0, counts)
	require.Equal(t, 1, lists)

	// The largest page size is fine.
	_, _, err = c.ListOrders(context.Background(), orderflow.ListOptions{PageSize: 1000, PageToken: allToken})
	require.NoError(t, err)
}

func TestListOrdersReadsTheRows(t *testing.T) {
	t.Parallel()
	now := time.Now().Truncate(time.Microsecond)
	rows := []visRow{
		{id: "ORD-R1", start: now.Add(-time.Minute), status: orderflow.StatusAwaitingApproval, deadline: now.Add(4 * time.Minute)},
		{id: "ORD-R2", start: now.Add(-2 * time.Minute), status: orderflow.StatusCompleted, closed: now.Add(-time.Second)},
		// Ended without an outcome (terminated): a person must look.
		{id: "ORD-R3", start: now.Add(-3 * time.Minute), status: orderflow.StatusAwaitingApproval, deadline: now.Add(2 * time.Minute),
			closed: now.Add(-2 * time.Second)},
		{id: "ORD-R4", start: now.Add(-4 * time.Minute), status: orderflow.StatusRunning, closed: now.Add(-3 * time.Second)},
		// Started without Options.Visibility's memo.
		{id: "ORD-R5", start: now.Add(-5 * time.Minute), status: orderflow.StatusRunning, noMemo: true},
	}
	c, tc := mcClient(t, nil)
	newFakeVisibility(t, "", rows).install(tc)
	got, next, err := c.ListOrders(context.Background(), orderflow.ListOptions{})
	require.NoError(t, err)
	require.Empty(t, next)
	require.Len(t, got, 5)
	want0 := orderflow.OrderSummary{OrderID: "ORD-R1", Status: orderflow.StatusAwaitingApproval, Total: orderflow.USD(100006), ItemCount: 12,
		Items:        []orderflow.Item{{ProductID: "P-ORD-R1", ProductName: "Thing", Quantity: 3}},
		CustomerName: "Customer ORD-R1", StartedAt: now.Add(-time.Minute).UTC(), ApprovalDeadline: now.Add(4 * time.Minute).UTC()}
	require.Equal(t, want0, got[0])
	require.Equal(t, 4*time.Minute, got[0].TimeLeft(now))
	require.Equal(t, orderflow.StatusCompleted, got[1].Status)
	require.Equal(t, now.Add(-time.Second).UTC(), got[1].ClosedAt)
	require.Equal(t, orderflow.StatusNeedsAttention, got[2].Status)
	require.Equal(t, orderflow.StatusNeedsAttention, got[3].Status)
	require.Equal(t, orderflow.OrderSummary{OrderID: "ORD-R5", Status: orderflow.StatusRunning, StartedAt: now.Add(-5 * time.Minute).UTC()}, got[4])
}

func TestListOrdersFailsOnARowItCannotRead(t *testing.T) {
	t.Parallel()
	encrypted := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/encrypted")}, Data: []byte("secret")}
	cases := []struct {
		name  string
		spoil func(info *workflowpb.WorkflowExecutionInfo)
		says  string
	}{
		{"memo", func(info *workflowpb.WorkflowExecutionInfo) { info.Memo.Fields[orderflow.MemoSummary] = encrypted }, "DataConverter"},
		{"status", func(info *workflowpb.WorkflowExecutionInfo) {
			info.SearchAttributes.IndexedFields[orderflow.SearchAttributeStatus] = encrypted
		}, orderflow.SearchAttributeStatus},
		{"deadline", func(info *workflowpb.WorkflowExecutionInfo) {
			info.SearchAttributes.IndexedFields[orderflow.SearchAttributeApprovalDeadline] = encrypted
		}, orderflow.SearchAttributeApprovalDeadline},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := time.Now()
			rows := []visRow{
				{id: "ORD-OK", start: now, status: orderflow.StatusAwaitingApproval, deadline: now.Add(time.Minute)},
				{id: "ORD-SPOILT", start: now.Add(-time.Minute), status: orderflow.StatusAwaitingApproval, deadline: now.Add(time.Minute)},
			}
			c, tc := mcClient(t, nil)
			f := newFakeVisibility(t, "", rows)
			tt.spoil(f.infos["ORD-SPOILT"])
			f.install(tc)
			got, next, err := c.ListOrders(context.Background(), orderflow.ListOptions{})
			require.Nil(t, got)
			require.Empty(t, next)
			requireErr(t, err, nil, "list orders", quoted("ORD-SPOILT"), tt.says)

			// The awaiting-approval listing and Summary say the same.
			f.base = "OrderflowStatus = 'awaiting_approval' AND ExecutionStatus = 'Running'"
			_, _, err = c.ListOrders(context.Background(), orderflow.ListOptions{Status: orderflow.StatusAwaitingApproval})
			requireErr(t, err, nil, "list orders", quoted("ORD-SPOILT"), tt.says)
			tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID("ORD-SPOILT"), "").
				Return(&workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: f.infos["ORD-SPOILT"]}, nil).Once()
			_, err = c.Summary(context.Background(), "ORD-SPOILT")
			requireErr(t, err, nil, "describe", quoted("ORD-SPOILT"), tt.says)
		})
	}
}

func TestSummaryReadsOneRow(t *testing.T) {
	t.Parallel()
	now := time.Now().Truncate(time.Microsecond)
	r := visRow{id: "ORD-SUM", start: now.Add(-time.Hour), status: orderflow.StatusAwaitingApproval, deadline: now.Add(time.Minute)}
	c, tc := mcClient(t, nil)
	tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID(r.id), "").
		Return(&workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: r.info(t)}, nil).Once()
	s, err := c.Summary(context.Background(), r.id)
	require.NoError(t, err)
	require.Equal(t, r.summary(), *s)

	tc.On("DescribeWorkflowExecution", mock.Anything, orderflow.WorkflowID("ORD-NONE"), "").
		Return(nil, serviceerror.NewNotFound("workflow not found")).Once()
	s, err = c.Summary(context.Background(), "ORD-NONE")
	require.Nil(t, s)
	requireErr(t, err, orderflow.ErrOrderNotFound, "describe order "+quoted("ORD-NONE"))
}

func TestCountOrders(t *testing.T) {
	t.Parallel()
	c, tc := mcClient(t, nil)
	var queries []string
	tc.On("CountWorkflow", mock.Anything, mock.Anything).Run(func(args mock.Arguments) {
		queries = append(queries, args.Get(1).(*workflowservice.CountWorkflowExecutionsRequest).GetQuery())
	}).Return(&workflowservice.CountWorkflowExecutionsResponse{Count: 42}, nil).Twice()
	n, err := c.CountOrders(context.Background(), orderflow.StatusAwaitingApproval)
	require.NoError(t, err)
	require.Equal(t, int64(42), n)
	_, err = c.CountOrders(context.Background(), orderflow.StatusNeedsAttention)
	require.NoError(t, err)
	require.Equal(t, []string{
		"OrderflowStatus = 'awaiting_approval' AND ExecutionStatus = 'Running'",
		"(OrderflowStatus = 'needs_attention' OR (OrderflowStatus IN ('awaiting_approval', 'running') AND ExecutionStatus != 'Running'))",
	}, queries)

	tc.On("CountWorkflow", mock.Anything, mock.Anything).Return(nil, serviceerror.NewDeadlineExceeded("timeout")).Once()
	_, err = c.CountOrders(context.Background(), "")
	requireErr(t, err, context.DeadlineExceeded, "count orders")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tc.On("CountWorkflow", mock.Anything, mock.Anything).Return(nil, errors.New("rpc error: code = Canceled")).Once()
	_, err = c.CountOrders(ctx, "")
	requireErr(t, err, context.Canceled, "count orders")
}

func TestListOrdersMapsErrors(t *testing.T) {
	t.Parallel()
	c, tc := mcClient(t, nil)
	tc.On("ListWorkflow", mock.Anything, mock.Anything).Return(nil, serviceerror.NewCanceled("canceled")).Once()
	_, _, err := c.ListOrders(context.Background(), orderflow.ListOptions{})
	requireErr(t, err, context.Canceled, "list orders")

	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	tc.On("CountWorkflow", mock.Anything, mock.Anything).Return(nil, errors.New("rpc error: code = DeadlineExceeded")).Once()
	_, _, err = c.ListOrders(ctx, orderflow.ListOptions{Status: orderflow.StatusAwaitingApproval})
	requireErr(t, err, context.DeadlineExceeded, "list orders")
}

// Orders awaiting approval that fit in one scan are listed oldest first,
// a page at a time, each once.
func TestListAwaitingApprovalOldestFirst(t *testing.T) {
	t.Parallel()
	rows := awaitingRows(time.Now(), 23, 4) // four share the oldest instant
	c, tc := mcClient(t, nil)
	f := newFakeVisibility(t, orderflow.StatusAwaitingApproval, rows)
	f.install(tc)
	pages := listAllPages(t, c, orderflow.StatusAwaitingApproval, 3)
	var got []string
	for _, p := range pages {
		require.Len(t, p, min(3, 23-len(got)))
		got = append(got, ids(p, summaryID)...)
	}
	require.Equal(t, oldestFirst(rows), got)
	counts, lists := f.calls()
	require.Equal(t, len(pages), counts, "one count a page")
	require.Equal(t, len(pages), lists, "one list a page")

	// Page sizes up to twice the scan are listed without a window too.
	pages = listAllPages(t, c, orderflow.StatusAwaitingApproval, 1000)
	require.Len(t, pages, 1)
	require.Equal(t, oldestFirst(rows), ids(pages[0], summaryID))

	// Nothing awaits: one count, no listing.
	empty := newFakeVisibility(t, orderflow.StatusAwaitingApproval, nil)
	c2, tc2 := mcClient(t, nil)
	empty.install(tc2)
	page, next, err := c2.ListOrders(context.Background(), orderflow.ListOptions{Status: orderflow.StatusAwaitingApproval})
	require.NoError(t, err)
	require.Empty(t, page)
	require.Empty(t, next)
	counts, lists = empty.calls()
	require.Equal(t, 1, counts)
	require.Equal(t, 0, lists)
}

// With more orders awaiting approval than one scan reads, a page is found
// by counting: it is still the oldest, and a page costs a bounded number of
// counts.
func TestListAwaitingApprovalWindows(t *testing.T) {
	t.Parallel()
	const n = 25
	now := time.Now()
	rows := awaitingRows(now, 700, 10)
	c, tc := mcClient(t, nil)
	f := newFakeVisibility(t, orderflow.StatusAwaitingApproval, rows)
	f.install(tc)
	want := oldestFirst(rows)
	var got []string
	token := ""
	for page := 0; ; page++ {
		c0, l0 := f.calls()
		orders, next, err := c.ListOrders(context.Background(), orderflow.ListOptions{Status: orderflow.StatusAwaitingApproval, PageSize: n, PageToken: token})
		require.NoError(t, err)
		c1, l1 := f.calls()
		require.Less(t, c1-c0, 64, "page %d took %d counts", page, c1-c0)
		require.Equal(t, 1, l1-l0, "page %d took %d listings", page, l1-l0)
		require.Len(t, orders, min(n, len(want)-len(got)), "page %d", page)
		got = append(got, ids(orders, summaryID)...)
		require.Equal(t, want[:len(got)], got, "page %d", page)
		if next == "" {
			break
		}
		token = next
	}
	require.Equal(t, want, got)
}

// Many orders sharing one instant, more than a scan: the window cannot be
// narrowed below them, and the pages still list each once.
func TestListAwaitingApprovalManyAtOneInstant(t *testing.T) {
	t.Parallel()
	now := time.Now()
	rows := awaitingRows(now, 260, 260)
	c, tc := mcClient(t, nil)
	f := newFakeVisibility(t, orderflow.StatusAwaitingApproval, rows)
	f.install(tc)
	var got []string
	for _, p := range listAllPages(t, c, orderflow.StatusAwaitingApproval, 40) {
		got = append(got, ids(p, summaryID)...)
	}
	require.Equal(t, oldestFirst(rows), got)
}

// A page token carries the position of the last order shown; one made up
// with a position far in the past costs no more counts than a first page.
// The orders are laid out to make the counting work hardest: a page's worth
// waiting for a year, and more than a scan started in the last half minute.
func TestListAwaitingApprovalCraftedToken(t *testing.T) {
	t.Parallel()
	const n = 10
	now := time.Now()
	var rows []visRow
	for i := range n {
		rows = append(rows, visRow{id: fmt.Sprintf("ORD-OLD%d", i), start: now.Add(-365*24*time.Hour + time.Duration(i)*time.Second),
			status: orderflow.StatusAwaitingApproval})
	}
	for i := range 300 {
		rows = append(rows, visRow{id: fmt.Sprintf("ORD-NEW%03d", i), start: now.Add(-30*time.Second + time.Duration(i)*time.Millisecond),
			status: orderflow.StatusAwaitingApproval})
	}
	token := func(after string) string {
		b, err := json.Marshal(map[string]any{"s": "awaiting_approval", "t": after})
		require.NoError(t, err)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	monthAgo := now.Add(-30 * 24 * time.Hour).UTC()
	cases := []struct {
		name, token string
		want        []string
	}{
		{"first page", "", oldestFirst(rows)[:n]},
		{"year 1, the zero time", token("0001-01-01T00:00:00Z"), oldestFirst(rows)[:n]},
		{"year 1", token("0001-01-01T00:00:00.000000001Z"), oldestFirst(rows)[:n]},
		{"1900", token("1900-01-01T00:00:00Z"), oldestFirst(rows)[:n]},
		{"a month ago", token(monthAgo.Format(time.RFC3339Nano)), oldestFirst(rows)[n : 2*n]},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, tc := mcClient(t, nil)
			f := newFakeVisibility(t, orderflow.StatusAwaitingApproval, rows)
			f.install(tc)
			orders, next, err := c.ListOrders(context.Background(), orderflow.ListOptions{Status: orderflow.StatusAwaitingApproval,
				PageSize: n, PageToken: tt.token})
			require.NoError(t, err)
			require.Equal(t, tt.want, ids(orders, summaryID))
			require.NotEmpty(t, next)
			counts, lists := f.calls()
			require.Less(t, counts, 64)
			require.Equal(t, 1, lists)
		})
	}
}

// Orders older than the counting steps back (a century): the window cannot
// be narrowed, and the page is still the oldest.
func TestListAwaitingApprovalAncientOrders(t *testing.T) {
	t.Parallel()
	start := time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]visRow, 250)
	for i := range rows {
		rows[i] = visRow{id: fmt.Sprintf("ORD-%03d", i), start: start.Add(time.Duration(250-i) * time.Hour), status: orderflow.StatusAwaitingApproval}
	}
	c, tc := mcClient(t, nil)
	f := newFakeVisibility(t, orderflow.StatusAwaitingApproval, rows)
	f.install(tc)
	orders, next, err := c.ListOrders(context.Background(), orderflow.ListOptions{Status: orderflow.StatusAwaitingApproval, PageSize: 10})
	require.NoError(t, err)
	require.Equal(t, oldestFirst(rows)[:10], ids(orders, summaryID))
	require.NotEmpty(t, next)
	counts, _ := f.calls()
	require.Less(t, counts, 64)
}

func TestListAwaitingApprovalFails(t *testing.T) {
	t.Parallel()
	now := time.Now()
	rows := awaitingRows(now, 300, 0)
	// All in the last half minute: the first step back finds none older,
	// and the window is found by bisection.
	recent := make([]visRow, 300)
	for i := range recent {
		recent[i] = visRow{id: fmt.Sprintf("ORD-%03d", i), start: now.Add(-30*time.Second + time.Duration(i)*time.Millisecond),
			status: orderflow.StatusAwaitingApproval}
	}
	for _, failOn := range []string{"first count", "window count", "bisection count", "list"} {
		t.Run(failOn, func(t *testing.T) {
			t.Parallel()
			c, tc := mcClient(t, nil)
			f := newFakeVisibility(t, orderflow.StatusAwaitingApproval, rows)
			switch failOn {
			case "first count":
				tc.On("CountWorkflow", mock.Anything, mock.Anything).Return(nil, serviceerror.NewUnavailable("visibility store unavailable")).Once()
			case "window count":
				tc.On("CountWorkflow", mock.Anything, mock.Anything).Return(&workflowservice.CountWorkflowExecutionsResponse{Count: 300}, nil).Once()
				tc.On("CountWorkflow", mock.Anything, mock.Anything).Return(nil, serviceerror.NewUnavailable("visibility store unavailable")).Once()
			case "bisection count":
				f = newFakeVisibility(t, orderflow.StatusAwaitingApproval, recent)
				f.failCount = 3 // the orders left, one step back, the first bisection
				f.install(tc)
			case "list":
				f.failList = 1
				f.install(tc)
			}
			orders, next, err := c.ListOrders(context.Background(), orderflow.ListOptions{Status: orderflow.StatusAwaitingApproval})
			require.Nil(t, orders)
			require.Empty(t, next)
			requireErr(t, err, nil, "list orders", "unavailable")
		})
	}
}

// Orders iterates over every page, and stops at the first error or when
// the loop breaks.
func TestOrdersIterates(t *testing.T) {
	t.Parallel()
	now := time.Now()
	rows := make([]visRow, 1201)
	for i := range rows {
		rows[i] = visRow{id: fmt.Sprintf("ORD-%04d", i), start: now.Add(-time.Duration(i) * time.Second), status: orderflow.StatusRunning,
			noMemo: i%2 == 0}
	}
	t.Run("all", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		f := newFakeVisibility(t, orderflow.StatusRunning, rows)
		f.install(tc)
		var got []string
		for o, err := range c.Orders(context.Background(), orderflow.StatusRunning) {
			require.NoError(t, err)
			got = append(got, o.OrderID)
		}
		require.Equal(t, ids(rows, func(r visRow) string { return r.id }), got)
		require.Equal(t, []int32{200, 200, 200, 200, 200, 200, 200}, f.listSizes)
	})
	t.Run("error", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		f := newFakeVisibility(t, "", rows)
		f.failList = 6 // the first call of the second page
		f.install(tc)
		n := 0
		var last error
		for o, err := range c.Orders(context.Background(), "") {
			if err != nil {
				require.Zero(t, o)
				last = err
				n++
				continue
			}
			require.NoError(t, last, "an order after the error")
			n++
		}
		require.Equal(t, 1001, n)
		requireErr(t, last, nil, "list orders", "unavailable")
		_, lists := f.calls()
		require.Equal(t, 6, lists)
	})
	t.Run("break", func(t *testing.T) {
		t.Parallel()
		c, tc := mcClient(t, nil)
		f := newFakeVisibility(t, "", rows)
		f.install(tc)
		n := 0
		for _, err := range c.Orders(context.Background(), "") {
			require.NoError(t, err)
			if n++; n == 3 {
				break
			}
		}
		_, lists := f.calls()
		require.Equal(t, 5, lists, "one page, fetched in parts")
	})
}

// --- RegisterSearchAttributes ---

func TestRegisterSearchAttributes(t *testing.T) {
	t.Parallel()
	registered := map[string]enumspb.IndexedValueType{
		orderflow.SearchAttributeStatus:           enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		orderflow.SearchAttributeApprovalDeadline: enumspb.INDEXED_VALUE_TYPE_DATETIME,
	}
	setup := func(t *testing.T) (*mocks.Client, *operatorservicemock.MockOperatorServiceClient) {
		ctrl := gomock.NewController(t)
		op := operatorservicemock.NewMockOperatorServiceClient(ctrl)
		tc := mocks.NewClient(t)
		tc.On("OperatorService").Return(op)
		return tc, op
	}
	listed := func(custom map[string]enumspb.IndexedValueType) *operatorservice.ListSearchAttributesResponse {
		return &operatorservice.ListSearchAttributesResponse{CustomAttributes: custom,
			SystemAttributes: map[string]enumspb.IndexedValueType{"StartTime": enumspb.INDEXED_VALUE_TYPE_DATETIME}}
	}
	visible := func(tc *mocks.Client) {
		tc.On("CountWorkflow", mock.Anything, mock.Anything).Return(&workflowservice.CountWorkflowExecutionsResponse{}, nil).Once()
	}

	t.Run("already registered", func(t *testing.T) {
		t.Parallel()
		tc, op := setup(t)
		op.EXPECT().ListSearchAttributes(gomock.Any(), &operatorservice.ListSearchAttributesRequest{Namespace: "orders"}).
			Return(listed(registered), nil)
		visible(tc)
		require.NoError(t, orderflow.RegisterSearchAttributes(context.Background(), tc, "orders"))
	})
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		tc, op := setup(t)
		op.EXPECT().ListSearchAttributes(gomock.Any(), &operatorservice.ListSearchAttributesRequest{Namespace: "default"}).
			Return(listed(map[string]enumspb.IndexedValueType{orderflow.SearchAttributeStatus: enumspb.INDEXED_VALUE_TYPE_KEYWORD}), nil)
		op.EXPECT().AddSearchAttributes(gomock.Any(), gomock.Any()).DoAndReturn(
			func(_ context.Context, req *operatorservice.AddSearchAttributesRequest, _ ...any) (*operatorservice.AddSearchAttributesResponse, error) {
				require.Equal(t, "default", req.GetNamespace())
				require.Equal(t, map[string]enumspb.IndexedValueType{
					orderflow.SearchAttributeApprovalDeadline: enumspb.INDEXED_VALUE_TYPE_DATETIME}, req.GetSearchAttributes())
				return &operatorservice.AddSearchAttributesResponse{}, nil
			})
		visible(tc)
		require.NoError(t, orderflow.RegisterSearchAttributes(context.Background(), tc, ""))
	})
	t.Run("added concurrently", func(t *testing.T) {
		t.Parallel()
		tc, op := setup(t)
		op.EXPECT().ListSearchAttributes(gomock.Any(), gomock.Any()).Return(listed(nil), nil)
		op.EXPECT().AddSearchAttributes(gomock.Any(), gomock.Any()).Return(nil, serviceerror.NewAlreadyExists("exists"))
		visible(tc)
		require.NoError(t, orderflow.RegisterSearchAttributes(context.Background(), tc, "orders"))
	})
	t.Run("wrong type", func(t *testing.T) {
		t.Parallel()
		tc, op := setup(t)
		op.EXPECT().ListSearchAttributes(gomock.Any(), gomock.Any()).Return(listed(map[string]enumspb.IndexedValueType{
			orderflow.SearchAttributeStatus: enumspb.INDEXED_VALUE_TYPE_TEXT}), nil)
		err := orderflow.RegisterSearchAttributes(context.Background(), tc, "orders")
		requireErr(t, err, nil, `namespace "orders"`, orderflow.SearchAttributeStatus, "Text", "Keyword")
	})
	t.Run("list fails", func(t *testing.T) {
		t.Parallel()
		tc, op := setup(t)
		op.EXPECT().ListSearchAttributes(gomock.Any(), gomock.Any()).Return(nil, serviceerror.NewPermissionDenied("operator role required", ""))
		err := orderflow.RegisterSearchAttributes(context.Background(), tc, "orders")
		requireErr(t, err, nil, `namespace "orders"`, "operator role required")
	})
	t.Run("add fails", func(t *testing.T) {
		t.Parallel()
		tc, op := setup(t)
		op.EXPECT().ListSearchAttributes(gomock.Any(), gomock.Any()).Return(listed(nil), nil)
		op.EXPECT().AddSearchAttributes(gomock.Any(), gomock.Any()).Return(nil, serviceerror.NewPermissionDenied("not an admin", ""))
		err := orderflow.RegisterSearchAttributes(context.Background(), tc, "orders")
		requireErr(t, err, nil, `namespace "orders"`, "not an admin")
	})
	t.Run("not ready before ctx ends", func(t *testing.T) {
		t.Parallel()
		tc, op := setup(t)
		op.EXPECT().ListSearchAttributes(gomock.Any(), gomock.Any()).Return(listed(registered), nil)
		ctx, cancel := context.WithCancel(context.Background())
		tc.On("CountWorkflow", mock.Anything, mock.Anything).Run(func(mock.Arguments) { cancel() }).
			Return(nil, serviceerror.NewInvalidArgument("unknown search attribute")).Once()
		err := orderflow.RegisterSearchAttributes(ctx, tc, "orders")
		requireErr(t, err, orderflow.ErrVisibilityNotReady, `namespace "orders"`)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("check fails", func(t *testing.T) {
		t.Parallel()
		tc, op := setup(t)
		op.EXPECT().ListSearchAttributes(gomock.Any(), gomock.Any()).Return(listed(registered), nil)
		tc.On("CountWorkflow", mock.Anything, mock.Anything).Return(nil, serviceerror.NewUnavailable("store down")).Once()
		err := orderflow.RegisterSearchAttributes(context.Background(), tc, "orders")
		requireErr(t, err, nil, "store down")
		require.NotErrorIs(t, err, orderflow.ErrVisibilityNotReady)
	})
	t.Run("nil client", func(t *testing.T) {
		t.Parallel()
		requireErr(t, orderflow.RegisterSearchAttributes(context.Background(), nil, ""), nil, "nil")
	})
}

// Regression tests for what the tests above found.

// An order the workflow refuses as invalid says "orderflow:" once.
func TestWorkflowRefusalSaysOrderflowOnce(t *testing.T) {
	t.Parallel()
	c, tc := mcClient(t, nil)
	const id = "ORD-CLI-BAD"
	failure := temporal.NewNonRetryableApplicationError("orderflow: invalid order: items: must not be empty", "orderflow.InvalidOrder", nil)
	tc.On("GetWorkflow", mock.Anything, orderflow.WorkflowID(id), "").Return(runOf(t, nil, failure))
	_, err := c.Result(context.Background(), id)
	requireErr(t, err, orderflow.ErrInvalidOrder, "get result of order "+quoted(id))
	require.Contains(t, err.Error(), "invalid order: items: must not be empty")
	require.Equal(t, 1, strings.Count(err.Error(), "invalid order"), err.Error())
}

// More orders at one instant than a page holds, with many orders after
// them, are all listed, each once.
func TestAwaitingApprovalPagesListOrdersAfterASharedInstant(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var rows []visRow
	for i := range 3 {
		rows = append(rows, visRow{id: fmt.Sprintf("ORD-A%d", i), start: now.Add(-2 * time.Hour), status: orderflow.StatusAwaitingApproval})
	}
	for i := range 250 {
		rows = append(rows, visRow{id: fmt.Sprintf("ORD-B%03d", i), start: now.Add(-time.Hour + time.Duration(i)*time.Second), status: orderflow.StatusAwaitingApproval})
	}
	c, tc := mcClient(t, nil)
	newFakeVisibility(t, orderflow.StatusAwaitingApproval, rows).install(tc)
	var got []string
	for _, p := range listAllPages(t, c, orderflow.StatusAwaitingApproval, 2) {
		got = append(got, ids(p, summaryID)...)
	}
	require.Len(t, got, len(rows))
	want := make([]string, len(rows))
	for i, r := range rows {
		want[i] = r.id
	}
	require.Equal(t, want, got, "oldest first, each once")
}

// ListOrders reports its own CallTimeout as a deadline.
func TestListOrdersCallTimeoutIsADeadline(t *testing.T) {
	t.Parallel()
	c, tc := mcClient(t, &orderflow.Options{CallTimeout: time.Nanosecond})
	tc.On("ListWorkflow", mock.Anything, mock.Anything).Run(func(args mock.Arguments) {
		<-args.Get(0).(context.Context).Done()
	}).Return(nil, errors.New("transport: connection closed"))
	_, _, err := c.ListOrders(context.Background(), orderflow.ListOptions{})
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
