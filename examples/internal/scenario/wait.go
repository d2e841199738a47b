package scenario

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/orderflow/orderflow"
)

// PollInterval is how often Wait and WaitForApproval query an order.
const PollInterval = 150 * time.Millisecond

// Wait waits for the order to end and returns its result, as
// orderflow.Client.Result does. When progress is not nil it also queries the
// order's state every PollInterval and writes a line to progress for each
// step as soon as it is done ("  ✓ payment processed").
func Wait(ctx context.Context, c *orderflow.Client, orderID string, progress io.Writer) (*orderflow.OrderState, error) {
	if progress == nil {
		return c.Result(ctx, orderID)
	}
	type outcome struct {
		res *orderflow.OrderState
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan outcome, 1)
	go func() {
		res, err := c.Result(ctx, orderID)
		done <- outcome{res, err}
	}()
	shown := 0
	show := func(steps []orderflow.Step) {
		for ; shown < len(steps); shown++ {
			fmt.Fprintf(progress, "  ✓ %s\n", describe(steps[shown]))
		}
	}
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		select {
		case o := <-done:
			if o.res != nil {
				show(o.res.Done)
			}
			return o.res, o.err
		case <-tick.C:
			// A failed or slow query only delays the progress lines; Result
			// decides, and a query never holds it up for long.
			qctx, cancel := context.WithTimeout(ctx, time.Second)
			if state, err := c.State(qctx, orderID); err == nil {
				show(state.Done)
			}
			cancel()
		}
	}
}

// describe says what a done step achieved.
func describe(s orderflow.Step) string {
	switch s {
	case orderflow.StepPayment:
		return "payment processed"
	case orderflow.StepInventory:
		return "inventory reserved"
	case orderflow.StepDelivery:
		return "delivery arranged"
	case orderflow.StepEmail:
		return "confirmation email sent"
	}
	return string(s)
}

// WaitForApproval polls the order's approval status every PollInterval until
// it is pending, which is when a decision can be sent, and fails when the
// order turns out to need none or ctx ends.
func WaitForApproval(ctx context.Context, c *orderflow.Client, orderID string) error {
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		status, err := c.ApprovalStatus(ctx, orderID)
		if err == nil && status == orderflow.ApprovalPending {
			return nil
		}
		if err == nil && status != orderflow.ApprovalNotRequired {
			return fmt.Errorf("order %s: approval status is %s, not pending", orderID, status)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("order %s: not awaiting approval yet (status %q, error %v): %w", orderID, status, err, ctx.Err())
		case <-tick.C:
		}
	}
}
