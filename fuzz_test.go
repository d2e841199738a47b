package orderflow_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow"
)

// Fuzz targets for what arrives from outside: workflow inputs as JSON (the
// Python demo's and ours), decimal prices, order IDs. Under plain `go test`
// they run their seed corpus; `go test -run '^$' -fuzz FuzzOrderJSON` explores.

// The Python demo's two orders, as the Temporal CLI would send them.
const (
	pySmallOrderJSON = `{"order_id":"ORD-001","customer_name":"Alice Smith","customer_email":"alice@example.com",
	"items":[{"product_id":"MOUSE-001","product_name":"Wireless Mouse","quantity":2,"unit_price":29.99},
	         {"product_id":"CABLE-001","product_name":"USB Cable","quantity":3,"unit_price":9.99}],
	"shipping_address":"123 Main St, Springfield, IL 62701"}`
	pyLargeOrderJSON = `{"order_id":"ORD-002","customer_name":"Bob Johnson","customer_email":"bob@example.com",
	"items":[{"product_id":"LAPTOP-001","product_name":"Laptop","quantity":1,"unit_price":1299.99},
	         {"product_id":"MONITOR-001","product_name":"Monitor","quantity":2,"unit_price":299.99}],
	"shipping_address":"456 Oak Ave, Portland, OR 97201"}`
)

// canonicalPrices rewrites the demo orders' bare decimal prices to the
// canonical {"amount": …, "currency": …} form.
var canonicalPrices = strings.NewReplacer(`:29.99`, `:{"amount":2999,"currency":"USD"}`, `:9.99`, `:{"amount":999,"currency":"USD"}`,
	`:1299.99`, `:{"amount":129999,"currency":"USD"}`, `:299.99`, `:{"amount":29999,"currency":"USD"}`)

// orderJSON is a one-item order with the given fields spliced in verbatim
// (so they can be any JSON, valid or not).
func orderJSON(orderID, name, email, address, productID, quantity, unitPrice string) string {
	return fmt.Sprintf(`{"order_id":%s,"customer_name":%s,"customer_email":%s,"shipping_address":%s,`+
		`"items":[{"product_id":%s,"product_name":"Thing","quantity":%s,"unit_price":%s}]}`,
		orderID, name, email, address, productID, quantity, unitPrice)
}

// okOrder is orderJSON with all fields valid but one replaced.
func okOrder(field, value string) string {
	f := map[string]string{
		"order_id": `"ORD-1"`, "customer_name": `"Alice Smith"`, "customer_email": `"alice@example.com"`,
		"shipping_address": `"123 Main St"`, "product_id": `"THING-001"`, "quantity": `1`, "unit_price": `29.99`,
	}
	if _, ok := f[field]; !ok {
		panic("okOrder: no field " + field)
	}
	f[field] = value
	return orderJSON(f["order_id"], f["customer_name"], f["customer_email"], f["shipping_address"],
		f["product_id"], f["quantity"], f["unit_price"])
}

