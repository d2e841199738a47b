// Starter starts one of the Python demo's two sample orders through the typed
// orderflow.Client. It replaces the Python demo's starter.py.
//
// Usage:
//
//	go run ./examples/starter [flags] small|large
//
// "small" starts ORD-001 (Alice Smith, $89.95), waits for it to finish and
// prints the "Order Result" block. "large" starts ORD-002 (Bob Johnson,
// $1899.97), which needs approval, prints the "ORDER REQUIRES APPROVAL"
// block with the commands that decide it, and returns at once.
//
// An order ID names one order: starting the same order again attaches to
// it (and prints its result), while another order under an ID that ran or
// runs fails with orderflow.ErrOrderExists and exit status 1. Use -order-id
// to start another.
//
// Flags:
//
//	-address host:port    Temporal server (default $TEMPORAL_ADDRESS, else localhost:7233)
//	-namespace name       Temporal namespace (default $TEMPORAL_NAMESPACE, else "default")
//	-order-id id          order ID (default ORD-001 for small, ORD-002 for large)
//	-approval-timeout d   how long a large order waits for a decision (default 5m)
//	-v                    log the Temporal SDK at DEBUG level (default: warnings only)
//	-keys list            encryption keys, id=BASE64SECRET,… with the current one first
//	                      (default $ORDERFLOW_ENCRYPTION_KEYS): every payload is encrypted
//	                      (docs/encryption.md; examples/codecserver serves the Web UI and CLI)
//
// The connection also honours the rest of the Temporal environment
// configuration (TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE and the
// temporal.toml file). A worker must be running: see examples/worker.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/scenario"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		if errors.Is(err, orderflow.ErrOrderExists) {
			fmt.Fprintln(os.Stderr, "That order ID names another order; start this one with another -order-id.")
		}
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(flag.CommandLine.Output(), "Usage: starter [flags] small|large")
	flag.PrintDefaults()
}

func run() error {
	var cf conn.Flags
	cf.Register(flag.CommandLine)
	orderID := flag.String("order-id", "", "order ID (default ORD-001 for small, ORD-002 for large)")
	timeout := flag.Duration("approval-timeout", 5*time.Minute, "how long a large order waits for a decision")
	flag.Usage = usage
	flag.Parse()

	var order orderflow.Order
	switch flag.Arg(0) {
	case "small":
		order = scenario.SmallOrder(scenario.SmallOrderID)
	case "large":
		order = scenario.LargeOrder(scenario.LargeOrderID)
	default:
		usage()
		return errors.New(`want one argument, "small" or "large"`)
	}
	if *orderID != "" {
		order.OrderID = *orderID
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	tc, copts, err := cf.Dial(cf.Logger(os.Stderr, slog.LevelWarn))
	if err != nil {
		return err
	}
	defer tc.Close()
	orders, err := orderflow.NewClient(tc, &orderflow.Options{ApprovalTimeout: *timeout, DataConverter: copts.DataConverter})
	if err != nil {
		return err
	}
	return start(ctx, orders, order)
}

func start(ctx context.Context, orders *orderflow.Client, order orderflow.Order) error {
	settings := orders.Options()
	total, err := order.Total()
	if err != nil {
		return err
	}
	needsApproval, err := order.RequiresApproval(settings.ApprovalThreshold)
	if err != nil {
		return err
	}
	if err := scenario.PrintStarting(os.Stdout, order); err != nil {
		return err
	}
	if err := orders.Start(ctx, order); err != nil {
		return err
	}
	if needsApproval {
		scenario.PrintApprovalRequired(os.Stdout, order.OrderID, total, settings.ApprovalTimeout, "")
		return nil
	}
	fmt.Println("Waiting for workflow to complete...")
	res, err := scenario.Wait(ctx, orders, order.OrderID, nil)
	if res != nil {
		scenario.PrintResult(os.Stdout, res)
	}
	return err
}
