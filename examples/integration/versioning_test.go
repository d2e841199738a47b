package integration

import (
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
)

// TestVersioningBehaviorOfRegister checks Register on a worker with Worker
// Versioning on and no default behaviour: without a VersioningBehavior it
// fails with an error naming that cause (not "called twice") and registers
// nothing; with RegisterOptions{VersioningBehavior: pinned} it registers,
// the worker starts, and once its version is the deployment's current one
// an order runs to completion on it, pinned. NewWorker takes the same
// behaviour in WorkerOptions.
func TestVersioningBehaviorOfRegister(t *testing.T) {
	t.Parallel()
	e := newEnvWithoutWorker(t, nil, nil) // its Client and task queue; the worker is made here
	deployment := "orderflow-test-" + sanitize(t.Name())
	opts := worker.Options{DeploymentOptions: worker.DeploymentOptions{UseVersioning: true,
		Version: worker.WorkerDeploymentVersion{DeploymentName: deployment, BuildID: "1"}}}
	acts, _ := orderflowtest.NewActivities()

	w := worker.New(e.tc, e.taskQueue, opts)
	err := orderflow.Register(w, acts)
	if err == nil {
		t.Fatal("Register on a versioned worker without a behaviour: no error")
	}
	for _, want := range []string{"Worker Versioning", "VersioningBehaviorPinned", "does not have a versioning behavior"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Register: %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "twice") {
		t.Errorf("Register: %q blames a second Register", err)
	}
	if _, err := orderflow.NewWorker(e.tc, acts, &orderflow.WorkerOptions{TaskQueue: e.taskQueue, Worker: opts, WorkflowCacheSize: -1}); err == nil ||
		!strings.Contains(err.Error(), "Worker Versioning") {
		t.Errorf("NewWorker on a versioned worker without a behaviour: err = %v", err)
	}
	if w2, err := orderflow.NewWorker(e.tc, acts, &orderflow.WorkerOptions{TaskQueue: e.taskQueue, Worker: opts, WorkflowCacheSize: -1,
		VersioningBehavior: workflow.VersioningBehaviorPinned}); err != nil || w2 == nil {
		t.Errorf("NewWorker with VersioningBehavior pinned: %v", err)
	}
	if err := orderflow.Register(w, acts, orderflow.RegisterOptions{}, orderflow.RegisterOptions{}); err == nil {
		t.Error("Register with two RegisterOptions: no error")
	}

	// The refused Register left nothing behind: the same worker takes a
	// Register with the behaviour.
	if err := orderflow.Register(w, acts, orderflow.RegisterOptions{VersioningBehavior: workflow.VersioningBehaviorPinned}); err != nil {
		t.Fatalf("Register with VersioningBehavior pinned: %v", err)
	}
	if err := orderflow.Register(w, acts, orderflow.RegisterOptions{VersioningBehavior: workflow.VersioningBehaviorPinned}); err == nil ||
		!strings.Contains(err.Error(), "called twice") {
		t.Errorf("a second Register: err = %v; want the called-twice cause", err)
	}
	if err := w.Start(); err != nil {
		t.Fatalf("worker start: %v", err)
	}
	t.Cleanup(w.Stop)

	// Make version 1 the deployment's current one (the server learns of the
	// version from the worker's polls, so retry until it has), then run an
	// order on it.
	handle := e.tc.WorkerDeploymentClient().GetHandle(deployment)
	e.waitFor("the deployment version to become current", func() (bool, error) {
		_, err := handle.SetCurrentVersion(e.ctx, client.WorkerDeploymentSetCurrentVersionOptions{BuildID: "1"})
		return err == nil, err
	})
	id := e.id("pinned")
	res, err := e.orders.Execute(e.ctx, smallOrder(id))
	if err != nil || res.Status != orderflow.StatusCompleted {
		t.Fatalf("Execute on the versioned worker = %+v, %v; want completed", res, err)
	}
	d, err := e.tc.DescribeWorkflowExecution(e.ctx, orderflow.WorkflowID(id), "")
	if err != nil {
		t.Fatal(err)
	}
	vi := d.GetWorkflowExecutionInfo().GetVersioningInfo()
	if vi.GetBehavior() != enumspb.VERSIONING_BEHAVIOR_PINNED || vi.GetDeploymentVersion().GetBuildId() != "1" {
		t.Errorf("the order's versioning info: %v; want pinned to build 1", vi)
	}
}