func orderSeeds() []string {
	quoted := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	many := func(n int, item string) string {
		return `{"order_id":"ORD-MANY","customer_name":"A","customer_email":"a@example.com","shipping_address":"x","items":[` +
			strings.TrimSuffix(strings.Repeat(item+",", n), ",") + `]}`
	}
	seeds := []string{
		pySmallOrderJSON,
		pyLargeOrderJSON,
		canonicalPrices.Replace(pySmallOrderJSON),
		canonicalPrices.Replace(pyLargeOrderJSON),
		// Mixed forms in one order, and our own WorkflowInput with settings.
		strings.Replace(pyLargeOrderJSON, `1299.99`, `{"amount":129999,"currency":"USD"}`, 1),
		strings.Replace(pySmallOrderJSON, `"shipping_address"`, `"settings":{"approval_threshold":{"amount":5000,"currency":"USD"},`+
			`"approval_timeout":3000000000,"activity_timeout":30000000000,"retry":{"initial_interval":1000000000,`+
			`"backoff_coefficient":2.5,"maximum_interval":0,"maximum_attempts":3},"compensation_retry":{}},"shipping_address"`, 1),
		strings.Replace(pySmallOrderJSON, `"shipping_address"`, `"settings":null,"shipping_address"`, 1),
		strings.Replace(pySmallOrderJSON, `"shipping_address"`, `"settings":{"retry":{"backoff_coefficient":1e308}},"shipping_address"`, 1),
		// Not orders at all.
		``, `{}`, `null`, `[]`, `0`, `"ORD-001"`, `{"items":null}`, `{"items":[]}`, `{"items":[{}]}`, `{"items":[null]}`,
		`{"order_id":"ORD-1"`, `{"unit_price":29.99}`, "\xff\xfe{}",
		// Amounts: exact decimals, the float trap, too many places, exponents, strings, negatives, overflow.
		okOrder("unit_price", `0.29`),
		okOrder("unit_price", `0`),
		okOrder("unit_price", `-0`),
		okOrder("unit_price", `-0.00`),
		okOrder("unit_price", `-0.01`),
		okOrder("unit_price", `29.999`),
		okOrder("unit_price", `1e3`),
		okOrder("unit_price", `2.999E1`),
		okOrder("unit_price", `"29.99"`),
		okOrder("unit_price", `null`),
		okOrder("unit_price", `true`),
		okOrder("unit_price", `[29.99]`),
		okOrder("unit_price", `92233720368547758.07`),
		okOrder("unit_price", `92233720368547758.08`),
		okOrder("unit_price", `-92233720368547758.08`),
		okOrder("unit_price", `99999999999999999999999999999`),
		okOrder("unit_price", `{"amount":9223372036854775807,"currency":"USD"}`),
		okOrder("unit_price", `{"amount":9223372036854775808,"currency":"USD"}`),
		okOrder("unit_price", `{"amount":-1,"currency":"USD"}`),
		okOrder("unit_price", `{"amount":29.99,"currency":"USD"}`),
		okOrder("unit_price", `{"amount":2999}`),
		okOrder("unit_price", `{"amount":2999,"currency":"usd"}`),
		okOrder("unit_price", `{"amount":2999,"currency":"QQQ"}`),
		okOrder("unit_price", `{"amount":2999,"currency":"XTS"}`),
		okOrder("unit_price", `{"amount":2999,"currency":"BGN"}`),
		okOrder("unit_price", `{"amount":2999,"currency":"XCG"}`),
		okOrder("unit_price", `{"amount":2999,"currency":""}`),
		okOrder("unit_price", `{"amount":"2999","currency":"USD"}`),
		okOrder("unit_price", `{"amount":2999,"currency":840}`),
		okOrder("unit_price", `{"amount":2999,"currency":"JPY"}`),
		okOrder("unit_price", `{"amount":2999,"currency":"US"}`),
		okOrder("unit_price", `{"amount":2999,"currency":"ÜSD"}`),
		okOrder("unit_price", `{"AMOUNT":2999,"Currency":"EUR","amount":1}`),
		// Quantities: bounds and overflow of the subtotal.
		okOrder("quantity", `0`),
		okOrder("quantity", `-1`),
		okOrder("quantity", `1000000`),
		okOrder("quantity", `1000001`),
		okOrder("quantity", `9223372036854775807`),
		okOrder("quantity", `9223372036854775808`),
		okOrder("quantity", `1.5`),
		okOrder("quantity", `1e2`),
		okOrder("quantity", `"1"`),
		strings.Replace(okOrder("quantity", `1000000`), `29.99`, `92233720368547.75`, 1),
		strings.Replace(okOrder("quantity", `1000000`), `29.99`, `92233720368547.76`, 1),
		// The total overflows although each subtotal does not.
		many(2, `{"product_id":"P","quantity":1,"unit_price":{"amount":4611686018427387904,"currency":"USD"}}`),
		many(2, `{"product_id":"P","quantity":1,"unit_price":{"amount":4611686018427387903,"currency":"USD"}}`),
		// Currencies that do not agree, and the item limit.
		`{"order_id":"ORD-1","customer_name":"A","customer_email":"a@example.com","shipping_address":"x","items":[` +
			`{"product_id":"P","quantity":1,"unit_price":{"amount":1,"currency":"EUR"}},{"product_id":"Q","quantity":1,"unit_price":1}]}`,
		many(orderflow.MaxItems, `{"product_id":"P","quantity":1,"unit_price":0.01}`),
		many(orderflow.MaxItems+1, `{"product_id":"P","quantity":1,"unit_price":0.01}`),
		// Order IDs: unicode, whitespace, control characters, the length limit.
		okOrder("order_id", `"ORD_002.é"`),
		okOrder("order_id", `"注文-001"`),
		okOrder("order_id", `""`),
		okOrder("order_id", `"ORD 1"`),
		okOrder("order_id", `"ORD-\u00001"`),
		okOrder("order_id", `"ORD-\u2028"`),
		okOrder("order_id", `"ORD-\u00a0"`),
		okOrder("order_id", `"ORD-\ud800"`),
		okOrder("order_id", "\"ORD-\xff\""),
		okOrder("order_id", `"ORD-\u200b"`),
		okOrder("order_id", `"ORD-\u202e1"`),
		okOrder("order_id", `"\ufeffORD-1"`),
		okOrder("order_id", `"ORD-\u00ad1"`),
		okOrder("order_id", `" ORD-1"`),
		okOrder("order_id", quoted(strings.Repeat("X", orderflow.MaxOrderIDLength))),
		okOrder("order_id", quoted(strings.Repeat("X", orderflow.MaxOrderIDLength+1))),
		okOrder("order_id", quoted(strings.Repeat("é", orderflow.MaxOrderIDLength/2))),
		okOrder("order_id", quoted(strings.Repeat("X", 10000))),
		okOrder("order_id", `12345`),
		// Free text: unicode, control characters, newlines, the length limit.
		okOrder("customer_name", `"Zoë 山田 🚀"`),
		okOrder("customer_name", `"Bob\u0007"`),
		okOrder("customer_name", `"Bob\nSmith"`),
		okOrder("customer_name", `"<script>&amp;</script>"`),
		okOrder("customer_name", quoted(strings.Repeat("n", orderflow.MaxFieldLength+1))),
		okOrder("shipping_address", `"1 Main St\nSpringfield"`),
		okOrder("shipping_address", `"1 Main St\r\nSpringfield"`),
		okOrder("shipping_address", `" \n\t "`),
		okOrder("shipping_address", `"\u2029"`),
		okOrder("shipping_address", `"1 Main St\rSpringfield\r"`),
		okOrder("shipping_address", `"\r\n1 Main St\r\n\r\n"`),
		okOrder("shipping_address", `"1 Main St\u2028Springfield"`),
		okOrder("shipping_address", `"\u202e1 Main St"`),
		okOrder("shipping_address", quoted(strings.Repeat("a\r\n", orderflow.MaxFieldLength/2))),
		okOrder("customer_name", `""`),
		okOrder("customer_name", `"   "`),
		okOrder("customer_name", `" \t Alice \n"`),
		okOrder("customer_name", `"\u200b"`),
		okOrder("customer_name", `"Bob\u202eSmith"`),
		okOrder("customer_name", `"\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"`),
		okOrder("customer_name", `"\ud83d\udc68\u200d\ud83d\udc69"`),
		okOrder("customer_name", quoted(" "+strings.Repeat("n", orderflow.MaxFieldLength)+" ")),
		okOrder("product_id", `""`),
		okOrder("product_id", `"   "`),
		okOrder("product_id", `" P"`),
		okOrder("product_id", `"P 1"`),
		okOrder("product_id", `"P\u200b1"`),
		okOrder("product_id", `"P\u007f"`),
		okOrder("product_id", quoted(strings.Repeat("P", orderflow.MaxFieldLength))),
		okOrder("product_id", quoted(strings.Repeat("P", orderflow.MaxFieldLength+1))),
		okOrder("product_id", `7`),
		// Email addresses.
		okOrder("customer_email", `""`),
		okOrder("customer_email", `"alice"`),
		okOrder("customer_email", `"alice@localhost"`),
		okOrder("customer_email", `"Alice <alice@example.com>"`),
		okOrder("customer_email", `"alice@@example.com"`),
		okOrder("customer_email", `"\"a b\"@example.com"`),
		okOrder("customer_email", `"alice@example.com."`),
		okOrder("customer_email", `"alice@[127.0.0.1]"`),
		okOrder("customer_email", `"álice@exämple.com"`),
		okOrder("customer_email", `"alice@example.com (Alice)"`),
		okOrder("customer_email", `"a@b.c, d@e.f"`),
		okOrder("customer_email", `" alice@example.com "`),
		okOrder("customer_email", `"alice\u200b@example.com"`),
		okOrder("customer_email", quoted("a@"+strings.Repeat("b", orderflow.MaxEmailLength-6)+".com")),
		okOrder("customer_email", quoted("a@"+strings.Repeat("b", orderflow.MaxEmailLength-5)+".com")),
		// Duplicate and differently cased keys.
		strings.Replace(pySmallOrderJSON, `"order_id":"ORD-001"`, `"order_id":"ORD-001","ORDER_ID":"ORD-X","order_id":"ORD-Y"`, 1),
		strings.Replace(pySmallOrderJSON, `"unit_price":29.99`, `"unit_price":{"amount":1,"currency":"EUR"},"unit_price":29.99`, 1),
		strings.Replace(pySmallOrderJSON, `"unit_price":29.99`, `"unit_price":29.99,"unit_price":{"amount":1}`, 1),
	}
	return seeds
}

