package proctest_test

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/examples/internal/proctest"
)

// childEnv makes the test binary a program for the tests to run: it
// prints to stdout and stderr and exits as the variable's value says.
const childEnv = "PROCTEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "run":
		fmt.Println("to stdout")
		fmt.Fprintln(os.Stderr, "to stderr")
		os.Exit(3)
	case "serve":
		interrupt := make(chan os.Signal, 1)
		signal.Notify(interrupt, os.Interrupt)
		fmt.Println("working")
		fmt.Fprintln(os.Stderr, "ready")
		<-interrupt
		fmt.Println("stopped")
		os.Exit(5)
	case "exit":
		fmt.Println("giving up")
		os.Exit(1)
	}
}

func TestEnviron(t *testing.T) {
	t.Setenv("TEMPORAL_ADDRESS", "elsewhere:7233")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
	t.Setenv("PROCTEST_KEPT", "1")
	env := proctest.Environ(t, "TEMPORAL_NAMESPACE=ns")
	var config string
	for _, e := range env {
		if strings.HasPrefix(e, "TEMPORAL_ADDRESS=") || strings.HasPrefix(e, "OTEL_") {
			t.Errorf("Environ keeps %s", e)
		}
		if c, ok := strings.CutPrefix(e, "TEMPORAL_CONFIG_FILE="); ok {
			config = c
		}
	}
	if !slices.Contains(env, "PROCTEST_KEPT=1") || !slices.Contains(env, "TEMPORAL_NAMESPACE=ns") {
		t.Errorf("Environ drops other variables, or the ones given: %v", env)
	}
	if config == "" {
		t.Fatal("Environ sets no TEMPORAL_CONFIG_FILE")
	}
	if _, err := os.Stat(config); !os.IsNotExist(err) {
		t.Errorf("TEMPORAL_CONFIG_FILE=%s: %v, want it absent", config, err)
	}
}

func TestRun(t *testing.T) {
	res := proctest.Run(t, proctest.Environ(t, childEnv+"=run"), os.Args[0])
	if res != (proctest.Result{Stdout: "to stdout\n", Stderr: "to stderr\n", Code: 3}) {
		t.Errorf("Run: %+v", res)
	}
}

func TestStartInterrupt(t *testing.T) {
	p := proctest.Start(t, proctest.Environ(t, childEnv+"=serve"), "ready", os.Args[0])
	if out := p.Output(); out != "working\nready\n" {
		t.Errorf("Output when ready: %q", out)
	}
	if code := p.Interrupt(t); code != 5 {
		t.Errorf("Interrupt: exit code %d, want 5", code)
	}
	if out := p.Output(); !strings.HasSuffix(out, "stopped\n") {
		t.Errorf("Output after Interrupt: %q", out)
	}
}

// TestStartExits checks that Start fails the test, with the output, when
// the program exits before it is ready.
func TestStartExits(t *testing.T) {
	ft := &fatalT{T: t}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		proctest.Start(ft, proctest.Environ(t, childEnv+"=exit"), "ready", os.Args[0])
	}()
	<-ended
	if !strings.Contains(ft.fatal, `exited before "ready"`) || !strings.Contains(ft.fatal, "giving up") {
		t.Errorf("Start of a program that exits: %q", ft.fatal)
	}
}

// fatalT records what Fatalf says and ends its goroutine, as t.Fatalf
// would, without failing the test.
type fatalT struct {
	*testing.T
	fatal string
}

func (f *fatalT) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
