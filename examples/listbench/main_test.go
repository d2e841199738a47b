package main

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/cluster"
	"github.com/orderflow/orderflow/examples/internal/testctx"
)

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil || cfg.orders != 10000 || cfg.concurrency != 32 || cfg.pageSize != 100 || cfg.target != targetCluster {
		t.Fatalf("defaults: %+v, %v", cfg, err)
	}
	if cfg, err := parseFlags([]string{"-address", "localhost:7233", "-keep"}, io.Discard); err != nil || cfg.target != targetAddress {
		t.Fatalf("-address: %+v, %v", cfg, err)
	}
	for _, args := range [][]string{
		{"-orders", "0"}, {"-concurrency", "0"}, {"-pagesize", "0"}, {"-pagesize", "1001"}, {"-reps", "0"},
		{"-spacing", "-1s"}, {"-target", "elsewhere"}, {"-target", "embedded", "-address", "localhost:7233"},
		{"-keep"}, {"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q): no error", args)
		}
	}
}

// testRun makes the run of n orders started a second apart each, and its
// oldest-first listing, with one other order of the namespace in it.
func testRun(n int) (*runOrders, []orderflow.OrderSummary) {
	r := newRunOrders(n, time.Now())
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var rows []orderflow.OrderSummary
	for i, id := range r.ids {
		at := t0.Add(time.Duration(i) * time.Second)
		r.sent[i], r.returned[i] = at.Add(-time.Millisecond), at.Add(time.Millisecond)
		rows = append(rows, orderflow.OrderSummary{OrderID: id, Status: orderflow.StatusAwaitingApproval, Total: r.total,
			ItemCount: r.items, StartedAt: at, ApprovalDeadline: at.Add(approvalTimeout)})
		if i == 1 {
			rows = append(rows, orderflow.OrderSummary{OrderID: "someone-else", StartedAt: at.Add(time.Millisecond)})
		}
	}
	return r, rows
}

func TestCheckListing(t *testing.T) {
	r, rows := testRun(5)
	v := checkListing(rows, r)
	if v.failed(true) || v.seen != 5 || v.foreign != 1 || v.rows != 6 {
		t.Fatalf("a good listing: %+v", v)
	}
	swap := func(rows []orderflow.OrderSummary, i, j int) []orderflow.OrderSummary {
		rows = slices.Clone(rows)
		rows[i], rows[j] = rows[j], rows[i]
		return rows
	}
	sameInstant := slices.Clone(rows)
	sameInstant[4].StartedAt = sameInstant[3].StartedAt // then by ID: still in order
	if v := checkListing(sameInstant, r); v.failed(true) || v.ties != 1 {
		t.Errorf("orders started at one instant, by ID: %+v", v)
	}
	for name, tc := range map[string]struct {
		rows []orderflow.OrderSummary
		bad  func(v verdict) bool
	}{
		"swapped":     {swap(rows, 3, 4), func(v verdict) bool { return v.misordered.n == 1 && v.startOrder.n == 1 }},
		"foreign out": {swap(rows, 2, 3), func(v verdict) bool { return v.misordered.n == 1 }},
		"duplicated":  {append(slices.Clone(rows), rows[5]), func(v verdict) bool { return v.duplicate.n == 1 }},
		"missing":     {slices.Delete(slices.Clone(rows), 0, 1), func(v verdict) bool { return v.missing.n == 1 }},
		"ties by ID backwards": {func() []orderflow.OrderSummary {
			rows := swap(rows, 4, 5)
			rows[4].StartedAt = rows[5].StartedAt
			return rows
		}(), func(v verdict) bool { return v.misordered.n == 1 }},
		"wrong status": {func() []orderflow.OrderSummary {
			rows := slices.Clone(rows)
			rows[0].Status = orderflow.StatusNeedsAttention
			return rows
		}(), func(v verdict) bool { return v.wrongRow.n == 1 }},
		"unknown ID": {append(slices.Clone(rows), orderflow.OrderSummary{OrderID: r.prefix + "x", StartedAt: time.Now()}),
			func(v verdict) bool { return v.unexpected.n == 1 }},
	} {
		v := checkListing(tc.rows, r)
		if !v.failed(true) || !tc.bad(v) {
			t.Errorf("%s: not caught as it should be: %+v", name, v)
		}
	}
}

