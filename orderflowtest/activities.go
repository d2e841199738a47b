package orderflowtest

import (
	"time"

	"github.com/orderflow/orderflow"
)

// The Python demo's simulated latencies, used by Providers.UseDemoLatency.
const (
	demoPaymentLatency   = 2 * time.Second
	demoInventoryLatency = 1500 * time.Millisecond
	demoDeliveryLatency  = time.Second
	demoEmailLatency     = 500 * time.Millisecond
)

// Providers are the in-memory providers behind the Activities made by
// NewActivities.
type Providers struct {
	Payment   *Payments
	Inventory *Inventory
	Delivery  *Delivery
	Email     *Mailer
}

// NewActivities returns orderflow activities backed by fresh in-memory
// providers, and the providers, for inspecting and steering them:
//
//	acts, providers := orderflowtest.NewActivities()
//	providers.Payment.ChargeFaults.FailOrder("ORD-1", orderflow.ErrPaymentDeclined)
//	err := orderflow.Register(env, acts)
func NewActivities() (*orderflow.Activities, *Providers) {
	p := &Providers{Payment: new(Payments), Inventory: new(Inventory), Delivery: new(Delivery), Email: new(Mailer)}
	return &orderflow.Activities{Payment: p.Payment, Inventory: p.Inventory, Delivery: p.Delivery, Email: p.Email}, p
}

// UseDemoLatency gives the providers the Python demo's latencies times
// factor: with 1, payment takes 2 s, inventory 1.5 s, delivery 1 s and email
// 0.5 s; 0 means no delay. Call it before the providers are used.
func (p *Providers) UseDemoLatency(factor float64) {
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) * factor) }
	p.Payment.Latency = scale(demoPaymentLatency)
	p.Inventory.Latency = scale(demoInventoryLatency)
	p.Delivery.Latency = scale(demoDeliveryLatency)
	p.Email.Latency = scale(demoEmailLatency)
}

// UseSequentialIDs makes the providers number their identifiers from 1
// (TXN-000000000001, RES-000000000001, TRACK-0000000000000001), so that
// output can be checked. Call it before the providers are used.
func (p *Providers) UseSequentialIDs() {
	ids := SequentialIDs()
	p.Payment.NewID = ids
	p.Inventory.NewID = ids
	p.Delivery.NewID = ids
}
