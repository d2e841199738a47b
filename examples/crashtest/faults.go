package crashtest

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"
)

// rates are the probabilities of the faults injected into each provider call.
type rates struct {
	Transient float64 // an error before anything happens
	Lost      float64 // the effect happens, then an error or no answer
	Slow      float64 // the effect happens after the caller's timeout
}

func (r rates) validate() error {
	for _, v := range []float64{r.Transient, r.Lost, r.Slow} {
		if v < 0 || v > 1 {
			return fmt.Errorf("fault rates must be between 0 and 1, got %+v", r)
		}
	}
	if sum := r.Transient + r.Lost + r.Slow; sum > 1 {
		return fmt.Errorf("fault rates add up to %.2f, more than 1", sum)
	}
	return nil
}

// fault is what happens to one provider call.
type fault int

const (
	faultNone      fault = iota
	faultTransient       // answer an error; do nothing
	faultLostError       // do it, then answer an error
	faultLostHang        // do it, then answer nothing until the caller gives up
	faultSlow            // do it after the caller's timeout
	faultKinds
)

var faultNames = [faultKinds]string{"none", "transient", "lost-error", "lost-hang", "slow"}

// injector picks the fault of each call. A call's fault depends only on the
// seed, the endpoint, the idempotency key and how many calls that endpoint
// saw with that key before, so a replay with the same seed draws the same
// faults however the calls interleave.
type injector struct {
	seed  uint64
	rates rates
	// timeout is the activities' start-to-close timeout; slow calls land
	// after it.
	timeout time.Duration

	mu     sync.Mutex
	calls  map[string]uint64
	counts [faultKinds]int
}

func newInjector(seed uint64, r rates, timeout time.Duration) *injector {
	return &injector{seed: seed, rates: r, timeout: timeout, calls: map[string]uint64{}}
}

// pick returns the fault of the next call to path with key, and the random
// source the call uses for its delays.
func (in *injector) pick(path, key string) (fault, *rand.Rand) {
	in.mu.Lock()
	n := in.calls[path+" "+key]
	in.calls[path+" "+key] = n + 1
	in.mu.Unlock()

	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%d", path, key, n)
	rng := rand.New(rand.NewPCG(in.seed, h.Sum64()))
	f := faultNone
	switch u := rng.Float64(); {
	case u < in.rates.Transient:
		f = faultTransient
	case u < in.rates.Transient+in.rates.Lost:
		f = faultLostError
		if rng.IntN(2) == 0 {
			f = faultLostHang
		}
	case u < in.rates.Transient+in.rates.Lost+in.rates.Slow:
		f = faultSlow
	}
	in.mu.Lock()
	in.counts[f]++
	in.mu.Unlock()
	return f, rng
}

// slowDelay is how long a slow call waits before it takes effect: past the
// caller's timeout, so the caller has given up and may have compensated.
func (in *injector) slowDelay(rng *rand.Rand) time.Duration {
	return in.timeout + 200*time.Millisecond + time.Duration(rng.Int64N(int64(1300*time.Millisecond)))
}

// hangLimit bounds how long a lost reply keeps the caller waiting; the caller
// normally gives up first, at its timeout.
func (in *injector) hangLimit() time.Duration { return in.timeout + 3*time.Second }

// summary says how many calls got each fault.
func (in *injector) summary() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := "provider calls:"
	for f := faultNone; f < faultKinds; f++ {
		s += fmt.Sprintf(" %s=%d", faultNames[f], in.counts[f])
	}
	return s
}
