package me_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/functions/me"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/inproc"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/personal"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// now is the clock of the use cases and the handler: save times, event
// times and export times come from it, never from the wall clock.
var now = time.Date(2025, 8, 20, 12, 0, 0, 0, time.UTC)

var secret = []byte("0123456789abcdef0123456789abcdef")

// world is the me function wired as in production over an embedded store
// holding the demo week, with a record of every domain event published.
type world struct {
	store     *sqlite.Store
	cache     *feed.Cache
	views     *personal.Views
	attendees *command.Attendees
	me        http.Handler
	conf      conference.Conference
	parties   []party.Party // the demo week as seeded
	draft     party.Party   // not public
	cancelled party.Party
	heard     []event.Event
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := t.Context()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "pf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	conf, ps := demo.Data(now)
	if _, err := store.CreateConference(ctx, conf); err != nil {
		t.Fatal(err)
	}
	w := &world{store: store, conf: conf, parties: ps}
	ps[w.index(t, "Old Town Brewery Walk")].Status = party.Draft
	if err := store.SaveParties(ctx, ps); err != nil {
		t.Fatal(err)
	}
	w.draft = w.party(t, "Old Town Brewery Walk")
	w.cancelled = w.cancel(t, "Localization Roundtable")
	w.cache = feed.NewCache(store, feed.Options{Refresh: time.Hour})
	w.views = personal.NewViews(store, w.cache)
	var bus inproc.Bus
	bus.Subscribe(w.cache.Apply)
	bus.Subscribe(w.views.Apply)
	bus.Subscribe(func(_ context.Context, e event.Event) { w.heard = append(w.heard, e) })
	w.attendees = &command.Attendees{
		Parties: store, Store: store, Events: &bus,
		Stamp:          event.Stamper{Now: func() time.Time { return now }},
		CalendarSecret: secret,
	}
	w.me = w.handler(nil)
	return w
}

// handler returns the me function over the world's parts; change adjusts
// the handler before its routes are built.
func (w *world) handler(change func(*me.Handler)) http.Handler {
	h := &me.Handler{Commands: w.attendees, Store: w.store, Views: w.views, Feed: w.cache, History: w.views.History, Now: func() time.Time { return now }}
	if change != nil {
		change(h)
	}
	return h.Routes()
}

func (w *world) index(t *testing.T, title string) int {
	t.Helper()
	i := slices.IndexFunc(w.parties, func(p party.Party) bool { return p.Title == title })
	if i < 0 {
		t.Fatalf("the demo week has no party %q", title)
	}
	return i
}

func (w *world) party(t *testing.T, title string) party.Party { return w.parties[w.index(t, title)] }

// cancel cancels a published party the way an organizer's edit does. The
// feed cache hears nothing of it: call it before the first read.
func (w *world) cancel(t *testing.T, title string) party.Party {
	t.Helper()
	p, err := w.store.UpdateParty(t.Context(), w.party(t, title).ID, func(p *party.Party) error {
		p.Status = party.Cancelled
		return nil
	})
	if err != nil || p.Status != party.Cancelled {
		t.Fatalf("cancel %q: %v, status %q", title, err, p.Status)
	}
	return p
}

// doAs serves one request carrying the identity; a zero identity sends
// none, as if the authentication middleware had been skipped.
func doAs(t *testing.T, h http.Handler, id identity.Identity, method, path, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	if body != "" {
		header = append([]string{"Content-Type", "application/json"}, header...)
	}
	if id.UID != "" {
		h = as(h, id)
	}
	return httpapitest.Serve(h, method, path, strings.NewReader(body), header...)
}

// as serves h with the identity in the request's context, as the
// authentication middleware puts it there.
func as(h http.Handler, id identity.Identity) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(identity.With(r.Context(), id)))
	})
}

func (w *world) do(t *testing.T, uid, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	return doAs(t, w.me, identity.Identity{UID: uid}, method, path, body)
}

// must serves a request that has to succeed with the given status.
func (w *world) must(t *testing.T, status int, uid, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := w.do(t, uid, method, path, body)
	if rec.Code != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, rec.Code, status, rec.Body)
	}
	return rec
}

// envelope is {"success":true,"data":...,"meta":...}.
type envelope[D, M any] struct {
	Success bool `json:"success"`
	Data    D    `json:"data"`
	Meta    M    `json:"meta"`
}

// takeHeard returns the types of the events published since the last
// call, and the events.
func (w *world) takeHeard() ([]string, []event.Event) {
	es := w.heard
	w.heard = nil
	types := []string{}
	for _, e := range es {
		types = append(types, e.EventMeta().Type)
	}
	return types, es
}

// checkMeta asserts what every event of a user's request carries.
func checkMeta(t *testing.T, e event.Event, actor, conf string) {
	t.Helper()
	m := e.EventMeta()
	if m.ID == "" || m.Actor != actor || m.Conference != conf || !m.At.Equal(now) || m.Version != attendee.EventVersion {
		t.Errorf("%s metadata %+v, want actor %q, conference %q, the use case's clock and version %d", m.Type, m, actor, conf, attendee.EventVersion)
	}
}