func FuzzOrderJSON(f *testing.F) {
	// The seeds reach the valid path: the demo's orders, in both price forms.
	for _, seed := range []struct {
		in    string
		total int64
	}{{pySmallOrderJSON, 8995}, {pyLargeOrderJSON, 189997}} {
		for _, in := range []string{seed.in, canonicalPrices.Replace(seed.in)} {
			var o orderflow.Order
			require.NoError(f, json.Unmarshal([]byte(in), &o))
			require.NoError(f, o.Validate())
			total, err := o.Total()
			require.NoError(f, err)
			require.Equal(f, orderflow.USD(seed.total), total)
		}
	}
	for _, s := range orderSeeds() {
		if len(s) > 4096 {
			// Checked here, not mutated: big inputs slow the fuzzer down.
			checkOrderJSON(f, []byte(s))
			continue
		}
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkOrderJSON(t, data) })
}

// checkOrderJSON decodes data as an Order and as a WorkflowInput and checks
// what came out.
func checkOrderJSON(t testing.TB, data []byte) {
	t.Helper()
	var o orderflow.Order
	orderErr := json.Unmarshal(data, &o)
	if orderErr == nil {
		checkOrder(t, o)
		roundTrip(t, o)
	} else {
		// Money and items word their errors in JSON terms, not Go's.
		for _, goName := range []string{"plain", "orderflow.Money", "int64"} {
			require.NotContains(t, orderErr.Error(), goName)
		}
	}
	var wi struct{ orderflow.Order }
	if err := json.Unmarshal(data, &wi); err == nil {
		checkOrder(t, wi.Order)
		if orderErr == nil {
			require.Equal(t, o, wi.Order, "the same JSON decodes to different orders")
		}
		roundTrip(t, validatedInput{wi.Order})
	}
}

