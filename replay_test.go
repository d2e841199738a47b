package orderflow_test

import (
	"crypto/sha256"
	"encoding/json"
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
// running: guard it with a new workflow version instead. history_v1_* were
// recorded by the release before the money-safety version gate; they replay
// through the frozen workflow of that release. history_v3_* are orders of
// workflow version 3 (Settings.WorkflowVersion), the others of version 2.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "history_*.json"))
	require.NoError(t, err)
	v1, _ := filepath.Glob(filepath.Join("testdata", "history_v1_*.json"))
	v3, _ := filepath.Glob(filepath.Join("testdata", "history_v3_*.json"))
	require.GreaterOrEqual(t, len(v1), 7, "recorded histories of the previous release are missing")
	require.GreaterOrEqual(t, len(v3), 21, "recorded histories of workflow version 3 are missing")
	require.GreaterOrEqual(t, len(files)-len(v1)-len(v3), 12, "recorded histories of workflow version 2 are missing")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			require.NoError(t, replay(t, readHistory(t, f)))
		})
	}
}

// TestReplayDoesNotRevalidate replays a recorded order whose input would be
// refused by today's validation, as if a later release had tightened a rule.
// A version-2 order's plan (validation, total, approval, keys) is recorded in
// its history, so it replays as it ran; the previous release recomputed it,
// and such an upgrade broke its running orders. Version 3 computes its plan
// again at replay, by rules frozen for it: TestVersion3PlanIsFrozen.
func TestReplayDoesNotRevalidate(t *testing.T) {
	tighten := func(h *historypb.History) {
		payload := h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0]
		var in map[string]any
		require.NoError(t, json.Unmarshal(payload.Data, &in))
		in["customer_email"] = "no longer valid"
		in["shipping_address"] = ""
		var err error
		payload.Data, err = json.Marshal(in)
		require.NoError(t, err)
	}

	h := readHistory(t, filepath.Join("testdata", "history_small_completed.json"))
	tighten(h)
	require.NoError(t, replay(t, h), "a running order must replay whatever today's validation says")

	old := readHistory(t, filepath.Join("testdata", "history_v1_small_completed.json"))
	tighten(old)
	require.Error(t, replay(t, old), "the previous release's orders revalidate on replay; this test must be able to fail")
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

func replay(t *testing.T, h *historypb.History) error {
	t.Helper()
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(orderflow.OrderWorkflow, workflow.RegisterOptions{Name: orderflow.WorkflowName})
	logger := tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	return r.ReplayWorkflowHistory(logger, h)
}
