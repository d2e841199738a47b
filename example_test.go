package orderflow_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
)

// quietEnv returns a test workflow environment with in-memory providers that
// make predictable IDs and dates, and a logger that prints nothing.
func quietEnv() (*testsuite.TestWorkflowEnvironment, *orderflowtest.Providers) {
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := ts.NewTestWorkflowEnvironment()
	acts, providers := orderflowtest.NewActivities()
	providers.UseSequentialIDs()
	providers.Delivery.Now = func() time.Time { return time.Date(2025, 10, 21, 12, 0, 0, 0, time.UTC) }
	if err := orderflow.Register(env, acts); err != nil {
		log.Fatal(err)
	}
	return env, providers
}

// An order under the approval threshold runs straight through. This is how
// to test code around orderflow with the SDK's test environment: the
// workflow takes the order itself and runs it with the default Options
// (orderflowtest.WorkflowInput gives it options of your own).
func Example() {
	env, providers := quietEnv()
	env.ExecuteWorkflow(orderflow.WorkflowName, smallOrder("ORD-001"))

	var res orderflow.OrderState
	if err := env.GetWorkflowResult(&res); err != nil {
		log.Fatal(err)
	}
	fmt.Println("Status:", res.Status)
	fmt.Println("Message:", res.Message)
	fmt.Println("Transaction ID:", res.Payment.TransactionID)
	fmt.Println(res.Payment.Message)
	fmt.Println(res.Inventory.Message)
	fmt.Println("Estimated Delivery:", res.Delivery.EstimatedDelivery)
	fmt.Println("Charged:", providers.Payment.Held("ORD-001"))
	// Output:
	// Status: completed
	// Message: Order processed successfully
	// Transaction ID: TXN-000000000001
	// Payment of $89.95 processed successfully
	// Reserved 2 item(s) successfully
	// Estimated Delivery: 2025-10-24
	// Charged: $89.95
}

// An order over the threshold waits for a decision; the approve Update
// answers at once whether it took.
func Example_approval() {
	env, _ := quietEnv()
	env.RegisterDelayedCallback(func() {
		status, _ := env.QueryWorkflow(orderflow.QueryApprovalStatus)
		var s string
		_ = status.Get(&s)
		fmt.Println("Approval status:", s)
		// The reason, and the approver's name (optional): what
		// Client.Approve sends for a Decision.
		env.UpdateWorkflow(orderflow.UpdateApprove, "decision-1", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { fmt.Println("refused:", err) },
			OnComplete: func(a any, err error) {
				d := a.(orderflow.Approval)
				fmt.Printf("Decision: %s by %s: %s\n", d.Status, d.Approver, d.Reason)
			},
		}, "High-value customer - approved", "alice@example.com")
	}, time.Minute)
	env.ExecuteWorkflow(orderflow.WorkflowName, largeOrder("ORD-002"))

	var res orderflow.OrderState
	if err := env.GetWorkflowResult(&res); err != nil {
		log.Fatal(err)
	}
	fmt.Println("Status:", res.Status, "total", res.Total)
	// Output:
	// Approval status: pending
	// Decision: approved by alice@example.com: High-value customer - approved
	// Status: completed total $1899.97
}

// When a step fails after payment, the payment is refunded and the order
// fails with an error that wraps the provider's sentinel.
func Example_compensation() {
	env, providers := quietEnv()
	providers.Inventory.SetStock("MOUSE-001", 1) // the order wants 2
	env.ExecuteWorkflow(orderflow.WorkflowName, smallOrder("ORD-001"))

	var res orderflow.OrderState
	if err := env.GetWorkflowResult(&res); err != nil {
		log.Fatal(err)
	}
	fmt.Println("Status:", res.Status)
	for _, c := range res.Compensations {
		fmt.Println("Compensated:", c.Activity, c.Reference)
	}
	fmt.Println("Still charged:", providers.Payment.Held("ORD-001"))
	fmt.Println("Out of stock:", errors.Is(res.Err(), orderflow.ErrOutOfStock))
	// Output:
	// Status: failed
	// Compensated: refund_payment TXN-000000000001
	// Still charged: $0.00
	// Out of stock: true
}

