package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/cluster"
	"github.com/orderflow/orderflow/examples/internal/embedded"
	"github.com/orderflow/orderflow/examples/internal/retry"
)

// bench is one run.
type bench struct {
	cfg         config
	out, stderr io.Writer
	stopSignals func()
	rep         *report

	tc     client.Client
	dc     converter.DataConverter // the client's, nil for the default
	oc     *orderflow.Client       // on a countingClient
	stats  *visStats
	queue  string
	orders *runOrders
}

// run runs every phase, printing the report as it goes.
func (b *bench) run(ctx context.Context) (err error) {
	closeTarget, err := b.connect(ctx)
	if err != nil {
		return err
	}
	defer closeTarget()

	now := time.Now()
	b.orders = newRunOrders(b.cfg.orders, now)
	b.queue = "listbench-" + strconv.FormatInt(now.UnixMilli(), 36)
	b.stats = &visStats{}
	b.oc, err = orderflow.NewClient(countingClient{b.tc, b.stats}, &orderflow.Options{TaskQueue: b.queue, Visibility: true, ApprovalTimeout: approvalTimeout,
		DataConverter: b.dc})
	if err != nil {
		return err
	}
	before, err := b.oc.CountOrders(ctx, orderflow.StatusAwaitingApproval)
	if err != nil {
		return err
	}
	r := b.orders
	b.printf("orders      %s orders %s, orderflowtest.LargeOrder (%s, %d items; over the approval threshold), %v approval timeout, task queue %s\n",
		num(len(r.ids)), span([]string{r.ids[0], r.ids[len(r.ids)-1]}), r.total, r.items, approvalTimeout, b.queue)
	b.printf("namespace   %s other orders awaiting approval before the run (their rows are skipped by the checks, not the timings)\n", num(int(before)))

	tracker := newWaitTracker(approvalTimeout)
	w, err := newWorker(b.tc, b.queue, tracker)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	if b.cfg.target == targetAddress && !b.cfg.keep {
		defer func() {
			if cerr := b.cleanup(ctx); err == nil {
				err = cerr
			}
		}()
	}

	if err := b.start(ctx, tracker); err != nil {
		return err
	}
	listing, err := b.check(ctx)
	if err != nil {
		return err
	}
	return b.time(ctx, listing)
}

// connect starts or reaches the target, dials it and registers orderflow's
// search attributes; the returned function closes all that.
func (b *bench) connect(ctx context.Context) (closeAll func(), err error) {
	logger := b.cfg.conn.Logger(b.stderr, slog.LevelWarn)
	var opts client.Options
	stopTarget := func() {}
	defer func() {
		if err != nil {
			stopTarget()
		}
	}()
	began := time.Now()
	switch b.cfg.target {
	case targetCluster:
		c, err := cluster.Start(ctx, cluster.Options{Namespace: b.cfg.conn.Namespace, Log: b.stderr})
		if err != nil {
			return nil, fmt.Errorf("start the cluster: %w", err)
		}
		stopTarget = c.Stop
		opts = client.Options{HostPort: c.Address, Namespace: c.Namespace, Logger: logger}
		b.printf("listbench   orderflow's listing of orders awaiting approval, on PostgreSQL visibility\n")
		b.printf("target      a cluster of its own, up in %v: PostgreSQL, SQL advanced visibility (postgres12), the Temporal server as 5 processes (frontend, 2 history, matching, worker); frontend %s, namespace %s\n",
			round(time.Since(began)), c.Address, c.Namespace)
	case targetEmbedded:
		s, err := embedded.Start(logger)
		if err != nil {
			return nil, err
		}
		stopTarget = s.Stop
		opts = client.Options{HostPort: s.Address, Namespace: s.Namespace, Logger: logger}
		b.printf("listbench   orderflow's listing of orders awaiting approval, on SQLite visibility\n")
		b.printf("target      the in-process server (temporaltest, SQLite in memory) at %s, namespace %s\n", s.Address, s.Namespace)
	case targetAddress:
		if opts, err = b.cfg.conn.Options(logger); err != nil {
			return nil, err
		}
		b.printf("listbench   orderflow's listing of orders awaiting approval\n")
		b.printf("target      the cluster at %s, namespace %s\n", opts.HostPort, opts.Namespace)
	}
	if err := b.cfg.conn.Encrypt(&opts); err != nil {
		return nil, err
	}
	if b.tc, err = client.DialContext(ctx, opts); err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", opts.HostPort, opts.Namespace, err)
	}
	b.dc = opts.DataConverter
	closeAll = func() { b.tc.Close(); stopTarget() }
	if err := orderflow.RegisterSearchAttributes(ctx, b.tc, opts.Namespace); err != nil {
		closeAll()
		stopTarget = func() {}
		return nil, err
	}
	return closeAll, nil
}

