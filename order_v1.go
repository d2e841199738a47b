package orderflow

// This file is the order validation of the release before changeMoneySafety.
// It is frozen: orders started by that release replay through
// workflow_v1.go, which validates the order again on replay, so it must
// accept exactly what that release accepted. Do not edit it except to keep
// it compiling; new rules go into order.go.

import (
	"errors"
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// validateOrderV1 is Order.Validate of the previous release.
func validateOrderV1(o Order) error {
	if err := validateOrderIDV1(o.OrderID); err != nil {
		return err
	}
	if err := checkTextV1("customer_name", o.CustomerName, false); err != nil {
		return err
	}
	if err := validateEmailV1(o.CustomerEmail); err != nil {
		return err
	}
	if strings.TrimSpace(o.ShippingAddress) == "" {
		return invalid("shipping_address", "must not be empty")
	}
	if err := checkTextV1("shipping_address", o.ShippingAddress, true); err != nil {
		return err
	}
	if len(o.Items) == 0 {
		return invalid("items", "an order needs at least one item")
	}
	if len(o.Items) > MaxItems {
		return invalid("items", fmt.Sprintf("%d items is more than the limit of %d", len(o.Items), MaxItems))
	}
	for i, it := range o.Items {
		if err := validateItemV1(it, fmt.Sprintf("items[%d]", i)); err != nil {
			return err
		}
	}
	_, err := totalV1(o)
	return err
}

func validateItemV1(it Item, path string) error {
	if it.ProductID == "" {
		return invalid(path+".product_id", "must not be empty")
	}
	if err := checkTextV1(path+".product_id", it.ProductID, false); err != nil {
		return err
	}
	if err := checkTextV1(path+".product_name", it.ProductName, false); err != nil {
		return err
	}
	if it.Quantity < 1 {
		return invalid(path+".quantity", fmt.Sprintf("must be at least 1, got %d", it.Quantity))
	}
	if it.Quantity > MaxQuantity {
		return invalid(path+".quantity", fmt.Sprintf("%d is more than the limit of %d", it.Quantity, MaxQuantity))
	}
	if it.UnitPrice.Amount < 0 {
		return invalid(path+".unit_price", fmt.Sprintf("must not be negative, got %s", moneyStringV1(it.UnitPrice)))
	}
	if !validCurrency(it.UnitPrice.Currency) {
		return invalid(path+".unit_price.currency", fmt.Sprintf("%q is not a three-letter ISO 4217 code", it.UnitPrice.Currency))
	}
	return nil
}

// totalV1 is Order.Total of the previous release.
func totalV1(o Order) (Money, error) {
	var total Money
	for i, it := range o.Items {
		sub, err := subtotalV1(it)
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

func subtotalV1(it Item) (Money, error) {
	if it.Quantity < 0 || it.UnitPrice.Amount < 0 {
		return Money{}, errors.New("negative quantity or price")
	}
	if it.Quantity != 0 && it.UnitPrice.Amount > math.MaxInt64/it.Quantity {
		return Money{}, errors.New("subtotal overflows")
	}
	return Money{Amount: it.UnitPrice.Amount * it.Quantity, Currency: it.UnitPrice.Currency}, nil
}

// validateOrderIDV1 is ValidateOrderID of the previous release: it accepts
// every order ID that release could start.
func validateOrderIDV1(id string) error {
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

func checkTextV1(field, s string, multiline bool) error {
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

func validateEmailV1(s string) error {
	if s == "" {
		return invalid("customer_email", "must not be empty")
	}
	if err := checkTextV1("customer_email", s, false); err != nil {
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

// validCurrency is the previous release's currency check: three upper-case
// ASCII letters, whether or not ISO 4217 assigns them. Settings.validate
// uses it, and workflow_v1.go replays through Settings.validate, so it must
// not tighten; the list of active codes is currencyDigits.
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

// minorDigitsV1 is the previous release's guess at a currency's minor unit.
func minorDigitsV1(currency string) int {
	switch currency {
	case "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF":
		return 0
	case "BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD":
		return 3
	}
	return 2
}

// moneyStringV1 is Money.String of the previous release, for its messages.
func moneyStringV1(m Money) string {
	digits := minorDigitsV1(m.Currency)
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
