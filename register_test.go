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

// versionedWorker is a worker with Worker Versioning on and no default
// behaviour, on a client that never connects (workers connect at Start).
func versionedWorker(t *testing.T) worker.Worker {
	t.Helper()
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	return worker.New(tc, "versioned", worker.Options{DeploymentOptions: worker.DeploymentOptions{UseVersioning: true,
		Version: worker.WorkerDeploymentVersion{DeploymentName: "orderflow-test", BuildID: "1"}}})
}

// Register names the real cause when the SDK refuses the workflow: a
// versioned worker needs a behaviour, which RegisterOptions gives.
func TestRegisterOnAVersionedWorkerNeedsABehaviour(t *testing.T) {
	acts, _ := orderflowtest.NewActivities()
	w := versionedWorker(t)
	err := orderflow.Register(w, acts)
	require.ErrorContains(t, err, "orderflow: register: the worker uses Worker Versioning")
	require.ErrorContains(t, err, "VersioningBehaviorPinned")
	require.ErrorContains(t, err, "workflow type does not have a versioning behavior") // the SDK's words
	require.NotContains(t, err.Error(), "twice")

	// Nothing was registered: the same worker takes the workflow with a
	// behaviour, then refuses a second Register as one.
	pinned := orderflow.RegisterOptions{VersioningBehavior: workflow.VersioningBehaviorPinned}
	require.NoError(t, orderflow.Register(w, acts, pinned))
	err = orderflow.Register(w, acts, pinned)
	require.ErrorContains(t, err, "Register was called twice")
	require.ErrorContains(t, err, "already registered")

	require.ErrorContains(t, orderflow.Register(versionedWorker(t), acts, pinned, pinned), "at most one RegisterOptions")
}

// NewWorker passes WorkerOptions.VersioningBehavior to Register.
func TestNewWorkerTakesAVersioningBehaviour(t *testing.T) {
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	acts, _ := orderflowtest.NewActivities()
	opts := orderflow.WorkerOptions{TaskQueue: "versioned", WorkflowCacheSize: -1, Worker: worker.Options{
		DeploymentOptions: worker.DeploymentOptions{UseVersioning: true,
			Version: worker.WorkerDeploymentVersion{DeploymentName: "orderflow-test", BuildID: "1"}}}}
	_, err = orderflow.NewWorker(tc, acts, &opts)
	require.ErrorContains(t, err, "Worker Versioning")
	opts.VersioningBehavior = workflow.VersioningBehaviorPinned
	w, err := orderflow.NewWorker(tc, acts, &opts)
	require.NoError(t, err)
	require.NotNil(t, w)
}
