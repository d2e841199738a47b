package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderflow/orderflow"
)

// key is the position of a row in the oldest-first listing, as ListOptions
// documents it: its order's start time, then, for orders started at the
// same instant, its order ID.
type key struct {
	at time.Time
	id string
}

func keyOf(o orderflow.OrderSummary) key { return key{o.StartedAt, o.OrderID} }

func (k key) compare(l key) int { return cmp.Or(k.at.Compare(l.at), strings.Compare(k.id, l.id)) }

func (k key) String() string {
	return fmt.Sprintf("%s (started %s)", k.id, k.at.UTC().Format("15:04:05.000000"))
}

// problems counts one kind of failure and keeps its first examples.
type problems struct {
	n        int
	examples []string
}

const maxExamples = 3

func (p *problems) add(format string, args ...any) {
	p.n++
	if len(p.examples) < maxExamples {
		p.examples = append(p.examples, fmt.Sprintf(format, args...))
	}
}

// String is the count and the examples, for a FAIL line.
func (p problems) String() string {
	s := fmt.Sprint(p.n)
	if len(p.examples) > 0 {
		s += ": " + strings.Join(p.examples, "; ")
		if p.n > len(p.examples) {
			s += "; …"
		}
	}
	return s
}

// verdict is what checking one listing found.
type verdict struct {
	rows    int // every row listed
	foreign int // rows of orders not of the run, skipped
	seen    int // distinct orders of the run listed

	duplicate  problems // orders of the run listed more than once
	missing    problems // orders of the run not listed
	unexpected problems // rows with the run's prefix but an ID it never started
	misordered problems // rows whose key is not after the previous row's
	wrongRow   problems // rows of the run that do not say what the order is
	// startOrder are rows listed after an order whose Start was sent only
	// after theirs had returned: the later order listed first.
	startOrder problems
	pages      problems // pages that break ListOrders' contract

	ties             int // rows of the run started at the same instant as the row before
	launchInversions int // adjacent rows of the run listed out of launch order
	// deadlineInversions are adjacent rows of the run whose approval
	// deadline is earlier than the row before's, by at most maxInversion.
	deadlineInversions int
	maxInversion       time.Duration
	// deadlineLead is the least and the most that a row's approval deadline
	// was past its start time plus the approval timeout.
	deadlineLead [2]time.Duration
	// earliestRow is the row (from 1) of the run's order closest to timing
	// out; firstLater is how much later the first row of the run times out.
	earliestRow int
	firstLater  time.Duration
}

// failed reports whether the listing broke a rule; a start-order violation
// counts when strictStart is set (the server's hosts share one clock).
func (v *verdict) failed(strictStart bool) bool {
	return v.duplicate.n+v.missing.n+v.unexpected.n+v.misordered.n+v.wrongRow.n+v.pages.n > 0 ||
		(strictStart && v.startOrder.n > 0)
}

