package orderflowtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/orderflow/orderflow"
)

// ErrTransient is a plain error for injecting transient failures. It wraps no
// orderflow sentinel, so the workflow retries the call.
var ErrTransient = errors.New("orderflowtest: transient failure")

// Call is one recorded call of an in-memory provider.
type Call struct {
	// Method is the provider method's name: "Charge", "Refund", "Reserve",
	// "Release", "Arrange" or "Send".
	Method string
	// OrderID and IdempotencyKey are copied from Request.
	OrderID        string
	IdempotencyKey string
	// Request is the request as passed: an orderflow.ChargeRequest,
	// RefundRequest, ReserveRequest, ReleaseRequest, DeliveryRequest or Email.
	Request any
	// Result is what the call returned (an orderflow.PaymentResult,
	// InventoryResult or DeliveryResult), or nil for methods without a
	// result and for failed calls.
	Result any
	// Err is the error the call returned.
	Err error
}

// recorder holds the lock and the call log shared by every provider. Its
// mutex also guards the provider's own state.
type recorder struct {
	mu    sync.Mutex
	calls []Call
}

// Calls returns a copy of the calls made so far, in the order they ended.
func (r *recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// invocation describes one provider call for serve.
type invocation struct {
	method, orderID, key string
	request              any
	latency              time.Duration
	faults               *Faults
	noResult             bool // the method returns only an error
}

// serve runs one provider call: it waits out the latency (returning early
// when ctx ends), applies an injected fault, runs effect under the
// provider's lock, and records the call.
func serve[R any](ctx context.Context, r *recorder, in invocation, effect func() (R, error)) (R, error) {
	var zero R
	res, err := zero, wait(ctx, in.latency)
	if err == nil {
		f := in.faults.next(in.orderID)
		if f.err != nil && !f.lost {
			err = f.err
		} else {
			r.mu.Lock()
			res, err = effect()
			r.mu.Unlock()
			if err == nil && f.lost {
				res, err = zero, f.err
			}
		}
	}
	var result any
	if err == nil && !in.noResult {
		result = res
	}
	r.mu.Lock()
	r.calls = append(r.calls, Call{Method: in.method, OrderID: in.orderID, IdempotencyKey: in.key,
		Request: in.request, Result: result, Err: err})
	r.mu.Unlock()
	return res, err
}

// serveErr is serve for methods that return only an error.
func serveErr(ctx context.Context, r *recorder, in invocation, effect func() error) error {
	in.noResult = true
	_, err := serve(ctx, r, in, func() (struct{}, error) { return struct{}{}, effect() })
	return err
}

// wait sleeps for d, or until ctx ends. A call whose ctx has already ended
// fails at once, as a network call would.
func wait(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// reuse collects how a request differs from the first request made under
// its idempotency key. Customer data (addresses, email addresses, item
// names) is named, never shown: error messages reach workflow histories.
type reuse []string

// add notes a difference when differs, described by format and args.
func (r *reuse) add(differs bool, format string, args ...any) {
	if differs {
		*r = append(*r, fmt.Sprintf(format, args...))
	}
}

// err returns nil when nothing differs, else the permanent failure of a
// call that reused key for another request and did nothing: "nothing was
// charged" says what.
func (r reuse) err(what, key, nothing string) error {
	if len(r) == 0 {
		return nil
	}
	return fmt.Errorf("orderflowtest: %s key %q was first used for another request (%s); %s: %w",
		what, key, strings.Join(r, "; "), nothing, orderflow.ErrPermanent)
}

// newID makes an identifier with gen, or a random one when gen is nil.
func newID(gen func(prefix string, digits int) string, prefix string, digits int) string {
	if gen != nil {
		return gen(prefix, digits)
	}
	b := make([]byte, (digits+1)/2)
	rand.Read(b) // never fails; see crypto/rand.Read
	return prefix + strings.ToUpper(hex.EncodeToString(b))[:digits]
}

// SequentialIDs returns an ID generator for the providers' NewID fields that
// counts from 1 for each prefix: TXN-000000000001, TXN-000000000002,
// RES-000000000001, TRACK-0000000000000001… Use it where output is checked,
// as in examples. It is safe for concurrent use and may be shared by several
// providers.
func SequentialIDs() func(prefix string, digits int) string {
	var mu sync.Mutex
	next := make(map[string]int)
	return func(prefix string, digits int) string {
		mu.Lock()
		defer mu.Unlock()
		next[prefix]++
		return fmt.Sprintf("%s%0*d", prefix, digits, next[prefix])
	}
}
