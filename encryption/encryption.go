package encryption

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// The metadata of an encrypted payload, and its values.
const (
	metadataCipher    = "encryption-cipher"
	metadataKeyID     = "encryption-key-id"
	encodingEncrypted = "binary/encrypted"
	cipherAES256GCM   = "AES256-GCM"
)

// Limits of a Key.
const (
	secretSize  = 32 // AES-256
	maxKeyIDLen = 64
)

var (
	// ErrUnknownKey is wrapped by the error of Decode for a payload
	// encrypted with a key that the Keyring does not hold: the key was
	// dropped from the ring too early, or a process encrypts with a key that
	// has not reached this one yet. The error names the key ID. A Keyring
	// returns an error wrapping it from Key for an ID it does not hold.
	ErrUnknownKey = errors.New("orderflow/encryption: unknown key")

	// ErrDecrypt is wrapped by the error of Decode for an encrypted payload
	// that does not open with the key its metadata names: a key of that ID
	// but another secret, or a payload whose data or key ID was altered. The
	// error names the key ID.
	ErrDecrypt = errors.New("orderflow/encryption: cannot decrypt")
)

// Key is one AES-256 key. ID is written, in plain text, into each payload it
// encrypts, so that after a rotation old payloads still decrypt with their
// key; Secret is 32 bytes.
//
// An ID is 1 to 64 bytes of printable ASCII without spaces, such as
// "2026-05" or "orders-v3". It is no secret, but it names the key for good:
// never reuse an ID for another secret. Keep Secret out of logs and source
// code; a Key printed with %v shows it.
type Key struct {
	ID     string
	Secret []byte
}

// validate reports what is wrong with k, if anything. what names it in the
// message, such as "current key".
func (k Key) validate(what string) error {
	if err := validKeyID(k.ID); err != nil {
		return fmt.Errorf("orderflow/encryption: %s: %w", what, err)
	}
	if len(k.Secret) != secretSize {
		return fmt.Errorf("orderflow/encryption: %s %q: secret is %d bytes, want %d (AES-256)", what, k.ID, len(k.Secret), secretSize)
	}
	return nil
}

// validKeyID reports why id cannot be a key ID, if it cannot.
func validKeyID(id string) error {
	if id == "" {
		return errors.New("empty key ID")
	}
	if len(id) > maxKeyIDLen {
		return fmt.Errorf("key ID %s is %d bytes, more than %d", quoteID(id), len(id), maxKeyIDLen)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("key ID %s has byte %#02x at %d: want printable ASCII without spaces", quoteID(id), id[i], i)
		}
	}
	return nil
}

// quoteID quotes a key ID for an error message, cut to the longest valid
// length: an altered payload's metadata may hold anything.
func quoteID(id string) string {
	if len(id) > maxKeyIDLen {
		return fmt.Sprintf("%q…", id[:maxKeyIDLen])
	}
	return fmt.Sprintf("%q", id)
}

// Keyring gives the codec its keys: Current encrypts, Key(id) decrypts. A
// shop implements it over its own key store (KMS, Vault...), caching as it
// sees fit; Keys is a fixed one.
//
// The codec calls Current once per Encode and Key once per key ID per
// Decode, on every workflow task, activity and client call, from many
// goroutines at once. Both should answer from memory and not fail once the
// process runs: in a worker, an error stalls the order being run (its
// workflow task fails and is retried; see ClientOptions) or fails an
// activity attempt; an error from Current while the workflow schedules a
// provider call fails that call (the SDK encodes its summary apart); and
// one while the SDK converts an error to a failure makes the SDK panic (a
// failure converter cannot return an error). So load the keys at start, and
// refresh them in the background.
//
// Key returns an error wrapping ErrUnknownKey for an ID it does not hold; any
// other error is taken as a failure of the key store, and passed on by
// Decode. A Key it returns must have the ID asked for.
type Keyring interface {
	Current() (Key, error)
	Key(id string) (Key, error)
}

