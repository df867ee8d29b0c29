package parties_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/functions/parties"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/frab"
	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
	"github.com/partyfinder/partyfinder/shared/party"
)

// newServer mounts the function over a real feed cache reading a SQLite
// store seeded with the demo week, as the app wires it.
func newServer(t *testing.T) (http.Handler, demotest.Seeded) {
	t.Helper()
	seeded := demotest.Store(t)
	cache := feed.NewCache(seeded.Store, feed.Options{Refresh: time.Hour})
	h := &parties.Handler{Feed: cache, Calendar: feed.CalendarOptions{ProdID: "-//test//EN"}}
	return h.Routes(), seeded
}

// item is what these tests read of a party on the wire.
type item struct {
	ID          string       `json:"id"`
	Title       string       `json:"title"`
	Date        string       `json:"date"`
	Free        bool         `json:"free"`
	CategoryKey string       `json:"categoryKey"`
	Status      party.Status `json:"status"`
}

type meta struct {
	Count      int     `json:"count"`
	Total      int     `json:"total"`
	Limit      int     `json:"limit"`
	Page       int     `json:"page"`
	HasMore    bool    `json:"hasMore"`
	NextCursor *string `json:"nextCursor"`
	Conference string  `json:"conference"`
	Timezone   string  `json:"timezone"`
}