// checkListing checks a listing of the orders awaiting approval against the
// run's orders: each exactly once, rows in strictly increasing key order
// (other orders of the namespace included), rows of the run saying what
// their order is, and the run's rows in an order the starts allow.
func checkListing(rows []orderflow.OrderSummary, r *runOrders) verdict {
	v := verdict{rows: len(rows)}
	seen := make([]int, len(r.ids)) // times listed
	var prev *orderflow.OrderSummary
	var prevRun = -1 // index of the run's previous row
	var latestSent time.Time
	var prevRunDeadline, first, earliest time.Time
	for i := range rows {
		o := &rows[i]
		if prev != nil && keyOf(*prev).compare(keyOf(*o)) >= 0 {
			v.misordered.add("row %d %v is not after row %d %v", i+1, keyOf(*o), i, keyOf(*prev))
		}
		prev = o
		if !strings.HasPrefix(o.OrderID, r.prefix) {
			v.foreign++
			continue
		}
		idx, ok := r.index[o.OrderID]
		if !ok {
			v.unexpected.add("row %d: %s", i+1, o.OrderID)
			continue
		}
		if seen[idx]++; seen[idx] == 2 {
			v.duplicate.add("%s (row %d)", o.OrderID, i+1)
		}
		if problem := rowProblem(*o, r); problem != "" {
			v.wrongRow.add("%s: %s", o.OrderID, problem)
		}
		if latestSent.After(r.returned[idx]) {
			v.startOrder.add("%s is listed after an order whose Start was sent %v after its own returned",
				o.OrderID, latestSent.Sub(r.returned[idx]).Round(time.Microsecond))
		}
		if r.sent[idx].After(latestSent) {
			latestSent = r.sent[idx]
		}
		if prevRun >= 0 {
			p := rows[prevRun]
			if p.StartedAt.Equal(o.StartedAt) {
				v.ties++
			}
			if r.index[p.OrderID] > idx {
				v.launchInversions++
			}
			if d := prevRunDeadline.Sub(o.ApprovalDeadline); d > 0 {
				v.deadlineInversions++
				v.maxInversion = max(v.maxInversion, d)
			}
		}
		lead := o.ApprovalDeadline.Sub(o.StartedAt) - approvalTimeout
		if prevRun < 0 {
			v.deadlineLead = [2]time.Duration{lead, lead}
			first, earliest = o.ApprovalDeadline, o.ApprovalDeadline
			v.earliestRow = i + 1
		}
		if o.ApprovalDeadline.Before(earliest) {
			earliest, v.earliestRow = o.ApprovalDeadline, i+1
		}
		v.deadlineLead = [2]time.Duration{min(v.deadlineLead[0], lead), max(v.deadlineLead[1], lead)}
		prevRun, prevRunDeadline = i, o.ApprovalDeadline
	}
	v.firstLater = first.Sub(earliest)
	for i, n := range seen {
		if n > 0 {
			v.seen++
		} else {
			v.missing.add("%s", r.ids[i])
		}
	}
	return v
}

// rowProblem says what is wrong with a row of the run, or "".
func rowProblem(o orderflow.OrderSummary, r *runOrders) string {
	switch {
	case o.Status != orderflow.StatusAwaitingApproval:
		return fmt.Sprintf("status %q", o.Status)
	case o.ApprovalDeadline.IsZero():
		return "no approval deadline"
	case o.StartedAt.IsZero() || !o.ClosedAt.IsZero():
		return fmt.Sprintf("started %v, closed %v", o.StartedAt, o.ClosedAt)
	case o.Total != r.total || o.ItemCount != r.items:
		return fmt.Sprintf("total %v with %d items, want %v with %d", o.Total, o.ItemCount, r.total, r.items)
	}
	return ""
}

// runKeys returns the keys of the run's rows of a listing, in its order.
func runKeys(rows []orderflow.OrderSummary, r *runOrders) []key {
	var keys []key
	for _, o := range rows {
		if _, ok := r.index[o.OrderID]; ok {
			keys = append(keys, keyOf(o))
		}
	}
	return keys
}

// checkPage checks one page of the oldest-first listing that continues
// after the row at key after (zero: the first page): its rows come in
// increasing key order after it, and its rows of the run are exactly the
// run's orders between after and its last row (to the end when it is the
// last page), by keys, the run's keys in the listing's order.
func checkPage(page []orderflow.OrderSummary, after key, last bool, keys []key) error {
	prev := after
	var got []string
	for i, o := range page {
		k := keyOf(o)
		if !prev.at.IsZero() && prev.compare(k) >= 0 {
			return fmt.Errorf("row %d of the page, %v, is not after %v", i+1, k, prev)
		}
		prev = k
		if _, ok := slices.BinarySearchFunc(keys, k, key.compare); ok {
			got = append(got, o.OrderID)
		}
	}
	lo := 0
	if !after.at.IsZero() {
		lo, _ = slices.BinarySearchFunc(keys, after, key.compare)
		if lo < len(keys) && keys[lo].compare(after) == 0 {
			lo++
		}
	}
	hi := len(keys)
	if !last && len(page) > 0 {
		hi, _ = slices.BinarySearchFunc(keys, prev, key.compare)
		if hi < len(keys) && keys[hi].compare(prev) == 0 {
			hi++
		}
	}
	var want []string
	for _, k := range keys[lo:max(lo, hi)] {
		want = append(want, k.id)
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("the page holds %d of the run's orders (%s), want %d (%s)", len(got), span(got), len(want), span(want))
	}
	return nil
}

// span names the first and last of ids.
func span(ids []string) string {
	switch len(ids) {
	case 0:
		return "none"
	case 1:
		return ids[0]
	}
	return ids[0] + " … " + ids[len(ids)-1]
}
