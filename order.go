package orderflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits enforced by Order.Validate. Lengths are in bytes of UTF-8, measured
// after Normalized.
const (
	// maxOrderIDLength is the longest accepted order ID, in bytes.
	maxOrderIDLength = 128
	// maxItems is the most line items one order may carry.
	maxItems = 1000
	// maxQuantity is the largest quantity of one line item.
	maxQuantity = 1_000_000
	// maxFieldLength bounds the customer name, the shipping address, and
	// each item's product ID and product name, in bytes.
	maxFieldLength = 1024
	// maxEmailLength is the longest accepted customer email address, in
	// bytes: the most SMTP can deliver to (RFC 5321).
	maxEmailLength = 254
)

// defaultCurrency is the currency a bare JSON number is read in (see Money.UnmarshalJSON).
const defaultCurrency = "USD"

// Money is an amount in integer minor units of a currency: USD(189997) is $1899.97.
// Money never passes through floating point, so totals and the approval
// threshold compare exactly.
type Money struct {
	// Amount is in the currency's minor units (cents for USD).
	Amount int64 `json:"amount"`
	// Currency is an active ISO 4217 code such as "USD", in upper case.
	Currency string `json:"currency"`
}

// USD returns an amount of US cents as Money: USD(8995) is $89.95.
func USD(cents int64) Money { return Money{Amount: cents, Currency: "USD"} }

// currency is one entry of ISO 4217: its code and the number of decimal
// places of its minor unit (2 for cents).
type currency struct {
	code   string
	digits int8
}

