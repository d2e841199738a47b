package orderflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits enforced by Order.Validate.
const (
	// MaxOrderIDLength is the longest accepted order ID, in bytes.
	MaxOrderIDLength = 128
	// MaxItems is the most line items one order may carry.
	MaxItems = 1000
	// MaxQuantity is the largest quantity of one line item.
	MaxQuantity = 1_000_000
	// MaxFieldLength bounds free-text fields (names, addresses, product IDs), in bytes.
	MaxFieldLength = 1024
)

// DefaultCurrency is the currency a bare JSON number is read in (see Money.UnmarshalJSON).
const DefaultCurrency = "USD"

// Money is an amount in integer minor units of a currency: USD(189997) is $1899.97.
// Money never passes through floating point, so totals and the approval
// threshold compare exactly.
type Money struct {
	// Amount is in the currency's minor units (cents for USD).
	Amount int64 `json:"amount"`
	// Currency is an ISO 4217 code such as "USD".
	Currency string `json:"currency"`
}

// USD returns an amount of US cents as Money: USD(8995) is $89.95.
func USD(cents int64) Money { return Money{Amount: cents, Currency: "USD"} }

// minorDigits reports how many decimal places the currency's minor unit has.
func minorDigits(currency string) int {
	switch currency {
	case "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF":
		return 0
	case "BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD":
		return 3
	}
	return 2
}

// ParseMoney parses a decimal string such as "1899.97" in the given currency
// without going through floating point. More decimal places than the currency
// has minor digits is an error, not a rounding.
func ParseMoney(s, currency string) (Money, error) {
	digits := minorDigits(currency)
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	whole, frac, hasDot := strings.Cut(body, ".")
	if whole == "" || (hasDot && frac == "") || len(frac) > digits {
		return Money{}, fmt.Errorf("orderflow: parse money %q: want a decimal with at most %d places", s, digits)
	}
	frac += strings.Repeat("0", digits-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || strings.ContainsAny(whole+frac, "+-eE") {
		return Money{}, fmt.Errorf("orderflow: parse money %q: out of range or not a decimal", s)
	}
	if neg {
		n = -n
	}
	return Money{Amount: n, Currency: currency}, nil
}

// String formats m for people: "$89.95" for USD, "12.50 EUR" for other currencies.
func (m Money) String() string {
	digits := minorDigits(m.Currency)
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

// UnmarshalJSON reads the canonical {"amount": 2999, "currency": "USD"} form,
// and also a bare decimal number such as 29.99 (the Python demo's unit_price),
// read exactly as DefaultCurrency.
func (m *Money) UnmarshalJSON(b []byte) error {
	trimmed := strings.TrimSpace(string(b))
	if trimmed == "null" {
		return nil
	}
	if strings.HasPrefix(trimmed, "{") {
		type plain Money
		return json.Unmarshal(b, (*plain)(m))
	}
	parsed, err := ParseMoney(trimmed, DefaultCurrency)
	if err != nil {
		return err
	}
	*m = parsed
	return nil
}

// Item is one line of an order.
type Item struct {
	ProductID   string `json:"product_id"`
	ProductName string `json:"product_name"`
	Quantity    int64  `json:"quantity"`
	UnitPrice   Money  `json:"unit_price"`
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
type Order struct {
	OrderID         string `json:"order_id"`
	CustomerName    string `json:"customer_name"`
	CustomerEmail   string `json:"customer_email"`
	Items           []Item `json:"items"`
	ShippingAddress string `json:"shipping_address"`
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

// Validate checks the order and returns the first problem found as a
// *ValidationError wrapping ErrInvalidOrder, or nil.
func (o Order) Validate() error {
	if err := ValidateOrderID(o.OrderID); err != nil {
		return err
	}
	if err := checkText("customer_name", o.CustomerName, false); err != nil {
		return err
	}
	if err := validateEmail(o.CustomerEmail); err != nil {
		return err
	}
	if strings.TrimSpace(o.ShippingAddress) == "" {
		return invalid("shipping_address", "must not be empty")
	}
	if err := checkText("shipping_address", o.ShippingAddress, true); err != nil {
		return err
	}
	if len(o.Items) == 0 {
		return invalid("items", "an order needs at least one item")
	}
	if len(o.Items) > MaxItems {
		return invalid("items", fmt.Sprintf("%d items is more than the limit of %d", len(o.Items), MaxItems))
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
	if it.ProductID == "" {
		return invalid(path+".product_id", "must not be empty")
	}
	if err := checkText(path+".product_id", it.ProductID, false); err != nil {
		return err
	}
	if err := checkText(path+".product_name", it.ProductName, false); err != nil {
		return err
	}
	if it.Quantity < 1 {
		return invalid(path+".quantity", fmt.Sprintf("must be at least 1, got %d", it.Quantity))
	}
	if it.Quantity > MaxQuantity {
		return invalid(path+".quantity", fmt.Sprintf("%d is more than the limit of %d", it.Quantity, MaxQuantity))
	}
	if it.UnitPrice.Amount < 0 {
		return invalid(path+".unit_price", fmt.Sprintf("must not be negative, got %s", it.UnitPrice))
	}
	if !validCurrency(it.UnitPrice.Currency) {
		return invalid(path+".unit_price.currency", fmt.Sprintf("%q is not a three-letter ISO 4217 code", it.UnitPrice.Currency))
	}
	return nil
}

// ValidateOrderID checks an order ID on its own: not empty, at most
// MaxOrderIDLength bytes, valid UTF-8, no whitespace or control characters.
func ValidateOrderID(id string) error {
	switch {
	case id == "":
		return invalid("order_id", "must not be empty")
	case len(id) > MaxOrderIDLength:
		return invalid("order_id", fmt.Sprintf("is %d bytes, more than the limit of %d", len(id), MaxOrderIDLength))
	case !utf8.ValidString(id):
		return invalid("order_id", "is not valid UTF-8")
	}
	for _, r := range id {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return invalid("order_id", fmt.Sprintf("%q contains whitespace or a control character", id))
		}
	}
	return nil
}

func checkText(field, s string, multiline bool) error {
	if len(s) > MaxFieldLength {
		return invalid(field, fmt.Sprintf("is %d bytes, more than the limit of %d", len(s), MaxFieldLength))
	}
	if !utf8.ValidString(s) {
		return invalid(field, "is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && r == '\n') {
			return invalid(field, "contains a control character")
		}
	}
	return nil
}

func validateEmail(s string) error {
	if s == "" {
		return invalid("customer_email", "must not be empty")
	}
	if err := checkText("customer_email", s, false); err != nil {
		return err
	}
	// Deterministic, so safe in workflow code: workflowcheck flags net/mail
	// only for its debug logging (log.Printf, hence time.Now), which sits
	// behind a package flag that is always false.
	//workflowcheck:ignore
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
		return invalid("customer_email", "is not a plain address like name@example.com")
	}
	return nil
}

func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}
