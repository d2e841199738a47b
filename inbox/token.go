package inbox

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// The listings' page links carry Client.ListOrders' page token, signed by
// the inbox. A token is a cursor the order service trusts: the one of the
// oldest-first listing holds an instant, and one edited to say year 1 made
// the Client bisect two thousand years with 56 count queries (3.6 s) for a
// single page. Signed, an edited token is refused before the order service
// is asked anything.

// minPageKey is the shortest Options.PageKey New accepts.
const minPageKey = 32

// tokenSigner signs and checks page tokens with a key.
type tokenSigner struct{ key []byte }

func newTokenSigner(key []byte) tokenSigner {
	if key == nil {
		key = make([]byte, minPageKey)
		rand.Read(key) // never fails; see crypto/rand.Read
	}
	return tokenSigner{key: key}
}

// tokenTag is the length of a token's signature, in bytes: 128 bits.
const tokenTag = 16

func (s tokenSigner) mac(token string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(token))
	return m.Sum(nil)[:tokenTag]
}

// sign returns token with its signature appended, "" for "".
func (s tokenSigner) sign(token string) string {
	if token == "" {
		return ""
	}
	return token + "." + base64.RawURLEncoding.EncodeToString(s.mac(token))
}

// open returns the token that signed was made of, and false when signed is
// not one that sign returned with this key. "" opens to "".
func (s tokenSigner) open(signed string) (string, bool) {
	if signed == "" {
		return "", true
	}
	i := strings.LastIndexByte(signed, '.')
	if i < 0 {
		return "", false
	}
	tag, err := base64.RawURLEncoding.DecodeString(signed[i+1:])
	if err != nil || !hmac.Equal(tag, s.mac(signed[:i])) {
		return "", false
	}
	return signed[:i], true
}
