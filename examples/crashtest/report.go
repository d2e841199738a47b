package crashtest

import (
	"fmt"
	"strings"
	"time"

	"github.com/orderflow/orderflow"
)

// reportedStatuses are the outcomes the summary line counts, in its order.
var reportedStatuses = []orderflow.Status{
	orderflow.StatusCompleted, orderflow.StatusFailed, orderflow.StatusCancelled,
	orderflow.StatusRejected, orderflow.StatusTimedOut, statusNeedsAttention,
}

// report is what a run prints.
type report struct {
	summary    string
	violations []string
	// broken lists the orders with violations.
	broken []string
	notes  []string // counts of what was injected and sent, for -v
}

// makeReport checks every order against the ledger and sums up the run.
func makeReport(cfg config, w *world, out *outcome, elapsed time.Duration) report {
	var r report
	counts := map[orderflow.Status]int{}
	stuck := 0
	for _, o := range out.runs {
		if o.result != nil {
			counts[o.result.Status]++
		} else {
			stuck++
		}
		problems := checkOrder(o, w.ledger.books(o.Order.OrderID))
		if len(problems) > 0 {
			r.broken = append(r.broken, o.Order.OrderID)
		}
		for _, p := range problems {
			r.violations = append(r.violations, fmt.Sprintf("crashtest: violation: %s [%s]: %s", o.Order.OrderID, o.summary(), p))
		}
	}
	for _, h := range out.harness {
		r.violations = append(r.violations, "crashtest: violation: harness: "+h)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "crashtest: seed=%d orders=%d workers=%d kills=%d server-kills=%d", cfg.Seed, len(out.runs), cfg.Workers, out.kills, out.serverKills)
	if cfg.Cluster {
		crashed := "none"
		if len(out.crashed) > 0 {
			crashed = strings.Join(out.crashed, ",")
		}
		fmt.Fprintf(&sb, " cluster-crashed=%s", crashed)
	}
	for _, s := range reportedStatuses {
		fmt.Fprintf(&sb, " %s=%d", s, counts[s])
	}
	if stuck > 0 {
		fmt.Fprintf(&sb, " no-result=%d", stuck)
	}
	fmt.Fprintf(&sb, " violations=%d (%.1fs)", len(r.violations), elapsed.Seconds())
	r.summary = sb.String()
	r.notes = []string{
		w.faults.summary(),
		fmt.Sprintf("refused refunds and releases: %d; exits the test did not cause: worker=%d server=%d",
			w.ledger.refusalCount(), out.workerCrashes, out.serverCrashes),
		callSummary(out.runs),
	}
	if cfg.Cluster {
		r.notes = append(r.notes, fmt.Sprintf("cluster parts that exited by themselves and were started again: %v", out.clusterRestarts))
	}
	return r
}

// summary describes an order's plan and what its calls were told.
func (o *orderRun) summary() string {
	parts := []string{"small"}
	if o.Large {
		parts[0] = "large"
	}
	if len(o.Ops) > 0 {
		ops := make([]string, len(o.Ops))
		for i, op := range o.Ops {
			ops[i] = string(op)
		}
		parts = append(parts, strings.Join(ops, "+"))
	}
	for _, t := range []struct {
		on   bool
		name string
	}{
		{o.Terms.Decline, "card-declined"}, {o.Terms.OutOfStock, "out-of-stock"},
		{o.Terms.Undeliverable, "undeliverable"}, {o.Terms.RefuseRefund, "refund-refused"},
		{o.Terms.RefuseRelease, "release-refused"},
	} {
		if t.on {
			parts = append(parts, t.name)
		}
	}
	for _, c := range o.calls {
		parts = append(parts, c.String())
	}
	return strings.Join(parts, "; ")
}

// callSummary counts the Client calls by what they were told.
func callSummary(runs []*orderRun) string {
	var accepted, refused, unanswered int
	for _, o := range runs {
		for _, c := range o.calls {
			switch {
			case c.accepted():
				accepted++
			case c.refused():
				refused++
			default:
				unanswered++
			}
		}
	}
	return fmt.Sprintf("client calls: accepted=%d refused=%d unanswered=%d", accepted, refused, unanswered)
}

// line describes an order and how it ended, for -print-orders.
func (o *orderRun) line() string {
	end := fmt.Sprintf("no result: %v", o.resultErr)
	if o.result != nil {
		end = describe(o.result)
	}
	return fmt.Sprintf("crashtest: order %s %s [%s]: %s", o.Order.OrderID, o.Total, o.summary(), end)
}
