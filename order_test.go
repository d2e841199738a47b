package orderflow_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
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
		{"007.50", "USD", 750, "$7.50"},
		{"-0", "USD", 0, "$0.00"},
		{"12.50", "EUR", 1250, "12.50 EUR"},
		{"1500", "JPY", 1500, "1500 JPY"},
		{"1.234", "KWD", 1234, "1.234 KWD"},
		// Currencies the previous release gave two decimal places.
		{"1500", "XPF", 1500, "1500 XPF"},
		{"300", "BIF", 300, "300 BIF"},
		{"1.2345", "CLF", 12345, "1.2345 CLF"},
		{"0.0001", "UYW", 1, "0.0001 UYW"},
		{"10.00", "XCG", 1000, "10.00 XCG"},
		{"92233720368547758.07", "USD", math.MaxInt64, "$92233720368547758.07"},
		{"-92233720368547758.07", "USD", -math.MaxInt64, "-$92233720368547758.07"},
	} {
		m, err := orderflow.ParseMoney(tc.in, tc.currency)
		require.NoError(t, err, tc.in)
		require.Equal(t, orderflow.Money{Amount: tc.want, Currency: tc.currency}, m, tc.in)
		require.Equal(t, tc.str, m.String(), tc.in)
	}
	require.Equal(t, "-$92233720368547758.08", orderflow.Money{Amount: math.MinInt64, Currency: "USD"}.String())
}

// Each way of getting a decimal wrong has its own message.
func TestParseMoneyMessages(t *testing.T) {
	for _, tc := range []struct{ in, currency, want string }{
		{"", "USD", `empty; want a decimal such as 29.99`},
		{"-", "USD", `no digits; want a decimal such as 29.99`},
		{".", "USD", `no digits; want a decimal such as 29.99`},
		{".5", "USD", `missing digits before the decimal point (write 0.5)`},
		{"-.5", "USD", `missing digits before the decimal point (write -0.5)`},
		{"5.", "USD", `missing digits after the decimal point (write 5)`},
		{"1.999", "USD", `want a decimal with at most 2 places`},
		{"0.12345", "CLF", `want a decimal with at most 4 places`},
		{"1.5", "JPY", `want a whole number: JPY has no minor unit`},
		{"1e3", "USD", `unexpected "e" at byte 1; want digits, an optional leading '-' and at most one '.'`},
		{"+1", "USD", `unexpected "+" at byte 0; want digits, an optional leading '-' and at most one '.'`},
		{"--1", "USD", `unexpected "-" at byte 1; want digits, an optional leading '-' and at most one '.'`},
		{"1.2.3", "USD", `unexpected "." at byte 3; want digits, an optional leading '-' and at most one '.'`},
		{"1 000", "USD", `unexpected " " at byte 1; want digits, an optional leading '-' and at most one '.'`},
		{"١٢٣", "USD", `unexpected "١" at byte 0; want digits, an optional leading '-' and at most one '.'`},
		{"\xff", "USD", `unexpected "\xff" at byte 0; want digits, an optional leading '-' and at most one '.'`},
		{"92233720368547758.08", "USD", `out of range: amounts go from -$92233720368547758.07 to $92233720368547758.07`},
		{"-92233720368547758.08", "USD", `out of range: amounts go from -$92233720368547758.07 to $92233720368547758.07`},
		{"99999999999999999999", "JPY", `out of range: amounts go from -9223372036854775807 JPY to 9223372036854775807 JPY`},
		// The currencies Validate refuses, ParseMoney refuses too.
		{"1", "QQQ", `currency "QQQ" is not an active ISO 4217 currency code`},
		{"1", "XTS", `currency "XTS" is not an active ISO 4217 currency code`},
		{"1", "usd", `currency "usd" is not an ISO 4217 code: codes are upper case, "USD"`},
		{"1", "", `currency missing; want an ISO 4217 code such as "USD"`},
		{"", "usd", `currency "usd" is not an ISO 4217 code: codes are upper case, "USD"`},
	} {
		_, err := orderflow.ParseMoney(tc.in, tc.currency)
		require.EqualError(t, err, fmt.Sprintf("orderflow: parse money %q: %s", tc.in, tc.want), "ParseMoney(%q, %q)", tc.in, tc.currency)
	}
}

