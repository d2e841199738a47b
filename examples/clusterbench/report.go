package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
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
			ms(r.p50), ms(r.p99), cores(r))
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
func goals(results []result, workers []int) []string {
	if find(results, "cluster", "", 0) == nil {
		return []string{"not judged: the cluster was not measured"}
	}
	var lines []string
	const first = "orderflow ≥ 1.0× bare's orders/s with every worker count: "
	var ratios, short []string
	for _, n := range workers {
		r, bare := find(results, "cluster", "orderflow", n), find(results, "cluster", "bare", n)
		if r == nil || bare == nil {
			continue
		}
		ratio := r.ordersPerSec / bare.ordersPerSec
		ratios = append(ratios, fmt.Sprintf("%s %.2f×", plural(n, "worker"), ratio))
		if ratio < 1 {
			// Three decimals, so that a ratio just under 1 does not read 1.00×.
			short = append(short, fmt.Sprintf("%s %.3f×", plural(n, "worker"), ratio))
		}
	}
	switch {
	case ratios == nil:
		lines = append(lines, first+"not judged: run the bare and orderflow modes")
	case short == nil:
		lines = append(lines, first+"met ("+strings.Join(ratios, ", ")+")")
	default:
		lines = append(lines, first+"NOT met with "+strings.Join(short, ", ")+" ("+strings.Join(ratios, ", ")+")")
	}

	const second = "adding workers never lowers orders/s: "
	if len(workers) < 2 {
		return append(lines, second+"not judged: run more than one worker count")
	}
	var lower []string
	for _, mode := range distinct(results, func(r result) string { return r.mode }) {
		for i := 1; i < len(workers); i++ {
			r, prev := find(results, "cluster", mode, workers[i]), find(results, "cluster", mode, workers[i-1])
			if r != nil && prev != nil && r.ordersPerSec < prev.ordersPerSec {
				lower = append(lower, fmt.Sprintf("%s with %d %.3f× of %d", mode, workers[i],
					r.ordersPerSec/prev.ordersPerSec, workers[i-1]))
			}
		}
	}
	if lower == nil {
		return append(lines, second+"met")
	}
	return append(lines, second+"NOT met ("+strings.Join(lower, ", ")+")")
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

// ms formats d in milliseconds with one decimal.
func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
