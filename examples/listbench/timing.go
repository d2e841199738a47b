package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/retry"
)

// timing is one row of the timing table: orderflow's call and the plain
// call it is compared with.
type timing struct {
	name  string
	rows  [2]int             // rows orderflow's and the plain call returned
	took  [2][]time.Duration // every repetition of each
	count bool               // a count, not a listing
	// calls are the visibility calls of orderflow's reps calls.
	calls visCalls
	reps  int
}

// call is one timed call; it returns the rows it got.
type call func() (int, error)

// measure calls each of calls reps times, rotating which goes first, and
// returns each call's durations and the rows of its last call.
func measure(reps int, calls ...call) ([][]time.Duration, []int, error) {
	took := make([][]time.Duration, len(calls))
	rows := make([]int, len(calls))
	for rep := range reps {
		for j := range calls {
			k := (j + rep) % len(calls)
			t0 := time.Now()
			n, err := calls[k]()
			if err != nil {
				return nil, nil, err
			}
			took[k] = append(took[k], time.Since(t0))
			rows[k] = n
		}
	}
	return took, rows, nil
}

// time times orderflow's listing against plain ListWorkflow calls on the
// same query, checking every orderflow page it times against listed, the
// iterator's listing.
func (b *bench) time(ctx context.Context, listed []orderflow.OrderSummary) error {
	keys := runKeys(listed, b.orders)
	awaiting := orderflow.StatusAwaitingApproval
	var pageProblems problems
	ofPage := func(size int, token string, after key) call {
		return func() (int, error) {
			page, next, err := b.oc.ListOrders(ctx, orderflow.ListOptions{Status: awaiting, PageSize: size, PageToken: token})
			if err != nil {
				return 0, fmt.Errorf("ListOrders: %w", err)
			}
			if err := checkPage(page, after, next == "", keys); err != nil {
				pageProblems.add("page of %d after %v: %v", size, after, err)
			}
			return len(page), nil
		}
	}
	plainPage := func(size int, token []byte) call {
		return func() (int, error) {
			resp, err := b.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Query: awaitingQuery, PageSize: int32(size), NextPageToken: token})
			if err != nil {
				return 0, fmt.Errorf("ListWorkflow: %w", err)
			}
			return len(resp.GetExecutions()), nil
		}
	}
	ofAll := func() (int, error) {
		n := 0
		for _, err := range b.oc.Orders(ctx, awaiting) {
			if err != nil {
				return 0, fmt.Errorf("Client.Orders: %w", err)
			}
			n++
		}
		return n, nil
	}
	plainAll := func(size int) call {
		return func() (int, error) {
			n := 0
			var next []byte
			for {
				resp, err := b.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
					Query: awaitingQuery, PageSize: int32(size), NextPageToken: next})
				if err != nil {
					return 0, fmt.Errorf("ListWorkflow: %w", err)
				}
				n += len(resp.GetExecutions())
				if next = resp.GetNextPageToken(); len(next) == 0 {
					return n, nil
				}
			}
		}
	}

	// counted makes of add its visibility calls to calls.
	counted := func(of call, calls *visCalls) call {
		return func() (int, error) {
			before := b.stats.snapshot()
			n, err := of()
			*calls = calls.add(b.stats.snapshot().sub(before))
			return n, err
		}
	}
	var rows []timing
	pair := func(name string, of, plain call) error {
		var calls visCalls
		took, n, err := measure(b.cfg.reps, counted(of, &calls), plain)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		rows = append(rows, timing{name: name, rows: [2]int{n[0], n[1]}, took: [2][]time.Duration{took[0], took[1]},
			calls: calls, reps: b.cfg.reps})
		return nil
	}
	b.printf("\ntiming      %d calls each, orderflow's and plain ListWorkflow's on the same query (newest first), alternating\n", b.cfg.reps)
	loadBefore := loadAverage()
	if err := pair("count (CountOrders / CountWorkflow)",
		func() (int, error) { _, err := b.oc.CountOrders(ctx, awaiting); return 1, err },
		func() (int, error) { _, err := retry.Count(ctx, b.tc, awaitingQuery); return 1, err }); err != nil {
		return err
	}
	rows[0].count = true
	for _, size := range []int{50, 1000} {
		if err := pair(fmt.Sprintf("first page of %d", size), ofPage(size, "", key{}), plainPage(size, nil)); err != nil {
			return err
		}
	}

	// The deep page: 90 % into the listing, on a page boundary that pages
	// of step reach.
	deep := len(listed) * 9 / 10 / 50 * 50
	if deep > 0 {
		step := 50
		for _, s := range []int{1000, 500, 200, 100} {
			if deep%s == 0 {
				step = s
				break
			}
		}
		token, after, ofRows, ofTook, err := b.reachOrderflow(ctx, deep, step)
		if err != nil {
			return err
		}
		plainToken, plainRows, plainTook, err := b.reachPlain(ctx, deep, step)
		if err != nil {
			return err
		}
		b.printf("            the deep page's token reached once with pages of %d: orderflow %v to row %s, plain %v to row %s\n",
			step, round(ofTook), num(ofRows), round(plainTook), num(plainRows))
		for _, size := range []int{50, 1000} {
			if err := pair(fmt.Sprintf("page of %d from row %s", size, num(deep+1)),
				ofPage(size, token, after), plainPage(size, plainToken)); err != nil {
				return err
			}
		}
	}

	var calls visCalls
	took, n, err := measure(b.cfg.reps, counted(ofAll, &calls), plainAll(1000), plainAll(200))
	if err != nil {
		return fmt.Errorf("every row: %w", err)
	}
	rows = append(rows,
		timing{name: "every row (Orders / pages of 1000)", rows: [2]int{n[0], n[1]}, took: [2][]time.Duration{took[0], took[1]},
			calls: calls, reps: b.cfg.reps},
		timing{name: "every row (Orders / pages of 200)", rows: [2]int{n[0], n[2]}, took: [2][]time.Duration{took[0], took[2]},
			calls: calls, reps: b.cfg.reps})
	b.printTimings(rows)
	if loadBefore != "" {
		b.printf("            the machine: %d cores, load average %s at the timing's start, %s at its end (the cluster and this program share it)\n",
			runtime.NumCPU(), loadBefore, loadAverage())
	}

	if pageProblems.n > 0 {
		b.rep.add("timed pages", false, fmt.Sprintf("timed pages: %s pages of orderflow's did not hold the rows Client.Orders lists there: %s",
			num(pageProblems.n), pageProblems))
	} else {
		b.rep.add("timed pages", true, "timed pages: every orderflow page timed held the rows Client.Orders lists there")
	}
	b.printf("\n  %s\n", b.rep.last())
	return nil
}

