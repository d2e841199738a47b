package integration

import (
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/testctx"
)

// xorCodec stands in for an encryption codec: it wraps each payload, XORed,
// in one whose encoding is "binary/test", which only it can read. Payloads
// it did not encode pass through Decode.
type xorCodec struct{}

const xorEncoding = "binary/test"

func xor(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = c ^ 0x5a
	}
	return out
}

func (xorCodec) Encode(ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(ps))
	for i, p := range ps {
		b, err := proto.Marshal(p)
		if err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(xorEncoding)}, Data: xor(b)}
	}
	return out, nil
}

func (xorCodec) Decode(ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(ps))
	for i, p := range ps {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != xorEncoding {
			out[i] = p
			continue
		}
		var orig commonpb.Payload
		if err := proto.Unmarshal(xor(p.GetData()), &orig); err != nil {
			return nil, err
		}
		out[i] = &orig
	}
	return out, nil
}

// TestListingDecodesMemosWithTheClientsCodec runs orders on a Temporal client
// whose data converter encodes every payload with a codec, memos included,
// and checks that listing with Options.DataConverter set to that converter
// reads the rows (order ID, total, items, customer), through ListOrders,
// the Orders iterator and Summary; and that a Client left on the SDK's
// default converter fails to list, naming the order, instead of showing
// blank rows.
func TestListingDecodesMemosWithTheClientsCodec(t *testing.T) {
	t.Parallel()
	ns, plain := newNamespace(t, "codec")
	if err := orderflow.RegisterSearchAttributes(testctx.Context(t), plain, ns); err != nil {
		t.Fatalf("RegisterSearchAttributes: %v", err)
	}
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), xorCodec{})
	tc, err := client.Dial(client.Options{HostPort: frontend, Namespace: ns, DataConverter: dc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	e := newEnvOn(t, tc, &orderflow.Options{Visibility: true, DataConverter: dc}, nil)
	e.startWorker()

	small, large := e.id("small"), e.id("large")
	e.mustStart(smallOrder(small))
	e.mustStart(largeOrder(large))
	e.result(small, orderflow.StatusCompleted)

	// The memo is stored encoded: a converter without the codec cannot
	// read it.
	d, err := tc.DescribeWorkflowExecution(e.ctx, orderflow.WorkflowID(large), "")
	if err != nil {
		t.Fatal(err)
	}
	memo := d.GetWorkflowExecutionInfo().GetMemo().GetFields()["orderflow"] // the memo field of the listing row
	if enc := string(memo.GetMetadata()[converter.MetadataEncoding]); enc != xorEncoding {
		t.Fatalf("the memo's encoding is %q, want %q: the codec did not encode it", enc, xorEncoding)
	}

	check := func(how string, row orderflow.OrderSummary, want orderflow.Order, total int64) {
		t.Helper()
		if row.OrderID != want.OrderID || row.Total != orderflow.USD(total) || row.ItemCount != len(want.Items) ||
			len(row.Items) != len(want.Items) || row.CustomerName != want.CustomerName {
			t.Fatalf("%s: row %+v; want order %s, total %v, %d items, customer %q", how, row, want.OrderID,
				orderflow.USD(total), len(want.Items), want.CustomerName)
		}
		for i, it := range row.Items {
			if it.ProductID != want.Items[i].ProductID || it.ProductName != want.Items[i].ProductName || it.Quantity != want.Items[i].Quantity {
				t.Fatalf("%s: item %d is %+v, want %+v", how, i, it, want.Items[i])
			}
		}
	}
	// The Orders iterator (e.listed), then ListOrders and Summary.
	check("Orders(awaiting_approval)", e.listed(orderflow.StatusAwaitingApproval, large)[large], largeOrder(large), largeTotal)
	check("Orders(completed)", e.listed(orderflow.StatusCompleted, small)[small], smallOrder(small), smallTotal)
	page, err := asPage(e.orders.ListOrders(e.ctx, orderflow.ListOptions{}))
	if err != nil {
		t.Fatalf("ListOrders: %v", err)
	}
	if len(page.Orders) != 2 {
		t.Fatalf("ListOrders: %d rows, want 2: %+v", len(page.Orders), page.Orders)
	}
	for _, row := range page.Orders {
		if row.OrderID == large {
			check("ListOrders", row, largeOrder(large), largeTotal)
		} else {
			check("ListOrders", row, smallOrder(small), smallTotal)
		}
	}
	sum, err := e.orders.Summary(e.ctx, large)
	if err != nil {
		t.Fatalf("Summary: %v", err)
	}
	check("Summary", *sum, largeOrder(large), largeTotal)

	// Without Options.DataConverter the rows cannot be read: an error that
	// names the order and the setting, not blank rows.
	blind, err := orderflow.NewClient(tc, &orderflow.Options{TaskQueue: e.taskQueue})
	if err != nil {
		t.Fatal(err)
	}
	for how, err := range map[string]error{
		"ListOrders": func() error { _, _, err := blind.ListOrders(e.ctx, orderflow.ListOptions{}); return err }(),
		"Orders": func() error {
			for _, err := range blind.Orders(e.ctx, orderflow.StatusAwaitingApproval) {
				if err != nil {
					return err
				}
			}
			return nil
		}(),
		"Summary": func() error { _, err := blind.Summary(e.ctx, large); return err }(),
	} {
		if err == nil || !strings.Contains(err.Error(), "DataConverter") ||
			!(strings.Contains(err.Error(), `"`+large+`"`) || strings.Contains(err.Error(), `"`+small+`"`)) {
			t.Errorf("%s with the default data converter: err = %v; want an error naming the order and Options.DataConverter", how, err)
		}
	}
}