// TestVerdictLines checks the lines of a failed listing: FAIL, with what
// failed and its first examples.
func TestVerdictLines(t *testing.T) {
	r, rows := testRun(5)
	var out bytes.Buffer
	b := &bench{out: &out, rep: &report{}, orders: r}
	rows[3], rows[4] = rows[4], rows[3]
	b.verdict("Client.Orders", "6 rows", checkListing(rows[1:], r), true)
	if b.rep.passed() {
		t.Fatal("passed")
	}
	for _, want := range []string{"FAIL  Client.Orders: 6 rows; 4 of the run's 5 orders listed; missing 1: " + r.ids[0],
		"; out of order 1: row 4 ", "; against the start order 1: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the lines do not say %q:\n%s", want, out.String())
		}
	}
}

func TestCheckPage(t *testing.T) {
	r, rows := testRun(6)
	keys := runKeys(rows, r)
	if err := checkPage(rows[:3], key{}, false, keys); err != nil {
		t.Errorf("first page: %v", err)
	}
	if err := checkPage(rows[3:5], keyOf(rows[2]), false, keys); err != nil {
		t.Errorf("middle page: %v", err)
	}
	if err := checkPage(rows[5:], keyOf(rows[4]), true, keys); err != nil {
		t.Errorf("last page: %v", err)
	}
	if err := checkPage(rows[4:6], keyOf(rows[2]), false, keys); err == nil {
		t.Error("a page that skips an order: no error")
	}
	if err := checkPage(rows[5:6], keyOf(rows[3]), true, keys); err == nil {
		t.Error("a last page that skips orders: no error")
	}
	if err := checkPage(rows[2:4], keyOf(rows[2]), false, keys); err == nil {
		t.Error("a page that repeats the previous page's last order: no error")
	}
}

// TestListingOnPostgreSQL runs the program with a few hundred orders, in
// pages small enough to take several, against a cluster (PostgreSQL
// visibility) as an existing one, given by -address, and checks that the
// listing passed: each order exactly once, oldest first, through the
// iterator and through pages. Timings are printed, never checked.
func TestListingOnPostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal cluster")
	}
	c := cluster.ForTest(t)
	ctx := testctx.Context(t)
	const orders = "300"
	out := runProgram(t, ctx, "-address", c.Address, "-namespace", c.Namespace, "-orders", orders, "-pagesize", "40", "-reps", "1")
	for _, want := range []string{
		"PASS  Client.Orders: 300 rows",
		"PASS  ListOrders, pages of 40: 8 pages, 300 rows",
		"each of the run's 300 orders exactly once, oldest first",
		"start order: no order is listed before one whose Start returned before it was sent",
		"PASS  timed pages",
		"orderflow / plain",
		"cleanup     300 orders cancelled",
		"result      PASS",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report does not say %q", want)
		}
	}
}

// TestListingEmbedded runs the same on the in-process server (SQLite
// visibility), which needs no PostgreSQL.
func TestListingEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	out := runProgram(t, testctx.Context(t), "-target", "embedded", "-orders", "60", "-pagesize", "25", "-reps", "1")
	for _, want := range []string{"PASS  Client.Orders: 60 rows", "PASS  ListOrders, pages of 25: 3 pages", "result      PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report does not say %q", want)
		}
	}
}

// runProgram runs the program with args, logs its report, fails t unless
// every check passed, and returns the report.
func runProgram(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	var out, stderr bytes.Buffer
	rep, err := run(ctx, nil, args, &out, &stderr)
	t.Log("\n" + out.String())
	if stderr.Len() > 0 {
		t.Log("stderr:\n" + stderr.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	if !rep.passed() {
		t.Fatal("a check failed")
	}
	return out.String()
}
