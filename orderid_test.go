package orderflow_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow"
)

// Order IDs are printable ASCII without space, as the workflow ID travels
// in a gRPC header: every such character is accepted, every other byte is
// refused, naming the character, its byte offset and the rule.
func TestOrderIDIsPrintableASCII(t *testing.T) {
	for c := byte(0x21); c <= 0x7e; c++ {
		id := "ORD" + string(c) + "1"
		require.NoError(t, orderflow.ValidateOrderID(id), "%q", id)
	}
	rule := "an order ID may contain only printable ASCII characters other than space, '!' to '~' (bytes 0x21 to 0x7E)"
	for _, tc := range []struct{ id, want string }{
		{"café", `"café" contains 'é' (U+00E9), which is not ASCII, at byte 3; `},
		{"注文-001", `"注文-001" contains '注' (U+6CE8), which is not ASCII, at byte 0; `},
		{"ORD_002.é", `contains 'é' (U+00E9), which is not ASCII, at byte 8; `},
		{"ORD 1", `"ORD 1" contains whitespace (U+0020) at byte 3; `},
		{"ORD\x7f1", `"ORD\x7f1" contains a control character (U+007F) at byte 3; `},
		{"ORD-\u00a0", `contains whitespace (U+00A0) at byte 4; `},
		{"ORD-\u200b", `contains an invisible format character (U+200B) at byte 4; `},
		{"ORD-\xff", `"ORD-\xff" is not valid UTF-8 (byte 0xFF at byte 4); `},
	} {
		err := orderflow.ValidateOrderID(tc.id)
		require.ErrorIs(t, err, orderflow.ErrInvalidOrder, "%q", tc.id)
		var ve *orderflow.ValidationError
		require.True(t, errors.As(err, &ve), "%q: %v", tc.id, err)
		require.Equal(t, "order_id", ve.Field)
		require.Contains(t, err.Error(), "orderflow: invalid order: order_id: ")
		require.Contains(t, ve.Reason, tc.want+rule)
	}
	// Every byte outside the range, at any offset.
	for b := 0; b < 256; b++ {
		if b >= 0x21 && b <= 0x7e {
			continue
		}
		id := "ORD-" + string([]byte{byte(b)})
		err := orderflow.ValidateOrderID(id)
		require.ErrorIs(t, err, orderflow.ErrInvalidOrder, "%q", id)
		require.Contains(t, err.Error(), "at byte 4", "%q", id)
	}
	// The longest ID of punctuation only is fine.
	require.NoError(t, orderflow.ValidateOrderID(strings.Repeat("~", orderflow.MaxOrderIDLength)))
	require.ErrorIs(t, orderflow.ValidateOrderID(strings.Repeat("~", orderflow.MaxOrderIDLength+1)), orderflow.ErrInvalidOrder)
}

// An order whose ID is refused is refused as a whole, by the order_id rule.
func TestOrderWithNonASCIIIDIsInvalid(t *testing.T) {
	for _, id := range []string{"café", "注文-001", "a b", "a\x7fb"} {
		o := orderflow.Order{OrderID: id, CustomerName: "Alice", CustomerEmail: "alice@example.com", ShippingAddress: "1 Main St",
			Items: []orderflow.Item{{ProductID: "P", Quantity: 1, UnitPrice: orderflow.USD(1)}}}
		err := o.Validate()
		require.ErrorIs(t, err, orderflow.ErrInvalidOrder, "%q", id)
		require.Contains(t, err.Error(), "order_id: "+fmt.Sprintf("%q", id), "%q", id)
		_, err = orderflow.NewWorkflowInput(o, nil)
		require.ErrorIs(t, err, orderflow.ErrInvalidOrder, "%q", id)
	}
}