func ids(items []item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func partyIDs(ps []party.Party) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func open(p party.Party) bool { return p.Status != party.Cancelled }

// Each filter is checked against the seeded data: the page must hold
// exactly the parties the filter selects, in feed order, so a filter that
// lets others through and one that drops matches both fail.
func TestListFilters(t *testing.T) {
	h, seeded := newServer(t)
	loc := seeded.Conference.Location()
	day := func(n int) string {
		first, _ := time.ParseInLocation("2006-01-02", seeded.Conference.FirstDay, loc)
		return first.AddDate(0, 0, n).Format("2006-01-02")
	}
	rheinloft := seeded.Parties[slices.IndexFunc(seeded.Parties, func(p party.Party) bool { return p.Venue == "Rheinloft Deutz" })].Location
	tests := []struct {
		name  string
		query string
		keep  func(party.Party) bool
	}{
		{"no filter hides cancelled parties", "", open},
		{"explicit conference", "conference=democon", open},
		{"older conferenceId name", "conferenceId=democon", open},
		{"one day", "date=" + day(1), func(p party.Party) bool { return open(p) && p.LocalDate(loc) == day(1) }},
		{"two days", "date=" + day(0) + "," + day(4), func(p party.Party) bool {
			return open(p) && (p.LocalDate(loc) == day(0) || p.LocalDate(loc) == day(4))
		}},
		{"free only", "free=true", func(p party.Party) bool { return open(p) && p.Free }},
		{"free=false is no filter", "free=false", open},
		{"category", "category=exec-social", func(p party.Party) bool { return open(p) && p.Category.Key == "exec-social" }},
		{"text", "q=KARAOKE", func(p party.Party) bool { return p.Title == "Pixel Karaoke Night" }},
		{"near a venue", "near=" + strconv.FormatFloat(rheinloft.Lat, 'f', -1, 64) + "," + strconv.FormatFloat(rheinloft.Lng, 'f', -1, 64) + "&radius=0.1",
			func(p party.Party) bool { return open(p) && p.Venue == "Rheinloft Deutz" }},
		{"filters combine", "date=" + day(2) + "&free=true", func(p party.Party) bool { return open(p) && p.Free && p.LocalDate(loc) == day(2) }},
		{"cancelled included on request", "include=cancelled", func(party.Party) bool { return true }},
		{"a day without parties", "date=" + day(7), func(party.Party) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := "limit=500"
			if tt.query != "" {
				q = tt.query + "&" + q
			}
			var got []item
			var m meta
			httpapitest.Data(t, httpapitest.Serve(h, "GET", "/api/parties?"+q, nil), http.StatusOK, feed.ContentJSON, &got, &m)
			want := partyIDs(seeded.Where(tt.keep))
			if !slices.Equal(ids(got), want) {
				t.Errorf("got %d parties %v\nwant %d %v", len(got), ids(got), len(want), want)
			}
			if m.Count != len(want) || m.Total != len(want) || m.HasMore || m.NextCursor != nil {
				t.Errorf("meta = %+v, want count = total = %d and no more pages", m, len(want))
			}
			if m.Conference != "democon" || m.Timezone != "Europe/Berlin" || m.Limit != 500 {
				t.Errorf("meta = %+v, want democon in Europe/Berlin, limit 500", m)
			}
			// The calendar format carries the same parties, every one of
			// them whatever the page size, in the same order.
			for _, q := range []string{q + "&format=ics", strings.TrimPrefix(tt.query+"&format=ics&limit=1", "&")} {
				rec := httpapitest.Serve(h, "GET", "/api/parties?"+q, nil)
				if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != feed.ContentICS {
					t.Fatalf("?%s: %d %s", q, rec.Code, rec.Header().Get("Content-Type"))
				}
				if got := icsUIDs(rec.Body.String()); !slices.Equal(got, want) {
					t.Errorf("?%s: calendar has %d parties %v\nwant %d %v", q, len(got), got, len(want), want)
				}
			}
			// So do the frab schedules, grouped by day and room.
			wantGUIDs := []string{}
			for _, id := range want {
				wantGUIDs = append(wantGUIDs, frab.EventGUID(id))
			}
			slices.Sort(wantGUIDs)
			for format, contentType := range map[string]string{"frab-xml": feed.ContentFrabXML, "frab-json": feed.ContentFrabJSON} {
				rec := httpapitest.Serve(h, "GET", "/api/parties?"+q+"&format="+format, nil)
				if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != contentType {
					t.Fatalf("%s: %d %s %s", format, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
				}
				if got := frabGUIDs(rec.Body.String()); !slices.Equal(got, wantGUIDs) {
					t.Errorf("?%s&format=%s: %d events, want %d", q, format, len(got), len(wantGUIDs))
				}
			}
		})
	}
	// The cases above must not pass vacuously.
	if n := len(seeded.Where(func(p party.Party) bool { return p.Status == party.Cancelled })); n == 0 {
		t.Fatal("the demo data has no cancelled party: include=cancelled is not tested")
	}
}

// Walking the feed page by page, by cursor or by page number, must give
// every party once, in order; meta tells the client where it is.
func TestListPaging(t *testing.T) {
	h, seeded := newServer(t)
	want := partyIDs(seeded.Where(open))
	const limit = 25
	if len(want) <= 2*limit {
		t.Fatalf("only %d parties: too few for three pages", len(want))
	}

	var first []item
	var m meta
	httpapitest.Data(t, httpapitest.Serve(h, "GET", "/api/parties", nil), http.StatusOK, feed.ContentJSON, &first, &m)
	if len(first) != feed.DefaultLimit || m.Limit != feed.DefaultLimit || !m.HasMore || m.Total != len(want) || m.Page != 1 {
		t.Errorf("default page: %d parties, meta %+v; want %d of %d with more", len(first), m, feed.DefaultLimit, len(want))
	}

	var byCursor []string
	target := "/api/parties?limit=" + strconv.Itoa(limit)
	for pages := 0; ; pages++ {
		if pages > len(want) {
			t.Fatal("cursor paging does not end")
		}
		var got []item
		var m meta
		httpapitest.Data(t, httpapitest.Serve(h, "GET", target, nil), http.StatusOK, feed.ContentJSON, &got, &m)
		byCursor = append(byCursor, ids(got)...)
		wantPage := 1
		if pages > 0 {
			wantPage = 0 // cursor pages have no number
		}
		if m.Count != len(got) || m.Total != len(want) || m.Limit != limit || m.Page != wantPage {
			t.Errorf("page %d meta = %+v", pages, m)
		}
		if m.HasMore != (m.NextCursor != nil) {
			t.Errorf("page %d: hasMore %v but nextCursor %v", pages, m.HasMore, m.NextCursor)
		}
		if !m.HasMore {
			break
		}
		target = "/api/parties?limit=" + strconv.Itoa(limit) + "&cursor=" + *m.NextCursor
	}
	if !slices.Equal(byCursor, want) {
		t.Errorf("cursor walk gave %v\nwant %v", byCursor, want)
	}

	var byNumber []string
	for page := 1; page <= (len(want)+limit-1)/limit; page++ {
		var got []item
		var m meta
		httpapitest.Data(t, httpapitest.Serve(h, "GET", "/api/parties?limit="+strconv.Itoa(limit)+"&page="+strconv.Itoa(page), nil), http.StatusOK, feed.ContentJSON, &got, &m)
		byNumber = append(byNumber, ids(got)...)
		last := page*limit >= len(want)
		if m.Page != page || m.HasMore == last {
			t.Errorf("page %d meta = %+v, want hasMore %v", page, m, !last)
		}
	}
	if !slices.Equal(byNumber, want) {
		t.Errorf("page walk gave %v\nwant %v", byNumber, want)
	}
}

// A bad parameter is a 400 naming it, so a typo is not silently ignored.
func TestListRejectsBadParameters(t *testing.T) {
	h, _ := newServer(t)
	tests := []struct {
		query      string
		wantFields []string
	}{
		{"catgory=party", []string{"catgory"}},
		{"date=2026-02-30", []string{"date"}},
		{"date=tomorrow", []string{"date"}},
		{"category=%2A%2A", []string{"category"}},
		{"free=maybe", []string{"free"}},
		{"near=91,0", []string{"near"}},
		{"radius=1", []string{"radius"}},
		{"from=2026-08-18T20:00&to=2026-08-18T19:00", []string{"to"}},
		{"include=drafts", []string{"include"}},
		{"limit=0", []string{"limit"}},
		{"limit=501", []string{"limit"}},
		{"cursor=not-a-cursor", []string{"cursor"}},
		{"page=0", []string{"page"}},
		{"bogus=1&free=maybe&limit=x", []string{"bogus", "free", "limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			// Asked twice: the second answer must not come from a cache.
			for range 2 {
				fields := httpapitest.Problem(t, httpapitest.Serve(h, "GET", "/api/parties?"+tt.query, nil), http.StatusBadRequest, "invalid").Fields()
				if !slices.Equal(fields, tt.wantFields) {
					t.Errorf("errors name %v, want %v", fields, tt.wantFields)
				}
			}
		})
	}
}

func TestListUnknownConferenceIsNotFound(t *testing.T) {
	h, _ := newServer(t)
	httpapitest.Problem(t, httpapitest.Serve(h, "GET", "/api/parties?conference=nocon", nil), http.StatusNotFound, "not_found")
}

func TestGetParty(t *testing.T) {
	h, seeded := newServer(t)
	cancelled := seeded.Where(func(p party.Party) bool { return p.Status == party.Cancelled })[0]
	for _, p := range []party.Party{seeded.Parties[0], seeded.Parties[len(seeded.Parties)-1], cancelled} {
		t.Run(p.Title, func(t *testing.T) {
			var got item
			httpapitest.Data(t, httpapitest.Serve(h, "GET", "/api/parties/"+p.ID, nil), http.StatusOK, feed.ContentJSON, &got, nil)
			if got.ID != p.ID || got.Title != p.Title || got.Status != p.Status {
				t.Errorf("got %+v, want %s %q %s", got, p.ID, p.Title, p.Status)
			}
		})
	}
	for _, id := range []string{"democon-0000000000000000", "not%20an%20id", strings.Repeat("x", 200)} {
		t.Run("unknown "+id, func(t *testing.T) {
			httpapitest.Problem(t, httpapitest.Serve(h, "GET", "/api/parties/"+id, nil), http.StatusNotFound, "not_found")
		})
	}
}

// Clients revalidate with the ETag they hold and get 304 without a body;
// a gzip client gets the same content compressed.
func TestConditionalAndCompressed(t *testing.T) {
	h, seeded := newServer(t)
	for _, target := range []string{"/api/parties?limit=500", "/api/parties/" + seeded.Parties[0].ID, "/api/parties/" + seeded.Parties[0].ID + "/calendar.ics"} {
		t.Run(target, func(t *testing.T) {
			plain := httpapitest.Serve(h, "GET", target, nil)
			tag := plain.Header().Get("ETag")
			if plain.Code != http.StatusOK || tag == "" {
				t.Fatalf("status %d, ETag %q", plain.Code, tag)
			}
			if cc := plain.Header().Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
				t.Errorf("Cache-Control = %q, want a public cacheable answer", cc)
			}
			again := httpapitest.Serve(h, "GET", target, nil, "If-None-Match", tag)
			if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
				t.Errorf("If-None-Match with the current tag: status %d, %d body bytes; want 304 and none", again.Code, again.Body.Len())
			}
			stale := httpapitest.Serve(h, "GET", target, nil, "If-None-Match", `"stale"`)
			if stale.Code != http.StatusOK {
				t.Errorf("If-None-Match with another tag: status %d, want 200", stale.Code)
			}
			if plain.Body.Len() <= 1024 {
				return // too small to be compressed
			}
			zipped := httpapitest.Serve(h, "GET", target, nil, "Accept-Encoding", "gzip")
			if zipped.Header().Get("Content-Encoding") != "gzip" {
				t.Fatalf("Content-Encoding = %q, want gzip", zipped.Header().Get("Content-Encoding"))
			}
			zr, err := gzip.NewReader(zipped.Body)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(body, plain.Body.Bytes()) {
				t.Errorf("gzip body does not decode to the plain one (%v)", err)
			}
			if zipped.Header().Get("ETag") == tag {
				t.Errorf("gzip and plain bodies share the ETag %s", tag)
			}
		})
	}
}

