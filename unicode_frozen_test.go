package orderflow

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/mail"
	"strings"
	"testing"
	"unicode"
)

// frozenFingerprint lists the code points a table holds: their number and
// an FNV-1a hash of them.
func frozenFingerprint(in func(rune) bool) (n int, sum uint64) {
	h := fnv.New64a()
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if in(r) {
			n++
			_, _ = fmt.Fprintf(h, "%x,", r)
		}
	}
	return n, h.Sum64()
}

// The frozen tables never change, whatever Go release runs the test: an
// edit to them changes the plans of running orders.
func TestFrozenUnicodeTablesDoNotChange(t *testing.T) {
	n, sum := frozenFingerprint(isSpace)
	if n != 25 || sum != frozenSpaceSum {
		t.Fatalf("white space: %d code points, hash %#x; want 25, %#x", n, sum, uint64(frozenSpaceSum))
	}
	n, sum = frozenFingerprint(isFormat)
	if n != frozenFormatCount || sum != frozenFormatSum {
		t.Fatalf("format characters: %d code points, hash %#x; want %d, %#x", n, sum, frozenFormatCount, uint64(frozenFormatSum))
	}
}

// The frozen tables are copies of Unicode 15.0.0's: checked rune by rune
// while Go's Unicode is that version. Once a Go release moves on, the test
// lists what changed, for a later workflow version to consider.
func TestFrozenUnicodeTablesAreUnicode15(t *testing.T) {
	var diffs []rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if isSpace(r) != unicode.IsSpace(r) || isFormat(r) != unicode.Is(unicode.Cf, r) {
			diffs = append(diffs, r)
		}
	}
	if unicode.Version != frozenUnicodeVersion {
		t.Logf("Go's Unicode is %s; the frozen tables (%s) differ at %d code points: %U",
			unicode.Version, frozenUnicodeVersion, len(diffs), diffs)
		return
	}
	if len(diffs) > 0 {
		t.Fatalf("the frozen tables differ from Unicode %s at %U", frozenUnicodeVersion, diffs)
	}
}

const (
	frozenSpaceSum    = 0xb0bd3856eca1ec22
	frozenFormatCount = 170
	frozenFormatSum   = 0x8dc8ac505a348a95
)

// netMailPlain is the email rule before validAddrSpec: net/mail reads s as
// an address without display name, and gives back s itself.
func netMailPlain(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// validAddrSpec accepts what net/mail accepted, but domain literals, which
// it refuses on purpose.
func TestValidAddrSpecMatchesNetMail(t *testing.T) {
	pieces := []string{"a", "Z", "0", ".", "..", "@", "@@", "-", "_", "+", "!", "#", "$", "%", "&", "'", "*", "/", "=",
		"?", "^", "`", "{", "|", "}", "~", "\"", "(", ")", "<", ">", "[", "]", ":", ";", ",", "\\", " ", "\t", "é", "ü",
		"注", "\u00a0", "\u200b", "\x00", "\x7f", "\xff", "example", "com", "alice", "\r\n", "=?utf-8?q?x?="}
	rng := rand.New(rand.NewPCG(5, 322))
	checked, accepted := 0, 0
	check := func(s string) {
		if strings.Contains(s, "[") {
			return
		}
		checked++
		want := netMailPlain(s)
		if got := validAddrSpec(s); got != want {
			t.Fatalf("validAddrSpec(%q) = %v, net/mail says %v", s, got, want)
		}
		if want {
			accepted++
		}
	}
	for _, s := range []string{"alice@example.com", "a@b", "a.b@c.d", ".a@b.c", "a.@b.c", "a..b@c.d", "a@b..c", "a@.b", "a@b.",
		"\"a\"@b.c", "a@b@c", "@b.c", "a@", "ünïcode@exämple.com", "a(b)@c.d", "a@c.d (x)", "<a@b.c>", "A <a@b.c>"} {
		check(s)
	}
	for range 300_000 {
		var b strings.Builder
		for range 1 + rng.IntN(8) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		check(b.String())
		// And shaped like an address, which random strings rarely are.
		local, domain := b.String(), pieces[rng.IntN(len(pieces))]+"."+pieces[rng.IntN(len(pieces))]
		check(local + "@" + domain)
	}
	if accepted < 1000 {
		t.Fatalf("only %d of %d strings were addresses: the comparison proves little", accepted, checked)
	}
	t.Logf("%d strings compared, %d addresses", checked, accepted)
}

func FuzzValidAddrSpecMatchesNetMail(f *testing.F) {
	for _, s := range []string{"alice@example.com", "a.b@c", "\"x\"@y.z", "a@b..c", "é@ü.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "[") {
			return
		}
		if got, want := validAddrSpec(s), netMailPlain(s); got != want {
			t.Fatalf("validAddrSpec(%q) = %v, net/mail says %v", s, got, want)
		}
	})
}