// checkOrder checks the invariants of any decoded order, valid or not.
func checkOrder(t testing.TB, o orderflow.Order) {
	t.Helper()
	total, totalErr := o.Total()
	if totalErr != nil {
		require.ErrorIs(t, totalErr, orderflow.ErrInvalidOrder)
	}
	_, approvalErr := o.RequiresApproval(orderflow.DefaultApprovalThreshold)
	if approvalErr != nil {
		require.ErrorIs(t, approvalErr, orderflow.ErrInvalidOrder)
	}

	// Normalized is idempotent, leaves its receiver alone, and Validate
	// judges the normalised order.
	items := slices.Clone(o.Items)
	n := o.Normalized()
	require.Equal(t, items, o.Items, "Normalized changed its receiver")
	require.Equal(t, n, n.Normalized(), "Normalized is not idempotent")
	require.Equal(t, o.OrderID, n.OrderID)
	for i := range o.Items {
		require.Equal(t, o.Items[i].ProductID, n.Items[i].ProductID)
	}
	require.NotContains(t, n.ShippingAddress, "\r")

	err := o.Validate()
	if nerr := n.Validate(); err == nil || nerr == nil {
		require.Equal(t, err, nerr, "Validate and Normalized().Validate() disagree")
	} else {
		require.Equal(t, err.Error(), nerr.Error(), "Validate and Normalized().Validate() disagree")
	}
	if err != nil {
		require.ErrorIs(t, err, orderflow.ErrInvalidOrder)
		var ve *orderflow.ValidationError
		require.True(t, errors.As(err, &ve), "%T is not a *ValidationError: %v", err, err)
		require.NotEmpty(t, ve.Field)
		return
	}
	checkValidText(t, n)

	require.NoError(t, totalErr, "a valid order has no total")
	require.GreaterOrEqual(t, total.Amount, int64(0), "negative total %s", total)
	require.Equal(t, o.Items[0].UnitPrice.Currency, total.Currency)
	// The total, computed without overflow: it must fit and agree.
	sum := new(big.Int)
	for i, it := range o.Items {
		require.Equal(t, total.Currency, it.UnitPrice.Currency, "items[%d]", i)
		exact := new(big.Int).Mul(big.NewInt(it.UnitPrice.Amount), big.NewInt(it.Quantity))
		sub, err := it.Subtotal()
		require.NoError(t, err, "items[%d]", i)
		require.Equal(t, exact.String(), strconv.FormatInt(sub.Amount, 10), "items[%d] subtotal", i)
		sum.Add(sum, exact)
	}
	require.Equal(t, sum.String(), strconv.FormatInt(total.Amount, 10), "total")
	_ = total.String()

	threshold := orderflow.Money{Amount: orderflow.DefaultApprovalThreshold.Amount, Currency: total.Currency}
	needs, err := o.RequiresApproval(threshold)
	require.NoError(t, err)
	require.Equal(t, total.Amount > threshold.Amount, needs)
}

