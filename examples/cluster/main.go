// Cluster runs orderflow the way production runs it, on one machine: a
// Temporal cluster of separate processes on PostgreSQL, and several
// orderflow worker processes polling one task queue. Starters, approvers and
// the inbox, run in other terminals with -address, are its clients.
//
//   - PostgreSQL (Debian's postgresql package) in a data directory of its
//     own, on a free 127.0.0.1 port, run as the postgres user when run as
//     root; the temporal and temporal_visibility databases made by the
//     server's schema tool with its PostgreSQL v12 schemas;
//   - the Temporal server of the pinned module (go.temporal.io/server
//     v1.32.1, cmd/server) as five processes: one frontend, two history,
//     one matching and one worker service, with SQL advanced visibility and
//     16 history shards; the namespace and orderflow's search attributes
//     registered;
//   - -workers orderflow worker processes (examples/worker).
//
// Like an orchestrator, it starts again, a second later, any of them that
// dies: kill one (its PID is printed) to watch the others carry on. Ctrl-C
// stops and removes everything.
//
// Usage:
//
//	go run ./examples/cluster [flags]
//
// Flags:
//
//	-workers n      orderflow worker processes (default 3)
//	-latency scale  the workers' simulated provider latency, times the
//	                Python demo's (default 1)
//	-shards n       history shards (default 16)
//	-namespace ns   the namespace to register (default "default")
//	-dir path       keep PostgreSQL's data, the configuration and the logs
//	                in path, and leave them there at exit (default: a
//	                temporary directory, removed at exit)
//
// The first run builds the Temporal server and its schema tool into the
// user's cache directory, about 5 minutes on 2 cores; later runs start the
// cluster in about 10 seconds. docs/production.md describes the topology.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/orderflow/orderflow/examples/internal/cluster"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

func run() error {
	workers := flag.Int("workers", 3, "orderflow worker processes")
	latency := flag.Float64("latency", 1, "the workers' simulated provider latency, times the Python demo's")
	shards := flag.Int("shards", 16, "history shards")
	namespace := flag.String("namespace", "default", "the namespace to register")
	dir := flag.String("dir", "", "keep the cluster's data, configuration and logs here (default: a temporary directory)")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if *workers < 0 || *shards < 1 {
		return fmt.Errorf("-workers must not be negative and -shards must be at least 1")
	}
	if *dir != "" {
		abs, err := filepath.Abs(*dir)
		if err != nil {
			return err
		}
		*dir = abs
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := cluster.Start(ctx, cluster.Options{Dir: *dir, Shards: *shards, Namespace: *namespace, Log: os.Stderr})
	if err != nil {
		return err
	}
	defer c.Stop()

	procs, err := startWorkers(ctx, c, *workers, *latency)
	defer func() {
		for _, p := range procs {
			p.Stop(10 * time.Second)
		}
	}()
	if err != nil {
		return err
	}

	fmt.Printf("Temporal cluster ready: frontend %s, namespace %s, %d history shards\n", c.Address, c.Namespace, c.Shards)
	pids := c.PIDs()
	names := append(append([]string(nil), cluster.Names...), "postgres")
	for _, name := range names {
		fmt.Printf("  %-9s pid %d\n", name, pids[name])
	}
	for i, p := range procs {
		fmt.Printf("  %-9s pid %d (orderflow worker)\n", "worker-"+strconv.Itoa(i+1), p.PID())
	}
	fmt.Printf("Logs: %s\n", filepath.Join(c.Dir, "logs"))
	fmt.Printf("Try: go run ./examples/starter -address %s small\n", c.Address)
	fmt.Println("Ctrl-C stops the cluster.")
	<-ctx.Done()
	fmt.Println("Stopping the cluster")
	return nil
}

// startWorkers builds examples/worker and starts n of them against c.
func startWorkers(ctx context.Context, c *cluster.Cluster, n int, latency float64) ([]*cluster.Process, error) {
	if n == 0 {
		return nil, nil
	}
	bin := filepath.Join(c.Dir, "orderflow-worker")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/orderflow/orderflow/examples/worker")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build examples/worker: %w\n%s", err, out)
	}
	var procs []*cluster.Process
	for i := range n {
		name := "orderflow-worker-" + strconv.Itoa(i+1)
		p := cluster.NewProcess(name, func() (*exec.Cmd, error) {
			logf, err := os.OpenFile(filepath.Join(c.Dir, "logs", name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			if err != nil {
				return nil, err
			}
			cmd := exec.Command(bin, "-address", c.Address, "-namespace", c.Namespace,
				"-latency", strconv.FormatFloat(latency, 'g', -1, 64))
			cmd.Stdout, cmd.Stderr = logf, logf
			return cmd, nil
		})
		if err := p.Start(); err != nil {
			return procs, err
		}
		procs = append(procs, p)
	}
	return procs, nil
}
