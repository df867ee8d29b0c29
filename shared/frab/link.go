package frab

import (
	"strings"

	"github.com/partyfinder/partyfinder/shared/party"
)

// safeLink returns s, an absolute http(s) URL with a host and no user
// information, as a valid URI: what a URI may not hold raw (spaces, quotes,
// angle brackets, non-ASCII) is percent-encoded. It returns "" when s is no
// such URL. Links that are plainly fine, which is nearly all, are returned
// as they are without parsing.
func safeLink(s string) string {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(s, "http://")
	}
	if ok && rest != "" && rest[0] != '/' && plainURI(rest) {
		return s
	}
	if !party.ValidLink(s) {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; unsafeInURI(c) {
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&0xf])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

const upperHex = "0123456789ABCDEF"

// unsafeInURI reports whether c may not appear raw in a URI.
func unsafeInURI(c byte) bool { return notInURI[c] }

var notInURI = func() (t [256]bool) {
	for c := range t {
		t[c] = c <= ' ' || c >= 0x7f || strings.IndexByte("\"<>\\^`{|}", byte(c)) >= 0
	}
	return t
}()

// plainURI reports whether s holds only characters a URI may hold raw, and
// nothing that needs a closer look (user information, percent escapes,
// fragments).
func plainURI(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; unsafeInURI(c) || c == '@' || c == '%' || c == '#' {
			return false
		}
	}
	return true
}