// checkValidText checks the text of a valid, normalised order against the
// rules of Order.Validate, computed here independently.
func checkValidText(t testing.TB, o orderflow.Order) {
	t.Helper()
	// text checks one field; multiline allows LF, human allows the
	// zero-width (non-)joiner that names and addresses may need.
	text := func(field, s string, maxLen int, multiline, human bool) {
		require.LessOrEqual(t, len(s), maxLen, field)
		require.True(t, utf8.ValidString(s), field)
		require.NotEmpty(t, strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) }), field)
		for _, r := range s {
			switch {
			case r == '\n' && multiline:
			case human && (r == 0x200c || r == 0x200d):
			default:
				require.False(t, unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029,
					"%s contains %U", field, r)
			}
		}
	}
	require.Equal(t, strings.TrimSpace(o.CustomerName), o.CustomerName)
	text("customer_name", o.CustomerName, orderflow.MaxFieldLength, false, true)
	text("customer_email", o.CustomerEmail, orderflow.MaxEmailLength, false, false)
	text("shipping_address", o.ShippingAddress, orderflow.MaxFieldLength, true, true)
	require.LessOrEqual(t, len(o.Items), orderflow.MaxItems)
	for i, it := range o.Items {
		field := fmt.Sprintf("items[%d]", i)
		require.Equal(t, strings.TrimSpace(it.ProductID), it.ProductID, field)
		text(field+".product_id", it.ProductID, orderflow.MaxFieldLength, false, false)
		if it.ProductName != "" {
			text(field+".product_name", it.ProductName, orderflow.MaxFieldLength, false, true)
		}
		require.True(t, it.Quantity >= 1 && it.Quantity <= orderflow.MaxQuantity, field)
		require.GreaterOrEqual(t, it.UnitPrice.Amount, int64(0), field)
		_, known := isoDigits(it.UnitPrice.Currency)
		require.True(t, known, "%s: currency %q", field, it.UnitPrice.Currency)
	}
}

