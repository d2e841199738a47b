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
// Versioning on: without a default behaviour it fails with an error naming
// that cause (not "called twice") and registers nothing; with
// DefaultVersioningBehavior pinned it registers, the worker starts, and once
// its version is the deployment's current one an order runs to completion
// on it, pinned.
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
	// With the default behaviour pinned, a worker of the same version
	// takes the workflow.
	opts.DeploymentOptions.DefaultVersioningBehavior = workflow.VersioningBehaviorPinned
	w = worker.New(e.tc, e.taskQueue, opts)
	if err := orderflow.Register(w, acts); err != nil {
		t.Fatalf("Register with DefaultVersioningBehavior pinned: %v", err)
	}
	if err := orderflow.Register(w, acts); err == nil ||
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
