package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/orderflow/orderflow/examples/internal/cluster"
	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/devport"
)

// target is a Temporal server being measured, and this process's client
// of it.
type target struct {
	name      string // "cluster" or "single"
	describe  string // what it is, for the output
	address   string // the frontend's host:port, for the workers
	namespace string
	tc        client.Client
	// serverCPU returns the CPU time the server has used so far; nil when
	// its processes are not this program's.
	serverCPU func() serverCPU
	// writes returns what the server's database has written so far; nil
	// when it is not this program's PostgreSQL.
	writes func(context.Context) (cluster.Writes, error)
	// restarts counts the server's processes that died and were started
	// again; nil when unknown.
	restarts func() int
	// halt stops what startTarget started, after the client is closed.
	halt func()
}

// serverCPU is the CPU time a server has used, in all and by part (the
// table's columns of the cluster's processes; none for the devserver).
type serverCPU struct {
	total time.Duration
	parts map[string]time.Duration
}

// stop closes the client and stops the server if this program started it.
func (t *target) stop() {
	if t.tc != nil {
		t.tc.Close()
	}
	if t.halt != nil {
		t.halt()
	}
}

// startTarget starts the target name (or, for the cluster with -address,
// connects to it) and connects a client to it.
func startTarget(ctx context.Context, name string, cfg config) (*target, error) {
	var t *target
	var err error
	switch {
	case name == "single":
		t, err = startDevserver(ctx, cfg)
	case cfg.address != "":
		t = &target{name: name, address: cfg.address, namespace: cfg.namespace,
			describe: fmt.Sprintf("the cluster at %s, namespace %s (not started here: no server CPU figures)",
				cfg.address, cfg.namespace)}
	default:
		t, err = startCluster(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	t.tc, err = client.DialContext(ctx, client.Options{HostPort: t.address, Namespace: t.namespace,
		Logger: sdkLogger(cfg.verbose)})
	if err != nil {
		t.stop()
		return nil, fmt.Errorf("connect to %s: %w", t.address, err)
	}
	return t, nil
}

// startCluster starts package cluster's cluster, its progress on stderr.
func startCluster(ctx context.Context, cfg config) (*target, error) {
	c, err := cluster.Start(ctx, cluster.Options{Namespace: cfg.namespace, Log: os.Stderr})
	if err != nil {
		return nil, err
	}
	return &target{
		name:      "cluster",
		address:   c.Address,
		namespace: c.Namespace,
		describe: fmt.Sprintf("PostgreSQL and the Temporal server as %d processes (frontend, 2 history, matching, "+
			"worker service), %d history shards, at %s", len(cluster.Names), c.Shards, c.Address),
		serverCPU: func() serverCPU { return clusterCPU(c.Usage()) },
		writes:    c.Writes,
		restarts: func() int {
			n := 0
			for _, r := range c.Restarts() {
				n += r
			}
			return n
		},
		halt: c.Stop,
	}, nil
}

// clusterColumns name the table's column of each of the cluster's parts.
var clusterColumns = map[string]string{
	"frontend": "frontend",
	"history1": "history",
	"history2": "history",
	"matching": "matching",
	"worker":   "worker-svc",
	"postgres": "postgres",
}

// clusterCPU sums the cluster's usage by column.
func clusterCPU(usage []cluster.Usage) serverCPU {
	s := serverCPU{parts: map[string]time.Duration{}}
	for _, u := range usage {
		col, ok := clusterColumns[u.Name]
		if !ok {
			col = u.Name
		}
		s.parts[col] += u.CPU
		s.total += u.CPU
	}
	return s
}

// devserverPackage is the single-process server's program.
const devserverPackage = "github.com/orderflow/orderflow/examples/devserver"

// devserverReady is what the devserver prints once clients can connect,
// the namespace and orderflow's search attributes registered.
const devserverReady = "Temporal dev server listening on"

// readyTimeout bounds how long a server or a worker may take to get ready.
const readyTimeout = 2 * time.Minute

// startDevserver builds the devserver and runs it as a child process on a
// free port, with its state in memory and no Web UI.
func startDevserver(ctx context.Context, cfg config) (*target, error) {
	bin, err := buildDevserver(ctx)
	if err != nil {
		return nil, err
	}
	port, err := devport.Free()
	if err != nil {
		return nil, err
	}
	ready := make(chan struct{}, 1)
	p := cluster.NewProcess("devserver", func() (*exec.Cmd, error) {
		cmd := exec.Command(bin, "-port", strconv.Itoa(port), "-ui-port", "0")
		if cfg.verbose {
			cmd.Stderr = os.Stderr
		}
		return cmd, pipeStdout(cmd, devserverReady, ready)
	})
	if err := p.Start(); err != nil {
		return nil, err
	}
	if err := awaitReady(ctx, "the devserver", p, ready); err != nil {
		p.Stop(10 * time.Second)
		return nil, fmt.Errorf("%w (rerun with -v to see its log)", err)
	}
	return &target{
		name:      "single",
		address:   net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		namespace: client.DefaultNamespace,
		describe:  "the devserver, one process on SQLite in memory with one history shard, at 127.0.0.1:" + strconv.Itoa(port),
		serverCPU: func() serverCPU {
			cpu, _ := cluster.CPUTime(p.PID())
			return serverCPU{total: cpu}
		},
		restarts: p.Restarts,
		halt:     func() { p.Stop(10 * time.Second) },
	}, nil
}

// pipeStdout sets cmd's standard output to a pipe, and signals ready once
// the child prints a line that contains want. It reads the pipe to its end,
// so the child never blocks on it. cluster.Process closes the pipe's
// writing end once the child has started.
func pipeStdout(cmd *exec.Cmd, want string, ready chan<- struct{}) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdout = w
	go func() {
		defer r.Close()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if strings.Contains(sc.Text(), want) {
				select {
				case ready <- struct{}{}:
				default:
				}
			}
		}
	}()
	return nil
}

