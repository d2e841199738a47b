package crashtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/orderflow/orderflow"
)

// callRecord is one Client call and what it was told.
type callRecord struct {
	Op     op
	Reason string
	Err    error // nil: accepted
}

func (c callRecord) accepted() bool { return c.Err == nil }

// refused reports whether the order said no: some other decision won.
func (c callRecord) refused() bool {
	return errors.Is(c.Err, orderflow.ErrNotAwaitingApproval) ||
		errors.Is(c.Err, orderflow.ErrTooLateToCancel) ||
		errors.Is(c.Err, orderflow.ErrAlreadyCancelled)
}

func (c callRecord) String() string {
	switch {
	case c.accepted():
		return fmt.Sprintf("%s(%q) accepted", c.Op, c.Reason)
	case c.refused():
		return fmt.Sprintf("%s(%q) refused: %v", c.Op, c.Reason, c.Err)
	}
	return fmt.Sprintf("%s(%q) no answer: %v", c.Op, c.Reason, c.Err)
}

// orderRun is one order as the test saw it: its plan, what its Client calls
// were told, and how it ended.
type orderRun struct {
	plan

	mu         sync.Mutex
	calls      []callRecord
	startErr   error
	result     *orderflow.OrderState
	resultErr  error
	lastStatus string // the Status of an order without a result
}

func (o *orderRun) record(c callRecord) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, c)
}

// driver starts orders and sends their decisions through the Client.
type driver struct {
	orders *orderflow.Client
	// starter is the Client that starts an order: orders (the default
	// mode) or a low-latency one, by the run's -mode. Decisions and
	// results go through orders: a Client's options matter at start only.
	starter func(order orderflow.Order) *orderflow.Client
}

// callTimeout bounds one attempt of a Client call. An Update waits for a
// worker, which may be restarting.
const callTimeout = 30 * time.Second

// drive runs one order: it starts it at its time, sends its decisions, and
// waits for its result until resultsBy. Calls the server does not answer
// (it, or the worker, is restarting) are retried until resultsBy too.
func (d *driver) drive(ctx context.Context, o *orderRun, runStart, resultsBy time.Time) {
	ctx, cancel := context.WithDeadline(ctx, resultsBy)
	defer cancel()
	if !sleepUntil(ctx, runStart.Add(o.StartAt)) {
		o.startErr = ctx.Err()
		return
	}
	if err := d.start(ctx, o.Order); err != nil {
		o.startErr = err
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { d.act(ctx, o) })
	d.await(o, resultsBy)
	wg.Wait()
}

func (d *driver) start(ctx context.Context, order orderflow.Order) error {
	// A retry attaches to the order the first attempt may have started
	// without hearing so.
	return d.retry(ctx, func(ctx context.Context) error { return d.starter(order).Start(ctx, order) })
}

// act sends the order's planned calls.
func (d *driver) act(ctx context.Context, o *orderRun) {
	if len(o.Ops) == 0 || !sleepUntil(ctx, time.Now().Add(o.ActAfter)) {
		return
	}
	var wg sync.WaitGroup
	for i, op := range o.Ops {
		if i > 0 && !sleepUntil(ctx, time.Now().Add(o.Gap)) {
			break
		}
		reason := fmt.Sprintf("%s #%d of %s", op, i+1, o.Order.OrderID)
		twice := i == 0 && o.Twice
		wg.Go(func() {
			d.call(ctx, o, op, reason)
			if twice && !o.TwiceAtOnce {
				d.call(ctx, o, op, reason)
			}
		})
		if twice && o.TwiceAtOnce {
			wg.Go(func() { d.call(ctx, o, op, reason) })
		}
	}
	wg.Wait()
}

// call sends one decision and records what it was told.
func (d *driver) call(ctx context.Context, o *orderRun, op op, reason string) {
	id := o.Order.OrderID
	err := d.retry(ctx, func(ctx context.Context) error {
		var err error
		switch op {
		case opApprove:
			_, err = d.orders.Approve(ctx, id, orderflow.Decision{Reason: reason})
		case opReject:
			_, err = d.orders.Reject(ctx, id, orderflow.Decision{Reason: reason})
		case opCancel:
			err = d.orders.Cancel(ctx, id, reason)
		}
		return err
	})
	o.record(callRecord{Op: op, Reason: reason, Err: err})
}

// await waits for the order's result until by.
func (d *driver) await(o *orderRun, by time.Time) {
	ctx, cancel := context.WithDeadline(context.Background(), by)
	defer cancel()
	for {
		res, err := d.orders.Result(ctx, o.Order.OrderID)
		if res != nil || !unreachable(err) || ctx.Err() != nil {
			o.mu.Lock()
			o.result, o.resultErr = res, err
			o.mu.Unlock()
			return
		}
		sleepUntil(ctx, time.Now().Add(500*time.Millisecond))
	}
}

// retry calls fn, each attempt bounded by callTimeout, until the server
// answers or ctx ends.
func (d *driver) retry(ctx context.Context, fn func(context.Context) error) error {
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		err := fn(cctx)
		cancel()
		if !unreachable(err) || ctx.Err() != nil {
			return err
		}
		sleepUntil(ctx, time.Now().Add(500*time.Millisecond))
	}
}

// unreachable reports whether err says that the server, or the worker
// behind an Update, did not answer: the call may be tried again.
//
// NamespaceNotFound counts too, since the run's namespace exists: while
// the database is down, and for a moment after it is back, the server may
// answer it (v1.32.1 reports any failed read of a namespace as not found).
func unreachable(err error) bool {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	var namespace *serviceerror.NamespaceNotFound
	return errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &namespace)
}

// sleepUntil waits until t, and reports false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// lastStatus asks a stuck order where it stands.
func (d *driver) lastStatus(o *orderRun) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := d.orders.State(ctx, o.Order.OrderID)
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		o.lastStatus = "status unknown: " + err.Error()
		return
	}
	o.lastStatus = describe(s)
}