// roundTrip checks that a valid order (or workflow input) survives its JSON
// encoding: equal, still valid, same total, and the encoding is stable.
func roundTrip[T interface {
	Validate() error
	Total() (orderflow.Money, error)
}](t testing.TB, v T) {
	t.Helper()
	if v.Validate() != nil {
		return
	}
	total, err := v.Total()
	require.NoError(t, err)

	b, err := json.Marshal(v)
	require.NoError(t, err)
	var back T
	require.NoError(t, json.Unmarshal(b, &back), "%s", b)
	require.Equal(t, v, back, "JSON round trip through %s", b)
	require.NoError(t, back.Validate(), "%s", b)
	backTotal, err := back.Total()
	require.NoError(t, err)
	require.Equal(t, total, backTotal)
	again, err := json.Marshal(back)
	require.NoError(t, err)
	require.Equal(t, string(b), string(again), "the encoding is not stable")
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{
		"29.99", "0.29", "1899.97", "1000", "0.1", "0.07", "0", "-0", "-0.00", "00", "007.50", "-5.25",
		"", "-", ".", "-.", ".5", "1.", "1.999", "1.2.3", "--1", "-+1", "+1", "1e3", "1E3", "0x10", "1_000",
		" 1", "1 ", "١٢٣", "abc", "null", "{}", `"1"`,
		"9223372036854775807", "92233720368547758.07", "92233720368547758.08", "-92233720368547758.07",
		"-92233720368547758.08", "99999999999999999999", "1.-1", "1.+1", "-1.-1",
	} {
		for _, currency := range []string{"USD", "EUR", "JPY", "KWD", "CLF", "XPF", "", "usd", "X Y", "QQQ", "XTS"} {
			f.Add(s, currency)
		}
	}
	f.Fuzz(func(t *testing.T, s, currency string) {
		m, err := orderflow.ParseMoney(s, currency)
		_, known := isoDigits(currency)
		if err == nil {
			require.True(t, known, "ParseMoney accepted the currency %q", currency)
			checkParsedMoney(t, s, currency, m)
		} else {
			require.True(t, strings.HasPrefix(err.Error(), fmt.Sprintf("orderflow: parse money %q: ", s)), "%v", err)
		}
		for _, amount := range []int64{0, int64(len(s)), -int64(len(currency)), math.MinInt64} {
			str := orderflow.Money{Amount: amount, Currency: currency}.String()
			require.NotEmpty(t, str)
			require.Equal(t, strings.TrimSpace(str), str, "Money{%d, %q}.String() = %q", amount, currency, str)
		}

		// A bare JSON value is read as ParseMoney reads it in USD.
		usd, usdErr := orderflow.ParseMoney(s, orderflow.DefaultCurrency)
		var direct orderflow.Money
		directErr := direct.UnmarshalJSON([]byte(s))
		if usdErr == nil {
			require.NoError(t, directErr, "ParseMoney accepts %q, UnmarshalJSON does not", s)
			require.Equal(t, usd, direct, "%q", s)
		}
		if json.Valid([]byte(s)) {
			trimmed := strings.TrimSpace(s)
			var viaJSON orderflow.Money
			jsonErr := json.Unmarshal([]byte(s), &viaJSON)
			if trimmed != "" && (trimmed[0] == '-' || trimmed[0] >= '0' && trimmed[0] <= '9') { // a JSON number
				trimmedUSD, trimmedErr := orderflow.ParseMoney(trimmed, orderflow.DefaultCurrency)
				require.Equal(t, trimmedErr == nil, jsonErr == nil, "json.Unmarshal(%q): %v; ParseMoney: %v", s, jsonErr, trimmedErr)
				if jsonErr == nil {
					require.Equal(t, trimmedUSD, viaJSON, "%q", s)
				}
			}
		}
	})
}