type profileJSON struct {
	DisplayName string  `json:"displayName"`
	Company     string  `json:"company"`
	JobTitle    string  `json:"jobTitle"`
	Persona     *string `json:"persona"`
	Visibility  string  `json:"visibility"`
	UpdatedAt   *string `json:"updatedAt"`
}

type meJSON struct {
	UID       string      `json:"uid"`
	Anonymous bool        `json:"anonymous"`
	Email     string      `json:"email"`
	Roles     []string    `json:"roles"`
	Profile   profileJSON `json:"profile"`
}

type savedParty struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	SavedAt   string `json:"savedAt"`
	Cancelled bool   `json:"cancelled"`
}

type savesMeta struct {
	Count       int `json:"count"`
	Cancelled   int `json:"cancelled"`
	Unavailable int `json:"unavailable"`
}

// saves is the attendee's saved list as GET /api/me/saves shows it.
func (w *world) saves(t *testing.T, uid string) envelope[[]savedParty, savesMeta] {
	t.Helper()
	rec := w.must(t, http.StatusOK, uid, http.MethodGet, "/api/me/saves", "")
	if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "private") {
		t.Errorf("Cache-Control %q: a saved list is one user's data", cc)
	}
	return httpapitest.Decode[envelope[[]savedParty, savesMeta]](t, rec)
}

func ids(ps []savedParty) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

// Every route refuses a request that reached it without an identity, and
// writes nothing.
func TestMeNeedsSignIn(t *testing.T) {
	w := newWorld(t)
	p := w.party(t, "Opening Night Mixer").ID
	routes := []struct{ method, path, body string }{
		{http.MethodGet, "/api/me", ""},
		{http.MethodPatch, "/api/me", `{"displayName":"Mallory"}`},
		{http.MethodDelete, "/api/me", ""},
		{http.MethodGet, "/api/me/export", ""},
		{http.MethodGet, "/api/me/saves", ""},
		{http.MethodPut, "/api/me/saves/" + p, ""},
		{http.MethodDelete, "/api/me/saves/" + p, ""},
		{http.MethodGet, "/api/me/schedule", ""},
		{http.MethodGet, "/api/me/calendar", ""},
		{http.MethodPost, "/api/me/calendar/rotate", ""},
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			rec := doAs(t, w.me, identity.Identity{}, rt.method, rt.path, rt.body)
			httpapitest.Problem(t, rec, http.StatusUnauthorized, "unauthorized")
		})
	}
	if types, _ := w.takeHeard(); len(types) != 0 {
		t.Errorf("requests without an identity published %v", types)
	}
}

func TestGetMe(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name string
		id   identity.Identity
		want meJSON
	}{
		{"new user gets the default profile",
			identity.Identity{UID: "ada", Email: "ada@example.com"},
			meJSON{UID: "ada", Email: "ada@example.com", Roles: []string{}, Profile: profileJSON{Visibility: "private"}}},
		{"anonymous user",
			identity.Identity{UID: "anon", Anonymous: true},
			meJSON{UID: "anon", Anonymous: true, Roles: []string{}, Profile: profileJSON{Visibility: "private"}}},
		{"roles come from the identity",
			identity.Identity{UID: "org", Roles: []identity.Role{identity.Organizer}},
			meJSON{UID: "org", Roles: []string{"organizer"}, Profile: profileJSON{Visibility: "private"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := doAs(t, w.me, tt.id, http.MethodGet, "/api/me", "")
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q: the profile is one user's data", cc)
			}
			got := httpapitest.Decode[envelope[meJSON, any]](t, rec)
			// Roles must be [] rather than null: clients iterate them.
			if !got.Success || got.Data.Roles == nil {
				t.Fatalf("body %s", rec.Body)
			}
			g := got.Data
			if g.UID != tt.want.UID || g.Anonymous != tt.want.Anonymous || g.Email != tt.want.Email || !slices.Equal(g.Roles, tt.want.Roles) {
				t.Errorf("identity %+v, want %+v", g, tt.want)
			}
			if g.Profile.Persona != nil || g.Profile.UpdatedAt != nil || g.Profile != tt.want.Profile {
				t.Errorf("profile %+v, want the default with persona and updatedAt null", g.Profile)
			}
		})
	}
	if types, _ := w.takeHeard(); len(types) != 0 {
		t.Errorf("reading the profile published %v", types)
	}
}

