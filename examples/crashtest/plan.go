package crashtest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/orderflow/orderflow"
)

// op is a decision the test sends through the Client.
type op string

const (
	opApprove op = "approve"
	opReject  op = "reject"
	opCancel  op = "cancel"
)

// action is what the test does with an order once it started.
type action int

const (
	actNothing       action = iota // large: the approval times out; small: it runs through
	actApprove                     // large only
	actReject                      // large only
	actCancel                      // a cancel at a random moment
	actApproveReject               // two approvers race
	actApproveCancel               // an approval races a cancel
	actRejectCancel                // a rejection races a cancel
)

// ops are the Client calls of an action, in the order they are sent.
func (a action) ops() []op {
	return [][]op{
		actNothing:       nil,
		actApprove:       {opApprove},
		actReject:        {opReject},
		actCancel:        {opCancel},
		actApproveReject: {opApprove, opReject},
		actApproveCancel: {opApprove, opCancel},
		actRejectCancel:  {opReject, opCancel},
	}[a]
}

// plan is everything chosen in advance about one order, from the seed.
type plan struct {
	Order orderflow.Order
	Total orderflow.Money
	Large bool  // over the approval threshold
	Terms terms // business failures and refusals
	// StartAt is when the order starts, after the run started.
	StartAt time.Duration
	Action  action
	// Ops are Action's calls, shuffled: the first is sent ActAfter the
	// order started, the second Gap after the first.
	Ops      []op
	ActAfter time.Duration
	Gap      time.Duration
	// Twice sends the first call a second time with the same reason, as a
	// caller that retries: at once (concurrently) or after the first answer.
	Twice, TwiceAtOnce bool
}

// planConfig steers the random plans.
type planConfig struct {
	Orders          int
	Business        float64 // share of orders with a business failure
	Refuse          float64 // share of orders whose refund or release is refused
	StartEvery      time.Duration
	ApprovalTimeout time.Duration
	// IDPrefix starts every order ID.
	IDPrefix string
}

// makePlans draws the plans of a run from rng.
func makePlans(rng *rand.Rand, cfg planConfig) []plan {
	plans := make([]plan, cfg.Orders)
	for i := range plans {
		p := &plans[i]
		p.Large = rng.Float64() < 0.4
		p.Order = makeOrder(rng, cfg.IDPrefix, i+1, p.Large)
		p.Total, _ = p.Order.Total()
		p.Terms = pickTerms(rng, cfg.Business, cfg.Refuse)
		p.StartAt = time.Duration(i) * cfg.StartEvery
		p.Action = pickAction(rng, p.Large)
		p.Ops = p.Action.ops()
		rng.Shuffle(len(p.Ops), func(a, b int) { p.Ops[a], p.Ops[b] = p.Ops[b], p.Ops[a] })
		p.ActAfter = actAfter(rng, p.Large, cfg.ApprovalTimeout)
		p.Gap = gap(rng)
		p.Twice = rng.Float64() < 0.2
		p.TwiceAtOnce = rng.IntN(2) == 0
	}
	return plans
}

// makeOrder returns order number n: small ones total under $1000.00 (up to
// three items of at most $299.99), large ones over it.
func makeOrder(rng *rand.Rand, prefix string, n int, large bool) orderflow.Order {
	o := orderflow.Order{
		OrderID:         fmt.Sprintf("%s%04d", prefix, n),
		CustomerName:    fmt.Sprintf("Customer %d", n),
		CustomerEmail:   fmt.Sprintf("customer%d@example.com", n),
		ShippingAddress: fmt.Sprintf("%d Crash Lane, Springfield, IL 62701", n),
	}
	item := func(price int64, qty int64) orderflow.Item {
		k := len(o.Items) + 1
		return orderflow.Item{ProductID: fmt.Sprintf("SKU-%d-%d", n, k), ProductName: fmt.Sprintf("Product %d", k),
			Quantity: qty, UnitPrice: orderflow.USD(price)}
	}
	if large {
		o.Items = append(o.Items, item(100001+rng.Int64N(150000), 1+rng.Int64N(2)))
		if rng.IntN(2) == 0 {
			o.Items = append(o.Items, item(199+rng.Int64N(30000), 1))
		}
		return o
	}
	for range 1 + rng.IntN(3) {
		o.Items = append(o.Items, item(199+rng.Int64N(29801), 1))
	}
	return o
}

// pickTerms chooses an order's business failure (at most one) and whether
// its refund or release will be refused.
func pickTerms(rng *rand.Rand, business, refuse float64) terms {
	var t terms
	if rng.Float64() < business {
		switch rng.IntN(3) {
		case 0:
			t.Decline = true
		case 1:
			t.OutOfStock = true
		default:
			t.Undeliverable = true
		}
	}
	if rng.Float64() < refuse {
		if rng.IntN(2) == 0 {
			t.RefuseRefund = true
		} else {
			t.RefuseRelease = true
		}
	}
	return t
}

// pickAction chooses what happens to an order: large orders get decisions,
// small ones sometimes a cancel.
func pickAction(rng *rand.Rand, large bool) action {
	if !large {
		if rng.Float64() < 0.2 {
			return actCancel
		}
		return actNothing
	}
	weights := []struct {
		a action
		w int
	}{
		{actApprove, 30}, {actReject, 12}, {actCancel, 10}, {actApproveReject, 12},
		{actApproveCancel, 14}, {actRejectCancel, 8}, {actNothing, 14},
	}
	total := 0
	for _, x := range weights {
		total += x.w
	}
	n := rng.IntN(total)
	for _, x := range weights {
		if n < x.w {
			return x.a
		}
		n -= x.w
	}
	return actNothing
}

// actAfter is when the first call goes out after the order started. Some
// decisions on large orders go out around the approval timeout, to race the
// timer; cancels of small orders land anywhere in their first seconds.
func actAfter(rng *rand.Rand, large bool, approvalTimeout time.Duration) time.Duration {
	if !large {
		return time.Duration(rng.Int64N(int64(3 * time.Second)))
	}
	if rng.Float64() < 0.2 {
		return approvalTimeout*85/100 + time.Duration(rng.Int64N(int64(approvalTimeout/4)))
	}
	return time.Duration(rng.Int64N(int64(approvalTimeout * 7 / 10)))
}

// gap is the time between the two calls of a race: often a near tie,
// otherwise up to two seconds, which lets a cancel hit a running step.
func gap(rng *rand.Rand) time.Duration {
	if rng.Float64() < 0.4 {
		return time.Duration(rng.Int64N(int64(50 * time.Millisecond)))
	}
	return time.Duration(rng.Int64N(int64(2 * time.Second)))
}