// A test can mock a step's provider call with the SDK's OnActivity. The
// mock's error does not pass through orderflow's activity code, so give it
// the form that code would: orderflowtest.ProviderError makes a permanent failure fail the
// step at once, as a real provider's would. The order also runs under its own
// workflow ID here, as it would through the Client.
func Example_mockedStep() {
	env, providers := quietEnv()
	env.OnActivity(orderflow.ActivityReserveInventory, mock.Anything, mock.Anything).
		Return(orderflow.InventoryResult{}, orderflowtest.ProviderError(fmt.Errorf("sold out: %w", orderflow.ErrOutOfStock)))
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: orderflow.WorkflowID("ORD-001")})
	env.ExecuteWorkflow(orderflow.WorkflowName, smallOrder("ORD-001"))

	var res orderflow.OrderState
	if err := env.GetWorkflowResult(&res); err != nil {
		log.Fatal(err)
	}
	fmt.Println("Status:", res.Status)
	fmt.Println("Out of stock:", errors.Is(res.Err(), orderflow.ErrOutOfStock))
	fmt.Println("Still charged:", providers.Payment.Held("ORD-001"))
	// Output:
	// Status: failed
	// Out of stock: true
	// Still charged: $0.00
}

// A decision the order refuses comes back from the test environment as a
// Temporal error; orderflowtest.WorkflowError gives it the sentinel a
// Client caller sees.
func Example_refusedDecision() {
	env, _ := quietEnv()
	env.RegisterDelayedCallback(func() {
		for _, reason := range []string{"VIP", "a second approver"} {
			env.UpdateWorkflow(orderflow.UpdateApprove, reason, &testsuite.TestUpdateCallback{
				OnAccept:   func() {},
				OnComplete: func(a any, err error) { fmt.Printf("%s: %s\n", reason, a.(orderflow.Approval).Status) },
				OnReject: func(err error) {
					err = orderflowtest.WorkflowError(err)
					fmt.Printf("%s: refused: %v\n", reason, errors.Is(err, orderflow.ErrNotAwaitingApproval))
					fmt.Println(err)
				},
			}, reason)
		}
	}, time.Minute)
	env.ExecuteWorkflow(orderflow.WorkflowName, largeOrder("ORD-002"))
	// Output:
	// VIP: approved
	// a second approver: refused: true
	// orderflow: order is not awaiting approval: approval status is approved
}

func ExampleOrder_Validate() {
	o := smallOrder("ORD-001")
	o.Items[1].Quantity = 0
	err := o.Validate()
	fmt.Println(err)
	fmt.Println(errors.Is(err, orderflow.ErrInvalidOrder))
	// Output:
	// orderflow: invalid order: items[1].quantity: must be at least 1, got 0
	// true
}

func ExampleOrder_RequiresApproval() {
	for _, o := range []orderflow.Order{smallOrder("ORD-001"), largeOrder("ORD-002")} {
		total, _ := o.Total()
		needs, _ := o.RequiresApproval(orderflow.USD(100000)) // the default threshold, $1000.00
		fmt.Println(o.OrderID, total, needs)
	}
	// Output:
	// ORD-001 $89.95 false
	// ORD-002 $1899.97 true
}

func ExampleParseMoney() {
	m, err := orderflow.ParseMoney("1899.97", "USD")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Amount, m.Currency, m)
	_, err = orderflow.ParseMoney("0.001", "USD")
	fmt.Println(err)
	// Output:
	// 189997 USD $1899.97
	// orderflow: parse money "0.001": want a decimal with at most 2 places
}

