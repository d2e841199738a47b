package crashtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/orderflow/orderflow"
	"go.temporal.io/sdk/temporal"
)

// config is one run's size, faults and seed.
type config struct {
	Seed                       uint64
	Orders, Kills, ServerKills int
	Rates                      rates
	Business, Refuse           float64 // shares of orders
	// Wait is how long after the last start every order must have ended;
	// when it is zero, every order must have ended by Until.
	Wait    time.Duration
	Until   time.Time
	Verbose bool
	// Mode is which mode the orders run in: "default", "low-latency"
	// (Options.LowLatency: local activities) or "mixed" (every other
	// order in each).
	Mode string
}

func (c config) validate() error {
	switch {
	case c.Orders < 1:
		return fmt.Errorf("-orders must be at least 1, got %d", c.Orders)
	case c.Kills < 0 || c.ServerKills < 0:
		return fmt.Errorf("-kills and -server-kills must not be negative")
	case c.Business < 0 || c.Business > 1 || c.Refuse < 0 || c.Refuse > 1:
		return fmt.Errorf("-business and -refuse must be between 0 and 1")
	case c.Wait < 0 || (c.Wait == 0 && c.Until.IsZero()):
		return fmt.Errorf("-wait must be positive")
	case c.Mode != "default" && c.Mode != "low-latency" && c.Mode != "mixed":
		return fmt.Errorf("-mode must be default, low-latency or mixed, got %q", c.Mode)
	}
	return c.Rates.validate()
}

// The run's pace. Orders start every startEvery; their activities time out
// after activityTimeout, so slow calls land after that; large orders wait
// approvalTimeout for a decision.
const (
	taskQueue       = "crashtest"
	startEvery      = 150 * time.Millisecond
	activityTimeout = 2 * time.Second
	approvalTimeout = 8 * time.Second
	// workerDown is the longest pause before a killed worker restarts.
	workerDown = time.Second
)

// clientOptions are the orders' settings: short timeouts and retries, so
// that a run takes a minute rather than an hour.
func clientOptions(lowLatency bool) *orderflow.Options {
	retry := &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaximumInterval: time.Second}
	return &orderflow.Options{
		TaskQueue:         taskQueue,
		ApprovalTimeout:   approvalTimeout,
		ActivityTimeout:   activityTimeout,
		Retry:             retry,
		CompensationRetry: retry,
		LowLatency:        lowLatency,
	}
}

// world is what a run runs on: the Temporal server, the ledger behind its
// HTTP service, and the worker process.
type world struct {
	server  *temporalServer
	ledger  *ledger
	faults  *injector
	service *service
	worker  *proc
}

// setUp starts the world of cfg; dir holds the devserver's binary and state.
func setUp(cfg config, dir string) (w *world, err error) {
	w = &world{ledger: newLedger(), faults: newInjector(cfg.Seed, cfg.Rates, activityTimeout)}
	defer func() {
		if err != nil {
			w.tearDown()
		}
	}()
	logger := newLogger(cfg.Verbose)
	if cfg.ServerKills > 0 {
		w.server, err = startDevserver(dir, logger, cfg.Verbose)
	} else {
		w.server, err = startEmbedded(logger)
	}
	if err != nil {
		return w, err
	}
	if w.service, err = startService(w.ledger, w.faults); err != nil {
		return w, err
	}
	wc := workerConfig{Address: w.server.Address, Namespace: w.server.Namespace, TaskQueue: taskQueue,
		Ledger: w.service.url, Verbose: cfg.Verbose}
	w.worker, err = startProc("worker", workerLauncher(wc))
	return w, err
}

func (w *world) tearDown() {
	if w.worker != nil {
		w.worker.close()
	}
	if w.service != nil {
		w.service.close()
	}
	if w.server != nil {
		w.server.stop()
	}
}

// outcome is what a run did and found.
type outcome struct {
	runs               []*orderRun
	kills, serverKills int
	// workerCrashes and serverCrashes count exits the test did not cause.
	workerCrashes, serverCrashes int
	// harness lists problems of the test's own machinery, such as a server
	// that did not come back; they count as violations, since the run's
	// findings are then incomplete.
	harness []string
}

