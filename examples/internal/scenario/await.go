package scenario

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow"
)

// AwaitApproval waits until the order awaits a decision: until its history
// records the start of the approval timer, which the workflow starts in the
// workflow task that makes the order pending, so that a decision sent after
// it is taken. It fails when the order ends without awaiting approval, and
// when ctx ends: it has no budget of its own.
//
// Unlike WaitForApproval it asks the server alone, with a long poll of the
// history, rather than querying the worker again and again: waiting on many
// orders at once does not load the worker that runs them.
func AwaitApproval(ctx context.Context, tc client.Client, orderID string) error {
	it := tc.GetWorkflowHistory(ctx, orderflow.WorkflowID(orderID), "", true, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return fmt.Errorf("order %s never awaited approval: %w", orderID, err)
		}
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			return nil
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
			enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
			enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
			enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
			enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
			enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
			return fmt.Errorf("order %s ended (%s) without awaiting approval", orderID, ev.GetEventType())
		}
	}
	return fmt.Errorf("order %s ended without awaiting approval", orderID)
}
