package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/bareport"
	"github.com/orderflow/orderflow/examples/internal/cluster"
	"github.com/orderflow/orderflow/orderflowtest"
)

// A worker process is this program (or its test binary) started again with
// this environment; main and TestMain see envWorker and run only the worker.
const (
	envWorker    = "CLUSTERBENCH_WORKER" // what the worker runs: bare or orderflow
	envAddress   = "CLUSTERBENCH_ADDRESS"
	envNamespace = "CLUSTERBENCH_NAMESPACE"
	envQueue     = "CLUSTERBENCH_QUEUE"
	envVerbose   = "CLUSTERBENCH_VERBOSE"
)

// workerReady is the line a worker process prints once it polls.
const workerReady = "clusterbench worker ready"

// bareWorkflowName is the bare port's workflow type, apart from orderflow's.
const bareWorkflowName = "ClusterBenchBareOrder"

// isWorkerProcess reports whether this process was started as a worker.
func isWorkerProcess() bool { return os.Getenv(envWorker) != "" }

// workerKind is what the workers of mode run: the bare port, or orderflow
// (for both of orderflow's modes).
func workerKind(mode string) string {
	if mode == "bare" {
		return "bare"
	}
	return "orderflow"
}

// runWorker runs the worker the environment describes until SIGINT or
// SIGTERM: one SDK worker with default options on the queue, with the bare
// port or with orderflow on orderflowtest's in-memory providers (no latency).
func runWorker() error {
	kind, address, namespace, queue := os.Getenv(envWorker), os.Getenv(envAddress), os.Getenv(envNamespace), os.Getenv(envQueue)
	if address == "" || namespace == "" || queue == "" {
		return fmt.Errorf("worker environment incomplete: want %s, %s, %s and %s", envWorker, envAddress, envNamespace, envQueue)
	}
	c, err := client.Dial(client.Options{HostPort: address, Namespace: namespace, Logger: sdkLogger(os.Getenv(envVerbose) != "")})
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, queue, worker.Options{})
	switch kind {
	case "bare":
		bareport.Register(w, bareWorkflowName, "", 0)
	case "orderflow":
		acts, _ := orderflowtest.NewActivities()
		if err := orderflow.Register(w, acts); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%s=%q: want bare or orderflow", envWorker, kind)
	}
	if err := w.Start(); err != nil {
		return err
	}
	fmt.Println(workerReady)
	<-worker.InterruptCh()
	w.Stop()
	return nil
}

// workerProc is a worker process, seen from this one.
type workerProc struct {
	*cluster.Process
	ready chan struct{}
}

// startWorkers starts n worker processes of kind on queue of t, and waits
// until each polls. On an error it stops those it started.
func startWorkers(ctx context.Context, t *target, kind, queue string, n int, verbose bool) ([]*workerProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), envWorker+"="+kind, envAddress+"="+t.address, envNamespace+"="+t.namespace,
		envQueue+"="+queue)
	if verbose {
		env = append(env, envVerbose+"=1")
	}
	var procs []*workerProc
	for i := range n {
		wp := &workerProc{ready: make(chan struct{}, 1)}
		wp.Process = cluster.NewProcess("worker-"+strconv.Itoa(i+1), func() (*exec.Cmd, error) {
			cmd := exec.Command(exe)
			cmd.Env = env
			cmd.Stderr = os.Stderr // the worker's own failures; the SDK's logs only with -v
			return cmd, pipeStdout(cmd, workerReady, wp.ready)
		})
		if err := wp.Start(); err != nil {
			stopWorkers(procs)
			return nil, err
		}
		procs = append(procs, wp)
	}
	for _, wp := range procs {
		if err := awaitReady(ctx, "a worker process", wp.Process, wp.ready); err != nil {
			stopWorkers(procs)
			return nil, err
		}
	}
	return procs, nil
}

// stopWorkers stops the worker processes, all at once: SIGTERM, and SIGKILL
// after 15 s.
func stopWorkers(procs []*workerProc) {
	var wg sync.WaitGroup
	for _, wp := range procs {
		wg.Go(func() { wp.Stop(15 * time.Second) })
	}
	wg.Wait()
}

// workersCPU is the CPU time the worker processes have used, and whether
// it is known.
func workersCPU(procs []*workerProc) (time.Duration, bool) {
	var sum time.Duration
	for _, wp := range procs {
		cpu, ok := cluster.CPUTime(wp.PID())
		if !ok {
			return 0, false
		}
		sum += cpu
	}
	return sum, true
}

// workersRestarted reports whether a worker process died and was started
// again.
func workersRestarted(procs []*workerProc) bool {
	for _, wp := range procs {
		if wp.Restarts() > 0 {
			return true
		}
	}
	return false
}
