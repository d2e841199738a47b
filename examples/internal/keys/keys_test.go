package keys_test

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"

	"github.com/orderflow/orderflow/encryption"
	"github.com/orderflow/orderflow/examples/internal/keys"
)

// secret returns a 32-byte secret of b in standard base64.
func secret(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

// TestKeysParse reads a two-key line: the first key encrypts, both decrypt,
// and the ring prints its IDs, not its secrets.
func TestKeysParse(t *testing.T) {
	line := " 2026-05=" + secret(7) + " ,\n2025-11=" + secret(3) + "\n"
	r, err := keys.Parse(line)
	require.NoError(t, err)
	assert.Equal(t, []string{"2026-05", "2025-11"}, r.IDs())
	assert.Equal(t, `current key "2026-05", older "2025-11"`, r.String())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, r)
		assert.NotContains(t, out, secret(7)[:10], verb)
		assert.NotContains(t, out, "\x07\x07\x07", verb)
	}

	cur, err := r.Keyring().Current()
	require.NoError(t, err)
	assert.Equal(t, encryption.Key{ID: "2026-05", Secret: bytes.Repeat([]byte{7}, 32)}, cur)
	old, err := r.Keyring().Key("2025-11")
	require.NoError(t, err)
	assert.Equal(t, bytes.Repeat([]byte{3}, 32), old.Secret)

	// The codec encrypts with the current key, and a ring that holds only
	// the older key cannot read it.
	codec, err := r.Codec()
	require.NoError(t, err)
	enc, err := codec.Encode([]*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"Bob Johnson"`)}})
	require.NoError(t, err)
	assert.Equal(t, "2026-05", string(enc[0].Metadata["encryption-key-id"]))
	older, err := keys.Parse("2025-11=" + secret(3))
	require.NoError(t, err)
	olderCodec, err := older.Codec()
	require.NoError(t, err)
	_, err = olderCodec.Decode(enc)
	assert.ErrorIs(t, err, encryption.ErrUnknownKey)
	dec, err := codec.Decode(enc)
	require.NoError(t, err)
	assert.Equal(t, `"Bob Johnson"`, string(dec[0].Data))

	one, err := keys.Parse("k=" + secret(1))
	require.NoError(t, err)
	assert.Equal(t, `current key "k"`, one.String())
}

// TestKeysParseErrors checks that each malformed line is refused with a
// message that says what is wrong and where, and holds no secret.
func TestKeysParseErrors(t *testing.T) {
	good := secret(9)
	short := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 16))
	urlSafe := base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)) // holds - and _
	for _, c := range []struct {
		name, line, want string
		secrets          []string // must not appear in the error
	}{
		{"empty", "", "no keys: want id=BASE64SECRET", nil},
		{"blank", " \n ", "no keys:", nil},
		{"trailing comma", "k1=" + good + ",", "entry 2 of 2: empty: want id=BASE64SECRET (is there a comma too many?)", []string{good}},
		{"no equals", "k1" + strings.TrimRight(good, "="), `entry 1 of 1: no "=": want id=BASE64SECRET`, []string{good}},
		{"no id", "=" + good, `entry 1 of 1: no key ID before the "="`, []string{good}},
		{"secret alone", good, `entry 1 of 1: no secret after the first "=": want id=BASE64SECRET (a secret without its ID?)`, []string{good, good[:40]}},
		{"secret alone, second", "k1=" + good + "," + secret(8), `entry 2 of 2: no secret after the first "="`, []string{good, secret(8)[:40]}},
		{"no secret", "k1=", `entry 1 of 1: no secret after the first "="`, nil},
		{"id with space", "my key=" + good, "entry 1 of 1: the key ID is not 1 to 64 bytes of printable ASCII", []string{good}},
		{"id too long", strings.Repeat("k", 65) + "=" + good, "entry 1 of 1: the key ID is not 1 to 64 bytes", []string{good}},
		{"not base64", "k1=" + good[:20] + "!!" + good[22:], `entry 1 of 1: key "k1": the secret is not standard base64`, []string{good[:20], good[22:]}},
		{"url-safe", "k1=" + urlSafe, `key "k1": the secret is not standard base64 (it is URL-safe base64: use the standard alphabet, with + and /)`, []string{urlSafe}},
		{"unpadded", "k1=" + strings.TrimRight(good, "="), `key "k1": the secret is not standard base64 (its "=" padding is missing)`, []string{good[:40]}},
		{"two keys run together", "k1=" + good + " k2=" + secret(8), `key "k1": the secret is not standard base64`, []string{good, secret(8)}},
		{"too short", "k1=" + short, `entry 1 of 1: key "k1": the secret is 16 bytes, want 32 (AES-256)`, []string{short}},
		{"twice", "k1=" + good + ",k1=" + secret(8), `key ID "k1" is given twice`, []string{good, secret(8)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := keys.Parse(c.line)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			for _, s := range c.secrets {
				assert.NotContains(t, err.Error(), s)
			}
		})
	}
}

// TestKeysGenerate makes key entries that Parse reads, each with a secret
// of its own, and refuses an ID that a key line cannot hold.
func TestKeysGenerate(t *testing.T) {
	a, err := keys.Generate("2026-05")
	require.NoError(t, err)
	b, err := keys.Generate("2025-11")
	require.NoError(t, err)
	assert.Regexp(t, `^2026-05=[A-Za-z0-9+/]{43}=$`, a)
	assert.NotEqual(t, a[len("2026-05="):], b[len("2025-11="):], "two keys, one secret")
	r, err := keys.Parse(a + "," + b)
	require.NoError(t, err)
	assert.Equal(t, []string{"2026-05", "2025-11"}, r.IDs())

	for _, id := range []string{"", "a b", "a=b", "a,b", strings.Repeat("x", 65), "é"} {
		_, err := keys.Generate(id)
		assert.Error(t, err, "id %q", id)
	}
}

// TestKeysFlag reads the keys from the flag, else from the environment,
// says which in its errors, and never shows them in usage.
func TestKeysFlag(t *testing.T) {
	line, err := keys.Generate("env-key")
	require.NoError(t, err)
	t.Setenv(keys.EnvVar, line)

	newFlag := func(args ...string) (*keys.Flag, string) {
		fs := flag.NewFlagSet("prog", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var f keys.Flag
		f.Register(fs, "keys")
		require.NoError(t, fs.Parse(args))
		var usage strings.Builder
		fs.SetOutput(&usage)
		fs.PrintDefaults()
		return &f, usage.String()
	}

	// The environment, when no flag is given.
	f, usage := newFlag()
	assert.Equal(t, "$"+keys.EnvVar, f.Source())
	r, err := f.Load()
	require.NoError(t, err)
	assert.Equal(t, []string{"env-key"}, r.IDs())
	assert.Contains(t, usage, "(default $ORDERFLOW_ENCRYPTION_KEYS)")
	assert.NotContains(t, usage, line[len("env-key="):])

	// The flag wins over the environment.
	flagLine, err := keys.Generate("flag-key")
	require.NoError(t, err)
	f, usage = newFlag("-keys", flagLine)
	assert.Equal(t, "-keys", f.Source())
	r, err = f.Load()
	require.NoError(t, err)
	assert.Equal(t, []string{"flag-key"}, r.IDs())
	assert.NotContains(t, usage, flagLine[len("flag-key="):])

	// Errors name the source, and hold no secret.
	f, _ = newFlag("-keys", "k="+secret(1)[:20]+"*")
	_, err = f.Load()
	assert.ErrorContains(t, err, `-keys: entry 1 of 1: key "k": the secret is not standard base64`)
	assert.NotContains(t, err.Error(), secret(1)[:20])
	t.Setenv(keys.EnvVar, secret(2))
	f, _ = newFlag()
	_, err = f.Load()
	assert.ErrorContains(t, err, `$ORDERFLOW_ENCRYPTION_KEYS: entry 1 of 1: no secret after the first "="`)
	assert.NotContains(t, err.Error(), secret(2)[:40])

	// Neither: no keys, no error.
	t.Setenv(keys.EnvVar, "")
	f, _ = newFlag()
	assert.Equal(t, "", f.Source())
	r, err = f.Load()
	assert.NoError(t, err)
	assert.Nil(t, r)
}