func TestMoneyString(t *testing.T) {
	for m, want := range map[orderflow.Money]string{
		{}:                                       "0",
		{Currency: "USD"}:                        "$0.00",
		{Currency: "EUR"}:                        "0.00 EUR",
		{Currency: "JPY"}:                        "0 JPY",
		{Amount: -1, Currency: "EUR"}:            "-0.01 EUR",
		{Amount: 1250}:                           "1250 minor units (no currency)",
		{Amount: 1250, Currency: "QQQ"}:          `1250 minor units of "QQQ"`,
		{Amount: -5, Currency: "usd"}:            `-5 minor units of "usd"`,
		{Amount: 5, Currency: "X\nY"}:            `5 minor units of "X\nY"`,
		{Amount: 123456, Currency: "BHD"}:        "123.456 BHD",
		{Amount: 123456, Currency: "ISK"}:        "123456 ISK",
		{Amount: 1, Currency: "CLF"}:             "0.0001 CLF",
		{Amount: 100000, Currency: "USD"}:        "$1000.00",
		{Amount: -100000, Currency: "USD"}:       "-$1000.00",
		{Amount: math.MaxInt64, Currency: "KWD"}: "9223372036854775.807 KWD",
	} {
		require.Equal(t, want, m.String(), "%#v", m)
		require.Equal(t, strings.TrimSpace(m.String()), m.String())
	}
}

// iso4217 is ISO 4217 List One, the active codes with a minor unit, by the
// number of decimal places of that unit: the test's own copy, to check the
// library's table against.
var iso4217 = map[int]string{
	0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
	2: "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN BZD " +
		"CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP " +
		"GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT " +
		"LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN " +
		"NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD " +
		"SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS " +
		"VED VES WST XCD XCG YER ZAR ZMW ZWG",
	3: "BHD IQD JOD KWD LYD OMR TND",
	4: "CLF UYW",
}

// isoDigits reports the decimal places of an active ISO 4217 currency.
func isoDigits(code string) (int, bool) {
	for digits, codes := range iso4217 {
		for _, c := range strings.Fields(codes) {
			if c == code {
				return digits, true
			}
		}
	}
	return 0, false
}

// Every three-letter code: accepted exactly when ISO 4217 lists it, with its
// own decimal places.
func TestCurrencyTable(t *testing.T) {
	known := 0
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			for c := 'A'; c <= 'Z'; c++ {
				code := string([]rune{a, b, c})
				digits, ok := isoDigits(code)
				m, err := orderflow.ParseMoney("1", code)
				require.Equal(t, ok, err == nil, "%s: %v", code, err)
				o := orderOf("ORD-1", 100)
				o.Items[0].UnitPrice.Currency = code
				require.Equal(t, ok, o.Validate() == nil, "%s: %v", code, o.Validate())
				if !ok {
					continue
				}
				known++
				require.Equal(t, int64(math.Pow10(digits)), m.Amount, "%s has %d decimal places", code, digits)
			}
		}
	}
	require.Equal(t, 164, known)
	// Withdrawn with the euro or a new currency, or no money at all.
	for _, code := range []string{"BGN", "HRK", "ANG", "CUC", "ZWL", "SLL", "XTS", "XXX", "XAU", "XDR"} {
		_, err := orderflow.ParseMoney("1", code)
		require.ErrorContains(t, err, "not an active ISO 4217 currency code", code)
	}
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

