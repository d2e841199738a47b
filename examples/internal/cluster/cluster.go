// Package cluster runs a production-shaped Temporal cluster on one machine,
// for orderflow's tests, benchmarks and the cluster program: PostgreSQL in
// a data directory of its own, the temporal and temporal_visibility
// databases made by the server's own schema tool (PostgreSQL v12 schemas),
// and the Temporal server of the pinned module (go.temporal.io/server
// v1.32.1, cmd/server) as five separate processes: one frontend, two
// history, one matching and one worker service, with SQL advanced
// visibility on PostgreSQL and 16 history shards spread over the two
// history processes.
//
// Like an orchestrator, the cluster starts again, a second later, any
// server process or PostgreSQL that dies without being told to. Kill and
// Start kill and start one process on purpose; RestartPostgres crashes
// PostgreSQL and starts it again.
//
// PostgreSQL refuses to run as root; run as root, the cluster runs it as
// the postgres user, which must be able to reach the cluster's directory.
package cluster

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/orderflow/orderflow"
)

//go:embed temporal.yaml
var configTemplate []byte

//go:embed dynamicconfig.yaml
var dynamicConfig []byte

// Options configure a cluster. The zero value is a cluster in a new
// temporary directory with 16 shards and the default namespace.
type Options struct {
	// Dir holds PostgreSQL's data, the configuration and every process's
	// log (logs/NAME.log). If empty, a new temporary directory, removed by
	// Stop.
	Dir string
	// Bin is the directory of the server and sql programs. If empty, Build
	// builds them into DefaultBin.
	Bin string
	// Shards is the number of history shards, fixed for the life of the
	// database (default 16).
	Shards int
	// Namespace is the namespace registered, with orderflow's search
	// attributes (default "default").
	Namespace string
	// Log, if not nil, gets a line for each step of starting and stopping.
	Log io.Writer
}

// Names of the server processes, in the order they start.
var Names = []string{"history1", "history2", "matching", "frontend", "worker"}

// Cluster is a running cluster.
type Cluster struct {
	// Address is the frontend's gRPC host:port, for clients and workers.
	Address string
	// Namespace is the registered namespace.
	Namespace string
	// Shards is the number of history shards.
	Shards int
	// Dir is the cluster's directory.
	Dir string

	bin     string
	log     io.Writer
	removal bool // Stop removes Dir

	mu    sync.Mutex
	ports map[string]int // by the environment variable that carries it
	procs map[string]*Process

	pg *postgres
}

// Start builds what is missing and starts a cluster; it returns once the
// namespace and its search attributes are registered and the frontend,
// history and matching services answer. The caller must call Stop, also
// after an error of a later step; Start cleans up after its own errors.
func Start(ctx context.Context, o Options) (c *Cluster, err error) {
	t0 := time.Now()
	c = &Cluster{Namespace: o.Namespace, Shards: o.Shards, Dir: o.Dir, bin: o.Bin, log: o.Log,
		procs: map[string]*Process{}, ports: map[string]int{}}
	if c.log == nil {
		c.log = io.Discard
	}
	if c.Namespace == "" {
		c.Namespace = "default"
	}
	if c.Shards == 0 {
		c.Shards = 16
	}
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "orderflow-cluster-"); err != nil {
			return nil, err
		}
		c.removal = true
		// PostgreSQL's user must be able to reach its data directory.
		if err := os.Chmod(c.Dir, 0o755); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			c.Stop()
			c = nil
		}
	}()
	if c.bin == "" {
		if c.bin, err = Build(ctx, "", c.log); err != nil {
			return c, err
		}
	}
	for _, d := range []string{"config", "logs"} {
		if err := os.MkdirAll(filepath.Join(c.Dir, d), 0o755); err != nil {
			return c, err
		}
	}
	if err := c.allocatePorts(); err != nil {
		return c, err
	}
	if c.pg, err = newPostgres(filepath.Join(c.Dir, "pg"), c.ports["PG_PORT"]); err != nil {
		return c, err
	}
	if err := c.pg.init(ctx); err != nil {
		return c, err
	}
	c.logf("PostgreSQL (%s) up on 127.0.0.1:%d", filepath.Base(filepath.Dir(c.pg.bin)), c.pg.port)
	if err := c.createSchemas(ctx); err != nil {
		return c, err
	}
	c.logf("temporal and temporal_visibility databases made with the PostgreSQL v12 schemas")
	if err := c.writeConfig(); err != nil {
		return c, err
	}
	for _, name := range Names {
		c.procs[name] = c.newProcess(name)
	}
	// The first process of an empty database writes the cluster's metadata;
	// processes started together race to write it and the losers exit.
	if err := c.procs["history1"].Start(); err != nil {
		return c, err
	}
	if err := c.pg.waitFor(ctx, "temporal", "select count(*) from cluster_metadata_info", "1"); err != nil {
		return c, fmt.Errorf("history1 did not write the cluster metadata: %w (log: %s)", err, c.logFile("history1"))
	}
	for _, name := range Names[1:] {
		if err := c.procs[name].Start(); err != nil {
			return c, err
		}
	}
	if err := c.setUp(ctx); err != nil {
		return c, err
	}
	c.logf("cluster up in %.1fs: frontend %s, namespace %s, %d history shards", time.Since(t0).Seconds(),
		c.Address, c.Namespace, c.Shards)
	return c, nil
}

