package integration

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/encryption"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/orderflow/orderflow/inbox"
)

// encKey returns a key whose secret is 32 bytes of b.
func encKey(id string, b byte) encryption.Key {
	return encryption.Key{ID: id, Secret: bytes.Repeat([]byte{b}, 32)}
}

// encryptedClient dials the namespace ns with the codec over keys, as a
// shop's worker and services do, and returns the client and the data
// converter to give orderflow.Options.
func encryptedClient(t *testing.T, ns string, keys ...encryption.Key) (client.Client, *encryption.Codec, client.Options) {
	t.Helper()
	ring, err := encryption.Keys(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := encryption.NewCodec(ring)
	if err != nil {
		t.Fatal(err)
	}
	opts := client.Options{HostPort: frontend, Namespace: ns}
	codec.ClientOptions(&opts)
	tc, err := client.Dial(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	return tc, codec, opts
}

// private is what must never be in plain text in an order's history: its
// customer's name, email and address, and its product names.
func private(o orderflow.Order) []string {
	out := []string{o.CustomerName, o.CustomerEmail, o.ShippingAddress}
	for _, it := range o.Items {
		out = append(out, it.ProductName)
	}
	return out
}

// rawLeaks returns the private strings found in msgs as the server stores
// and serves them (no codec), each with where it was found.
func rawLeaks(t *testing.T, secrets []string, msgs map[string]proto.Message) []string {
	t.Helper()
	var leaks []string
	for where, m := range msgs {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				leaks = append(leaks, fmt.Sprintf("%q in %s", s, where))
			}
		}
	}
	return leaks
}

// rawRecords returns the order's history events and its description, as
// the server holds them: a client's GetWorkflowHistory and
// DescribeWorkflowExecution decode nothing.
func (e *env) rawRecords(plain client.Client, orderID string) (map[string]proto.Message, []*historypb.HistoryEvent) {
	e.t.Helper()
	msgs := map[string]proto.Message{}
	events := e.history(orderID)
	for _, ev := range events {
		msgs[fmt.Sprintf("%s event %d %s", orderID, ev.GetEventId(), ev.GetEventType())] = ev
	}
	d, err := plain.DescribeWorkflowExecution(e.ctx, orderflow.WorkflowID(orderID), "")
	if err != nil {
		e.t.Fatalf("describe %s: %v", orderID, err)
	}
	msgs[orderID+" description (memo, search attributes, user metadata, pending activities)"] = d
	return msgs, events
}