// A sequence of profile changes by one attendee: the answer, the profile
// stored afterwards and the event each published.
func TestPatchMe(t *testing.T) {
	w := newWorld(t)
	steps := []struct {
		name        string
		body        string
		status      int
		field       string   // the field a refusal names
		wantChanged []string // nil: no event
		wantName    string   // displayName stored afterwards
		wantCompany string
		wantPersona string // "" = null
	}{
		{"name and persona", `{"displayName":"Ada","persona":"developer"}`, http.StatusOK, "", []string{"displayName", "persona"}, "Ada", "", "developer"},
		{"the same values change nothing", `{"displayName":"Ada","persona":"developer"}`, http.StatusOK, "", nil, "Ada", "", "developer"},
		{"an empty patch changes nothing", `{}`, http.StatusOK, "", nil, "Ada", "", "developer"},
		{"null leaves a field as it is", `{"displayName":null,"company":"Analytical Engines"}`, http.StatusOK, "", []string{"company"}, "Ada", "Analytical Engines", "developer"},
		{"visibility", `{"visibility":"attendees"}`, http.StatusOK, "", []string{"visibility"}, "Ada", "Analytical Engines", "developer"},
		{"100 characters of two bytes each fit", `{"jobTitle":"` + strings.Repeat("é", 100) + `"}`, http.StatusOK, "", []string{"jobTitle"}, "Ada", "Analytical Engines", "developer"},
		{"roles cannot be set", `{"roles":["admin"]}`, http.StatusBadRequest, "roles", nil, "Ada", "Analytical Engines", "developer"},
		{"the uid cannot be set", `{"uid":"bob"}`, http.StatusBadRequest, "uid", nil, "Ada", "Analytical Engines", "developer"},
		{"a refused field refuses the whole patch", `{"displayName":"Eve","roles":["admin"]}`, http.StatusBadRequest, "roles", nil, "Ada", "Analytical Engines", "developer"},
		{"name too long", `{"displayName":"` + strings.Repeat("x", 101) + `"}`, http.StatusBadRequest, "displayName", nil, "Ada", "Analytical Engines", "developer"},
		{"company too long", `{"company":"` + strings.Repeat("x", 101) + `"}`, http.StatusBadRequest, "company", nil, "Ada", "Analytical Engines", "developer"},
		{"control characters in the name", `{"displayName":"Ada\nLovelace"}`, http.StatusBadRequest, "displayName", nil, "Ada", "Analytical Engines", "developer"},
		{"unknown persona", `{"persona":"wizard"}`, http.StatusBadRequest, "persona", nil, "Ada", "Analytical Engines", "developer"},
		{"unknown visibility", `{"visibility":"everyone"}`, http.StatusBadRequest, "visibility", nil, "Ada", "Analytical Engines", "developer"},
		{"a name of the wrong type", `{"displayName":42}`, http.StatusBadRequest, "displayName", nil, "Ada", "Analytical Engines", "developer"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			rec := w.do(t, "ada", http.MethodPatch, "/api/me", st.body)
			if st.status != http.StatusOK {
				httpapitest.Problem(t, rec, st.status, "invalid", st.field)
			} else {
				if rec.Code != http.StatusOK {
					t.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				got := httpapitest.Decode[envelope[meJSON, any]](t, rec).Data
				if got.UID != "ada" || got.Profile.DisplayName != st.wantName || got.Profile.Company != st.wantCompany || got.Profile.UpdatedAt == nil {
					t.Errorf("answered %+v", got)
				}
			}
			types, events := w.takeHeard()
			switch {
			case st.wantChanged == nil && len(types) != 0:
				t.Errorf("published %v, want nothing", types)
			case st.wantChanged != nil:
				pc, ok := singleProfileChanged(events)
				if !ok || !slices.Equal(pc.Changed, st.wantChanged) || pc.UID != "ada" || string(pc.Persona) != st.wantPersona {
					t.Errorf("published %+v, want one ProfileChanged naming %v", events, st.wantChanged)
				} else {
					checkMeta(t, pc, "ada", "")
				}
			}
			// What a later read shows is what counts.
			got := httpapitest.Decode[envelope[meJSON, any]](t, w.must(t, http.StatusOK, "ada", http.MethodGet, "/api/me", "")).Data
			persona := ""
			if got.Profile.Persona != nil {
				persona = *got.Profile.Persona
			}
			if got.Profile.DisplayName != st.wantName || got.Profile.Company != st.wantCompany || persona != st.wantPersona || !slices.Equal(got.Roles, []string{}) {
				t.Errorf("stored %+v (persona %q), want name %q company %q persona %q and no roles", got, persona, st.wantName, st.wantCompany, st.wantPersona)
			}
		})
	}
}

func singleProfileChanged(es []event.Event) (attendee.ProfileChanged, bool) {
	if len(es) != 1 {
		return attendee.ProfileChanged{}, false
	}
	pc, ok := es[0].(attendee.ProfileChanged)
	return pc, ok
}

