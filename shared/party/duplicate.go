package party

import (
	"cmp"
	"slices"
	"time"
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
