// Package replay records real workflow histories of every order outcome on an
// embedded Temporal server and replays them against the current workflow code.
//
// Set ORDERFLOW_RECORD_HISTORIES to a directory (the library's testdata/) to
// save the histories of new scenarios; the library's replay test then guards
// them against changes that would break running orders. Add them to the
// library's manifest of recordings with
// go test -run TestRecordingsAreOnlyEverAdded -update-manifest (in the
// library's directory); a recording, once added, never changes.
package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/encryption"
	"github.com/orderflow/orderflow/examples/internal/scenario"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/orderflow/orderflow/orderflowtest"
)

func order(id string, cents int64) orderflow.Order {
	return orderflow.Order{OrderID: id, CustomerName: "Alice Smith", CustomerEmail: "alice@example.com",
		ShippingAddress: "123 Main St, Springfield, IL 62701",
		Items: []orderflow.Item{
			{ProductID: "MOUSE-001", ProductName: "Wireless Mouse", Quantity: 2, UnitPrice: orderflow.USD(cents / 2)},
		}}
}

func TestRecordAndReplayHistories(t *testing.T) {
	srv := temporaltest.NewServer(temporaltest.WithT(t),
		temporaltest.WithBaseClientOptions(client.Options{Identity: "orderflow-replay-recorder", Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))}))
	tc := srv.GetDefaultClient()
	acts, p := orderflowtest.NewActivities()
	p.Inventory.SetStock("OUT-001", 0)
	p.Email.SendFaults.FailOrder("ORD-MAILFAIL", errors.New("smtp down"))
	p.Inventory.SetStock("GONE-001", 0)
	p.Payment.RefundFaults.FailOrder("ORD-REFUSED", fmt.Errorf("gateway closed the account: %w", orderflow.ErrPermanent))
	p.Delivery.ArrangeFaults.FailOrder("ORD-CARRIER", fmt.Errorf("carrier API refused: %w", orderflow.ErrPermanent))
	w := srv.NewWorker("order-task-queue", func(r worker.Registry) { require.NoError(t, orderflow.Register(r, acts)) })
	_ = w

	orders, err := orderflow.NewClient(tc, &orderflow.Options{
		ApprovalTimeout:   2 * time.Second,
		Retry:             &temporal.RetryPolicy{InitialInterval: 10 * time.Millisecond, MaximumInterval: 50 * time.Millisecond, MaximumAttempts: 4},
		CompensationRetry: &temporal.RetryPolicy{InitialInterval: 10 * time.Millisecond},
	})
	require.NoError(t, err)
	ctx := testctx.Context(t)
	// Listed orders (Options.Visibility): their search attribute and memo
	// upserts are commands that replay must match.
	require.NoError(t, orderflow.RegisterSearchAttributes(ctx, tc, srv.GetDefaultNamespace()))
	listedOpts := orders.Options()
	listedOpts.Visibility = true
	listed, err := orderflow.NewClient(tc, &listedOpts)
	require.NoError(t, err)
	fastOpts := orders.Options()
	fastOpts.LowLatency = true
	fast, err := orderflow.NewClient(tc, &fastOpts)
	require.NoError(t, err)
	// Encrypted orders, on a worker and a Client of their own whose client
	// has the encryption codec over recordingKey (which the library's
	// replay test has too).
	ring, err := encryption.Keys(recordingKey)
	require.NoError(t, err)
	codec, err := encryption.NewCodec(ring)
	require.NoError(t, err)
	sealedOpts := client.Options{HostPort: srv.GetFrontendHostPort(), Namespace: srv.GetDefaultNamespace(),
		Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))}
	codec.ClientOptions(&sealedOpts)
	sealedTC, err := client.Dial(sealedOpts)
	require.NoError(t, err)
	defer sealedTC.Close()
	sw := worker.New(sealedTC, "order-task-queue-encrypted", worker.Options{})
	require.NoError(t, orderflow.Register(sw, acts))
	require.NoError(t, sw.Start())
	defer sw.Stop()
	sealedClientOpts := orders.Options()
	sealedClientOpts.TaskQueue, sealedClientOpts.DataConverter = "order-task-queue-encrypted", sealedOpts.DataConverter
	sealed, err := orderflow.NewClient(sealedTC, &sealedClientOpts)
	require.NoError(t, err)
	sealedNoStock := order("ORD-SEALED-NOSTOCK", 1000)
	sealedNoStock.Items[0].ProductID = "OUT-001"

	sumNoStock := order("ORD-SUM-FAST-NOSTOCK", 1000)
	sumNoStock.Items[0].ProductID = "OUT-001"
	noStock := order("ORD-FAST-NOSTOCK", 1000)
	noStock.Items[0].ProductID = "OUT-001"

	outOfStock := order("ORD-NOSTOCK", 1000)
	outOfStock.Items[0].ProductID = "OUT-001"
	refused := order("ORD-REFUSED", 1000)
	refused.Items[0].ProductID = "GONE-001"
	scenarios := []struct {
		name   string
		order  orderflow.Order
		act    func(id string) // after start
		status orderflow.Status
	}{
		{"small_completed", order("ORD-SMALL", 8994), nil, orderflow.StatusCompleted},
		{"large_approved_by_update", order("ORD-APPROVED", 189998), func(id string) {
			waitPending(t, ctx, tc, id)
			_, err := orders.Approve(ctx, id, orderflow.Decision{Reason: "ok"})
			require.NoError(t, err)
		}, orderflow.StatusCompleted},
		{"large_rejected_by_signal", order("ORD-REJECTED", 189998), func(id string) {
			waitPending(t, ctx, tc, id)
			require.NoError(t, tc.SignalWorkflow(ctx, orderflow.WorkflowID(id), "", orderflow.SignalReject, "no"))
		}, orderflow.StatusRejected},
		{"large_timed_out", order("ORD-TIMEOUT", 189998), nil, orderflow.StatusTimedOut},
		{"out_of_stock_compensated", outOfStock, nil, orderflow.StatusFailed},
		{"cancelled_awaiting_approval", order("ORD-CANCEL", 189998), func(id string) {
			waitPending(t, ctx, tc, id)
			require.NoError(t, orders.Cancel(ctx, id, "customer asked"))
		}, orderflow.StatusCancelled},
		{"email_failed_warning", order("ORD-MAILFAIL", 1000), nil, orderflow.StatusCompleted},
		{"delivery_retried_until_answered", order("ORD-DELIVERY", 1000), nil, orderflow.StatusCompleted},
		{"refund_refused_needs_attention", refused, nil, orderflow.StatusNeedsAttention},
		{"delivery_unknown_needs_attention", order("ORD-CARRIER", 1000), nil, orderflow.StatusNeedsAttention},
		{"bad_signal_then_approved_by_signal", order("ORD-BADSIGNAL", 189998), func(id string) {
			waitPending(t, ctx, tc, id)
			require.NoError(t, tc.SignalWorkflow(ctx, orderflow.WorkflowID(id), "", orderflow.SignalApprove, 42))
			require.NoError(t, tc.SignalWorkflow(ctx, orderflow.WorkflowID(id), "", orderflow.SignalApprove, "ok"))
		}, orderflow.StatusCompleted},
		{"cancelled_after_approval", order("ORD-APPROVED-CANCEL", 189998), func(id string) {
			waitPending(t, ctx, tc, id)
			p.Payment.ChargeFaults.FailOrder(id, errors.New("gateway slow")) // keeps the order before delivery
			_, err := orders.Approve(ctx, id, orderflow.Decision{Reason: "ok"})
			require.NoError(t, err)
			require.NoError(t, orders.Cancel(ctx, id, "customer changed mind"))
			p.Payment.ChargeFaults.FailOrder(id, nil)
		}, orderflow.StatusCancelled},
		{"listed_small_completed", order("ORD-LISTED-SMALL", 8994), nil, orderflow.StatusCompleted},
		{"listed_approved_by_approver", order("ORD-LISTED-APPROVED", 189998), func(id string) {
			waitPending(t, ctx, tc, id)
			_, err := listed.Approve(ctx, id, orderflow.Decision{Approver: "alice", Reason: "ok"})
			require.NoError(t, err)
		}, orderflow.StatusCompleted},
		{"listed_started_raw_rejected", order("ORD-LISTED-RAW", 189998), func(id string) {
			waitPending(t, ctx, tc, id)
			_, err := listed.Reject(ctx, id, orderflow.Decision{Approver: "bob", Reason: "no"})
			require.NoError(t, err)
		}, orderflow.StatusRejected},
		{"raw_started_small_completed", order("ORD-RAW-SMALL", 8994), nil, orderflow.StatusCompleted},
		{"raw_started_large_approved_by_signal", order("ORD-RAW-LARGE", 189998), func(id string) {
			waitPending(t, ctx, tc, id)
			require.NoError(t, tc.SignalWorkflow(ctx, orderflow.WorkflowID(id), "", orderflow.SignalApprove, "ok"))
		}, orderflow.StatusCompleted},
		{"lowlatency_small_completed", order("ORD-FAST-SMALL", 8994), nil, orderflow.StatusCompleted},
		{"lowlatency_out_of_stock_compensated", noStock, nil, orderflow.StatusFailed},
		{"lowlatency_large_approved", order("ORD-FAST-APPROVED", 189998), func(id string) {
			waitPending(t, ctx, tc, id)
			_, err := fast.Approve(ctx, id, orderflow.Decision{Approver: "alice", Reason: "ok"})
			require.NoError(t, err)
		}, orderflow.StatusCompleted},
		{"lowlatency_large_rejected", order("ORD-FAST-REJECTED", 189998), func(id string) {
			waitPending(t, ctx, tc, id)
			_, err := fast.Reject(ctx, id, orderflow.Decision{Approver: "bob", Reason: "no"})
			require.NoError(t, err)
		}, orderflow.StatusRejected},
		{"lowlatency_large_timed_out", order("ORD-FAST-TIMEOUT", 189998), nil, orderflow.StatusTimedOut},
		// Recorded once orders carried user metadata (summaries of the
		// order, its calls and its approval timer).
		{"summaries_large_approved_by_update", order("ORD-SUM-APPROVED", 189998), func(id string) {
			waitPending(t, ctx, tc, id)
			_, err := orders.Approve(ctx, id, orderflow.Decision{Approver: "alice", Reason: "ok"})
			require.NoError(t, err)
		}, orderflow.StatusCompleted},
		{"summaries_lowlatency_out_of_stock_compensated", sumNoStock, nil, orderflow.StatusFailed},
		{"encrypted_large_approved_by_update", order("ORD-SEALED-APPROVED", 189998), func(id string) {
			waitPending(t, ctx, tc, id)
			_, err := sealed.Approve(ctx, id, orderflow.Decision{Approver: "alice", Reason: "ok"})
			require.NoError(t, err)
		}, orderflow.StatusCompleted},
		{"encrypted_out_of_stock_compensated", sealedNoStock, nil, orderflow.StatusFailed},
		{"lowlatency_cancelled_after_approval", order("ORD-FAST-APPROVED-CANCEL", 189998), func(id string) {
			waitPending(t, ctx, tc, id)
			p.Inventory.ReserveFaults.FailOrder(id, errors.New("warehouse slow")) // keeps the order before delivery
			_, err := fast.Approve(ctx, id, orderflow.Decision{Reason: "ok"})
			require.NoError(t, err)
			require.NoError(t, fast.Cancel(ctx, id, "customer changed mind"))
			p.Inventory.ReserveFaults.FailOrder(id, nil)
		}, orderflow.StatusCancelled},
	}
	dir := os.Getenv("ORDERFLOW_RECORD_HISTORIES")
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if sc.name == "delivery_retried_until_answered" {
				p.Delivery.ArrangeFaults.FailNext(5, nil) // more than the forward policy's 3 attempts
			}
			switch {
			case strings.HasPrefix(sc.name, "raw_started_"):
				// As the Temporal CLI starts an order: its fields only, no plan.
				_, err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: orderflow.WorkflowID(sc.order.OrderID),
					TaskQueue: "order-task-queue"}, orderflow.WorkflowName, sc.order)
				require.NoError(t, err)
			case sc.name == "listed_started_raw_rejected":
				// As the CLI or a raw client starts a listed order: no search
				// attributes or memo at start; the workflow sets them.
				in, err := orderflowtest.WorkflowInput(sc.order, &listedOpts)
				require.NoError(t, err)
				_, err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: orderflow.WorkflowID(sc.order.OrderID),
					TaskQueue: "order-task-queue"}, orderflow.WorkflowName, in)
				require.NoError(t, err)
			case strings.HasPrefix(sc.name, "listed_"):
				require.NoError(t, listed.Start(ctx, sc.order))
			case strings.HasPrefix(sc.name, "lowlatency_"), strings.HasPrefix(sc.name, "summaries_lowlatency_"):
				require.NoError(t, fast.Start(ctx, sc.order))
			case strings.HasPrefix(sc.name, "encrypted_"):
				require.NoError(t, sealed.Start(ctx, sc.order))
			default:
				require.NoError(t, orders.Start(ctx, sc.order))
			}
			if sc.act != nil {
				sc.act(sc.order.OrderID)
			}
			reader := orders
			if strings.HasPrefix(sc.name, "encrypted_") {
				reader = sealed
			}
			res, _ := reader.Result(ctx, sc.order.OrderID)
			require.NotNil(t, res)
			require.Equal(t, sc.status, res.Status, res.Message)

			hist := history(t, ctx, tc, orderflow.WorkflowID(sc.order.OrderID))
			// Recordings are kept: a history recorded by an earlier build
			// is what proves that this one replays it. Only new scenarios
			// are written.
			file := filepath.Join(dir, "history_"+sc.name+".json")
			// Written before the replay, which changes the history it
			// is given: the SDK applies the run's search attribute upserts
			// to the started event's.
			if _, err := os.Stat(file); dir != "" && errors.Is(err, fs.ErrNotExist) {
				b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(hist)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(file, b, 0o644))
			}
			ropts := worker.WorkflowReplayerOptions{}
			if strings.HasPrefix(sc.name, "encrypted_") {
				ropts.DataConverter, ropts.FailureConverter = sealedOpts.DataConverter, sealedOpts.FailureConverter
			}
			replayer, err := worker.NewWorkflowReplayerWithOptions(ropts)
			require.NoError(t, err)
			replayer.RegisterWorkflowWithOptions(orderflow.OrderWorkflow, orderflowWorkflowOptions())
			require.NoError(t, replayer.ReplayWorkflowHistory(nil, hist), "replay of %s", sc.name)
		})
	}
}