// awaitReady waits until p signals ready. It fails when p exits first (the
// process is then started again: Restarts counts it), after readyTimeout,
// or when ctx ends.
func awaitReady(ctx context.Context, what string, p *cluster.Process, ready <-chan struct{}) error {
	timeout := time.After(readyTimeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ready:
			return nil
		case <-tick.C:
			if p.Restarts() > 0 {
				return fmt.Errorf("%s exited before it was ready", what)
			}
		case <-timeout:
			return fmt.Errorf("%s not ready within %v", what, readyTimeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// buildDevserver builds the devserver into the user's cache directory, where
// the go command finds it up to date in later runs (without version control
// stamps, which change with every edit of the working tree), and returns its
// path.
func buildDevserver(ctx context.Context) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "orderflow", "clusterbench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "devserver")
	build := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-o", bin, devserverPackage)
	build.Dir = examplesDir()
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the devserver (go build %s): %w\n%s", devserverPackage, err, out)
	}
	return bin, nil
}

// examplesDir is the directory to run the go command in: the examples
// module's, found from this source file when it is at hand (go run, go
// test), else the current directory.
func examplesDir() string {
	if _, file, _, ok := runtime.Caller(0); ok {
		dir := filepath.Dir(filepath.Dir(file))
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
	}
	return "."
}

// sdkLogger is the Temporal SDK's logger: warnings to stderr when verbose,
// else nothing (the program reports its own failures).
func sdkLogger(verbose bool) log.Logger {
	if verbose {
		return conn.NewLogger(os.Stderr, slog.LevelWarn)
	}
	return conn.NewLogger(io.Discard, slog.LevelError)
}

// errWorkerExited is a worker process that died during a measurement.
var errWorkerExited = errors.New("a worker process exited during the measurement and was started again (its error is above)")
