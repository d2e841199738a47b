package crashtest

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/examples/internal/cluster"
	"github.com/orderflow/orderflow/examples/internal/testctx"
)

// The run's flags; see the package documentation.
var (
	flagOrders      = flag.Int("orders", 60, "number of orders")
	flagKills       = flag.Int("kills", 2, "times the worker is killed with SIGKILL and restarted")
	flagServerKills = flag.Int("server-kills", 0, "times the Temporal server is killed and restarted (runs it as a child process)")
	flagTransient   = flag.Float64("transient", 0.1, "share of provider calls that fail before doing anything")
	flagLost        = flag.Float64("lost", 0.05, "share of provider calls whose reply is lost after they took effect")
	flagSlow        = flag.Float64("slow", 0.05, "share of provider calls that take effect after the activity's timeout")
	flagBusiness    = flag.Float64("business", 0.15, "share of orders with a business failure (declined, out of stock, undeliverable)")
	flagRefuse      = flag.Float64("refuse", 0.03, "share of orders whose refund or release is refused for good")
	flagSeed        = flag.Uint64("seed", 0, "seed of the run's random choices (default: from the clock, printed)")
	flagWait        = flag.Duration("wait", 0, "how long after the last start every order must have ended (default: until shortly before go test's -timeout)")
	flagVerbose     = flag.Bool("verbose", false, "show the worker's, the server's and the SDK's logs")
	flagDump        = flag.String("dump", "", "directory to write the event histories of orders with violations to")
	flagPrint       = flag.Bool("print-orders", false, "print every order: its plan, its calls and how it ended")
	flagMode        = flag.String("mode", "mixed", "the orders' mode: default, low-latency (local activities), or mixed (every other order)")
	flagWorkers     = flag.Int("workers", 1, "worker processes polling the task queue; each kill picks one")
	flagCluster     = flag.Bool("cluster", false, "run on a cluster (PostgreSQL and five server processes) and crash a history process, the matching process and PostgreSQL once each")
	flagAddress     = flag.String("address", "", "run on the Temporal server at host:port, a cluster of your own say, instead of one of the run's own")
	flagNamespace   = flag.String("namespace", "default", "the namespace to run in, with -address")
)

func TestMain(m *testing.M) {
	if isWorkerProcess() {
		if err := runWorker(); err != nil {
			fmt.Fprintln(os.Stderr, "crashtest worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestCrashAndFault runs the orders of the flags with a worker (and a
// server) that is killed and restarted, and providers that fail, then checks
// every order against the providers' books.
func TestCrashAndFault(t *testing.T) {
	runCrashTest(t, configFromFlags())
}

// TestCrashAndFaultOnCluster is a small run on a cluster: three worker
// processes, each killed at random, while a history process, the matching
// process and PostgreSQL crash once each. It is skipped when the flags ask
// for a cluster or a server of their own, which TestCrashAndFault then
// runs on, and without PostgreSQL (unless $ORDERFLOW_REQUIRE_CLUSTER is 1).
func TestCrashAndFaultOnCluster(t *testing.T) {
	if *flagCluster || *flagAddress != "" {
		t.Skip("TestCrashAndFault runs on the cluster or server of the flags")
	}
	if err := cluster.Available(); err != nil {
		if os.Getenv(cluster.RequireEnv) == "1" {
			t.Fatal(err)
		}
		t.Skipf("%v (set %s=1 to fail instead)", err, cluster.RequireEnv)
	}
	cluster.Exclusive(t)
	cfg := configFromFlags()
	cfg.Cluster, cfg.Workers, cfg.Orders, cfg.Kills = true, 3, 60, 3
	runCrashTest(t, cfg)
}

func runCrashTest(t *testing.T, cfg config) {
	if cfg.Wait == 0 {
		// No budget sized for one machine: the orders may take until the
		// test's deadline, less a minute to settle the books (calls in
		// flight land within seconds) and report.
		cfg.Until = testctx.Deadline(t).Add(-time.Minute)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	fmt.Printf("crashtest: starting with -seed %d -orders %d -workers %d -kills %d -server-kills %d -cluster=%t -transient %g -lost %g -slow %g -business %g -refuse %g -mode %s\n",
		cfg.Seed, cfg.Orders, cfg.Workers, cfg.Kills, cfg.ServerKills, cfg.Cluster, cfg.Rates.Transient, cfg.Rates.Lost, cfg.Rates.Slow, cfg.Business, cfg.Refuse, cfg.Mode)
	w, err := setUp(cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.tearDown()

	out := w.run(cfg)
	r := makeReport(cfg, w, out, time.Since(began))
	for _, n := range r.notes {
		t.Log(n)
	}
	if *flagPrint {
		for _, o := range out.runs {
			fmt.Println(o.line())
		}
	}
	for _, v := range r.violations {
		fmt.Println(v)
	}
	fmt.Println(r.summary)
	if *flagDump != "" {
		dumpHistories(t, w.server.Client, *flagDump, r.broken)
	}
	if len(r.violations) > 0 {
		w.server.keepLogs = true
		t.Errorf("%d violations; replay with -seed %d", len(r.violations), cfg.Seed)
	}
}

func configFromFlags() config {
	seed := *flagSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano()%1_000_000_000) + 1
	}
	return config{
		Seed: seed, Orders: *flagOrders, Kills: *flagKills, ServerKills: *flagServerKills,
		Rates:    rates{Transient: *flagTransient, Lost: *flagLost, Slow: *flagSlow},
		Business: *flagBusiness, Refuse: *flagRefuse, Wait: *flagWait, Verbose: *flagVerbose, Mode: *flagMode,
		Workers: *flagWorkers, Cluster: *flagCluster, Address: *flagAddress, Namespace: *flagNamespace,
	}
}

func dumpHistories(t *testing.T, c client.Client, dir string, orderIDs []string) {
	for _, id := range orderIDs {
		path, err := dumpHistory(c, dir, id)
		if err != nil {
			t.Log(err)
			continue
		}
		fmt.Printf("crashtest: history of %s in %s\n", id, path)
	}
}