// A service embeds orderflow: a worker runs the workflow with real providers,
// and a Client drives orders. (Needs a Temporal server; see examples/demo for
// one that starts its own.)
func ExampleNewClient() {
	tc, err := client.Dial(client.Options{HostPort: client.DefaultHostPort})
	if err != nil {
		log.Fatal(err)
	}
	defer tc.Close()

	orders, err := orderflow.NewClient(tc, &orderflow.Options{ApprovalTimeout: 10 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	// The worker polls the Client's task queue, with the workflow and
	// activities registered.
	w := worker.New(tc, orders.Options().TaskQueue, worker.Options{})
	acts, _ := orderflowtest.NewActivities() // your providers here
	if err := orderflow.Register(w, acts); err != nil {
		log.Fatal(err)
	}
	if err := w.Start(); err != nil {
		log.Fatal(err)
	}
	defer w.Stop()

	ctx := context.Background()
	// Starting the same order again attaches to it; another order under
	// the same ID is refused.
	if err := orders.Start(ctx, largeOrder("ORD-002")); errors.Is(err, orderflow.ErrOrderExists) {
		fmt.Println("the ID is taken by another order")
	} else if err != nil {
		log.Fatal(err)
	}
	d := orderflow.Decision{Approver: "alice@example.com", Reason: "VIP customer"}
	if _, err := orders.Approve(ctx, "ORD-002", d); errors.Is(err, orderflow.ErrNotAwaitingApproval) {
		fmt.Println("someone decided first")
	}
	// Every call gives up after Options.CallTimeout unless ctx has a
	// deadline: give Result one to wait for the order.
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	res, err := orders.Result(ctx, "ORD-002")
	if errors.Is(err, orderflow.ErrPaymentDeclined) {
		fmt.Println("card declined")
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status, res.Message)
}

// Orders become findable by status once the namespace has orderflow's
// search attributes and the Client starts them with Options.Visibility.
// (Needs a Temporal server.)
func ExampleClient_Orders() {
	tc, err := client.Dial(client.Options{HostPort: client.DefaultHostPort})
	if err != nil {
		log.Fatal(err)
	}
	defer tc.Close()
	ctx := context.Background()
	// Once per namespace; idempotent. Without it NewClient refuses
	// Visibility with ErrVisibilityNotReady.
	if err := orderflow.RegisterSearchAttributes(ctx, tc, "default"); err != nil {
		log.Fatal(err)
	}
	orders, err := orderflow.NewClient(tc, &orderflow.Options{Visibility: true})
	if err != nil {
		log.Fatal(err)
	}
	// Oldest first: while workers keep up, the order closest to timing out leads.
	for o, err := range orders.Orders(ctx, orderflow.StatusAwaitingApproval) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(o.OrderID, o.CustomerName, o.Total, o.ItemCount, o.TimeLeft(time.Now()).Round(time.Second))
	}
	// Or a page at a time, for a web page: pass the next page's token back.
	page, next, err := orders.ListOrders(ctx, orderflow.ListOptions{Status: orderflow.StatusNeedsAttention, PageSize: 20})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page), "orders need a person; more:", next != "")
}

// The low-latency mode, for providers that answer in milliseconds: the
// worker and the Client share the Temporal client, so orders start on the
// worker in the server's reply, and the provider calls run inside the
// workflow's tasks. (Needs a Temporal server.)
func ExampleOptions_lowLatency() {
	tc, err := client.Dial(client.Options{HostPort: client.DefaultHostPort})
	if err != nil {
		log.Fatal(err)
	}
	defer tc.Close()
	orders, err := orderflow.NewClient(tc, &orderflow.Options{LowLatency: true})
	if err != nil {
		log.Fatal(err)
	}
	w := worker.New(tc, orders.Options().TaskQueue, worker.Options{})
	acts, _ := orderflowtest.NewActivities() // your providers here
	if err := orderflow.Register(w, acts); err != nil {
		log.Fatal(err)
	}
	if err := w.Start(); err != nil {
		log.Fatal(err)
	}
	defer w.Stop()
	co, err := orders.Checkout(context.Background(), orderflowtest.SmallOrder("ORD-001"))
	if err != nil {
		log.Fatal(err)
	}
	if co.Paid() {
		fmt.Println(co.Message, co.Payment.TransactionID)
	}
}

