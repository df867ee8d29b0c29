package frab

import "unicode/utf8"

// text is what the escapers take: strings from parties, or bytes composed in
// a scratch buffer.
type text interface{ ~string | ~[]byte }

const replacement = "\uFFFD"

// decode returns the rune at s[i:] (i at a byte >= 0x80) and its size; an
// invalid encoding gives RuneError and size 1.
func decode[T text](s T, i int) (rune, int) {
	// At most four bytes are converted, which needs no allocation.
	return utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
}

// appendXML appends s escaped as XML character data, or as an attribute
// value (between double quotes) when attr is set. What XML 1.0 cannot hold
// at all (control characters but tab, line feed and carriage return, the
// non-characters U+FFFE and U+FFFF, invalid UTF-8) becomes U+FFFD; Partyfinder
// refuses control characters on input, so this only guards the output.
// A carriage return is written as a character reference, which parsers keep
// (a raw one would be turned into a line feed); in attributes, tab and line
// feed are too, as attribute normalization would turn them into spaces.
func appendXML[T text](b []byte, s T, attr bool) []byte {
	safe := &xmlTextSafe
	if attr {
		safe = &xmlAttrSafe
	}
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if safe[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := decode(s, i)
			if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
				b = append(b, s[last:i]...)
				b = append(b, replacement...)
				last = i + size
			}
			i += size
			continue
		}
		var rep string
		switch c {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		case '\r':
			rep = "&#xD;"
		case '\n':
			rep = "&#xA;"
		case '\t':
			rep = "&#x9;"
		default:
			rep = replacement
		}
		b = append(b, s[last:i]...)
		b = append(b, rep...)
		i++
		last = i
	}
	return append(b, s[last:]...)
}

// xmlTextSafe and xmlAttrSafe mark the bytes written as they are in XML
// text and attribute values: ASCII but control characters and markup.
var xmlTextSafe, xmlAttrSafe = func() (text, attr [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		text[c] = c != '&' && c != '<' && c != '>'
		attr[c] = text[c] && c != '"'
	}
	text['\n'], text['\t'] = true, true
	return text, attr
}()

const hexDigits = "0123456789abcdef"

// appendJSON appends s as a JSON string, quotes included. Line feeds,
// carriage returns and tabs are escaped; what appendXML replaces with U+FFFD
// (other control characters, U+FFFE, U+FFFF, invalid UTF-8) is replaced here
// too; U+2028 and U+2029 are escaped as encoding/json does (JavaScript
// string literals cannot hold them raw). HTML characters are left alone:
// this is not embedded in HTML.
func appendJSON[T text](b []byte, s T) []byte {
	b = append(b, '"')
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jsonSafe[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := decode(s, i)
			switch {
			case r == utf8.RuneError && size == 1, r == 0xFFFE, r == 0xFFFF:
				b = append(b, s[last:i]...)
				b = append(b, replacement...)
				last = i + size
			case r == '\u2028' || r == '\u2029':
				b = append(b, s[last:i]...)
				b = append(b, `\u202`...)
				b = append(b, hexDigits[r&0xf])
				last = i + size
			}
			i += size
			continue
		}
		b = append(b, s[last:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			// What XML cannot hold is U+FFFD here too, so that both
			// encodings of a document say the same.
			b = append(b, replacement...)
		}
		i++
		last = i
	}
	b = append(b, s[last:]...)
	return append(b, '"')
}

// jsonSafe marks the bytes written as they are in a JSON string.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
