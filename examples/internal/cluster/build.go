package cluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// The server's programs, from the pinned go.temporal.io/server module: the
// examples module lists them as tools (go.mod's tool directive), so their
// dependencies are in its go.sum.
var programs = []string{
	"go.temporal.io/server/cmd/server",
	"go.temporal.io/server/cmd/tools/sql",
}

// DefaultBin is where Build puts the programs when given no directory: a
// directory in the user's cache, so that they are linked once.
func DefaultBin() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "orderflow", "temporal-server-v1.32.1"), nil
}

// Build builds the server and the sql schema tool into dir (DefaultBin if
// empty) with the go command, from the examples module, and returns dir.
// The go command skips what is up to date; a first build compiles the
// server (about 5 minutes on 2 cores), a later one after a change of Go
// relinks it (about 15 seconds).
func Build(ctx context.Context, dir string, log io.Writer) (string, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultBin(); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Test packages run at once may build at once: one builds, the others
	// wait and find the programs up to date.
	unlock, err := lockFile(filepath.Join(dir, ".build.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-o", dir + string(filepath.Separator)}, programs...)...)
	cmd.Dir = moduleDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the Temporal server (go build %v in %s): %w\n%s", programs, cmd.Dir, err, out)
	}
	if log != nil && time.Since(t0) > 5*time.Second {
		fmt.Fprintf(log, "cluster: built the Temporal server into %s in %.0fs\n", dir, time.Since(t0).Seconds())
	}
	return dir, nil
}

// moduleDir is the directory to run the go command in: the examples
// module's, found from this source file when it is there (tests and go
// run), else the current directory.
func moduleDir() string {
	if dir, ok := sourceModuleDir(); ok {
		return dir
	}
	return "."
}

func sourceModuleDir() (string, bool) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", false
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..")
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", false
	}
	return dir, true
}
