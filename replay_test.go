package orderflow_test

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/orderflow/orderflow"
)

// TestReplayRecordedHistories replays histories recorded on a real Temporal
// server (examples/replay, ORDERFLOW_RECORD_HISTORIES=testdata) against the
// current workflow code. A failure means a change would break orders that are
// running: gate it with workflow.GetVersion instead (docs/versioning.md).
// The recordings start with v0.1.0, the first release, and are only ever
// added to.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "history_*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 25, "recorded histories are missing")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			require.NoError(t, replay(t, f, readHistory(t, f)))
		})
	}
}

var updateManifest = flag.Bool("update-manifest", false, "add new recordings to testdata/history_manifest.txt")

// TestRecordingsAreOnlyEverAdded checks each recorded history against the
// SHA-256 it had when it was added: a recording is what proves that orders
// of its release still replay, and rewriting one would hide a break. New
// recordings are added to the manifest with -update-manifest, which never
// changes an entry.
func TestRecordingsAreOnlyEverAdded(t *testing.T) {
	manifest := filepath.Join("testdata", "history_manifest.txt")
	b, err := os.ReadFile(manifest)
	require.NoError(t, err)
	want := map[string]string{}
	for line := range strings.Lines(string(b)) {
		sum, file, ok := strings.Cut(strings.TrimSpace(line), "  ")
		require.True(t, ok, "bad manifest line %q", line)
		want[file] = sum
	}
	files, err := filepath.Glob(filepath.Join("testdata", "history_*.json"))
	require.NoError(t, err)
	var added []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		sum := fmt.Sprintf("%x", sha256.Sum256(data))
		name := filepath.Base(f)
		switch w, ok := want[name]; {
		case !ok && *updateManifest:
			added = append(added, sum+"  "+name+"\n")
		case !ok:
			t.Errorf("%s is not in %s: run go test -run TestRecordingsAreOnlyEverAdded -update-manifest", name, manifest)
		case w != sum:
			t.Errorf("%s changed since it was recorded: keep recordings as they are, and record a new one", name)
		}
		delete(want, name)
	}
	for name := range want {
		t.Errorf("%s is in %s but gone: recordings are never removed", name, manifest)
	}
	if len(added) > 0 {
		f, err := os.OpenFile(manifest, os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		defer f.Close()
		for _, line := range added {
			_, err := f.WriteString(line)
			require.NoError(t, err)
		}
	}
}

func readHistory(t *testing.T, file string) *historypb.History {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var h historypb.History
	require.NoError(t, protojson.Unmarshal(b, &h))
	return &h
}

func replay(t *testing.T, file string, h *historypb.History) error {
	t.Helper()
	r, err := worker.NewWorkflowReplayerWithOptions(orderflow.ReplayerOptions(file))
	require.NoError(t, err)
	r.RegisterWorkflowWithOptions(orderflow.OrderWorkflow, workflow.RegisterOptions{Name: orderflow.WorkflowName})
	logger := tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	return r.ReplayWorkflowHistory(logger, h)
}
