package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

// TestMain runs the worker when the test binary is started as one (see
// startWorker), else the tests.
func TestMain(m *testing.M) {
	if isWorkerProcess() {
		if err := runWorker(); err != nil {
			fmt.Fprintln(os.Stderr, "waitbench worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil || strings.Join(cfg.modes, ",") != "bare,orderflow,lowlatency" || cfg.orders != 10000 || cfg.cache != 0 {
		t.Fatalf("defaults: %+v, %v", cfg, err)
	}
	for _, args := range [][]string{
		{"-orders", "0"}, {"-concurrency", "0"}, {"-cache", "-1"}, {"-modes", "bare,nope"},
		{"-modes", "bare,bare"}, {"-settle", "0s"}, {"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q): no error", args)
		}
	}
}

// TestRun runs every mode with a few orders against a devserver process,
// and checks the table.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a Temporal server")
	}
	var out bytes.Buffer
	results, err := run([]string{"-orders", "20", "-concurrency", "8", "-settle", "1s"}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(modeNames) {
		t.Fatalf("%d results, want %d", len(results), len(modeNames))
	}
	for i, r := range results {
		if r.name != modeNames[i] || r.orders != 20 {
			t.Errorf("result %d: %s with %d orders, want %s with 20", i, r.name, r.orders, modeNames[i])
		}
		if r.rssIdle == 0 || r.rssWaiting == 0 || r.waiting.HeapAlloc == 0 || r.waiting.Goroutines <= 0 ||
			r.approveAll <= 0 || r.approvesPerSec <= 0 {
			t.Errorf("%s: a figure is not positive: %+v", r.name, r)
		}
		if !tableHasRow(out.String(), r.name) {
			t.Errorf("table has no row for %s", r.name)
		}
	}
	if !strings.Contains(out.String(), "1.00×") {
		t.Errorf("table has no ×bare ratio of 1.00× for bare")
	}
}

// tableHasRow reports whether a line of table starts with mode and 20 orders.
func tableHasRow(table, mode string) bool {
	for line := range strings.Lines(table) {
		if f := strings.Fields(line); len(f) > 2 && f[0] == mode && f[1] == "20" {
			return true
		}
	}
	return false
}

// TestCacheBoundsTheWaitingOrdersInMemory runs more orders than the sticky
// workflow cache holds, on the worker of examples/worker's setup: only the cache's
// worth of waiting orders keep goroutines (four each: the workflow's and
// the three listeners that keep its decisions in history order), and the
// others, evicted, still complete once approved (replayed from their
// history).
func TestCacheBoundsTheWaitingOrdersInMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a Temporal server")
	}
	var out bytes.Buffer
	results, err := run([]string{"-orders", "60", "-modes", "orderflow", "-cache", "10", "-settle", "1s"}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	r := results[0]
	if held := r.waiting.Goroutines - r.idle.Goroutines; held > 60 || held < 20 {
		t.Fatalf("60 waiting orders with a cache of 10 hold %d more goroutines than an idle worker; want about 40", held)
	}
}
