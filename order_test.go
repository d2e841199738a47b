package orderflow_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow"
)

func TestMoneyParseAndFormat(t *testing.T) {
	for _, tc := range []struct {
		in, currency string
		want         int64
		str          string
	}{
		{"1899.97", "USD", 189997, "$1899.97"},
		{"89.95", "USD", 8995, "$89.95"},
		{"1000", "USD", 100000, "$1000.00"},
		{"0.1", "USD", 10, "$0.10"},
		{"0.07", "USD", 7, "$0.07"},
		{"-5.25", "USD", -525, "-$5.25"},
		{"12.50", "EUR", 1250, "12.50 EUR"},
		{"1500", "JPY", 1500, "1500 JPY"},
		{"1.234", "KWD", 1234, "1.234 KWD"},
	} {
		m, err := orderflow.ParseMoney(tc.in, tc.currency)
		require.NoError(t, err, tc.in)
		require.Equal(t, orderflow.Money{Amount: tc.want, Currency: tc.currency}, m, tc.in)
		require.Equal(t, tc.str, m.String(), tc.in)
	}
	for _, bad := range []string{"", "1.999", "abc", "1.", ".5", "1e3", "+1", "99999999999999999999"} {
		_, err := orderflow.ParseMoney(bad, "USD")
		require.Error(t, err, "ParseMoney(%q) accepted", bad)
	}
	require.Equal(t, "-$92233720368547758.08", orderflow.Money{Amount: math.MinInt64, Currency: "USD"}.String())
}

func TestMoneyJSON(t *testing.T) {
	var m orderflow.Money
	require.NoError(t, json.Unmarshal([]byte(`{"amount":2999,"currency":"EUR"}`), &m))
	require.Equal(t, orderflow.Money{Amount: 2999, Currency: "EUR"}, m)
	// The Python demo's bare decimal, read without floating point.
	require.NoError(t, json.Unmarshal([]byte(`29.99`), &m))
	require.Equal(t, orderflow.USD(2999), m)
	require.NoError(t, json.Unmarshal([]byte(`0.29`), &m)) // 0.29 is 28.999… as a float64
	require.Equal(t, orderflow.USD(29), m)
	require.Error(t, json.Unmarshal([]byte(`29.999`), &m))
	b, err := json.Marshal(orderflow.USD(8995))
	require.NoError(t, err)
	require.JSONEq(t, `{"amount":8995,"currency":"USD"}`, string(b))
}

// The Temporal CLI input of the Python demo decodes into a WorkflowInput.
func TestWorkflowInputFromPythonDemoJSON(t *testing.T) {
	in := `{"order_id":"ORD-002","customer_name":"Bob Johnson","customer_email":"bob@example.com",
	"items":[{"product_id":"LAPTOP-001","product_name":"Laptop","quantity":1,"unit_price":1299.99},
	         {"product_id":"MONITOR-001","product_name":"Monitor","quantity":2,"unit_price":299.99}],
	"shipping_address":"456 Oak Ave, Portland, OR 97201"}`
	var wi orderflow.WorkflowInput
	require.NoError(t, json.Unmarshal([]byte(in), &wi))
	require.NoError(t, wi.Order.Validate())
	require.Nil(t, wi.Settings)
	total, err := wi.Order.Total()
	require.NoError(t, err)
	require.Equal(t, orderflow.USD(189997), total)
	needs, err := wi.Order.RequiresApproval(orderflow.DefaultApprovalThreshold)
	require.NoError(t, err)
	require.True(t, needs)

	// And our own encoding uses the same snake_case names.
	b, err := json.Marshal(orderflow.WorkflowInput{Order: largeOrder("ORD-002")})
	require.NoError(t, err)
	for _, field := range []string{`"order_id"`, `"customer_name"`, `"customer_email"`, `"shipping_address"`, `"product_id"`, `"unit_price"`} {
		require.Contains(t, string(b), field)
	}
}

