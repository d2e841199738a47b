package orderflowtest

import (
	"encoding/json"

	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/internal/hooks"
)

// WorkflowInput returns the input of orderflow's workflow for order with the
// options opts (nil means the defaults), exactly as Client.Start sends it:
// the order normalized and its plan decided. Use it to run the workflow in
// the SDK's test environment with options of your own:
//
//	in, err := orderflowtest.WorkflowInput(order, &orderflow.Options{ApprovalTimeout: time.Hour})
//	env.ExecuteWorkflow(orderflow.WorkflowName, in)
//
// (The workflow also takes the bare order, env.ExecuteWorkflow(
// orderflow.WorkflowName, order), and runs it with the default options.)
// It fails, wrapping orderflow.ErrInvalidOrder, when the order is invalid or
// does not fit the options, and when an option is out of range.
func WorkflowInput(order orderflow.Order, opts *orderflow.Options) (json.RawMessage, error) {
	return hooks.WorkflowInput(order, opts)
}

// RegisterActivities registers a's six activities on env under their wire
// names (orderflow.ActivityProcessPayment, …), so that a test runs one of
// them as the workflow would:
//
//	env.ExecuteActivity(orderflow.ActivityProcessPayment, req)
//
// A worker or a TestWorkflowEnvironment uses orderflow.Register instead. It
// fails when a provider is missing.
func RegisterActivities(env *testsuite.TestActivityEnvironment, a *orderflow.Activities) error {
	return hooks.RegisterActivities(env, a)
}

// ProviderError returns err as orderflow's activities return a provider's
// error: one that wraps a permanent sentinel (ErrPaymentDeclined,
// ErrOutOfStock, ErrUndeliverable, ErrPermanent) becomes a non-retryable
// *temporal.ApplicationError of its wire type ("orderflow.OutOfStock", …),
// which fails the step at once; any other error is returned as it is, and
// retried. It is for tests that mock an activity, whose error does not pass
// through orderflow's activity code:
//
//	env.OnActivity(orderflow.ActivityReserveInventory, mock.Anything, mock.Anything).
//		Return(orderflow.InventoryResult{}, orderflowtest.ProviderError(orderflow.ErrOutOfStock))
func ProviderError(err error) error { return hooks.ProviderError(err) }

// WorkflowError returns err, an error of the workflow as the SDK's test
// environment reports it (env.GetWorkflowError, a refused Update), such that
// errors.Is finds the orderflow sentinel its ApplicationError type stands
// for, as the Client does for its callers:
//
//	errors.Is(orderflowtest.WorkflowError(env.GetWorkflowError()), orderflow.ErrInvalidOrder)
func WorkflowError(err error) error { return hooks.WorkflowError(err) }
