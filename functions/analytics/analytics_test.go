package analytics_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	analyticsfn "github.com/partyfinder/partyfinder/functions/analytics"
	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/inproc"
	"github.com/partyfinder/partyfinder/shared/party"
)

// The callers these tests sign in as, by the bearer token they send.
var callers = map[string]identity.Identity{
	"admin":    {UID: "admin-1", Roles: []identity.Role{identity.Admin}},
	"attendee": {UID: "attendee-1"},
}

// identified stands in for the app's token check: "Bearer <name>"
// reaches the handler as callers[name], no token as anonymous.
func identified(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if who, ok := callers[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]; ok {
			r = r.WithContext(identity.With(r.Context(), who))
		}
		next.ServeHTTP(w, r)
	})
}

// now is the tests' clock: the demo week is the week after it.
var now = demotest.Now

type env struct {
	t         *testing.T
	srv       http.Handler
	seeded    demotest.Seeded
	attendees *command.Attendees
	// a, b are two published demo parties at different venues.
	a, b party.Party
}

// newEnv wires the function as the app does on one machine, over the
// seeded store: the real feed cache and the store's counts, read through
// CachedStats for the public routes; the in-process bus carries every
// event (the attendees' saves and the reported interactions) to the
// feed and, synchronously here, to the analytics use case that counts
// them. limit, if not nil, is the report route's limit.
func newEnv(t *testing.T, limit func(http.Handler) http.Handler) *env {
	t.Helper()
	seeded := demotest.Store(t)
	bus := &inproc.Bus{}
	cache := feed.NewCache(seeded.Store, feed.Options{Refresh: time.Hour})
	bus.Subscribe(cache.Apply)
	counter := &command.Analytics{Store: seeded.Store}
	bus.Subscribe(func(ctx context.Context, e event.Event) {
		if !command.Counts(e) {
			return
		}
		if _, err := counter.Aggregate(ctx, []event.Event{e}); err != nil {
			t.Errorf("count %T: %v", e, err)
		}
	})
	clock := func() time.Time { return now }
	h := &analyticsfn.Handler{Feed: cache, Stats: seeded.Store, PublicStats: analyticsfn.CachedStats(seeded.Store, time.Hour),
		Events: bus, Now: clock, Limit: limit}
	e := &env{t: t, srv: identified(h.Routes()), seeded: seeded,
		attendees: &command.Attendees{Parties: seeded.Store, Store: seeded.Store, Events: bus, Stamp: event.Stamper{Now: clock}}}
	for _, p := range seeded.Parties {
		switch {
		case p.Status != party.Published:
		case e.a.ID == "":
			e.a = p
		case e.b.ID == "" && analytics.VenueKey(p.Venue) != analytics.VenueKey(e.a.Venue):
			e.b = p
		}
	}
	return e
}

func (e *env) do(as, method, target, body string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
		headers = append(headers, "Content-Type", "application/json")
	}
	if as != "" {
		headers = append(headers, "Authorization", "Bearer "+as)
	}
	return httpapitest.Serve(e.srv, method, target, rd, headers...)
}

// seed makes the counts the read tests expect: six attendees save party
// a (three developers, two investors, one without a persona), and
// interactions are reported for party b: three views and a calendar add.
func (e *env) seed() {
	e.t.Helper()
	ctx := context.Background()
	personas := []attendee.Persona{attendee.Developer, attendee.Developer, attendee.Developer, attendee.Investor, attendee.Investor, ""}
	for i, p := range personas {
		uid := fmt.Sprintf("saver-%d", i)
		if p != "" {
			if _, _, err := e.attendees.ChangeProfile(ctx, uid, func(pr *attendee.Profile) { pr.Persona = p }); err != nil {
				e.t.Fatalf("profile of %s: %v", uid, err)
			}
		}
		if added, _, err := e.attendees.AddSave(ctx, uid, e.a.ID); err != nil || !added {
			e.t.Fatalf("save by %s: %v %v", uid, added, err)
		}
	}
	report := fmt.Sprintf(`{"events":[{"id":"view-0001","type":"party_view","partyId":%[1]q},{"id":"view-0002","type":"party_view","partyId":%[1]q},
		{"id":"view-0003","type":"party_view","partyId":%[1]q},{"id":"cal-00001","type":"calendar_add","partyId":%[1]q}]}`, e.b.ID)
	if rec := e.do("attendee", http.MethodPost, "/api/analytics/events", report); rec.Code != http.StatusAccepted {
		e.t.Fatalf("report: %d %s", rec.Code, rec.Body)
	}
}