func TestSaves(t *testing.T) {
	w := newWorld(t)
	mixer := w.party(t, "Opening Night Mixer")
	lunch := w.party(t, "Indie Founders Lunch") // Monday noon: before the mixer
	games := w.party(t, "Board Games & Bytes")  // Wednesday

	type saveAnswer struct {
		Success bool   `json:"success"`
		PartyID string `json:"partyId"`
		Saved   bool   `json:"saved"`
		Created *bool  `json:"created"`
		Removed *bool  `json:"removed"`
	}
	steps := []struct {
		name       string
		method     string
		party      party.Party
		status     int
		wantFlag   bool     // created for PUT, removed for DELETE
		wantEvents []string // types
		wantList   []string // the saved list afterwards, in its order
	}{
		{"save", http.MethodPut, games, http.StatusCreated, true, []string{attendee.TypeSaveAdded}, []string{games.ID}},
		{"save again", http.MethodPut, games, http.StatusOK, false, []string{}, []string{games.ID}},
		{"save a second", http.MethodPut, mixer, http.StatusCreated, true, []string{attendee.TypeSaveAdded}, []string{mixer.ID, games.ID}},
		{"save a third, earlier one", http.MethodPut, lunch, http.StatusCreated, true, []string{attendee.TypeSaveAdded}, []string{lunch.ID, mixer.ID, games.ID}},
		{"unsave", http.MethodDelete, mixer, http.StatusOK, true, []string{attendee.TypeSaveRemoved}, []string{lunch.ID, games.ID}},
		{"unsave again", http.MethodDelete, mixer, http.StatusOK, false, []string{}, []string{lunch.ID, games.ID}},
		{"unsave a party never saved", http.MethodDelete, w.party(t, "Audio Folks Meetup"), http.StatusOK, false, []string{}, []string{lunch.ID, games.ID}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			rec := w.must(t, st.status, "ada", st.method, "/api/me/saves/"+st.party.ID, "")
			got := httpapitest.Decode[saveAnswer](t, rec)
			flag := got.Created
			if st.method == http.MethodDelete {
				flag = got.Removed
			}
			if !got.Success || got.PartyID != st.party.ID || got.Saved != (st.method == http.MethodPut) || flag == nil || *flag != st.wantFlag {
				t.Errorf("answer %s, want saved %v and created/removed %v", rec.Body, st.method == http.MethodPut, st.wantFlag)
			}
			types, events := w.takeHeard()
			if !slices.Equal(types, st.wantEvents) {
				t.Errorf("published %v, want %v", types, st.wantEvents)
			}
			for _, e := range events {
				checkMeta(t, e, "ada", w.conf.ID)
			}
			list := w.saves(t, "ada")
			if got := ids(list.Data); !slices.Equal(got, st.wantList) {
				t.Errorf("saved list %v, want %v (by start)", got, st.wantList)
			}
			if list.Meta.Count != len(st.wantList) || list.Meta.Cancelled != 0 || list.Meta.Unavailable != 0 {
				t.Errorf("meta %+v", list.Meta)
			}
			for _, p := range list.Data {
				if p.SavedAt != now.Format(time.RFC3339) || p.Title == "" {
					t.Errorf("saved party %+v, want its details and savedAt %s", p, now.Format(time.RFC3339))
				}
			}
		})
	}

	// Another attendee's list is their own.
	if list := w.saves(t, "bob"); len(list.Data) != 0 || list.Meta.Count != 0 {
		t.Errorf("bob sees %v", ids(list.Data))
	}
}

// Parties an attendee cannot go to cannot be saved; nothing is written.
func TestSaveRefusals(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name   string
		method string
		id     string
		status int
		code   string
	}{
		{"unknown party", http.MethodPut, "no-such-party", http.StatusNotFound, "not_found"},
		{"draft party", http.MethodPut, w.draft.ID, http.StatusNotFound, "not_found"},
		{"cancelled party", http.MethodPut, w.cancelled.ID, http.StatusConflict, "conflict"},
		{"id too long", http.MethodPut, strings.Repeat("p", 129), http.StatusNotFound, "not_found"},
		{"unsave a malformed id", http.MethodDelete, "a.b", http.StatusNotFound, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			httpapitest.Problem(t, w.do(t, "ada", tt.method, "/api/me/saves/"+tt.id, ""), tt.status, tt.code)
		})
	}
	if list := w.saves(t, "ada"); len(list.Data) != 0 {
		t.Errorf("refused saves left %v", ids(list.Data))
	}
	if types, _ := w.takeHeard(); len(types) != 0 {
		t.Errorf("refused saves published %v", types)
	}
}

type scheduleJSON struct {
	Conference string `json:"conference"`
	Timezone   string `json:"timezone"`
	Days       []struct {
		Date    string `json:"date"`
		Weekday string `json:"weekday"`
		Parties []struct {
			Party struct {
				ID string `json:"id"`
			} `json:"party"`
			PlannedEnd   string   `json:"plannedEnd"`
			OpenEnd      bool     `json:"openEnd"`
			Cancelled    bool     `json:"cancelled"`
			OverlapsWith []string `json:"overlapsWith"`
		} `json:"parties"`
		Gaps []struct {
			From    string `json:"from"`
			To      string `json:"to"`
			Minutes int    `json:"minutes"`
		} `json:"gaps"`
	} `json:"days"`
}

type scheduleMeta struct {
	Count    int `json:"count"`
	Days     int `json:"days"`
	Overlaps int `json:"overlaps"`
}

