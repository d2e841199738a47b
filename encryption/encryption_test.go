package encryption_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/orderflow/orderflow/encryption"
)

const prefix = "orderflow/encryption: "

// customer is the kind of data orders carry and the service must not see.
type customer struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Address string `json:"address"`
}

var alice = customer{Name: "Alice Smith", Email: "alice@example.com", Address: "123 Main St, Springfield, IL 62701"}

// secret returns a 32-byte secret made of b.
func secret(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

var (
	k1 = encryption.Key{ID: "k1", Secret: secret(1)}
	k2 = encryption.Key{ID: "k2", Secret: secret(2)}
)

func newCodec(t testing.TB, current encryption.Key, older ...encryption.Key) *encryption.Codec {
	t.Helper()
	ring, err := encryption.Keys(current, older...)
	require.NoError(t, err)
	c, err := encryption.NewCodec(ring)
	require.NoError(t, err)
	return c
}

// dataConverter returns the data converter a client gets from c.ClientOptions.
func dataConverter(c *encryption.Codec) converter.DataConverter {
	var opts client.Options
	c.ClientOptions(&opts)
	return opts.DataConverter
}

// encrypt returns v as a payload encrypted by c.
func encrypt(t testing.TB, c *encryption.Codec, v any) *commonpb.Payload {
	t.Helper()
	p, err := dataConverter(c).ToPayload(v)
	require.NoError(t, err)
	return p
}

// decode decodes p with c into a customer.
func decode(c *encryption.Codec, p *commonpb.Payload) (customer, error) {
	var got customer
	err := dataConverter(c).FromPayload(p, &got)
	return got, err
}

// requireClean fails unless err's message starts with the package's prefix
// and holds neither the customer's data nor any key's secret.
func requireClean(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	require.True(t, strings.HasPrefix(msg, prefix), "error %q lacks the package prefix", msg)
	for _, s := range []string{alice.Name, alice.Email, alice.Address, string(k1.Secret), string(k2.Secret)} {
		require.NotContains(t, msg, s)
	}
}

func TestEncryptedPayloadHidesCustomerDataAndDecodesBack(t *testing.T) {
	c := newCodec(t, k1)
	dc := dataConverter(c)

	p, err := dc.ToPayload(alice)
	require.NoError(t, err)
	require.Equal(t, "binary/encrypted", string(p.Metadata["encoding"]))
	require.Equal(t, "AES256-GCM", string(p.Metadata["encryption-cipher"]))
	require.Equal(t, "k1", string(p.Metadata["encryption-key-id"]))
	require.Len(t, p.Metadata, 3, "nothing else is written in plain text")

	wire, err := proto.Marshal(p) // what the service stores
	require.NoError(t, err)
	for _, s := range []string{alice.Name, "Alice", alice.Email, "example.com", alice.Address, "Springfield", "json/plain"} {
		require.NotContains(t, string(wire), s)
	}

	var got customer
	require.NoError(t, dc.FromPayload(p, &got))
	require.Equal(t, alice, got)

	// Several values at once, as a workflow's or an activity's arguments.
	ps, err := dc.ToPayloads(alice, "ORD-001", 42)
	require.NoError(t, err)
	var (
		gotC  customer
		gotID string
		gotN  int
	)
	require.NoError(t, dc.FromPayloads(ps, &gotC, &gotID, &gotN))
	require.Equal(t, alice, gotC)
	require.Equal(t, "ORD-001", gotID)
	require.Equal(t, 42, gotN)

	// A readable form for tools that print payloads.
	require.Contains(t, dc.ToString(p), "alice@example.com")
}

func TestSameValueEncryptsDifferentlyEachTime(t *testing.T) {
	c := newCodec(t, k1)
	a, b := encrypt(t, c, alice), encrypt(t, c, alice)
	require.NotEqual(t, a.Data, b.Data, "equal orders must not be recognisable by their ciphertext")
}

// TestWireFormat opens a payload with nothing but the documented format, as
// a codec in another language would.
func TestWireFormat(t *testing.T) {
	c := newCodec(t, k1)
	p := encrypt(t, c, alice)

	block, err := aes.NewCipher(k1.Secret)
	require.NoError(t, err)
	gcm, err := cipher.NewGCM(block)
	require.NoError(t, err)
	require.Greater(t, len(p.Data), 12+16)
	plain, err := gcm.Open(nil, p.Data[:12], p.Data[12:], []byte("k1"))
	require.NoError(t, err, "data is a 12-byte nonce then the GCM seal, with the key ID as additional data")
	var inner commonpb.Payload
	require.NoError(t, proto.Unmarshal(plain, &inner))
	require.Equal(t, "json/plain", string(inner.Metadata["encoding"]))
	require.JSONEq(t, `{"name":"Alice Smith","email":"alice@example.com","address":"123 Main St, Springfield, IL 62701"}`, string(inner.Data))

	_, err = gcm.Open(nil, p.Data[:12], p.Data[12:], nil)
	require.Error(t, err, "the key ID must be authenticated")
}

func TestKeyRotation(t *testing.T) {
	old := encrypt(t, newCodec(t, k1), alice)

	t.Run("a ring with the old key as an older key decodes old payloads and encrypts with the new key", func(t *testing.T) {
		rotated := newCodec(t, k2, k1)
		got, err := decode(rotated, old)
		require.NoError(t, err)
		require.Equal(t, alice, got)

		p := encrypt(t, rotated, alice)
		require.Equal(t, "k2", string(p.Metadata["encryption-key-id"]))
		got, err = decode(rotated, p)
		require.NoError(t, err)
		require.Equal(t, alice, got)
	})

	t.Run("a ring without the old key fails with ErrUnknownKey naming it", func(t *testing.T) {
		_, err := decode(newCodec(t, k2), old)
		require.ErrorIs(t, err, encryption.ErrUnknownKey)
		require.NotErrorIs(t, err, encryption.ErrDecrypt)
		require.ErrorContains(t, err, `"k1"`)
		requireClean(t, err)
	})

	t.Run("a process that has not received the new key fails on new payloads", func(t *testing.T) {
		p := encrypt(t, newCodec(t, k2, k1), alice)
		_, err := decode(newCodec(t, k1), p)
		require.ErrorIs(t, err, encryption.ErrUnknownKey)
		require.ErrorContains(t, err, `"k2"`)
	})

	t.Run("another secret under the same ID fails with ErrDecrypt", func(t *testing.T) {
		_, err := decode(newCodec(t, encryption.Key{ID: "k1", Secret: secret(9)}), old)
		require.ErrorIs(t, err, encryption.ErrDecrypt)
		require.NotErrorIs(t, err, encryption.ErrUnknownKey)
		require.ErrorContains(t, err, `"k1"`)
		require.ErrorContains(t, err, "wrong key or altered payload")
		requireClean(t, err)
	})
}

func TestAlteredPayloadsFail(t *testing.T) {
	c := newCodec(t, k1)
	p := encrypt(t, c, alice)

	for _, at := range []struct {
		name string
		i    int
	}{{"nonce", 0}, {"ciphertext", 12}, {"tag", len(p.Data) - 1}} {
		t.Run("a byte of the "+at.name, func(t *testing.T) {
			bad := proto.Clone(p).(*commonpb.Payload)
			bad.Data[at.i] ^= 0x01
			_, err := decode(c, bad)
			require.ErrorIs(t, err, encryption.ErrDecrypt)
			require.ErrorContains(t, err, `"k1"`)
			require.ErrorContains(t, err, "wrong key or altered payload")
			requireClean(t, err)
		})
	}

	t.Run("truncated data", func(t *testing.T) {
		for _, n := range []int{0, 11, 12, 27} {
			bad := proto.Clone(p).(*commonpb.Payload)
			bad.Data = bad.Data[:n]
			_, err := decode(c, bad)
			require.ErrorIs(t, err, encryption.ErrDecrypt, "%d bytes", n)
		}
	})

	t.Run("the key ID moved to another key of the ring", func(t *testing.T) {
		// Both IDs hold the same secret: only the key ID, authenticated
		// with the data, tells the payload was moved.
		same := newCodec(t, encryption.Key{ID: "k1", Secret: secret(1)}, encryption.Key{ID: "k2", Secret: secret(1)})
		bad := proto.Clone(p).(*commonpb.Payload)
		bad.Metadata["encryption-key-id"] = []byte("k2")
		_, err := decode(same, bad)
		require.ErrorIs(t, err, encryption.ErrDecrypt)
		require.ErrorContains(t, err, `"k2"`)
		requireClean(t, err)
	})

	t.Run("the key ID removed or garbled", func(t *testing.T) {
		for _, id := range []string{"", "k 1", strings.Repeat("k", 65), "k\x00"} {
			bad := proto.Clone(p).(*commonpb.Payload)
			bad.Metadata["encryption-key-id"] = []byte(id)
			if id == "" {
				delete(bad.Metadata, "encryption-key-id")
			}
			_, err := decode(c, bad)
			require.ErrorIs(t, err, encryption.ErrDecrypt, "key ID %q", id)
			requireClean(t, err)
		}
	})

	t.Run("an unknown cipher", func(t *testing.T) {
		bad := proto.Clone(p).(*commonpb.Payload)
		bad.Metadata["encryption-cipher"] = []byte("ROT13")
		_, err := decode(c, bad)
		require.ErrorContains(t, err, `unknown cipher "ROT13"`)
		require.ErrorContains(t, err, `"k1"`)
		requireClean(t, err)

		delete(bad.Metadata, "encryption-cipher")
		_, err = decode(c, bad)
		require.ErrorContains(t, err, "unknown cipher")
	})

	t.Run("Decode returns no payloads on error", func(t *testing.T) {
		bad := proto.Clone(p).(*commonpb.Payload)
		bad.Data[20] ^= 0x01
		out, err := c.Decode([]*commonpb.Payload{p, bad})
		require.ErrorIs(t, err, encryption.ErrDecrypt)
		require.Nil(t, out)
	})
}

func TestUnencryptedPayloadsPassThrough(t *testing.T) {
	c := newCodec(t, k1)
	plain, err := converter.GetDefaultDataConverter().ToPayload(alice) // written before encryption was on
	require.NoError(t, err)
	status, err := converter.GetDefaultDataConverter().ToPayload("completed") // a search attribute
	require.NoError(t, err)
	null, err := converter.GetDefaultDataConverter().ToPayload(nil)
	require.NoError(t, err)
	zlib := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/zlib")}, Data: []byte{1, 2, 3}}
	bare := &commonpb.Payload{Data: []byte("no metadata")}
	enc := encrypt(t, c, alice)

	in := []*commonpb.Payload{plain, status, null, zlib, bare, enc}
	before := make([]*commonpb.Payload, len(in))
	for i, p := range in {
		before[i] = proto.Clone(p).(*commonpb.Payload)
	}
	out, err := c.Decode(in)
	require.NoError(t, err)
	require.Len(t, out, len(in))
	for i := range 5 {
		require.Same(t, in[i], out[i], "payload %d must pass through unchanged", i)
	}
	require.Equal(t, "json/plain", string(out[5].Metadata["encoding"]))
	for i := range in {
		require.True(t, proto.Equal(before[i], in[i]), "Decode must not change its input (payload %d)", i)
	}

	got, err := decode(c, plain)
	require.NoError(t, err)
	require.Equal(t, alice, got, "orders written before encryption still read")
}

func TestEncodeDoesNotChangeItsInput(t *testing.T) {
	c := newCodec(t, k1)
	p, err := converter.GetDefaultDataConverter().ToPayload(alice)
	require.NoError(t, err)
	before := proto.Clone(p).(*commonpb.Payload)
	out, err := c.Encode([]*commonpb.Payload{p})
	require.NoError(t, err)
	require.True(t, proto.Equal(before, p))
	back, err := c.Decode(out)
	require.NoError(t, err)
	require.True(t, proto.Equal(p, back[0]), "the payload comes back whole, metadata included")
}

func TestFailureMessagesAreEncrypted(t *testing.T) {
	const msg = "card of Alice Smith (alice@example.com) declined"
	c := newCodec(t, k1)
	var opts client.Options
	c.ClientOptions(&opts)
	require.NotNil(t, opts.FailureConverter)

	f := opts.FailureConverter.ErrorToFailure(temporal.NewNonRetryableApplicationError(msg, "orderflow.PaymentDeclined", nil, alice))
	require.NotEqual(t, msg, f.GetMessage())
	require.NotContains(t, f.GetMessage(), "Alice")
	require.NotNil(t, f.GetEncodedAttributes(), "the message and stack trace travel encrypted")
	require.Equal(t, "binary/encrypted", string(f.GetEncodedAttributes().GetMetadata()["encoding"]))
	require.Equal(t, "orderflow.PaymentDeclined", f.GetApplicationFailureInfo().GetType(), "failure types stay readable")
	details := f.GetApplicationFailureInfo().GetDetails().GetPayloads()
	require.Len(t, details, 1)
	require.Equal(t, "binary/encrypted", string(details[0].GetMetadata()["encoding"]), "error details are encrypted too")
	wire, err := proto.Marshal(f)
	require.NoError(t, err)
	require.NotContains(t, string(wire), "Alice")

	err = opts.FailureConverter.FailureToError(proto.Clone(f).(*failurepb.Failure)) // FailureToError changes its argument
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, msg, appErr.Message())
	require.Equal(t, "orderflow.PaymentDeclined", appErr.Type())
	var got customer
	require.NoError(t, appErr.Details(&got))
	require.Equal(t, alice, got)

	// A process without the key sees the SDK's placeholder, not the message.
	var other client.Options
	newCodec(t, k2).ClientOptions(&other)
	err = other.FailureConverter.FailureToError(f)
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, "Encoded failure", appErr.Message())
}

