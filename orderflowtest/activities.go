package orderflowtest

import (
	"time"

	"github.com/orderflow/orderflow"
)

// The Python demo's simulated latencies, used by Providers.UseDemoLatency.
const (
	DemoPaymentLatency   = 2 * time.Second
	DemoInventoryLatency = 1500 * time.Millisecond
	DemoDeliveryLatency  = time.Second
	DemoEmailLatency     = 500 * time.Millisecond
)

// Providers are the in-memory providers behind the Activities made by
// NewActivities.
type Providers struct {
	Payments  *Payments
	Inventory *Inventory
	Delivery  *Delivery
	Mailer    *Mailer
}

// NewActivities returns orderflow activities backed by fresh in-memory
// providers, and the providers, for inspecting and steering them:
//
//	acts, providers := orderflowtest.NewActivities()
//	providers.Payments.ChargeFaults.FailOrder("ORD-1", orderflow.ErrPaymentDeclined)
//	err := orderflow.Register(env, acts)
func NewActivities() (*orderflow.Activities, *Providers) {
	p := &Providers{Payments: new(Payments), Inventory: new(Inventory), Delivery: new(Delivery), Mailer: new(Mailer)}
	return &orderflow.Activities{Payment: p.Payments, Inventory: p.Inventory, Delivery: p.Delivery, Email: p.Mailer}, p
}

// UseDemoLatency gives the providers the Python demo's latencies: payment
// 2 s, inventory 1.5 s, delivery 1 s, email 0.5 s. Call it before the
// providers are used.
func (p *Providers) UseDemoLatency() {
	p.Payments.Latency = DemoPaymentLatency
	p.Inventory.Latency = DemoInventoryLatency
	p.Delivery.Latency = DemoDeliveryLatency
	p.Mailer.Latency = DemoEmailLatency
}

// UseSequentialIDs makes the providers number their identifiers from 1
// (TXN-000000000001, RES-000000000001, TRACK-0000000000000001), so that
// output can be checked. Call it before the providers are used.
func (p *Providers) UseSequentialIDs() {
	ids := SequentialIDs()
	p.Payments.NewID = ids
	p.Inventory.NewID = ids
	p.Delivery.NewID = ids
}
