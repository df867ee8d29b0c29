package conferences_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/functions/conferences"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/frab"
	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
	"github.com/partyfinder/partyfinder/shared/party"
)

// newServer mounts the function over a real feed cache reading a SQLite
// store that holds the demo week and, before it, a conference without
// parties, so that the list has an order to keep and a count can be zero.
func newServer(t *testing.T) (http.Handler, demotest.Seeded, conference.Conference) {
	t.Helper()
	seeded := demotest.Store(t)
	empty, err := conference.New("springcon", "Spring Con", "Leipzig", "Europe/Berlin", "2026-03-02", "2026-03-04")
	if err != nil {
		t.Fatal(err)
	}
	if empty, err = seeded.Store.CreateConference(context.Background(), empty); err != nil {
		t.Fatal(err)
	}
	cache := feed.NewCache(seeded.Store, feed.Options{Refresh: time.Hour})
	h := &conferences.Handler{Feed: cache, Calendar: feed.CalendarOptions{ProdID: "-//test//EN"}}
	return h.Routes(), seeded, empty
}

type conferenceJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	City       string `json:"city"`
	Timezone   string `json:"timezone"`
	FirstDay   string `json:"firstDay"`
	LastDay    string `json:"lastDay"`
	PartyCount *int   `json:"partyCount"`
}

func TestList(t *testing.T) {
	h, seeded, empty := newServer(t)
	var got []conferenceJSON
	httpapitest.Data(t, httpapitest.Serve(h, "GET", "/api/conferences", nil), http.StatusOK, feed.ContentJSON, &got, nil)
	// By first day: the earlier conference comes first although it was stored last.
	want := []conference.Conference{empty, seeded.Conference}
	if len(got) != len(want) {
		t.Fatalf("got %d conferences %+v, want %d", len(got), got, len(want))
	}
	for i, c := range want {
		g := got[i]
		if g.ID != c.ID || g.Name != c.Name || g.City != c.City || g.Timezone != c.TimeZone || g.FirstDay != c.FirstDay || g.LastDay != c.LastDay {
			t.Errorf("conference %d = %+v, want %+v", i, g, c)
		}
		if g.PartyCount != nil {
			t.Errorf("conference %d has a partyCount in the list; only the detail counts", i)
		}
	}
}

func TestGet(t *testing.T) {
	h, seeded, empty := newServer(t)
	open := len(seeded.Where(func(p party.Party) bool { return p.Status != party.Cancelled }))
	if open == len(seeded.Parties) {
		t.Fatal("the demo data has no cancelled party: the count is not tested")
	}
	tests := []struct {
		id        string
		wantName  string
		wantCount int // cancelled parties do not count
	}{
		{seeded.Conference.ID, seeded.Conference.Name, open},
		{empty.ID, empty.Name, 0},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			var got conferenceJSON
			httpapitest.Data(t, httpapitest.Serve(h, "GET", "/api/conferences/"+tt.id, nil), http.StatusOK, feed.ContentJSON, &got, nil)
			if got.ID != tt.id || got.Name != tt.wantName {
				t.Errorf("got %+v, want %s %q", got, tt.id, tt.wantName)
			}
			if got.PartyCount == nil || *got.PartyCount != tt.wantCount {
				t.Errorf("partyCount = %v, want %d", got.PartyCount, tt.wantCount)
			}
		})
	}
	for _, target := range []string{"/api/conferences/nocon", "/api/conferences/nocon/calendar.ics"} {
		t.Run(target, func(t *testing.T) {
			httpapitest.Problem(t, httpapitest.Serve(h, "GET", target, nil), http.StatusNotFound, "not_found")
		})
	}
}

// unfold undoes iCalendar line folding so properties can be searched.
func unfold(s string) string { return strings.ReplaceAll(s, "\r\n ", "") }