// A party's counters are for admins: they read the current numbers.
func TestPartyStats(t *testing.T) {
	e := newEnv(t, nil)
	e.seed()
	tests := []struct {
		name, as, id string
		status       int
		code         string
		want         analytics.Counters
	}{
		{"saved party", "admin", e.a.ID, http.StatusOK, "", analytics.Counters{Saves: 6}},
		{"viewed party", "admin", e.b.ID, http.StatusOK, "", analytics.Counters{Views: 3, CalendarAdds: 1}},
		{"party without counts", "admin", e.seeded.Parties[len(e.seeded.Parties)-1].ID, http.StatusOK, "", analytics.Counters{}},
		{"malformed id", "admin", "no%20such%20party!", http.StatusNotFound, "not_found", analytics.Counters{}},
		{"attendee", "attendee", e.a.ID, http.StatusForbidden, "forbidden", analytics.Counters{}},
		{"anonymous", "", e.a.ID, http.StatusUnauthorized, "unauthorized", analytics.Counters{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(tt.as, http.MethodGet, "/api/parties/"+tt.id+"/stats", "")
			if tt.code != "" {
				httpapitest.Problem(t, rec, tt.status, tt.code)
				return
			}
			var got analytics.Counters
			httpapitest.Data(t, rec, tt.status, "application/json", &got, nil)
			if got != tt.want {
				t.Errorf("counters %+v, want %+v", got, tt.want)
			}
		})
	}
}

// trendingItem is what these tests read of a trending party.
type trendingItem struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Score    float64  `json:"score"`
	Velocity *float64 `json:"velocity"`
}

// Trending ranks the parties by their score now, each as the feed shows
// it: saves weigh more than views, and parties nobody touched are not
// listed. Anyone may read it, and caches may keep it briefly.
func TestTrending(t *testing.T) {
	e := newEnv(t, nil)
	e.seed()
	var got []trendingItem
	var meta struct {
		Conference    string  `json:"conference"`
		Count         int     `json:"count"`
		HalfLifeHours float64 `json:"halfLifeHours"`
		MinShownSaves int     `json:"minShownSaves"`
	}
	rec := e.do("", http.MethodGet, "/api/parties/trending?conference="+e.seeded.Conference.ID, "")
	httpapitest.Data(t, rec, http.StatusOK, "application/json; charset=utf-8", &got, &meta)
	wantA := float64(6 * analytics.WeightSave)
	wantB := float64(3*analytics.WeightView + analytics.WeightCalendarAdd)
	if len(got) != 2 || got[0].ID != e.a.ID || got[1].ID != e.b.ID || got[0].Title != e.a.Title {
		t.Fatalf("trending %+v, want %q then %q", got, e.a.ID, e.b.ID)
	}
	if got[0].Score != wantA || got[1].Score != wantB {
		t.Errorf("scores %v, %v, want %v, %v (no time has passed)", got[0].Score, got[1].Score, wantA, wantB)
	}
	if meta.Conference != e.seeded.Conference.ID || meta.Count != 2 || meta.HalfLifeHours != 6 || meta.MinShownSaves != analytics.MinShownSaves {
		t.Errorf("meta %+v", meta)
	}
	if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "public") {
		t.Errorf("Cache-Control = %q, want a public one", cc)
	}

	httpapitest.Data(t, e.do("", http.MethodGet, "/api/parties/trending?limit=1", ""), http.StatusOK, "", &got, &meta)
	if len(got) != 1 || got[0].ID != e.a.ID || meta.Count != 1 {
		t.Errorf("limit=1: %+v, want %q alone", got, e.a.ID)
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=many"} {
		httpapitest.Problem(t, e.do("", http.MethodGet, "/api/parties/trending?"+q, ""), http.StatusBadRequest, "invalid", "limit")
	}
	httpapitest.Problem(t, e.do("", http.MethodGet, "/api/parties/trending?conference=nosuchcon", ""), http.StatusNotFound, "not_found")
}

// hotspot is what these tests read of a hotspot.
type hotspot struct {
	Venue       string        `json:"venue"`
	VenueID     string        `json:"venueId"`
	Total       int64         `json:"total"`
	Persona     analytics.Mix `json:"persona"`
	SampleEvent struct {
		ID    string `json:"id"`
		Title string `json:"title"`
		Start string `json:"start"`
	} `json:"sampleEvent"`
}

