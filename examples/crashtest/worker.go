package crashtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/conn"
)

// The worker process is the test binary started again with this
// environment; TestMain sees envRole and runs only the worker.
const (
	envRole      = "ORDERFLOW_CRASH_ROLE"
	roleWorker   = "worker"
	envAddress   = "ORDERFLOW_CRASH_ADDRESS"
	envNamespace = "ORDERFLOW_CRASH_NAMESPACE"
	envTaskQueue = "ORDERFLOW_CRASH_TASK_QUEUE"
	envLedger    = "ORDERFLOW_CRASH_LEDGER"
	envVerbose   = "ORDERFLOW_CRASH_VERBOSE"
)

// isWorkerProcess reports whether this process was started as the worker.
func isWorkerProcess() bool { return os.Getenv(envRole) == roleWorker }

// workerConfig says which server, namespace, task queue and ledger the
// worker process uses.
type workerConfig struct {
	Address, Namespace, TaskQueue, Ledger string
	Verbose                               bool
}

func (c workerConfig) environ() []string {
	env := []string{envRole + "=" + roleWorker, envAddress + "=" + c.Address, envNamespace + "=" + c.Namespace,
		envTaskQueue + "=" + c.TaskQueue, envLedger + "=" + c.Ledger}
	if c.Verbose {
		env = append(env, envVerbose+"=1")
	}
	return env
}

func workerConfigFromEnv() (workerConfig, error) {
	c := workerConfig{Address: os.Getenv(envAddress), Namespace: os.Getenv(envNamespace),
		TaskQueue: os.Getenv(envTaskQueue), Ledger: os.Getenv(envLedger), Verbose: os.Getenv(envVerbose) != ""}
	if c.Address == "" || c.Namespace == "" || c.TaskQueue == "" || c.Ledger == "" {
		return c, fmt.Errorf("worker environment incomplete: %s, %s, %s and %s are required",
			envAddress, envNamespace, envTaskQueue, envLedger)
	}
	return c, nil
}

// runWorker runs the order worker of the environment's configuration until
// the process is killed. Its providers are HTTP clients of the ledger.
func runWorker() error {
	cfg, err := workerConfigFromEnv()
	if err != nil {
		return err
	}
	logger := newLogger(cfg.Verbose)
	c, err := dial(cfg.Address, cfg.Namespace, logger, time.Minute)
	if err != nil {
		return err
	}
	defer c.Close()
	p := newLedgerClient(cfg.Ledger)
	worker.SetStickyWorkflowCacheSize(1000) // process-wide: this process runs this worker only
	w := worker.New(c, cfg.TaskQueue, worker.Options{
		// A killed worker's sticky workflow tasks move to the shared
		// queue after this; the default is 5 s.
		StickyScheduleToStartTimeout: 2 * time.Second,
		// A workflow that panics (a nondeterminism, say) fails visibly
		// instead of waiting for a fix.
		WorkflowPanicPolicy: worker.FailWorkflow,
	})
	if err := orderflow.Register(w, &orderflow.Activities{Payment: p, Inventory: p, Delivery: p, Email: p}); err != nil {
		return err
	}
	return w.Run(worker.InterruptCh())
}

// workerLauncher starts the worker process: this test binary, again, with
// cfg in its environment.
func workerLauncher(cfg workerConfig) launcher {
	return func() (*exec.Cmd, <-chan struct{}, error) {
		exe, err := os.Executable()
		if err != nil {
			return nil, nil, err
		}
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), cfg.environ()...)
		// The worker's own failures always show; the SDK's logs only with
		// -verbose (see newLogger).
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		dieWithParent(cmd)
		return cmd, nil, cmd.Start()
	}
}

// newLogger returns the Temporal SDK's logger: warnings to stderr when
// verbose, else nothing, since kills make the SDK complain by design.
func newLogger(verbose bool) log.Logger {
	if verbose {
		return conn.NewLogger(os.Stderr, slog.LevelWarn)
	}
	return conn.NewLogger(io.Discard, slog.LevelError)
}

// dial connects to the Temporal server at address, trying again for up to
// patience while the server is not reachable (it may be restarting).
func dial(address, namespace string, logger log.Logger, patience time.Duration) (client.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	for {
		c, err := client.DialContext(ctx, client.Options{HostPort: address, Namespace: namespace, Logger: logger})
		if err == nil {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(fmt.Errorf("connect to Temporal at %s", address), err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
