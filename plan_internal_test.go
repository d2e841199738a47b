package orderflow

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

var updatePlans = flag.Bool("update-plans", false, "rewrite testdata/plans_v3.json from the generated inputs")

// planCase is one workflow input and the plan version 3 made of it.
type planCase struct {
	Name       string          `json:"name"`
	WorkflowID string          `json:"workflow_id"`
	Input      json.RawMessage `json:"input"`
	Plan       plan            `json:"plan"`
}

const plansV3File = "plans_v3.json"

// TestVersion3PlanIsFrozen guards the rules that make a version-3 order's
// plan (validation, defaults, total, approval, key scope). Version 3 does not
// record its plan: it computes it again from the input at every replay, so a
// running order replays only if these rules still decide as when it started.
// testdata/plans_v3.json holds inputs at every rule's edges, and random
// ones, with the plan version 3 made of each. The rules depend on no Go
// release: the Unicode properties and the email syntax they read are
// frozen copies (unicode_frozen.go).
//
// If this fails, a change altered what some input's plan is: keep the
// version-3 rules as they were, and give the new ones to a new workflow
// version (currentWorkflowVersion), as workflow_v1.go and order_v1.go do
// for version 1.
func TestVersion3PlanIsFrozen(t *testing.T) {
	file := filepath.Join("testdata", plansV3File)
	if *updatePlans {
		if _, err := os.Stat(file); err == nil {
			t.Fatalf("%s exists: the version-3 rules are frozen; delete it only if no version-3 order runs anywhere", file)
		}
		cases := generatePlanCases(t)
		var b []byte // one case per line
		for i, c := range cases {
			line, err := json.Marshal(c)
			require.NoError(t, err)
			if i > 0 {
				b = append(b, ",\n"...)
			}
			b = append(b, line...)
		}
		b = append(append([]byte("[\n"), b...), "\n]\n"...)
		require.NoError(t, os.WriteFile(file, b, 0o644))
	}
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var cases []planCase
	require.NoError(t, json.Unmarshal(b, &cases))
	require.GreaterOrEqual(t, len(cases), 300, "the frozen plans are missing")
	valid, invalidOnes := 0, 0
	for _, c := range cases {
		var in WorkflowInput
		require.NoError(t, json.Unmarshal(c.Input, &in), c.Name)
		in.Order = in.Order.Normalized() // as OrderWorkflow does
		got := newPlan(in, c.WorkflowID)
		// The verdict and the field it names decide the order's path; the
		// rest of the message is only the failure's text, which replay does
		// not compare, and quotes characters as Go's Unicode tables say.
		want := c.Plan
		if unicode.Version != frozenUnicodeVersion {
			want.Invalid, got.Invalid = invalidField(want.Invalid), invalidField(got.Invalid)
		}
		require.Equal(t, want, got, "%s: the plan of a version-3 input changed; see the test's doc comment", c.Name)
		if got.Invalid == "" {
			valid++
		} else {
			invalidOnes++
		}
	}
	// The cases must exercise both verdicts, or they guard little.
	require.Greater(t, valid, 50)
	require.Greater(t, invalidOnes, 50)
}

// invalidField is the part of a plan's Invalid message that names the
// field: "orderflow: invalid order: customer_email".
func invalidField(msg string) string {
	if i := strings.Index(msg, ": "); i >= 0 {
		if j := strings.Index(msg[i+2:], ": "); j >= 0 {
			if k := strings.Index(msg[i+2+j+2:], ": "); k >= 0 {
				return msg[:i+2+j+2+k]
			}
		}
	}
	return msg
}