// start starts the orders and waits until each waits for its approval and
// visibility counts them all.
func (b *bench) start(ctx context.Context, tracker *waitTracker) error {
	r := b.orders
	began := time.Now()
	if err := startOrders(ctx, b.oc, r, b.cfg.concurrency, b.cfg.spacing); err != nil {
		return err
	}
	took := time.Since(began)
	b.printf("started     %s orders in %v (%.1f/s), %d at a time, launches at least %v apart\n",
		num(len(r.ids)), round(took), float64(len(r.ids))/took.Seconds(), b.cfg.concurrency, b.cfg.spacing)

	last := r.lastReturned()
	n := len(r.ids)
	var waitingAt, countedAt time.Time
	var waitErr, countErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		waitingAt, waitErr = poll(ctx, "wait until every order waits for its approval", func() (bool, string, error) {
			k := tracker.count()
			return k >= n, fmt.Sprintf("%d of %d waiting", k, n), nil
		})
	})
	wg.Go(func() {
		countedAt, countErr = poll(ctx, "wait until visibility counts every order awaiting approval", func() (bool, string, error) {
			k, err := retry.Count(ctx, b.tc, onQueue(awaitingQuery, b.queue))
			return k >= int64(n), fmt.Sprintf("%d of %d counted", k, n), err
		})
	})
	wg.Wait()
	if waitErr != nil {
		return waitErr
	}
	if countErr != nil {
		return countErr
	}
	b.printf("waiting     every order's workflow waits for its approval (approval timer started) %v after the last start returned\n",
		round(waitingAt.Sub(last)))
	total, err := b.oc.CountOrders(ctx, orderflow.StatusAwaitingApproval)
	if err != nil {
		return err
	}
	b.printf("visibility  counts all %s of the run's orders awaiting approval %v after the last start returned (the store's lag); CountOrders(awaiting_approval) = %s in the namespace\n",
		num(n), round(countedAt.Sub(last)), num(int(total)))
	return nil
}

// check lists the orders through the iterator and through pages, and
// checks both; it returns the iterator's listing.
func (b *bench) check(ctx context.Context) ([]orderflow.OrderSummary, error) {
	r := b.orders
	strict := b.cfg.target != targetAddress
	b.printf("\nchecks      oldest first, as ListOptions documents it: by start time, then order ID; each of the run's orders exactly once\n")

	began, calls := time.Now(), b.stats.snapshot()
	var listed []orderflow.OrderSummary
	for o, err := range b.oc.Orders(ctx, orderflow.StatusAwaitingApproval) {
		if err != nil {
			return nil, fmt.Errorf("Client.Orders after %d rows: %w", len(listed), err)
		}
		listed = append(listed, o)
	}
	v := checkListing(listed, r)
	b.verdict("Client.Orders", fmt.Sprintf("%s rows in %v, %s", num(len(listed)), round(time.Since(began)),
		b.stats.snapshot().sub(calls).per(1)), v, strict)

	began, calls = time.Now(), b.stats.snapshot()
	var paged []orderflow.OrderSummary
	var pageErrs problems
	pages, short := 0, 0
	for token := ""; ; {
		page, next, err := b.oc.ListOrders(ctx, orderflow.ListOptions{Status: orderflow.StatusAwaitingApproval, PageSize: b.cfg.pageSize, PageToken: token})
		if err != nil {
			return nil, fmt.Errorf("ListOrders, page %d: %w", pages+1, err)
		}
		pages++
		switch {
		case len(page) > b.cfg.pageSize:
			pageErrs.add("page %d holds %d rows, more than the page size", pages, len(page))
		case len(page) == 0 && next != "":
			pageErrs.add("page %d is empty but has a next page token", pages)
		case len(page) < b.cfg.pageSize && next != "":
			short++ // allowed: PageSize is the most a page holds
		}
		paged = append(paged, page...)
		if next == "" {
			break
		}
		if pages > len(listed)+len(r.ids)+10 {
			pageErrs.add("still a next page token after %d pages", pages)
			break
		}
		token = next
	}
	v = checkListing(paged, r)
	v.pages = pageErrs
	b.verdict(fmt.Sprintf("ListOrders, pages of %d", b.cfg.pageSize),
		fmt.Sprintf("%d pages, %s rows in %v, %s", pages, num(len(paged)), round(time.Since(began)),
			b.stats.snapshot().sub(calls).per(1)), v, strict)
	if short > 0 {
		b.printf("        %d pages before the last held fewer rows than the page size\n", short)
	}
	return listed, nil
}

