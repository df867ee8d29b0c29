package party

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/partyfinder/partyfinder/shared/fold"
)

// comma is the word that words gives for a comma of the text, so that an
// address can be read part by part; titles and venues compare without it.
const comma = ","

// words turns a title, venue or address into the words that tell it apart,
// so that the spellings organizers actually use compare equal:
//
//   - case and accents fold away (shared/fold: "KölnMesse" is "kolnmesse"),
//     and so do the German transliterations ae, oe, ue ("Koeln" is "koln"),
//     on both sides alike, as analytics.VenueKey does;
//   - punctuation separates words ("KölnMesse, Halle 7"; commas are kept as
//     the word comma), except the apostrophe, which is dropped ("HERBRAND's"
//     is "herbrands"), and a point inside a number ("Hall 10.2" is not
//     "Hall 10 2");
//   - "Cologne" is "Köln": the English and German names of one city, and
//     the conference's city is in many venue names and titles;
//   - "Hall" is "Halle", and "Straße", "Strasse", "Str." end a street word
//     that is split off ("Herbrandstr." and "Herbrand Straße" are both
//     "herbrand strasse"). Other abbreviations ("St." is also "Saint",
//     "Pl.", "Ring") are left alone: they are rare in our data, and a wrong
//     expansion would make different places equal;
//   - "the", "and", "und", "&", "at" and "@" are dropped: submitters add and
//     drop them freely ("Drinks @ Gamescom", "Drinks at Gamescom") and they
//     name nothing. No other word is dropped: even "party" or "mixer" tells
//     two titles apart.
func words(s string) []string {
	if s == "" {
		return nil
	}
	// One pass writes the words, space-separated, into one buffer, and one
	// string of it is cut into the words: two allocations, not one a word.
	// Plain ASCII text needs no fold.String: lower-casing it here is the same.
	f := s
	if !ascii(s) {
		f = fold.String(s)
	}
	b := make([]byte, 0, len(f)+1)
	n := 0 // words and commas written
	word := false
	sep := func() {
		if word {
			b = append(b, ' ')
			word = false
		}
	}
	for i := 0; i < len(f); {
		r, size := rune(f[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(f[i:])
		} else if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		switch {
		case r == 'e' && word && (b[len(b)-1] == 'a' || b[len(b)-1] == 'o' || b[len(b)-1] == 'u'):
			// ae, oe, ue: the transliterated umlaut, folded like ä, ö, ü
		case r < utf8.RuneSelf && (isDigit(byte(r)) || 'a' <= r && r <= 'z'),
			r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if !word {
				n++
			}
			b = utf8.AppendRune(b, r)
			word = true
		case r == '\'' || r == '’' || r == 'ʼ' || r == '`' || r == '´':
		case r == '.' && word && isDigit(b[len(b)-1]) && i+1 < len(f) && isDigit(f[i+1]):
			b = append(b, '.')
		case r == ',':
			sep()
			b = append(b, ',', ' ')
			n++
		default:
			sep()
		}
		i += size
	}
	all := string(b)
	out := make([]string, 0, n+2) // a street word may split in two
	for i := 0; i < len(all); i++ {
		j := i
		for j < len(all) && all[j] != ' ' {
			j++
		}
		w := all[i:j]
		i = j
		switch w {
		case "", "the", "and", "und", "at":
			continue
		case "cologne":
			w = "koln"
		case "hall":
			w = "halle"
		case "str", "strasse":
			w = "strasse"
		default:
			if stem, ok := streetStem(w); ok {
				out = append(out, stem, "strasse")
				continue
			}
		}
		out = append(out, w)
	}
	return out
}

// streetStem splits "herbrandstrasse" or "herbrandstr" into "herbrand".
// No German or English word but a street name ends in "str", and "strasse"
// is only ever a street.
func streetStem(w string) (string, bool) {
	for _, suffix := range [...]string{"strasse", "str"} {
		if stem, ok := strings.CutSuffix(w, suffix); ok && len(stem) >= 2 {
			return stem, true
		}
	}
	return "", false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func hasDigit(w string) bool {
	for i := 0; i < len(w); i++ {
		if isDigit(w[i]) {
			return true
		}
	}
	return false
}

// firstPart returns the words before the first comma.
func firstPart(ws []string) []string {
	if i := slices.Index(ws, comma); i >= 0 {
		return ws[:i]
	}
	return ws
}

// withoutCommas returns ws without the comma words, ws itself when it has none.
func withoutCommas(ws []string) []string {
	if !slices.Contains(ws, comma) {
		return ws
	}
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		if w != comma {
			out = append(out, w)
		}
	}
	return out
}

// streetOf returns the street with its house number from the words of an
// address ("Herbrandstraße 21, 50825 Köln, Germany" gives herbrand strasse
// 21): the words of the first comma-separated part that has a number after
// a word, up to that number. The postcode, city and country are left out
// because half the parties of a conference share them, and the rest after
// the number (a second number, "Gebäude 3.12", a booth) is left out because
// one submitter gives it and another does not. Nil when the address has no
// street with a number: then only the venue is compared.
func streetOf(ws []string) []string {
	part := 0 // where the current comma-separated part starts
	for i, w := range ws {
		switch {
		case w == comma:
			part = i + 1
		case i > part && hasDigit(w) && !hasDigit(ws[i-1]):
			return ws[part : i+1]
		}
	}
	return nil
}
