package importer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// stripControls removes control characters from an imported cell, so that
// none is stored or served: terminal escape sequences (ESC [ … m colours,
// ESC ] … BEL window titles and links, device control strings) go whole,
// not just their ESC, and so do their 8-bit (C1) forms; any other C0 or
// C1 control and DEL goes alone. Line breaks are kept as "\n" (CR LF, CR,
// vertical tab, form feed and NEL become one) and tabs as they are: a
// description keeps its lines, and party.CleanText folds both into spaces
// in every other field. It returns the cleaned text and how many
// sequences and characters it removed; line breaks are not counted.
func stripControls(s string) (string, int) {
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
		return s, 0
	}
	var b strings.Builder
	b.Grow(len(s))
	removed := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == '\r':
			b.WriteByte('\n')
			if strings.HasPrefix(s[i+size:], "\n") {
				size++
			}
		case r == '\v' || r == '\f' || r == '\u0085':
			b.WriteByte('\n')
		case r == '\x1b':
			size += escapeLen(s[i+size:])
			removed++
		case r == '\u009b': // CSI
			size += csiLen(s[i+size:])
			removed++
		case r == '\u0090' || r == '\u0098' || r == '\u009d' || r == '\u009e' || r == '\u009f': // DCS, SOS, OSC, PM, APC
			size += controlStringLen(s[i+size:])
			removed++
		case unicode.IsControl(r):
			removed++
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String(), removed
}

// escapeLen returns the length of the rest of an escape sequence after its
// ESC (ECMA-48): a control sequence, a control string, or intermediates
// and one final character.
func escapeLen(s string) int {
	if s == "" {
		return 0
	}
	switch c := s[0]; {
	case c == '[':
		return 1 + csiLen(s[1:])
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		return 1 + controlStringLen(s[1:])
	case c >= 0x20 && c <= 0x2f: // intermediates, then the final character
		n := 0
		for n < len(s) && s[n] >= 0x20 && s[n] <= 0x2f {
			n++
		}
		if n < len(s) && s[n] >= 0x30 && s[n] <= 0x7e {
			n++
		}
		return n
	case c >= 0x30 && c <= 0x7e:
		return 1
	}
	return 0 // a lone ESC
}

// csiLen returns the length of a control sequence's parameters,
// intermediates and final character; it stops at anything else.
func csiLen(s string) int {
	n := 0
	for n < len(s) && s[n] >= 0x30 && s[n] <= 0x3f {
		n++
	}
	for n < len(s) && s[n] >= 0x20 && s[n] <= 0x2f {
		n++
	}
	if n < len(s) && s[n] >= 0x40 && s[n] <= 0x7e {
		n++
	}
	return n
}

// controlStringLen returns the length of a control string's text and its
// terminator: BEL, ESC \ or ST. An unterminated one runs to the end of the
// cell, as it would swallow what follows in a terminal.
func controlStringLen(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\a' || r == '\u009c':
			return i + size
		case r == '\x1b':
			if strings.HasPrefix(s[i+1:], "\\") {
				return i + 2
			}
			return i // another sequence starts: this one ends here
		}
		i += size
	}
	return len(s)
}
