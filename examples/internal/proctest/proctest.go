// Package proctest runs the example programs as child processes in their
// tests. TestMain builds them once with Main; a test runs one to its end
// with Run, or starts one in the background with Start, which returns once
// the program says it is ready, and stops it with SIGINT, as Ctrl-C does,
// with Process.Interrupt. Environ gives the programs an environment that
// the developer's Temporal and OpenTelemetry settings do not reach, and
// Buffer collects what a program prints for the test to read meanwhile.
//
// Every wait ends at the test's deadline (see testctx), not after a budget
// sized for one machine.
package proctest

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orderflow/orderflow/examples/internal/testctx"
)

// Main builds the main packages pkgs, as go build takes them (relative to
// the test's package directory), into a new temporary directory, sets
// *binDir to it, runs the tests and exits with their code, after removing
// the directory. Call it from TestMain, so that the programs are built once
// per test binary. A program is at filepath.Join(*binDir, name), name being
// the last element of its package's path. The build ends at go test's
// -timeout, less testctx's margin.
func Main(m *testing.M, binDir *string, pkgs ...string) {
	flag.Parse() // for testctx.Main, which reads -test.timeout
	dir, err := os.MkdirTemp("", "orderflow-programs-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := testctx.Main()
	build := exec.CommandContext(ctx, "go", append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	err = build.Run()
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build %s: %v\n", strings.Join(pkgs, " "), err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	*binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Environ returns the test process's environment without TEMPORAL_* and
// OTEL_* settings, and with the user's temporal.toml hidden (the
// TEMPORAL_CONFIG_FILE it names is absent, in t.TempDir()), plus kv, each
// "NAME=value": a program run in it reaches only the servers and
// collectors that kv, or its flags, name.
func Environ(t testing.TB, kv ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "TEMPORAL_") && !strings.HasPrefix(e, "OTEL_") {
			env = append(env, e)
		}
	}
	env = append(env, "TEMPORAL_CONFIG_FILE="+filepath.Join(t.TempDir(), "absent.toml"))
	return append(env, kv...)
}

// Buffer is a bytes.Buffer safe for a program, or a run function in the
// test process, writing and a test reading. The zero value is empty and
// ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Result is how a program run by Run ended.
type Result struct {
	Stdout, Stderr string
	Code           int // the exit code
}

// Run runs the program bin with args in env to its end, logs its output,
// and returns it. It fails t if the program does not end by the test's
// deadline (shortly before go test's -timeout), and kills it then.
func Run(t testing.TB, env []string, bin string, args ...string) Result {
	t.Helper()
	return RunUntil(t, testctx.Deadline(t), env, bin, args...)
}

// RunUntil is Run with the program killed at deadline, or at the test's
// deadline if that comes first. Prefer Run: a deadline sized for one
// machine fails on a slower one.
func RunUntil(t testing.TB, deadline time.Time, env []string, bin string, args ...string) Result {
	t.Helper()
	if d := testctx.Deadline(t); d.Before(deadline) {
		deadline = d
	}
	name := filepath.Base(bin)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("run %s %v: %v", name, args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not end by %v\nstdout:\n%s\nstderr:\n%s", name, args, deadline.Format(time.TimeOnly), &stdout, &stderr)
	}
	t.Logf("$ %s %s (exit %d)\n%s%s", name, strings.Join(args, " "), code, &stdout, &stderr)
	return Result{stdout.String(), stderr.String(), code}
}

// Process is a program running in the background, started by Start.
type Process struct {
	cmd    *exec.Cmd
	name   string
	output Buffer // stdout and stderr
	done   chan struct{}
	err    error // how it ended, once done is closed
}

// Start starts the program bin with args in env and returns once its
// output (stdout and stderr) contains ready. It fails t, with the output,
// if the program exits first or does not print ready by the test's
// deadline. The program is killed when the test ends, unless it has ended
// by then.
func Start(t testing.TB, env []string, ready, bin string, args ...string) *Process {
	t.Helper()
	p := &Process{cmd: exec.Command(bin, args...), name: filepath.Base(bin), done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = &p.output, &p.output
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s %v: %v", p.name, args, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.After(time.Until(testctx.Deadline(t)))
	for !strings.Contains(p.Output(), ready) {
		select {
		case <-p.done:
			t.Fatalf("%s exited before %q (%v):\n%s", p.name, ready, p.err, p.Output())
		case <-deadline:
			t.Fatalf("%s did not print %q by the test's deadline:\n%s", p.name, ready, p.Output())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return p
}

// Output returns what the program has printed so far, on stdout and
// stderr.
func (p *Process) Output() string {
	return p.output.String()
}

// Interrupt sends the program SIGINT, as Ctrl-C does, and returns its exit
// code (-1 if a signal ended it). It fails t unless the program ends by the
// test's deadline.
func (p *Process) Interrupt(t testing.TB) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatalf("interrupt %s: %v", p.name, err)
	}
	select {
	case <-p.done:
		var exitErr *exec.ExitError
		if errors.As(p.err, &exitErr) {
			return exitErr.ExitCode()
		}
		if p.err != nil {
			t.Fatalf("%s: %v", p.name, p.err)
		}
		return 0
	case <-time.After(time.Until(testctx.Deadline(t))):
		t.Fatalf("%s did not stop after SIGINT by the test's deadline:\n%s", p.name, p.Output())
		return -1
	}
}
