package feed

import (
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/fold"
	"github.com/partyfinder/partyfinder/shared/party"
)

// known lists the parameters ParseQuery understands; anything else is an error,
// so a typo ("catgory") is not silently ignored.
var known = map[string]bool{"conference": true, "conferenceId": true, "date": true, "category": true, "q": true, "free": true,
	"near": true, "radius": true, "from": true, "to": true, "include": true, "limit": true, "cursor": true, "page": true,
	"format": true, "since": true}

// queryParser builds a Query from parameters, collecting every bad
// parameter instead of stopping at the first.
type queryParser struct {
	v  url.Values
	q  Query
	fs []apperr.FieldError
}

// maxErrors bounds the errors one query is told of: a query of 300,000
// bad values gets a short answer, not one error each.
const maxErrors = 20

func (p *queryParser) bad(field, code, msg string) {
	if len(p.fs) < maxErrors {
		p.fs = append(p.fs, apperr.FieldError{Field: field, Code: code, Message: msg})
	}
}

// echo quotes a value a client sent for an error message, shortened: an
// error never grows with what it complains about.
func echo(s string) string {
	const max = 40
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// repeatable lists the parameters that may be given more than once: each
// is a list ("date=A&date=B" means the same as "date=A,B").
var repeatable = map[string]bool{"date": true, "category": true, "include": true}

// unknown rejects parameters ParseQuery does not know, and a parameter
// that is not a list given more than once ("limit=1&limit=2" would
// otherwise quietly mean the first), in name order so the errors do not
// depend on map order.
func (p *queryParser) unknown() {
	for _, k := range slices.Sorted(maps.Keys(p.v)) {
		switch {
		case !known[k]:
			p.bad(k, "unknown", "is not a known parameter")
		case len(p.v[k]) > 1 && !repeatable[k]:
			p.bad(k, "repeated", fmt.Sprintf("is given %d times; give it once", len(p.v[k])))
		}
	}
}

// datesAndCategories reads the local days and category keys. Both lists are
// checked against maxValues as given, before duplicates are dropped.
func (p *queryParser) datesAndCategories() {
	dates, ok := splitList(p.v["date"], maxValues)
	if !ok {
		p.bad("date", "too_many", "at most 31 dates")
	}
	for _, d := range dates {
		if _, err := time.Parse(conference.DateLayout, d); err != nil {
			p.bad("date", "format", echo(d)+" is not a date YYYY-MM-DD")
			continue
		}
		p.q.Dates = append(p.q.Dates, d)
	}
	categories, ok := splitList(p.v["category"], maxValues)
	if !ok {
		p.bad("category", "too_many", "at most 31 categories")
	}
	for _, c := range categories {
		if k := party.CategoryKey(c); k != "" {
			p.q.Categories = append(p.q.Categories, k)
		} else {
			p.bad("category", "format", echo(c)+" names no category")
		}
	}
	p.q.Dates, p.q.Categories = sortUnique(p.q.Dates), sortUnique(p.q.Categories)
}

// text reads the search words, folded and sorted so that word order and
// case do not make two queries differ.
func (p *queryParser) text() {
	text := p.v.Get("q")
	if text == "" {
		return
	}
	if utf8.RuneCountInString(text) > 200 {
		p.bad("q", "too_long", "must be at most 200 characters")
		return
	}
	p.q.Text = sortUnique(strings.Fields(fold.String(text)))
}

// free reads the free-entry filter.
func (p *queryParser) free() {
	switch p.v.Get("free") {
	case "", "false", "0":
	case "true", "1":
		p.q.Free = true
	default:
		p.bad("free", "format", "must be true or false")
	}
}

// near reads the point to search around and the radius, which means
// nothing without a point.
func (p *queryParser) near() {
	if near := p.v.Get("near"); near != "" {
		lat, lng, ok := strings.Cut(near, ",")
		la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
		ln, err2 := strconv.ParseFloat(strings.TrimSpace(lng), 64)
		pt := party.Point{Lat: la, Lng: ln}
		if !ok || err1 != nil || err2 != nil || !pt.Valid() {
			p.bad("near", "format", "must be lat,lng in degrees, e.g. 50.94,6.96")
		} else {
			p.q.Near = &pt
			p.q.RadiusKm = DefaultRadius
		}
	}
	if r := p.v.Get("radius"); r != "" {
		km, err := strconv.ParseFloat(r, 64)
		switch {
		case err != nil || math.IsNaN(km) || km <= 0 || km > MaxRadius:
			p.bad("radius", "range", "must be a number of kilometres between 0 and 100")
		case p.q.Near == nil:
			p.bad("radius", "requires", "needs near=lat,lng")
		default:
			p.q.RadiusKm = km
		}
	}
}

// window reads the from/to overlap window; local times are in loc.
func (p *queryParser) window(loc *time.Location) {
	var err error
	if p.q.From, err = parseInstant(p.v.Get("from"), loc); err != nil {
		p.bad("from", "format", err.Error())
	}
	if p.q.To, err = parseInstant(p.v.Get("to"), loc); err != nil {
		p.bad("to", "format", err.Error())
	}
	if !p.q.From.IsZero() && !p.q.To.IsZero() && !p.q.To.After(p.q.From) {
		p.bad("to", "range", "must be after from")
	}
}

// include reads which hidden parties to show; only cancelled ones can be.
func (p *queryParser) include() {
	values, ok := splitList(p.v["include"], 8)
	if !ok {
		p.bad("include", "too_many", "only include=cancelled is supported")
	}
	for _, inc := range values {
		if inc != "cancelled" {
			p.bad("include", "enum", "only include=cancelled is supported")
		}
		p.q.IncludeCancelled = true
	}
}

// format reads the response format. The calendar formats carry every
// selected party: paging parameters are still checked, then set aside, so
// every page of a query shares one calendar.
func (p *queryParser) format() {
	switch f := p.v.Get("format"); f {
	case "", FormatJSON:
		p.q.Format = FormatJSON
	case FormatICS, FormatFrabXML, FormatFrabJSON:
		p.q.Format = f
		p.q.Limit, p.q.Page, p.q.After = 0, 0, nil
	default:
		p.bad("format", "enum", "must be one of json, ics, frab-xml, frab-json")
	}
}

// paging reads the page size and where the page starts: after a cursor or
// at a page number, never both.
func (p *queryParser) paging() {
	if l := p.v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxLimit {
			p.bad("limit", "range", "must be a whole number from 1 to 500")
		} else {
			p.q.Limit = n
		}
	}
	if c := p.v.Get("cursor"); c != "" {
		var err error
		if p.q.After, err = decodeCursor(c); err != nil {
			p.bad("cursor", "format", "is not a cursor this API issued")
		}
	}
	if pg := p.v.Get("page"); pg != "" {
		n, err := strconv.Atoi(pg)
		switch {
		case err != nil || n < 1 || n > 10000:
			p.bad("page", "range", "must be a whole number from 1")
		case p.q.After != nil:
			p.bad("page", "conflict", "use either cursor or page, not both")
		case n > 1: // page 1 is the first page, as with no page at all
			p.q.Page = n
		}
	}
}