func TestClientOptionsWrapsTheGivenDataConverter(t *testing.T) {
	c := newCodec(t, k1)
	// A parent converter of the shop's own: here one that compresses.
	parent := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: true}))
	opts := client.Options{DataConverter: parent}
	c.ClientOptions(&opts)

	p, err := opts.DataConverter.ToPayload(alice)
	require.NoError(t, err)
	require.Equal(t, "binary/encrypted", string(p.Metadata["encoding"]))
	inner, err := c.Decode([]*commonpb.Payload{p})
	require.NoError(t, err)
	require.Equal(t, "binary/zlib", string(inner[0].Metadata["encoding"]), "the codec encrypts what the parent wrote")
	var got customer
	require.NoError(t, opts.DataConverter.FromPayload(p, &got))
	require.Equal(t, alice, got)
}

// TestCodecIgnoresSerializationContext: a payload written in one context
// (a workflow's) reads in any other (a local activity's), and without one, as
// histories written before SDK v1.49 need.
func TestCodecIgnoresSerializationContext(t *testing.T) {
	c := newCodec(t, k1)
	_, aware := any(c).(converter.PayloadCodecWithSerializationContext)
	require.False(t, aware)

	dc := dataConverter(c)
	wf := converter.WithDataConverterSerializationContext(dc, converter.WorkflowSerializationContext{Namespace: "default", WorkflowID: "order-ORD-001"})
	la := converter.WithDataConverterSerializationContext(dc, converter.ActivitySerializationContext{
		Namespace: "default", WorkflowID: "order-ORD-001", ActivityType: "process_payment", IsLocal: true,
	})
	p, err := wf.ToPayload(alice)
	require.NoError(t, err)
	for _, reader := range []converter.DataConverter{dc, wf, la} {
		var got customer
		require.NoError(t, reader.FromPayload(p, &got))
		require.Equal(t, alice, got)
	}
}

