package orderflowtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow"
)

// Conformance suites share these settings and helpers.
const (
	// concurrency is how many goroutines the concurrency clauses run.
	concurrency = 8
	// cancelAfter is how long a cancellation clause lets a call run before
	// cancelling its context; promptly is how soon the call must then return.
	// promptly is generous, so that a loaded machine (-race, parallel
	// builds) does not fail a provider that returns at once; it still fails
	// one that ignores ctx, as a harness's Slow blocks for a minute.
	cancelAfter = 50 * time.Millisecond
	promptly    = 10 * time.Second
)

// clause runs one clause of a contract as a subtest with a harness of its own.
func clause[H any](t *testing.T, name string, newHarness func(t *testing.T) H, check func(t *testing.T, h H)) {
	t.Helper()
	t.Run(name, func(t *testing.T) { check(t, newHarness(t)) })
}

// newOrderID returns an order ID unique to this run, so that a suite run
// against a sandbox that keeps idempotency keys between runs starts afresh.
func newOrderID() string {
	b := make([]byte, 6)
	rand.Read(b) // never fails; see crypto/rand.Read
	return "CT-" + strings.ToUpper(hex.EncodeToString(b))
}

// key returns the idempotency key the workflow uses for a step of an order.
func key(orderID, activity string) string {
	return orderflow.IdempotencyKey(orderID, activity)
}

// permanent reports the type of the permanent failure err stands for, as
// orderflow's activities classify it, or "".
func permanent(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(ProviderError(err), &appErr) && appErr.NonRetryable() {
		return appErr.Type()
	}
	return ""
}

// checkCancel starts call, cancels its context while it runs, and checks
// that it returns promptly with an error that is not a permanent failure.
func checkCancel(t *testing.T, method string, call func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- call(ctx) }()
	select {
	case err := <-done:
		t.Fatalf("%s returned (err = %v) within %v, before its context was cancelled; the harness's Slow must make calls block for at least a minute", method, err, cancelAfter)
	case <-time.After(cancelAfter):
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("%s returned nil after its context was cancelled mid-call; want an error (such as ctx.Err()), as the outcome is unknown", method)
		} else if s := permanent(err); s != "" {
			t.Errorf("%s returned %v, wrapping %q, after its context was cancelled; a cancelled call is not a permanent failure and must not wrap an orderflow sentinel", method, err, s)
		}
	case <-time.After(promptly):
		t.Fatalf("%s still running %v after its context was cancelled; return promptly when ctx ends", method, promptly)
	}
}

// concurrently runs f(0) … f(n-1) in goroutines and waits for them.
func concurrently(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}

// wantWraps fails t unless err wraps sentinel.
func wantWraps(t *testing.T, method string, err, sentinel error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded; want an error wrapping %v (the harness arranged a failure)", method, sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("%s returned %v, which does not wrap %v; wrap it with %%w so the workflow fails the step at once instead of retrying", method, err, sentinel)
	}
}

// checkConcurrent runs call(ctx, i) for i in 0 … n-1 at once, with distinct
// orders and keys, and checks that every call succeeds with a distinct
// non-empty ID (a transaction, reservation or tracking number; "-" for
// methods without one).
func checkConcurrent(t *testing.T, method string, n int, call func(ctx context.Context, i int) (id string, err error)) {
	t.Helper()
	ids := make([]string, n)
	errs := make([]error, n)
	concurrently(n, func(i int) { ids[i], errs[i] = call(t.Context(), i) })
	seen := make(map[string]bool)
	for i, err := range errs {
		switch {
		case err != nil:
			t.Errorf("one of %d concurrent %s calls with distinct keys = %v; want success", n, method, err)
		case ids[i] == "-":
		case seen[ids[i]]:
			t.Errorf("two concurrent %s calls with distinct keys returned %q; want distinct results", method, ids[i])
		}
		seen[ids[i]] = true
	}
}

// wantRefusedReuse fails t unless err, the error of a call that reused key
// for another request (what says which), wraps orderflow.ErrPermanent.
func wantRefusedReuse(t *testing.T, method, key, what string, err error) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s reusing key %q for %s succeeded; want an error wrapping %v: a key names one request, and answering another with the first one's result tells the workflow that a step happened which did not",
			method, key, what, orderflow.ErrPermanent)
	case errors.Is(err, orderflow.ErrPermanent):
	case permanent(err) != "":
		t.Errorf("%s reusing key %q for %s = %v, wrapping %q; want an error wrapping %v: a reused key is a misuse of the key, not a business failure of the order",
			method, key, what, err, permanent(err), orderflow.ErrPermanent)
	default:
		t.Errorf("%s reusing key %q for %s = %v; want an error wrapping %v, which tells the workflow that the call did nothing, so that it neither retries it nor undoes by the key what the first request did",
			method, key, what, err, orderflow.ErrPermanent)
	}
}
