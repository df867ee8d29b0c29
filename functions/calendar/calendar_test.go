package calendar_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/functions/calendar"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/personal"
)

// fixture is the function over a real feed cache and personal views, both
// reading a SQLite store seeded with the demo week, as the app wires them.
type fixture struct {
	demotest.Seeded
	h         http.Handler
	attendees *command.Attendees
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	seeded := demotest.Store(t)
	cache := feed.NewCache(seeded.Store, feed.Options{Refresh: time.Hour})
	h := &calendar.Handler{
		Feed:     cache,
		Calendar: feed.CalendarOptions{ProdID: "-//test//EN"},
		Personal: personal.NewViews(seeded.Store, cache),
	}
	attendees := &command.Attendees{
		Parties:        seeded.Store,
		Store:          seeded.Store,
		CalendarSecret: bytes.Repeat([]byte("calendar secret "), 2), // 32 bytes
	}
	return fixture{Seeded: seeded, h: h.Routes(), attendees: attendees}
}

// calendarText checks a 200 iCalendar answer and returns its unfolded text.
func calendarText(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != feed.ContentICS {
		t.Errorf("Content-Type = %q, want %q", ct, feed.ContentICS)
	}
	body := rec.Body.String()
	if !strings.HasPrefix(body, "BEGIN:VCALENDAR\r\n") || !strings.HasSuffix(body, "END:VCALENDAR\r\n") {
		t.Errorf("not a calendar file: %.60q", body)
	}
	if strings.Count(body, "\n") != strings.Count(body, "\r\n") {
		t.Error("calendar has bare LF line endings; RFC 5545 wants CRLF")
	}
	return strings.ReplaceAll(body, "\r\n ", "") // undo line folding
}

func uid(p party.Party) string { return "\r\nUID:" + p.ID + "@partyfinder\r\n" }

func firstCancelled(ps []party.Party) party.Party {
	return ps[slices.IndexFunc(ps, func(p party.Party) bool { return p.Status == party.Cancelled })]
}

// Older clients fetch one party's file by query parameter, under either name.
func TestPartyCalendar(t *testing.T) {
	f := newFixture(t)
	open, cancelled := f.Parties[0], firstCancelled(f.Parties)
	tests := []struct {
		name, query   string
		want          party.Party
		wantCancelled bool
	}{
		{"partyId", "partyId=" + open.ID, open, false},
		{"eventId", "eventId=" + open.ID, open, false},
		{"partyId wins", "partyId=" + open.ID + "&eventId=" + cancelled.ID, open, false},
		{"cancelled party", "partyId=" + cancelled.ID, cancelled, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := calendarText(t, httpapitest.Serve(f.h, "GET", "/api/calendar/ics?"+tt.query, nil))
			if !strings.Contains(text, uid(tt.want)) || strings.Count(text, "BEGIN:VEVENT") != 1 {
				t.Errorf("calendar does not hold exactly %s", tt.want.ID)
			}
			if !strings.Contains(text, "\r\nPRODID:-//test//EN\r\n") {
				t.Error("calendar lacks the configured PRODID")
			}
			if got := strings.Contains(text, "\r\nSTATUS:CANCELLED\r\n"); got != tt.wantCancelled {
				t.Errorf("STATUS:CANCELLED = %v, want %v", got, tt.wantCancelled)
			}
		})
	}
}

func TestPartyCalendarErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, query string
		status      int
		code        string
		wantFields  []string
	}{
		{"no id", "", http.StatusBadRequest, "invalid", []string{"partyId"}},
		{"empty id", "partyId=", http.StatusBadRequest, "invalid", []string{"partyId"}},
		{"unknown party", "partyId=democon-0000000000000000", http.StatusNotFound, "not_found", nil},
		{"malformed id", "eventId=%3Cscript%3E", http.StatusNotFound, "not_found", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpapitest.Problem(t, httpapitest.Serve(f.h, "GET", "/api/calendar/ics?"+tt.query, nil), tt.status, tt.code).Fields(); !slices.Equal(got, tt.wantFields) {
				t.Errorf("errors name %v, want %v", got, tt.wantFields)
			}
		})
	}
}

