package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// printTable writes one row per mode; ×bare is orders/s as a ratio to the
// bare mode's, blank when bare was not run.
func printTable(w io.Writer, results []result) {
	var bare float64
	for _, r := range results {
		if r.name == "bare" {
			bare = r.approvesPerSec
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\torders\tcache\tRSS idle\tRSS waiting\tKB/order\tlive heap\theap KB/order\tgoroutines\t+/order\tapprove-all\torders/s\t×bare\t")
	for _, r := range results {
		ratio := ""
		if bare > 0 {
			ratio = fmt.Sprintf("%.2f×", r.approvesPerSec/bare)
		}
		heapPerOrder := (float64(r.waiting.HeapAlloc) - float64(r.idle.HeapAlloc)) / 1024 / float64(r.orders)
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%.1f\t%d\t%.2f\t%s\t%.1f\t%s\t\n", r.name, r.orders, cacheName(r.cache),
			mib(r.rssIdle), mib(r.rssWaiting), perOrder(r), mib(int64(r.waiting.HeapAlloc)), heapPerOrder,
			r.waiting.Goroutines, float64(r.waiting.Goroutines-r.idle.Goroutines)/float64(r.orders), round(r.approveAll), r.approvesPerSec, ratio)
	}
	tw.Flush()
}

// perOrder formats the worker's RSS growth per waiting order in KiB.
func perOrder(r result) string {
	if r.rssIdle < 0 || r.rssWaiting < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", float64(r.rssWaiting-r.rssIdle)/1024/float64(r.orders))
}

// mib formats a byte count in MiB, or n/a for a negative (unknown) one.
func mib(b int64) string {
	if b < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// round rounds d for display: to the millisecond under 10 s, else to 10 ms.
func round(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Millisecond)
}
