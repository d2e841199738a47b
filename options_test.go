package orderflow_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow"
)

// planOf returns the plan the Client would carry in an order's input, as
// JSON values.
func planOf(t *testing.T, o orderflow.Order, opts *orderflow.Options) map[string]any {
	t.Helper()
	in, err := orderflow.NewWorkflowInput(o, opts)
	require.NoError(t, err)
	b, err := json.Marshal(in)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	require.Equal(t, o.OrderID, m["order_id"], "the order's fields stay inline, as the Python demo's CLI sends them")
	return m["plan"].(map[string]any)
}

func TestNewWorkflowInputDecidesThePlan(t *testing.T) {
	p := planOf(t, smallOrder("ORD-001"), nil)
	require.Equal(t, map[string]any{"amount": 8995.0, "currency": "USD"}, p["total"])
	require.Equal(t, false, p["requires_approval"])
	require.Equal(t, "ORD-001", p["key_prefix"])
	s := p["settings"].(map[string]any)
	require.Equal(t, map[string]any{"amount": 100000.0, "currency": "USD"}, s["approval_threshold"])
	require.Equal(t, float64(5*time.Minute), s["approval_timeout_ns"])
	require.Equal(t, float64(30*time.Second), s["activity_timeout_ns"])
	require.Equal(t, map[string]any{"initial_interval_ns": float64(time.Second), "backoff_coefficient": 2.0,
		"maximum_interval_ns": float64(30 * time.Second), "maximum_attempts": 3.0}, s["retry"])

	p = planOf(t, largeOrder("X/Z"), &orderflow.Options{ApprovalTimeout: time.Minute, Retry: &temporal.RetryPolicy{MaximumAttempts: 7}})
	require.Equal(t, true, p["requires_approval"])
	require.Equal(t, "X%2FZ", p["key_prefix"], "an order ID's slash is escaped in its keys")
	s = p["settings"].(map[string]any)
	require.Equal(t, float64(time.Minute), s["approval_timeout_ns"])
	require.Equal(t, 7.0, s["retry"].(map[string]any)["maximum_attempts"])
	require.Equal(t, float64(time.Second), s["retry"].(map[string]any)["initial_interval_ns"], "unset retry fields keep their defaults")
}

func TestOptionsOutOfRangeAreRefused(t *testing.T) {
	for name, o := range map[string]orderflow.Options{
		"approval_timeout":                                  {ApprovalTimeout: -1},
		"approval_timeout: must be at least":                {ApprovalTimeout: time.Second - 1},
		"activity_timeout":                                  {ActivityTimeout: -1},
		"activity_timeout: must be at least":                {ActivityTimeout: time.Nanosecond},
		"approval_threshold":                                {ApprovalThreshold: orderflow.USD(-1)},
		"approval_threshold.currency":                       {ApprovalThreshold: orderflow.Money{Amount: 5, Currency: "dollars"}},
		"retry.backoff_coefficient":                         {Retry: &temporal.RetryPolicy{BackoffCoefficient: 0.5}},
		"retry.initial_interval":                            {Retry: &temporal.RetryPolicy{InitialInterval: time.Millisecond - 1}},
		"retry.maximum_interval":                            {Retry: &temporal.RetryPolicy{InitialInterval: 2 * time.Second, MaximumInterval: time.Second}},
		"compensation_retry.maximum_attempts":               {CompensationRetry: &temporal.RetryPolicy{MaximumAttempts: -1}},
		"compensation_retry.maximum_attempts: must be zero": {CompensationRetry: &temporal.RetryPolicy{MaximumAttempts: 5}},
		"Retry.NonRetryableErrorTypes":                      {Retry: &temporal.RetryPolicy{NonRetryableErrorTypes: []string{"x"}}},
		"max_order_total: must be positive":                 {MaxOrderTotal: orderflow.USD(-1)},
		"max_order_total.currency":                          {MaxOrderTotal: orderflow.Money{Amount: 5, Currency: "EUR"}},
		"TaskQueue":                                         {TaskQueue: "  "},
		"CallTimeout":                                       {CallTimeout: -time.Second},
	} {
		_, err := orderflow.NewWorkflowInput(smallOrder("ORD-001"), &o)
		require.ErrorContains(t, err, name, name)
		_, err = orderflow.NewClient(nopClient{}, &o)
		require.ErrorContains(t, err, name, name)
	}
	// The boundaries themselves are accepted.
	for _, o := range []orderflow.Options{
		{ApprovalTimeout: time.Second}, {ActivityTimeout: time.Second},
		{Retry: &temporal.RetryPolicy{InitialInterval: time.Millisecond}},
		{Retry: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Second}},
		{MaxOrderTotal: orderflow.USD(1)},
	} {
		_, err := orderflow.NewWorkflowInput(orderOf("ORD-001", 1), &o)
		require.NoError(t, err, "%+v", o)
	}
}

func TestMaxOrderTotal(t *testing.T) {
	opts := &orderflow.Options{MaxOrderTotal: orderflow.USD(500000)}
	_, err := orderflow.NewWorkflowInput(orderOf("ORD-1", 500000), opts)
	require.NoError(t, err, "a total equal to the maximum is accepted")
	_, err = orderflow.NewWorkflowInput(orderOf("ORD-1", 500001), opts)
	require.ErrorIs(t, err, orderflow.ErrInvalidOrder)
	require.ErrorContains(t, err, "more than the maximum of $5000.00")
}

// nopClient stands for a Temporal client in tests that never reach a server.
type nopClient struct{ client.Client }

// validatedInput gives a WorkflowInput the methods of its order that
// roundTrip checks.
type validatedInput struct{ Order orderflow.Order }

func (v validatedInput) Validate() error                 { return v.Order.Validate() }
func (v validatedInput) Total() (orderflow.Money, error) { return v.Order.Total() }
