package party

import (
	"cmp"
	"math/bits"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/partyfinder/partyfinder/shared/fold"
)

// Match is an existing party that a submitted one likely repeats.
type Match struct {
	Party Party
	// Similarity ranks the matches, from 0 (nothing alike) to 1 (the same
	// title, place and start): half of it is the title's similarity, three
	// tenths the place's (venue or street, whichever is closer) and one fifth
	// how close the starts are within the window; when the places cannot be
	// compared, the title and the time share it 5:2. It orders the list;
	// whether a party is listed at all is decided by the rule in Duplicates.
	Similarity float64
	// Reasons say what the two parties share, from a fixed vocabulary
	// (ReasonSameTitle, ReasonSimilarVenue, ...), so clients can translate them.
	Reasons []string
}

// The reasons a Match gives. "same" means equal after normalization (case,
// accents, punctuation, abbreviations); "similar" means close enough to be a
// typo or a rewording of the other.
const (
	ReasonSameTitle      = "same title"
	ReasonSimilarTitle   = "similar title"
	ReasonSameVenue      = "same venue"
	ReasonSimilarVenue   = "similar venue"
	ReasonSameAddress    = "same address"
	ReasonSimilarAddress = "similar address"
	ReasonSameStart      = "same start"
)

const (
	// duplicateWindow is how far apart two starts may be. A double submit
	// with a corrected time is usually off by an hour or less; two parties at
	// one venue on one night usually follow each other with a longer gap (a
	// reception at 18:00, the party at 21:00), and those must not match.
	duplicateWindow = 2 * time.Hour

	// similarText is the least similarity (see textSimilarity) at which two
	// titles, venues or streets count as the same one written differently.
	// With whole words scored 1 or 0 it means:
	//   - one extra word is tolerated from three shared words on (2·3 of
	//     3+4 words is 0.86), so "Game Audio Get Together 2025" matches
	//     "Game Audio Get Together" (0.89), but two extra words are not;
	//   - one different word is tolerated only from seven words on (2·6 of
	//     7+7 is 0.86), so "devcom Developer Conference VIP Mixer" does not
	//     match "devcom Developer Conference Sunset Mixer" (0.80), nor "Day 1"
	//     its "Day 2", nor "Hall 7" "Hall 8" (numbers never match fuzzily);
	//   - one typo in a title of two words or more passes ("Pocket Gamer
	//     Pary" scores 0.96), and in a one-word title only when the word is
	//     long enough that one letter is under 15% of it ("Karaoek" 0.86,
	//     "Mixr" 0.80): a short word with a letter changed is often another word.
	similarText = 0.85

	// The weights of Match.Similarity: the title says most about which party
	// it is; the place is shared by every party of a venue; the time only
	// ranks within the window.
	titleWeight = 0.5
	placeWeight = 0.3
	timeWeight  = 0.2
)

// Duplicates returns the parties of existing that candidate likely repeats,
// most similar first, for a human to confirm before both are kept.
//
// A party is a likely duplicate when it belongs to the candidate's
// conference, starts on the same local day in loc (the conference's time
// zone; nil means UTC) within two hours of the candidate, and its title or
// its place is similar: the venue names, or the streets with house numbers
// of the addresses. Two different parties at one venue within two hours
// therefore match on the venue: that is intended, the organizer or a
// moderator decides and submits anyway.
//
// Only live parties count: drafts and pending submissions (a double submit
// is the common case, and the first copy is usually still pending) and
// published ones. Cancelled parties do not: a cancelled party does not take
// place, so a new one at its time and place replaces it rather than repeats
// it, and the organizer re-announcing a cancelled party must not be stopped
// by it. Rejected parties were never accepted and do not count either. The
// candidate's own id is skipped, so an edited party is not its own duplicate.
// A candidate without a start matches nothing.
func Duplicates(candidate Party, existing []Party, loc *time.Location) []Match {
	if loc == nil {
		loc = time.UTC
	}
	if candidate.Start.IsZero() {
		return nil
	}
	day := localDay(candidate.Start, loc)
	var c similarityText // built on the first party inside the window
	built := false
	var out []Match
	for _, p := range existing {
		if !live(p.Status) || p.ConferenceID != candidate.ConferenceID ||
			(candidate.ID != "" && p.ID == candidate.ID) || p.Start.IsZero() {
			continue
		}
		gap := p.Start.Sub(candidate.Start).Abs()
		if gap > duplicateWindow || localDay(p.Start, loc) != day {
			continue
		}
		if !built {
			c, built = newSimilarityText(candidate), true
		}
		if m, ok := c.match(newSimilarityText(p), gap); ok {
			m.Party = p
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b Match) int {
		return cmp.Or(cmp.Compare(b.Similarity, a.Similarity), Chronological(a.Party, b.Party))
	})
	return out
}