// The schedule puts the saved parties under the day they start, in order,
// marks clashes between parties still on, and shows the free time between.
func TestSchedule(t *testing.T) {
	w := newWorld(t)
	lunch := w.party(t, "Indie Founders Lunch")    // Monday 12:00-14:00
	mixer := w.party(t, "Opening Night Mixer")     // Monday 18:00-22:00
	dating := w.party(t, "Publisher Speed Dating") // Monday 18:30-21:30: clashes with the mixer
	audio := w.party(t, "Audio Folks Meetup")      // Monday 19:30-23:30: cancelled after saving
	lounge := w.party(t, "Late Check-in Lounge")   // Monday 20:00, open end
	games := w.party(t, "Board Games & Bytes")     // Wednesday 21:00-23:30
	for _, p := range []party.Party{games, audio, lounge, dating, mixer, lunch} {
		w.must(t, http.StatusCreated, "ada", http.MethodPut, "/api/me/saves/"+p.ID, "")
	}
	w.cancel(t, "Audio Folks Meetup")
	w.must(t, http.StatusCreated, "bob", http.MethodPut, "/api/me/saves/"+w.party(t, "Morning Yoga with a Dome View").ID, "")

	rec := w.must(t, http.StatusOK, "ada", http.MethodGet, "/api/me/schedule", "")
	if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "private") {
		t.Errorf("Cache-Control %q: a schedule is one user's data", cc)
	}
	got := httpapitest.Decode[envelope[scheduleJSON, scheduleMeta]](t, rec)
	loc := w.conf.Location()
	at := func(tm time.Time) string { return tm.In(loc).Format(time.RFC3339) }
	if got.Data.Conference != w.conf.ID || got.Data.Timezone != w.conf.TimeZone {
		t.Errorf("conference %q in %q, want %q in %q", got.Data.Conference, got.Data.Timezone, w.conf.ID, w.conf.TimeZone)
	}
	if got.Meta != (scheduleMeta{Count: 6, Days: 2, Overlaps: 3}) {
		t.Errorf("meta %+v, want 6 parties on 2 days with 3 clashes", got.Meta)
	}
	wednesday := lunch.Start.In(loc).AddDate(0, 0, 2).Format(conference.DateLayout)
	type item struct {
		id        string
		end       string
		openEnd   bool
		cancelled bool
		overlaps  []string
	}
	want := []struct {
		date, weekday string
		items         []item
		gaps          []string // "from to minutes"
	}{
		{w.conf.FirstDay, "Monday", []item{
			{lunch.ID, at(lunch.End), false, false, []string{}},
			{mixer.ID, at(mixer.End), false, false, []string{dating.ID, lounge.ID}},
			{dating.ID, at(dating.End), false, false, []string{mixer.ID, lounge.ID}},
			{audio.ID, at(audio.End), false, true, []string{}},
			{lounge.ID, at(lounge.Start.Add(2 * time.Hour)), true, false, []string{mixer.ID, dating.ID}},
		}, []string{at(lunch.End) + " " + at(mixer.Start) + " 240"}},
		{wednesday, "Wednesday", []item{
			{games.ID, at(games.End), false, false, []string{}},
		}, []string{}},
	}
	if len(got.Data.Days) != len(want) {
		t.Fatalf("%d days, want %d: %s", len(got.Data.Days), len(want), rec.Body)
	}
	for i, wd := range want {
		d := got.Data.Days[i]
		if d.Date != wd.date || d.Weekday != wd.weekday {
			t.Errorf("day %d is %s %s, want %s %s", i, d.Weekday, d.Date, wd.weekday, wd.date)
		}
		var items []item
		for _, it := range d.Parties {
			items = append(items, item{it.Party.ID, it.PlannedEnd, it.OpenEnd, it.Cancelled, it.OverlapsWith})
		}
		if !slices.EqualFunc(items, wd.items, func(a, b item) bool {
			return a.id == b.id && a.end == b.end && a.openEnd == b.openEnd && a.cancelled == b.cancelled && slices.Equal(a.overlaps, b.overlaps)
		}) {
			t.Errorf("%s:\n got %+v\nwant %+v", wd.weekday, items, wd.items)
		}
		gaps := []string{}
		for _, g := range d.Gaps {
			gaps = append(gaps, g.From+" "+g.To+" "+strconv.Itoa(g.Minutes))
		}
		if !slices.Equal(gaps, wd.gaps) {
			t.Errorf("%s gaps %v, want %v", wd.weekday, gaps, wd.gaps)
		}
	}

	t.Run("empty", func(t *testing.T) {
		got := httpapitest.Decode[envelope[scheduleJSON, scheduleMeta]](t, w.must(t, http.StatusOK, "carol", http.MethodGet, "/api/me/schedule", ""))
		if got.Data.Days == nil || len(got.Data.Days) != 0 || got.Meta.Count != 0 {
			t.Errorf("a schedule without saves: %+v", got)
		}
	})
	t.Run("named conference", func(t *testing.T) {
		got := httpapitest.Decode[envelope[scheduleJSON, scheduleMeta]](t, w.must(t, http.StatusOK, "ada", http.MethodGet, "/api/me/schedule?conference="+w.conf.ID, ""))
		if got.Data.Conference != w.conf.ID || got.Meta.Count != 6 {
			t.Errorf("conference %q with %d parties", got.Data.Conference, got.Meta.Count)
		}
	})
	t.Run("unknown conference", func(t *testing.T) {
		httpapitest.Problem(t, w.do(t, "ada", http.MethodGet, "/api/me/schedule?conference=nope", ""), http.StatusNotFound, "not_found")
	})
	t.Run("unknown parameter", func(t *testing.T) {
		httpapitest.Problem(t, w.do(t, "ada", http.MethodGet, "/api/me/schedule?day=monday", ""), http.StatusBadRequest, "invalid", "day")
	})
}

