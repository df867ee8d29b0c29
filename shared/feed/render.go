package feed

import (
	"fmt"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/frab"
	"github.com/partyfinder/partyfinder/shared/ics"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

// Cache-Control values of public responses. Browsers revalidate after a
// minute (cheap 304s); CDNs keep the bytes longer and may serve them stale
// while they refetch.
const (
	CacheFeed     = "public, max-age=60, s-maxage=300, stale-while-revalidate=600"
	CacheCalendar = "public, max-age=300, s-maxage=900, stale-while-revalidate=3600"
	CacheStatic   = "public, max-age=3600, s-maxage=86400, stale-while-revalidate=86400"
	ContentJSON   = "application/json; charset=utf-8"
	ContentICS    = "text/calendar; charset=utf-8"
)

// feedMeta is the "meta" object of a feed response.
type feedMeta struct {
	Count      int     `json:"count"`
	Total      int     `json:"total"`
	Limit      int     `json:"limit"`
	Page       int     `json:"page"`
	HasMore    bool    `json:"hasMore"`
	NextCursor *string `json:"nextCursor"`
	Conference string  `json:"conference"`
	Timezone   string  `json:"timezone"`
}

// FeedResponse renders a page of a query as the finished response, by
// splicing the parties' pre-encoded JSON: nothing is re-encoded.
func (s *Snapshot) FeedResponse(q Query) *rendered.Response {
	pg := s.Select(q)
	meta := feedMeta{Count: len(pg.Entries), Total: pg.Total, Limit: q.Limit, Page: max(q.Page, 1),
		HasMore: pg.HasMore, Conference: s.Conference.ID, Timezone: s.Conference.TimeZone}
	if q.After != nil {
		meta.Page = 0 // cursor paging has no page number
	}
	if pg.HasMore {
		meta.NextCursor = &pg.NextCursor
	}
	size := 64
	for _, e := range pg.Entries {
		size += len(e.JSON) + 1
	}
	data := make([]byte, 0, size)
	data = append(data, '[')
	for i, e := range pg.Entries {
		if i > 0 {
			data = append(data, ',')
		}
		data = append(data, e.JSON...)
	}
	data = append(data, ']')
	return rendered.New(ContentJSON, CacheFeed, rendered.Success(data, Marshal(meta)))
}

// DataResponse wraps pre-encoded JSON as {"success":true,"data":...}.
func DataResponse(cacheControl string, data []byte) *rendered.Response {
	return rendered.New(ContentJSON, cacheControl, rendered.Success(data, nil))
}

// PartyResponse returns the detail response of a visible party, built once per snapshot.
func (s *Snapshot) PartyResponse(e *Entry) *rendered.Response {
	return s.Memo("party:"+e.Party.ID, func() any { return DataResponse(CacheFeed, e.JSON) }).(*rendered.Response)
}

// DaysResponse returns the party-days response, built once per snapshot.
func (s *Snapshot) DaysResponse() *rendered.Response {
	return s.Memo("days", func() any {
		days := s.Days
		if days == nil {
			days = []DayJSON{}
		}
		total := 0
		for _, d := range days {
			total += d.Count
		}
		meta := map[string]any{"conference": s.Conference.ID, "timezone": s.Conference.TimeZone, "days": len(days), "total": total}
		return rendered.New(ContentJSON, CacheFeed, rendered.Success(Marshal(days), Marshal(meta)))
	}).(*rendered.Response)
}

// ConferenceResponse returns the conference's detail response with its
// party count and days.
func (s *Snapshot) ConferenceResponse() *rendered.Response {
	return s.Memo("conference", func() any {
		cj := NewConferenceJSON(s.Conference)
		n := 0
		for _, d := range s.Days {
			n += d.Count
		}
		cj.PartyCount = &n
		return DataResponse(CacheFeed, Marshal(cj))
	}).(*rendered.Response)
}

// CalendarOptions are the settings of calendar exports.
type CalendarOptions struct {
	BaseURL string // public site URL, for parties without a link
	ProdID  string
}

// PartyCalendar returns one party as an iCalendar file, built once per snapshot.
func (s *Snapshot) PartyCalendar(e *Entry, o CalendarOptions) (*rendered.Response, error) {
	return s.calendar("ics:"+e.Party.ID, e.Party.Title, func() []party.Party { return []party.Party{e.Party} }, e.Party.ID+".ics", 0, o)
}

// ConferenceCalendar returns every visible party (cancelled ones marked as
// such, so subscribers see cancellations) as a subscribable calendar.
func (s *Snapshot) ConferenceCalendar(o CalendarOptions) (*rendered.Response, error) {
	return s.calendar("ics:conference", s.Conference.Name+" parties", s.Parties, s.Conference.ID+".ics", 1, o)
}

// ConferenceSchedule returns every visible party of the conference in a
// calendar format (cancelled ones marked), built once per snapshot.
func (s *Snapshot) ConferenceSchedule(format string, o CalendarOptions) (*rendered.Response, error) {
	r := s.Memo("schedule:"+format, func() any {
		resp, err := Calendar(format, s.Conference, s.Parties(), s.Conference.Name+" parties", s.Revision, CacheCalendar, s.Conference.ID, o)
		return calResult{resp: resp, err: err}
	}).(calResult)
	return r.resp, r.err
}

// QueryCalendar renders every party a query selects in its calendar
// format (Query.Format): the same parties as the query's JSON pages, in
// the same order.
func (s *Snapshot) QueryCalendar(q Query, o CalendarOptions) (*rendered.Response, error) {
	entries := s.Matching(q)
	ps := make([]party.Party, len(entries))
	for i, e := range entries {
		ps[i] = e.Party
	}
	return Calendar(q.Format, s.Conference, ps, s.Conference.Name+" parties", s.Revision, CacheCalendar, s.Conference.ID, o)
}

// Content types of the frab schedule formats.
const (
	ContentFrabXML  = "application/xml; charset=utf-8"
	ContentFrabJSON = ContentJSON
)

// Calendar renders parties in a calendar format: iCalendar in conf's time
// zone, or a frab schedule of conf (parties outside its days add days of
// their own). version tells schedule apps the data moved; name is the
// calendar's; file names the download, without extension.
func Calendar(format string, conf conference.Conference, ps []party.Party, name, version, cacheControl, file string, o CalendarOptions) (*rendered.Response, error) {
	var (
		body        []byte
		contentType string
		ext         string
		err         error
	)
	switch format {
	case FormatICS:
		body, err = ics.Encode(ics.Calendar{Name: name, Conference: conf, Parties: ps, ProdID: o.ProdID, BaseURL: o.BaseURL, Refresh: time.Hour})
		contentType, ext = ContentICS, ".ics"
	case FormatFrabXML:
		body, err = frab.EncodeXML(conf, ps, frab.Options{Version: version, BaseURL: o.BaseURL})
		contentType, ext = ContentFrabXML, ".xml"
	case FormatFrabJSON:
		body, err = frab.EncodeJSON(conf, ps, frab.Options{Version: version, BaseURL: o.BaseURL})
		contentType, ext = ContentFrabJSON, ".json"
	default:
		return nil, fmt.Errorf("calendar format %q", format)
	}
	if err != nil {
		return nil, err
	}
	return rendered.New(contentType, cacheControl, body).WithDisposition(`inline; filename="` + file + ext + `"`), nil
}

type calResult struct {
	resp *rendered.Response
	err  error
}

func (s *Snapshot) calendar(key, name string, parties func() []party.Party, filename string, refreshHours int, o CalendarOptions) (*rendered.Response, error) {
	r := s.Memo(key, func() any {
		ps := parties()
		cal := ics.Calendar{Name: name, Conference: s.Conference, Parties: ps, ProdID: o.ProdID, BaseURL: o.BaseURL}
		if refreshHours > 0 {
			cal.Refresh = refreshHoursDuration(refreshHours)
		}
		b, err := ics.Encode(cal)
		if err != nil {
			return calResult{err: err}
		}
		resp := rendered.New(ContentICS, CacheCalendar, b).WithDisposition(`inline; filename="` + filename + `"`)
		return calResult{resp: resp}
	}).(calResult)
	return r.resp, r.err
}

func refreshHoursDuration(h int) time.Duration { return time.Duration(h) * time.Hour }