// unfold undoes iCalendar line folding so properties can be searched.
func unfold(s string) string { return strings.ReplaceAll(s, "\r\n ", "") }

// frabGUIDs returns the sorted event guids of a frab schedule, XML or JSON.
func frabGUIDs(doc string) []string {
	out := []string{}
	for _, m := range frabGUID.FindAllStringSubmatch(doc, -1) {
		out = append(out, m[1]+m[2])
	}
	slices.Sort(out)
	return out
}

// frabGUID matches an event's guid (rooms and the conference have guids
// too, in other attributes or keys).
var frabGUID = regexp.MustCompile(`<event guid="([0-9a-f-]{36})"|"guid":"([0-9a-f-]{36})","id"`)

// icsUIDs returns the party ids of a calendar's events, in order.
func icsUIDs(cal string) []string {
	out := []string{}
	for _, line := range strings.Split(unfold(cal), "\r\n") {
		if uid, ok := strings.CutPrefix(line, "UID:"); ok {
			out = append(out, strings.TrimSuffix(uid, "@partyfinder"))
		}
	}
	return out
}

func TestPartyCalendar(t *testing.T) {
	h, seeded := newServer(t)
	cancelled := seeded.Where(func(p party.Party) bool { return p.Status == party.Cancelled })[0]
	for _, p := range []party.Party{seeded.Parties[0], cancelled} {
		t.Run(p.Title, func(t *testing.T) {
			rec := httpapitest.Serve(h, "GET", "/api/parties/"+p.ID+"/calendar.ics", nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != feed.ContentICS {
				t.Errorf("Content-Type = %q, want %q", ct, feed.ContentICS)
			}
			if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, p.ID+".ics") {
				t.Errorf("Content-Disposition = %q, want the party's file name", cd)
			}
			body := rec.Body.String()
			if !strings.HasPrefix(body, "BEGIN:VCALENDAR\r\n") || !strings.HasSuffix(body, "END:VCALENDAR\r\n") {
				t.Errorf("not a calendar file: %.60q ... %q", body, body[max(0, len(body)-20):])
			}
			if strings.Count(body, "\n") != strings.Count(body, "\r\n") {
				t.Error("calendar has bare LF line endings; RFC 5545 wants CRLF")
			}
			text := unfold(body)
			for _, want := range []string{"\r\nUID:" + p.ID + "@partyfinder\r\n", "\r\nPRODID:-//test//EN\r\n"} {
				if !strings.Contains(text, want) {
					t.Errorf("calendar lacks %q", strings.TrimSpace(want))
				}
			}
			if n := strings.Count(text, "BEGIN:VEVENT"); n != 1 {
				t.Errorf("%d events, want the one party", n)
			}
			if got := strings.Contains(text, "\r\nSTATUS:CANCELLED\r\n"); got != (p.Status == party.Cancelled) {
				t.Errorf("STATUS:CANCELLED present = %v for a %s party", got, p.Status)
			}
		})
	}
	t.Run("unknown party", func(t *testing.T) {
		httpapitest.Problem(t, httpapitest.Serve(h, "GET", "/api/parties/democon-0000000000000000/calendar.ics", nil), http.StatusNotFound, "not_found")
	})
}