// Decoding errors name the field by its JSON path, in orderflow's terms
// rather than Go's.
func TestJSONErrorsNameTheField(t *testing.T) {
	const forms = `a number such as 29.99 or an object such as {"amount": 2999, "currency": "USD"}`
	for in, want := range map[string]string{
		`"29.99"`:                            `want ` + forms + `, got the string "29.99"`,
		`true`:                               `want ` + forms + `, got true`,
		`[29.99]`:                            `want ` + forms + `, got an array`,
		`29.999`:                             `29.999: want a decimal with at most 2 places (a bare number is an amount in USD)`,
		`1e3`:                                `1e3: unexpected "e" at byte 1; want digits, an optional leading '-' and at most one '.' (a bare number is an amount in USD)`,
		`{"amount":1.5,"currency":"USD"}`:    `amount: want an integer number of minor units, got 1.5`,
		`{"amount":"2999","currency":"USD"}`: `amount: want an integer number of minor units, got a string`,
		`{"amount":9223372036854775808}`:     `amount: 9223372036854775808 is out of range: want an integer number of minor units from -9223372036854775808 to 9223372036854775807`,
		`{"amount":2999,"currency":840}`:     `currency: want a currency code such as "USD", got a number`,
		`{"amount":2999,"currency":["USD"]}`: `currency: want a currency code such as "USD", got an array`,
	} {
		var m orderflow.Money
		require.EqualError(t, json.Unmarshal([]byte(in), &m), "orderflow: "+want, in)

		// In an item, and in an order: the path starts at the item.
		item := `{"product_id":"P","quantity":1,"unit_price":` + in + `}`
		path := "unit_price"
		if !strings.HasPrefix(want, "amount") && !strings.HasPrefix(want, "currency") {
			path += ": "
		} else {
			path += "."
		}
		var it orderflow.Item
		require.EqualError(t, json.Unmarshal([]byte(item), &it), "orderflow: "+path+want, item)
		var o orderflow.Order
		err := json.Unmarshal([]byte(`{"order_id":"ORD-1","items":[`+item+`]}`), &o)
		require.EqualError(t, err, "orderflow: "+path+want)
		var wi struct{ orderflow.Order }
		err = json.Unmarshal([]byte(`{"order_id":"ORD-1","items":[`+item+`]}`), &wi)
		require.EqualError(t, err, "orderflow: "+path+want)
	}
	for in, want := range map[string]string{
		`{"product_id":"P","quantity":1.5}`: `quantity: want a whole number, got 1.5`,
		`{"product_id":"P","quantity":"1"}`: `quantity: want a whole number, got a string`,
		`{"product_id":7,"quantity":1}`:     `product_id: want a string, got a number`,
		`{"product_name":true}`:             `product_name: want a string, got true or false`,
		`"MOUSE-001"`:                       `want an item object such as {"product_id": "MOUSE-001", "quantity": 1, "unit_price": 29.99}, got a string`,
	} {
		var it orderflow.Item
		err := json.Unmarshal([]byte(in), &it)
		require.EqualError(t, err, "orderflow: "+want, in)
		for _, goName := range []string{"plain", "int64", "Go ", "orderflow.", "struct"} {
			require.NotContains(t, err.Error(), goName)
		}
	}
}

