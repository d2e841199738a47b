package orderflow_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
)

func TestNewWorkflowInputFillsDefaults(t *testing.T) {
	in, err := orderflow.NewWorkflowInput(smallOrder("ORD-001"), nil)
	require.NoError(t, err)
	s := in.Settings
	require.NotNil(t, s)
	require.Equal(t, orderflow.USD(100000), s.ApprovalThreshold)
	require.Equal(t, 5*time.Minute, s.ApprovalTimeout)
	require.Equal(t, 30*time.Second, s.ActivityTimeout)
	require.Equal(t, orderflow.DefaultRetry(), s.Retry)
	require.Equal(t, orderflow.DefaultCompensationRetry(), s.CompensationRetry)
	require.Zero(t, s.MaxOrderTotal)

	in, err = orderflow.NewWorkflowInput(smallOrder("ORD-001"), &orderflow.Options{ApprovalTimeout: time.Minute,
		Retry: orderflow.Retry{MaximumAttempts: 7}})
	require.NoError(t, err)
	require.Equal(t, time.Minute, in.Settings.ApprovalTimeout)
	require.Equal(t, int32(7), in.Settings.Retry.MaximumAttempts)
	require.Equal(t, time.Second, in.Settings.Retry.InitialInterval, "unset retry fields keep their defaults")
}

func TestOptionsOutOfRangeAreRefused(t *testing.T) {
	for name, o := range map[string]orderflow.Options{
		"approval_timeout":                    {ApprovalTimeout: -1},
		"approval_timeout: must be at least":  {ApprovalTimeout: time.Second - 1},
		"activity_timeout":                    {ActivityTimeout: -1},
		"activity_timeout: must be at least":  {ActivityTimeout: time.Nanosecond},
		"approval_threshold":                  {ApprovalThreshold: orderflow.USD(-1)},
		"approval_threshold.currency":         {ApprovalThreshold: orderflow.Money{Amount: 5, Currency: "dollars"}},
		"retry.backoff_coefficient":           {Retry: orderflow.Retry{BackoffCoefficient: 0.5}},
		"retry.initial_interval":              {Retry: orderflow.Retry{InitialInterval: time.Millisecond - 1}},
		"retry.maximum_interval":              {Retry: orderflow.Retry{InitialInterval: 2 * time.Second, MaximumInterval: time.Second}},
		"compensation_retry.maximum_attempts": {CompensationRetry: orderflow.Retry{MaximumAttempts: -1}},
		"max_order_total: must be positive":   {MaxOrderTotal: orderflow.USD(-1)},
		"max_order_total.currency":            {MaxOrderTotal: orderflow.Money{Amount: 5, Currency: "EUR"}},
		"TaskQueue":                           {TaskQueue: "  "},
		"CallTimeout":                         {CallTimeout: -time.Second},
	} {
		_, err := orderflow.NewWorkflowInput(smallOrder("ORD-001"), &o)
		require.ErrorContains(t, err, name, name)
		_, err = orderflow.NewClient(nopClient{}, &o)
		require.ErrorContains(t, err, name, name)
	}
	// The boundaries themselves are accepted.
	for _, o := range []orderflow.Options{
		{ApprovalTimeout: time.Second}, {ActivityTimeout: time.Second},
		{Retry: orderflow.Retry{InitialInterval: time.Millisecond}},
		{Retry: orderflow.Retry{InitialInterval: time.Second, MaximumInterval: time.Second}},
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

// Settings travel with readable durations, and the nanoseconds of earlier
// releases (in recorded histories) still read.
func TestSettingsJSONDurations(t *testing.T) {
	in, err := orderflow.NewWorkflowInput(smallOrder("ORD-001"), nil)
	require.NoError(t, err)
	b, err := json.Marshal(in.Settings)
	require.NoError(t, err)
	require.Contains(t, string(b), `"approval_timeout":"5m0s"`)
	require.Contains(t, string(b), `"initial_interval":"1s"`)
	require.NotContains(t, string(b), "max_order_total", "an unset maximum is left out")
	var back orderflow.Settings
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, *in.Settings, back)

	var old orderflow.Settings
	require.NoError(t, json.Unmarshal([]byte(`{"approval_threshold":{"amount":100000,"currency":"USD"},
		"approval_timeout":300000000000,"activity_timeout":30000000000,
		"retry":{"initial_interval":1000000000,"backoff_coefficient":2,"maximum_interval":30000000000,"maximum_attempts":3}}`), &old))
	require.Equal(t, 5*time.Minute, old.ApprovalTimeout)
	require.Equal(t, time.Second, old.Retry.InitialInterval)

	var typed orderflow.Settings
	require.NoError(t, json.Unmarshal([]byte(`{"approval_timeout":"90s","retry":{"maximum_interval":"1m"}}`), &typed))
	require.Equal(t, 90*time.Second, typed.ApprovalTimeout)
	require.Equal(t, time.Minute, typed.Retry.MaximumInterval)
	require.ErrorContains(t, json.Unmarshal([]byte(`{"approval_timeout":"five minutes"}`), &typed), `want a duration such as "30s"`)
}

// The workflow input's JSON keeps the order's fields inline, as the Python
// demo's CLI commands send them.
func TestWorkflowInputJSONIsFlat(t *testing.T) {
	in, err := orderflow.NewWorkflowInput(smallOrder("ORD-001"), nil)
	require.NoError(t, err)
	b, err := json.Marshal(in)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	require.Equal(t, "ORD-001", m["order_id"])
	require.Contains(t, m, "settings")
	var back orderflow.WorkflowInput
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, in, back)
}

// nopClient stands for a Temporal client in tests that never reach a server.
type nopClient struct{ client.Client }

// validatedInput gives a WorkflowInput the methods of its order that
// roundTrip checks.
type validatedInput struct{ orderflow.WorkflowInput }

func (v validatedInput) Validate() error                 { return v.Order.Validate() }
func (v validatedInput) Total() (orderflow.Money, error) { return v.Order.Total() }

func TestNewWorkerRefusesMissingParts(t *testing.T) {
	acts, _ := orderflowtest.NewActivities()
	_, err := orderflow.NewWorker(nil, acts, nil)
	require.ErrorContains(t, err, "client is nil")

	c, err := client.NewLazyClient(client.Options{}) // connects on first use: never here
	require.NoError(t, err)
	defer c.Close()
	_, err = orderflow.NewWorker(c, &orderflow.Activities{Payment: acts.Payment}, nil)
	require.ErrorContains(t, err, "missing provider(s) [Inventory Delivery Email]")
	w, err := orderflow.NewWorker(c, acts, &orderflow.WorkerOptions{TaskQueue: "elsewhere", WorkflowCacheSize: -1})
	require.NoError(t, err)
	require.NotNil(t, w)
}

// Options.WorkflowVersion pins the revision new orders run, for a rollout in
// two steps; out of range is refused with the range named.
func TestWorkflowVersionOption(t *testing.T) {
	in, err := orderflow.NewWorkflowInput(smallOrder("ORD-001"), nil)
	require.NoError(t, err)
	require.Equal(t, 3, in.Settings.WorkflowVersion)
	in, err = orderflow.NewWorkflowInput(smallOrder("ORD-001"), &orderflow.Options{WorkflowVersion: 2})
	require.NoError(t, err)
	require.Equal(t, 2, in.Settings.WorkflowVersion)
	for _, v := range []int{-1, 1, 4} {
		_, err := orderflow.NewWorkflowInput(smallOrder("ORD-001"), &orderflow.Options{WorkflowVersion: v})
		require.ErrorContains(t, err, "this release starts orders of versions 2 to 3", "version %d", v)
	}
}
