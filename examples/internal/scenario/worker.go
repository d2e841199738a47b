package scenario

import (
	"fmt"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// NewWorker returns a worker, not yet started, for orderflow's default task
// queue, with the order workflow registered and backed by orderflowtest's
// in-memory providers. Each provider call takes the Python demo's simulated
// latency (payment 2 s, inventory 1.5 s, delivery 1 s, email 0.5 s) times
// latency: 1 is the Python demo's pace, 0 no delay at all.
func NewWorker(c client.Client, latency float64) (worker.Worker, *orderflowtest.Providers, error) {
	if latency < 0 {
		return nil, nil, fmt.Errorf("latency scale must not be negative, got %v", latency)
	}
	acts, providers := orderflowtest.NewActivities()
	providers.UseDemoLatency(latency)

	w := worker.New(c, "order-task-queue", worker.Options{})
	if err := orderflow.Register(w, acts); err != nil {
		return nil, nil, err
	}
	return w, providers, nil
}