func TestKeysRefusesBadKeys(t *testing.T) {
	cases := []struct {
		name    string
		current encryption.Key
		older   []encryption.Key
		want    []string
	}{
		{"short secret", encryption.Key{ID: "k1", Secret: make([]byte, 16)}, nil, []string{"current key", `"k1"`, "16 bytes", "want 32"}},
		{"long secret", k1, []encryption.Key{{ID: "k2", Secret: make([]byte, 33)}}, []string{"older key 1", `"k2"`, "33 bytes"}},
		{"no secret", encryption.Key{ID: "k1"}, nil, []string{`"k1"`, "0 bytes"}},
		{"empty ID", k1, []encryption.Key{k2, {Secret: secret(3)}}, []string{"older key 2", "empty key ID"}},
		{"duplicate ID", k1, []encryption.Key{k2, {ID: "k1", Secret: secret(3)}}, []string{"older key 2", `"k1"`, "twice"}},
		{"space in ID", encryption.Key{ID: "key 1", Secret: secret(1)}, nil, []string{"current key", `"key 1"`, "printable ASCII without spaces"}},
		{"non-ASCII ID", encryption.Key{ID: "clé", Secret: secret(1)}, nil, []string{"printable ASCII"}},
		{"long ID", encryption.Key{ID: strings.Repeat("k", 65), Secret: secret(1)}, nil, []string{"65 bytes", "more than 64"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ring, err := encryption.Keys(tc.current, tc.older...)
			require.Nil(t, ring)
			requireClean(t, err)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
		})
	}

	_, err := encryption.Keys(encryption.Key{ID: strings.Repeat("k", 64), Secret: secret(1)})
	require.NoError(t, err, "64 bytes is the longest ID")
	_, err = encryption.NewCodec(nil)
	require.ErrorContains(t, err, "keyring is nil")
}