// keyIDs returns the key IDs the payloads of events were encrypted with, in
// the order first seen.
func keyIDs(t *testing.T, events []*historypb.HistoryEvent) []string {
	t.Helper()
	var ids []string
	for _, ev := range events {
		b, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"k1", "k2"} {
			if bytes.Contains(b, []byte("encryption-key-id\x12\x02"+id)) && !strings.Contains(strings.Join(ids, ","), id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// With the encryption codec on, an order's history holds no customer data in
// plain text (failure messages and the memo included), while the Client,
// the listing and a replay read it all; a key rotated mid-order keeps the
// order readable; a missing or wrong key is a clear error.
func TestEncryptedOrdersKeepCustomerDataOutOfHistory(t *testing.T) {
	t.Parallel()
	ns, plain := newNamespace(t, "encrypted")
	if err := orderflow.RegisterSearchAttributes(testctx.Context(t), plain, ns); err != nil {
		t.Fatalf("RegisterSearchAttributes: %v", err)
	}
	k1, k2 := encKey("k1", 1), encKey("k2", 2)
	tc, _, copts := encryptedClient(t, ns, k1)
	e := newEnvOn(t, tc, &orderflow.Options{Visibility: true, DataConverter: copts.DataConverter}, nil)
	e.startWorker()

	small, failed, large := smallOrder(e.id("small")), smallOrder(e.id("undeliverable")), largeOrder(e.id("large"))
	// The carrier's refusal quotes the address: the failure message must be
	// encrypted too.
	e.p.Delivery.ArrangeFaults.FailOrder(failed.OrderID,
		fmt.Errorf("no carrier serves %s: %w", failed.ShippingAddress, orderflow.ErrUndeliverable))
	e.mustStart(small)
	e.mustStart(failed)
	co, err := e.orders.Checkout(e.ctx, large)
	if err != nil || !co.AwaitingApproval() {
		t.Fatalf("Checkout(large) = %+v, %v; want awaiting approval", co, err)
	}
	e.result(small.OrderID, orderflow.StatusCompleted)
	res, err := e.orders.Result(e.ctx, failed.OrderID)
	if !errors.Is(err, orderflow.ErrUndeliverable) || !strings.Contains(res.Message, failed.ShippingAddress) {
		t.Fatalf("Result(undeliverable) = %+v, %v; want ErrUndeliverable and the carrier's message decrypted", res, err)
	}

	// The approver's inbox lists the waiting order with its customer, and
	// no URL of it holds customer data.
	srv := serveInbox(t, e, inbox.Options{Authenticate: inboxAs("ops")})
	page := inboxFindListed(t, srv.URL+"/", large.OrderID)
	if row := inboxRowOf(page.body, large.OrderID); !strings.Contains(row, large.CustomerName) {
		t.Fatalf("inbox row of %s lacks its customer's name: %s", large.OrderID, row)
	}
	for _, m := range inboxOrderLink.FindAllStringSubmatch(page.body, -1) {
		for _, p := range private(large) {
			if strings.Contains(m[1], p) || strings.Contains(m[1], url.PathEscape(p)) {
				t.Fatalf("inbox link %s holds %q", m[1], p)
			}
		}
	}

	// Rotate mid-order: a new worker and Client with k2 current and k1
	// kept for what k1 encrypted; the old worker stops.
	tc2, _, copts2 := encryptedClient(t, ns, k2, k1)
	e.worker.Stop()
	w2 := worker.New(tc2, e.taskQueue, worker.Options{})
	if err := orderflow.Register(w2, e.acts); err != nil {
		t.Fatal(err)
	}
	if err := w2.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w2.Stop)
	orders2, err := orderflow.NewClient(tc2, &orderflow.Options{TaskQueue: e.taskQueue, Visibility: true, DataConverter: copts2.DataConverter})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orders2.Approve(e.ctx, large.OrderID, orderflow.Decision{Approver: "ops", Reason: "known customer " + large.CustomerName}); err != nil {
		t.Fatalf("Approve after rotation: %v", err)
	}
	if res, err := orders2.Result(e.ctx, large.OrderID); err != nil || res.Status != orderflow.StatusCompleted {
		t.Fatalf("Result(large) = %+v, %v; want completed", res, err)
	}

	// The server holds no customer data in plain text: not in any event
	// (inputs, results, Updates, failures, user metadata) nor in the
	// description (memo, summaries).
	var secrets []string
	for _, o := range []orderflow.Order{small, failed, large} {
		secrets = append(secrets, private(o)...)
	}
	secrets = append(secrets, "needs approval by", "Charge $") // the summaries are encrypted too
	histories := map[string][]*historypb.HistoryEvent{}
	for _, o := range []orderflow.Order{small, failed, large} {
		msgs, events := e.rawRecords(plain, o.OrderID)
		histories[o.OrderID] = events
		if leaks := rawLeaks(t, secrets, msgs); len(leaks) > 0 {
			t.Errorf("plain text on the server:\n  %s", strings.Join(leaks, "\n  "))
		}
	}
	if got := keyIDs(t, histories[large.OrderID]); strings.Join(got, ",") != "k1,k2" {
		t.Errorf("the large order's history is encrypted with keys %v, want k1 before the rotation, then k2", got)
	}

	// Everything a person reads still reads: State, Summary, the listing.
	st, err := orders2.State(e.ctx, large.OrderID)
	if err != nil || st.Status != orderflow.StatusCompleted || st.Approval.Reason != "known customer "+large.CustomerName {
		t.Fatalf("State(large) = %+v, %v", st, err)
	}
	sum, err := orders2.Summary(e.ctx, large.OrderID)
	if err != nil || sum.CustomerName != large.CustomerName {
		t.Fatalf("Summary(large) = %+v, %v; want the customer's name decrypted", sum, err)
	}
	rows := e.listed(orderflow.StatusCompleted, small.OrderID)
	if rows[small.OrderID].CustomerName != small.CustomerName {
		t.Fatalf("listing row %+v; want the customer's name decrypted", rows[small.OrderID])
	}

	// The recorded histories replay with the codec.
	replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		DataConverter: copts2.DataConverter, FailureConverter: copts2.FailureConverter})
	if err != nil {
		t.Fatal(err)
	}
	replayer.RegisterWorkflowWithOptions(orderflow.OrderWorkflow, workflow.RegisterOptions{Name: orderflow.WorkflowName})
	for id, events := range histories {
		if err := replayer.ReplayWorkflowHistory(nil, &historypb.History{Events: events}); err != nil {
			t.Errorf("replay of %s with the codec: %v", id, err)
		}
	}

	// A missing key, or a key of the right ID but the wrong secret, is a
	// clear error naming the key, never garbage.
	for _, c := range []struct {
		name string
		keys []encryption.Key
		want error
	}{
		{"k1 dropped", []encryption.Key{k2}, encryption.ErrUnknownKey},
		{"wrong secret", []encryption.Key{encKey("k1", 9)}, encryption.ErrDecrypt},
	} {
		tc3, _, copts3 := encryptedClient(t, ns, c.keys...)
		o3, err := orderflow.NewClient(tc3, &orderflow.Options{TaskQueue: e.taskQueue, Visibility: true, DataConverter: copts3.DataConverter})
		if err != nil {
			t.Fatal(err)
		}
		// The memo was written with k1, when the order started.
		sum, err := o3.Summary(e.ctx, large.OrderID)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), `"k1"`) || sum != nil {
			t.Errorf("%s: Summary = %+v, %v; want an error wrapping %v that names key k1", c.name, sum, err, c.want)
		}
	}
	// A Client without the codec cannot read the memo either, and says so.
	blind, err := orderflow.NewClient(plain, &orderflow.Options{TaskQueue: e.taskQueue, Visibility: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := blind.Summary(e.ctx, large.OrderID); err == nil || !strings.Contains(err.Error(), "binary/encrypted") {
		t.Errorf("Summary without the codec = %+v, %v; want an error naming the binary/encrypted encoding", sum, err)
	}
}

// A worker without an order's key stalls the order, with the codec's error
// in each failed workflow task, and loses nothing: once a worker with the
// key takes over, the order completes.
func TestAWorkerWithoutTheKeyStallsOrdersAndLosesNone(t *testing.T) {
	t.Parallel()
	ns, _ := newNamespace(t, "stall")
	k1, k2 := encKey("k1", 1), encKey("k2", 2)
	tc1, _, copts1 := encryptedClient(t, ns, k1)
	e := newEnvOn(t, tc1, &orderflow.Options{DataConverter: copts1.DataConverter}, nil)
	order := smallOrder(e.id("small"))
	e.mustStart(order) // encrypted with k1; no worker yet

	tc2, _, copts2 := encryptedClient(t, ns, k2)
	lacking := worker.New(tc2, e.taskQueue, worker.Options{}) // the SDK's default panic policy
	if err := orderflow.Register(lacking, e.acts); err != nil {
		t.Fatal(err)
	}
	if err := lacking.Start(); err != nil {
		t.Fatal(err)
	}
	e.waitFor("a workflow task failed for want of key k1", func() (bool, error) {
		for _, ev := range e.history(order.OrderID) {
			if f := ev.GetWorkflowTaskFailedEventAttributes(); f != nil {
				// The failure is encrypted too, with the worker's key.
				err := copts2.FailureConverter.FailureToError(f.GetFailure())
				return strings.Contains(err.Error(), `unknown key "k1"`), fmt.Errorf("workflow task failed: %v", err)
			}
		}
		return false, nil
	})
	lacking.Stop()
	d, err := e.tc.DescribeWorkflowExecution(e.ctx, orderflow.WorkflowID(order.OrderID), "")
	if err != nil {
		t.Fatal(err)
	}
	if st := d.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("the order is %v, want running: a missing key must stall it, not end it", st)
	}
	if calls := e.p.Payment.Calls(); len(calls) != 0 {
		t.Fatalf("the stalled order called the payment provider: %+v", calls)
	}

	tc3, _, copts3 := encryptedClient(t, ns, k2, k1)
	fixed := worker.New(tc3, e.taskQueue, worker.Options{})
	if err := orderflow.Register(fixed, e.acts); err != nil {
		t.Fatal(err)
	}
	if err := fixed.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fixed.Stop)
	// What the new worker wrote is k2's: read it with a Client that has k2.
	orders3, err := orderflow.NewClient(tc3, &orderflow.Options{TaskQueue: e.taskQueue, DataConverter: copts3.DataConverter})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := orders3.Result(e.ctx, order.OrderID); err != nil || res.Status != orderflow.StatusCompleted {
		t.Fatalf("Result = %+v, %v; want completed", res, err)
	}
	if n := len(e.chargesOf(order.OrderID)); n != 1 {
		t.Fatalf("%d charges, want 1", n)
	}
}