// Hotspots are the venues by current saves, with the savers' persona
// mix; a venue with too few saves to show is left out.
func TestHotspots(t *testing.T) {
	e := newEnv(t, nil)
	e.seed()
	conf := e.seeded.Conference
	var got []hotspot
	httpapitest.Data(t, e.do("", http.MethodGet, "/api/hotspots?conference="+conf.ID, ""), http.StatusOK, "application/json; charset=utf-8", &got, nil)
	if len(got) != 1 {
		t.Fatalf("hotspots %+v, want party a's venue alone (b has no saves)", got)
	}
	h := got[0]
	wantMix := analytics.Mix{Developer: 3, Investor: 2, Other: 1}
	if h.Venue != e.a.Venue || h.VenueID != analytics.VenueKey(e.a.Venue) || h.Total != 6 || h.Persona != wantMix {
		t.Errorf("hotspot %+v, want %q with 6 saves and mix %+v", h, e.a.Venue, wantMix)
	}
	if h.SampleEvent.ID != e.a.ID || h.SampleEvent.Start != e.a.Start.In(conf.Location()).Format(time.RFC3339) {
		t.Errorf("sample %+v, want %q at its local start", h.SampleEvent, e.a.ID)
	}
	httpapitest.Problem(t, e.do("", http.MethodGet, "/api/hotspots", ""), http.StatusBadRequest, "invalid", "conference")
	httpapitest.Problem(t, e.do("", http.MethodGet, "/api/hotspots?conference=nosuchcon", ""), http.StatusNotFound, "not_found")
}

type dashboard struct {
	Conference string             `json:"conference"`
	Totals     analytics.Counters `json:"totals"`
	Days       []struct {
		Date string `json:"date"`
		analytics.Counters
	} `json:"days"`
	TopParties []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
		analytics.Counters
	} `json:"topParties"`
	Funnel struct {
		Views        int64 `json:"views"`
		Saves        int64 `json:"saves"`
		CalendarAdds int64 `json:"calendarAdds"`
	} `json:"funnel"`
}

// The dashboard gives admins a conference's totals, its changes per day,
// its most saved parties and the funnel; a range narrows the totals and
// the days, never the ranking.
func TestDashboard(t *testing.T) {
	e := newEnv(t, nil)
	e.seed()
	conf := e.seeded.Conference.ID
	today := now.UTC().Format(time.DateOnly)

	var got dashboard
	httpapitest.Data(t, e.do("admin", http.MethodGet, "/api/analytics/dashboard?conference="+conf, ""), http.StatusOK, "application/json", &got, nil)
	want := analytics.Counters{Saves: 6, Views: 3, CalendarAdds: 1}
	if got.Conference != conf || got.Totals != want {
		t.Errorf("totals %+v, want %+v", got.Totals, want)
	}
	if len(got.Days) != 1 || got.Days[0].Date != today || got.Days[0].Counters != want {
		t.Errorf("days %+v, want %s with all of it", got.Days, today)
	}
	if len(got.TopParties) != 2 || got.TopParties[0].ID != e.a.ID || got.TopParties[0].Title != e.a.Title || got.TopParties[0].Saves != 6 || got.TopParties[1].ID != e.b.ID {
		t.Errorf("top parties %+v, want %q then %q", got.TopParties, e.a.ID, e.b.ID)
	}
	if got.Funnel.Views != 3 || got.Funnel.Saves != 6 || got.Funnel.CalendarAdds != 1 {
		t.Errorf("funnel %+v", got.Funnel)
	}

	var later dashboard
	httpapitest.Data(t, e.do("admin", http.MethodGet, "/api/analytics/dashboard?conference="+conf+"&from="+now.AddDate(0, 0, 1).Format(time.DateOnly), ""),
		http.StatusOK, "", &later, nil)
	if !later.Totals.Zero() || len(later.Days) != 0 || len(later.TopParties) != 2 {
		t.Errorf("from tomorrow: totals %+v, days %+v, top %d; want none, none, the ranking of all time", later.Totals, later.Days, len(later.TopParties))
	}

	refused := []struct {
		name, as, query string
		status          int
		code, field     string
	}{
		{"anonymous", "", "conference=" + conf, http.StatusUnauthorized, "unauthorized", ""},
		{"attendee", "attendee", "conference=" + conf, http.StatusForbidden, "forbidden", ""},
		{"from not a date", "admin", "conference=" + conf + "&from=monday", http.StatusBadRequest, "invalid", "from"},
		{"to before from", "admin", "conference=" + conf + "&from=2026-08-20&to=2026-08-19", http.StatusBadRequest, "invalid", "to"},
		{"unknown parameter", "admin", "conference=" + conf + "&party=x", http.StatusBadRequest, "invalid", "party"},
		{"unknown conference", "admin", "conference=nosuchcon", http.StatusNotFound, "not_found", ""},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			httpapitest.Problem(t, e.do(tt.as, http.MethodGet, "/api/analytics/dashboard?"+tt.query, ""), tt.status, tt.code, tt.field)
		})
	}
}