type linkJSON struct {
	URL        string `json:"url"`
	HTTPS      string `json:"https"`
	Generation int64  `json:"generation"`
}

// link asks for the calendar link and checks that its two URLs name the
// same feed under the personal feed path; it returns the feed's token.
func link(t *testing.T, rec *httptest.ResponseRecorder, wantBase string) (linkJSON, string) {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q: a calendar link is a secret", cc)
	}
	l := httpapitest.Decode[envelope[linkJSON, any]](t, rec).Data
	u, err := url.Parse(l.HTTPS)
	if err != nil || u.Scheme+"://"+u.Host != wantBase || !strings.HasPrefix(u.Path, personal.FeedPath) || !strings.HasSuffix(u.Path, ".ics") {
		t.Fatalf("https URL %q, want %s%s<token>.ics", l.HTTPS, wantBase, personal.FeedPath)
	}
	if want := "webcal://" + u.Host + u.Path; l.URL != want {
		t.Errorf("webcal URL %q, want %q", l.URL, want)
	}
	token, _ := strings.CutSuffix(strings.TrimPrefix(u.Path, personal.FeedPath), ".ics")
	return l, token
}

// opens reports whether a calendar app fetching the token's feed gets a
// calendar.
func (w *world) opens(t *testing.T, token string) bool {
	t.Helper()
	_, err := w.views.CalendarByToken(t.Context(), token, feed.FormatICS)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// The calendar link is issued on first request, shown again unchanged,
// and rotating it gives a new URL of a higher generation that kills the
// old one.
func TestCalendarLink(t *testing.T) {
	w := newWorld(t)
	first, token1 := link(t, w.do(t, "ada", http.MethodGet, "/api/me/calendar", ""), "https://example.com")
	if first.Generation != 1 || !w.opens(t, token1) {
		t.Fatalf("first link %+v: want generation 1 and a working feed", first)
	}
	again, _ := link(t, w.do(t, "ada", http.MethodGet, "/api/me/calendar", ""), "https://example.com")
	if again != first {
		t.Errorf("shown again: %+v, want the same %+v", again, first)
	}
	rotated, token2 := link(t, w.do(t, "ada", http.MethodPost, "/api/me/calendar/rotate", ""), "https://example.com")
	if rotated.URL == first.URL || rotated.HTTPS == first.HTTPS || rotated.Generation <= first.Generation {
		t.Errorf("rotated %+v, want a new URL and a higher generation than %+v", rotated, first)
	}
	if w.opens(t, token1) || !w.opens(t, token2) {
		t.Errorf("after rotation the old URL works %v, the new one %v; want only the new one", w.opens(t, token1), w.opens(t, token2))
	}
	after, _ := link(t, w.do(t, "ada", http.MethodGet, "/api/me/calendar", ""), "https://example.com")
	if after != rotated {
		t.Errorf("after rotation GET shows %+v, want %+v", after, rotated)
	}
	bob, _ := link(t, w.do(t, "bob", http.MethodGet, "/api/me/calendar", ""), "https://example.com")
	if bob.URL == rotated.URL || bob.URL == first.URL || bob.Generation != 1 {
		t.Errorf("bob's link %+v is not his own", bob)
	}
	if types, _ := w.takeHeard(); len(types) != 0 {
		t.Errorf("calendar links published %v", types)
	}
}

// The links point at the public site: configured, else as the request
// reached the server.
func TestCalendarLinkBase(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name      string
		publicURL string
		header    []string
		wantBase  string
	}{
		{"request host", "", nil, "https://example.com"},
		// Any client can send X-Forwarded-Host: the link, with its secret
		// token, must not point wherever it says.
		{"forwarded host is not trusted", "", []string{"X-Forwarded-Host", "evil.example"}, "https://example.com"},
		{"local runner", "", []string{"Host", "localhost:8080"}, "http://localhost:8080"},
		{"configured", "https://pf.example.net", []string{"X-Forwarded-Host", "parties.example.org"}, "https://pf.example.net"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := w.handler(func(h *me.Handler) { h.PublicURL = tt.publicURL })
			r := httptest.NewRequest(http.MethodGet, "/api/me/calendar", nil)
			for i := 0; i+1 < len(tt.header); i += 2 {
				if tt.header[i] == "Host" {
					r.Host = tt.header[i+1]
				} else {
					r.Header.Set(tt.header[i], tt.header[i+1])
				}
			}
			r = r.WithContext(identity.With(r.Context(), identity.Identity{UID: "ada"}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			link(t, rec, tt.wantBase)
		})
	}
}

// Without a calendar secret the server cannot issue links and says so.
func TestCalendarLinkNotConfigured(t *testing.T) {
	w := newWorld(t)
	h := w.handler(func(h *me.Handler) {
		h.Commands = &command.Attendees{Parties: w.store, Store: w.store, Stamp: w.attendees.Stamp}
	})
	for _, rt := range []struct{ method, path string }{{http.MethodGet, "/api/me/calendar"}, {http.MethodPost, "/api/me/calendar/rotate"}} {
		rec := doAs(t, h, identity.Identity{UID: "ada"}, rt.method, rt.path, "")
		httpapitest.Problem(t, rec, http.StatusServiceUnavailable, "unavailable")
	}
	if l, err := w.store.CalendarLink(t.Context(), "ada"); err != nil || l.Generation != 0 {
		t.Errorf("a refused link left %+v (%v)", l, err)
	}
}

type exportJSON struct {
	UID        string `json:"uid"`
	ExportedAt string `json:"exportedAt"`
	Identity   meJSON `json:"identity"`
	Swipes     []struct {
		PartyID string `json:"partyId"`
		Action  string `json:"action"`
		At      string `json:"at"`
	} `json:"swipes"`
	Saves []struct {
		PartyID string `json:"partyId"`
		At      string `json:"at"`
	} `json:"saves"`
	Calendar struct {
		Issued     bool  `json:"issued"`
		Generation int64 `json:"generation"`
	} `json:"calendar"`
}

func (w *world) export(t *testing.T, uid string) exportJSON {
	t.Helper()
	rec := w.must(t, http.StatusOK, uid, http.MethodGet, "/api/me/export", "")
	if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("Content-Disposition %q: an export downloads as a file", cd)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q: an export is one user's data", cc)
	}
	got := httpapitest.Decode[envelope[exportJSON, any]](t, rec)
	if !got.Success || got.Data.Swipes == nil || got.Data.Saves == nil {
		t.Fatalf("export %s: want success and swipes and saves as lists", rec.Body)
	}
	return got.Data
}

