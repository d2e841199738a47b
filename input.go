package orderflow

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// workflowInput is the input of the OrderWorkflow workflow: the order's
// fields, inline as in the Python demo, and the plan the Client decided for
// it:
//
//	{"order_id": "ORD-001", …, "items": […], "plan": {…}}
//
// newWorkflowInput makes one as the Client does. An input with only the
// order's fields (temporal workflow start --input '{"order_id": …}', or
// workflowInput{Order: o}) runs with the defaults of Options; its first
// execution records its plan in its history.
type workflowInput struct {
	Order Order
	plan  *plan
}

// MarshalJSON writes the order's fields inline, and the plan if any.
func (in workflowInput) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Order
		Plan *plan `json:"plan,omitempty"`
	}{in.Order, in.plan})
}

// newWorkflowInput returns the input of OrderWorkflow for order with the
// options opts (nil means the defaults), as the Client sends it: the order
// normalized (see Order.Normalized) and its plan decided. Use it to start
// the workflow without the Client, for instance in a test:
// env.ExecuteWorkflow(orderflow.WorkflowName, in). It fails, wrapping
// ErrInvalidOrder, when the order is invalid or does not fit the options
// (currency, MaxOrderTotal), and when an option is out of range.
func newWorkflowInput(order Order, opts *Options) (workflowInput, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return workflowInput{}, err
	}
	order = order.Normalized()
	p, err := newPlan(order, o.settings())
	if err != nil {
		return workflowInput{}, err
	}
	return workflowInput{Order: order, plan: &p}, nil
}

// plan is everything an order's workflow decides from its input: the
// normalized order, its total, whether it needs approval, the prefix of its
// idempotency keys and its settings (defaults filled in). It is decided
// once, and never again on replay, so that a later release may change
// validation, normalization, the currency table, the limits, the defaults
// or the key format without changing what a running order does:
//
//   - The Client decides it (newWorkflowInput) and carries it in the
//     workflow's input: no history event.
//   - An order started without one (the CLI, a raw start) has it decided by
//     its workflow's first execution and recorded in its history (a
//     SideEffect marker, one event).
//
// The workflow trusts a plan it is given, as it trusts the order's fields
// next to it: whoever may start workflows on the namespace may as well
// start them with other fields, or approve them, so checking the plan again
// would protect nothing, and would run exactly the editable rules that
// replay must not. The Client never starts an order whose plan it did not
// decide from that very order.
//
// Its JSON holds plain values only (strings, integers, booleans, and Money
// in its {"amount", "currency"} form), so that reading it back runs none of
// this package's rules.
type plan struct {
	// Order is the normalized order, in plans the workflow decided itself;
	// in a Client's plan the input's order is already normalized.
	Order            *Order   `json:"order,omitempty"`
	Total            Money    `json:"total"`
	RequiresApproval bool     `json:"requires_approval"`
	KeyPrefix        string   `json:"key_prefix"`
	Settings         settings `json:"settings"`
	// Fingerprint identifies the order's content, so that a second start
	// under the same order ID is told apart from a retry (see fingerprint).
	Fingerprint string `json:"fingerprint"`
	// Invalid is why the workflow refused an input it decided the plan of.
	Invalid string `json:"invalid,omitempty"`
}

// newPlan decides the plan of order, which is normalized, under s, or
// fails wrapping ErrInvalidOrder.
func newPlan(order Order, s settings) (plan, error) {
	if err := s.validate(); err != nil {
		return plan{}, &ValidationError{Field: "settings", Reason: err.Error()}
	}
	s = s.withDefaults()
	if err := s.check(order); err != nil {
		return plan{}, err
	}
	total, _ := order.Total() // check succeeded, so Total does
	return plan{Total: total, RequiresApproval: total.Amount > s.ApprovalThreshold.Amount,
		KeyPrefix: keyPrefix(order.OrderID), Settings: s, Fingerprint: fingerprint(order)}, nil
}

// fingerprint identifies a normalized order's content: a SHA-256 of its
// JSON, in hex.
func fingerprint(order Order) string {
	b, _ := json.Marshal(order) // an Order always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// rawPlan decides the plan of an input that came without one: the order's
// fields read as the Python demo writes them (bare decimal prices too),
// normalized and validated, with the default options.
func rawPlan(input json.RawMessage) plan {
	var order Order
	if err := json.Unmarshal(input, &order); err != nil {
		return plan{Invalid: fmt.Sprintf("orderflow: invalid order: %v", err)}
	}
	order = order.Normalized()
	defaults, _ := (*Options)(nil).withDefaults()
	p, err := newPlan(order, defaults.settings())
	if err != nil {
		return plan{Invalid: err.Error()}
	}
	p.Order = &order
	return p
}

// readInput returns the order and the plan of input: the plan the input
// carries, or, for an input without one, the plan recorded in history, which
// the first execution decides (decide: rawPlan).
func readInput(ctx workflow.Context, input json.RawMessage, decide func(json.RawMessage) plan) (Order, plan, error) {
	var in struct {
		Order
		Plan *plan `json:"plan"`
	}
	// Decoding JSON into structs is deterministic; workflowcheck flags any
	// use of reflect.
	//workflowcheck:ignore
	if err := json.Unmarshal(input, &in); err == nil && in.Plan != nil {
		return in.Order, *in.Plan, nil
	}
	var p plan
	err := workflow.SideEffect(ctx, func(workflow.Context) any { return decide(input) }).Get(&p)
	if err != nil || p.Order == nil {
		return Order{}, p, err
	}
	return *p.Order, p, nil
}
