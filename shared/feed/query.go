package feed

import (
	"encoding/base64"
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

// Limits of a feed query.
const (
	DefaultLimit  = 50
	MaxLimit      = 500
	DefaultRadius = 2.0 // km, when near is given without radius
	MaxRadius     = 100.0
	maxValues     = 31 // dates or categories in one query
)

// Query is a validated, normalized feed query. Two queries that select the
// same parties in the same way have the same Key.
type Query struct {
	Conference       string
	Dates            []string // local YYYY-MM-DD, sorted
	Categories       []string // category keys, sorted
	Text             []string // folded words, all must match
	Free             bool
	Near             *party.Point
	RadiusKm         float64
	From, To         time.Time // overlap window; zero means open
	IncludeCancelled bool
	Limit            int
	Page             int // 1-based; 0 when a cursor or nothing is used
	After            *Cursor
}

// Cursor marks the last party of a page: the next page starts after it.
type Cursor struct {
	Start time.Time
	ID    string
}

// Encode returns the opaque cursor string.
func (c Cursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.Start.UnixNano(), 36) + "." + c.ID))
}

func decodeCursor(s string) (*Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	ns, id, ok := strings.Cut(string(b), ".")
	if !ok || !party.ValidID(id) {
		return nil, fmt.Errorf("malformed")
	}
	n, err := strconv.ParseInt(ns, 36, 64)
	if err != nil {
		return nil, err
	}
	return &Cursor{Start: time.Unix(0, n).UTC(), ID: id}, nil
}

// known lists the parameters ParseQuery understands; anything else is an error,
// so a typo ("catgory") is not silently ignored.
var known = map[string]bool{"conference": true, "conferenceId": true, "date": true, "category": true, "q": true, "free": true,
	"near": true, "radius": true, "from": true, "to": true, "include": true, "limit": true, "cursor": true, "page": true}

// ParseQuery validates the query parameters of GET /api/parties. loc is the
// conference's zone (for local dates and times). It returns an Invalid error
// naming every bad parameter.
func ParseQuery(v url.Values, conferenceID string, loc *time.Location) (Query, error) {
	q := Query{Conference: conferenceID, Limit: DefaultLimit}
	var fs []apperr.FieldError
	bad := func(field, code, msg string) {
		fs = append(fs, apperr.FieldError{Field: field, Code: code, Message: msg})
	}
	for _, k := range slices.Sorted(maps.Keys(v)) {
		if !known[k] {
			bad(k, "unknown", "is not a known parameter")
		}
	}
	for _, d := range splitList(v["date"]) {
		if _, err := time.Parse(conference.DateLayout, d); err != nil {
			bad("date", "format", fmt.Sprintf("%q is not a date YYYY-MM-DD", d))
			continue
		}
		q.Dates = append(q.Dates, d)
	}
	for _, c := range splitList(v["category"]) {
		if k := party.CategoryKey(c); k != "" {
			q.Categories = append(q.Categories, k)
		} else {
			bad("category", "format", fmt.Sprintf("%q names no category", c))
		}
	}
	if len(q.Dates) > maxValues {
		bad("date", "too_many", "at most 31 dates")
	}
	if len(q.Categories) > maxValues {
		bad("category", "too_many", "at most 31 categories")
	}
	q.Dates, q.Categories = sortUnique(q.Dates), sortUnique(q.Categories)
	if text := v.Get("q"); text != "" {
		if utf8.RuneCountInString(text) > 200 {
			bad("q", "too_long", "must be at most 200 characters")
		} else {
			q.Text = sortUnique(strings.Fields(fold.String(text)))
		}
	}
	switch v.Get("free") {
	case "", "false", "0":
	case "true", "1":
		q.Free = true
	default:
		bad("free", "format", "must be true or false")
	}
	if near := v.Get("near"); near != "" {
		lat, lng, ok := strings.Cut(near, ",")
		la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
		ln, err2 := strconv.ParseFloat(strings.TrimSpace(lng), 64)
		p := party.Point{Lat: la, Lng: ln}
		if !ok || err1 != nil || err2 != nil || !p.Valid() {
			bad("near", "format", "must be lat,lng in degrees, e.g. 50.94,6.96")
		} else {
			q.Near = &p
			q.RadiusKm = DefaultRadius
		}
	}
	if r := v.Get("radius"); r != "" {
		km, err := strconv.ParseFloat(r, 64)
		switch {
		case err != nil || math.IsNaN(km) || km <= 0 || km > MaxRadius:
			bad("radius", "range", "must be a number of kilometres between 0 and 100")
		case q.Near == nil:
			bad("radius", "requires", "needs near=lat,lng")
		default:
			q.RadiusKm = km
		}
	}
	var err error
	if q.From, err = parseInstant(v.Get("from"), loc); err != nil {
		bad("from", "format", err.Error())
	}
	if q.To, err = parseInstant(v.Get("to"), loc); err != nil {
		bad("to", "format", err.Error())
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		bad("to", "range", "must be after from")
	}
	for _, inc := range splitList(v["include"]) {
		if inc != "cancelled" {
			bad("include", "enum", "only include=cancelled is supported")
		}
		q.IncludeCancelled = true
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxLimit {
			bad("limit", "range", "must be a whole number from 1 to 500")
		} else {
			q.Limit = n
		}
	}
	if c := v.Get("cursor"); c != "" {
		if q.After, err = decodeCursor(c); err != nil {
			bad("cursor", "format", "is not a cursor this API issued")
		}
	}
	if p := v.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		switch {
		case err != nil || n < 1 || n > 10000:
			bad("page", "range", "must be a whole number from 1")
		case q.After != nil:
			bad("page", "conflict", "use either cursor or page, not both")
		case n > 1: // page 1 is the first page, as with no page at all
			q.Page = n
		}
	}
	return q, apperr.Fields("invalid query parameters", fs)
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
	return time.Time{}, fmt.Errorf("%q is not a time (RFC 3339 or local YYYY-MM-DDTHH:MM)", s)
}

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func sortUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// Key returns the canonical form of the query, for response caching.
func (q Query) Key() string {
	var b strings.Builder
	b.WriteString(q.Conference)
	b.WriteString("|d=" + strings.Join(q.Dates, ","))
	b.WriteString("|c=" + strings.Join(q.Categories, ","))
	b.WriteString("|q=" + strings.Join(q.Text, " "))
	if q.Free {
		b.WriteString("|free")
	}
	if q.Near != nil {
		fmt.Fprintf(&b, "|near=%g,%g,%g", q.Near.Lat, q.Near.Lng, q.RadiusKm)
	}
	if !q.From.IsZero() {
		b.WriteString("|from=" + strconv.FormatInt(q.From.UnixNano(), 36))
	}
	if !q.To.IsZero() {
		b.WriteString("|to=" + strconv.FormatInt(q.To.UnixNano(), 36))
	}
	if q.IncludeCancelled {
		b.WriteString("|cancelled")
	}
	fmt.Fprintf(&b, "|l=%d|p=%d", q.Limit, q.Page)
	if q.After != nil {
		b.WriteString("|a=" + q.After.Encode())
	}
	return b.String()
}