// seed gives uid a profile, two swipes (one of which saved its party), a
// save by hand and a calendar link, through the use cases and the API.
func (w *world) seed(t *testing.T, uid string) (liked, passed, saved party.Party) {
	t.Helper()
	ctx := t.Context()
	liked, passed, saved = w.party(t, "Opening Night Mixer"), w.party(t, "Pixel Karaoke Night"), w.party(t, "Board Games & Bytes")
	w.must(t, http.StatusOK, uid, http.MethodPatch, "/api/me", `{"displayName":"`+uid+`","company":"Analytical Engines"}`)
	if _, _, err := w.attendees.RecordSwipe(ctx, uid, liked.ID, attendee.Like); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.attendees.RecordSwipe(ctx, uid, passed.ID, attendee.Pass); err != nil {
		t.Fatal(err)
	}
	w.must(t, http.StatusCreated, uid, http.MethodPut, "/api/me/saves/"+saved.ID, "")
	w.must(t, http.StatusOK, uid, http.MethodGet, "/api/me/calendar", "")
	w.heard = nil
	return liked, passed, saved
}

func TestExport(t *testing.T) {
	w := newWorld(t)
	liked, passed, saved := w.seed(t, "ada")
	w.seed(t, "bob")

	got := w.export(t, "ada")
	stamp := now.Format(time.RFC3339)
	if got.UID != "ada" || got.ExportedAt != stamp || got.Identity.UID != "ada" ||
		got.Identity.Profile.DisplayName != "ada" || got.Identity.Profile.Company != "Analytical Engines" {
		t.Errorf("export header %+v", got)
	}
	swipes := map[string]string{}
	for _, s := range got.Swipes {
		swipes[s.PartyID] = s.Action
		if s.At != stamp {
			t.Errorf("swipe of %s at %q, want %s", s.PartyID, s.At, stamp)
		}
	}
	if len(got.Swipes) != 2 || swipes[liked.ID] != "like" || swipes[passed.ID] != "pass" {
		t.Errorf("swipes %+v, want the like and the pass", got.Swipes)
	}
	savedIDs := map[string]bool{}
	for _, s := range got.Saves {
		savedIDs[s.PartyID] = true
		if s.At != stamp {
			t.Errorf("save of %s at %q, want %s", s.PartyID, s.At, stamp)
		}
	}
	if len(got.Saves) != 2 || !savedIDs[liked.ID] || !savedIDs[saved.ID] {
		t.Errorf("saves %+v, want the liked and the saved party", got.Saves)
	}
	if !got.Calendar.Issued || got.Calendar.Generation != 1 {
		t.Errorf("calendar %+v, want issued, generation 1", got.Calendar)
	}

	fresh := w.export(t, "carol")
	if fresh.UID != "carol" || len(fresh.Swipes)+len(fresh.Saves) != 0 || fresh.Calendar.Issued || fresh.Calendar.Generation != 0 || fresh.Identity.Profile.DisplayName != "" {
		t.Errorf("export of a user with no data: %+v", fresh)
	}
	if types, _ := w.takeHeard(); len(types) != 0 {
		t.Errorf("exports published %v", types)
	}
}