// reachOrderflow pages through the oldest-first listing with pages of
// step until row rows, and returns the token there, the key of the row
// before it, the rows read and the time taken.
func (b *bench) reachOrderflow(ctx context.Context, rows, step int) (string, key, int, time.Duration, error) {
	began := time.Now()
	token, n := "", 0
	var after key
	for n < rows {
		page, next, err := b.oc.ListOrders(ctx, orderflow.ListOptions{Status: orderflow.StatusAwaitingApproval, PageSize: step, PageToken: token})
		if err != nil {
			return "", key{}, 0, 0, fmt.Errorf("ListOrders to row %d: %w", rows, err)
		}
		if len(page) == 0 || next == "" {
			return "", key{}, 0, 0, fmt.Errorf("ListOrders ended at row %d, before row %d", n+len(page), rows)
		}
		n += len(page)
		after, token = keyOf(page[len(page)-1]), next
	}
	return token, after, n, time.Since(began), nil
}

// reachPlain pages through ListWorkflow with pages of step until row rows,
// and returns the token there, the rows read and the time taken.
func (b *bench) reachPlain(ctx context.Context, rows, step int) ([]byte, int, time.Duration, error) {
	began := time.Now()
	var token []byte
	n := 0
	for n < rows {
		resp, err := b.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: awaitingQuery, PageSize: int32(step), NextPageToken: token})
		if err != nil {
			return nil, 0, 0, fmt.Errorf("ListWorkflow to row %d: %w", rows, err)
		}
		token = resp.GetNextPageToken()
		if len(resp.GetExecutions()) == 0 || len(token) == 0 {
			return nil, 0, 0, fmt.Errorf("ListWorkflow ended at row %d, before row %d", n+len(resp.GetExecutions()), rows)
		}
		n += len(resp.GetExecutions())
	}
	return token, n, time.Since(began), nil
}

// printTimings prints the timing table.
func (b *bench) printTimings(rows []timing) {
	b.printf("\n")
	tw := tabwriter.NewWriter(b.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  call\trows\torderflow: median (fastest–slowest)\tplain ListWorkflow\torderflow / plain\torderflow's visibility calls: mean per call")
	for _, t := range rows {
		n := "-"
		if !t.count {
			n = num(t.rows[0])
			if t.rows[1] != t.rows[0] {
				n += " / " + num(t.rows[1])
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%.2f×\t%s\n", t.name, n, spread(t.took[0]), spread(t.took[1]),
			float64(median(t.took[0]))/float64(median(t.took[1])), t.calls.per(t.reps))
	}
	tw.Flush()
}

// loadAverage is the system's load average of the last minute, or "" where
// there is no /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return ""
}

// median returns the median of ds.
func median(ds []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread formats the median of ds with their range.
func spread(ds []time.Duration) string {
	if len(ds) == 1 {
		return ms(ds[0])
	}
	return fmt.Sprintf("%s (%s–%s)", ms(median(ds)), ms(slices.Min(ds)), ms(slices.Max(ds)))
}

// ms formats d in milliseconds, or in seconds from 10 s.
func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