// verdict prints and records the lines of one listing's verdict.
func (b *bench) verdict(name, what string, v verdict, strictStart bool) {
	n := len(b.orders.ids)
	if !v.failed(strictStart) {
		b.rep.add(name, true, fmt.Sprintf("%s: %s; each of the run's %s orders exactly once, oldest first; %s other orders' rows skipped",
			name, what, num(n), num(v.foreign)))
	} else {
		var s string
		for _, p := range []struct {
			what string
			p    problems
		}{
			{"duplicated", v.duplicate}, {"missing", v.missing}, {"unknown IDs of the run", v.unexpected},
			{"out of order", v.misordered}, {"wrong rows", v.wrongRow}, {"page contract broken", v.pages},
		} {
			if p.p.n > 0 {
				s += fmt.Sprintf("; %s %s", p.what, p.p)
			}
		}
		if strictStart && v.startOrder.n > 0 {
			s += fmt.Sprintf("; against the start order %s", v.startOrder)
		}
		b.rep.add(name, false, fmt.Sprintf("%s: %s; %s of the run's %s orders listed%s", name, what, num(v.seen), num(n), s))
	}
	b.printf("  %s\n", b.rep.last())
	switch {
	case v.startOrder.n == 0:
		b.printf("        start order: no order is listed before one whose Start returned before it was sent\n")
	case !strictStart:
		b.printf("  WARN  start order: %s (not failed: the cluster's hosts may not share one clock)\n", v.startOrder)
	}
	b.printf("        %s of the run's orders started at the same instant as the one listed before; %s adjacent pairs listed out of launch order (concurrent starts)\n",
		num(v.ties), num(v.launchInversions))
	b.printf("        approval deadlines: start time + %v + %v to %v; %s adjacent pairs with a decreasing deadline (by at most %v)\n",
		approvalTimeout, round(v.deadlineLead[0]), round(v.deadlineLead[1]), num(v.deadlineInversions), round(v.maxInversion))
	if v.firstLater > 0 {
		b.printf("        the order closest to timing out is on row %s; the first row's times out %v after it\n", num(v.earliestRow), round(v.firstLater))
	}
}

// cleanup cancels the run's orders on an existing cluster.
func (b *bench) cleanup(ctx context.Context) error {
	if b.stopSignals != nil {
		b.stopSignals() // a second interrupt now kills the program
	}
	ctx = context.WithoutCancel(ctx)
	began := time.Now()
	n, err := cancelOrders(ctx, b.oc, b.tc, b.orders, b.queue, b.cfg.concurrency)
	if err != nil {
		b.printf("\ncleanup     %s orders cancelled, then: %v\n", num(n), err)
		return fmt.Errorf("cancel the run's orders: %w", err)
	}
	b.printf("\ncleanup     %s orders cancelled (they end cancelled, nothing charged) and ended in %v\n", num(n), round(time.Since(began)))
	return nil
}

func (b *bench) printf(format string, args ...any) { fmt.Fprintf(b.out, format, args...) }

// num formats n with thousands separators.
func num(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + num(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// round rounds d for display.
func round(d time.Duration) time.Duration {
	switch a := d.Abs(); {
	case a >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case a >= time.Second:
		return d.Round(10 * time.Millisecond)
	case a >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
