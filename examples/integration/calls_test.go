package integration

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"google.golang.org/grpc"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/bareport"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/orderflow/orderflow/orderflowtest"
)

// callCounter counts the calls a Temporal client makes to the server, by
// method.
type callCounter struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *callCounter) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	c.mu.Lock()
	c.calls[method[strings.LastIndex(method, "/")+1:]]++
	c.mu.Unlock()
	return invoker(ctx, method, req, reply, cc, opts...)
}

// take returns the calls counted since the last take.
func (c *callCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.calls
	c.calls = map[string]int{}
	return m
}

// workerCall reports whether method is one a worker makes whatever it
// runs, on its own schedule: polls, and the worker's heartbeat.
func workerCall(method string, _ int) bool {
	return strings.HasPrefix(method, "Poll") || method == "RecordWorkerHeartbeat" || method == "ShutdownWorker"
}

// TestOrderflowCallsTheServerAsTheBarePortDoes runs small orders one at a
// time with Client.Execute and with the bare-SDK port of the Python demo's
// workflow (ExecuteWorkflow and Get), client and worker on one connection,
// and checks that an orderflow order makes the bare port's calls, no more:
// its throughput on a loaded server follows them. The worker's own calls
// (polls, heartbeats) are left out.
func TestOrderflowCallsTheServerAsTheBarePortDoes(t *testing.T) {
	t.Parallel()
	ctx := testctx.Context(t)
	counter := &callCounter{calls: map[string]int{}}
	tc, err := client.DialContext(ctx, client.Options{HostPort: frontend, Namespace: defaultNamespace,
		ConnectionOptions: client.ConnectionOptions{DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(counter.intercept)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()

	const orders = 3
	// IDs of this test's own, also when it runs again against the same
	// server (-count).
	prefix := fmt.Sprintf("%scalls-%x", runID, time.Now().UnixNano())
	perMode := map[string]map[string]int{}
	for _, mode := range []string{"bare", "orderflow"} {
		queue := "it-" + prefix + "-" + mode
		w := worker.New(tc, queue, worker.Options{})
		acts, providers := orderflowtest.NewActivities()
		if mode == "bare" {
			bareport.Register(w, "CallsBareOrder", "", 0)
		} else if err := orderflow.Register(w, acts); err != nil {
			t.Fatal(err)
		}
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		oc, err := orderflow.NewClient(tc, &orderflow.Options{TaskQueue: queue})
		if err != nil {
			t.Fatal(err)
		}
		// Each method's fewest calls for one order: a call the server
		// asked to be made again (a long poll for the end that came back
		// empty on a loaded server, say) is not the order's.
		var fewest map[string]int
		for i := range orders {
			id := fmt.Sprintf("%s-%s-%d", prefix, mode, i)
			counter.take()
			switch mode {
			case "bare":
				run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: orderflow.WorkflowID(id), TaskQueue: queue},
					"CallsBareOrder", orderflowtest.SmallOrder(id))
				if err != nil {
					t.Fatal(err)
				}
				var receipts []bareport.Receipt
				if err := run.Get(ctx, &receipts); err != nil || len(receipts) != len(bareport.Steps) {
					t.Fatalf("bare order %s: %d receipts, %v", id, len(receipts), err)
				}
			case "orderflow":
				res, err := oc.Execute(ctx, orderflowtest.SmallOrder(id))
				if err != nil || res.Status != orderflow.StatusCompleted || providers.Payment.Held(id) != orderflow.USD(smallTotal) {
					t.Fatalf("order %s: %+v, %v", id, res, err)
				}
			}
			calls := counter.take()
			maps.DeleteFunc(calls, workerCall)
			t.Logf("%s order %d: %v", mode, i, calls)
			if fewest == nil {
				fewest = calls
				continue
			}
			for method, n := range fewest {
				fewest[method] = min(n, calls[method])
			}
		}
		w.Stop()
		maps.DeleteFunc(fewest, func(_ string, n int) bool { return n == 0 })
		perMode[mode] = fewest
	}
	if !maps.Equal(perMode["orderflow"], perMode["bare"]) {
		t.Errorf("calls for a small order (the worker's own left out):\norderflow %v\nbare      %v", perMode["orderflow"], perMode["bare"])
	}
	// What a small order is: a start, its five workflow tasks' and four
	// activity tasks' answers, and the wait for its end.
	want := map[string]int{"StartWorkflowExecution": 1, "RespondWorkflowTaskCompleted": 5,
		"RespondActivityTaskCompleted": 4, "GetWorkflowExecutionHistory": 1}
	if got := perMode["orderflow"]; !maps.Equal(got, want) {
		t.Errorf("orderflow's calls for a small order: %v, want %v", got, want)
	}
}
