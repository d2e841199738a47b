package crashtest

import (
	"fmt"
	"os/exec"
	"sync"
	"time"
)

// launcher starts a child process. ready, if not nil, is closed once the
// process can serve; a nil ready means at once.
type launcher func() (cmd *exec.Cmd, ready <-chan struct{}, err error)

// readyTimeout bounds how long a child may take to get ready.
const readyTimeout = 90 * time.Second

// proc is a child process that the test kills and restarts: the worker, or
// the Temporal server. One that exits by itself is counted and restarted.
type proc struct {
	name   string
	launch launcher

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	killing bool          // cmd's exit is ours
	closed  bool
	crashes int     // exits that were not ours
	errs    []error // failed restarts after crashes
}

// startProc starts a child process and waits until it is ready.
func startProc(name string, launch launcher) (*proc, error) {
	p := &proc{name: name, launch: launch}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.start(); err != nil {
		return nil, err
	}
	return p, nil
}

// start launches the process and waits until it is ready. p.mu is held.
func (p *proc) start() error {
	cmd, ready, err := p.launch()
	if err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.killing = cmd, done, false
	go p.watch(cmd, done)
	if ready == nil {
		return nil
	}
	select {
	case <-ready:
		return nil
	case <-done:
		p.killing = true
		return fmt.Errorf("%s exited before it was ready (rerun with -verbose to see its log)", p.name)
	case <-time.After(readyTimeout):
		p.killing = true
		_ = cmd.Process.Kill()
		return fmt.Errorf("%s not ready within %v", p.name, readyTimeout)
	}
}

// watch waits for cmd to exit, and restarts it if nobody killed it.
func (p *proc) watch(cmd *exec.Cmd, done chan struct{}) {
	_ = cmd.Wait()
	close(done)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != cmd || p.killing || p.closed {
		return
	}
	p.crashes++
	time.AfterFunc(time.Second, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.cmd != cmd || p.closed {
			return
		}
		if err := p.start(); err != nil {
			p.errs = append(p.errs, err)
		}
	})
}

// kill sends SIGKILL and waits until the process is gone.
func (p *proc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.killing = true
	p.mu.Unlock()
	_ = cmd.Process.Kill()
	<-done
}

// restart starts the process again after kill.
func (p *proc) restart() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	return p.start()
}

// close kills the process for good.
func (p *proc) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.kill()
}

// trouble reports the exits the test did not cause and the failed restarts.
func (p *proc) trouble() (crashes int, errs []error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.crashes, append([]error(nil), p.errs...)
}