func TestKeysKeepsItsOwnCopyOfTheSecrets(t *testing.T) {
	s := secret(1)
	ring, err := encryption.Keys(encryption.Key{ID: "k1", Secret: s})
	require.NoError(t, err)
	c, err := encryption.NewCodec(ring)
	require.NoError(t, err)
	p := encrypt(t, c, alice)

	s[0] ^= 0xff // the caller zeroes or reuses its buffer
	cur, err := ring.Current()
	require.NoError(t, err)
	cur.Secret[1] ^= 0xff // a caller changes what the ring returned

	got, err := decode(c, p)
	require.NoError(t, err)
	require.Equal(t, alice, got)

	_, err = ring.Key("nope")
	require.ErrorIs(t, err, encryption.ErrUnknownKey)
}

// storeRing is a Keyring over a key store of the shop's own.
type storeRing struct {
	mu       sync.Mutex
	current  encryption.Key
	keys     map[string]encryption.Key
	down     bool // the store cannot be reached
	lookups  atomic.Int64
	currents atomic.Int64
}

func (r *storeRing) Current() (encryption.Key, error) {
	r.currents.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return encryption.Key{}, errors.New("vault: connection refused")
	}
	return r.current, nil
}

func (r *storeRing) Key(id string) (encryption.Key, error) {
	r.lookups.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return encryption.Key{}, errors.New("vault: connection refused")
	}
	k, ok := r.keys[id]
	if !ok {
		return encryption.Key{}, fmt.Errorf("vault: no secret at orders/%s: %w", id, encryption.ErrUnknownKey)
	}
	return k, nil
}