// The quick start of the README: a worker and a Client on a Temporal server
// at localhost:7233 (temporal server start-dev, or go run ./examples/devserver),
// with in-memory providers standing in for yours.
func Example_quickStart() {
	c, err := client.Dial(client.Options{HostPort: client.DefaultHostPort})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// nil Options are the defaults; here they are written out. A zero field
	// means the value shown.
	orders, err := orderflow.NewClient(c, &orderflow.Options{
		TaskQueue:         "order-task-queue",    // the queue the worker below polls
		ApprovalThreshold: orderflow.USD(100000), // $1000.00: a total strictly greater waits for a person
		ApprovalTimeout:   5 * time.Minute,       // no decision by then: timed_out, nothing charged
		ActivityTimeout:   30 * time.Second,      // each attempt of a provider call
		CallTimeout:       10 * time.Second,      // each Client call whose ctx has no deadline
		// Retry, CompensationRetry (nil): 1 s, ×2, at most 30 s apart; 3 attempts, but
		// delivery and refunds until answered. Visibility: needs RegisterSearchAttributes.
	})
	if err != nil {
		log.Fatal(err)
	}

	// The SDK keeps workflows in a sticky cache that belongs to the process
	// (10,000 by default). Orders waiting for approval need not stay in it:
	// 1000 is enough (docs/production.md). Set it before the first worker.
	worker.SetStickyWorkflowCacheSize(1000)
	w := worker.New(c, orders.Options().TaskQueue, worker.Options{})
	acts, _ := orderflowtest.NewActivities() // in-memory; your providers go here
	if err := orderflow.Register(w, acts); err != nil {
		log.Fatal(err) // a missing provider fails here, not mid-order
	}
	if err := w.Start(); err != nil {
		log.Fatal(err)
	}
	defer w.Stop()

	// Every call gives up after CallTimeout unless ctx has a deadline.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// $89.95: under the threshold, it runs straight through.
	state, err := orders.Execute(ctx, orderflow.Order{
		OrderID:         "ORD-001",
		CustomerName:    "Alice Smith",
		CustomerEmail:   "alice@example.com",
		ShippingAddress: "123 Main St, Springfield, IL 62701",
		Items: []orderflow.Item{
			{ProductID: "MOUSE-001", ProductName: "Wireless Mouse", Quantity: 2, UnitPrice: orderflow.USD(2999)},
			{ProductID: "CABLE-001", ProductName: "USB Cable", Quantity: 3, UnitPrice: orderflow.USD(999)},
		},
	})
	if errors.Is(err, orderflow.ErrPaymentDeclined) {
		fmt.Println("card declined; nothing charged")
	} else if err != nil {
		log.Fatal(err)
	} else {
		fmt.Println(state.Status, state.Message) // completed Order processed successfully
	}

	// $1899.97: Checkout answers once the order waits for a person.
	co, err := orders.Checkout(ctx, orderflowtest.LargeOrder("ORD-002"))
	if err != nil {
		log.Fatal(err)
	}
	if co.AwaitingApproval() {
		d := orderflow.Decision{Approver: "manager@example.com", Reason: "VIP customer"}
		if _, err := orders.Approve(ctx, "ORD-002", d); errors.Is(err, orderflow.ErrNotAwaitingApproval) {
			fmt.Println("someone decided first, or the approval timed out")
		} else if err != nil {
			log.Fatal(err)
		}
	}
	state, err = orders.Result(ctx, "ORD-002")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(state.Status, state.Approval.Approver) // completed manager@example.com
}