// Keys returns a fixed Keyring: current encrypts, and current and older
// decrypt. It copies the secrets. It refuses a secret that is not 32 bytes,
// an empty or invalid ID (an ID is 1 to 64 bytes of printable ASCII without
// spaces) and an ID given twice, with an error naming the key.
//
// Its Key method returns ErrUnknownKey itself for an ID it does not hold.
func Keys(current Key, older ...Key) (Keyring, error) {
	ring := &keys{byID: make(map[string]Key, 1+len(older))}
	for i, k := range append([]Key{current}, older...) {
		what := "current key"
		if i > 0 {
			what = fmt.Sprintf("older key %d", i)
		}
		if err := k.validate(what); err != nil {
			return nil, err
		}
		if _, dup := ring.byID[k.ID]; dup {
			return nil, fmt.Errorf("orderflow/encryption: %s: key ID %q is given twice", what, k.ID)
		}
		k.Secret = append([]byte(nil), k.Secret...)
		ring.byID[k.ID] = k
		if i == 0 {
			ring.current = k
		}
	}
	return ring, nil
}

// keys is the Keyring of Keys. It is never changed after Keys returns.
type keys struct {
	current Key
	byID    map[string]Key
}

func (r *keys) Current() (Key, error) { return r.current.clone(), nil }

func (r *keys) Key(id string) (Key, error) {
	k, ok := r.byID[id]
	if !ok {
		return Key{}, ErrUnknownKey
	}
	return k.clone(), nil
}

// clone returns k with a copy of its secret, so that a caller cannot change
// the ring's.
func (k Key) clone() Key {
	k.Secret = append([]byte(nil), k.Secret...)
	return k
}

// Codec encrypts and decrypts payloads with the keys of a Keyring. It
// implements converter.PayloadCodec and is safe for concurrent use. Create it
// with NewCodec.
type Codec struct {
	ring Keyring
}

var _ converter.PayloadCodec = (*Codec)(nil)

// NewCodec returns a Codec over ring. It asks ring for its current key once,
// and fails if ring is nil or that key cannot encrypt (see Key), so that a
// misconfigured process fails at start rather than on its first order.
func NewCodec(ring Keyring) (*Codec, error) {
	if ring == nil {
		return nil, errors.New("orderflow/encryption: new codec: keyring is nil")
	}
	c := &Codec{ring: ring}
	if _, _, err := c.current(); err != nil {
		return nil, err
	}
	return c, nil
}

// current returns the ring's current key ID and its AEAD.
func (c *Codec) current() (string, cipher.AEAD, error) {
	k, err := c.ring.Current()
	if err != nil {
		return "", nil, fmt.Errorf("orderflow/encryption: current key: %w", err)
	}
	if err := k.validate("current key"); err != nil {
		return "", nil, err
	}
	aead, err := newAEAD(k.Secret)
	if err != nil {
		return "", nil, fmt.Errorf("orderflow/encryption: current key %q: %w", k.ID, err)
	}
	return k.ID, aead, nil
}

// newAEAD returns AES-256-GCM over secret, with a random 12-byte nonce put
// before the ciphertext by Seal and taken from it by Open.
func newAEAD(secret []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// Encode encrypts each payload with the ring's current key, as described in
// the package documentation. It does not change ps. It fails, returning no
// payloads, if the ring has no usable current key.
func (c *Codec) Encode(ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id, aead, err := c.current()
	if err != nil {
		return nil, err
	}
	aad := []byte(id)
	out := make([]*commonpb.Payload, len(ps))
	for i, p := range ps {
		if p == nil {
			continue
		}
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("orderflow/encryption: encode: cannot marshal payload: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(encodingEncrypted),
				metadataCipher:             []byte(cipherAES256GCM),
				metadataKeyID:              []byte(id),
			},
			Data: aead.Seal(nil, nil, plain, aad),
		}
	}
	return out, nil
}