// localDay is the calendar day of t in loc, as LocalDate without formatting.
func localDay(t time.Time, loc *time.Location) [3]int {
	y, m, d := t.In(loc).Date()
	return [3]int{y, int(m), d}
}

// live reports whether parties with status s can be repeated by a new one.
// It lists the live statuses rather than the others, so that a status added
// later does not silently count.
func live(s Status) bool { return s == Draft || s == Pending || s == Published }

// similarityText is a party's text in the form Duplicates compares.
type similarityText struct {
	title, venue, street []string
}

func newSimilarityText(p Party) similarityText {
	venue, address := words(p.Venue), words(p.Address)
	street := streetOf(address)
	if street == nil {
		// Organizers sometimes type the street into the venue field.
		street = streetOf(venue)
	}
	if len(venue) == 0 {
		// Sheet imports keep "HERBRAND's, Herbrandstraße 21, 50825" whole in
		// the address and leave the venue empty: the first part of the
		// address names the venue, unless it is already the street.
		venue = firstPart(address)
		if slices.ContainsFunc(venue, hasDigit) {
			venue = nil
		}
	}
	return similarityText{title: withoutCommas(words(p.Title)), venue: withoutCommas(venue), street: street}
}

// match applies the rule's text half to two parties whose starts are gap
// apart, inside the window.
func (c similarityText) match(o similarityText, gap time.Duration) (Match, bool) {
	var m Match
	title := textSimilarity(c.title, o.title)
	venue := textSimilarity(c.venue, o.venue)
	street := textSimilarity(c.street, o.street)
	m.Reasons = appendReason(m.Reasons, title, ReasonSameTitle, ReasonSimilarTitle)
	m.Reasons = appendReason(m.Reasons, venue, ReasonSameVenue, ReasonSimilarVenue)
	m.Reasons = appendReason(m.Reasons, street, ReasonSameAddress, ReasonSimilarAddress)
	if len(m.Reasons) == 0 {
		return Match{}, false
	}
	if gap == 0 {
		m.Reasons = append(m.Reasons, ReasonSameStart)
	}
	closeness := 1 - float64(gap)/float64(duplicateWindow)
	if (len(c.venue) > 0 && len(o.venue) > 0) || (len(c.street) > 0 && len(o.street) > 0) {
		m.Similarity = titleWeight*title + placeWeight*max(venue, street) + timeWeight*closeness
	} else {
		// The places cannot be compared (one party gives none, or one a venue
		// and the other only a street): unknown is not different, so the
		// title and the time share the whole score.
		m.Similarity = (titleWeight*title + timeWeight*closeness) / (titleWeight + timeWeight)
	}
	return m, true
}

func appendReason(reasons []string, sim float64, same, similar string) []string {
	switch {
	case sim == 1:
		return append(reasons, same)
	case sim >= similarText:
		return append(reasons, similar)
	}
	return reasons
}

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

