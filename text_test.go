package orderflow

import (
	"math/rand/v2"
	"net/mail"
	"strings"
	"testing"
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
