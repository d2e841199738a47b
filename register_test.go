package orderflow_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
)

// versionedWorker is a worker with Worker Versioning on and the default
// behaviour given, on a client that never connects (workers connect at
// Start).
func versionedWorker(t *testing.T, behavior workflow.VersioningBehavior) worker.Worker {
	t.Helper()
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	return worker.New(tc, "versioned", worker.Options{DeploymentOptions: worker.DeploymentOptions{UseVersioning: true,
		Version:                   worker.WorkerDeploymentVersion{DeploymentName: "orderflow-test", BuildID: "1"},
		DefaultVersioningBehavior: behavior}})
}

// Register names the real cause when the SDK refuses the workflow: a
// versioned worker needs a default behaviour.
func TestRegisterOnAVersionedWorkerNeedsABehaviour(t *testing.T) {
	acts, _ := orderflowtest.NewActivities()
	err := orderflow.Register(versionedWorker(t, workflow.VersioningBehaviorUnspecified), acts)
	require.ErrorContains(t, err, "orderflow: register: the worker uses Worker Versioning")
	require.ErrorContains(t, err, "DefaultVersioningBehavior to workflow.VersioningBehaviorPinned")
	require.ErrorContains(t, err, "workflow type does not have a versioning behavior") // the SDK's words
	require.NotContains(t, err.Error(), "twice")

	// With a default behaviour the worker takes the workflow, then refuses
	// a second Register as one.
	w := versionedWorker(t, workflow.VersioningBehaviorPinned)
	require.NoError(t, orderflow.Register(w, acts))
	err = orderflow.Register(w, acts)
	require.ErrorContains(t, err, "Register was called twice")
	require.ErrorContains(t, err, "already registered")
}

// Register refuses missing parts before it registers anything.
func TestRegisterRefusesMissingParts(t *testing.T) {
	acts, _ := orderflowtest.NewActivities()
	require.ErrorContains(t, orderflow.Register(nil, acts), "registry is nil")
	w := versionedWorker(t, workflow.VersioningBehaviorPinned)
	require.ErrorContains(t, orderflow.Register(w, nil), "activities are nil")
	require.ErrorContains(t, orderflow.Register(w, &orderflow.Activities{Payment: acts.Payment}),
		"missing provider(s) [Inventory Delivery Email]")
	require.NoError(t, orderflow.Register(w, acts), "a refused Register registered something")
}