// generatePlanCases makes the inputs of plans_v3.json: a valid base order,
// each field changed to values at and around its rules' edges, settings at
// theirs, and random combinations of those (fixed seed).
func generatePlanCases(t *testing.T) []planCase {
	base := Order{OrderID: "ORD-1", CustomerName: "Alice Smith", CustomerEmail: "alice@example.com",
		ShippingAddress: "123 Main St\nSpringfield", Items: []Item{
			{ProductID: "MOUSE-001", ProductName: "Wireless Mouse", Quantity: 2, UnitPrice: USD(2999)},
			{ProductID: "CABLE-001", ProductName: "USB Cable", Quantity: 3, UnitPrice: USD(999)},
		}}
	long := func(n int) string { return strings.Repeat("a", n) }
	texts := []string{"", " ", "ok", "Zoë Ünal", "注文-001", "a\u200bb", "a\x00b", "tab\there", "line\nbreak",
		"crlf\r\nbreak", " padded ", "\u202eevil", long(MaxFieldLength), long(MaxFieldLength + 1),
		"zw\u200cnj", "zw\u200dj", "nel\u0085x", "ls\u2028x", "ps\u2029x", "ideographic\u3000space", "ogham\u1680space",
		"\u3000padded\u3000", "nbsp\u00a0x", "nnbsp\u202fx", "tag\U000e0001x", "music\U0001d173x", "brahmi\U000110bdx",
		"egypt\U00013430x", "soft\u00adhyphen", "bom\ufeffx", "mongolian\u180ex", "\u2066iso\u2069", "\x7fdel", "\u0080c1"}
	ids := []string{"", "ORD-1", "ORD_002.é", "注文-001", "has space", "nbsp\u00a0id", "zw\u200bsp",
		long(MaxOrderIDLength), long(MaxOrderIDLength + 1), "\xff"}
	emails := []string{"", "alice@example.com", "a@b", "no-at-sign", "two@@example.com", "alice@example.com ",
		"<alice@example.com>", strings.Repeat("a", MaxEmailLength-12) + "@example.com",
		strings.Repeat("a", MaxEmailLength-11) + "@example.com", "ünïcode@example.com",
		"first.last@sub.example.co.uk", "a+tag@example.com", "o'brien@example.ie", "x/y=z?q^a{b}|c~d@example.com",
		"!#$%&*-_`@example.com", "1234@123.45", "a-b@my-host.example", "a.@example.com", ".a@example.com",
		"a..b@example.com", "a@example..com", "a@.example.com", "a@example.com.", "a@[192.0.2.1]", "a@[IPv6:2001:db8::1]",
		"\"quoted\"@example.com", "a(comment)@example.com", "a@example.com(comment)", "Alice <a@example.com>",
		"a@localhost", "a b@example.com", "a@b_c.com", "a;b@example.com", "a,b@example.com", "a\\b@example.com",
		"用户@例子.广告", "a@ex\u200bample.com", "a@example.com\u3000"}
	quantities := []int64{-1, 0, 1, 2, MaxQuantity, MaxQuantity + 1}
	prices := []Money{USD(0), USD(1), USD(-1), USD(99999), USD(100000), USD(100001), {Amount: 100, Currency: "EUR"},
		{Amount: 100, Currency: "usd"}, {Amount: 100, Currency: "XXX"}, {Amount: 100, Currency: ""},
		{Amount: 100, Currency: "JPY"}, USD(1 << 62)}
	itemCounts := []int{0, 1, 2, MaxItems, MaxItems + 1}
	settings := []*Settings{nil, {}, {WorkflowVersion: 3}, {WorkflowVersion: 3}, {WorkflowVersion: 3}, {ApprovalThreshold: USD(5000), WorkflowVersion: 3},
		{ApprovalThreshold: Money{Amount: 5000, Currency: "EUR"}}, {ApprovalThreshold: USD(-1)},
		{ApprovalTimeout: MinApprovalTimeout - 1}, {ApprovalTimeout: MinApprovalTimeout}, {ActivityTimeout: MinActivityTimeout - 1},
		{MaxOrderTotal: USD(10000)}, {MaxOrderTotal: USD(9)}, {MaxOrderTotal: Money{Amount: 10000, Currency: "EUR"}},
		{MaxOrderTotal: USD(-5)}, {Retry: Retry{InitialInterval: MinRetryInterval - 1}},
		{Retry: Retry{InitialInterval: 10 * MinRetryInterval, MaximumInterval: MinRetryInterval}},
		{Retry: Retry{BackoffCoefficient: 0.5}}, {CompensationRetry: Retry{MaximumAttempts: -1}},
		{LowLatency: true, Visibility: true, WorkflowVersion: 3}}
	workflowIDs := []string{"", "order-workflow-ORD-1", "test-run"}

	var cases []planCase
	add := func(name string, o Order, s *Settings, wid string) {
		raw, err := json.Marshal(WorkflowInput{Order: o, Settings: s})
		require.NoError(t, err)
		var in WorkflowInput // as the workflow gets it: JSON turns bad UTF-8 into U+FFFD
		require.NoError(t, json.Unmarshal(raw, &in))
		in.Order = in.Order.Normalized()
		if wid == "" {
			wid = WorkflowID(in.Order.OrderID)
		}
		cases = append(cases, planCase{Name: name, WorkflowID: wid, Input: raw, Plan: newPlan(in, wid)})
	}
	withItems := func(o Order, n int) Order {
		o.Items = nil
		for i := range n {
			o.Items = append(o.Items, Item{ProductID: fmt.Sprintf("P-%d", i), Quantity: 1, UnitPrice: USD(100)})
		}
		return o
	}
	clone := func(o Order) Order { o.Items = append([]Item(nil), o.Items...); return o }

	add("base", base, nil, "")
	for i, v := range ids {
		o := clone(base)
		o.OrderID = v
		add(fmt.Sprintf("order_id/%d", i), o, nil, "")
	}
	for i, v := range texts {
		o := clone(base)
		o.CustomerName = v
		add(fmt.Sprintf("customer_name/%d", i), o, nil, "")
		o = clone(base)
		o.ShippingAddress = v
		add(fmt.Sprintf("shipping_address/%d", i), o, nil, "")
		o = clone(base)
		o.Items[0].ProductID = v
		add(fmt.Sprintf("product_id/%d", i), o, nil, "")
		o = clone(base)
		o.Items[0].ProductName = v
		add(fmt.Sprintf("product_name/%d", i), o, nil, "")
	}
	for i, v := range emails {
		o := clone(base)
		o.CustomerEmail = v
		add(fmt.Sprintf("customer_email/%d", i), o, nil, "")
	}
	for i, q := range quantities {
		o := clone(base)
		o.Items[0].Quantity = q
		add(fmt.Sprintf("quantity/%d", i), o, nil, "")
	}
	for i, p := range prices {
		o := clone(base)
		o.Items[0].UnitPrice = p
		add(fmt.Sprintf("unit_price/%d", i), o, nil, "")
		o = clone(base)
		o.Items = []Item{{ProductID: "ONE", Quantity: 1, UnitPrice: p}}
		add(fmt.Sprintf("single_item_price/%d", i), o, nil, "")
	}
	for i, n := range itemCounts {
		add(fmt.Sprintf("items/%d", i), withItems(base, n), nil, "")
	}
	for i, s := range settings {
		add(fmt.Sprintf("settings/%d", i), base, s, "")
		big := clone(base)
		big.Items[0].UnitPrice = USD(60000)
		add(fmt.Sprintf("settings_large/%d", i), big, s, "")
	}
	for i, wid := range workflowIDs {
		add(fmt.Sprintf("workflow_id/%d", i), base, nil, wid)
	}

	rng := rand.New(rand.NewPCG(3, 2026))
	pick := func(n int) int { return rng.IntN(n) }
	for i := range 200 {
		// Mostly valid orders, with one or two fields changed.
		o := clone(base)
		for range 1 + pick(2) {
			switch pick(7) {
			case 0:
				o.OrderID = ids[pick(len(ids))]
			case 1:
				o.CustomerName = texts[pick(len(texts))]
			case 2:
				o.CustomerEmail = emails[pick(len(emails))]
			case 3:
				o.ShippingAddress = texts[pick(len(texts))]
			case 4:
				o.Items[pick(2)].ProductName = texts[pick(len(texts))]
			default:
				o.Items[pick(2)].Quantity = 1 + rng.Int64N(50)
				o.Items[pick(2)].UnitPrice = USD(rng.Int64N(200000))
			}
		}
		if pick(8) == 0 {
			o.Items[pick(2)].UnitPrice = prices[pick(len(prices))]
		}
		add(fmt.Sprintf("random/%d", i), o, settings[pick(len(settings))], workflowIDs[pick(len(workflowIDs))])
	}
	return cases
}