func (c *Cluster) logf(format string, args ...any) {
	fmt.Fprintf(c.log, "cluster: "+format+"\n", args...)
}

// allocatePorts picks the loopback ports of PostgreSQL and every process.
// They stay below 32768, since the PostgreSQL schema keeps membership ports
// in a SMALLINT, and above the ports most services use.
func (c *Cluster) allocatePorts() error {
	keys := []string{"PG_PORT", "FRONTEND_GRPC_PORT", "FRONTEND_HTTP_PORT", "FRONTEND_MEMBERSHIP_PORT",
		"HISTORY1_GRPC_PORT", "HISTORY1_MEMBERSHIP_PORT", "HISTORY2_GRPC_PORT", "HISTORY2_MEMBERSHIP_PORT",
		"MATCHING_GRPC_PORT", "MATCHING_MEMBERSHIP_PORT", "WORKER_GRPC_PORT", "WORKER_MEMBERSHIP_PORT"}
	for _, k := range keys {
		p, err := c.freePort()
		if err != nil {
			return err
		}
		c.ports[k] = p
	}
	c.Address = net.JoinHostPort("127.0.0.1", strconv.Itoa(c.ports["FRONTEND_GRPC_PORT"]))
	return nil
}

// freePort returns a free loopback port that no process of the cluster has.
// c.mu is held or not needed.
func (c *Cluster) freePort() (int, error) {
	taken := map[int]bool{}
	for _, p := range c.ports {
		taken[p] = true
	}
	for range 200 {
		p := 20000 + rand.IntN(12000)
		if taken[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		l.Close()
		return p, nil
	}
	return 0, errors.New("no free port between 20000 and 32000 on 127.0.0.1")
}

// createSchemas makes both databases with the server's schema tool, whose
// schemas are built into it.
func (c *Cluster) createSchemas(ctx context.Context) error {
	logPath := c.logFile("schema")
	for _, db := range []struct{ name, schema string }{
		{"temporal", "postgresql/v12/temporal"},
		{"temporal_visibility", "postgresql/v12/visibility"},
	} {
		for _, step := range [][]string{
			{"create-database"},
			{"setup-schema", "-v", "0.0"},
			{"update-schema", "--schema-name", db.schema},
		} {
			args := append([]string{"--ep", "127.0.0.1", "-p", strconv.Itoa(c.pg.port), "-u", "temporal",
				"--pw", "temporal", "--pl", "postgres12", "--db", db.name}, step...)
			out, err := exec.CommandContext(ctx, filepath.Join(c.bin, "sql"), args...).CombinedOutput()
			_ = appendFile(logPath, out)
			if err != nil {
				return fmt.Errorf("temporal-sql-tool %s on %s: %w\n%s", step[0], db.name, err, tail(out, 2000))
			}
		}
	}
	return nil
}

func (c *Cluster) writeConfig() error {
	if err := os.WriteFile(c.configFile(), configTemplate, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.Dir, "config", "dynamicconfig.yaml"), dynamicConfig, 0o644)
}

func (c *Cluster) configFile() string { return filepath.Join(c.Dir, "config", "temporal.yaml") }