// A subscribed calendar carries every visible party, cancelled ones marked
// as such so that subscribers see the cancellation.
func TestCalendar(t *testing.T) {
	h, seeded, empty := newServer(t)
	rec := httpapitest.Serve(h, "GET", "/api/conferences/democon/calendar.ics", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != feed.ContentICS {
		t.Errorf("Content-Type = %q, want %q", ct, feed.ContentICS)
	}
	if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, `filename="democon.ics"`) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	body := rec.Body.String()
	if !strings.HasPrefix(body, "BEGIN:VCALENDAR\r\n") || !strings.HasSuffix(body, "END:VCALENDAR\r\n") {
		t.Errorf("not a calendar file: %.60q", body)
	}
	if strings.Count(body, "\n") != strings.Count(body, "\r\n") {
		t.Error("calendar has bare LF line endings; RFC 5545 wants CRLF")
	}
	text := unfold(body)
	cancelled := 0
	for _, p := range seeded.Parties {
		uid := "\r\nUID:" + p.ID + "@partyfinder\r\n"
		i := strings.Index(text, uid)
		if i < 0 {
			t.Errorf("party %s (%s) is missing", p.ID, p.Title)
			continue
		}
		event := text[i:]
		event = event[:strings.Index(event, "END:VEVENT")]
		if got := strings.Contains(event, "\r\nSTATUS:CANCELLED\r\n"); got != (p.Status == party.Cancelled) {
			t.Errorf("%s: STATUS:CANCELLED = %v for a %s party", p.Title, got, p.Status)
		}
		if p.Status == party.Cancelled {
			cancelled++
		}
	}
	if cancelled == 0 {
		t.Error("the demo data has no cancelled party: cancellations are not tested")
	}
	if n := strings.Count(text, "BEGIN:VEVENT"); n != len(seeded.Parties) {
		t.Errorf("%d events, want %d", n, len(seeded.Parties))
	}
	for _, want := range []string{"\r\nPRODID:-//test//EN\r\n", "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("calendar lacks %q", strings.TrimSpace(want))
		}
	}

	t.Run("conference without parties", func(t *testing.T) {
		rec := httpapitest.Serve(h, "GET", "/api/conferences/"+empty.ID+"/calendar.ics", nil)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), "BEGIN:VCALENDAR\r\n") {
			t.Fatalf("status %d, body %.60q", rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "BEGIN:VEVENT") {
			t.Error("an empty conference's calendar has events")
		}
	})
}

// Clients revalidate with the ETag they hold and get 304 without a body;
// a gzip client gets the same content compressed.
func TestConditionalAndCompressed(t *testing.T) {
	h, _, _ := newServer(t)
	for _, target := range []string{"/api/conferences", "/api/conferences/democon", "/api/conferences/democon/calendar.ics"} {
		t.Run(target, func(t *testing.T) {
			plain := httpapitest.Serve(h, "GET", target, nil)
			tag := plain.Header().Get("ETag")
			if plain.Code != http.StatusOK || tag == "" {
				t.Fatalf("status %d, ETag %q", plain.Code, tag)
			}
			if again := httpapitest.Serve(h, "GET", target, nil, "If-None-Match", tag); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
				t.Errorf("If-None-Match with the current tag: status %d, %d body bytes; want 304 and none", again.Code, again.Body.Len())
			}
			if stale := httpapitest.Serve(h, "GET", target, nil, "If-None-Match", `"stale"`); stale.Code != http.StatusOK {
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
		})
	}
}

func TestWrongMethod(t *testing.T) {
	h, _, _ := newServer(t)
	rec := httpapitest.Serve(h, "DELETE", "/api/conferences/democon", nil)
	httpapitest.Problem(t, rec, http.StatusMethodNotAllowed, "method_not_allowed")
	if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("Allow = %q, want GET listed", allow)
	}
}

// Schedule apps load the conference as a frab schedule: every party once
// under its guid, cancelled ones titled so, in XML or JSON.
func TestSchedule(t *testing.T) {
	h, seeded, empty := newServer(t)
	for _, tc := range []struct{ path, contentType, guidAt, cancelled string }{
		{"/api/conferences/democon/schedule.xml", feed.ContentFrabXML, `<event guid="%s"`, "<title>Cancelled: "},
		{"/api/conferences/democon/schedule.json", feed.ContentFrabJSON, `{"guid":"%s"`, `"title":"Cancelled: `},
	} {
		rec := httpapitest.Serve(h, "GET", tc.path, nil)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != tc.contentType {
			t.Fatalf("%s: %d %s", tc.path, rec.Code, rec.Header().Get("Content-Type"))
		}
		body, cancelled := rec.Body.String(), 0
		for _, p := range seeded.Parties {
			if n := strings.Count(body, fmt.Sprintf(tc.guidAt, frab.EventGUID(p.ID))); n != 1 {
				t.Errorf("%s: party %s appears %d times", tc.path, p.Title, n)
			}
			if p.Status == party.Cancelled {
				cancelled++
			}
		}
		if n := strings.Count(body, tc.cancelled); n != cancelled || n == 0 {
			t.Errorf("%s: %d cancelled titles, want %d", tc.path, n, cancelled)
		}
		if again := httpapitest.Serve(h, "GET", tc.path, nil, "If-None-Match", rec.Header().Get("ETag")); again.Code != http.StatusNotModified {
			t.Errorf("%s revalidated: %d, want 304", tc.path, again.Code)
		}
	}
	if rec := httpapitest.Serve(h, "GET", "/api/conferences/"+empty.ID+"/schedule.xml", nil); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "<event ") {
		t.Errorf("a conference without parties: %d %.200s", rec.Code, rec.Body)
	}
	if rec := httpapitest.Serve(h, "GET", "/api/conferences/nope/schedule.json", nil); rec.Code != http.StatusNotFound {
		t.Errorf("an unknown conference's schedule: %d", rec.Code)
	}
}
