// Approve approves or rejects an order that awaits approval, through the
// typed orderflow.Client's validated Update, then waits for the order to end.
// It replaces the Python demo's approval_sender.py.
//
// Usage:
//
//	go run ./examples/approve [flags] <order-id> approve|reject [reason…]
//
// The reason is the remaining arguments joined by spaces; it defaults to
// "Approved by manager" or "Rejected by manager". After the decision took,
// Approve prints the "ORDER APPROVED" (or "ORDER REJECTED") block, waits for
// the order to end (or at most -wait, when given) and prints its final
// status and message. Interrupting the wait leaves the order running.
//
// The decision is checked by the workflow itself, atomically: when the order
// is not awaiting approval (it needs none, was already decided, timed out or
// has ended) or does not exist, Approve says so and exits with status 1;
// nothing is recorded in the order's history. Two approvers cannot both win.
//
// Flags:
//
//	-address host:port  Temporal server (default $TEMPORAL_ADDRESS, else localhost:7233)
//	-namespace name     Temporal namespace (default $TEMPORAL_NAMESPACE, else "default")
//	-wait d             wait at most d for the order to end (default 0: until it ends)
//	-v                  log the Temporal SDK at DEBUG level (default: warnings only)
//	-keys list          encryption keys, id=BASE64SECRET,… with the current one first
//	                    (default $ORDERFLOW_ENCRYPTION_KEYS): every payload is encrypted
//	                    (docs/encryption.md; examples/codecserver serves the Web UI and CLI)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/scenario"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(flag.CommandLine.Output(), "Usage: approve [flags] <order-id> approve|reject [reason…]")
	flag.PrintDefaults()
}

func run() error {
	var cf conn.Flags
	cf.Register(flag.CommandLine)
	// No budget by default: how long the rest of an order takes depends on
	// its providers and the machine, not on this program; Ctrl-C stops
	// waiting.
	wait := flag.Duration("wait", 0, "wait at most this long for the order to end (0: until it ends)")
	flag.Usage = usage
	flag.Parse()

	orderID, action := flag.Arg(0), flag.Arg(1)
	reason := strings.Join(flag.Args()[min(2, flag.NArg()):], " ")
	switch {
	case flag.NArg() < 2 || (action != "approve" && action != "reject"):
		usage()
		return errors.New("want <order-id> approve|reject [reason…]")
	case reason == "" && action == "approve":
		reason = "Approved by manager"
	case reason == "":
		reason = "Rejected by manager"
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	tc, copts, err := cf.Dial(cf.Logger(os.Stderr, slog.LevelWarn))
	if err != nil {
		return err
	}
	defer tc.Close()
	// A decision waits for a worker to run a workflow task: milliseconds on
	// an idle machine, seconds on a loaded one. The library's default call
	// budget (10 s) is sized for services; a person waits longer, and still
	// learns in a minute that no worker is polling.
	orders, err := orderflow.NewClient(tc, &orderflow.Options{CallTimeout: time.Minute, DataConverter: copts.DataConverter})
	if err != nil {
		return err
	}

	decide := orders.Approve
	if action == "reject" {
		decide = orders.Reject
	}
	approval, err := decide(ctx, orderID, orderflow.Decision{Reason: reason})
	if err != nil {
		return explain(ctx, orders, orderID, action, err)
	}
	scenario.PrintDecision(os.Stdout, orderID, approval)

	waitCtx, cancel := context.WithCancel(ctx)
	if *wait > 0 {
		waitCtx, cancel = context.WithTimeout(ctx, *wait)
	}
	defer cancel()
	res, err := orders.Result(waitCtx, orderID)
	switch {
	case res != nil:
		scenario.PrintOutcome(os.Stdout, res)
		return nil
	case waitCtx.Err() != nil && ctx.Err() == nil:
		fmt.Printf("Workflow still running after %v; follow it with:\n  temporal workflow show --workflow-id %s\n",
			*wait, orderflow.WorkflowID(orderID))
		return nil
	}
	return err
}

// explain turns a refused decision into a message for the approver.
func explain(ctx context.Context, orders *orderflow.Client, orderID, action string, err error) error {
	switch {
	case errors.Is(err, orderflow.ErrNotAwaitingApproval):
		// Only to say why: the refusal itself was decided by the workflow.
		status, qerr := orders.ApprovalStatus(ctx, orderID)
		if qerr != nil {
			return fmt.Errorf("cannot %s order %s: it is not awaiting approval\n(%w)", action, orderID, err)
		}
		return fmt.Errorf("cannot %s order %s: it is not awaiting approval; its approval status is %s\n(%w)",
			action, orderID, status, err)
	case errors.Is(err, orderflow.ErrOrderNotFound):
		return fmt.Errorf("cannot %s order %s: no such order (workflow %s)\n(%w)",
			action, orderID, orderflow.WorkflowID(orderID), err)
	}
	return fmt.Errorf("cannot %s order %s: %w", action, orderID, err)
}
