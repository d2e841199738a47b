package encryption_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	"github.com/orderflow/orderflow/encryption"
)

// inWorkflow returns the converter a workflow of a client with c uses.
func inWorkflow(c *encryption.Codec) converter.DataConverter {
	return dataConverter(c).(converter.ContextAware).WithWorkflowContext(nil)
}

// panicOf runs fn and returns the error it panicked with, or nil.
func panicOf(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = r.(error)
		}
	}()
	fn()
	return nil
}

// Inside a workflow, a payload a key could decrypt but the worker's ring
// cannot stalls the order (the converter panics, failing the workflow
// task); one no key will ever decrypt, read as a RawValue (a decision
// signal), is handed over still encrypted, for the workflow to drop.
func TestWorkflowConverterStallsOrHandsOver(t *testing.T) {
	p := encrypt(t, newCodec(t, k1), "approved by the manager")
	tampered := proto.Clone(p).(*commonpb.Payload)
	tampered.Data[len(tampered.Data)-1] ^= 1
	unknown := encrypt(t, newCodec(t, k2), "approved by the manager")
	wf := inWorkflow(newCodec(t, k1))

	var s string
	require.NoError(t, wf.FromPayload(p, &s))
	require.Equal(t, "approved by the manager", s)
	var raw converter.RawValue
	require.NoError(t, wf.FromPayload(p, &raw))
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(raw.Payload(), &s), "a readable raw value is decrypted")

	require.NoError(t, wf.FromPayload(tampered, &raw), "an altered signal is handed over, not stalled on")
	require.True(t, proto.Equal(tampered, raw.Payload()), "still encrypted")
	require.NoError(t, wf.FromPayloads(&commonpb.Payloads{Payloads: []*commonpb.Payload{tampered}}, &raw))

	for _, c := range []struct {
		name string
		fn   func()
		want error
	}{
		{"altered, read as a string", func() { _ = wf.FromPayload(tampered, &s) }, encryption.ErrDecrypt},
		{"unknown key, read raw", func() { _ = wf.FromPayload(unknown, &raw) }, encryption.ErrUnknownKey},
		{"unknown key, in payloads", func() {
			_ = wf.FromPayloads(&commonpb.Payloads{Payloads: []*commonpb.Payload{unknown}}, &raw)
		}, encryption.ErrUnknownKey},
	} {
		err := panicOf(c.fn)
		require.True(t, errors.Is(err, c.want), "%s: panicked with %v, want %v", c.name, err, c.want)
	}

	// Outside a workflow the same payloads are errors, never panics.
	require.ErrorIs(t, dataConverter(newCodec(t, k1)).FromPayload(unknown, &raw), encryption.ErrUnknownKey)
}
