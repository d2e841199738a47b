// Package keys reads the encryption keys of the example programs (package
// github.com/orderflow/orderflow/encryption) from a flag or from the
// environment variable ORDERFLOW_ENCRYPTION_KEYS, written as one line:
//
//	2026-05=BASE64SECRET,2025-11=BASE64SECRET
//
// Each entry is a key ID, "=", and the key's 32-byte secret in standard
// base64 (with + and /, padded with =). The first entry is the current key,
// which encrypts; every entry decrypts. Spaces and newlines around entries
// are ignored. `Generate("2026-05")` makes an entry with a random secret;
// from a shell, `echo "2026-05=$(head -c 32 /dev/urandom | base64)"`.
//
// Errors name the entry by its position, and the key ID once the entry is
// well formed, and never hold a secret, nor text that could be one.
package keys

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/orderflow/orderflow/encryption"
)

// EnvVar is the environment variable that holds the keys when no flag
// gives them.
const EnvVar = "ORDERFLOW_ENCRYPTION_KEYS"

// secretSize is the length of an AES-256 secret.
const secretSize = 32

// maxIDLen is the longest key ID the encryption package accepts.
const maxIDLen = 64

// Ring is a parsed set of keys. Printed, it shows the key IDs only.
type Ring struct {
	keyring encryption.Keyring
	ids     []string
}

// Parse reads keys written as "id2=BASE64SECRET,id1=BASE64SECRET", the first
// one current. It refuses an empty line, an entry that is not id=secret, a
// secret that is not standard base64 of 32 bytes, an invalid key ID (1 to 64
// bytes of printable ASCII without spaces, "=" or ",") and an ID given
// twice. Its errors hold no secret.
func Parse(s string) (*Ring, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no keys: want id=BASE64SECRET[,id=BASE64SECRET…], the first one current")
	}
	entries := strings.Split(s, ",")
	var all []encryption.Key
	var ids []string
	for i, entry := range entries {
		k, err := parseEntry(strings.TrimSpace(entry))
		if err != nil {
			return nil, fmt.Errorf("entry %d of %d: %w", i+1, len(entries), err)
		}
		all = append(all, k)
		ids = append(ids, k.ID)
	}
	ring, err := encryption.Keys(all[0], all[1:]...)
	if err != nil {
		// encryption.Keys names keys by ID, never by secret.
		return nil, err
	}
	return &Ring{keyring: ring, ids: ids}, nil
}

// parseEntry reads one "id=BASE64SECRET". Until the ID is known to be an ID
// and a secret follows it, the message quotes nothing of the entry: a secret
// given without its ID splits at its own "=" padding.
func parseEntry(entry string) (encryption.Key, error) {
	if entry == "" {
		return encryption.Key{}, errors.New("empty: want id=BASE64SECRET (is there a comma too many?)")
	}
	id, secret, ok := strings.Cut(entry, "=")
	if !ok {
		return encryption.Key{}, errors.New("no \"=\": want id=BASE64SECRET")
	}
	id, secret = strings.TrimSpace(id), strings.TrimSpace(secret)
	switch {
	case id == "":
		return encryption.Key{}, errors.New("no key ID before the \"=\": want id=BASE64SECRET")
	case secret == "" || strings.Trim(secret, "=") == "":
		return encryption.Key{}, errors.New("no secret after the first \"=\": want id=BASE64SECRET (a secret without its ID?)")
	case !validID(id):
		return encryption.Key{}, fmt.Errorf("the key ID is not 1 to %d bytes of printable ASCII without spaces, \"=\" or \",\"", maxIDLen)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(secret)
	if err != nil {
		hint := ""
		switch {
		case isBase64(base64.RawStdEncoding, secret):
			hint = " (its \"=\" padding is missing)"
		case isBase64(base64.URLEncoding, secret) || isBase64(base64.RawURLEncoding, secret):
			hint = " (it is URL-safe base64: use the standard alphabet, with + and /)"
		}
		return encryption.Key{}, fmt.Errorf("key %q: the secret is not standard base64%s", id, hint)
	}
	if len(b) != secretSize {
		return encryption.Key{}, fmt.Errorf("key %q: the secret is %d bytes, want %d (AES-256)", id, len(b), secretSize)
	}
	return encryption.Key{ID: id, Secret: b}, nil
}

// isBase64 reports whether s decodes with enc.
func isBase64(enc *base64.Encoding, s string) bool {
	_, err := enc.Strict().DecodeString(s)
	return err == nil
}

// validID reports whether id can be a key ID in a key line.
func validID(id string) bool {
	if len(id) == 0 || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' || c == '=' || c == ',' {
			return false
		}
	}
	return true
}

// Keyring returns the keys as an encryption.Keyring.
func (r *Ring) Keyring() encryption.Keyring { return r.keyring }

// IDs returns the key IDs, the current one first.
func (r *Ring) IDs() []string { return append([]string(nil), r.ids...) }

// Codec returns an encryption codec over the keys.
func (r *Ring) Codec() (*encryption.Codec, error) { return encryption.NewCodec(r.keyring) }

// String describes the keys by their IDs: `current key "2026-05", older
// "2025-11"`.
func (r *Ring) String() string {
	s := fmt.Sprintf("current key %q", r.ids[0])
	if len(r.ids) > 1 {
		s += ", older"
		for i, id := range r.ids[1:] {
			if i > 0 {
				s += ","
			}
			s += fmt.Sprintf(" %q", id)
		}
	}
	return s
}

// GoString keeps %#v from showing the secrets.
func (r *Ring) GoString() string { return "keys.Ring{" + r.String() + "}" }

// Generate returns a key entry "id=BASE64SECRET" with a new random 32-byte
// secret, for a key line. It fails if id cannot be a key ID.
func Generate(id string) (string, error) {
	if !validID(id) {
		return "", fmt.Errorf("key ID %q: want 1 to %d bytes of printable ASCII without spaces, \"=\" or \",\"", id, maxIDLen)
	}
	secret := make([]byte, secretSize)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails
	return id + "=" + base64.StdEncoding.EncodeToString(secret), nil
}

// Flag is a program's -keys flag: a key line, or, when the flag is not
// given (or is empty), $ORDERFLOW_ENCRYPTION_KEYS. Its value is never
// printed, neither in usage nor in errors.
type Flag struct {
	name  string
	value string
}

// Register adds the flag name (such as "keys") to fs.
func (f *Flag) Register(fs *flag.FlagSet, name string) {
	f.name = name
	fs.Var(f, name, "encryption keys, each `id=BASE64SECRET` (32 bytes), comma-separated, the first one current (default $"+EnvVar+")")
}

// String returns "" so that usage never shows a key; it implements
// flag.Value.
func (f *Flag) String() string { return "" }

// Set implements flag.Value.
func (f *Flag) Set(s string) error {
	f.value = s
	return nil
}

// Source says where the keys come from: "-keys", "$ORDERFLOW_ENCRYPTION_KEYS",
// or "" when neither gives any.
func (f *Flag) Source() string {
	switch {
	case strings.TrimSpace(f.value) != "":
		return "-" + f.name
	case strings.TrimSpace(os.Getenv(EnvVar)) != "":
		return "$" + EnvVar
	}
	return ""
}

// Load parses the keys of the flag, else of $ORDERFLOW_ENCRYPTION_KEYS. It
// returns nil and no error when neither gives any; its errors say which one
// was read.
func (f *Flag) Load() (*Ring, error) {
	src := f.Source()
	text := f.value
	switch src {
	case "":
		return nil, nil
	case "$" + EnvVar:
		text = os.Getenv(EnvVar)
	}
	r, err := Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return r, nil
}