// currencies is ISO 4217 List One, the active currency and funds codes, with
// the decimal places of each one's minor unit, sorted by code. It is the list
// as amended to 2026: ZWG replaced ZWL (2024), XCG replaced ANG (2025), CUC
// was withdrawn (2025) and BGN with Bulgaria's adoption of the euro (2026).
// Codes whose minor unit ISO 4217 gives as "N.A." are left out, as no price
// is in them: precious metals (XAG, XAU, XPD, XPT), units of account (XDR,
// XSU, XUA, the bond-market units XBA to XBD), XTS (reserved for testing) and
// XXX (no currency).
var currencies = [...]currency{
	{"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"AOA", 2}, {"ARS", 2}, {"AUD", 2}, {"AWG", 2},
	{"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2},
	{"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2},
	{"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2},
	{"COP", 2}, {"COU", 2}, {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0}, {"DKK", 2},
	{"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2}, {"FJD", 2}, {"FKP", 2},
	{"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2},
	{"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3},
	{"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2},
	{"KMF", 0}, {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2},
	{"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2}, {"MKD", 2},
	{"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2}, {"MWK", 2}, {"MXN", 2},
	{"MXV", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2},
	{"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2},
	{"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2},
	{"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2},
	{"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2},
	{"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0},
	{"USD", 2}, {"USN", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VED", 2}, {"VES", 2},
	{"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XCG", 2}, {"XOF", 0}, {"XPF", 0},
	{"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
}

// currencyDigits reports the decimal places of the minor unit of an active
// ISO 4217 currency, and whether code is one.
func currencyDigits(code string) (digits int, ok bool) {
	i, ok := slices.BinarySearchFunc(currencies[:], code, func(c currency, code string) int {
		return strings.Compare(c.code, code)
	})
	if !ok {
		return 0, false
	}
	return int(currencies[i].digits), true
}

// currencyProblem says what is wrong with a currency code, or "" if it is an
// active ISO 4217 code.
func currencyProblem(code string) string {
	if _, ok := currencyDigits(code); ok {
		return ""
	}
	if code == "" {
		return `missing; want an ISO 4217 code such as "USD"`
	}
	if upper := asciiUpper(code); upper != code {
		if _, ok := currencyDigits(upper); ok {
			return fmt.Sprintf("%q is not an ISO 4217 code: codes are upper case, %q", code, upper)
		}
	}
	return fmt.Sprintf("%q is not an active ISO 4217 currency code", code)
}

// ParseMoney parses a decimal such as "1899.97" as an amount of currency,
// without going through floating point. s is digits with an optional
// leading '-' and at most one '.', with digits on both sides of it: "29.99",
// "-5", "0.5". There is no exponent, '+', space or digit grouping. More
// decimal places than the currency's minor unit has is an error, not a
// rounding. currency must be an active ISO 4217 code in upper case (as
// Order.Validate requires): ParseMoney("1", "usd") is an error.
func ParseMoney(s, currency string) (Money, error) {
	if problem := currencyProblem(currency); problem != "" {
		return Money{}, fmt.Errorf("orderflow: parse money %q: currency %s", s, problem)
	}
	digits, _ := currencyDigits(currency)
	n, problem := parseDecimal(s, currency, digits)
	if problem != "" {
		return Money{}, fmt.Errorf("orderflow: parse money %q: %s", s, problem)
	}
	return Money{Amount: n, Currency: currency}, nil
}

// parseDecimal reads s as an amount of minor units of a currency with digits
// decimal places, or says what is wrong with it.
func parseDecimal(s, currency string, digits int) (int64, string) {
	if s == "" {
		return 0, "empty; want a decimal such as 29.99"
	}
	sign, body := "", s
	if s[0] == '-' {
		sign, body = "-", s[1:]
	}
	whole, frac, hasDot := strings.Cut(body, ".")
	for i := 0; i < len(body); i++ {
		if c := body[i]; c >= '0' && c <= '9' || c == '.' && i == len(whole) {
			continue
		}
		at := len(sign) + i
		_, size := utf8.DecodeRuneInString(s[at:])
		return 0, fmt.Sprintf("unexpected %q at byte %d; want digits, an optional leading '-' and at most one '.'", s[at:at+size], at)
	}
	switch {
	case whole == "" && frac == "":
		return 0, "no digits; want a decimal such as 29.99"
	case whole == "":
		return 0, fmt.Sprintf("missing digits before the decimal point (write %s0.%s)", sign, frac)
	case hasDot && frac == "":
		return 0, fmt.Sprintf("missing digits after the decimal point (write %s%s)", sign, whole)
	case len(frac) > digits && digits == 0:
		return 0, fmt.Sprintf("want a whole number: %s has no minor unit", currency)
	case len(frac) > digits:
		return 0, fmt.Sprintf("want a decimal with at most %d places", digits)
	}
	n, err := strconv.ParseInt(whole+frac+strings.Repeat("0", digits-len(frac)), 10, 64)
	if err != nil {
		return 0, fmt.Sprintf("out of range: amounts go from %s to %s",
			Money{Amount: -math.MaxInt64, Currency: currency}, Money{Amount: math.MaxInt64, Currency: currency})
	}
	if sign != "" {
		n = -n
	}
	return n, ""
}

// String formats m for people, with the currency's decimal places: "$89.95"
// for USD, "12.50 EUR", "1500 JPY" and "1.234 KWD" for other currencies. The
// zero Money prints "0". An amount in a currency that is not an active ISO
// 4217 code (so of unknown decimal places) prints in minor units:
// `1250 minor units of "QQQ"`, or "1250 minor units (no currency)".
func (m Money) String() string {
	digits, known := currencyDigits(m.Currency)
	switch {
	case m == Money{}:
		return "0"
	case m.Currency == "":
		return strconv.FormatInt(m.Amount, 10) + " minor units (no currency)"
	case !known:
		return fmt.Sprintf("%d minor units of %q", m.Amount, m.Currency)
	}
	sign := ""
	abs := uint64(m.Amount)
	if m.Amount < 0 {
		sign = "-"
		abs = uint64(-(m.Amount + 1)) + 1
	}
	num := strconv.FormatUint(abs, 10)
	if digits > 0 {
		if len(num) <= digits {
			num = strings.Repeat("0", digits-len(num)+1) + num
		}
		num = num[:len(num)-digits] + "." + num[len(num)-digits:]
	}
	if m.Currency == "USD" {
		return sign + "$" + num
	}
	return sign + num + " " + m.Currency
}

// decodeError is an error decoding a Money or an Item from JSON, naming the
// field by its JSON path inside the value being decoded.
type decodeError struct {
	path   string // such as "amount" or "unit_price.amount"; "" for the value itself
	reason string
}

func (e *decodeError) Error() string {
	if e.path == "" {
		return "orderflow: " + e.reason
	}
	return "orderflow: " + e.path + ": " + e.reason
}

// in returns e as seen from the value holding it in field.
func (e *decodeError) in(field string) *decodeError {
	if e.path == "" {
		return &decodeError{path: field, reason: e.reason}
	}
	return &decodeError{path: field + "." + e.path, reason: e.reason}
}

// typeError words a type mismatch reported by encoding/json in orderflow's
// terms: the JSON field path and what was expected, without Go type names.
func typeError(e *json.UnmarshalTypeError, want string) *decodeError {
	got, ok := map[string]string{"array": "an array", "object": "an object", "number": "a number",
		"string": "a string", "bool": "true or false"}[e.Value]
	if !ok {
		got = strings.TrimPrefix(e.Value, "number ")
	}
	return &decodeError{path: e.Field, reason: fmt.Sprintf("want %s, got %s", want, got)}
}

const moneyForms = `a number such as 29.99 or an object such as {"amount": 2999, "currency": "USD"}`

// UnmarshalJSON reads the canonical {"amount": 2999, "currency": "USD"} form,
// and also a bare decimal number such as 29.99 (the Python demo's unit_price),
// read exactly as defaultCurrency. Errors name the field ("amount: want an
// integer number of minor units, got 1.5").
func (m *Money) UnmarshalJSON(b []byte) error {
	trimmed := strings.TrimSpace(string(b))
	switch {
	case trimmed == "null":
		return nil
	case strings.HasPrefix(trimmed, "{"):
		type plain Money
		err := json.Unmarshal(b, (*plain)(m))
		if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) {
			switch te.Field {
			case "amount":
				if digits := strings.TrimPrefix(te.Value, "number "); digits != te.Value && strings.Trim(digits, "-0123456789") == "" {
					return &decodeError{path: "amount", reason: fmt.Sprintf("%s is out of range: want an integer number of minor units from %d to %d",
						digits, int64(math.MinInt64), int64(math.MaxInt64))}
				}
				return typeError(te, "an integer number of minor units")
			case "currency":
				return typeError(te, `a currency code such as "USD"`)
			}
			return typeError(te, moneyForms)
		}
		return err
	case strings.HasPrefix(trimmed, `"`):
		return &decodeError{reason: fmt.Sprintf("want %s, got the string %s", moneyForms, shorten(trimmed))}
	case strings.HasPrefix(trimmed, "["):
		return &decodeError{reason: fmt.Sprintf("want %s, got an array", moneyForms)}
	case trimmed == "true" || trimmed == "false":
		return &decodeError{reason: fmt.Sprintf("want %s, got %s", moneyForms, trimmed)}
	}
	digits, _ := currencyDigits(defaultCurrency)
	n, problem := parseDecimal(trimmed, defaultCurrency, digits)
	if problem != "" {
		return &decodeError{reason: fmt.Sprintf("%s: %s (a bare number is an amount in %s)", shorten(trimmed), problem, defaultCurrency)}
	}
	*m = Money{Amount: n, Currency: defaultCurrency}
	return nil
}

// shorten returns s for an error message: quoted unless it is short
// printable ASCII, and cut after 40 bytes.
func shorten(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:40]) + "…"
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return strconv.Quote(s)
		}
	}
	return s
}

// Item is one line of an order.
//
// ProductID, Quantity and UnitPrice are required; ProductName may be empty.
type Item struct {
	// ProductID names the product to the inventory provider.
	ProductID string `json:"product_id"`
	// ProductName is for people.
	ProductName string `json:"product_name"`
	// Quantity is how many units, at least 1.
	Quantity int64 `json:"quantity"`
	// UnitPrice is the price of one unit; zero is allowed (a free item).
	UnitPrice Money `json:"unit_price"`
}

// UnmarshalJSON reads an item as encoding/json would, and words errors in
// terms of the item's JSON fields: "unit_price.amount: want an integer number
// of minor units, got 1.5". (Like any json.Unmarshaler, it does not see a
// json.Decoder's DisallowUnknownFields.)
func (it *Item) UnmarshalJSON(b []byte) error {
	type plain Item
	err := json.Unmarshal(b, (*plain)(it))
	var de *decodeError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &de):
		return de.in("unit_price")
	case errors.As(err, &te):
		switch te.Field {
		case "quantity":
			return typeError(te, "a whole number")
		case "product_id", "product_name":
			return typeError(te, "a string")
		}
		return typeError(te, `an item object such as {"product_id": "MOUSE-001", "quantity": 1, "unit_price": 29.99}`)
	}
	return err
}

// Subtotal is UnitPrice × Quantity, or an error if that overflows.
func (it Item) Subtotal() (Money, error) {
	if it.Quantity < 0 || it.UnitPrice.Amount < 0 {
		return Money{}, errors.New("negative quantity or price")
	}
	if it.Quantity != 0 && it.UnitPrice.Amount > math.MaxInt64/it.Quantity {
		return Money{}, errors.New("subtotal overflows")
	}
	return Money{Amount: it.UnitPrice.Amount * it.Quantity, Currency: it.UnitPrice.Currency}, nil
}

// Order is what a customer asked for. Its JSON form uses the Python demo's
// snake_case field names.
//
// Every field is required; Validate lists the rules.
type Order struct {
	// OrderID identifies the order: its workflow ID is WorkflowID(OrderID),
	// and an ID is used once.
	OrderID string `json:"order_id"`
	// CustomerName is the name the order ships and is charged to: one line
	// with at least one visible character (see Validate).
	CustomerName string `json:"customer_name"`
	// CustomerEmail receives the confirmation: a plain address.
	CustomerEmail string `json:"customer_email"`
	// Items are the order's lines, at least one, all in one currency.
	Items []Item `json:"items"`
	// ShippingAddress may span lines.
	ShippingAddress string `json:"shipping_address"`
}

// Normalized returns o as orderflow stores and sends it:
//
//   - In shipping_address, every line break becomes LF: CRLF (what HTML
//     forms submit) and a lone CR alike.
//   - shipping_address, customer_name, customer_email and each item's
//     product_name lose their surrounding whitespace (Unicode White_Space,
//     so also blank lines before and after an address).
//
// Nothing else changes: identifiers (order_id, product_id) are kept as they
// are, since changing one would make it another order or product, and
// Validate refuses whitespace around them; whitespace inside text, letter
// case and Unicode forms are kept. Normalized does not modify o (its items
// are copied), and Normalized of a normalised order is the same order.
// Validate checks the normalised order, so o.Validate() and
// o.Normalized().Validate() agree.
func (o Order) Normalized() Order {
	o.CustomerName = trimSpace(o.CustomerName)
	o.CustomerEmail = trimSpace(o.CustomerEmail)
	o.ShippingAddress = trimSpace(normalizeLineBreaks(o.ShippingAddress))
	if o.Items != nil {
		items := make([]Item, len(o.Items))
		for i, it := range o.Items {
			it.ProductName = trimSpace(it.ProductName)
			items[i] = it
		}
		o.Items = items
	}
	return o
}

// normalizeLineBreaks turns CRLF and lone CR into LF.
func normalizeLineBreaks(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// Total is the sum of the item subtotals. It fails, wrapping ErrInvalidOrder,
// when the items mix currencies or the sum overflows.
func (o Order) Total() (Money, error) {
	var total Money
	for i, it := range o.Items {
		sub, err := it.Subtotal()
		if err != nil {
			return Money{}, invalid(fmt.Sprintf("items[%d]", i), err.Error())
		}
		if i == 0 {
			total.Currency = sub.Currency
		} else if sub.Currency != total.Currency {
			return Money{}, invalid(fmt.Sprintf("items[%d].unit_price.currency", i),
				fmt.Sprintf("%q differs from the order's currency %q", sub.Currency, total.Currency))
		}
		if total.Amount > math.MaxInt64-sub.Amount {
			return Money{}, invalid("items", "order total overflows")
		}
		total.Amount += sub.Amount
	}
	return total, nil
}

// RequiresApproval reports whether the order's total is strictly greater than
// threshold. An order in another currency than the threshold, or whose total
// cannot be computed, is an error wrapping ErrInvalidOrder.
func (o Order) RequiresApproval(threshold Money) (bool, error) {
	total, err := o.Total()
	if err != nil {
		return false, err
	}
	if total.Currency != threshold.Currency {
		return false, invalid("items", fmt.Sprintf("order currency %q has no approval threshold (threshold is in %q)",
			total.Currency, threshold.Currency))
	}
	return total.Amount > threshold.Amount, nil
}

// ValidationError names the field of an order that is wrong and why. It wraps
// ErrInvalidOrder.
type ValidationError struct {
	Field  string // JSON path of the field, such as "items[1].quantity"
	Reason string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("orderflow: invalid order: %s: %s", e.Field, e.Reason)
}

// Unwrap returns ErrInvalidOrder.
func (e *ValidationError) Unwrap() error { return ErrInvalidOrder }

func invalid(field, reason string) error { return &ValidationError{Field: field, Reason: reason} }

// Validate checks the order as Normalized leaves it, and returns the first
// problem found as a *ValidationError wrapping ErrInvalidOrder, whose Field
// is the JSON path of the field ("items[1].quantity"), or nil. The rules, in
// the order they are checked (lengths in bytes):
//
//   - order_id: as ValidateOrderID: 1 to 128 bytes of printable ASCII
//     other than space ('!' to '~').
//   - customer_name: required; at most 1024 bytes; one line of text with
//     at least one visible character (see below).
//   - customer_email: required; at most 254 bytes; a plain
//     address such as name@example.com: local@domain, both RFC 5322
//     dot-atoms (non-ASCII letters allowed, RFC 6532), no display name,
//     comment, quoting or IP literal, and a domain that contains a dot; no
//     control or format characters.
//   - shipping_address: required; at most 1024 bytes; text that may span
//     lines (LF; Normalized turns CRLF and CR into LF), with a visible
//     character.
//   - items: 1 to 1000 items.
//   - items[i].product_id: required; at most 1024 bytes; no whitespace at
//     either end (inside is fine), no control or format characters, a
//     visible character.
//   - items[i].product_name: optional; at most 1024 bytes; one line of
//     text with a visible character.
//   - items[i].quantity: 1 to 1,000,000.
//   - items[i].unit_price: an amount of 0 (a free item) or more.
//   - items[i].unit_price.currency: an active ISO 4217 code in upper case
//     ("USD"; not "usd", nor codes such as XTS and XAU that are no money),
//     the same for every item.
//   - items[i] and items: each subtotal (unit price × quantity) and the
//     total fit in an int64 of minor units (at most math.MaxInt64).
//
// All text must be valid UTF-8 without control characters (Unicode Cc; an
// address may contain LF) and without invisible format characters (Unicode
// Cf, such as U+200B ZERO WIDTH SPACE, U+FEFF and the bidirectional
// controls U+202A to U+202E and U+2066 to U+2069), except that names and
// the address may contain U+200C ZERO WIDTH NON-JOINER and U+200D ZERO WIDTH
// JOINER, which some scripts and emoji need. One line of text also contains
// no U+2028 LINE SEPARATOR or U+2029 PARAGRAPH SEPARATOR; the address
// separates lines with LF only. No text may contain U+FFFD REPLACEMENT
// CHARACTER, the mark of text lost in decoding. A required text, and a
// product name, must have a visible character: one that is not whitespace,
// a format character, a combining mark (Unicode M, which needs a base), or
// a filler that renders blank (U+115F, U+1160, U+3164, U+FFA0 Hangul
// fillers, U+2800 BRAILLE PATTERN BLANK). Character classes are those of
// the Unicode version of the Go release that builds the program; an order
// is validated once, when it starts, so a later release never changes what
// a running order does.
//
// Limits on the total that depend on the options (the approval threshold's
// currency, Options.MaxOrderTotal) are checked when an order starts.
func (o Order) Validate() error {
	o = o.Normalized()
	if err := ValidateOrderID(o.OrderID); err != nil {
		return err
	}
	if err := checkText("customer_name", o.CustomerName, humanLine); err != nil {
		return err
	}
	if err := validateEmail(o.CustomerEmail); err != nil {
		return err
	}
	if err := checkText("shipping_address", o.ShippingAddress, humanLines); err != nil {
		return err
	}
	if len(o.Items) == 0 {
		return invalid("items", "an order needs at least one item")
	}
	if len(o.Items) > maxItems {
		return invalid("items", fmt.Sprintf("%d items is more than the limit of %d", len(o.Items), maxItems))
	}
	for i, it := range o.Items {
		if err := it.validate(fmt.Sprintf("items[%d]", i)); err != nil {
			return err
		}
	}
	_, err := o.Total()
	return err
}

func (it Item) validate(path string) error {
	if err := checkText(path+".product_id", it.ProductID, identifier); err != nil {
		return err
	}
	if it.ProductName != "" {
		if err := checkText(path+".product_name", it.ProductName, humanLine); err != nil {
			return err
		}
	}
	if it.Quantity < 1 {
		return invalid(path+".quantity", fmt.Sprintf("must be at least 1, got %d", it.Quantity))
	}
	if it.Quantity > maxQuantity {
		return invalid(path+".quantity", fmt.Sprintf("%d is more than the limit of %d", it.Quantity, maxQuantity))
	}
	if it.UnitPrice.Amount < 0 {
		return invalid(path+".unit_price", fmt.Sprintf("must not be negative, got %s", it.UnitPrice))
	}
	if problem := currencyProblem(it.UnitPrice.Currency); problem != "" {
		return invalid(path+".unit_price.currency", problem)
	}
	return nil
}

// ValidateOrderID checks an order ID on its own: 1 to 128
// bytes, each a printable ASCII character other than space, '!' to '~'
// (0x21 to 0x7E): letters, digits and punctuation, such as "ORD-002",
// "ORD_002.a" or "a/b%2F?#". The order's workflow ID holds it, and
// Temporal's API sends the workflow ID in a gRPC header, whose values gRPC
// restricts to printable ASCII: an order ID such as "café" or "注文-001"
// could not be started, so it is refused here, up front. Space, DEL (0x7F),
// other control characters and every non-ASCII character are refused, with
// an error that names the character and its byte offset.
func ValidateOrderID(id string) error {
	switch {
	case id == "":
		return invalid("order_id", "must not be empty")
	case len(id) > maxOrderIDLength:
		return invalid("order_id", fmt.Sprintf("is %d bytes, more than the limit of %d", len(id), maxOrderIDLength))
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x21 || c > 0x7e {
			return invalid("order_id", fmt.Sprintf("%q %s; %s", id, orderIDProblem(id, i), orderIDRule))
		}
	}
	return nil
}

// orderIDRule is the rule of ValidateOrderID, as its errors state it.
const orderIDRule = "an order ID may contain only printable ASCII characters other than space, " +
	"'!' to '~' (bytes 0x21 to 0x7E), as Temporal sends it in a gRPC header"

// orderIDProblem names the character of id at byte i, which ValidateOrderID
// refuses, and where it is. The Unicode tables name the character only: which
// IDs are valid does not depend on them, nor so on the Go release.
func orderIDProblem(id string, i int) string {
	r, size := utf8.DecodeRuneInString(id[i:])
	var what string
	switch {
	case r == utf8.RuneError && size <= 1:
		return fmt.Sprintf("is not valid UTF-8 (byte 0x%02X at byte %d)", id[i], i)
	case unicode.IsSpace(r):
		what = fmt.Sprintf("whitespace (%U)", r)
	case unicode.IsControl(r):
		what = fmt.Sprintf("a control character (%U)", r)
	case unicode.Is(unicode.Cf, r):
		what = fmt.Sprintf("an invisible format character (%U)", r)
	default:
		what = fmt.Sprintf("%q (%U), which is not ASCII,", r, r)
	}
	return fmt.Sprintf("contains %s at byte %d", what, i)
}

// textKind is what a text field holds, which decides the characters it may
// contain.
type textKind int

const (
	identifier textKind = iota // one line, no format characters at all, no surrounding whitespace
	humanLine                  // one line of text people write: a name
	humanLines                 // lines of text people write: an address
)

// checkText checks a required text field (an optional one is checked only
// when not empty) of at most maxFieldLength bytes.
func checkText(field, s string, kind textKind) error {
	return checkTextLimit(field, s, kind, maxFieldLength)
}

func checkTextLimit(field, s string, kind textKind, limit int) error {
	switch {
	case s == "":
		return invalid(field, "must not be empty")
	case strings.TrimFunc(s, blank) == "":
		return invalid(field, "must not be blank: it has no visible character, only whitespace, "+
			"invisible or combining characters, or blank-looking fillers")
	case len(s) > limit:
		return invalid(field, fmt.Sprintf("is %d bytes, more than the limit of %d", len(s), limit))
	case !utf8.ValidString(s):
		return invalid(field, "is not valid UTF-8")
	case kind == identifier && trimSpace(s) != s:
		return invalid(field, "must not begin or end with whitespace")
	}
	for i, r := range s {
		if problem := badRune(r, kind); problem != "" {
			return invalid(field, fmt.Sprintf("contains %s at byte %d", problem, i))
		}
	}
	return nil
}

// blank reports whether r shows nothing by itself: whitespace, format
// characters, combining marks (which need a base character), and the
// fillers that render as blank (Hangul fillers, the blank Braille pattern).
func blank(r rune) bool {
	switch r {
	case '\u115f', '\u1160', '\u3164', '\uffa0', '\u2800':
		return true
	}
	return isSpace(r) || isFormat(r) || unicode.Is(unicode.M, r)
}

// badRune describes r if a text field of the kind must not contain it, and
// returns "" otherwise.
func badRune(r rune, kind textKind) string {
	switch {
	case r == '\n' && kind == humanLines:
		return ""
	case r == '\n', r == '\r', r == '\v', r == '\f', r == '\u0085', r == '\u2028', r == '\u2029':
		if kind == humanLines {
			return fmt.Sprintf("a line break other than LF (%U)", r)
		}
		return fmt.Sprintf("a line break (%U); it must be one line", r)
	case unicode.IsControl(r):
		return fmt.Sprintf("a control character (%U)", r)
	case r == utf8.RuneError:
		return "the replacement character U+FFFD, which stands for text lost in decoding"
	case (r == '\u200c' || r == '\u200d') && kind != identifier:
		return ""
	case isFormat(r):
		return fmt.Sprintf("an invisible format character (%U)", r)
	}
	return ""
}

func validateEmail(s string) error {
	if err := checkTextLimit("customer_email", s, identifier, maxEmailLength); err != nil {
		return err
	}
	if !validAddrSpec(s) || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
		return invalid("customer_email", "is not a plain address like name@example.com")
	}
	return nil
}
