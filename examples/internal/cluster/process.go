package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Process is a child process run like a container under an orchestrator:
// when it exits without being told to, it is started again a second later.
// The cluster's server processes are Processes; so are the worker
// processes of the cluster program and the crash test.
type Process struct {
	name string
	// command makes the command that starts it; called again at every
	// start, so a restart can move to new ports. Its standard output and
	// error, if files other than this process's own, are closed once the
	// child has started.
	command func() (*exec.Cmd, error)

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{} // closed when cmd has exited
	stopping bool          // cmd's exit is ours
	closed   bool
	restarts int // exits the cluster did not cause, each followed by a start
	onExit   func(name string, err error)
	// stopSignal asks the process to stop; SIGTERM if nil.
	stopSignal os.Signal
}

// NewProcess returns a process, not yet started, that runs what command
// makes. The kernel kills it when the process that started it dies.
func NewProcess(name string, command func() (*exec.Cmd, error)) *Process {
	return &Process{name: name, command: command}
}

// restartDelay is how long an orchestrator waits before it restarts a
// process that exited.
const restartDelay = time.Second

// Start starts the process.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.startLocked()
}

func (p *Process) startLocked() error {
	if p.closed {
		return fmt.Errorf("%s: the cluster is stopped", p.name)
	}
	cmd, err := p.command()
	if err != nil {
		return err
	}
	dieWithParent(cmd)
	err = cmd.Start()
	// The child has its own descriptors of its log files.
	for _, w := range []any{cmd.Stdout, cmd.Stderr} {
		if f, ok := w.(*os.File); ok && f != os.Stdout && f != os.Stderr {
			f.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.stopping = cmd, done, false
	go p.watch(cmd, done)
	return nil
}

// watch waits for cmd to exit and, unless the exit was asked for, starts
// the process again.
func (p *Process) watch(cmd *exec.Cmd, done chan struct{}) {
	err := cmd.Wait()
	close(done)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != cmd || p.stopping || p.closed {
		return
	}
	if p.onExit != nil {
		p.onExit(p.name, err)
	}
	p.restarts++
	time.AfterFunc(restartDelay, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.cmd == cmd && !p.closed {
			if err := p.startLocked(); err != nil && p.onExit != nil {
				p.onExit(p.name, err)
			}
		}
	})
}

// Kill kills the process with SIGKILL and waits until it is gone. It stays
// down until Start.
func (p *Process) Kill() { p.signal(os.Kill, 0) }

// Stop stops the process for good: SIGTERM, then SIGKILL after grace.
func (p *Process) Stop(grace time.Duration) {
	p.mu.Lock()
	p.closed = true
	sig := p.stopSignal
	p.mu.Unlock()
	if sig == nil {
		sig = syscall.SIGTERM
	}
	p.signal(sig, grace)
}

// Restarts is how many times the process died without being told to and
// was started again.
func (p *Process) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// signal sends sig and waits until the process is gone; with SIGTERM it
// sends SIGKILL after grace. It does nothing if the process is not running.
func (p *Process) signal(sig os.Signal, grace time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.stopping = true
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
}

// PID is the process ID, 0 when it is not running.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	select {
	case <-p.done:
		return 0
	default:
		return p.cmd.Process.Pid
	}
}

// running reports whether the process is up.
func (p *Process) running() bool { return p.PID() != 0 }
