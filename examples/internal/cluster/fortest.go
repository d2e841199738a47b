package cluster

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// RequireEnv is the environment variable that makes ForTest fail, rather
// than skip, when PostgreSQL is not installed. CI sets it.
const RequireEnv = "ORDERFLOW_REQUIRE_CLUSTER"

// Available reports why a cluster cannot start on this machine, or nil.
func Available() error {
	_, err := pgBinDir()
	return err
}

// ForTest starts a cluster for t and stops it when t ends. Without
// PostgreSQL it skips t, or fails it when $ORDERFLOW_REQUIRE_CLUSTER is 1.
// The cluster's progress goes to t's log; its servers' logs stay in its
// directory, which t keeps when it fails.
func ForTest(t testing.TB) *Cluster {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatal(err)
		}
		t.Skipf("%v (set %s=1 to fail instead)", err, RequireEnv)
	}
	Exclusive(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Log: logWriter{t}})
	if err != nil {
		t.Fatalf("start the cluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			c.removal = false
			t.Logf("the cluster's logs are kept in %s/logs", c.Dir)
		}
		c.Stop()
	})
	return c
}

// Exclusive makes t the one test on this machine with a cluster, until t
// ends: it first waits for any other to end. go test runs packages in
// parallel, and on a small machine two clusters, one of them under a
// benchmark's load, starve each other's workers and matching service into
// timeouts that say nothing of the code under test.
func Exclusive(t testing.TB) {
	t.Helper()
	start := time.Now()
	unlock, err := lockFile(filepath.Join(os.TempDir(), "orderflow-cluster-tests.lock"))
	if err != nil {
		t.Fatalf("wait for the other cluster tests: %v", err)
	}
	t.Cleanup(unlock)
	if waited := time.Since(start); waited >= time.Second {
		t.Logf("waited %v for another test's cluster", waited.Round(time.Second))
	}
}

type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p[:len(p)-min(len(p), 1)]))
	return len(p), nil
}
