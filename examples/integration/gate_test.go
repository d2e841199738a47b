package integration

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/orderflow/orderflow"
)

// A gate holds a provider's calls until the test opens it. A test that looks
// at an order during a step, or sends it something then, holds the step for
// as long as it needs, however slow the machine: a provider's Latency would
// give it a window sized for one machine, which a slower one misses.
type gate struct {
	step      orderflow.Step
	entered   chan struct{} // closed when a call first waits at the gate
	opened    chan struct{}
	enterOnce sync.Once
	openOnce  sync.Once
}

// wait holds the call until the gate opens, or returns ctx's error when ctx
// ends first (a cancelled or timed-out attempt), as a provider's latency
// would.
func (g *gate) wait(ctx context.Context) error {
	g.enterOnce.Do(func() { close(g.entered) })
	select {
	case <-g.opened:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// open lets the held calls, and every later one, go on.
func (g *gate) open() { g.openOnce.Do(func() { close(g.opened) }) }

// hold puts a gate before the provider call of step (payment, inventory or
// delivery): call it before startWorker. The gate opens when the test ends,
// if not before.
func (e *env) hold(step orderflow.Step) *gate {
	e.t.Helper()
	g := &gate{step: step, entered: make(chan struct{}), opened: make(chan struct{})}
	e.t.Cleanup(g.open)
	switch step {
	case orderflow.StepPayment:
		e.acts.Payment = heldPayment{e.acts.Payment, g}
	case orderflow.StepInventory:
		e.acts.Inventory = heldInventory{e.acts.Inventory, g}
	case orderflow.StepDelivery:
		e.acts.Delivery = heldDelivery{e.acts.Delivery, g}
	default:
		e.t.Fatalf("hold(%q): not a provider step", step)
	}
	return g
}

// newEnvHolding is newEnv with a gate before the provider call of each of
// steps, returned in the same order.
func newEnvHolding(t testing.TB, opts *orderflow.Options, steps ...orderflow.Step) (*env, []*gate) {
	t.Helper()
	e := newEnvWithoutWorker(t, opts, nil)
	gates := make([]*gate, len(steps))
	for i, s := range steps {
		gates[i] = e.hold(s)
	}
	e.startWorker()
	return e, gates
}

type heldPayment struct {
	orderflow.PaymentProvider
	g *gate
}

func (h heldPayment) Charge(ctx context.Context, req orderflow.ChargeRequest) (orderflow.PaymentResult, error) {
	if err := h.g.wait(ctx); err != nil {
		return orderflow.PaymentResult{}, fmt.Errorf("charge held: %w", err)
	}
	return h.PaymentProvider.Charge(ctx, req)
}

type heldInventory struct {
	orderflow.InventoryProvider
	g *gate
}

func (h heldInventory) Reserve(ctx context.Context, req orderflow.ReserveRequest) (orderflow.InventoryResult, error) {
	if err := h.g.wait(ctx); err != nil {
		return orderflow.InventoryResult{}, fmt.Errorf("reserve held: %w", err)
	}
	return h.InventoryProvider.Reserve(ctx, req)
}

type heldDelivery struct {
	orderflow.DeliveryProvider
	g *gate
}

func (h heldDelivery) Arrange(ctx context.Context, req orderflow.DeliveryRequest) (orderflow.DeliveryResult, error) {
	if err := h.g.wait(ctx); err != nil {
		return orderflow.DeliveryResult{}, fmt.Errorf("arrange held: %w", err)
	}
	return h.DeliveryProvider.Arrange(ctx, req)
}
