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
// ones), register them on a worker, and drive orders with a Client:
//
//	orders, err := orderflow.NewClient(temporalClient, nil)
//	w := worker.New(temporalClient, orders.Options().TaskQueue, worker.Options{})
//	err = orderflow.Register(w, &orderflow.Activities{
//		Payment: myGateway, Inventory: myWarehouse, Delivery: myCarrier, Email: myMailer,
//	})
//	// … w.Start()
//
//	res, err := orders.Execute(ctx, order)  // start and wait (ctx's deadline, or 10 s)
//	co, err := orders.Checkout(ctx, order2) // start, answer once paid (or awaiting approval)
//	err = orders.Start(ctx, bigOrder)       // over the threshold: waits for a decision
//	_, err = orders.Approve(ctx, "ORD-002", orderflow.Decision{Approver: "alice", Reason: "VIP customer"})
//	res, err = orders.Result(ctx, "ORD-002")
//	if errors.Is(err, orderflow.ErrPaymentDeclined) { … }
//
// The Client's documentation gives its rules for order IDs (one order per
// ID; starting the same order again attaches to it), for deadlines, and
// which call reads what.
//
// # Outcomes
//
// Every business outcome is an OrderState with a Status: completed,
// rejected, timed_out, cancelled, failed or needs_attention, and a message
// for people. A failed order also names the step that failed and how
// (FailureType), and lists the compensations that ran. OrderState.Err and
// Client.Result turn a failure into an error that wraps the provider's
// sentinel. StatusNeedsAttention (ErrNeedsAttention) says that a person must
// act: a refund or release was refused for good, or delivery failed without
// saying whether it shipped; the result reports exactly what is still held.
//
// # Providers and errors
//
// A provider reports a permanent business failure by returning an error that
// wraps ErrPaymentDeclined, ErrOutOfStock, ErrUndeliverable or ErrPermanent.
// The activity then fails at once with a non-retryable error of a stable type
// ("orderflow.PaymentDeclined", …). Such an error promises that the call did
// nothing: the step is not undone. Any other error is transient and retried
// under Options.Retry.
//
// Each provider call carries an idempotency key (IdempotencyKey): the order
// ID, escaped, a slash and the activity name, such as
// "ORD-001/process_payment". It is the same on every retry, replay, worker
// restart and run of the order, so a provider that honours it cannot charge,
// reserve or ship twice; and because a refunded charge (a released
// reservation) stays refunded under its key, an order run again after it was
// compensated is declined rather than shipped on money that was returned.
//
// # Money safety
//
// The start of delivery is the point of no return. From then on an unknown
// outcome (an attempt that timed out, a worker that died, transient errors)
// is never read as "not shipped": delivery is retried, without an attempt
// limit, until the carrier answers. Only ErrUndeliverable releases the stock
// and refunds the payment.
//
// When a step fails, or the order is cancelled before delivery, what was
// done is undone in reverse order: the reservation is released, then the
// payment refunded. A step whose outcome is unknown (it timed out, was
// cancelled, or ran out of retries) is undone by its idempotency key, which
// the provider treats as a no-op if nothing happened and which blocks the
// step if it lands later. Forward steps that are cancelled are waited for,
// so an undo never overtakes what it undoes. Compensations run in a
// disconnected context, so they also run after a cancellation, and they do
// not give up: they are retried without an attempt limit, with
// Options.CompensationRetry's backoff. While a call is retried, Client.State
// shows it (OrderState.Current) with its attempts and last error.
//
// A confirmation email that cannot be sent does not undo a delivered order:
// the order completes with a warning.
//
// # Decisions and cancellation
//
// While an order awaits approval, exactly one of approve, reject, cancel and
// the approval timeout wins, and every other is refused
// (ErrNotAwaitingApproval, ErrTooLateToCancel, ErrAlreadyCancelled): a
// caller told that its decision took is told what the order ends as.
// Decisions are applied in the order the server recorded them. When one
// workflow task brings more than three at once (signals, the timer, a
// native cancel), the timer and the cancel come first, then rejections, then
// approvals: the safe side. An approve or reject Update accepted in the same
// task as a signal, the timer or a cancel that decided first is accepted,
// then fails with ErrNotAwaitingApproval, so its caller is still told.
//
// Client.Approve, Reject and Cancel are validated Updates with an ID made of
// the decision, the approver and the reason: a retried call gets the first
// call's answer, while a second approver is refused. Reasons are bounded
// (MaxReasonLength). The Python demo's signals are fire-and-forget: one whose
// payload cannot be decoded, or whose reason is too long, is logged and
// dropped, and the order keeps listening.
//
// Client.Cancel is accepted until delivery starts being arranged, also after
// an approval; it is refused once the order was rejected, timed out or
// failed and is being undone, and once delivery started. A native Temporal
// cancellation (CLI, UI) is handled the same way before delivery; after it,
// the order completes and the late cancellation is noted in its warnings.
//
// Decision.Approver names the approver, a name the caller has
// authenticated; it is recorded with the decision in the order's history
// (the Update's second argument), its state and its result
// (Approval.Approver, with Approval.DecidedAt).
//
// # Finding orders
//
// With Options.Visibility, orders are findable by status through Temporal's
// visibility store, without asking each order: Client.ListOrders returns a
// page (and the next page's token), Client.Orders iterates over them all.
//
//	for o, err := range orders.Orders(ctx, orderflow.StatusAwaitingApproval) {
//		if err != nil { … }
//		fmt.Println(o.OrderID, o.CustomerName, o.Total, o.ItemCount, o.TimeLeft(time.Now()))
//	}
//
// Orders awaiting approval come oldest first, by start time (while workers
// keep up, the one closest to timing out leads), the others newest first. The orders carry two custom search
// attributes (SearchAttributeStatus, SearchAttributeApprovalDeadline) and a
// memo row (order ID, total, items, customer name; never an email or an
// address). A namespace must have the attributes registered before an order
// upserts them, or the order's workflow tasks fail: RegisterSearchAttributes
// does it (idempotent), and NewClient refuses Visibility with
// ErrVisibilityNotReady until it is done. Orders started without the option
// run as before and are not listed; both kinds may share a namespace. The
// package inbox serves an approver's inbox over HTTP on top of this.
//
// # Low-latency mode
//
// With Options.LowLatency the provider calls run as local activities inside
// the workflow's tasks, and orders start eagerly on a worker that shares the
// Client's Temporal client. The money rules hold as in the default mode; what it costs
// (calls retried until answered, the payment after an approval and the
// delivery as regular activities, compensation by key of what a lost
// workflow task may have taken) is listed on Options.LowLatency.
//
// # Plans and replay
//
// What the workflow decides from its input — the validation verdict, the
// normalized order, the total, whether it needs approval, the prefix of its
// idempotency keys and its settings (threshold, approval timeout, activity
// timeout, retry policies, modes) — is its plan, decided once. The Client
// decides it when it starts an order, from Options, and carries it in the
// workflow input; an order started without one (the Temporal CLI) has it
// decided by the worker that first runs it, and recorded in its history.
// Replay reads the plan and never decides it again, so a later release may
// change validation, the currency table, limits, defaults or the key format
// without changing what a running order does; changes to the workflow's
// own logic are gated with workflow.GetVersion (docs/versioning.md).
//
// # Workers and memory
//
// A worker keeps the workflows it runs in the SDK's sticky workflow cache,
// which belongs to the process: orderflow never changes it. An order waiting
// for approval need not stay cached, since it is replayed from its short
// history when its decision comes; a process with many waiting orders sizes
// the cache with worker.SetStickyWorkflowCacheSize. docs/production.md has
// the measurements and sizing advice.
//
// # Testing
//
// Unit tests run the workflow in the SDK's testsuite with time skipping:
// Register on a TestWorkflowEnvironment, and execute WorkflowName with an
// Order (default options) or with orderflowtest.WorkflowInput (options of
// your own). Package orderflowtest has in-memory providers and conformance
// suites for your own providers; docs/testing.md shows an integration test
// against a real Temporal server.
//
// # Wire names
//
// These names are stable; running orders, the Temporal CLI and the Python
// demo's tooling depend on them:
//
//	workflow type   OrderWorkflow                   (WorkflowName)
//	task queue      order-task-queue                (Options.TaskQueue's default)
//	workflow ID     order-workflow-<order_id>       (WorkflowID)
//	signals         approve_order, reject_order     (reason string)
//	updates         approve, reject (reason, approver string),
//	                cancel_order (reason string), checkout
//	search attrs    OrderflowStatus (Keyword), OrderflowApprovalDeadline
//	                (Datetime), memo "orderflow"; with Options.Visibility
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
// They log order IDs, amounts, steps and failure types, never customer
// data: a provider's error message, which may quote an address, is in the
// order's state (OrderState.Message, Compensation.Error) and its history,
// not in orderflow's log lines. The SDK itself logs each failed activity
// attempt with its error ("Activity error."), and a tracing interceptor
// records it on the attempt's span: keep customer data out of providers'
// errors (docs/production.md).
//
// # Metrics, traces and the Web UI
//
// Orders report through the metrics handler of their worker's Temporal
// client (client.Options.MetricsHandler: Prometheus through
// go.temporal.io/sdk/contrib/tally, OpenTelemetry, …), beside the SDK's own
// temporal_* metrics. The workflow's are not recorded again when it
// replays, but are again when a workflow task fails after recording them
// and is retried: count them as at least once. Tags never carry order IDs
// or customer data:
//
//	orderflow_orders_started         counter  mode (default, low_latency), approval_required
//	orderflow_orders_ended           counter  status, reason (none, declined, out_of_stock,
//	                                          undeliverable, refused, step_timed_out,
//	                                          step_cancelled, retries_exhausted, rejected,
//	                                          timed_out, cancelled, compensation_refused,
//	                                          delivery_unknown)
//	orderflow_approval_wait          timer    outcome (approved, rejected, timed_out, cancelled)
//	orderflow_compensation_attempts  counter  step (payment, inventory), outcome (succeeded,
//	                                          retrying, refused): each refund or release attempt
//	orderflow_provider_latency       timer    provider, operation (charge, refund, reserve,
//	                                          release, arrange, send), outcome (ok, error,
//	                                          cancelled, or the refusal: declined, …)
//	orderflow_checkout_latency       timer    outcome (paid, awaiting_approval, not_paid,
//	                                          invalid_order, order_exists, error); emitted by
//	                                          the Client, on Options.MetricsHandler
//
// Tracing is the SDK's: an OpenTelemetry tracing interceptor
// (go.temporal.io/sdk/contrib/opentelemetry) on the Temporal client puts the
// order's workflow and provider calls in the trace of the request that
// started it, and each provider gets its call's span in its ctx.
//
// The Temporal Web UI and CLI show an order by its summary ("ORD-002 —
// $1899.97, 2 items — needs approval by 14:05 UTC"), its details, and what
// it is doing now ("Payment: charge $1899.97, since 14:02:11 UTC"); each
// provider call and the approval timer are named in its history. None of
// it holds customer data, and all of it goes through the client's data
// converter, so the encryption codec of package
// github.com/orderflow/orderflow/encryption covers it. docs/production.md
// has the dashboards and alerts; docs/encryption.md what is encrypted.
package orderflow