// textSimilarity compares two word lists with a soft Dice coefficient:
// twice the matched weight over the number of words on both sides, where a
// pair of equal words weighs 1 and a pair with a typo weighs its wordSimilarity.
// Words are paired one to one, equal ones first, then each remaining word
// with its closest remaining partner. Word sets rather than one edit
// distance over the whole string because submitters reorder and add words
// ("Koelnmesse Halle 7", "Halle 7, Koelnmesse"), and because then a number
// counts as a whole word: one edit between "Hall 7" and "Hall 8" would look
// like a typo to a character measure. Empty text is similar to nothing.
func textSimilarity(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	var bufA, bufB [16]bool
	usedA, usedB := flags(bufA[:], len(a)), flags(bufB[:], len(b))
	matched := 0.0
	for i, w := range a {
		for j, v := range b {
			if !usedB[j] && v == w {
				usedA[i], usedB[j] = true, true
				matched++
				break
			}
		}
	}
	for i, w := range a {
		if usedA[i] {
			continue
		}
		best, bestJ := 0.0, -1
		for j, v := range b {
			if !usedB[j] {
				if s := wordSimilarity(w, v); s > best {
					best, bestJ = s, j
				}
			}
		}
		if bestJ >= 0 {
			usedB[bestJ] = true
			matched += best
		}
	}
	return 2 * matched / float64(len(a)+len(b))
}

// flags returns n false flags, in buf when it is long enough.
func flags(buf []bool, n int) []bool {
	if n > len(buf) {
		return make([]bool, n)
	}
	clear(buf[:n])
	return buf[:n]
}

// wordSimilarity scores two different words: 1 - edits/length of the longer
// when they are within the typos allowed for their length, else 0. Allowed
// are no typo up to 3 letters ("bar" and "bax" are two words), one up to 7
// and two from 8 letters on; edits are insertions, deletions, substitutions
// and swaps of neighbours (optimal string alignment distance), the typos
// people make. Words with a digit never match another: a house number, a
// hall or a year that differs is a different place or party.
func wordSimilarity(a, b string) float64 {
	la, digitA, asciiA := letters(a)
	lb, digitB, asciiB := letters(b)
	if digitA || digitB {
		return 0
	}
	if !asciiA || !asciiB {
		return typoSimilarity([]rune(a), []rune(b))
	}
	// An edit adds or removes at most one letter of the words' letter sets
	// and a substitution swaps one for another, so words whose sets differ
	// in more than 4 letters are more than 2 edits apart: most pairs of
	// different words end here, before the distance.
	if bits.OnesCount32(la^lb) > 4 {
		return 0
	}
	return typoSimilarity([]byte(a), []byte(b))
}

// letters returns the set of ASCII letters in w as bits, and whether w has
// a digit and is all ASCII.
func letters(w string) (set uint32, digit, ascii bool) {
	ascii = true
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case 'a' <= c && c <= 'z':
			set |= 1 << (c - 'a')
		case isDigit(c):
			digit = true
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return set, digit, ascii
}

func typoSimilarity[E byte | rune](a, b []E) float64 {
	n := max(len(a), len(b))
	allowed := 0
	switch {
	case n >= 8:
		allowed = 2
	case n >= 4:
		allowed = 1
	}
	if allowed == 0 || max(len(a)-len(b), len(b)-len(a)) > allowed {
		return 0
	}
	d := editDistance(a, b, allowed)
	if d > allowed {
		return 0
	}
	return 1 - float64(d)/float64(n)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// editDistance is the optimal string alignment distance of a and b:
// Levenshtein's insertions, deletions and substitutions plus swaps of two
// neighbouring letters, each costing one. Past limit it stops early and
// returns limit+1: most pairs of words differ in their first letters, and
// once two consecutive rows exceed the limit, no later row can come back
// under it.
func editDistance[E byte | rune](a, b []E, limit int) int {
	var buf [3 * 33]int
	cols := len(b) + 1
	var rows []int
	if 3*cols <= len(buf) {
		rows = buf[:3*cols]
	} else {
		rows = make([]int, 3*cols)
	}
	prev2, prev, cur := rows[:cols], rows[cols:2*cols], rows[2*cols:]
	for j := range prev {
		prev[j] = j
	}
	prevMin := 0
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		curMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			curMin = min(curMin, cur[j])
		}
		if curMin > limit && prevMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
		prevMin = curMin
	}
	return min(prev[len(b)], limit+1)
}