func TestWrongMethod(t *testing.T) {
	h, _ := newServer(t)
	rec := httpapitest.Serve(h, "POST", "/api/parties", nil)
	httpapitest.Problem(t, rec, http.StatusMethodNotAllowed, "method_not_allowed")
	if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("Allow = %q, want GET listed", allow)
	}
}

// A calendar app subscribes to a feed query by its URL or asks for the
// calendar by Accept alone; either way it gets the same calendar, which
// revalidates like the feed, and shared caches keep formats apart.
func TestListCalendarFormat(t *testing.T) {
	h, _ := newServer(t)
	byParam := httpapitest.Serve(h, "GET", "/api/parties?free=true&format=ics", nil)
	if byParam.Code != http.StatusOK || !strings.HasPrefix(byParam.Body.String(), "BEGIN:VCALENDAR") {
		t.Fatalf("format=ics: %d %.80q", byParam.Code, byParam.Body.String())
	}
	tag := byParam.Header().Get("ETag")
	tests := []struct {
		name, target, accept, wantType string
	}{
		{"Accept names the calendar type", "/api/parties?free=true", "text/calendar", feed.ContentICS},
		{"Accept with parameters", "/api/parties?free=true", "text/calendar; charset=utf-8, */*;q=0.1", feed.ContentICS},
		{"a browser's Accept gets JSON", "/api/parties?free=true", "text/html,application/xhtml+xml,*/*;q=0.8", feed.ContentJSON},
		{"fetch's default gets JSON", "/api/parties?free=true", "*/*", feed.ContentJSON},
		{"the parameter wins over Accept", "/api/parties?free=true&format=json", "text/calendar", feed.ContentJSON},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httpapitest.Serve(h, "GET", tc.target, nil, "Accept", tc.accept)
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != tc.wantType {
				t.Fatalf("%d %s, want 200 %s", rec.Code, rec.Header().Get("Content-Type"), tc.wantType)
			}
			if vary := rec.Header().Values("Vary"); !slices.Contains(vary, "Accept") {
				t.Errorf("Vary %v lacks Accept", vary)
			}
			if tc.wantType == feed.ContentICS && rec.Header().Get("ETag") != tag {
				t.Errorf("ETag %s, want the format=ics calendar's %s", rec.Header().Get("ETag"), tag)
			}
		})
	}
	if rec := httpapitest.Serve(h, "GET", "/api/parties?free=true&format=ics", nil, "If-None-Match", tag); rec.Code != http.StatusNotModified {
		t.Errorf("a subscriber's revalidation: %d, want 304", rec.Code)
	}
	httpapitest.Problem(t, httpapitest.Serve(h, "GET", "/api/parties?format=pdf", nil), http.StatusBadRequest, "invalid", "format")
}