func TestRequiresApprovalIsStrictlyGreater(t *testing.T) {
	for cents, want := range map[int64]bool{99999: false, 100000: false, 100001: true} {
		got, err := orderOf("ORD-1", cents).RequiresApproval(orderflow.DefaultApprovalThreshold)
		require.NoError(t, err)
		require.Equal(t, want, got, "total %d cents", cents)
	}
	o := orderOf("ORD-1", 100)
	o.Items[0].UnitPrice.Currency = "EUR"
	_, err := o.RequiresApproval(orderflow.DefaultApprovalThreshold)
	require.ErrorIs(t, err, orderflow.ErrInvalidOrder)
}

func TestValidateNamesTheField(t *testing.T) {
	long := strings.Repeat("x", orderflow.MaxOrderIDLength+1)
	for field, mutate := range map[string]func(o *orderflow.Order){
		"order_id":            func(o *orderflow.Order) { o.OrderID = "" },
		"order_id ":           func(o *orderflow.Order) { o.OrderID = long },
		"order_id  ":          func(o *orderflow.Order) { o.OrderID = "ORD 1" },
		"order_id   ":         func(o *orderflow.Order) { o.OrderID = "ORD-\x001" },
		"order_id    ":        func(o *orderflow.Order) { o.OrderID = "ORD-\t1" },
		"customer_email":      func(o *orderflow.Order) { o.CustomerEmail = "" },
		"customer_email ":     func(o *orderflow.Order) { o.CustomerEmail = "alice" },
		"customer_email  ":    func(o *orderflow.Order) { o.CustomerEmail = "Alice <alice@example.com>" },
		"customer_email   ":   func(o *orderflow.Order) { o.CustomerEmail = "alice@localhost" },
		"shipping_address":    func(o *orderflow.Order) { o.ShippingAddress = " \n " },
		"items":               func(o *orderflow.Order) { o.Items = nil },
		"items[1].quantity":   func(o *orderflow.Order) { o.Items[1].Quantity = 0 },
		"items[0].quantity":   func(o *orderflow.Order) { o.Items[0].Quantity = -3 },
		"items[0].unit_price": func(o *orderflow.Order) { o.Items[0].UnitPrice.Amount = -1 },
		"items[0].unit_price.currency": func(o *orderflow.Order) {
			o.Items[0].UnitPrice.Currency = "usd"
		},
		"items[1].unit_price.currency ": func(o *orderflow.Order) { o.Items[1].UnitPrice.Currency = "EUR" },
		"items[0].product_id":           func(o *orderflow.Order) { o.Items[0].ProductID = "" },
		"items[0]": func(o *orderflow.Order) {
			o.Items[0].UnitPrice.Amount = math.MaxInt64 / 2
			o.Items[0].Quantity = 3
		},
		"items ": func(o *orderflow.Order) {
			o.Items[0].UnitPrice.Amount = math.MaxInt64 / 2
			o.Items[0].Quantity = 1
			o.Items[1].UnitPrice.Amount = math.MaxInt64 / 2
			o.Items[1].Quantity = 2
		},
		"customer_name": func(o *orderflow.Order) { o.CustomerName = "Bob\x07" },
	} {
		o := smallOrder("ORD-001")
		mutate(&o)
		err := o.Validate()
		require.ErrorIs(t, err, orderflow.ErrInvalidOrder, field)
		var ve *orderflow.ValidationError
		require.True(t, errors.As(err, &ve), field)
		require.Equal(t, strings.TrimSpace(field), ve.Field, "error %q", err)
		require.Contains(t, err.Error(), strings.TrimSpace(field))
	}
	require.NoError(t, smallOrder("ORD-001").Validate())
	require.NoError(t, largeOrder("ORD_002.é").Validate())
}

func TestOrderFailedErrorUnwrapsToSentinel(t *testing.T) {
	res := &orderflow.OrderResult{OrderID: "ORD-9", Status: orderflow.StatusFailed, FailedStep: orderflow.StepInventory,
		FailureType: orderflow.ErrorTypeOutOfStock, Message: "out"}
	err := res.Err()
	require.ErrorIs(t, err, orderflow.ErrOutOfStock)
	require.ErrorIs(t, err, orderflow.ErrOrderFailed)
	require.NotErrorIs(t, err, orderflow.ErrPaymentDeclined)
	require.Contains(t, err.Error(), "ORD-9")

	res.Status = orderflow.StatusCancelled
	require.NoError(t, res.Err(), "only failed orders are errors")
}
