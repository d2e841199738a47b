package orderflow

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/encryption"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"
)

// Replay reads what an order decided from its input (validation verdict,
// normalized order, total, approval, keys, defaults) from history, and runs
// none of the rules that decided it: every recording replays while the
// workflow's way to decide a plan fails, and while the currency table is
// emptied, so that validation refuses every order. (The Client decides the
// plan of the orders it starts; the workflow decides only the plan of an
// order started without one, and records it.)
func TestReplayRunsNoPlanRules(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "history_*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)

	saved := currencies
	t.Cleanup(func() { currencies = saved })
	currencies = [len(currencies)]currency{}
	_, err = newWorkflowInput(Order{OrderID: "ORD-1", CustomerName: "A", CustomerEmail: "a@example.com",
		ShippingAddress: "1 Main St", Items: []Item{{ProductID: "P", Quantity: 1, UnitPrice: USD(100)}}}, nil)
	require.ErrorIs(t, err, ErrInvalidOrder, "with no currencies, validation refuses every order")

	broken := func(ctx workflow.Context, input json.RawMessage) (*OrderState, error) {
		return runOrder(ctx, input, func(json.RawMessage) plan { panic("replay decided a plan again") })
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			var h historypb.History
			require.NoError(t, protojson.Unmarshal(b, &h))
			r, err := worker.NewWorkflowReplayerWithOptions(replayerOptions(f))
			require.NoError(t, err)
			r.RegisterWorkflowWithOptions(broken, workflow.RegisterOptions{Name: WorkflowName})
			require.NoError(t, r.ReplayWorkflowHistory(tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)), &h))
		})
	}
}

// recordingKey is the key of the recordings named history_encrypted_*:
// orders run by a client with the encryption codec over it
// (examples/replay).
var recordingKey = encryption.Key{ID: "recordings", Secret: bytes.Repeat([]byte{0x42}, 32)}

// replayerOptions returns the options that replay the recording file: with
// the encryption codec over recordingKey for history_encrypted_*, the
// SDK's defaults for the others.
func replayerOptions(file string) worker.WorkflowReplayerOptions {
	if !strings.HasPrefix(filepath.Base(file), "history_encrypted_") {
		return worker.WorkflowReplayerOptions{}
	}
	ring, err := encryption.Keys(recordingKey)
	if err != nil {
		panic(err)
	}
	codec, err := encryption.NewCodec(ring)
	if err != nil {
		panic(err)
	}
	var o client.Options
	codec.ClientOptions(&o)
	return worker.WorkflowReplayerOptions{DataConverter: o.DataConverter, FailureConverter: o.FailureConverter}
}
