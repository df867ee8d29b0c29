package admin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/functions/admin"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/inproc"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/telemetry"
)

// The callers these tests sign in as, by the bearer token they send.
var callers = map[string]identity.Identity{
	"admin":     {UID: "admin-1", Roles: []identity.Role{identity.Admin}},
	"organizer": {UID: "org-1", Roles: []identity.Role{identity.Organizer}},
	"trusted":   {UID: "trusted-1", Roles: []identity.Role{identity.Organizer, identity.Trusted}},
	"attendee":  {UID: "attendee-1"},
}

// signedIn stands in for the app's token check: a request with
// "Bearer <name>" reaches the handler as callers[name], one without a
// token as nobody.
func signedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if who, ok := callers[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]; ok {
			r = r.WithContext(identity.With(r.Context(), who))
		}
		next.ServeHTTP(w, r)
	})
}

// env is the function as the app wires it, over the seeded store: the
// real feed cache kept current by the in-process bus, the real conference
// and import use cases, the store's audit trail and an SLO tracker.
type env struct {
	t      *testing.T
	srv    http.Handler
	seeded demotest.Seeded
	feed   *feed.Cache
	slo    *telemetry.SLOTracker
	// organizers submit parties for the moderation queue.
	organizers *command.Organizers
}

// newEnv builds the function; fetch is the sheet fetcher (nil: none is
// configured).
func newEnv(t *testing.T, fetch admin.Fetch) *env {
	t.Helper()
	seeded := demotest.Store(t)
	bus := &inproc.Bus{}
	cache := feed.NewCache(seeded.Store, feed.Options{Refresh: time.Hour})
	bus.Subscribe(cache.Apply)
	slo := telemetry.NewSLOTracker(telemetry.FeedSLO, telemetry.AttendeeSLO)
	h := &admin.Handler{
		Feed:        cache,
		Parties:     seeded.Store,
		Conferences: &command.Conferences{Store: seeded.Store, Events: bus},
		Audit:       seeded.Store,
		Import:      &importer.Importer{Store: seeded.Store, Events: bus},
		Fetch:       fetch,
		SLO:         func() any { return slo.Report(demotest.Now) },
	}
	return &env{t: t, srv: signedIn(h.Routes()), seeded: seeded, feed: cache, slo: slo,
		organizers: &command.Organizers{Store: seeded.Store, Events: bus}}
}

// do sends one request as the caller named (""; anonymous) and returns
// the answer; headers are name, value pairs.
func (e *env) do(as, method, target, body string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	if as != "" {
		headers = append(headers, "Authorization", "Bearer "+as)
	}
	if body != "" && !hasHeader(headers, "Content-Type") {
		headers = append(headers, "Content-Type", "application/json")
	}
	return httpapitest.Serve(e.srv, method, target, rd, headers...)
}

func hasHeader(headers []string, name string) bool {
	for i := 0; i < len(headers); i += 2 {
		if strings.EqualFold(headers[i], name) {
			return true
		}
	}
	return false
}

// submit stores a party as an organizer would, through the real use case.
func (e *env) submit(as, title, venue string, start time.Time) party.Party {
	e.t.Helper()
	p, _, _, err := e.organizers.Submit(context.Background(), callers[as],
		party.Party{ConferenceID: e.seeded.Conference.ID, Title: title, Venue: venue, Start: start, Hosts: []string{"Test Host"}}, "", true)
	if err != nil {
		e.t.Fatalf("submit %q: %v", title, err)
	}
	return p
}

// Every route is for admins alone: anonymous callers hear 401, signed-in
// attendees and organizers (trusted ones too) 403, before the request is
// read at all, so even a malformed one is refused by who sends it.
func TestOnlyAdmins(t *testing.T) {
	e := newEnv(t, nil)
	conf := e.seeded.Conference.ID
	routes := []struct {
		method, target, body string
		adminStatus          int // what an admin hears for the same request
	}{
		{http.MethodGet, "/api/admin/moderation?conference=" + conf, "", http.StatusOK},
		{http.MethodPost, "/api/admin/conferences", `{}`, http.StatusBadRequest},
		{http.MethodPatch, "/api/admin/conferences/" + conf, `{}`, http.StatusOK},
		{http.MethodPost, "/api/admin/imports?conference=" + conf + "&dryRun=true", "Event Name,Date,Start Time\nX,2026-08-17,20:00\n", http.StatusOK},
		{http.MethodGet, "/api/admin/audit", "", http.StatusOK},
		{http.MethodGet, "/api/slo", "", http.StatusOK},
	}
	callersAndAnswers := []struct {
		as     string
		status int
		code   string
	}{
		{"", http.StatusUnauthorized, "unauthorized"},
		{"attendee", http.StatusForbidden, "forbidden"},
		{"organizer", http.StatusForbidden, "forbidden"},
		{"trusted", http.StatusForbidden, "forbidden"},
	}
	for _, rt := range routes {
		headers := []string{}
		if strings.Contains(rt.target, "imports") {
			headers = []string{"Content-Type", "text/csv"}
		}
		for _, c := range callersAndAnswers {
			name := c.as
			if name == "" {
				name = "anonymous"
			}
			t.Run(rt.method+" "+rt.target+" as "+name, func(t *testing.T) {
				rec := e.do(c.as, rt.method, rt.target, rt.body, headers...)
				httpapitest.Problem(t, rec, c.status, c.code)
			})
		}
		t.Run(rt.method+" "+rt.target+" as admin", func(t *testing.T) {
			rec := e.do("admin", rt.method, rt.target, rt.body, headers...)
			if rec.Code != rt.adminStatus {
				t.Fatalf("admin: %d %s, want %d", rec.Code, rec.Body, rt.adminStatus)
			}
		})
	}
}

