// Package testctx bounds what a test waits for by the test's own deadline
// (go test -timeout, 10 minutes unless given), never by a budget sized for
// one machine: on a machine twice as slow, a test waits twice as long and
// still passes, and a test that hangs still fails with its own message,
// shortly before go test would panic.
package testctx

import (
	"context"
	"flag"
	"testing"
	"time"
)

// MaxMargin is the most time Deadline leaves between a test's waits and go
// test's -timeout: enough to report what the test waited for and clean up.
const MaxMargin = 30 * time.Second

// unbounded is how long a test may wait when go test has no deadline
// (-timeout 0). A context needs some deadline: without one, orderflow's
// Client bounds each call by Options.CallTimeout.
const unbounded = 24 * time.Hour

// Deadline returns when the test's waits must end: go test's deadline less
// a margin (a twentieth of the time left, at most MaxMargin), or a day from
// now when go test has no deadline or t is a benchmark.
func Deadline(t testing.TB) time.Time {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := d.Deadline(); ok {
			return deadline.Add(-min(MaxMargin, time.Until(deadline)/20))
		}
	}
	return time.Now().Add(unbounded)
}

// Context returns a context that ends at Deadline(t), or when the test's
// cleanup functions registered before this call run. Unlike t.Context, it
// is still live in the cleanup functions registered after it.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), Deadline(t))
	t.Cleanup(cancel)
	return ctx
}

// Main returns a context for TestMain's setup, which runs before go test's
// -timeout alarm is set: it ends at that timeout from now, less the margin
// Deadline leaves. Call it after flag.Parse.
func Main() (context.Context, context.CancelFunc) {
	timeout := time.Duration(0)
	if f := flag.Lookup("test.timeout"); f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			timeout, _ = g.Get().(time.Duration)
		}
	}
	if timeout <= 0 {
		return context.WithTimeout(context.Background(), unbounded)
	}
	return context.WithTimeout(context.Background(), timeout-min(MaxMargin, timeout/20))
}

// Background returns a context that ends at Deadline(t), for a wait that
// ends before the test does. Cancel it when done.
func Background(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithDeadline(context.Background(), Deadline(t))
}
