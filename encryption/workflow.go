package encryption

import (
	"context"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// dataConverter is the data converter ClientOptions installs: the SDK's
// codec data converter over parent, except inside a workflow. There, a
// payload the codec cannot decrypt or encrypt (a key the worker lacks, the
// wrong key, a key store that fails) panics instead of returning an error:
// the SDK fails the workflow task, which the server retries, where an error
// would fail the order for good (the SDK fails a workflow whose input does
// not decode). A worker given the wrong keys stalls its orders, with the
// codec's error in each failed workflow task, until it has the right ones;
// it loses none. (A worker whose WorkflowPanicPolicy is FailWorkflow fails
// them instead.) Clients and activities get the error. One exception: a
// payload read as a converter.RawValue, as orderflow reads its decision
// signals, that no key will ever decrypt (see decodeInto).
type dataConverter struct {
	converter.DataConverter // converter.NewCodecDataConverter(parent, codec)
	parent                  converter.DataConverter
	codec                   *Codec
}

func newDataConverter(parent converter.DataConverter, c *Codec) *dataConverter {
	return &dataConverter{DataConverter: converter.NewCodecDataConverter(parent, c), parent: parent, codec: c}
}

var (
	_ converter.ContextAware                          = (*dataConverter)(nil)
	_ converter.DataConverterWithSerializationContext = (*dataConverter)(nil)
)

// WithWorkflowContext returns the converter a workflow uses: one whose codec
// failures panic.
func (d *dataConverter) WithWorkflowContext(ctx converter.WorkflowContext) converter.DataConverter {
	parent := d.parent
	if p, ok := parent.(converter.ContextAware); ok {
		parent = p.WithWorkflowContext(ctx)
	}
	return &workflowConverter{parent: parent, codec: d.codec}
}

// WithContext returns d, tailored to ctx if its parent is context aware.
func (d *dataConverter) WithContext(ctx context.Context) converter.DataConverter {
	if p, ok := d.parent.(converter.ContextAware); ok {
		return newDataConverter(p.WithContext(ctx), d.codec)
	}
	return d
}

// WithSerializationContext returns d, tailored to sc if its parent uses
// serialization contexts (the codec does not).
func (d *dataConverter) WithSerializationContext(sc converter.SerializationContext) converter.DataConverter {
	if p, ok := d.parent.(converter.DataConverterWithSerializationContext); ok {
		return newDataConverter(p.WithSerializationContext(sc), d.codec)
	}
	return d
}

// workflowConverter is dataConverter inside a workflow.
type workflowConverter struct {
	parent converter.DataConverter
	codec  *Codec
}

// stall panics with the codec's error err, for the SDK to fail the
// workflow task.
func stall(err error) {
	panic(fmt.Errorf("%w; the workflow task fails and is retried until this worker has the order's keys", err))
}

func (w *workflowConverter) encode(ps []*commonpb.Payload) []*commonpb.Payload {
	out, err := w.codec.Encode(ps)
	if err != nil {
		stall(err)
	}
	return out
}

func (w *workflowConverter) ToPayload(value any) (*commonpb.Payload, error) {
	p, err := w.parent.ToPayload(value)
	if err != nil || p == nil {
		return p, err
	}
	return w.encode([]*commonpb.Payload{p})[0], nil
}

func (w *workflowConverter) ToPayloads(values ...any) (*commonpb.Payloads, error) {
	ps, err := w.parent.ToPayloads(values...)
	if err != nil || ps == nil {
		return ps, err
	}
	return &commonpb.Payloads{Payloads: w.encode(ps.GetPayloads())}, nil
}

// decodeInto decodes ps for valuePtrs. A payload that no key will ever
// decrypt (ErrDecrypt: altered, or sent under a key ID that names another
// secret) read into converter.RawValue values, as a workflow reads a
// signal it does not trust, is handed over still encrypted rather than
// stalling the order: the workflow sees a value it cannot read, and drops
// it, the same way on every replay. Anything a key could fix stalls.
func (w *workflowConverter) decodeInto(ps []*commonpb.Payload, valuePtrs []any) []*commonpb.Payload {
	out, err := w.codec.Decode(ps)
	if err == nil {
		return out
	}
	if errors.Is(err, ErrDecrypt) && allRaw(valuePtrs) {
		return ps
	}
	stall(err)
	return nil
}

func allRaw(valuePtrs []any) bool {
	for _, v := range valuePtrs {
		if _, ok := v.(*converter.RawValue); !ok {
			return false
		}
	}
	return len(valuePtrs) > 0
}

func (w *workflowConverter) FromPayload(p *commonpb.Payload, valuePtr any) error {
	if p == nil {
		return w.parent.FromPayload(p, valuePtr)
	}
	return w.parent.FromPayload(w.decodeInto([]*commonpb.Payload{p}, []any{valuePtr})[0], valuePtr)
}

func (w *workflowConverter) FromPayloads(ps *commonpb.Payloads, valuePtrs ...any) error {
	if ps == nil {
		return w.parent.FromPayloads(ps, valuePtrs...)
	}
	return w.parent.FromPayloads(&commonpb.Payloads{Payloads: w.decodeInto(ps.GetPayloads(), valuePtrs)}, valuePtrs...)
}

func (w *workflowConverter) ToString(p *commonpb.Payload) string {
	ps, err := w.codec.Decode([]*commonpb.Payload{p})
	if err != nil {
		return err.Error()
	}
	return w.parent.ToString(ps[0])
}

func (w *workflowConverter) ToStrings(ps *commonpb.Payloads) []string {
	if ps == nil {
		return nil
	}
	out := make([]string, len(ps.GetPayloads()))
	for i, p := range ps.GetPayloads() {
		out[i] = w.ToString(p)
	}
	return out
}
