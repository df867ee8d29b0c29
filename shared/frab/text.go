package frab

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/partyfinder/partyfinder/shared/party"
)

// The texts of an event are composed unescaped (into a scratch buffer where
// they are made of several parts) and escaped by the encoding's writer.

// appendTitle appends the title as shown: cancelled parties start with
// CancelledPrefix.
func appendTitle(b []byte, p *party.Party) []byte {
	if p.Status == party.Cancelled {
		b = append(b, CancelledPrefix...)
	}
	return append(b, p.Title...)
}

// appendAbstract appends the abstract: the organizer's own description,
// after a sentence saying that the party is cancelled, with the reason given.
func appendAbstract(b []byte, p *party.Party) []byte {
	desc := strings.TrimSpace(p.Description)
	if p.Status == party.Cancelled {
		b = append(b, "This party is cancelled."...)
		if p.Note != "" {
			b = append(b, ' ')
			b = append(b, p.Note...)
		}
		if desc != "" {
			b = append(b, "\n\n"...)
		}
	}
	return append(b, desc...)
}

// appendDescription appends the facts the other fields have no place for:
// where exactly (the room is only the venue's name), the audience, the tags,
// and the end when it is open or later than the listed duration says. Hosts
// are persons, the price is the subtitle, the category is the track and the
// link is in links.
func (s *Schedule) appendDescription(b []byte, e *event) []byte {
	start := len(b)
	line := func(b []byte, label string, parts ...string) []byte {
		n := 0
		for _, part := range parts {
			if part == "" {
				continue
			}
			switch {
			case n > 0:
				b = append(b, ", "...)
			case len(b) > start:
				b = append(b, '\n')
			}
			if n == 0 {
				b = append(b, label...)
				b = append(b, ": "...)
			}
			b = append(b, part...)
			n++
		}
		return b
	}
	p := e.p
	venue, addr := where(p)
	b = line(b, "Where", venue, addr)
	b = line(b, "Audience", p.Focus)
	b = line(b, "Tags", p.Tags...)
	switch {
	case e.end.IsZero():
		if len(b) > start {
			b = append(b, '\n')
		}
		b = append(b, "End: open (shown as "...)
		b = appendSpan(b, e.shown)
		b = append(b, ')')
	case e.shown < e.end.Sub(e.start):
		// The listed duration stops at the end of the day (see listed).
		if len(b) > start {
			b = append(b, '\n')
		}
		b = append(b, "End: "...)
		b = e.end.AppendFormat(b, "Mon 2 Jan 2006 15:04")
		b = append(b, " (shown as "...)
		b = appendSpan(b, e.shown)
		b = append(b, ')')
	}
	return b
}

// where returns the venue and the address, leaving out whichever only
// repeats the other (as the calendar export does); venue may be the only
// one, and either may be "".
func where(p *party.Party) (string, string) {
	venue, addr := p.Venue, p.Address
	switch {
	case venue == "":
		return addr, ""
	case addr == "" || containsFold(venue, addr):
		return venue, ""
	case containsFold(addr, venue):
		return addr, ""
	}
	return venue, addr
}

// containsFold reports whether s contains sub, ignoring case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// appendSpan appends d in words: "2 hours", "1 hour 30 minutes", "45 minutes".
func appendSpan(b []byte, d time.Duration) []byte {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	unit := func(b []byte, n int, one string) []byte {
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, ' ')
		b = append(b, one...)
		if n != 1 {
			b = append(b, 's')
		}
		return b
	}
	if h > 0 {
		b = unit(b, h, "hour")
	}
	if m > 0 || h == 0 {
		if h > 0 {
			b = append(b, ' ')
		}
		b = unit(b, m, "minute")
	}
	return b
}

// maxSlugTitle bounds the part of a slug taken from the title.
const maxSlugTitle = 48

// appendSlug appends the event's slug: acronym-id-title, as frab and pretalx
// make them ("gamescom2025-1234567-beam-avalanche-go-gamescom"). The id makes
// it unique, which the XML schema requires; the title part is the title's
// letters and digits folded to ASCII lower case ("Kölsch" → "kolsch", "ß" →
// "ss"), words joined by dashes, "party" when nothing is left (a title of
// emoji). The cancelled prefix is not part of it, so a party's slug does not
// change when it is cancelled. it is working space, reused across events
// (an Iter escapes to the heap, so one per event would cost an allocation).
func appendSlug(b []byte, it *norm.Iter, acronym string, id uint32, title string) []byte {
	b = append(b, acronym...)
	b = append(b, '-')
	b = strconv.AppendUint(b, uint64(id), 10)
	b = append(b, '-')
	w := slugWriter{b: b, start: len(b)}
	ascii := true
	for i := 0; i < len(title); i++ {
		if title[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for i := 0; i < len(title) && !w.full(); i++ {
			w.byte(title[i])
		}
	} else {
		// Decomposed (NFD), a letter with accents is the letter followed
		// by combining marks: keep the first rune of each segment.
		it.InitString(norm.NFD, title)
		for !it.Done() && !w.full() {
			r, _ := utf8.DecodeRune(it.Next())
			switch {
			case r < utf8.RuneSelf:
				w.byte(byte(r))
			case slugSpecial[r] != "":
				for _, c := range []byte(slugSpecial[r]) {
					w.byte(c)
				}
			default:
				w.byte(' ') // another script, an emoji: a word break
			}
		}
	}
	if len(w.b) == w.start {
		w.b = append(w.b, "party"...)
	}
	return w.b
}

// slugSpecial maps letters that do not decompose into a base letter plus
// marks, as package fold does.
var slugSpecial = map[rune]string{
	'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'ø': "o", 'Ø': "o", 'œ': "oe", 'Œ': "oe",
	'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d", 'ð': "d", 'þ': "th", 'Þ': "th", 'ı': "i",
}

// slugWriter appends lower-case letters and digits, one dash between runs
// of them, at most maxSlugTitle bytes.
type slugWriter struct {
	b     []byte
	start int
	dash  bool // a word break is pending
	stop  bool // no room for the next word
}

func (w *slugWriter) full() bool { return w.stop || len(w.b)-w.start >= maxSlugTitle }

func (w *slugWriter) byte(c byte) {
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
		w.dash = true
		return
	}
	if w.full() {
		return
	}
	if w.dash && len(w.b) > w.start {
		if len(w.b)-w.start+2 > maxSlugTitle {
			w.stop = true // no room for a dash and a letter
			return
		}
		w.b = append(w.b, '-')
	}
	w.dash = false
	w.b = append(w.b, c)
}

// appendURL appends the event's url: its page under the base URL, else the
// party's own link; nothing when there is neither.
func (s *Schedule) appendURL(b []byte, e *event) []byte {
	switch {
	case s.baseURL != "":
		b = append(b, s.baseURL...)
		b = append(b, '/')
		if party.ValidID(e.p.ID) { // letters, digits, - and _: nothing to escape
			return append(b, e.p.ID...)
		}
		return append(b, url.PathEscape(e.p.ID)...)
	case e.link != "":
		return append(b, e.link...)
	}
	return b
}

// appendClock appends d as HH:MM (whole minutes, at most maxListed).
func appendClock(b []byte, d time.Duration) []byte {
	d = min(max(d, 0), maxListed)
	return append2(append(append2(b, int(d/time.Hour)), ':'), int(d%time.Hour/time.Minute))
}

// append2 appends n (0-99) in two digits.
func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

const (
	dateTimeLayout = time.RFC3339 // with the conference's offset
	clockLayout    = "15:04"
)