// checkParsedMoney checks what ParseMoney(s, currency) returned: String
// prints exactly the decimal that was parsed, in canonical form (no leading
// zeros, all minor digits, no sign on zero), and that parses back to m.
func checkParsedMoney(t *testing.T, s, currency string, m orderflow.Money) {
	t.Helper()
	require.Equal(t, currency, m.Currency)
	require.NotEqual(t, int64(math.MinInt64), m.Amount)

	digits, _ := isoDigits(currency)
	// The canonical form of s, computed independently of ParseMoney.
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	require.NotEmpty(t, whole, "ParseMoney(%q) accepted an empty whole part", s)
	for _, r := range whole + frac {
		require.True(t, r >= '0' && r <= '9', "ParseMoney(%q) accepted %q", s, r)
	}
	require.LessOrEqual(t, len(frac), digits, "ParseMoney(%q, %q) rounded", s, currency)
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	want := whole
	if digits > 0 {
		want += "." + frac + strings.Repeat("0", digits-len(frac))
	}
	if neg && m.Amount != 0 {
		want = "-" + want
	}
	require.Equal(t, neg && m.Amount != 0, m.Amount < 0, "ParseMoney(%q) = %d: sign", s, m.Amount)

	str := m.String()
	num, sign := str, ""
	if rest, ok := strings.CutPrefix(num, "-"); ok {
		num, sign = rest, "-"
	}
	if currency == "USD" {
		var ok bool
		num, ok = strings.CutPrefix(num, "$")
		require.True(t, ok, "%q: USD prints as $", str)
	} else {
		var ok bool
		num, ok = strings.CutSuffix(num, " "+currency)
		require.True(t, ok, "%q: other currencies print their code after the number", str)
	}
	require.Equal(t, want, sign+num, "ParseMoney(%q, %q).String() = %q", s, currency, str)

	back, err := orderflow.ParseMoney(sign+num, currency)
	require.NoError(t, err, "String %q does not parse back", str)
	require.Equal(t, m, back, "String %q parses back to another amount", str)
}

func FuzzValidateOrderID(f *testing.F) {
	for _, id := range []string{
		"ORD-001", "ORD_002.é", "注文-001", "", " ", "ORD 1", "ORD-\x001", "ORD-\t1", "ORD-\u00a0", "ORD-\u2028",
		"ORD-\u200b", "ORD-\u0085", "ORD-\x7f", "\xff", "ORD-\xed\xa0\x80", "\ufeffORD", "ORD-\u202e1", "ORD-\u2066",
		"ORD-\u00ad", "ORD-\u200d", "ORD-\U000E0001",
		strings.Repeat("X", orderflow.MaxOrderIDLength), strings.Repeat("X", orderflow.MaxOrderIDLength+1),
		strings.Repeat("é", orderflow.MaxOrderIDLength/2), strings.Repeat("é", orderflow.MaxOrderIDLength/2) + "X",
		"ORD/1", "a%2Fb", "x?y#z", "~!@$^&*()+=[]{}|;:'\",.<>", "\\`-_", "café", "ORD\x7f", "\x80",
	} {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		err := orderflow.ValidateOrderID(id)
		// Printable ASCII without space: Temporal sends the workflow ID in
		// a gRPC header.
		ok := id != "" && len(id) <= orderflow.MaxOrderIDLength &&
			strings.IndexFunc(id, func(r rune) bool { return r < 0x21 || r > 0x7e }) < 0
		require.Equal(t, ok, err == nil, "ValidateOrderID(%q) = %v", id, err)
		if err != nil {
			require.ErrorIs(t, err, orderflow.ErrInvalidOrder)
			var ve *orderflow.ValidationError
			require.True(t, errors.As(err, &ve))
			require.Equal(t, "order_id", ve.Field)
			return
		}
		// An order with that ID is valid, and the ID survives JSON.
		o := orderflow.Order{OrderID: id, CustomerName: "Alice", CustomerEmail: "alice@example.com", ShippingAddress: "1 Main St",
			Items: []orderflow.Item{{ProductID: "P", Quantity: 1, UnitPrice: orderflow.USD(1)}}}
		require.NoError(t, o.Validate())
		roundTrip(t, o)
	})
}