// The Temporal CLI input of the Python demo decodes into a WorkflowInput.
func TestWorkflowInputFromPythonDemoJSON(t *testing.T) {
	in := `{"order_id":"ORD-002","customer_name":"Bob Johnson","customer_email":"bob@example.com",
	"items":[{"product_id":"LAPTOP-001","product_name":"Laptop","quantity":1,"unit_price":1299.99},
	         {"product_id":"MONITOR-001","product_name":"Monitor","quantity":2,"unit_price":299.99}],
	"shipping_address":"456 Oak Ave, Portland, OR 97201"}`
	var wi struct{ orderflow.Order }
	require.NoError(t, json.Unmarshal([]byte(in), &wi))
	require.NoError(t, wi.Order.Validate())
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

// requireInvalid checks that err is a *ValidationError of field, wrapping
// ErrInvalidOrder, whose reason contains reason.
func requireInvalid(t *testing.T, err error, field, reason string, msgAndArgs ...any) {
	t.Helper()
	require.ErrorIs(t, err, orderflow.ErrInvalidOrder, msgAndArgs...)
	var ve *orderflow.ValidationError
	require.True(t, errors.As(err, &ve), msgAndArgs...)
	require.Equal(t, field, ve.Field, "error %q", err)
	require.Contains(t, err.Error(), "orderflow: invalid order: "+field+": ", msgAndArgs...)
	require.Contains(t, ve.Reason, reason, msgAndArgs...)
}

func TestValidateNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		field, reason string
		mutate        func(o *orderflow.Order)
	}{
		{"order_id", "must not be empty", func(o *orderflow.Order) { o.OrderID = "" }},
		{"order_id", "129 bytes, more than the limit of 128", func(o *orderflow.Order) {
			o.OrderID = strings.Repeat("x", orderflow.MaxOrderIDLength+1)
		}},
		{"order_id", `"ORD 1" contains whitespace (U+0020) at byte 3`, func(o *orderflow.Order) { o.OrderID = "ORD 1" }},
		{"order_id", `contains whitespace (U+0020) at byte 0`, func(o *orderflow.Order) { o.OrderID = " ORD-1" }},
		{"order_id", `contains a control character (U+0000) at byte 4`, func(o *orderflow.Order) { o.OrderID = "ORD-\x001" }},
		{"order_id", `contains whitespace (U+0009) at byte 4`, func(o *orderflow.Order) { o.OrderID = "ORD-\t1" }},
		{"order_id", `contains an invisible format character (U+200B) at byte 4`, func(o *orderflow.Order) { o.OrderID = "ORD-\u200b1" }},
		{"order_id", `contains an invisible format character (U+202E) at byte 4`, func(o *orderflow.Order) { o.OrderID = "ORD-\u202e1" }},
		{"order_id", `contains an invisible format character (U+FEFF) at byte 0`, func(o *orderflow.Order) { o.OrderID = "\ufeffORD-1" }},
		{"order_id", `contains an invisible format character (U+200D) at byte 4`, func(o *orderflow.Order) { o.OrderID = "ORD-\u200d1" }},
		{"order_id", "is not valid UTF-8", func(o *orderflow.Order) { o.OrderID = "ORD-\xff" }},
		{"customer_name", "must not be empty", func(o *orderflow.Order) { o.CustomerName = "" }},
		{"customer_name", "must not be empty", func(o *orderflow.Order) { o.CustomerName = "   " }},
		{"customer_name", "must not be blank: it has no visible character", func(o *orderflow.Order) { o.CustomerName = "\u200b" }},
		{"customer_name", "must not be blank", func(o *orderflow.Order) { o.CustomerName = "\u0301\u0308" }}, // combining marks only
		{"customer_name", "must not be blank", func(o *orderflow.Order) { o.CustomerName = "\u3164" }},       // Hangul filler
		{"customer_name", "must not be blank", func(o *orderflow.Order) { o.CustomerName = "\u2800\u2800" }}, // Braille blank
		{"customer_name", "U+FFFD", func(o *orderflow.Order) { o.CustomerName = "Ada \ufffd" }},
		{"customer_name", "U+FFFD", func(o *orderflow.Order) { o.CustomerName = "\ufffd" }},
		{"items[0].product_id", "must not be blank", func(o *orderflow.Order) { o.Items[0].ProductID = "\u0301" }},
		{"items[0].product_name", "must not be blank", func(o *orderflow.Order) { o.Items[0].ProductName = "\u20dd" }}, // enclosing mark
		{"shipping_address", "must not be blank", func(o *orderflow.Order) { o.ShippingAddress = "\u3164\n\u0301" }},
		{"customer_name", "must not be blank", func(o *orderflow.Order) { o.CustomerName = "\u200d\u00a0\u200c" }},
		{"customer_name", "contains a control character (U+0007) at byte 3", func(o *orderflow.Order) { o.CustomerName = "Bob\x07" }},
		{"customer_name", "contains a control character (U+0009) at byte 3", func(o *orderflow.Order) { o.CustomerName = "Bob\tSmith" }},
		{"customer_name", "contains a line break (U+000A); it must be one line", func(o *orderflow.Order) { o.CustomerName = "Bob\nSmith" }},
		{"customer_name", "contains a line break (U+000D); it must be one line", func(o *orderflow.Order) { o.CustomerName = "Bob\r\nSmith" }},
		{"customer_name", "contains a line break (U+2028); it must be one line", func(o *orderflow.Order) { o.CustomerName = "Bob\u2028Smith" }},
		{"customer_name", "contains an invisible format character (U+202E) at byte 3", func(o *orderflow.Order) { o.CustomerName = "Bob\u202eSmith" }},
		{"customer_name", "contains an invisible format character (U+2066) at byte 0", func(o *orderflow.Order) { o.CustomerName = "\u2066Bob\u2069" }},
		{"customer_name", "is not valid UTF-8", func(o *orderflow.Order) { o.CustomerName = "Bob\xc3" }},
		{"customer_email", "must not be empty", func(o *orderflow.Order) { o.CustomerEmail = "" }},
		{"customer_email", "must not be empty", func(o *orderflow.Order) { o.CustomerEmail = " \t" }},
		{"customer_email", "is not a plain address like name@example.com", func(o *orderflow.Order) { o.CustomerEmail = "alice" }},
		{"customer_email", "is not a plain address", func(o *orderflow.Order) { o.CustomerEmail = "Alice <alice@example.com>" }},
		{"customer_email", "is not a plain address", func(o *orderflow.Order) { o.CustomerEmail = "alice@localhost" }},
		{"customer_email", "is not a plain address", func(o *orderflow.Order) { o.CustomerEmail = "alice@example.com (Alice)" }},
		{"customer_email", "contains an invisible format character (U+200B) at byte 5", func(o *orderflow.Order) {
			o.CustomerEmail = "alice\u200b@example.com"
		}},
		{"customer_email", "contains an invisible format character (U+200D)", func(o *orderflow.Order) { o.CustomerEmail = "al\u200dice@example.com" }},
		{"shipping_address", "must not be empty", func(o *orderflow.Order) { o.ShippingAddress = " \n " }},
		{"shipping_address", "must not be empty", func(o *orderflow.Order) { o.ShippingAddress = "\r\n\r\n" }},
		{"shipping_address", "contains a control character (U+0009) at byte 6", func(o *orderflow.Order) { o.ShippingAddress = "1 Main\tSt" }},
		{"shipping_address", "contains a line break other than LF (U+2029) at byte 9", func(o *orderflow.Order) {
			o.ShippingAddress = "1 Main St\u2029Springfield"
		}},
		{"shipping_address", "contains an invisible format character (U+202D) at byte 0", func(o *orderflow.Order) {
			o.ShippingAddress = "\u202d1 Main St"
		}},
		{"items", "an order needs at least one item", func(o *orderflow.Order) { o.Items = nil }},
		{"items", "an order needs at least one item", func(o *orderflow.Order) { o.Items = []orderflow.Item{} }},
		{"items[1].quantity", "must be at least 1, got 0", func(o *orderflow.Order) { o.Items[1].Quantity = 0 }},
		{"items[0].quantity", "must be at least 1, got -3", func(o *orderflow.Order) { o.Items[0].Quantity = -3 }},
		{"items[0].unit_price", "must not be negative, got -$0.01", func(o *orderflow.Order) { o.Items[0].UnitPrice.Amount = -1 }},
		{"items[0].unit_price.currency", `"usd" is not an ISO 4217 code: codes are upper case, "USD"`, func(o *orderflow.Order) {
			o.Items[0].UnitPrice.Currency = "usd"
		}},
		{"items[0].unit_price.currency", `"QQQ" is not an active ISO 4217 currency code`, func(o *orderflow.Order) {
			o.Items[0].UnitPrice.Currency = "QQQ"
		}},
		{"items[0].unit_price.currency", `missing; want an ISO 4217 code such as "USD"`, func(o *orderflow.Order) {
			o.Items[0].UnitPrice.Currency = ""
		}},
		{"items[1].unit_price.currency", `"EUR" differs from the order's currency "USD"`, func(o *orderflow.Order) {
			o.Items[1].UnitPrice.Currency = "EUR"
		}},
		{"items[0].product_id", "must not be empty", func(o *orderflow.Order) { o.Items[0].ProductID = "" }},
		{"items[0].product_id", "must not be blank", func(o *orderflow.Order) { o.Items[0].ProductID = "   " }},
		{"items[0].product_id", "must not begin or end with whitespace", func(o *orderflow.Order) { o.Items[0].ProductID = "MOUSE-001 " }},
		{"items[1].product_id", "must not begin or end with whitespace", func(o *orderflow.Order) { o.Items[1].ProductID = "\u00a0CABLE-001" }},
		{"items[0].product_id", "contains an invisible format character (U+200B) at byte 5", func(o *orderflow.Order) {
			o.Items[0].ProductID = "MOUSE\u200b-001"
		}},
		{"items[0].product_id", "contains an invisible format character (U+200C)", func(o *orderflow.Order) { o.Items[0].ProductID = "MOUSE\u200c" }},
		{"items[0].product_id", "contains a control character (U+007F)", func(o *orderflow.Order) { o.Items[0].ProductID = "P\x7f" }},
		{"items[0].product_id", "contains a line break (U+000A)", func(o *orderflow.Order) { o.Items[0].ProductID = "P\n1" }},
		{"items[0].product_name", "contains a line break (U+000A)", func(o *orderflow.Order) { o.Items[0].ProductName = "Wireless\nMouse" }},
		{"items[0].product_name", "contains an invisible format character (U+061C)", func(o *orderflow.Order) { o.Items[0].ProductName = "Mouse\u061c" }},
		{"items[0]", "subtotal overflows", func(o *orderflow.Order) {
			o.Items[0].UnitPrice.Amount = math.MaxInt64 / 2
			o.Items[0].Quantity = 3
		}},
		{"items", "order total overflows", func(o *orderflow.Order) {
			o.Items[0].UnitPrice.Amount = math.MaxInt64 / 2
			o.Items[0].Quantity = 1
			o.Items[1].UnitPrice.Amount = math.MaxInt64 / 2
			o.Items[1].Quantity = 2
		}},
	} {
		o := smallOrder("ORD-001")
		tc.mutate(&o)
		requireInvalid(t, o.Validate(), tc.field, tc.reason, "%+v", o)
	}
	require.NoError(t, smallOrder("ORD-001").Validate())
	require.NoError(t, largeOrder("ORD_002.a").Validate())
	requireInvalid(t, largeOrder("ORD_002.é").Validate(), "order_id", `contains 'é' (U+00E9), which is not ASCII, at byte 8`)
}