// A decision signal that no key will ever decrypt (here sent under the
// order's key ID with another secret, as a tool with the wrong keys would)
// is dropped like any undecodable signal: the order keeps waiting, and the
// next decision decides it.
func TestAnUndecryptableSignalIsDropped(t *testing.T) {
	t.Parallel()
	ns, _ := newNamespace(t, "badsignal")
	k1 := encKey("k1", 1)
	tc, _, copts := encryptedClient(t, ns, k1)
	e := newEnvOn(t, tc, &orderflow.Options{DataConverter: copts.DataConverter}, nil)
	e.startWorker()
	order := largeOrder(e.id("large"))
	e.mustStart(order)
	e.waitForApproval(order.OrderID, orderflow.ApprovalPending)

	wrong, _, _ := encryptedClient(t, ns, encKey("k1", 9))
	if err := wrong.SignalWorkflow(e.ctx, orderflow.WorkflowID(order.OrderID), "", orderflow.SignalApprove, "approve it"); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the signal to be taken in a completed workflow task", func() (bool, error) {
		events := e.history(order.OrderID)
		signalled := false
		for _, ev := range events {
			switch {
			case ev.GetWorkflowExecutionSignaledEventAttributes() != nil:
				signalled = true
			case signalled && ev.GetWorkflowTaskCompletedEventAttributes() != nil:
				return true, nil
			case ev.GetWorkflowTaskFailedEventAttributes() != nil:
				return false, fmt.Errorf("a workflow task failed: the signal stalled the order")
			}
		}
		return false, nil
	})
	if st, err := e.orders.ApprovalStatus(e.ctx, order.OrderID); err != nil || st != orderflow.ApprovalPending {
		t.Fatalf("after the undecryptable signal: approval %v, %v; want still pending", st, err)
	}
	if _, err := e.orders.Approve(e.ctx, order.OrderID, orderflow.Decision{Approver: "ops", Reason: "checked"}); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	res, _ := e.result(order.OrderID, orderflow.StatusCompleted)
	if res.Approval.Reason != "checked" {
		t.Fatalf("approved with reason %q, want the Update's", res.Approval.Reason)
	}
}
