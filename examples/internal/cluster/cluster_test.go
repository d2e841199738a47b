package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/cluster"
	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/orderflow/orderflow/orderflowtest"
)

// TestOrdersOutliveEveryFault runs an order on a fresh cluster, then again
// after each fault the cluster can suffer: a history process killed and
// started again, the matching process killed and started again, PostgreSQL
// crashed and restarted, and a server process killed from outside (which
// the cluster starts again by itself).
func TestOrdersOutliveEveryFault(t *testing.T) {
	c := cluster.ForTest(t)
	ctx := testctx.Context(t)
	tc, err := client.DialContext(ctx, client.Options{HostPort: c.Address, Namespace: c.Namespace,
		Logger: conn.NewLogger(io.Discard, slog.LevelError)})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	acts, providers := orderflowtest.NewActivities()
	w := worker.New(tc, "cluster-test", worker.Options{})
	if err := orderflow.Register(w, acts); err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	orders, err := orderflow.NewClient(tc, &orderflow.Options{TaskQueue: "cluster-test", Visibility: true})
	if err != nil {
		t.Fatal(err)
	}

	seq := 0
	order := func(after string) {
		t.Helper()
		seq++
		id := fmt.Sprintf("ORD-CLUSTER-%d", seq)
		t0 := time.Now()
		res, err := orders.Execute(ctx, orderflowtest.SmallOrder(id))
		// Right after PostgreSQL comes back, the server may answer that the
		// namespace is not found (v1.32.1 reports a failed read of it so):
		// a caller tries again, as after Unavailable.
		for retryable(err) && ctx.Err() == nil {
			time.Sleep(200 * time.Millisecond)
			res, err = orders.Execute(ctx, orderflowtest.SmallOrder(id))
		}
		if err != nil {
			t.Fatalf("order after %s: %v", after, err)
		}
		total, _ := orderflowtest.SmallOrder(id).Total()
		if res.Status != orderflow.StatusCompleted || providers.Payment.Held(id) != total {
			t.Fatalf("order after %s: status %s, holding %d cents", after, res.Status, providers.Payment.Held(id).Amount)
		}
		t.Logf("order after %s completed in %v", after, time.Since(t0).Round(time.Millisecond))
	}
	before, err := c.Writes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	order("the start")
	time.Sleep(time.Second) // PostgreSQL reports its statistics late
	after, err := c.Writes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// An order is tens of transactions and rows, and kilobytes of log.
	if tx, rows, wal := after.Transactions-before.Transactions, after.Rows-before.Rows, after.WAL-before.WAL; tx < 10 || rows < 10 || wal < 4096 {
		t.Errorf("PostgreSQL wrote %d transactions, %d rows, %d bytes of log for an order; want more", tx, rows, wal)
	}

	for _, name := range []string{"history2", "matching"} {
		if err := c.Kill(name); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if err := c.Start(name); err != nil {
			t.Fatal(err)
		}
		order(name + " was killed and started again")
	}

	if err := c.RestartPostgres(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	order("PostgreSQL crashed and restarted")

	// Killed from outside: the cluster starts it again, as an orchestrator.
	pid := c.PIDs()["history1"]
	if err := syscallKill(pid); err != nil {
		t.Fatal(err)
	}
	order("history1 was killed from outside")
	waitFor(t, ctx, func() bool { return c.PIDs()["history1"] != 0 && c.PIDs()["history1"] != pid })
	if got := c.Restarts()["history1"]; got != 1 {
		t.Errorf("history1 restarts = %d, want 1", got)
	}
}

// retryable reports whether err says the server could not answer for now.
func retryable(err error) bool {
	var namespace *serviceerror.NamespaceNotFound
	var unavailable *serviceerror.Unavailable
	return errors.As(err, &namespace) || errors.As(err, &unavailable)
}

func waitFor(t *testing.T, ctx context.Context, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatal("timed out")
		case <-time.After(100 * time.Millisecond):
		}
	}
}