// run runs cfg's orders in w while killing the worker (and the server) on
// schedule, then settles the books and checks them.
func (w *world) run(cfg config) *outcome {
	orders, err := orderflow.NewClient(w.server.Client, clientOptions(false))
	if err != nil {
		return &outcome{harness: []string{err.Error()}}
	}
	fast, err := orderflow.NewClient(w.server.Client, clientOptions(true))
	if err != nil {
		return &outcome{harness: []string{err.Error()}}
	}
	plans := makePlans(rand.New(rand.NewPCG(cfg.Seed, 0)), planConfig{Orders: cfg.Orders, Business: cfg.Business,
		Refuse: cfg.Refuse, StartEvery: startEvery, ApprovalTimeout: approvalTimeout})
	out := &outcome{}
	for _, p := range plans {
		w.ledger.setTerms(p.Order.OrderID, p.Terms)
		out.runs = append(out.runs, &orderRun{plan: p})
	}
	lowLatency := map[string]bool{}
	for i, p := range plans {
		lowLatency[p.Order.OrderID] = cfg.Mode == "low-latency" || (cfg.Mode == "mixed" && i%2 == 1)
	}
	d := &driver{orders: orders, starter: func(o orderflow.Order) *orderflow.Client {
		if lowLatency[o.OrderID] {
			return fast
		}
		return orders
	}}
	lastStart := plans[len(plans)-1].StartAt
	start := time.Now()

	chaos, stopChaos := context.WithCancel(context.Background())
	var chaosDone sync.WaitGroup
	w.scheduleKills(chaos, cfg, start, lastStart+approvalTimeout, out, &chaosDone)

	by := cfg.Until
	if cfg.Wait > 0 {
		by = start.Add(lastStart + cfg.Wait)
	}
	var drivers sync.WaitGroup
	for _, o := range out.runs {
		drivers.Go(func() { d.drive(context.Background(), o, start, by) })
	}
	drivers.Wait()
	stopChaos()
	chaosDone.Wait()
	var queries sync.WaitGroup
	for _, o := range out.runs {
		if o.result == nil && o.startErr == nil {
			queries.Go(func() { d.lastStatus(o) })
		}
	}
	queries.Wait()
	w.settle(out)
	return out
}

// scheduleKills starts the goroutines that kill the worker, and the server
// if it is a child process, spread over [1 s, until].
func (w *world) scheduleKills(ctx context.Context, cfg config, start time.Time, until time.Duration, out *outcome, wg *sync.WaitGroup) {
	rng := rand.New(rand.NewPCG(cfg.Seed, 1))
	workerKills := killSchedule(rng, cfg.Kills, time.Second, until, workerDown)
	serverKills := killSchedule(rng, cfg.ServerKills, 2*time.Second, until, 0)
	var mu sync.Mutex
	harness := func(errs []error) {
		mu.Lock()
		defer mu.Unlock()
		for _, err := range errs {
			out.harness = append(out.harness, err.Error())
		}
	}
	wg.Go(func() {
		n, errs := runKills(ctx, start, w.worker, workerKills)
		out.kills = n
		harness(errs)
	})
	if w.server.proc != nil {
		wg.Go(func() {
			n, errs := runKills(ctx, start, w.server.proc, serverKills)
			out.serverKills = n
			harness(errs)
		})
	}
}

// settle stops the worker and waits for calls in flight (slow ones land
// late), so that the books are final; then it notes the harness's trouble.
func (w *world) settle(out *outcome) {
	crashes, errs := w.worker.trouble()
	w.worker.close()
	if !w.service.drain(w.faults.hangLimit() + 5*time.Second) {
		out.harness = append(out.harness, "provider calls still in flight after the run; the books may be incomplete")
	}
	out.workerCrashes = crashes
	for _, err := range errs {
		out.harness = append(out.harness, err.Error())
	}
	if w.server.proc != nil {
		crashes, errs := w.server.proc.trouble()
		out.serverCrashes = crashes
		for _, err := range errs {
			out.harness = append(out.harness, err.Error())
		}
	}
}
