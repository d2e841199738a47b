package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/examples/internal/cluster"
	"github.com/orderflow/orderflow/examples/internal/testctx"
)

// TestMain runs a worker when the test binary is started as one (see
// startWorkers), else the tests.
func TestMain(m *testing.M) {
	if isWorkerProcess() {
		if err := runWorker(); err != nil {
			fmt.Fprintln(os.Stderr, "clusterbench worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil || cfg.n != 100 || cfg.concurrency != 32 || cfg.latencyN != 20 || cfg.warmup != 10 || cfg.rounds != 4 ||
		joinInts(cfg.workers) != "1,2,3" || strings.Join(cfg.modes, ",") != "bare,orderflow,checkout" ||
		strings.Join(cfg.targets, ",") != "cluster,single" || cfg.address != "" || cfg.namespace != "default" {
		t.Fatalf("defaults: %+v, %v", cfg, err)
	}
	cfg, err = parseFlags([]string{"-workers", "3, 1", "-modes", "checkout", "-targets", "single"}, io.Discard)
	if err != nil || joinInts(cfg.workers) != "1,3" || strings.Join(cfg.modes, ",") != "checkout" ||
		strings.Join(cfg.targets, ",") != "single" {
		t.Fatalf("-workers 3,1 -modes checkout -targets single: %+v, %v", cfg, err)
	}
	for _, args := range [][]string{
		{"-n", "0"}, {"-rounds", "0"}, {"-concurrency", "0"}, {"-latency-n", "0"}, {"-warmup", "-1"}, {"-workers", "0"},
		{"-workers", "1,1"}, {"-workers", "x"}, {"-modes", "bare,nope"}, {"-modes", "bare,bare"},
		{"-targets", "cloud"}, {"-namespace", ""}, {"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q): no error", args)
		}
	}
}

// TestReport checks the table's ratios and CPU figures, and the goals'
// verdicts, on made-up results.
func TestReport(t *testing.T) {
	cpu := func(server, workers time.Duration) map[string]time.Duration {
		return map[string]time.Duration{"history": server / 2, "postgres": server / 4, "server": server,
			"workers": workers, "client": time.Second}
	}
	results := []result{
		{target: "cluster", mode: "bare", workers: 1, orders: 100, ordersPerSec: 50, rates: []float64{50}, p50: 100 * time.Millisecond,
			wall: 2 * time.Second, cpu: cpu(2*time.Second, time.Second)},
		{target: "cluster", mode: "orderflow", workers: 1, orders: 100, ordersPerSec: 55, rates: []float64{55}, p50: 100 * time.Millisecond,
			wall: 2 * time.Second, cpu: cpu(2*time.Second, time.Second)},
		{target: "cluster", mode: "bare", workers: 2, orders: 100, ordersPerSec: 60, rates: []float64{60}, p50: 100 * time.Millisecond,
			wall: 2 * time.Second, cpu: cpu(2*time.Second, time.Second)},
		{target: "cluster", mode: "orderflow", workers: 2, orders: 100, ordersPerSec: 48, rates: []float64{48}, p50: 100 * time.Millisecond,
			wall: 2 * time.Second, cpu: cpu(2*time.Second, time.Second),
			writes: &cluster.Writes{Transactions: 11850, Rows: 8420, WAL: 100 * 125 * 1024}},
		{target: "single", mode: "bare", workers: 1, orders: 100, ordersPerSec: 100, p50: 50 * time.Millisecond,
			wall: time.Second, cpu: map[string]time.Duration{"server": time.Second}},
	}
	var out bytes.Buffer
	printTable(&out, results)
	printWrites(&out, results)
	printIdle(&out, []idleUse{{target: "cluster", wall: 2 * time.Second, cpu: serverCPU{total: time.Second,
		parts: map[string]time.Duration{"history": 600 * time.Millisecond, "postgres": 400 * time.Millisecond}}}})
	printRatios(&out, results, []int{1, 2})
	for _, want := range []string{
		"1.10×", // orderflow vs bare with 1 worker
		"0.80×", // orderflow vs bare with 2 workers
		"20.0",  // server CPU s per 1000 orders: 2 s / 100 orders
		"10.0",  // history, and workers
		"2.00",  // cores: (2 + 1 + 1) s over 2 s
		"cluster  0.50: history 0.30, postgres 0.20", // idle, in cores
		"cluster vs single-process server",
		"  bare  1 worker 0.50× (2.00×)\n", // cluster vs single: the only line
		"orderflow ≥ 1.0× bare's orders/s with every worker count: NOT met with 2 workers " +
			"(orders/s ratio, [95 % interval over the rounds]: 1 worker 1.10×, 2 workers 0.80×)",
		"adding workers never lowers orders/s: NOT met with orderflow 2 vs 1 " +
			"(orders/s ratio, [95 % interval over the rounds]: bare 2 vs 1 1.20×, orderflow 2 vs 1 0.87×)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// PostgreSQL's writes per order: the row of the result that has them.
	if !strings.Contains(out.String(), "PostgreSQL's writes per order") ||
		!slices.ContainsFunc(strings.Split(out.String(), "\n"), func(line string) bool {
			return slices.Equal(strings.Fields(line), []string{"cluster", "orderflow", "2", "118.5", "84.2", "125.0"})
		}) {
		t.Error("no row of PostgreSQL's writes with 118.5 transactions, 84.2 rows and 125.0 KB per order")
	}
	if row := tableRow(out.String(), "single", "bare", 1); row == nil || row[len(row)-3] != "10.0" || row[len(row)-2] != "-" {
		t.Errorf("single bare row %q: want server 10.0 and workers -", row)
	}
}

// TestGoalsMet checks the verdicts when the cluster meets both goals, and
// when it was not measured.
func TestGoalsMet(t *testing.T) {
	results := []result{
		{target: "cluster", mode: "bare", workers: 1, rates: []float64{50, 40}},
		{target: "cluster", mode: "orderflow", workers: 1, rates: []float64{50, 40}},
		{target: "cluster", mode: "bare", workers: 3, rates: []float64{60, 48}},
		{target: "cluster", mode: "orderflow", workers: 3, rates: []float64{66, 52.8}},
	}
	got := strings.Join(goals(results, []int{1, 3}), "\n")
	want := "orderflow ≥ 1.0× bare's orders/s with every worker count: met " +
		"(orders/s ratio, [95 % interval over the rounds]: 1 worker 1.00× [1.00–1.00], 3 workers 1.10× [1.10–1.10])\n" +
		"adding workers never lowers orders/s: met " +
		"(orders/s ratio, [95 % interval over the rounds]: bare 3 vs 1 1.20× [1.20–1.20], orderflow 3 vs 1 1.32× [1.32–1.32])"
	if got != want {
		t.Errorf("goals:\n%s\nwant:\n%s", got, want)
	}
	if got := goals(results[:0], []int{1}); len(got) != 1 || !strings.Contains(got[0], "not judged") {
		t.Errorf("goals without the cluster: %q", got)
	}
}

// TestGoalsWithinNoise checks that a ratio under 1.0 is NOT met when every
// round shows it, and is reported as within the noise when the rounds
// disagree.
func TestGoalsWithinNoise(t *testing.T) {
	results := []result{
		{target: "cluster", mode: "bare", workers: 1, rates: []float64{10, 10, 10, 10}},
		// Every round 8 to 12 % under: a shortfall.
		{target: "cluster", mode: "orderflow", workers: 1, rates: []float64{9, 8.8, 9.2, 8.9}},
		{target: "cluster", mode: "bare", workers: 2, rates: []float64{10, 10, 10, 10}},
		// 0.97× on average, rounds from 0.85 to 1.10: noise.
		{target: "cluster", mode: "orderflow", workers: 2, rates: []float64{8.5, 11, 9.5, 10}},
	}
	got := goals(results, []int{1, 2})
	if !strings.HasPrefix(got[0], "orderflow ≥ 1.0× bare's orders/s with every worker count: NOT met with 1 worker (") ||
		!strings.Contains(got[0], "1 worker 0.90× [0.87–0.92], 2 workers 0.97× [0.82–1.15]") {
		t.Errorf("first goal: %s", got[0])
	}
	got = goals(results[2:], []int{2})
	if !strings.HasPrefix(got[0], "orderflow ≥ 1.0× bare's orders/s with every worker count: met within the run's noise: "+
		"under 1.0× but not shown to be, with 2 workers (") {
		t.Errorf("first goal without the shortfall: %s", got[0])
	}
}

// TestRun runs every mode with 1 and 2 worker processes, a few orders each,
// on a cluster (as one that already runs: -address) and on the devserver,
// and checks that the table has a row with positive orders/s for each and
// that every order completed. It asserts no timing.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster and a devserver")
	}
	c := cluster.ForTest(t)
	ctx := testctx.Context(t)
	const n, latencyN, warmup, rounds = 10, 3, 2, 2
	var out bytes.Buffer
	results, err := run(ctx, []string{"-address", c.Address, "-namespace", c.Namespace,
		"-n", strconv.Itoa(n), "-latency-n", strconv.Itoa(latencyN), "-warmup", strconv.Itoa(warmup),
		"-rounds", strconv.Itoa(rounds), "-concurrency", "8", "-workers", "1,2"}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	combinations := 0
	for _, target := range targetNames {
		for _, workers := range []int{1, 2} {
			for _, mode := range modeNames {
				combinations++
				row := tableRow(out.String(), target, mode, workers)
				if row == nil {
					t.Errorf("no row for %s %s %d", target, mode, workers)
					continue
				}
				if ops, err := strconv.ParseFloat(row[3], 64); err != nil || ops <= 0 {
					t.Errorf("%s %s %d: orders/s %q, want a positive number", target, mode, workers, row[3])
				}
			}
		}
	}
	if len(results) != combinations {
		t.Errorf("%d results, want %d", len(results), combinations)
	}
	for _, r := range results {
		if want := rounds * (warmup + latencyN + n); r.completed != want {
			t.Errorf("%s %s %d: %d orders completed, want %d", r.target, r.mode, r.workers, r.completed, want)
		}
		// The cluster at -address is not this program's: no server figures.
		if _, ok := r.cpu["server"]; ok != (r.target == "single") {
			t.Errorf("%s %s %d: server CPU known is %v", r.target, r.mode, r.workers, ok)
		}
	}
	want := fmt.Sprintf("all %d orders completed", combinations*rounds*(warmup+latencyN+n))
	if !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q", want)
	}
}

// tableRow returns the fields of the table's row of target, mode and
// workers, or nil.
func tableRow(table, target, mode string, workers int) []string {
	for line := range strings.Lines(table) {
		if f := strings.Fields(line); len(f) > 8 && f[0] == target && f[1] == mode && f[2] == strconv.Itoa(workers) {
			return f
		}
	}
	return nil
}