// sync reads since, which asks for the whole conference (since empty) or
// what changed after a sync token: a copy of the conference is kept
// whole, so no other filter, page or format combines with it. The token
// itself is checked against the snapshot (Cache.SyncPage).
func (p *queryParser) sync() {
	tokens, ok := p.v["since"]
	if !ok {
		return
	}
	p.q.Sync = true
	p.q.SinceToken = strings.TrimSpace(tokens[0]) // given twice: unknown() reported it
	for _, k := range slices.Sorted(maps.Keys(p.v)) {
		switch {
		case k == "since" || k == "conference" || k == "conferenceId" || !known[k]:
		case k == "format" && p.q.Format == FormatJSON:
		default:
			p.bad(k, "conflict", "does not combine with since: a sync is of the whole conference, unpaged")
		}
	}
}

// parseInstant reads RFC 3339, or a local "YYYY-MM-DDTHH:MM" / "YYYY-MM-DD HH:MM" in loc.
func parseInstant(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s is not a time (RFC 3339 or local YYYY-MM-DDTHH:MM)", echo(s))
}

// splitList reads a repeatable, comma-separated parameter: at most max
// values (ok false when there are more, and only the first max are read,
// so a flood of values costs no more than max).
func splitList(vals []string, max int) (out []string, ok bool) {
	for _, v := range vals {
		for s := range strings.SplitSeq(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			if len(out) == max {
				return out, false
			}
			out = append(out, s)
		}
	}
	return out, true
}

func sortUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
