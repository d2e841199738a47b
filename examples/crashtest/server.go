package crashtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/orderflow/orderflow/examples/internal/cluster"
	"github.com/orderflow/orderflow/examples/internal/devport"
	"github.com/orderflow/orderflow/examples/internal/embedded"
)

// temporalServer is the Temporal server of a run and a client of it.
type temporalServer struct {
	Address, Namespace string
	Client             client.Client
	// proc is the server's process when it runs as a child (to be killed),
	// nil when it runs inside the test process.
	proc *proc
	// cluster is the cluster when the server is one (its parts to crash).
	cluster *cluster.Cluster
	// keepLogs keeps the cluster's logs at stop, for a run with violations.
	keepLogs bool
	stop     func()
}

// startCluster starts a cluster: PostgreSQL and the server's five
// processes (package cluster), in a directory of its own that PostgreSQL's
// user can reach. Its servers' logs stay there after a run with violations.
func startCluster(logger log.Logger, verbose bool) (*temporalServer, error) {
	var progress io.Writer
	if verbose {
		progress = os.Stderr
	}
	dir, err := os.MkdirTemp("", "crashtest-cluster-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := cluster.Start(ctx, cluster.Options{Dir: dir, Log: progress})
	if err != nil {
		return nil, fmt.Errorf("%w (logs in %s)", err, dir)
	}
	tc, err := dial(c.Address, c.Namespace, logger, time.Minute)
	if err != nil {
		c.Stop()
		return nil, err
	}
	s := &temporalServer{Address: c.Address, Namespace: c.Namespace, Client: tc, cluster: c}
	s.stop = func() {
		tc.Close()
		c.Stop()
		if s.keepLogs {
			fmt.Printf("crashtest: the cluster's logs are in %s\n", filepath.Join(dir, "logs"))
		} else {
			os.RemoveAll(dir)
		}
	}
	return s, nil
}

// connect connects to the server at address, which the run neither starts
// nor kills: a user's cluster, say. The run's orders do not use
// Options.Visibility, so its namespace needs no search attributes.
func connect(address, namespace string, logger log.Logger) (*temporalServer, error) {
	tc, err := dial(address, namespace, logger, time.Minute)
	if err != nil {
		return nil, err
	}
	return &temporalServer{Address: address, Namespace: namespace, Client: tc, stop: tc.Close}, nil
}

// startEmbedded starts a server inside the test process; it is ready in
// about a second but cannot be killed without killing the test.
func startEmbedded(logger log.Logger) (*temporalServer, error) {
	s, err := embedded.Start(logger)
	if err != nil {
		return nil, err
	}
	return &temporalServer{Address: s.Address, Namespace: s.Namespace, Client: s.Client, stop: s.Stop}, nil
}

// devserverPackage is the program that runs the server as a child process.
const devserverPackage = "github.com/orderflow/orderflow/examples/devserver"

// startDevserver builds the devserver program into dir and runs it on a
// free port with its state in a SQLite file in dir, so that it can be
// killed and restarted without losing orders.
func startDevserver(dir string, logger log.Logger, verbose bool) (*temporalServer, error) {
	bin := filepath.Join(dir, "devserver")
	build := exec.Command("go", "build", "-o", bin, devserverPackage)
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build devserver: %w\n%s", err, out)
	}
	port, err := devport.Free()
	if err != nil {
		return nil, err
	}
	p, err := startProc("devserver", devserverLauncher(bin, port, filepath.Join(dir, "crash.db"), verbose))
	if err != nil {
		return nil, err
	}
	address := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c, err := dial(address, client.DefaultNamespace, logger, time.Minute)
	if err != nil {
		p.close()
		return nil, err
	}
	return &temporalServer{Address: address, Namespace: client.DefaultNamespace, Client: c, proc: p,
		stop: func() { c.Close(); p.close() }}, nil
}

// devserverReady is what the devserver prints once clients can connect.
const devserverReady = "Temporal dev server listening on"

func devserverLauncher(bin string, port int, dbFile string, verbose bool) launcher {
	return func() (*exec.Cmd, <-chan struct{}, error) {
		ready := make(chan struct{})
		cmd := exec.Command(bin, "-port", strconv.Itoa(port), "-db-file", dbFile)
		var out io.Writer = &lineWatch{want: []byte(devserverReady), ready: ready}
		if verbose {
			out = io.MultiWriter(out, os.Stderr)
			cmd.Stderr = os.Stderr
		}
		cmd.Stdout = out
		dieWithParent(cmd)
		return cmd, ready, cmd.Start()
	}
}

// lineWatch closes ready once want has been written to it. exec.Cmd
// writes a child's output from a single goroutine.
type lineWatch struct {
	want  []byte
	ready chan struct{}
	seen  []byte
}

func (w *lineWatch) Write(p []byte) (int, error) {
	if w.want != nil {
		w.seen = append(w.seen, p...)
		if bytes.Contains(w.seen, w.want) {
			close(w.ready)
			w.seen, w.want = nil, nil
		}
	}
	return len(p), nil
}