// moderationItem is what these tests read of a queued party.
type moderationItem struct {
	ID     string       `json:"id"`
	Title  string       `json:"title"`
	Status party.Status `json:"status"`
}

// The moderation queue holds the conference's pending parties alone,
// the longest waiting first: not the published demo week, not what an
// admin or a trusted organizer submitted (live at once).
func TestModerationQueue(t *testing.T) {
	e := newEnv(t, nil)
	conf := e.seeded.Conference
	day, _ := time.ParseInLocation("2006-01-02 15:04", conf.FirstDay+" 19:00", conf.Location())
	first := e.submit("organizer", "First Waiting Party", "Hall A", day)
	e.submit("trusted", "Trusted Party", "Hall B", day.Add(time.Hour))
	e.submit("admin", "Admin Party", "Hall C", day.Add(2*time.Hour))
	second := e.submit("organizer", "Second Waiting Party", "Hall D", day.Add(-time.Hour))

	var got []moderationItem
	httpapitest.Data(t, e.do("admin", http.MethodGet, "/api/admin/moderation?conference="+conf.ID, ""), http.StatusOK, "application/json", &got, nil)
	if len(got) != 2 || got[0].ID != first.ID || got[1].ID != second.ID {
		t.Fatalf("queue %+v, want %q then %q", got, first.ID, second.ID)
	}
	for _, it := range got {
		if it.Status != party.Pending {
			t.Errorf("queued %q has status %q, want pending", it.Title, it.Status)
		}
	}

	bad := []struct {
		name, target string
		status       int
		code, field  string
	}{
		{"no conference", "/api/admin/moderation", http.StatusBadRequest, "invalid", "conference"},
		{"unknown conference", "/api/admin/moderation?conference=nosuchcon", http.StatusNotFound, "not_found", ""},
		{"unknown parameter", "/api/admin/moderation?conference=" + conf.ID + "&page=2", http.StatusBadRequest, "invalid", "page"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			httpapitest.Problem(t, e.do("admin", http.MethodGet, tt.target, ""), tt.status, tt.code, tt.field)
		})
	}
}

// sloReport is what these tests read of the SLO route.
type sloReport struct {
	SLO       string  `json:"slo"`
	Objective float64 `json:"objective"`
	Windows   []struct {
		Window   string `json:"window"`
		Requests int64  `json:"requests"`
		Errors   int64  `json:"errors"`
	} `json:"windows"`
}

// The SLO route reports the requests this process served per objective
// and window, the errors among them; without a tracker it is 404.
func TestSLO(t *testing.T) {
	e := newEnv(t, nil)
	for _, status := range []int{200, 200, 200, 503} {
		e.slo.Record("feed", status, 10*time.Millisecond, demotest.Now)
	}
	var got []sloReport
	httpapitest.Data(t, e.do("admin", http.MethodGet, "/api/slo", ""), http.StatusOK, "application/json", &got, nil)
	if len(got) != 2 || got[0].SLO != "feed" || got[1].SLO != "attendee" || got[0].Objective != 0.999 {
		t.Fatalf("report %+v, want the feed and attendee objectives", got)
	}
	if len(got[0].Windows) == 0 || got[0].Windows[0].Requests != 4 || got[0].Windows[0].Errors != 1 {
		t.Errorf("feed windows %+v, want 4 requests and 1 error in the first", got[0].Windows)
	}
	if w := got[1].Windows; len(w) == 0 || w[0].Requests != 0 {
		t.Errorf("attendee windows %+v, want no requests", w)
	}
	httpapitest.Problem(t, e.do("admin", http.MethodGet, "/api/slo?window=5m", ""), http.StatusBadRequest, "invalid", "window")

	none := &admin.Handler{Feed: e.feed}
	httpapitest.Problem(t, httpapitest.Serve(signedIn(none.Routes()), http.MethodGet, "/api/slo", nil, "Authorization", "Bearer admin"),
		http.StatusNotFound, "not_found")
}