func TestCustomKeyring(t *testing.T) {
	ring := &storeRing{current: k1, keys: map[string]encryption.Key{"k1": k1}}
	c, err := encryption.NewCodec(ring)
	require.NoError(t, err)
	ps, err := dataConverter(c).ToPayloads(alice, alice, alice)
	require.NoError(t, err)

	ring.lookups.Store(0)
	_, err = c.Decode(ps.Payloads)
	require.NoError(t, err)
	require.EqualValues(t, 1, ring.lookups.Load(), "one lookup per key ID per Decode")

	t.Run("unknown key", func(t *testing.T) {
		ring := &storeRing{current: k2, keys: map[string]encryption.Key{"k2": k2}}
		c2, err := encryption.NewCodec(ring)
		require.NoError(t, err)
		_, err = c2.Decode(ps.Payloads)
		require.ErrorIs(t, err, encryption.ErrUnknownKey)
		require.ErrorContains(t, err, `"k1"`)
		require.ErrorContains(t, err, "vault: no secret at orders/k1")
		requireClean(t, err)
	})

	t.Run("key store down", func(t *testing.T) {
		ring := &storeRing{current: k1, keys: map[string]encryption.Key{"k1": k1}}
		c2, err := encryption.NewCodec(ring)
		require.NoError(t, err)
		ring.down = true
		_, err = c2.Decode(ps.Payloads)
		require.ErrorContains(t, err, "vault: connection refused")
		require.ErrorContains(t, err, `"k1"`)
		require.NotErrorIs(t, err, encryption.ErrUnknownKey, "an outage is not a missing key")
		require.NotErrorIs(t, err, encryption.ErrDecrypt)
		_, err = c2.Encode(ps.Payloads)
		require.ErrorContains(t, err, "vault: connection refused")
		requireClean(t, err)
	})

	t.Run("bad keys from the store", func(t *testing.T) {
		_, err := encryption.NewCodec(&storeRing{current: encryption.Key{ID: "k1", Secret: make([]byte, 16)}})
		require.ErrorContains(t, err, "16 bytes", "no silent AES-128")
		_, err = encryption.NewCodec(&storeRing{current: encryption.Key{Secret: secret(1)}})
		require.ErrorContains(t, err, "empty key ID")

		wrongID := &storeRing{current: k1, keys: map[string]encryption.Key{"k1": k2}}
		c2, err := encryption.NewCodec(wrongID)
		require.NoError(t, err)
		_, err = c2.Decode(ps.Payloads)
		require.ErrorContains(t, err, `returned key "k2" for key ID "k1"`)
		requireClean(t, err)
	})
}

func TestConcurrentEncodeDecode(t *testing.T) {
	old := encrypt(t, newCodec(t, k1), alice)
	c := newCodec(t, k2, k1)
	dc := dataConverter(c)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for i := range 100 {
				want := customer{Name: fmt.Sprintf("customer %d-%d", g, i), Email: "c@example.com"}
				p, err := dc.ToPayload(want)
				if err != nil {
					errs <- err
					return
				}
				var got customer
				if err := dc.FromPayload(p, &got); err != nil || got != want {
					errs <- fmt.Errorf("round trip %d-%d: %v, got %+v", g, i, err, got)
					return
				}
				if err := dc.FromPayload(old, &got); err != nil || got != alice {
					errs <- fmt.Errorf("old payload %d-%d: %v", g, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
