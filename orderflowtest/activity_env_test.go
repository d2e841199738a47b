package orderflowtest

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow"
)

// The fakes' permanent failures must reach the workflow as non-retryable
// errors with orderflow's type strings, and transient ones as retryable.
func TestFailuresThroughTheActivityLayer(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	acts, prov := NewActivities()
	if err := RegisterActivities(env, acts); err != nil {
		t.Fatal(err)
	}

	prov.Payment.ChargeFaults.FailOrder("ORD-DECLINED", fmt.Errorf("card ending 0002: %w", orderflow.ErrPaymentDeclined))
	_, err := env.ExecuteActivity(orderflow.ActivityProcessPayment, charge("ORD-DECLINED"))
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Type() != "orderflow.PaymentDeclined" {
		t.Fatalf("declined charge: err = %v; want a non-retryable ApplicationError of type %s", err, "orderflow.PaymentDeclined")
	}

	prov.Payment.ChargeFaults.FailNext(1, nil)
	_, err = env.ExecuteActivity(orderflow.ActivityProcessPayment, charge("ORD-FLAKY"))
	if err == nil || (errors.As(err, &appErr) && appErr.NonRetryable()) {
		t.Fatalf("transient failure: err = %v; want a retryable error", err)
	}

	val, err := env.ExecuteActivity(orderflow.ActivityProcessPayment, charge("ORD-FLAKY"))
	if err != nil {
		t.Fatal(err)
	}
	var res orderflow.PaymentResult
	if err := val.Get(&res); err != nil || res.Amount != orderflow.USD(8995) {
		t.Fatalf("result = %+v, %v; want $89.95 charged", res, err)
	}
}