func TestPartyCalendarConditional(t *testing.T) {
	f := newFixture(t)
	target := "/api/calendar/ics?partyId=" + f.Parties[0].ID
	plain := httpapitest.Serve(f.h, "GET", target, nil)
	tag := plain.Header().Get("ETag")
	if plain.Code != http.StatusOK || tag == "" {
		t.Fatalf("status %d, ETag %q", plain.Code, tag)
	}
	if again := httpapitest.Serve(f.h, "GET", target, nil, "If-None-Match", tag); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("If-None-Match with the current tag: status %d, %d body bytes; want 304 and none", again.Code, again.Body.Len())
	}
	if zipped := httpapitest.Serve(f.h, "GET", target, nil, "Accept-Encoding", "gzip"); zipped.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("Content-Encoding = %q for a %d-byte calendar, want gzip", zipped.Header().Get("Content-Encoding"), plain.Body.Len())
	}
}

// A calendar app fetches the personal feed with nothing but the token in
// the URL: it must get the user's saved parties, current at every fetch,
// and a party cancelled after it was saved must arrive as cancelled.
func TestPersonalFeed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	openParties := f.Where(func(p party.Party) bool { return p.Status != party.Cancelled })
	kept, toCancel, other := openParties[3], openParties[10], openParties[20]
	for _, p := range []party.Party{kept, toCancel} {
		if _, _, err := f.attendees.AddSave(ctx, "user-1", p.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := f.attendees.AddSave(ctx, "user-2", other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Store.UpdateParty(ctx, toCancel.ID, func(p *party.Party) error {
		p.Status = party.Cancelled
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	token, _, err := f.attendees.CalendarLink(ctx, "user-1", false)
	if err != nil {
		t.Fatal(err)
	}

	rec := httpapitest.Serve(f.h, "GET", personal.FeedPath+token+".ics", nil)
	text := calendarText(t, rec)
	if cc := rec.Header().Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
		t.Errorf("Cache-Control = %q: one user's feed must not sit in shared caches", cc)
	}
	if n := strings.Count(text, "BEGIN:VEVENT"); n != 2 {
		t.Errorf("%d events, want the user's 2 saved parties", n)
	}
	for _, p := range []party.Party{kept, toCancel} {
		if !strings.Contains(text, uid(p)) {
			t.Errorf("saved party %s (%s) is missing", p.ID, p.Title)
		}
	}
	if strings.Contains(text, uid(other)) {
		t.Error("the feed holds another user's saved party")
	}
	if n := strings.Count(text, "\r\nSTATUS:CANCELLED\r\n"); n != 1 {
		t.Errorf("%d events are STATUS:CANCELLED, want the 1 cancelled after saving", n)
	}

	// Rotating the link kills the old URL and the new one works.
	rotated, _, err := f.attendees.CalendarLink(ctx, "user-1", true)
	if err != nil || rotated == token {
		t.Fatalf("rotate: %v (token changed: %v)", err, rotated != token)
	}
	httpapitest.Problem(t, httpapitest.Serve(f.h, "GET", personal.FeedPath+token+".ics", nil), http.StatusNotFound, "not_found")
	calendarText(t, httpapitest.Serve(f.h, "GET", personal.FeedPath+rotated+".ics", nil))
}

// Anything that is not the current token of a feed file is a plain 404,
// which tells a prober nothing.
func TestPersonalFeedNotFound(t *testing.T) {
	f := newFixture(t)
	token, _, err := f.attendees.CalendarLink(context.Background(), "user-1", false)
	if err != nil {
		t.Fatal(err)
	}
	unknown := strings.Repeat("A", len(token))
	if unknown == token {
		t.Fatal("the unknown token is the issued one")
	}
	for name, file := range map[string]string{
		"malformed token":           "not-a-token.ics",
		"token cut short":           token[1:] + ".ics",
		"token not base64url":       strings.Repeat("!", len(token)) + ".ics",
		"missing .ics suffix":       token,
		"other suffix":              token + ".ical",
		"well formed, never issued": unknown + ".ics",
	} {
		t.Run(name, func(t *testing.T) {
			httpapitest.Problem(t, httpapitest.Serve(f.h, "GET", personal.FeedPath+file, nil), http.StatusNotFound, "not_found")
		})
	}
	t.Run("server without attendee data", func(t *testing.T) {
		h := (&calendar.Handler{Feed: feed.NewCache(f.Store, feed.Options{Refresh: time.Hour})}).Routes()
		httpapitest.Problem(t, httpapitest.Serve(h, "GET", personal.FeedPath+token+".ics", nil), http.StatusNotFound, "not_found")
	})
}

func TestWrongMethod(t *testing.T) {
	f := newFixture(t)
	rec := httpapitest.Serve(f.h, "POST", "/api/calendar/ics?partyId="+f.Parties[0].ID, nil)
	httpapitest.Problem(t, rec, http.StatusMethodNotAllowed, "method_not_allowed")
	if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("Allow = %q, want GET listed", allow)
	}
}