// Erasure removes everything stored about the user, and only about them,
// kills their calendar URL for good and tells the rest of the system.
func TestDeleteMe(t *testing.T) {
	w := newWorld(t)
	w.seed(t, "ada")
	w.seed(t, "bob")
	_, oldToken := link(t, w.do(t, "ada", http.MethodGet, "/api/me/calendar", ""), "https://example.com")
	// Read the list first, so that a kept view would show the erased saves.
	if list := w.saves(t, "ada"); len(list.Data) != 2 {
		t.Fatalf("before erasure ada has %v", ids(list.Data))
	}

	rec := w.must(t, http.StatusOK, "ada", http.MethodDelete, "/api/me", "")
	answer := httpapitest.Decode[struct {
		Success bool   `json:"success"`
		Message string `json:"message"`
	}](t, rec)
	if !answer.Success || answer.Message == "" {
		t.Errorf("answer %s", rec.Body)
	}
	// Ada's two decisions and two saves come off the counts, then the
	// erasure itself.
	types, events := w.takeHeard()
	want := []string{attendee.TypeSwipeRemoved, attendee.TypeSwipeRemoved, attendee.TypeSaveRemoved, attendee.TypeSaveRemoved, attendee.TypeUserErased}
	if !slices.Equal(types, want) || events[len(events)-1].(attendee.UserErased).UID != "ada" {
		t.Fatalf("published %v, want %v for ada", types, want)
	}
	for _, e := range events {
		checkMeta(t, e, "ada", "")
	}

	if list := w.saves(t, "ada"); len(list.Data) != 0 || list.Meta.Count != 0 {
		t.Errorf("after erasure the saved list shows %v", ids(list.Data))
	}
	got := w.export(t, "ada")
	if len(got.Swipes)+len(got.Saves) != 0 || got.Calendar.Issued || got.Identity.Profile.DisplayName != "" || got.Identity.Profile.UpdatedAt != nil {
		t.Errorf("after erasure the export shows %+v", got)
	}
	if sched := httpapitest.Decode[envelope[scheduleJSON, scheduleMeta]](t, w.must(t, http.StatusOK, "ada", http.MethodGet, "/api/me/schedule", "")); len(sched.Data.Days) != 0 {
		t.Errorf("after erasure the schedule shows %+v", sched.Data.Days)
	}
	if w.opens(t, oldToken) {
		t.Error("the calendar URL issued before the erasure still works")
	}
	// A new link starts over and never brings the old URL back.
	l, newToken := link(t, w.do(t, "ada", http.MethodGet, "/api/me/calendar", ""), "https://example.com")
	if l.Generation != 1 || newToken == oldToken || !w.opens(t, newToken) {
		t.Errorf("link after erasure %+v: want generation 1 with a new, working token", l)
	}

	if bob := w.export(t, "bob"); len(bob.Swipes) != 2 || len(bob.Saves) != 2 || !bob.Calendar.Issued || bob.Identity.Profile.DisplayName != "bob" {
		t.Errorf("erasing ada touched bob: %+v", bob)
	}

	// Erasing a user with nothing stored is not an error.
	w.must(t, http.StatusOK, "carol", http.MethodDelete, "/api/me", "")
}

func TestMethodNotAllowed(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		method, path string
		wantAllow    string
	}{
		{http.MethodPost, "/api/me", "GET, HEAD, PATCH, DELETE, OPTIONS"},
		{http.MethodPatch, "/api/me/export", "GET, HEAD, OPTIONS"},
		{http.MethodPost, "/api/me/saves", "GET, HEAD, OPTIONS"},
		{http.MethodPost, "/api/me/saves/some-party", "PUT, DELETE, OPTIONS"},
		{http.MethodGet, "/api/me/calendar/rotate", "POST, OPTIONS"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := w.do(t, "ada", tt.method, tt.path, "")
			httpapitest.Problem(t, rec, http.StatusMethodNotAllowed, "method_not_allowed")
			// The order of the methods is not part of the contract.
			allow := strings.Split(rec.Header().Get("Allow"), ", ")
			want := strings.Split(tt.wantAllow, ", ")
			slices.Sort(allow)
			slices.Sort(want)
			if !slices.Equal(allow, want) {
				t.Errorf("Allow %q, want %q", rec.Header().Get("Allow"), tt.wantAllow)
			}
		})
	}
	if types, _ := w.takeHeard(); len(types) != 0 {
		t.Errorf("refused methods published %v", types)
	}
}