// Page is the result of a query against a snapshot.
type Page struct {
	Entries    []*Entry
	Total      int
	HasMore    bool
	NextCursor string
}

// Select runs the query against the snapshot.
func (s *Snapshot) Select(q Query) Page {
	var matched []*Entry
	for i := range s.Entries {
		e := &s.Entries[i]
		if q.matches(e) {
			matched = append(matched, e)
		}
	}
	pg := Page{Total: len(matched)}
	start := 0
	switch {
	case q.After != nil:
		start, _ = slices.BinarySearchFunc(matched, *q.After, func(e *Entry, c Cursor) int {
			if r := e.Party.Start.Compare(c.Start); r != 0 {
				return r
			}
			if e.Party.ID <= c.ID {
				return -1
			}
			return 1
		})
	case q.Page > 1:
		start = min((q.Page-1)*q.Limit, len(matched))
	}
	end := min(start+q.Limit, len(matched))
	pg.Entries = matched[start:end]
	if end < len(matched) {
		pg.HasMore = true
		last := matched[end-1].Party
		pg.NextCursor = Cursor{Start: last.Start, ID: last.ID}.Encode()
	}
	return pg
}

func (q Query) matches(e *Entry) bool {
	p := &e.Party
	if p.Status == party.Cancelled && !q.IncludeCancelled {
		return false
	}
	if len(q.Dates) > 0 && !slices.Contains(q.Dates, e.Date) {
		return false
	}
	if len(q.Categories) > 0 && !slices.Contains(q.Categories, p.Category.Key) {
		return false
	}
	if q.Free && !p.Free {
		return false
	}
	for _, w := range q.Text {
		if !strings.Contains(e.search, w) {
			return false
		}
	}
	if q.Near != nil && (p.Location == nil || q.Near.DistanceKm(*p.Location) > q.RadiusKm) {
		return false
	}
	// from/to select parties that overlap the window [from, to).
	if !q.From.IsZero() && e.end.Before(q.From) {
		return false
	}
	if !q.To.IsZero() && !p.Start.Before(q.To) {
		return false
	}
	return true
}