func (e *env) stats(id string) analytics.Counters {
	e.t.Helper()
	st, err := e.seeded.Store.Stats(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return st.Counters
}

// Clients report interactions, signed in or not: 202 with how many were
// accepted, and they are counted; a report resent counts once. A report
// with a problem is refused whole, naming each bad event by its index.
func TestReport(t *testing.T) {
	e := newEnv(t, nil)
	view := func(id string) string {
		return fmt.Sprintf(`{"id":%q,"type":"party_view","partyId":%q}`, id, e.a.ID)
	}
	body := `{"events":[` + view("client-0001") + `,{"id":"client-0002","type":"share","partyId":"` + e.a.ID + `"},{"id":"client-0003","type":"search","query":"rooftop"}]}`
	for _, as := range []string{"", "attendee", "attendee"} {
		rec := e.do(as, http.MethodPost, "/api/analytics/events", body)
		got := httpapitest.Decode[struct {
			Success  bool `json:"success"`
			Accepted int  `json:"accepted"`
		}](t, rec)
		if rec.Code != http.StatusAccepted || !got.Success || got.Accepted != 3 {
			t.Fatalf("report as %q: %d %s, want 202 with 3 accepted", as, rec.Code, rec.Body)
		}
	}
	// One report anonymous, one signed in, and that one resent: each
	// caller's ids count once.
	if st := e.stats(e.a.ID); st.Views != 2 || st.Shares != 2 {
		t.Errorf("counters %+v, want 2 views and 2 shares", st)
	}

	refused := []struct {
		name, body string
		field      string
	}{
		{"unknown type", `{"events":[` + view("client-0010") + `,{"id":"client-0011","type":"like","partyId":"` + e.a.ID + `"}]}`, "events[1].type"},
		{"unknown party", `{"events":[{"id":"client-0012","type":"party_view","partyId":"democon-nosuchparty"}]}`, "events[0].partyId"},
		{"short id", `{"events":[{"id":"x","type":"party_view","partyId":"` + e.a.ID + `"}]}`, "events[0].id"},
		{"search without a query", `{"events":[{"id":"client-0013","type":"search"}]}`, "events[0].query"},
		{"no events", `{"events":[]}`, "events"},
		{"not JSON", `{"events":`, ""},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			httpapitest.Problem(t, e.do("attendee", http.MethodPost, "/api/analytics/events", tt.body), http.StatusBadRequest, "invalid", tt.field)
		})
	}
	if st := e.stats(e.a.ID); st.Views != 2 {
		t.Errorf("refused reports counted: %+v", st)
	}
}

// The report route answers 429 once a client has used its budget, and
// counts nothing then; another client address has its own budget. The
// limit is the deployment's (per client address, as App.LimitClients
// builds it), here of two reports.
func TestReportLimit(t *testing.T) {
	local := httpapi.NewLocal()
	local.Now = func() time.Time { return now }
	tiny := httpapi.Limit{Rate: rate.Every(time.Hour), Burst: 2}
	limit := func(next http.Handler) http.Handler {
		return httpapi.RateLimitWith(local, httpapi.Policy{Name: "analytics.events", User: tiny, Anonymous: tiny, ClientAddr: httpapi.ForwardedFor(0)}, next)
	}
	e := newEnv(t, limit)
	from := func(addr string, i int) *httptest.ResponseRecorder {
		body := fmt.Sprintf(`{"events":[{"id":"limited-%04d","type":"party_view","partyId":%q}]}`, i, e.a.ID)
		req := httptest.NewRequest(http.MethodPost, "/api/analytics/events", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		return rec
	}
	for i := range 2 {
		if rec := from("198.51.100.7:4000", i); rec.Code != http.StatusAccepted {
			t.Fatalf("report %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	httpapitest.Problem(t, from("198.51.100.7:4001", 2), http.StatusTooManyRequests, "rate_limited")
	if rec := from("203.0.113.9:4000", 3); rec.Code != http.StatusAccepted {
		t.Errorf("another client: %d %s, want its own budget", rec.Code, rec.Body)
	}
	if st := e.stats(e.a.ID); st.Views != 3 {
		t.Errorf("views %d, want the 3 reports let through", st.Views)
	}
}