// What people really send is accepted.
func TestValidateAccepts(t *testing.T) {
	for name, mutate := range map[string]func(o *orderflow.Order){
		"an address from an HTML form (CRLF)":       func(o *orderflow.Order) { o.ShippingAddress = "123 Main St\r\nSpringfield, IL 62701\r\n" },
		"an address with lone CRs":                  func(o *orderflow.Order) { o.ShippingAddress = "123 Main St\rSpringfield" },
		"an address with LFs":                       func(o *orderflow.Order) { o.ShippingAddress = "123 Main St\nSpringfield" },
		"surrounding whitespace in text":            func(o *orderflow.Order) { o.CustomerName = "  Alice Smith\t"; o.Items[0].ProductName = " Mouse " },
		"surrounding whitespace in the email":       func(o *orderflow.Order) { o.CustomerEmail = " alice@example.com\n" },
		"a zero-width non-joiner in a Persian name": func(o *orderflow.Order) { o.CustomerName = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645" },
		"an emoji ZWJ sequence in a product name": func(o *orderflow.Order) {
			o.Items[0].ProductName = "Family \U0001F468\u200D\U0001F469\u200D\U0001F467 mug"
		},
		"right-to-left text":           func(o *orderflow.Order) { o.CustomerName = "\u05d3\u05d5\u05d3 \u05db\u05d4\u05df" },
		"spaces inside a product ID":   func(o *orderflow.Order) { o.Items[0].ProductID = "MOUSE 001" },
		"no product name":              func(o *orderflow.Order) { o.Items[0].ProductName = "" },
		"a blank product name":         func(o *orderflow.Order) { o.Items[0].ProductName = "  " },
		"a free item":                  func(o *orderflow.Order) { o.Items[0].UnitPrice.Amount = 0 },
		"a punctuated order ID":        func(o *orderflow.Order) { o.OrderID = "ORD/1%2F?#~" },
		"a one-letter name":            func(o *orderflow.Order) { o.CustomerName = "Q" },
		"an internationalised address": func(o *orderflow.Order) { o.CustomerEmail = "álice@exämple.com" },
	} {
		o := smallOrder("ORD-001")
		mutate(&o)
		require.NoError(t, o.Validate(), name)
		require.NoError(t, o.Normalized().Validate(), name)
	}
}

// Every limit, at the largest accepted and the smallest refused value.
func TestLimitsAtTheirBoundaries(t *testing.T) {
	item := orderflow.Item{ProductID: "P", Quantity: 1, UnitPrice: orderflow.USD(1)}
	// email returns a valid address of n bytes.
	email := func(n int) string { return "a@" + strings.Repeat("b", n-len("a@.com")) + ".com" }
	for _, tc := range []struct {
		field          string
		accept, refuse int64
		set            func(o *orderflow.Order, n int64)
	}{
		{"items", orderflow.MaxItems, orderflow.MaxItems + 1, func(o *orderflow.Order, n int64) {
			o.Items = slices.Repeat([]orderflow.Item{item}, int(n))
		}},
		{"items", 1, 0, func(o *orderflow.Order, n int64) { o.Items = slices.Repeat([]orderflow.Item{item}, int(n)) }},
		{"items[0].quantity", orderflow.MaxQuantity, orderflow.MaxQuantity + 1, func(o *orderflow.Order, n int64) { o.Items[0].Quantity = n }},
		{"items[0].quantity", 1, 0, func(o *orderflow.Order, n int64) { o.Items[0].Quantity = n }},
		{"items[0].unit_price", 0, -1, func(o *orderflow.Order, n int64) { o.Items[0].UnitPrice.Amount = n }},
		// The subtotal fits in an int64: 7 × 1317624576693539401 is math.MaxInt64.
		{"items[0]", math.MaxInt64 / 7, math.MaxInt64/7 + 1, func(o *orderflow.Order, n int64) {
			o.Items = []orderflow.Item{{ProductID: "P", Quantity: 7, UnitPrice: orderflow.USD(n)}}
		}},
		{"items[0]", math.MaxInt64, 0, func(o *orderflow.Order, n int64) {
			if n == 0 { // no int64 price is over the limit with quantity 1; a quantity of 2 is
				o.Items = []orderflow.Item{{ProductID: "P", Quantity: 2, UnitPrice: orderflow.USD(math.MaxInt64/2 + 1)}}
				return
			}
			o.Items = []orderflow.Item{{ProductID: "P", Quantity: 1, UnitPrice: orderflow.USD(n)}}
		}},
		// The total fits in an int64.
		{"items", 1, 2, func(o *orderflow.Order, n int64) {
			o.Items = []orderflow.Item{{ProductID: "P", Quantity: 1, UnitPrice: orderflow.USD(math.MaxInt64 - 1)},
				{ProductID: "Q", Quantity: 1, UnitPrice: orderflow.USD(n)}}
		}},
		{"order_id", orderflow.MaxOrderIDLength, orderflow.MaxOrderIDLength + 1, func(o *orderflow.Order, n int64) {
			o.OrderID = strings.Repeat("X", int(n))
		}},
		{"order_id", 1, 0, func(o *orderflow.Order, n int64) { o.OrderID = strings.Repeat("X", int(n)) }},
		{"order_id", orderflow.MaxOrderIDLength, orderflow.MaxOrderIDLength + 1, func(o *orderflow.Order, n int64) {
			o.OrderID = strings.Repeat("%", int(n))
		}},
		{"customer_name", orderflow.MaxFieldLength, orderflow.MaxFieldLength + 1, func(o *orderflow.Order, n int64) {
			o.CustomerName = strings.Repeat("n", int(n))
		}},
		{"customer_name", orderflow.MaxFieldLength, orderflow.MaxFieldLength + 1, func(o *orderflow.Order, n int64) {
			o.CustomerName = strings.Repeat("é", orderflow.MaxFieldLength/2) + strings.Repeat("n", int(n)-orderflow.MaxFieldLength)
		}},
		// Measured after Normalized: surrounding whitespace does not count.
		{"customer_name", orderflow.MaxFieldLength, orderflow.MaxFieldLength + 1, func(o *orderflow.Order, n int64) {
			o.CustomerName = "  " + strings.Repeat("n", int(n)) + "\n"
		}},
		{"customer_name", 1, 0, func(o *orderflow.Order, n int64) { o.CustomerName = strings.Repeat("n", int(n)) }},
		{"shipping_address", orderflow.MaxFieldLength, orderflow.MaxFieldLength + 1, func(o *orderflow.Order, n int64) {
			o.ShippingAddress = strings.Repeat("a", int(n))
		}},
		// A CRLF counts as the one byte it becomes.
		{"shipping_address", orderflow.MaxFieldLength, orderflow.MaxFieldLength + 1, func(o *orderflow.Order, n int64) {
			o.ShippingAddress = strings.Repeat("a\r\n", int(n)/2) + strings.Repeat("a", int(n)%2)
		}},
		{"shipping_address", 1, 0, func(o *orderflow.Order, n int64) { o.ShippingAddress = strings.Repeat("a", int(n)) }},
		{"items[0].product_id", orderflow.MaxFieldLength, orderflow.MaxFieldLength + 1, func(o *orderflow.Order, n int64) {
			o.Items[0].ProductID = strings.Repeat("P", int(n))
		}},
		{"items[0].product_id", 1, 0, func(o *orderflow.Order, n int64) { o.Items[0].ProductID = strings.Repeat("P", int(n)) }},
		{"items[1].product_name", orderflow.MaxFieldLength, orderflow.MaxFieldLength + 1, func(o *orderflow.Order, n int64) {
			o.Items[1].ProductName = strings.Repeat("p", int(n))
		}},
		{"customer_email", orderflow.MaxEmailLength, orderflow.MaxEmailLength + 1, func(o *orderflow.Order, n int64) {
			o.CustomerEmail = email(int(n))
		}},
	} {
		name := fmt.Sprintf("%s at %d", tc.field, tc.accept)
		o := smallOrder("ORD-001")
		tc.set(&o, tc.accept)
		require.NoError(t, o.Validate(), name)

		o = smallOrder("ORD-001")
		tc.set(&o, tc.refuse)
		requireInvalid(t, o.Validate(), tc.field, "", "%s at %d", tc.field, tc.refuse)
	}
	require.Equal(t, 128, orderflow.MaxOrderIDLength)
	require.Equal(t, 1000, orderflow.MaxItems)
	require.Equal(t, 1_000_000, orderflow.MaxQuantity)
	require.Equal(t, 1024, orderflow.MaxFieldLength)
	require.Equal(t, 254, orderflow.MaxEmailLength)
}

func TestNormalized(t *testing.T) {
	o := smallOrder(" ORD-001")
	o.CustomerName = "\t Alice Smith \n"
	o.CustomerEmail = " alice@example.com "
	o.ShippingAddress = "\r\n  123 Main St\r\nApt 4\rSpringfield  \r\n\r\n"
	o.Items[0].ProductID = " MOUSE-001 "
	o.Items[0].ProductName = "  Wireless  Mouse  "
	before := slices.Clone(o.Items)

	n := o.Normalized()
	want := smallOrder(" ORD-001") // identifiers are kept as they are
	want.CustomerName = "Alice Smith"
	want.ShippingAddress = "123 Main St\nApt 4\nSpringfield"
	want.Items[0].ProductID = " MOUSE-001 "
	want.Items[0].ProductName = "Wireless  Mouse"
	require.Equal(t, want, n)
	require.Equal(t, before, o.Items, "Normalized changed its receiver's items")
	require.Equal(t, n, n.Normalized(), "Normalized twice")
	require.Equal(t, smallOrder("ORD-001"), smallOrder("ORD-001").Normalized())
	require.Nil(t, orderflow.Order{}.Normalized().Items)
	require.NotNil(t, orderflow.Order{Items: []orderflow.Item{}}.Normalized().Items)

	// Validate judges the normalised order, and refuses what Normalized
	// leaves: whitespace around identifiers.
	requireInvalid(t, o.Validate(), "order_id", "whitespace")
	o.OrderID = "ORD-001"
	requireInvalid(t, o.Validate(), "items[0].product_id", "must not begin or end with whitespace")
	o.Items[0].ProductID = "MOUSE-001"
	require.NoError(t, o.Validate())
}

func TestOrderFailedErrorUnwrapsToSentinel(t *testing.T) {
	res := &orderflow.OrderState{OrderID: "ORD-9", Status: orderflow.StatusFailed, FailedStep: orderflow.StepInventory,
		FailureType: "orderflow.OutOfStock", Message: "out"}
	err := res.Err()
	require.ErrorIs(t, err, orderflow.ErrOutOfStock)
	require.ErrorIs(t, err, orderflow.ErrOrderFailed)
	require.NotErrorIs(t, err, orderflow.ErrPaymentDeclined)
	require.Contains(t, err.Error(), "ORD-9")

	res.Status = orderflow.StatusCancelled
	require.NoError(t, res.Err(), "only failed orders are errors")
}
