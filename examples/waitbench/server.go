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

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/devport"
)

// examplesModule is the module that holds the devserver program.
const examplesModule = "github.com/orderflow/orderflow/examples"

// serverReadyTimeout bounds the devserver's start.
const serverReadyTimeout = 2 * time.Minute

// server is the devserver child process and a client of it.
type server struct {
	address string
	client  client.Client
	logger  log.Logger // the SDK logger of the parent's clients
	dir     string     // temporary directory with the devserver binary
	cmd     *exec.Cmd
	exited  chan struct{}
}

// startServer builds the devserver into a temporary directory, runs it on
// a free port with its state in memory and no Web UI, and connects to it.
func startServer(ctx context.Context, verbose bool) (*server, error) {
	dir, err := os.MkdirTemp("", "waitbench-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, logger: sdkLogger(verbose), exited: make(chan struct{})}
	if err := s.start(ctx, verbose); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// start builds and launches the devserver and dials it.
func (s *server) start(ctx context.Context, verbose bool) error {
	bin, err := buildDevserver(s.dir)
	if err != nil {
		return err
	}
	port, err := devport.Free()
	if err != nil {
		return err
	}
	s.address = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.cmd = exec.Command(bin, "-port", strconv.Itoa(port), "-ui-port", "0")
	if verbose {
		s.cmd.Stderr = os.Stderr
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	dieWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start devserver: %w", err)
	}
	listening := make(chan struct{})
	go watchLines(stdout, "Temporal dev server listening on", listening, verbose)
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	select {
	case <-listening:
	case <-s.exited:
		return errors.New("devserver exited before it was ready (rerun with -v to see its log)")
	case <-time.After(serverReadyTimeout):
		return fmt.Errorf("devserver not ready within %v (rerun with -v to see its log)", serverReadyTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
	s.client, err = dialReady(ctx, s.address, s.logger)
	return err
}

// stop closes the client, stops the devserver and removes its directory.
func (s *server) stop() {
	if s.client != nil {
		s.client.Close()
	}
	if s.cmd != nil && s.cmd.Process != nil {
		stopProcess(s.cmd.Process, s.exited, 10*time.Second)
	}
	os.RemoveAll(s.dir)
}

// watchLines copies r to stdout when echo is set, and closes found at the
// first line that contains want. It reads r to its end, so the child never
// blocks on a full pipe.
func watchLines(r io.Reader, want string, found chan<- struct{}, echo bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if echo {
			fmt.Fprintln(os.Stderr, sc.Text())
		}
		if found != nil && strings.Contains(sc.Text(), want) {
			close(found)
			found = nil
		}
	}
}

// buildDevserver builds the devserver program into dir, from the examples
// module's directory, and returns the binary's path.
func buildDevserver(dir string) (string, error) {
	modDir, err := examplesDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "devserver")
	build := exec.Command("go", "build", "-o", bin, "./devserver")
	build.Dir = modDir
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build devserver in %s: %w\n%s", modDir, err, out)
	}
	return bin, nil
}

// examplesDir finds the examples module's directory: the parent of this
// source file's directory when the sources are at hand (go run, go test),
// else what the go command says from the working directory.
func examplesDir() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		dir := filepath.Dir(filepath.Dir(file))
		if isExamplesModule(dir) {
			return dir, nil
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", examplesModule).Output()
	if dir := strings.TrimSpace(string(out)); err == nil && isExamplesModule(dir) {
		return dir, nil
	}
	return "", fmt.Errorf("cannot find the %s module to build the devserver: run from the repository", examplesModule)
}

// isExamplesModule reports whether dir holds the examples module's go.mod.
func isExamplesModule(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return err == nil && strings.Contains(string(b), "module "+examplesModule+"\n")
}

// dialReady connects to the server at address and waits until it answers a
// visibility query in the default namespace.
func dialReady(ctx context.Context, address string, logger log.Logger) (client.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, serverReadyTimeout)
	defer cancel()
	for {
		c, err := client.DialContext(ctx, client.Options{HostPort: address, Logger: logger})
		if err == nil {
			_, err = c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{})
			if err == nil {
				return c, nil
			}
			c.Close()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("server at %s not ready: %w", address, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// sdkLogger is the Temporal SDK's logger: warnings to stderr when verbose,
// else nothing (the program reports its own failures).
func sdkLogger(verbose bool) log.Logger {
	if verbose {
		return conn.NewLogger(os.Stderr, slog.LevelWarn)
	}
	return conn.NewLogger(io.Discard, slog.LevelError)
}
