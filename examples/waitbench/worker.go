package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// The worker process is this program (or its test binary) started again
// with this environment; main and TestMain see envMode and run only the
// worker.
const (
	envMode    = "WAITBENCH_WORKER" // the mode whose workflow to register
	envAddress = "WAITBENCH_ADDRESS"
	envQueue   = "WAITBENCH_QUEUE"
	envCache   = "WAITBENCH_CACHE" // sticky workflow cache size; 0: the mode's default
	envVerbose = "WAITBENCH_VERBOSE"
	envProfile = "WAITBENCH_PROFILE" // set: sample the heap finely, for a profile
)

// readyPrefix starts the line the worker prints once it polls, followed by
// the address of its stats endpoint.
const readyPrefix = "ready "

// workerReadyTimeout bounds how long a worker may take to get ready.
const workerReadyTimeout = time.Minute

// isWorkerProcess reports whether this process was started as a worker.
func isWorkerProcess() bool { return os.Getenv(envMode) != "" }

// runWorker runs the worker the environment describes until SIGINT or
// SIGTERM, serving its statistics and profiles on a loopback port.
func runWorker() error {
	if os.Getenv(envProfile) != "" {
		runtime.MemProfileRate = 4096 // the default, 512 KiB, is coarse for a few MiB of small objects
	}
	mode, address, queue := os.Getenv(envMode), os.Getenv(envAddress), os.Getenv(envQueue)
	cache, err := strconv.Atoi(os.Getenv(envCache))
	if err != nil || address == "" || queue == "" || cache < 0 {
		return fmt.Errorf("worker environment incomplete: want %s, %s, %s and %s (≥ 0)", envMode, envAddress, envQueue, envCache)
	}
	newWorker, ok := workers[mode]
	if !ok {
		return fmt.Errorf("%s=%q: unknown mode", envMode, mode)
	}
	c, err := client.Dial(client.Options{HostPort: address, Logger: sdkLogger(os.Getenv(envVerbose) != "")})
	if err != nil {
		return err
	}
	defer c.Close()
	w, err := newWorker(c, queue, cache)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = http.Serve(l, statsMux()) }()
	if err := w.Start(); err != nil {
		return err
	}
	fmt.Printf("%shttp://%s\n", readyPrefix, l.Addr())
	<-worker.InterruptCh()
	w.Stop()
	return nil
}

// workerStats is what a worker reports of itself.
type workerStats struct {
	Goroutines int    `json:"goroutines"`
	HeapAlloc  uint64 `json:"heap_alloc"` // bytes of live objects, after a GC when asked
	HeapInuse  uint64 `json:"heap_inuse"`
	StackInuse uint64 `json:"stack_inuse"` // bytes of goroutine stacks
	Sys        uint64 `json:"sys"`         // bytes obtained from the OS
}

// statsMux serves /stats (add ?gc=1 to collect garbage first) and the
// runtime's profiles under /debug/pprof/.
func statsMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") != "" {
			runtime.GC()
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		_ = json.NewEncoder(w).Encode(workerStats{Goroutines: runtime.NumGoroutine(),
			HeapAlloc: m.HeapAlloc, HeapInuse: m.HeapInuse, StackInuse: m.StackInuse, Sys: m.Sys})
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	return mux
}

// workerProc is a worker child process, seen from the parent.
type workerProc struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	baseURL string // of its stats endpoint
}

// startWorker starts a worker process for mode on queue and waits until it
// polls.
func startWorker(ctx context.Context, address, mode, queue string, cfg config) (*workerProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envMode+"="+mode, envAddress+"="+address, envQueue+"="+queue,
		envCache+"="+strconv.Itoa(cfg.cache))
	if cfg.verbose {
		cmd.Env = append(cmd.Env, envVerbose+"=1")
	}
	if cfg.heapDir != "" {
		cmd.Env = append(cmd.Env, envProfile+"=1")
	}
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	p := &workerProc{cmd: cmd, exited: make(chan struct{})}
	ready := make(chan string, 1)
	go readReady(stdout, ready)
	go func() { _ = cmd.Wait(); close(p.exited) }()
	select {
	case p.baseURL = <-ready:
		return p, nil
	case <-p.exited:
		return nil, errors.New("worker exited before it was ready")
	case <-time.After(workerReadyTimeout):
		err = fmt.Errorf("worker not ready within %v", workerReadyTimeout)
	case <-ctx.Done():
		err = ctx.Err()
	}
	p.stop()
	return nil, err
}

// readReady sends the stats URL of the worker's ready line to ready, and
// reads the rest of r.
func readReady(r io.Reader, ready chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if url, ok := strings.CutPrefix(sc.Text(), readyPrefix); ok {
			ready <- url
		}
	}
}

// stop asks the worker to stop, and kills it if it does not within 15 s.
func (p *workerProc) stop() { stopProcess(p.cmd.Process, p.exited, 15*time.Second) }

// stopProcess sends SIGTERM to proc and waits for exited, killing proc
// after patience (or at once where SIGTERM cannot be sent).
func stopProcess(proc *os.Process, exited <-chan struct{}, patience time.Duration) {
	if err := proc.Signal(syscall.SIGTERM); err != nil {
		_ = proc.Kill()
	}
	select {
	case <-exited:
	case <-time.After(patience):
		_ = proc.Kill()
		<-exited
	}
}

// rss returns the worker's resident set size in bytes, or -1 where there
// is no /proc/<pid>/status.
func (p *workerProc) rss() int64 { return readRSS(p.cmd.Process.Pid) }

// readRSS returns VmRSS of /proc/pid/status in bytes, or -1.
func readRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			if f := strings.Fields(rest); len(f) == 2 && f[1] == "kB" { // "123456 kB"
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return kb * 1024
				}
			}
		}
	}
	return -1
}

// stats asks the worker for its statistics, after a GC when gc is set.
func (p *workerProc) stats(ctx context.Context, gc bool) (workerStats, error) {
	var s workerStats
	url := p.baseURL + "/stats"
	if gc {
		url += "?gc=1"
	}
	body, err := p.get(ctx, url)
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(body, &s)
}

// writeHeapProfile writes the worker's heap profile to path.
func (p *workerProc) writeHeapProfile(ctx context.Context, path string) error {
	body, err := p.get(ctx, p.baseURL+"/debug/pprof/heap")
	if err != nil {
		return err
	}
	return os.WriteFile(path, body, 0o644)
}

// get returns the body of a GET of url.
func (p *workerProc) get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("worker stats: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("worker stats: GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(resp.Body)
}
