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
	// Workers is how many worker processes poll the task queue; each
	// worker kill picks one.
	Workers int
	// Cluster runs the orders on a cluster (package cluster) and crashes
	// its parts once each during the run: a history process, the matching
	// process, PostgreSQL.
	Cluster bool
	// Address, if set, is a Temporal server to run on, in Namespace,
	// instead of one of the run's own.
	Address, Namespace string
	Rates              rates
	Business, Refuse   float64 // shares of orders
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
	case c.Workers < 1:
		return fmt.Errorf("-workers must be at least 1, got %d", c.Workers)
	case c.Cluster && c.Address != "":
		return fmt.Errorf("-cluster starts a cluster of its own: it does not take -address")
	case c.ServerKills > 0 && (c.Cluster || c.Address != ""):
		return fmt.Errorf("-server-kills kills the devserver; -cluster crashes the cluster's parts, and a server at -address is not the run's to kill")
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
// HTTP service, and the worker processes.
type world struct {
	server  *temporalServer
	ledger  *ledger
	faults  *injector
	service *service
	workers []*proc
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
	switch {
	case cfg.Cluster:
		w.server, err = startCluster(logger, cfg.Verbose)
	case cfg.Address != "":
		w.server, err = connect(cfg.Address, cfg.Namespace, logger)
	case cfg.ServerKills > 0:
		w.server, err = startDevserver(dir, logger, cfg.Verbose)
	default:
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
	for i := range cfg.Workers {
		p, err := startProc(fmt.Sprintf("worker %d", i+1), workerLauncher(wc))
		if err != nil {
			return w, err
		}
		w.workers = append(w.workers, p)
	}
	return w, nil
}

func (w *world) tearDown() {
	for _, p := range w.workers {
		p.close()
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
	// crashed lists the cluster's parts crashed, in order, with how long
	// each stayed down.
	crashed []string
	// clusterRestarts counts, by part, the cluster's exits the test did not
	// cause, each followed by a restart, as an orchestrator does.
	clusterRestarts map[string]int
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
		Refuse: cfg.Refuse, StartEvery: startEvery, ApprovalTimeout: approvalTimeout, IDPrefix: idPrefix(cfg)})
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
	for i := range workerKills {
		workerKills[i].Target = rng.IntN(len(w.workers))
	}
	wg.Go(func() {
		n, errs := runKills(ctx, start, w.workers, workerKills)
		out.kills = n
		harness(errs)
	})
	if w.server.cluster != nil {
		wg.Go(func() {
			crashed, errs := crashCluster(ctx, w.server.cluster, start, until)
			out.crashed = crashed
			harness(errs)
		})
	}
	if w.server.proc != nil {
		wg.Go(func() {
			n, errs := runKills(ctx, start, []*proc{w.server.proc}, serverKills)
			out.serverKills = n
			harness(errs)
		})
	}
}

// settle stops the worker and waits for calls in flight (slow ones land
// late), so that the books are final; then it notes the harness's trouble.
func (w *world) settle(out *outcome) {
	var crashes int
	var errs []error
	for _, p := range w.workers {
		c, e := p.trouble()
		p.close()
		crashes += c
		errs = append(errs, e...)
	}
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
	if w.server.cluster != nil {
		out.clusterRestarts = w.server.cluster.Restarts()
		for _, n := range out.clusterRestarts {
			out.serverCrashes += n
		}
	}
}

// idPrefix starts the run's order IDs: on a server of the run's own, the
// same for every run; on one at -address, which may hold earlier runs'
// orders, the seed's.
func idPrefix(cfg config) string {
	if cfg.Address != "" {
		return fmt.Sprintf("crash-%d-", cfg.Seed)
	}
	return "crash-"
}
