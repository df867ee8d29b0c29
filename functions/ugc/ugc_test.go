package ugc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/functions/ugc"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/inproc"
	"github.com/partyfinder/partyfinder/shared/party"
)

// The callers these tests sign in as, by the bearer token they send.
var callers = map[string]identity.Identity{
	"admin":     {UID: "admin-1", Roles: []identity.Role{identity.Admin}},
	"organizer": {UID: "org-1", Roles: []identity.Role{identity.Organizer}},
	"attendee":  {UID: "attendee-1"},
}

// writeAuth stands in for the app's write middleware: "Bearer <name>"
// reaches the handler as callers[name], no token as nobody.
func writeAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if who, ok := callers[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]; ok {
			r = r.WithContext(identity.With(r.Context(), who))
		}
		next.ServeHTTP(w, r)
	})
}

type env struct {
	t      *testing.T
	srv    http.Handler
	seeded demotest.Seeded
}

// newEnv wires the function as the app does, over the seeded store: the
// real feed cache, kept current by the in-process bus the organizer use
// cases publish to, with the demo conference as the default.
func newEnv(t *testing.T) *env {
	t.Helper()
	seeded := demotest.Store(t)
	bus := &inproc.Bus{}
	cache := feed.NewCache(seeded.Store, feed.Options{Refresh: time.Hour, DefaultConference: demo.ConferenceID})
	bus.Subscribe(cache.Apply)
	h := &ugc.Handler{Feed: cache, Organizers: &command.Organizers{Store: seeded.Store, Events: bus}, WriteAuth: writeAuth}
	return &env{t: t, srv: h.Routes(), seeded: seeded}
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

// event is a party in the old client's shape.
type event struct {
	ID           string `json:"id"`
	ConferenceID string `json:"conferenceId"`
	Name         string `json:"name"`
	Creator      string `json:"creator"`
	Date         string `json:"date"`
	StartTime    string `json:"startTime"`
	Venue        string `json:"venue"`
	Category     string `json:"category"`
	Description  string `json:"description"`
	Status       string `json:"status"`
	CreatedAt    string `json:"createdAt"`
}

func (e *env) form(name, venue, date, startTime string, extra ...string) string {
	body := fmt.Sprintf(`{"name":%q,"creator":" Indie Collective ","date":%q,"startTime":%q,"venue":%q,"category":"Mixer","description":"Drinks."`,
		name, date, startTime, venue)
	for _, x := range extra {
		body += "," + x
	}
	return body + "}"
}

func (e *env) list() []event {
	e.t.Helper()
	var got []event
	httpapitest.Data(e.t, e.do("", http.MethodGet, "/api/ugc/events", ""), http.StatusOK, "", &got, nil)
	return got
}

// A submission by an organizer or admin is stored as theirs in the
// default conference and answered 201 in the old client's shape: an
// admin's live at once, an organizer's pending moderation. The public
// list then shows the live submission, and never the imported demo week.
func TestSubmitAndList(t *testing.T) {
	e := newEnv(t)
	conf := e.seeded.Conference
	if got := e.list(); len(got) != 0 {
		t.Fatalf("before any submission the list holds %d parties, want none of the imported ones", len(got))
	}
	tests := []struct {
		as, name, status string
	}{
		{"admin", "Admin Rooftop Mixer", "published"},
		{"organizer", "Organizer Cellar Mixer", "pending"},
	}
	ids := map[string]string{}
	for i, tt := range tests {
		t.Run(tt.as, func(t *testing.T) {
			var got event
			body := e.form(tt.name, fmt.Sprintf("Venue %d", i), conf.FirstDay, "21:30")
			httpapitest.Data(t, e.do(tt.as, http.MethodPost, "/api/ugc/events/create", body), http.StatusCreated, "application/json", &got, nil)
			want := event{ID: got.ID, ConferenceID: conf.ID, Name: tt.name, Creator: "Indie Collective", Date: conf.FirstDay, StartTime: "21:30",
				Venue: fmt.Sprintf("Venue %d", i), Category: "Mixer", Description: "Drinks.", Status: tt.status, CreatedAt: got.CreatedAt}
			if got != want || got.ID == "" {
				t.Errorf("answer %+v, want %+v", got, want)
			}
			if _, err := time.Parse(time.RFC3339, got.CreatedAt); err != nil {
				t.Errorf("createdAt %q: %v", got.CreatedAt, err)
			}
			stored, err := e.seeded.Store.Party(context.Background(), got.ID)
			if err != nil || stored.Owner != callers[tt.as].UID || stored.Source != "organizer" || string(stored.Status) != tt.status {
				t.Errorf("stored %+v (%v), want owned by %s, %s", stored, err, callers[tt.as].UID, tt.status)
			}
			ids[tt.as] = got.ID
		})
	}
	got := e.list()
	if len(got) != 1 || got[0].ID != ids["admin"] || got[0].Name != "Admin Rooftop Mixer" || got[0].Status != "published" {
		t.Errorf("list %+v, want the admin's live submission alone", got)
	}
	var byConf []event
	httpapitest.Data(t, e.do("", http.MethodGet, "/api/ugc/events?conference="+conf.ID, ""), http.StatusOK, "", &byConf, nil)
	if len(byConf) != 1 {
		t.Errorf("?conference=%s lists %d, want 1", conf.ID, len(byConf))
	}
	httpapitest.Problem(t, e.do("", http.MethodGet, "/api/ugc/events?conference=nosuchcon", ""), http.StatusNotFound, "not_found")
	httpapitest.Problem(t, e.do("", http.MethodGet, "/api/ugc/events?page=2", ""), http.StatusBadRequest, "invalid", "page")
}

// Only signed-in organizers and admins submit: nobody else's request is
// stored.
func TestSubmitRefused(t *testing.T) {
	e := newEnv(t)
	body := e.form("Refused Party", "Nowhere", e.seeded.Conference.FirstDay, "20:00")
	httpapitest.Problem(t, e.do("", http.MethodPost, "/api/ugc/events/create", body), http.StatusUnauthorized, "unauthorized")
	httpapitest.Problem(t, e.do("attendee", http.MethodPost, "/api/ugc/events/create", body), http.StatusForbidden, "forbidden")
	// A body the form cannot have sent: a date outside the conference.
	outside := e.form("Refused Party", "Nowhere", "2020-01-01", "20:00")
	httpapitest.Problem(t, e.do("admin", http.MethodPost, "/api/ugc/events/create", outside), http.StatusBadRequest, "invalid")
	ps, err := e.seeded.Store.PartiesOf(context.Background(), e.seeded.Conference.ID)
	if err != nil || len(ps) != len(e.seeded.Parties) {
		t.Errorf("refused submissions stored %d parties (%v)", len(ps)-len(e.seeded.Parties), err)
	}
}

// A submission resent with its Idempotency-Key is answered 200 with the
// first party, and stores no second one; the key with another party is
// refused.
func TestSubmitRetry(t *testing.T) {
	e := newEnv(t)
	body := e.form("Retried Party", "Retry Hall", e.seeded.Conference.FirstDay, "20:00")
	var first, again event
	httpapitest.Data(t, e.do("organizer", http.MethodPost, "/api/ugc/events/create", body, "Idempotency-Key", "form-1"), http.StatusCreated, "", &first, nil)
	httpapitest.Data(t, e.do("organizer", http.MethodPost, "/api/ugc/events/create", body, "Idempotency-Key", "form-1"), http.StatusOK, "", &again, nil)
	if again != first {
		t.Errorf("retry answered %+v, want the first %+v", again, first)
	}
	other := e.form("Another Party", "Other Hall", e.seeded.Conference.FirstDay, "20:00")
	httpapitest.Problem(t, e.do("organizer", http.MethodPost, "/api/ugc/events/create", other, "Idempotency-Key", "form-1"),
		http.StatusUnprocessableEntity, "key_reused")
	ps, _ := e.seeded.Store.PartiesOf(context.Background(), e.seeded.Conference.ID)
	if len(ps) != len(e.seeded.Parties)+1 {
		t.Errorf("stored %d parties, want the one submission", len(ps)-len(e.seeded.Parties))
	}
}

// A submission that likely repeats a party already listed is refused 409
// with the candidates, so the form can show them; sent again with
// forceCreate it is stored.
func TestSubmitDuplicate(t *testing.T) {
	e := newEnv(t)
	var known party.Party
	for _, p := range e.seeded.Parties {
		if p.Status == party.Published {
			known = p
			break
		}
	}
	loc := e.seeded.Conference.Location()
	start := known.Start.In(loc)
	body := e.form(known.Title, known.Venue, start.Format("2006-01-02"), start.Format("15:04"))

	rec := e.do("organizer", http.MethodPost, "/api/ugc/events/create", body)
	httpapitest.Problem(t, rec, http.StatusConflict, "conflict")
	var dup struct {
		Candidates []struct {
			ID         string   `json:"id"`
			Title      string   `json:"title"`
			Similarity float64  `json:"similarity"`
			Reasons    []string `json:"reasons"`
		} `json:"candidates"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &dup); err != nil {
		t.Fatal(err)
	}
	if len(dup.Candidates) == 0 || dup.Candidates[0].ID != known.ID || dup.Candidates[0].Title != known.Title ||
		dup.Candidates[0].Similarity <= 0 || len(dup.Candidates[0].Reasons) == 0 {
		t.Fatalf("candidates %+v, want %q first with its similarity and reasons", dup.Candidates, known.ID)
	}
	ps, _ := e.seeded.Store.PartiesOf(context.Background(), e.seeded.Conference.ID)
	if len(ps) != len(e.seeded.Parties) {
		t.Fatalf("the refused duplicate was stored")
	}

	forced := e.form(known.Title, known.Venue, start.Format("2006-01-02"), start.Format("15:04"), `"forceCreate":true`)
	var got event
	httpapitest.Data(t, e.do("organizer", http.MethodPost, "/api/ugc/events/create", forced), http.StatusCreated, "", &got, nil)
	stored, err := e.seeded.Store.Party(context.Background(), got.ID)
	if err != nil || got.ID == known.ID || stored.Title != known.Title || stored.Owner != "org-1" {
		t.Errorf("forced submission %+v stored as %+v (%v)", got, stored, err)
	}
}
