package orderflowtest

import "sync"

// Faults decides which calls of one provider method fail. Each in-memory
// provider has a Faults field per method (Payments.ChargeFaults,
// Inventory.ReserveFaults, …). The zero Faults injects nothing. It is safe
// for concurrent use, so faults may be changed while calls run.
//
// An error wrapping an orderflow sentinel (orderflow.ErrPaymentDeclined,
// ErrOutOfStock, ErrUndeliverable, ErrPermanent) is a permanent failure;
// any other error, such as ErrTransient, is transient and retried by the
// workflow.
//
// A call whose context ends during its latency fails with the context's
// error and consumes no fault.
type Faults struct {
	mu     sync.Mutex
	queue  []fault
	orders map[string]error
}

type fault struct {
	err  error
	lost bool // the call takes effect; only its reply is lost
}

// FailNext makes the next n calls fail with err without taking effect. A nil
// err means ErrTransient. Faults queued by FailNext and LoseNext are used in
// the order they were queued.
func (f *Faults) FailNext(n int, err error) { f.push(n, err, false) }

// LoseNext makes the next n calls take effect and then return err, as when
// the provider did the work but its reply was lost (a timeout, a dropped
// connection). A retry with the same idempotency key must then find the
// first result. A nil err means ErrTransient.
func (f *Faults) LoseNext(n int, err error) { f.push(n, err, true) }

// FailOrder makes every call for orderID fail with err, without taking
// effect, until FailOrder(orderID, nil) or Reset. It takes precedence over
// FailNext and LoseNext, whose queue it leaves alone.
func (f *Faults) FailOrder(orderID string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.orders, orderID)
		return
	}
	if f.orders == nil {
		f.orders = make(map[string]error)
	}
	f.orders[orderID] = err
}

// Reset removes every fault.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue, f.orders = nil, nil
}

func (f *Faults) push(n int, err error, lost bool) {
	if err == nil {
		err = ErrTransient
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.queue = append(f.queue, fault{err: err, lost: lost})
	}
}

// next returns the fault for a call for orderID, consuming it from the
// queue; its err is nil when the call should succeed.
func (f *Faults) next(orderID string) fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err, ok := f.orders[orderID]; ok {
		return fault{err: err}
	}
	if len(f.queue) == 0 {
		return fault{}
	}
	next := f.queue[0]
	f.queue = f.queue[1:]
	return next
}
