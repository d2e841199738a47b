package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags(nil)
	if err != nil || strings.Join(cfg.modes, ",") != "noop,bare,orderflow,lowlatency,checkout,checkout-lowlatency,orderflow+encryption,orderflow+metrics" {
		t.Fatalf("defaults: %+v, %v", cfg, err)
	}
	for _, args := range [][]string{{"-modes", "noop,nope"}, {"-n", "0"}, {"-concurrency", "0"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q): no error", args)
		}
	}
}

func TestPrintCosts(t *testing.T) {
	var out bytes.Buffer
	printTable(&out, []result{
		{name: "orderflow", p50: 40 * time.Millisecond, p99: 50 * time.Millisecond, ordersPerSec: 20},
		{name: "orderflow+encryption", p50: 44 * time.Millisecond, p99: 60 * time.Millisecond, ordersPerSec: 18},
	})
	if want := "orderflow+encryption vs orderflow: p50 1.10×, p99 1.20×, orders/s 0.90×"; !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
}

func TestPrintTableRatios(t *testing.T) {
	var out bytes.Buffer
	printTable(&out, []result{
		{name: "noop", p50: 10 * time.Millisecond, p99: 20 * time.Millisecond, ordersPerSec: 100, events: 5, workflowTasks: 1},
		{name: "bare", p50: 40 * time.Millisecond, p99: 50 * time.Millisecond, ordersPerSec: 25, events: 29, workflowTasks: 5},
	})
	for _, want := range []string{"4.00×", "2.50×", "0.25×", "5.80×"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %s:\n%s", want, out.String())
		}
	}
}

// TestRun measures every mode briefly on an embedded server.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded Temporal server")
	}
	if err := run([]string{"-n", "3", "-concurrency", "2", "-warmup", "1"}); err != nil {
		t.Fatal(err)
	}
}
