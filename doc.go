// Package orderflow runs a business's orders through a durable Temporal
// workflow: approval of large orders by a person, then payment, inventory
// reservation, delivery and a confirmation email, with every completed step
// undone (a saga) when a later one fails or the order is cancelled.
//
//	OrderWorkflow(order)
//	├── total > approval threshold ($1000.00, strictly greater)?
//	│   ├── yes → wait for a decision (default 5 minutes)
//	│   │   ├── approved  → continue
//	│   │   ├── rejected  → end: rejected (nothing charged)
//	│   │   └── no answer → end: timed_out (nothing charged)
//	│   └── no  → continue
//	├── process payment         (PaymentProvider)
//	├── reserve inventory       (InventoryProvider)
//	├── arrange delivery        (DeliveryProvider)  ← point of no return
//	└── send confirmation email (EmailProvider, best effort)
//
// # Quick start
//
// Implement the four provider interfaces for your payment gateway,
// warehouse, carrier and mail service (package orderflowtest has in-memory
// ones), register them on your worker, and drive orders with a Client:
//
//	w := worker.New(temporalClient, orderflow.DefaultTaskQueue, worker.Options{})
//	err := orderflow.Register(w, &orderflow.Activities{
//		Payment: myGateway, Inventory: myWarehouse, Delivery: myCarrier, Email: myMailer,
//	})
//	// … w.Start()
//
//	orders, err := orderflow.NewClient(temporalClient, nil)
//	res, err := orders.Execute(ctx, order)          // start and wait
//	err = orders.Start(ctx, bigOrder)               // over the threshold: waits for a decision
//	_, err = orders.Approve(ctx, "ORD-002", "VIP customer")
//	res, err = orders.Result(ctx, "ORD-002")
//	if errors.Is(err, orderflow.ErrPaymentDeclined) { … }
//
// # Outcomes
//
// Every business outcome is an OrderResult with a Status: completed,
// rejected, timed_out, cancelled or failed, and a message for people. A
// failed order also names the step that failed and how (FailureType), and
// lists the compensations that ran. OrderResult.Err and Client.Result turn a
// failure into an error that wraps the provider's sentinel.
//
// # Providers and errors
//
// A provider reports a permanent business failure by returning an error that
// wraps ErrPaymentDeclined, ErrOutOfStock, ErrUndeliverable or ErrPermanent.
// The activity then fails at once with a non-retryable error of a stable type
// (ErrorTypePaymentDeclined, …), and the order is compensated. Any other error
// is transient and retried: by default 1 s initial interval, ×2 backoff, 30 s
// maximum interval, 3 attempts, each attempt limited to 30 s.
//
// Each provider call carries an idempotency key made of the workflow ID and
// the activity name (IdempotencyKey), identical on every retry and replay, so
// a provider that honours it cannot charge, reserve or ship twice.
//
// # Compensation
//
// When a step fails, or the order is cancelled before delivery is arranged,
// what was done is undone in reverse order: the reservation is released,
// then the payment refunded. A step whose outcome is unknown (it timed out,
// was cancelled, or ran out of retries) is undone by its idempotency key,
// which the provider treats as a no-op if nothing happened. A step that
// failed with a permanent business error did nothing and is not undone.
// Compensations run in a disconnected context, so they also run after a
// cancellation, and are retried harder (Options.CompensationRetry); one that
// still fails is recorded in the result for a person to finish.
//
// A confirmation email that cannot be sent does not undo a delivered order:
// the order completes with a warning.
//
// # Cancellation
//
// Client.Cancel is a validated Update: accepted until delivery starts being
// arranged, refused afterwards with ErrTooLateToCancel. A native Temporal
// cancellation (CLI, UI) is handled the same way before delivery; after it,
// the order completes and the late cancellation is noted in its warnings.
//
// # Settings and replay
//
// The values that steer decisions (threshold, approval timeout, activity
// timeout, retry policies) travel in the workflow input as Settings, filled
// from Options by the Client. An order keeps the settings it started with:
// changing a default changes new orders only. An order started without
// settings (for example from the Temporal CLI) records the defaults of the
// worker that first ran it in its history.
//
// # Wire names
//
// These names are stable; running orders, the Temporal CLI and the Python
// demo's tooling depend on them:
//
//	workflow type   OrderWorkflow                   (WorkflowName)
//	task queue      order-task-queue                (DefaultTaskQueue)
//	workflow ID     order-workflow-<order_id>       (WorkflowID)
//	signals         approve_order, reject_order     (reason string)
//	updates         approve, reject, cancel_order   (reason string)
//	queries         get_approval_status, get_approval_reason, get_order_state
//	activities      process_payment, reserve_inventory, arrange_delivery,
//	                send_confirmation_email, refund_payment, release_inventory
//
// Payloads are JSON with snake_case field names, as in the Python demo, so
// that
//
//	temporal workflow start --type OrderWorkflow --task-queue order-task-queue \
//	    --workflow-id order-workflow-ORD-003 \
//	    --input '{"order_id":"ORD-003","customer_name":"Carol","customer_email":"carol@example.com",
//	              "items":[{"product_id":"P1","product_name":"Pen","quantity":2,"unit_price":1.50}],
//	              "shipping_address":"1 Elm St"}'
//	temporal workflow query --workflow-id order-workflow-ORD-003 --type get_approval_status
//
// work. Money is integer minor units with a currency ({"amount":150,
// "currency":"USD"}); a bare decimal number such as 1.50 is read exactly,
// as US dollars.
//
// # Logging
//
// The workflow and activities log through the Temporal SDK's logger, which
// you can back with log/slog (go.temporal.io/sdk/log.NewStructuredLogger).
// They log order IDs and amounts, never customer emails or addresses.
package orderflow
