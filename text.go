package orderflow

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

func isSpace(r rune) bool { return unicode.IsSpace(r) }

// isFormat reports an invisible format character (Unicode Cf).
func isFormat(r rune) bool { return unicode.Is(unicode.Cf, r) }

func trimSpace(s string) string { return strings.TrimSpace(s) }

// asciiUpper upper-cases the ASCII letters of s only: currency codes.
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
// not accept domain literals ([192.0.2.1]), which net/mail did.
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
