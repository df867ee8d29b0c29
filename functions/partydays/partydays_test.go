package partydays_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/functions/partydays"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/party"
)

// mount serves the function over a real feed cache reading the store.
func mount(seeded demotest.Seeded) http.Handler {
	cache := feed.NewCache(seeded.Store, feed.Options{Refresh: time.Hour})
	return (&partydays.Handler{Feed: cache}).Routes()
}

// do sends one request; header holds name, value pairs.
func do(h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

type day struct {
	Date    string `json:"date"`
	Weekday string `json:"weekday"`
	Label   string `json:"label"`
	Count   int    `json:"count"`
}

type daysBody struct {
	Success *bool `json:"success"`
	Data    []day `json:"data"`
	Meta    struct {
		Conference string `json:"conference"`
		Timezone   string `json:"timezone"`
		Days       int    `json:"days"`
		Total      int    `json:"total"`
	} `json:"meta"`
}

func decodeDays(t *testing.T, rec *httptest.ResponseRecorder) daysBody {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != feed.ContentJSON {
		t.Errorf("Content-Type = %q, want %q", ct, feed.ContentJSON)
	}
	var b daysBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("body is not JSON: %v; %s", err, rec.Body)
	}
	if b.Success == nil || !*b.Success {
		t.Errorf("success = %v, want true", b.Success)
	}
	return b
}

// problem checks an application/problem+json answer and returns the
// fields its errors name.
func problem(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) []string {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p struct {
		Type, Title, Error string
		Status             int
		Success            *bool
		Errors             []struct{ Field string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem is not JSON: %v; %s", err, rec.Body)
	}
	if p.Type != "urn:partyfinder:problem:"+code || p.Title != http.StatusText(status) || p.Status != status {
		t.Errorf("problem type %q title %q status %d, want %s, %q, %d", p.Type, p.Title, p.Status, code, http.StatusText(status), status)
	}
	if p.Success == nil || *p.Success || p.Error == "" {
		t.Errorf("problem success = %v error = %q: clients need success:false and a message", p.Success, p.Error)
	}
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
	}
	return fields
}

// wantDays counts the parties one can still go to per local day, in order.
func wantDays(seeded demotest.Seeded) []day {
	loc := seeded.Conference.Location()
	var out []day
	for _, p := range seeded.Where(func(p party.Party) bool { return p.Status != party.Cancelled }) {
		d := p.LocalDate(loc)
		if len(out) == 0 || out[len(out)-1].Date != d {
			start := p.Start.In(loc)
			out = append(out, day{Date: d, Weekday: start.Weekday().String(), Label: start.Format("Mon Jan 2")})
		}
		out[len(out)-1].Count++
	}
	return out
}

func TestDays(t *testing.T) {
	seeded := demotest.Store(t)
	h := mount(seeded)
	want := wantDays(seeded)
	// The demo week runs Monday to Friday with parties every day.
	if len(want) != 5 || want[0].Date != seeded.Conference.FirstDay || want[0].Weekday != "Monday" || want[4].Date != seeded.Conference.LastDay {
		t.Fatalf("unexpected demo week: %+v", want)
	}
	total := 0
	for _, d := range want {
		total += d.Count
	}
	for _, target := range []string{"/api/party-days", "/api/party-days?conference=democon"} {
		t.Run(target, func(t *testing.T) {
			b := decodeDays(t, do(h, "GET", target))
			if !slices.Equal(b.Data, want) {
				t.Errorf("days = %+v\nwant %+v", b.Data, want)
			}
			m := b.Meta
			if m.Conference != "democon" || m.Timezone != "Europe/Berlin" || m.Days != len(want) || m.Total != total {
				t.Errorf("meta = %+v, want democon, Europe/Berlin, %d days, %d parties", m, len(want), total)
			}
		})
	}
}

// A day whose parties were all cancelled has nothing to go to: it is left
// out, and the cancelled parties count nowhere.
func TestDayWithOnlyCancelledPartiesIsLeftOut(t *testing.T) {
	seeded := demotest.Store(t)
	loc := seeded.Conference.Location()
	last := seeded.Conference.LastDay
	friday := seeded.Where(func(p party.Party) bool { return p.LocalDate(loc) == last })
	if len(friday) == 0 {
		t.Fatalf("no demo parties on %s", last)
	}
	for _, p := range friday {
		if _, err := seeded.Store.UpdateParty(context.Background(), p.ID, func(p *party.Party) error {
			p.Status = party.Cancelled
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	b := decodeDays(t, do(mount(seeded), "GET", "/api/party-days"))
	if len(b.Data) != 4 || slices.ContainsFunc(b.Data, func(d day) bool { return d.Date == last }) {
		t.Errorf("days = %+v, want Monday to Thursday only", b.Data)
	}
	want := len(seeded.Where(func(p party.Party) bool { return p.Status != party.Cancelled && p.LocalDate(loc) != last }))
	if b.Meta.Total != want {
		t.Errorf("total = %d, want %d", b.Meta.Total, want)
	}
}

func TestErrors(t *testing.T) {
	h := mount(demotest.Store(t))
	tests := []struct {
		target     string
		status     int
		code       string
		wantFields []string
	}{
		{"/api/party-days?conference=nocon", http.StatusNotFound, "not_found", nil},
		// Only "conference" is known: the feed's older name is not, nor filters.
		{"/api/party-days?conferenceId=democon", http.StatusBadRequest, "invalid", []string{"conferenceId"}},
		{"/api/party-days?date=2026-08-17", http.StatusBadRequest, "invalid", []string{"date"}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			if got := problem(t, do(h, "GET", tt.target), tt.status, tt.code); !slices.Equal(got, tt.wantFields) {
				t.Errorf("errors name %v, want %v", got, tt.wantFields)
			}
		})
	}
}

func TestConditional(t *testing.T) {
	h := mount(demotest.Store(t))
	plain := do(h, "GET", "/api/party-days")
	tag := plain.Header().Get("ETag")
	if plain.Code != http.StatusOK || tag == "" {
		t.Fatalf("status %d, ETag %q", plain.Code, tag)
	}
	if cc := plain.Header().Get("Cache-Control"); cc != feed.CacheFeed {
		t.Errorf("Cache-Control = %q, want %q", cc, feed.CacheFeed)
	}
	if again := do(h, "GET", "/api/party-days", "If-None-Match", tag); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("If-None-Match with the current tag: status %d, %d body bytes; want 304 and none", again.Code, again.Body.Len())
	}
	if stale := do(h, "GET", "/api/party-days", "If-None-Match", `"stale"`); stale.Code != http.StatusOK || stale.Body.Len() == 0 {
		t.Errorf("If-None-Match with another tag: status %d, want 200 with the body", stale.Code)
	}
}

func TestWrongMethod(t *testing.T) {
	rec := do(mount(demotest.Store(t)), "POST", "/api/party-days")
	problem(t, rec, http.StatusMethodNotAllowed, "method_not_allowed")
	if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("Allow = %q, want GET listed", allow)
	}
}