// recordingKey encrypts the recordings named history_encrypted_*; the
// library's replay test has the same.
var recordingKey = encryption.Key{ID: "recordings", Secret: bytes.Repeat([]byte{0x42}, 32)}

func orderflowWorkflowOptions() (o workflow.RegisterOptions) {
	o.Name = orderflow.WorkflowName
	return o
}

// waitPending waits until the order awaits approval, from its history.
func waitPending(t *testing.T, ctx context.Context, tc client.Client, id string) {
	t.Helper()
	require.NoError(t, scenario.AwaitApproval(ctx, tc, id))
}

// awaitEvent waits until the workflow's history holds an event of type typ,
// with a long poll of the history: as long as ctx allows.
func awaitEvent(t *testing.T, ctx context.Context, tc client.Client, workflowID string, typ enumspb.EventType) {
	t.Helper()
	it := tc.GetWorkflowHistory(ctx, workflowID, "", true, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err, "waiting for %v in the history of %s", typ, workflowID)
		if ev.GetEventType() == typ {
			return
		}
	}
	t.Fatalf("%s ended without a %v event", workflowID, typ)
}

func history(t *testing.T, ctx context.Context, tc client.Client, workflowID string) *historypb.History {
	t.Helper()
	iter := tc.GetWorkflowHistory(ctx, workflowID, "", false, 0)
	h := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, ev)
	}
	return h
}
