package feed

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
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
	Format           string // FormatJSON (paged) or a calendar format (every selected party)
	// Sync asks for the conference as a client copy keeps it (since): the
	// whole of it when SinceToken is "", else what changed after the
	// token. Nothing else is set with it.
	Sync       bool
	SinceToken string
}

// Response formats of a feed query.
const (
	FormatJSON     = "json"
	FormatICS      = "ics"       // iCalendar, subscribable
	FormatFrabXML  = "frab-xml"  // the frab schedule XML that schedule apps read
	FormatFrabJSON = "frab-json" // the same schedule as JSON
)

// Calendar reports whether the format carries every selected party.
func (q Query) Calendar() bool { return q.Format != "" && q.Format != FormatJSON }

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

// ParseQuery validates the query parameters of GET /api/parties. loc is the
// conference's zone (for local dates and times). It returns an Invalid error
// naming every bad parameter.
func ParseQuery(v url.Values, conferenceID string, loc *time.Location) (Query, error) {
	p := queryParser{v: v, q: Query{Conference: conferenceID, Limit: DefaultLimit}}
	// The steps run in a fixed order, which is the order of the errors.
	p.unknown()
	p.datesAndCategories()
	p.text()
	p.free()
	p.near()
	p.window(loc)
	p.include()
	p.paging()
	p.format()
	p.sync()
	return p.q, apperr.Fields("invalid query parameters", p.fs)
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
	if q.Calendar() {
		b.WriteString("|f=" + q.Format)
	}
	if q.Sync {
		b.WriteString("|since=" + q.SinceToken)
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

// Matching returns every party the query selects, in feed order.
func (s *Snapshot) Matching(q Query) []*Entry {
	var matched []*Entry
	for i := range s.Entries {
		e := &s.Entries[i]
		if q.matches(e) {
			matched = append(matched, e)
		}
	}
	return matched
}

// Select runs the query against the snapshot: one page of it.
func (s *Snapshot) Select(q Query) Page {
	matched := s.Matching(q)
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
