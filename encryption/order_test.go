package encryption_test

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/encryption"
	"github.com/orderflow/orderflow/orderflowtest"
)

// encryptedEnv returns a test workflow environment whose data and failure
// converters are those of an encrypting client, with the in-memory
// providers registered; the ring, which counts its use; and the failures
// the workflow's activities sent.
func encryptedEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *orderflowtest.Providers, *storeRing, *recordingFailures) {
	t.Helper()
	ring := &storeRing{current: k2, keys: map[string]encryption.Key{"k1": k1, "k2": k2}}
	c, err := encryption.NewCodec(ring)
	require.NoError(t, err)
	var opts client.Options
	c.ClientOptions(&opts)

	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := ts.NewTestWorkflowEnvironment()
	env.SetDataConverter(opts.DataConverter)
	failures := &recordingFailures{FailureConverter: opts.FailureConverter}
	env.SetFailureConverter(failures)
	acts, providers := orderflowtest.NewActivities()
	require.NoError(t, orderflow.Register(env, acts))
	ring.currents.Store(0)
	return env, providers, ring, failures
}

// recordingFailures records the message of each failure its converter
// makes: what the service would store.
type recordingFailures struct {
	converter.FailureConverter
	mu   sync.Mutex
	sent []string
}

func (r *recordingFailures) ErrorToFailure(err error) *failurepb.Failure {
	f := r.FailureConverter.ErrorToFailure(err)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, f.GetMessage())
	return f
}

func (r *recordingFailures) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sent...)
}

// TestOrdersRunEncrypted runs orders through the workflow with the encrypting
// converters: the approval signal's reason, the provider's failure message
// and the result all make the trip through the codec.
func TestOrdersRunEncrypted(t *testing.T) {
	t.Run("approved by signal", func(t *testing.T) {
		env, providers, ring, _ := encryptedEnv(t)
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(orderflow.SignalApprove, "High-value customer - approved")
		}, time.Minute)
		env.ExecuteWorkflow(orderflow.WorkflowName, orderflowtest.LargeOrder("ORD-002"))
		require.True(t, env.IsWorkflowCompleted())
		require.NoError(t, env.GetWorkflowError())
		var res orderflow.OrderState
		require.NoError(t, env.GetWorkflowResult(&res))

		require.Equal(t, orderflow.StatusCompleted, res.Status)
		require.Equal(t, orderflow.ApprovalApproved, res.Approval.Status)
		require.Equal(t, "High-value customer - approved", res.Approval.Reason)
		require.Equal(t, orderflow.USD(189997), providers.Payment.Held("ORD-002"))
		require.Equal(t, []string{"Bob Johnson"}, namesMailed(providers), "activities get the customer's data back")
		require.Positive(t, ring.currents.Load(), "payloads went through the codec")
	})

	t.Run("payment declined", func(t *testing.T) {
		env, providers, _, failures := encryptedEnv(t)
		providers.Payment.ChargeFaults.FailOrder("ORD-001", fmt.Errorf("card ending 0002: %w", orderflow.ErrPaymentDeclined))
		env.ExecuteWorkflow(orderflow.WorkflowName, orderflowtest.SmallOrder("ORD-001"))
		require.NoError(t, env.GetWorkflowError())
		var res orderflow.OrderState
		require.NoError(t, env.GetWorkflowResult(&res))

		require.Equal(t, orderflow.StatusFailed, res.Status)
		require.Equal(t, "orderflow.PaymentDeclined", res.FailureType)
		require.Contains(t, res.Message, "card ending 0002", "the workflow reads the activity's failure message, decrypted")
		require.Equal(t, []string{"Encoded failure"}, failures.messages(), "the failure travelled with its message encrypted")
		require.ErrorIs(t, res.Err(), orderflow.ErrPaymentDeclined)
	})
}

func namesMailed(p *orderflowtest.Providers) []string {
	var names []string
	for _, m := range p.Email.Sent() {
		names = append(names, m.CustomerName)
	}
	return names
}
