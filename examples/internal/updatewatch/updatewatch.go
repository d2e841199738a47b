// Package updatewatch lets a test wait until the Temporal server holds the
// Updates a client sent, instead of sleeping for a time it hopes is long
// enough: tests that send decisions while no worker runs, and then start
// one, need the decisions to be on the server first, so that the worker
// takes them in one workflow task.
package updatewatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
)

// Watch records the Updates sent through the clients it wraps.
type Watch struct {
	interceptor.ClientInterceptorBase
	namespace string
	tc        client.Client
	sent      chan ref
}

type ref struct{ workflowID, updateID string }

// New returns a Watch over tc, whose namespace is namespace, and a client
// that shares tc's connection and reports its Updates to the Watch.
func New(tc client.Client, namespace string) (*Watch, client.Client, error) {
	w := &Watch{namespace: namespace, tc: tc, sent: make(chan ref, 1024)}
	wc, err := client.NewClientFromExisting(tc, client.Options{Namespace: namespace, Interceptors: []interceptor.ClientInterceptor{w}})
	if err != nil {
		return nil, nil, err
	}
	return w, wc, nil
}

// InterceptClient implements interceptor.ClientInterceptor.
func (w *Watch) InterceptClient(next interceptor.ClientOutboundInterceptor) interceptor.ClientOutboundInterceptor {
	return &outbound{ClientOutboundInterceptorBase: interceptor.ClientOutboundInterceptorBase{Next: next}, w: w}
}

type outbound struct {
	interceptor.ClientOutboundInterceptorBase
	w *Watch
}

func (o *outbound) UpdateWorkflow(ctx context.Context, in *interceptor.ClientUpdateWorkflowInput) (client.WorkflowUpdateHandle, error) {
	if in.UpdateID != "" {
		o.w.sent <- ref{in.WorkflowID, in.UpdateID}
	}
	return o.Next.UpdateWorkflow(ctx, in)
}

// AwaitAdmitted waits until n more Updates were sent through the wrapped
// client and the server has admitted each of them: they wait there for a
// worker. It returns ctx's error if ctx ends first.
func (w *Watch) AwaitAdmitted(ctx context.Context, n int) error {
	for range n {
		var r ref
		select {
		case r = <-w.sent:
		case <-ctx.Done():
			return fmt.Errorf("waiting for an Update to be sent: %w", ctx.Err())
		}
		if err := w.awaitOne(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

func (w *Watch) awaitOne(ctx context.Context, r ref) error {
	for {
		_, err := w.tc.WorkflowService().PollWorkflowExecutionUpdate(ctx, &workflowservice.PollWorkflowExecutionUpdateRequest{
			Namespace: w.namespace,
			UpdateRef: &updatepb.UpdateRef{
				WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: r.workflowID},
				UpdateId:          r.updateID,
			},
			WaitPolicy: &updatepb.WaitPolicy{LifecycleStage: enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED},
		})
		var nf *serviceerror.NotFound
		switch {
		case err == nil:
			return nil
		case !errors.As(err, &nf):
			return fmt.Errorf("update %s of %s: %w", r.updateID, r.workflowID, err)
		}
		// Not on the server yet: the call is still on its way.
		select {
		case <-ctx.Done():
			return fmt.Errorf("update %s of %s never reached the server: %w", r.updateID, r.workflowID, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
