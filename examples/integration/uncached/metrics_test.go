// Package uncached runs orders on a worker without a sticky workflow cache,
// so that every workflow task replays the order's history from its start,
// and checks that the order metrics count each event once: replay records
// nothing again. It is a package of its own because the cache size belongs
// to the process.
package uncached

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/orderflow/orderflow/orderflowtest"
)

func TestMain(m *testing.M) {
	// No cache: each workflow task replays the whole history.
	worker.SetStickyWorkflowCacheSize(0)
	os.Exit(m.Run())
}

// countCalls counts the provider calls of method.
func countCalls(calls []orderflowtest.Call, method string) int64 {
	var n int64
	for _, c := range calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

func TestOrderMetricsAreNotRecordedAgainOnReplay(t *testing.T) {
	for _, mode := range []struct {
		name       string
		lowLatency bool
	}{{"default", false}, {"low_latency", true}} {
		t.Run(mode.name, func(t *testing.T) {
			ctx := testctx.Context(t)
			m := orderflowtest.NewMetrics()
			ts := temporaltest.NewServer(temporaltest.WithT(t),
				temporaltest.WithBaseClientOptions(client.Options{MetricsHandler: m}))
			tc := ts.GetDefaultClient()
			const queue = "uncached"
			acts, p := orderflowtest.NewActivities()
			p.Inventory.SetStock("MONITOR-001", 1)  // the large order wants 2: out of stock
			p.Payment.RefundFaults.FailNext(2, nil) // its refund is retried twice
			w := worker.New(tc, queue, worker.Options{})
			require.NoError(t, orderflow.Register(w, acts))
			require.NoError(t, w.Start())
			defer w.Stop()
			retry := &orderflow.Options{TaskQueue: queue, LowLatency: mode.lowLatency, MetricsHandler: m,
				CompensationRetry: fastRetry(), Retry: fastRetry()}
			orders, err := orderflow.NewClient(tc, retry)
			require.NoError(t, err)

			// A small order that completes, and a large one approved after
			// a wait that fails out of stock and refunds: each workflow
			// task of theirs replays what came before it.
			small, large := orderflowtest.SmallOrder("ORD-U1"), orderflowtest.LargeOrder("ORD-U2")
			res, err := orders.Execute(ctx, small)
			require.NoError(t, err)
			require.Equal(t, orderflow.StatusCompleted, res.Status)
			co, err := orders.Checkout(ctx, large)
			require.NoError(t, err)
			require.True(t, co.AwaitingApproval())
			_, err = orders.Approve(ctx, large.OrderID, orderflow.Decision{Approver: "ops", Reason: "ok"})
			require.NoError(t, err)
			res, err = orders.Result(ctx, large.OrderID)
			require.ErrorIs(t, err, orderflow.ErrOutOfStock)
			require.Equal(t, orderflow.StatusFailed, res.Status)

			require.Positive(t, m.Count("temporal_workflow_task_replay_latency", nil),
				"the worker must have replayed histories, or this test proves nothing")
			one := func(name string, kv ...string) {
				t.Helper()
				tags := map[string]string{}
				for i := 0; i+1 < len(kv); i += 2 {
					tags[kv[i]] = kv[i+1]
				}
				require.Equal(t, int64(1), m.Count(name, tags), "%s %v; recorded: %v", name, tags, m.Recorded("orderflow_"))
			}
			one("orderflow_orders_started", "mode", mode.name, "approval_required", "false")
			one("orderflow_orders_started", "mode", mode.name, "approval_required", "true")
			one("orderflow_orders_ended", "status", "completed", "reason", "none")
			one("orderflow_orders_ended", "status", "failed", "reason", "out_of_stock")
			require.Equal(t, int64(2), m.Count("orderflow_orders_ended", nil))
			one("orderflow_approval_wait", "outcome", "approved")
			one("orderflow_checkout_latency", "outcome", "awaiting_approval")

			// Each provider call is timed once: as many records as calls.
			calls := func(c []orderflowtest.Call, method string) int64 { return countCalls(c, method) }
			for _, c := range []struct {
				provider, operation string
				n                   int64
			}{
				{"payment", "charge", calls(p.Payment.Calls(), "Charge")},
				{"payment", "refund", calls(p.Payment.Calls(), "Refund")},
				{"inventory", "reserve", calls(p.Inventory.Calls(), "Reserve")},
				{"delivery", "arrange", calls(p.Delivery.Calls(), "Arrange")},
				{"email", "send", calls(p.Email.Calls(), "Send")},
			} {
				got := m.Count("orderflow_provider_latency", map[string]string{"provider": c.provider, "operation": c.operation})
				require.Equal(t, c.n, got, "%s.%s", c.provider, c.operation)
			}
			require.Equal(t, int64(3), calls(p.Payment.Calls(), "Refund"), "two failed refunds, then the refund")
			require.Equal(t, int64(2), m.Count("orderflow_compensation_attempts", map[string]string{"step": "payment", "outcome": "retrying"}))
			require.Equal(t, int64(1), m.Count("orderflow_compensation_attempts", map[string]string{"step": "payment", "outcome": "succeeded"}))
			t.Logf("%s: %d workflow tasks replayed", mode.name, m.Count("temporal_workflow_task_replay_latency", nil))
		})
	}
}

// fastRetry keeps the retried refund quick.
func fastRetry() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{InitialInterval: 10 * time.Millisecond, MaximumInterval: 10 * time.Millisecond}
}