// Decode decrypts each payload whose encoding is binary/encrypted, with the
// key its metadata names, and returns the others as they are. It does not
// change ps. On any error it returns no payloads: an error wrapping
// ErrUnknownKey when the ring does not hold the key, one wrapping ErrDecrypt
// when the payload does not open with it (wrong key or altered payload), and
// another error for an unknown cipher or a failure of the key store.
func (c *Codec) Decode(ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(ps))
	var aeads map[string]cipher.AEAD // by key ID, for this call
	for i, p := range ps {
		if p == nil || string(p.GetMetadata()[converter.MetadataEncoding]) != encodingEncrypted {
			out[i] = p
			continue
		}
		md := p.GetMetadata()
		id := string(md[metadataKeyID])
		if err := validKeyID(id); err != nil {
			return nil, fmt.Errorf("%w payload: its %s metadata is not a key ID (%v): altered payload", ErrDecrypt, metadataKeyID, err)
		}
		if cph := string(md[metadataCipher]); cph != cipherAES256GCM {
			return nil, fmt.Errorf("orderflow/encryption: cannot decrypt payload encrypted with key %q: unknown cipher %s, want %q",
				id, quoteID(cph), cipherAES256GCM)
		}
		aead, ok := aeads[id]
		if !ok {
			var err error
			if aead, err = c.key(id); err != nil {
				return nil, err
			}
			if aeads == nil {
				aeads = make(map[string]cipher.AEAD, 1)
			}
			aeads[id] = aead
		}
		plain, err := aead.Open(nil, nil, p.GetData(), []byte(id))
		if err != nil {
			return nil, fmt.Errorf("%w payload encrypted with key %q: wrong key or altered payload", ErrDecrypt, id)
		}
		dec := new(commonpb.Payload)
		if err := proto.Unmarshal(plain, dec); err != nil {
			return nil, fmt.Errorf("%w payload encrypted with key %q: its plaintext is not a payload", ErrDecrypt, id)
		}
		out[i] = dec
	}
	return out, nil
}

// key returns the AEAD of the ring's key id.
func (c *Codec) key(id string) (cipher.AEAD, error) {
	k, err := c.ring.Key(id)
	switch {
	case err == ErrUnknownKey:
		return nil, fmt.Errorf("%w %q: the keyring does not hold it (dropped too early, or not yet given to this process)", ErrUnknownKey, id)
	case errors.Is(err, ErrUnknownKey):
		return nil, fmt.Errorf("orderflow/encryption: unknown key %q: %w", id, err)
	case err != nil:
		return nil, fmt.Errorf("orderflow/encryption: key %q: keyring: %w", id, err)
	}
	if k.ID != id {
		return nil, fmt.Errorf("orderflow/encryption: keyring returned key %s for key ID %q", quoteID(k.ID), id)
	}
	if err := k.validate("key"); err != nil {
		return nil, err
	}
	aead, err := newAEAD(k.Secret)
	if err != nil {
		return nil, fmt.Errorf("orderflow/encryption: key %q: %w", id, err)
	}
	return aead, nil
}

// ClientOptions makes opts encrypt. It sets opts.DataConverter to opts's
// data converter (or converter.GetDefaultDataConverter() if it has none)
// wrapped with the codec, as converter.NewCodecDataConverter does, and
// opts.FailureConverter, replacing any, to temporal.NewDefaultFailureConverter
// with that data converter and EncodeCommonAttributes, so that failure
// messages and stack traces are encrypted too. Workers built from a client
// dialled with opts inherit both.
//
// Inside a workflow, a payload the codec cannot decrypt or encrypt (a key
// the worker lacks, the wrong key, a key store that fails) panics rather
// than returning the codec's error: the SDK then fails the workflow task,
// with that error, and the server retries it, where an error would fail
// the order for good. A worker given the wrong keys stalls its orders until
// it has the right ones, and loses none (unless its WorkflowPanicPolicy is
// worker.FailWorkflow). Clients and activities get the error.
//
// Call it once per Options value, before client.Dial: a second call would
// encrypt every payload twice. Pass opts.DataConverter to
// orderflow.Options.DataConverter.
func (c *Codec) ClientOptions(opts *client.Options) {
	parent := opts.DataConverter
	if parent == nil {
		parent = converter.GetDefaultDataConverter()
	}
	dc := newDataConverter(parent, c)
	opts.DataConverter = dc
	opts.FailureConverter = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          dc,
		EncodeCommonAttributes: true,
	})
}
