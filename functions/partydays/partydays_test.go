package partydays_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/functions/partydays"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
	"github.com/partyfinder/partyfinder/shared/party"
)

// mount serves the function over a real feed cache reading the store.
func mount(seeded demotest.Seeded) http.Handler {
	cache := feed.NewCache(seeded.Store, feed.Options{Refresh: time.Hour})
	return (&partydays.Handler{Feed: cache}).Routes()
}

type day struct {
	Date    string `json:"date"`
	Weekday string `json:"weekday"`
	Label   string `json:"label"`
	Count   int    `json:"count"`
}

// daysBody is the envelope's data and meta.
type daysBody struct {
	Data []day
	Meta struct {
		Conference string `json:"conference"`
		Timezone   string `json:"timezone"`
		Days       int    `json:"days"`
		Total      int    `json:"total"`
	}
}

func decodeDays(t *testing.T, rec *httptest.ResponseRecorder) daysBody {
	t.Helper()
	var b daysBody
	httpapitest.Data(t, rec, http.StatusOK, feed.ContentJSON, &b.Data, &b.Meta)
	return b
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
			b := decodeDays(t, httpapitest.Serve(h, "GET", target, nil))
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
	b := decodeDays(t, httpapitest.Serve(mount(seeded), "GET", "/api/party-days", nil))
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
			if got := httpapitest.Problem(t, httpapitest.Serve(h, "GET", tt.target, nil), tt.status, tt.code).Fields(); !slices.Equal(got, tt.wantFields) {
				t.Errorf("errors name %v, want %v", got, tt.wantFields)
			}
		})
	}
}

func TestConditional(t *testing.T) {
	h := mount(demotest.Store(t))
	plain := httpapitest.Serve(h, "GET", "/api/party-days", nil)
	tag := plain.Header().Get("ETag")
	if plain.Code != http.StatusOK || tag == "" {
		t.Fatalf("status %d, ETag %q", plain.Code, tag)
	}
	if cc := plain.Header().Get("Cache-Control"); cc != feed.CacheFeed {
		t.Errorf("Cache-Control = %q, want %q", cc, feed.CacheFeed)
	}
	if again := httpapitest.Serve(h, "GET", "/api/party-days", nil, "If-None-Match", tag); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("If-None-Match with the current tag: status %d, %d body bytes; want 304 and none", again.Code, again.Body.Len())
	}
	if stale := httpapitest.Serve(h, "GET", "/api/party-days", nil, "If-None-Match", `"stale"`); stale.Code != http.StatusOK || stale.Body.Len() == 0 {
		t.Errorf("If-None-Match with another tag: status %d, want 200 with the body", stale.Code)
	}
}

func TestWrongMethod(t *testing.T) {
	rec := httpapitest.Serve(mount(demotest.Store(t)), "POST", "/api/party-days", nil)
	httpapitest.Problem(t, rec, http.StatusMethodNotAllowed, "method_not_allowed")
	if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("Allow = %q, want GET listed", allow)
	}
}
