package orderflow

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Validation reads two Unicode properties, White_Space and the format
// characters (Cf), from these copies of Unicode 15.0.0's tables rather than
// from package unicode, which follows the Unicode version of the Go release
// that builds the worker. Validation runs again whenever an order of
// workflow version 3 replays (its plan is not recorded), and a decision
// signal's reason is checked again on replay: a Go upgrade that moved a
// character into Cf would otherwise change the outcome of a running order.
// Control characters (Cc) are fixed by Unicode's stability policy, so
// unicode.IsControl is used as it is. The tables only change with a new
// workflow version.
const frozenUnicodeVersion = "15.0.0"

var whiteSpace15 = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x0009, Hi: 0x000d, Stride: 1},
		{Lo: 0x0020, Hi: 0x0085, Stride: 101},
		{Lo: 0x00a0, Hi: 0x1680, Stride: 5600},
		{Lo: 0x2000, Hi: 0x200a, Stride: 1},
		{Lo: 0x2028, Hi: 0x2029, Stride: 1},
		{Lo: 0x202f, Hi: 0x205f, Stride: 48},
		{Lo: 0x3000, Hi: 0x3000, Stride: 1},
	},
	LatinOffset: 2,
}

var format15 = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x00ad, Hi: 0x0600, Stride: 1363},
		{Lo: 0x0601, Hi: 0x0605, Stride: 1},
		{Lo: 0x061c, Hi: 0x06dd, Stride: 193},
		{Lo: 0x070f, Hi: 0x0890, Stride: 385},
		{Lo: 0x0891, Hi: 0x08e2, Stride: 81},
		{Lo: 0x180e, Hi: 0x200b, Stride: 2045},
		{Lo: 0x200c, Hi: 0x200f, Stride: 1},
		{Lo: 0x202a, Hi: 0x202e, Stride: 1},
		{Lo: 0x2060, Hi: 0x2064, Stride: 1},
		{Lo: 0x2066, Hi: 0x206f, Stride: 1},
		{Lo: 0xfeff, Hi: 0xfff9, Stride: 250},
		{Lo: 0xfffa, Hi: 0xfffb, Stride: 1},
	},
	R32: []unicode.Range32{
		{Lo: 0x110bd, Hi: 0x110cd, Stride: 16},
		{Lo: 0x13430, Hi: 0x1343f, Stride: 1},
		{Lo: 0x1bca0, Hi: 0x1bca3, Stride: 1},
		{Lo: 0x1d173, Hi: 0x1d17a, Stride: 1},
		{Lo: 0xe0001, Hi: 0xe0020, Stride: 31},
		{Lo: 0xe0021, Hi: 0xe007f, Stride: 1},
	},
}

// isSpace is unicode.IsSpace at Unicode 15.0.0.
func isSpace(r rune) bool { return unicode.Is(whiteSpace15, r) }

// isFormat is unicode.Is(unicode.Cf, r) at Unicode 15.0.0.
func isFormat(r rune) bool { return unicode.Is(format15, r) }

// trimSpace is strings.TrimSpace at Unicode 15.0.0.
func trimSpace(s string) string { return strings.TrimFunc(s, isSpace) }

// asciiUpper upper-cases the ASCII letters of s only, as the Unicode case
// mappings of strings.ToUpper may change between Go releases.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// validAddrSpec reports whether s is a plain address, local@domain, as
// net/mail.ParseAddress read one in Go 1.26 when it returned s itself, with
// no display name, comment or quoting: both parts dot-atoms of RFC 5322
// atext (ASCII letters, digits and !#$%&'*+-/=?^_`{|}~, and any non-ASCII
// character, RFC 6532), without a leading, trailing or double dot. It does
// not accept domain literals ([192.0.2.1]), which net/mail did. The check
// is written out so that it cannot change with the Go release.
func validAddrSpec(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && dotAtom(local) && dotAtom(domain)
}

// dotAtom reports whether s is an RFC 5322 dot-atom (RFC 6532 atext).
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !atext(r) {
			return false
		}
	}
	return true
}

// atext reports whether r is RFC 5322 atext, a dot, or non-ASCII.
func atext(r rune) bool {
	switch {
	case r >= 0x80:
		return true
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '.':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}