func (c *Cluster) logFile(name string) string { return filepath.Join(c.Dir, "logs", name+".log") }

// newProcess makes the server process name; it runs with the environment
// that fills in the shared configuration file for it.
func (c *Cluster) newProcess(name string) *Process {
	service := name
	if name == "history1" || name == "history2" {
		service = "history"
	}
	starts := 0
	p := NewProcess(name, func() (*exec.Cmd, error) {
		// A history process comes back on new ports, as a restarted pod
		// comes back on a new address: the others then reach it at once
		// rather than after their connection backoff to the old address.
		if starts > 0 && service == "history" {
			if err := c.movePorts(name); err != nil {
				return nil, err
			}
		}
		starts++
		logf, err := os.OpenFile(c.logFile(name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(filepath.Join(c.bin, "server"), "--config-file", c.configFile(), "--allow-no-auth",
			"start", "--service", service)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.Env = append(os.Environ(), c.env(name)...)
		return cmd, nil
	})
	p.onExit = func(name string, err error) {
		c.logf("%s exited (%v); starting it again in %v", name, err, restartDelay)
	}
	return p
}

// env is the environment of process name.
func (c *Cluster) env(name string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	env := []string{
		"NUM_HISTORY_SHARDS=" + strconv.Itoa(c.Shards),
		"DYNAMIC_CONFIG_FILE=" + filepath.Join(c.Dir, "config", "dynamicconfig.yaml"),
	}
	for k, v := range c.ports {
		env = append(env, k+"="+strconv.Itoa(v))
	}
	// The history service's ports are the history process's own; the
	// others only need one history address to take the configuration.
	h := "HISTORY1"
	if name == "history2" {
		h = "HISTORY2"
	}
	env = append(env, "HISTORY_GRPC_PORT="+strconv.Itoa(c.ports[h+"_GRPC_PORT"]),
		"HISTORY_MEMBERSHIP_PORT="+strconv.Itoa(c.ports[h+"_MEMBERSHIP_PORT"]))
	return env
}

// setUp waits for the frontend, registers the namespace and orderflow's
// search attributes, and waits until history and matching answer through
// the frontend.
func (c *Cluster) setUp(ctx context.Context) error {
	tc, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer tc.Close()
	ns := tc.WorkflowService()
	if err := c.retry(ctx, "register the namespace", func(ctx context.Context) error {
		_, err := ns.RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace:                        c.Namespace,
			WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if errors.As(err, &exists) {
			return nil
		}
		return err
	}); err != nil {
		return err
	}
	nsClient, err := client.NewClientFromExisting(tc, client.Options{Namespace: c.Namespace})
	if err != nil {
		return err
	}
	defer nsClient.Close()
	if err := c.retry(ctx, "register orderflow's search attributes", func(ctx context.Context) error {
		return orderflow.RegisterSearchAttributes(ctx, nsClient, c.Namespace)
	}); err != nil {
		return err
	}
	return c.retry(ctx, "reach history and matching", func(ctx context.Context) error {
		_, err := nsClient.DescribeWorkflowExecution(ctx, "cluster-probe", "")
		var notFound *serviceerror.NotFound
		if !errors.As(err, &notFound) {
			return fmt.Errorf("history: %v", err)
		}
		_, err = ns.DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace: c.Namespace,
			TaskQueue: &taskqueuepb.TaskQueue{Name: "cluster-probe", Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		})
		if err != nil {
			return fmt.Errorf("matching: %v", err)
		}
		return nil
	})
}

// dial connects to the frontend, waiting for it to listen.
func (c *Cluster) dial(ctx context.Context) (client.Client, error) {
	var tc client.Client
	err := c.retry(ctx, "reach the frontend", func(ctx context.Context) (err error) {
		tc, err = client.DialContext(ctx, client.Options{HostPort: c.Address, Logger: log.NewStructuredLogger(nil)})
		return err
	})
	return tc, err
}

// retry calls f until it succeeds, a server process dies for good, or ctx
// ends (then it returns the last error).
func (c *Cluster) retry(ctx context.Context, what string, f func(context.Context) error) error {
	for {
		callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := f(callCtx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (server logs in %s)", what, err, filepath.Join(c.Dir, "logs"))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Kill kills process name with SIGKILL. It stays down until Start.
func (c *Cluster) Kill(name string) error {
	p, ok := c.procs[name]
	if !ok {
		return fmt.Errorf("no process %q: the processes are %v", name, Names)
	}
	p.Kill()
	return nil
}

// Start starts process name again after Kill. A history process comes back
// on new ports (see newProcess).
func (c *Cluster) Start(name string) error {
	p, ok := c.procs[name]
	if !ok {
		return fmt.Errorf("no process %q: the processes are %v", name, Names)
	}
	if p.running() {
		return fmt.Errorf("%s is running", name)
	}
	return p.Start()
}

// movePorts gives history process name new ports.
func (c *Cluster) movePorts(name string) error {
	h := "HISTORY" + name[len("history"):]
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range []string{h + "_GRPC_PORT", h + "_MEMBERSHIP_PORT"} {
		port, err := c.freePort()
		if err != nil {
			return err
		}
		c.ports[k] = port
	}
	return nil
}

// PIDs returns the process ID of every server process that is running, and
// of PostgreSQL's postmaster as "postgres".
func (c *Cluster) PIDs() map[string]int {
	pids := map[string]int{}
	for name, p := range c.procs {
		if pid := p.PID(); pid != 0 {
			pids[name] = pid
		}
	}
	if c.pg != nil {
		if pid := c.pg.pid(); pid != 0 {
			pids["postgres"] = pid
		}
	}
	return pids
}

// Restarts returns how many times each process, and PostgreSQL as
// "postgres", died without being told to and was started again.
func (c *Cluster) Restarts() map[string]int {
	out := map[string]int{}
	for name, p := range c.procs {
		if n := p.Restarts(); n > 0 {
			out[name] = n
		}
	}
	if c.pg != nil && c.pg.proc != nil {
		if n := c.pg.proc.Restarts(); n > 0 {
			out["postgres"] = n
		}
	}
	return out
}

// RestartPostgres stops PostgreSQL as a crash does (immediate shutdown:
// no checkpoint, recovery from the write-ahead log at start), keeps it down
// for down, and starts it again.
func (c *Cluster) RestartPostgres(ctx context.Context, down time.Duration) error {
	c.pg.crash()
	select {
	case <-ctx.Done():
	case <-time.After(down):
	}
	return c.pg.start(ctx)
}

// Usage is what one part of the cluster has used.
type Usage struct {
	Name string
	PID  int
	// CPU is the CPU time, user and system, since the process started;
	// for PostgreSQL, of all its processes, ended ones included.
	CPU time.Duration
	// RSS is the resident memory now, in bytes; for PostgreSQL, summed
	// over its processes (which share memory, so it overstates).
	RSS int64
}

// Usage returns the CPU time and memory of every server process that runs,
// in the order of Names, and of PostgreSQL last.
func (c *Cluster) Usage() []Usage {
	var out []Usage
	for _, name := range Names {
		if pid := c.procs[name].PID(); pid != 0 {
			out = append(out, Usage{Name: name, PID: pid, CPU: cpu(pid), RSS: rss(pid)})
		}
	}
	if pid := c.pg.pid(); pid != 0 {
		u := Usage{Name: "postgres", PID: pid, CPU: cpu(pid), RSS: rss(pid)}
		for _, child := range children(pid) {
			u.CPU += cpu(child)
			u.RSS += rss(child)
		}
		out = append(out, u)
	}
	return out
}

// Writes returns what PostgreSQL has written so far (see Writes).
func (c *Cluster) Writes(ctx context.Context) (Writes, error) { return c.pg.writes(ctx) }

// Stop stops every server process (SIGTERM, then SIGKILL after 20 s) and
// PostgreSQL, and removes the cluster's directory if Start made it.
func (c *Cluster) Stop() {
	t0 := time.Now()
	var wg sync.WaitGroup
	for _, p := range c.procs {
		wg.Go(func() { p.Stop(20 * time.Second) })
	}
	wg.Wait()
	if c.pg != nil {
		c.pg.stop()
	}
	if c.removal {
		_ = os.RemoveAll(c.Dir)
	}
	c.logf("cluster stopped in %.1fs", time.Since(t0).Seconds())
}

// cpu is CPUTime, 0 when unknown.
func cpu(pid int) time.Duration {
	d, _ := CPUTime(pid)
	return d
}

func appendFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
