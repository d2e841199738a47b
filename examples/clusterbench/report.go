package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orderflow/orderflow/examples/internal/latency"
)

// printTable writes one row per target, mode and worker count.
func printTable(w io.Writer, results []result) {
	fmt.Fprintln(w, "CPU columns: CPU seconds per 1000 orders over the throughput measurement (for checkout, until its")
	fmt.Fprintln(w, "orders ended); cores: the CPU time of all of them over its wall time; -: not known")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "target\tmode\tworkers\torders/s\t×bare\tp50\tp99\tcores\t%s\t\n", strings.Join(cpuColumns, "\t"))
	for _, r := range results {
		ratio := ""
		if bare := find(results, r.target, "bare", r.workers); bare != nil && bare.ordersPerSec > 0 {
			ratio = fmt.Sprintf("%.2f×", r.ordersPerSec/bare.ordersPerSec)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t", r.target, r.mode, r.workers, r.ordersPerSec, ratio,
			latency.MS(r.p50), latency.MS(r.p99), cores(r))
		for _, col := range cpuColumns {
			cpu, ok := r.cpu[col]
			if !ok {
				fmt.Fprint(tw, "-\t")
				continue
			}
			fmt.Fprintf(tw, "%.1f\t", cpu.Seconds()*1000/float64(r.orders))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// printWrites writes, for the results whose database writes are known,
// what PostgreSQL wrote per order: work that, unlike CPU time and orders/s,
// a busy or noisy machine does not change.
func printWrites(w io.Writer, results []result) {
	var known []result
	for _, r := range results {
		if r.writes != nil && r.orders > 0 {
			known = append(known, r)
		}
	}
	if known == nil {
		return
	}
	fmt.Fprintln(w, "\nPostgreSQL's writes per order over the throughput measurement (background work included):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tmode\tworkers\ttransactions\trows\tWAL KB\t")
	for _, r := range known {
		n := float64(r.orders)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.1f\t%.1f\t\n", r.target, r.mode, r.workers,
			float64(r.writes.Transactions)/n, float64(r.writes.Rows)/n, float64(r.writes.WAL)/1024/n)
	}
	tw.Flush()
}

// printIdle writes each server's CPU use with no orders, in cores.
func printIdle(w io.Writer, idle []idleUse) {
	if len(idle) == 0 {
		return
	}
	fmt.Fprintf(w, "\nserver CPU with no orders (over %v, from a second after the last orders), in cores:\n", idleTime)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, u := range idle {
		fmt.Fprintf(tw, "  %s\t%.2f", u.target, u.cpu.total.Seconds()/u.wall.Seconds())
		var parts []string
		for _, col := range cpuColumns {
			if cpu, ok := u.cpu.parts[col]; ok {
				parts = append(parts, fmt.Sprintf("%s %.2f", col, cpu.Seconds()/u.wall.Seconds()))
			}
		}
		if parts != nil {
			fmt.Fprintf(tw, ": %s", strings.Join(parts, ", "))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// cores formats the CPU time of every part measured over the wall time.
func cores(r result) string {
	if r.wall <= 0 {
		return "-"
	}
	var sum time.Duration
	for _, col := range []string{"server", "workers", "client"} {
		sum += r.cpu[col]
	}
	return fmt.Sprintf("%.2f", sum.Seconds()/r.wall.Seconds())
}

// printRatios writes orderflow and checkout vs bare, more workers vs the
// fewest, cluster vs single, and the goals on the cluster.
func printRatios(w io.Writer, results []result, workers []int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	targets := distinct(results, func(r result) string { return r.target })
	modes := distinct(results, func(r result) string { return r.mode })
	// line writes a line of label and cells, if there are cells.
	line := func(label string, cells []string) {
		if cells != nil {
			fmt.Fprintf(tw, "  %s\t%s\n", label, strings.Join(cells, "\t"))
		}
	}
	// vs formats the ratios of r to base: orders/s and p50, or orders/s only.
	vs := func(n int, r, base *result, p50 bool) string {
		s := fmt.Sprintf("%s %.2f×", plural(n, "worker"), r.ordersPerSec/base.ordersPerSec)
		if p50 {
			s += fmt.Sprintf(" (%.2f×)", float64(r.p50)/float64(base.p50))
		}
		return s
	}

	for _, mode := range []string{"orderflow", "checkout"} {
		if !slices.Contains(modes, mode) || !slices.Contains(modes, "bare") {
			continue
		}
		fmt.Fprintf(tw, "%s vs bare, orders/s (p50):\n", mode)
		for _, target := range targets {
			var cells []string
			for _, n := range workers {
				if r, bare := find(results, target, mode, n), find(results, target, "bare", n); r != nil && bare != nil {
					cells = append(cells, vs(n, r, bare, true))
				}
			}
			line(target, cells)
		}
	}

	if len(workers) > 1 {
		fmt.Fprintf(tw, "orders/s with more workers, vs %s:\n", plural(workers[0], "worker"))
		for _, target := range targets {
			for _, mode := range modes {
				var cells []string
				if base := find(results, target, mode, workers[0]); base != nil {
					for _, n := range workers[1:] {
						if r := find(results, target, mode, n); r != nil {
							cells = append(cells, vs(n, r, base, false))
						}
					}
				}
				line(target+" "+mode, cells)
			}
		}
	}

	if slices.Contains(targets, "cluster") && slices.Contains(targets, "single") {
		fmt.Fprintln(tw, "cluster vs single-process server, orders/s (p50):")
		for _, mode := range modes {
			var cells []string
			for _, n := range workers {
				if c, s := find(results, "cluster", mode, n), find(results, "single", mode, n); c != nil && s != nil {
					cells = append(cells, vs(n, c, s, true))
				}
			}
			line(mode, cells)
		}
	}
	tw.Flush()

	fmt.Fprintln(w, "goals, on the cluster:")
	for _, line := range goals(results, workers) {
		fmt.Fprintln(w, "  "+line)
	}
}

// goals judges the goals on the cluster's results: orderflow's
// orders/s at least the bare port's with every worker count, and orders/s
// never lower with more workers, in any mode.
//
// Each is judged on ratios of two turns of the same round (which ran close
// in time), with a 95 % confidence interval over the rounds: a ratio under
// 1.0 whose interval reaches 1.0 is a shortfall the run cannot tell from
// its noise, and is reported as such; the goal is NOT met when an interval
// lies wholly below 1.0, or, with one round, when a ratio is under 1.0.
func goals(results []result, workers []int) []string {
	if find(results, "cluster", "", 0) == nil {
		return []string{"not judged: the cluster was not measured"}
	}
	var lines []string
	var pairs []comparison
	for _, n := range workers {
		if r, bare := find(results, "cluster", "orderflow", n), find(results, "cluster", "bare", n); r != nil && bare != nil {
			pairs = append(pairs, compare(plural(n, "worker"), r.rates, bare.rates))
		}
	}
	const first = "orderflow ≥ 1.0× bare's orders/s with every worker count: "
	if pairs == nil {
		lines = append(lines, first+"not judged: run the bare and orderflow modes")
	} else {
		lines = append(lines, first+judge(pairs))
	}

	const second = "adding workers never lowers orders/s: "
	if len(workers) < 2 {
		return append(lines, second+"not judged: run more than one worker count")
	}
	pairs = nil
	for _, mode := range distinct(results, func(r result) string { return r.mode }) {
		for i := 1; i < len(workers); i++ {
			r, prev := find(results, "cluster", mode, workers[i]), find(results, "cluster", mode, workers[i-1])
			if r != nil && prev != nil {
				pairs = append(pairs, compare(fmt.Sprintf("%s %d vs %d", mode, workers[i], workers[i-1]), r.rates, prev.rates))
			}
		}
	}
	return append(lines, second+judge(pairs))
}

// comparison is the ratio of one combination's orders/s to another's, from
// the pairs of their rounds.
type comparison struct {
	label  string
	ratio  float64 // geometric mean of the rounds' ratios
	lo, hi float64 // its 95 % confidence interval; 0, 0 with one round
}

// compare pairs the rounds of a and base (the same round's turns) and
// returns the geometric mean of their ratios with a 95 % confidence
// interval from Student's t over the rounds.
func compare(label string, a, base []float64) comparison {
	n := min(len(a), len(base))
	logs := make([]float64, n)
	var mean float64
	for i := range n {
		logs[i] = math.Log(a[i] / base[i])
		mean += logs[i] / float64(n)
	}
	c := comparison{label: label, ratio: math.Exp(mean)}
	if n < 2 {
		return c
	}
	var ss float64
	for _, l := range logs {
		ss += (l - mean) * (l - mean)
	}
	half := tQuantile975(n-1) * math.Sqrt(ss/float64(n-1)/float64(n))
	c.lo, c.hi = math.Exp(mean-half), math.Exp(mean+half)
	return c
}

// judge says whether none of pairs falls short of 1.0: "met", "met within
// the noise" with the ratios under 1.0 whose intervals reach it, or "NOT
// met" with those shown to be under it; then every ratio.
func judge(pairs []comparison) string {
	var all, noise, short []string
	for _, p := range pairs {
		s := fmt.Sprintf("%s %.2f×", p.label, p.ratio)
		if p.hi > 0 {
			s += fmt.Sprintf(" [%.2f–%.2f]", p.lo, p.hi)
		}
		all = append(all, s)
		switch {
		case p.ratio >= 1:
		case p.hi >= 1:
			noise = append(noise, p.label)
		default:
			short = append(short, p.label)
		}
	}
	detail := " (orders/s ratio, [95 % interval over the rounds]: " + strings.Join(all, ", ") + ")"
	switch {
	case short != nil:
		return "NOT met with " + strings.Join(short, ", ") + detail
	case noise != nil:
		return "met within the run's noise: under 1.0× but not shown to be, with " + strings.Join(noise, ", ") + detail
	}
	return "met" + detail
}

// tQuantile975 is the 0.975 quantile of Student's t distribution with df
// degrees of freedom: the half-width of a 95 % interval in standard errors.
func tQuantile975(df int) float64 {
	table := []float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
		2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086}
	if df <= len(table) {
		return table[df-1]
	}
	return 1.96 + 2.4/float64(df) // within 0.5 % of the exact value beyond 20
}

// find returns the result of target, mode and workers, or nil; an empty
// mode or zero workers matches any.
func find(results []result, target, mode string, workers int) *result {
	for i, r := range results {
		if r.target == target && (mode == "" || r.mode == mode) && (workers == 0 || r.workers == workers) {
			return &results[i]
		}
	}
	return nil
}

// distinct returns the values of key over results, in their first order.
func distinct(results []result, key func(result) string) []string {
	var out []string
	for _, r := range results {
		if k := key(r); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}
