package swipe_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/functions/me"
	"github.com/partyfinder/partyfinder/functions/swipe"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/command"
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

// now is the use cases' clock: swipe and event times come from it, so
// nothing below depends on the wall clock.
var now = time.Date(2025, 8, 20, 12, 0, 0, 0, time.UTC)

// world is the swipe function wired as in production over an embedded
// store holding the demo week, with the me function over the same store to
// see what a swipe left behind, and a record of every domain event
// published.
type world struct {
	store     *sqlite.Store
	swipe     http.Handler
	me        http.Handler
	conf      string
	open      party.Party // published
	other     party.Party // published, another day
	draft     party.Party // not public
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
	ps[find(t, ps, "Old Town Brewery Walk")].Status = party.Draft
	if err := store.SaveParties(ctx, ps); err != nil {
		t.Fatal(err)
	}
	// Cancelled the way an organizer's edit does it: after publication.
	cancelled, err := store.UpdateParty(ctx, ps[find(t, ps, "Localization Roundtable")].ID, func(p *party.Party) error {
		p.Status = party.Cancelled
		return nil
	})
	if err != nil || cancelled.Status != party.Cancelled {
		t.Fatalf("cancel: %v, status %q", err, cancelled.Status)
	}
	w := &world{
		store: store, conf: conf.ID, cancelled: cancelled,
		open:  ps[find(t, ps, "Opening Night Mixer")],
		other: ps[find(t, ps, "Board Games & Bytes")],
		draft: ps[find(t, ps, "Old Town Brewery Walk")],
	}
	cache := feed.NewCache(store, feed.Options{Refresh: time.Hour})
	views := personal.NewViews(store, cache)
	var bus inproc.Bus
	bus.Subscribe(cache.Apply)
	bus.Subscribe(views.Apply)
	bus.Subscribe(func(_ context.Context, e event.Event) { w.heard = append(w.heard, e) })
	attendees := &command.Attendees{
		Parties: store, Store: store, Events: &bus,
		Stamp:          event.Stamper{Now: func() time.Time { return now }},
		CalendarSecret: []byte("0123456789abcdef0123456789abcdef"),
	}
	w.swipe = (&swipe.Handler{Swipes: attendees}).Routes()
	w.me = (&me.Handler{Commands: attendees, Store: store, Views: views, Feed: cache}).Routes()
	return w
}

func find(t *testing.T, ps []party.Party, title string) int {
	t.Helper()
	i := slices.IndexFunc(ps, func(p party.Party) bool { return p.Title == title })
	if i < 0 {
		t.Fatalf("the demo week has no party %q", title)
	}
	return i
}

// do serves one request; uid "" sends it without an identity, as if the
// authentication middleware had been skipped.
func do(t *testing.T, h http.Handler, uid, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	var header []string
	if body != "" {
		header = []string{"Content-Type", "application/json"}
	}
	if uid != "" {
		id := identity.Identity{UID: uid}
		next := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(identity.With(r.Context(), id)))
		})
	}
	return httpapitest.Serve(h, method, path, strings.NewReader(body), header...)
}

// swipeResponse is the wire shape; previousAction is a pointer to tell an
// absent field from an empty one.
type swipeResponse struct {
	Success bool `json:"success"`
	Swipe   struct {
		ID        string `json:"id"`
		PartyID   string `json:"partyId"`
		Action    string `json:"action"`
		Timestamp string `json:"timestamp"`
	} `json:"swipe"`
	PreviousAction *string `json:"previousAction"`
	Changed        bool    `json:"changed"`
	Saved          bool    `json:"saved"`
	Message        string  `json:"message"`
	NextAction     string  `json:"nextAction"`
}

// savedIDs is what the attendee sees in their saved list, in its order.
func (w *world) savedIDs(t *testing.T, uid string) []string {
	t.Helper()
	rec := do(t, w.me, uid, http.MethodGet, "/api/me/saves", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/me/saves: %d %s", rec.Code, rec.Body)
	}
	page := httpapitest.Decode[struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
		Meta struct {
			Count int `json:"count"`
		} `json:"meta"`
	}](t, rec)
	ids := []string{}
	for _, p := range page.Data {
		ids = append(ids, p.ID)
	}
	if page.Meta.Count != len(ids) {
		t.Errorf("saved list meta.count %d for %d parties", page.Meta.Count, len(ids))
	}
	return ids
}

// heardEvent is the part of a domain event the tests compare.
type heardEvent struct {
	Type, Actor, Conference, UID, PartyID string
	Action, Previous                      attendee.Action
}

// takeHeard returns the events published since the last call, checking
// the metadata every event must carry.
func (w *world) takeHeard(t *testing.T) []heardEvent {
	t.Helper()
	out := []heardEvent{}
	for _, e := range w.heard {
		m := e.EventMeta()
		if m.ID == "" || !m.At.Equal(now) || m.Version != attendee.EventVersion {
			t.Errorf("event %s has metadata %+v; want an id, the use case's clock and version %d", m.Type, m, attendee.EventVersion)
		}
		h := heardEvent{Type: m.Type, Actor: m.Actor, Conference: m.Conference}
		switch e := e.(type) {
		case attendee.SwipeRecorded:
			h.UID, h.PartyID, h.Action, h.Previous = e.UID, e.PartyID, e.Action, e.Previous
		case attendee.SaveAdded:
			h.UID, h.PartyID = e.UID, e.PartyID
		case attendee.SaveRemoved:
			h.UID, h.PartyID = e.UID, e.PartyID
		default:
			t.Errorf("a swipe published an unexpected %T", e)
		}
		out = append(out, h)
	}
	w.heard = nil
	return out
}

func TestSwipeNeedsSignIn(t *testing.T) {
	w := newWorld(t)
	rec := do(t, w.swipe, "", http.MethodPost, "/api/swipe", `{"partyId":"`+w.open.ID+`","action":"like"}`)
	httpapitest.Problem(t, rec, http.StatusUnauthorized, "unauthorized")
	if got := w.takeHeard(t); len(got) != 0 {
		t.Errorf("an anonymous swipe published %v", got)
	}
}

// A sequence of decisions about one party by one attendee, in both body
// shapes: each step's answer, the events it published and the saved list
// the attendee sees afterwards.
func TestSwipeDecisions(t *testing.T) {
	w := newWorld(t)
	p := w.open.ID
	recorded := func(action, previous attendee.Action) heardEvent {
		return heardEvent{Type: attendee.TypeSwipeRecorded, Actor: "ada", Conference: w.conf, UID: "ada", PartyID: p, Action: action, Previous: previous}
	}
	added := heardEvent{Type: attendee.TypeSaveAdded, Actor: "ada", Conference: w.conf, UID: "ada", PartyID: p}
	removed := heardEvent{Type: attendee.TypeSaveRemoved, Actor: "ada", Conference: w.conf, UID: "ada", PartyID: p}
	steps := []struct {
		name        string
		body        string
		wantAction  string
		wantPrev    string // "" = the field is absent
		wantChanged bool
		wantSaved   bool
		wantMessage string
		wantEvents  []heardEvent
		wantSaves   []string
	}{
		{"first like saves", `{"partyId":"` + p + `","action":"like"}`,
			"like", "", false, true, "Saved to your parties.", []heardEvent{recorded(attendee.Like, ""), added}, []string{p}},
		{"repeated like changes nothing", `{"partyId":"` + p + `","action":"like"}`,
			"like", "like", false, true, "No change: you had already decided like.", nil, []string{p}}, // nothing happened: no event
		{"older client's left is a pass and unsaves", `{"eventId":"` + p + `","direction":"left"}`,
			"pass", "like", true, false, "Removed from your parties.", []heardEvent{recorded(attendee.Pass, attendee.Like), removed}, []string{}},
		{"repeated pass changes nothing", `{"partyId":"` + p + `","action":"pass"}`,
			"pass", "pass", false, false, "No change: you had already decided pass.", nil, []string{}},
		{"older client's right is a like and saves", `{"eventId":"` + p + `","direction":"right"}`,
			"like", "pass", true, true, "Saved to your parties.", []heardEvent{recorded(attendee.Like, attendee.Pass), added}, []string{p}},
		{"interested after like keeps the save", `{"partyId":"` + p + `","action":"interested"}`,
			"interested", "like", true, true, "Saved to your parties.", []heardEvent{recorded(attendee.Interested, attendee.Like)}, []string{p}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			rec := do(t, w.swipe, "ada", http.MethodPost, "/api/swipe", st.body)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q: a swipe answer is one user's data", cc)
			}
			got := httpapitest.Decode[swipeResponse](t, rec)
			if !got.Success || got.Swipe.PartyID != p || got.Swipe.Action != st.wantAction || got.Swipe.ID != "ada_"+p {
				t.Errorf("swipe %+v, want ada's %s of %s", got.Swipe, st.wantAction, p)
			}
			if got.Swipe.Timestamp != now.Format(time.RFC3339) {
				t.Errorf("timestamp %q, want the server's clock %s", got.Swipe.Timestamp, now.Format(time.RFC3339))
			}
			prev := ""
			if got.PreviousAction != nil {
				prev = *got.PreviousAction
				if prev == "" {
					t.Error(`previousAction is "" instead of absent`)
				}
			}
			if prev != st.wantPrev || got.Changed != st.wantChanged || got.Saved != st.wantSaved {
				t.Errorf("previousAction %q changed %v saved %v, want %q %v %v", prev, got.Changed, got.Saved, st.wantPrev, st.wantChanged, st.wantSaved)
			}
			if got.Message != st.wantMessage || got.NextAction != "next" {
				t.Errorf("message %q nextAction %q, want %q and next", got.Message, got.NextAction, st.wantMessage)
			}
			if ev := w.takeHeard(t); !slices.Equal(ev, st.wantEvents) {
				t.Errorf("events\n got %+v\nwant %+v", ev, st.wantEvents)
			}
			if saves := w.savedIDs(t, "ada"); !slices.Equal(saves, st.wantSaves) {
				t.Errorf("saved list %v, want %v", saves, st.wantSaves)
			}
		})
	}

	// Another attendee's swipes are theirs alone.
	rec := do(t, w.swipe, "bob", http.MethodPost, "/api/swipe", `{"partyId":"`+w.other.ID+`","action":"like"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("bob's like: %d %s", rec.Code, rec.Body)
	}
	if ev := w.takeHeard(t); len(ev) != 2 || ev[0].Actor != "bob" || ev[1].Actor != "bob" {
		t.Errorf("bob's like published %+v, want two events with bob as actor", ev)
	}
	if saves := w.savedIDs(t, "ada"); !slices.Equal(saves, []string{p}) {
		t.Errorf("ada's list after bob's like: %v", saves)
	}
	if saves := w.savedIDs(t, "bob"); !slices.Equal(saves, []string{w.other.ID}) {
		t.Errorf("bob's list: %v", saves)
	}
}

// Every body shape clients send records the decision it means; the
// client's timestamp is ignored for the server's clock.
func TestSwipeBodyShapes(t *testing.T) {
	w := newWorld(t)
	p, q := w.open.ID, w.other.ID
	tests := []struct {
		name       string
		body       string
		wantParty  string
		wantAction attendee.Action
		wantSaved  bool
	}{
		{"like", `{"partyId":"` + p + `","action":"like"}`, p, attendee.Like, true},
		{"interested", `{"partyId":"` + p + `","action":"interested"}`, p, attendee.Interested, true},
		{"pass", `{"partyId":"` + p + `","action":"pass"}`, p, attendee.Pass, false},
		{"right", `{"eventId":"` + p + `","direction":"right"}`, p, attendee.Like, true},
		{"left", `{"eventId":"` + p + `","direction":"left"}`, p, attendee.Pass, false},
		{"client timestamp and source", `{"partyId":"` + p + `","action":"like","timestamp":"1999-01-01T00:00:00Z","source":"ios"}`, p, attendee.Like, true},
		{"numeric client timestamp", `{"partyId":"` + p + `","action":"like","timestamp":915148800000}`, p, attendee.Like, true},
		{"partyId wins over eventId", `{"partyId":"` + p + `","eventId":"` + q + `","action":"like"}`, p, attendee.Like, true},
		{"action wins over direction", `{"partyId":"` + p + `","action":"pass","direction":"right"}`, p, attendee.Pass, false},
		{"eventId with action", `{"eventId":"` + p + `","action":"like"}`, p, attendee.Like, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uid := "user" + string(rune('a'+i)) // a first swipe for each case
			rec := do(t, w.swipe, uid, http.MethodPost, "/api/swipe", tt.body)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			got := httpapitest.Decode[swipeResponse](t, rec)
			if got.Swipe.PartyID != tt.wantParty || got.Swipe.Action != string(tt.wantAction) || got.Saved != tt.wantSaved {
				t.Errorf("swipe %+v saved %v, want %s of %s, saved %v", got.Swipe, got.Saved, tt.wantAction, tt.wantParty, tt.wantSaved)
			}
			if got.PreviousAction != nil || got.Changed {
				t.Errorf("a first swipe reports previousAction %v, changed %v", got.PreviousAction, got.Changed)
			}
			stored, err := w.store.Swipes(t.Context(), uid)
			if err != nil || len(stored) != 1 || stored[0].PartyID != tt.wantParty || stored[0].Action != tt.wantAction || !stored[0].At.Equal(now) {
				t.Errorf("stored swipes %+v (%v), want one %s of %s at %v", stored, err, tt.wantAction, tt.wantParty, now)
			}
		})
	}
}

// Refused swipes answer with a problem and write and publish nothing.
func TestSwipeRefusals(t *testing.T) {
	w := newWorld(t)
	p := w.open.ID
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		field  string // the field the problem must name; "" for none
	}{
		{"unknown party", `{"partyId":"no-such-party","action":"like"}`, http.StatusNotFound, "not_found", ""},
		{"malformed party id", `{"partyId":"a/b","action":"like"}`, http.StatusNotFound, "not_found", ""},
		{"draft party", `{"partyId":"` + w.draft.ID + `","action":"like"}`, http.StatusNotFound, "not_found", ""},
		{"draft party by an older client", `{"eventId":"` + w.draft.ID + `","direction":"right"}`, http.StatusNotFound, "not_found", ""},
		{"cancelled party", `{"partyId":"` + w.cancelled.ID + `","action":"like"}`, http.StatusConflict, "conflict", ""},
		{"cancelled party, pass", `{"partyId":"` + w.cancelled.ID + `","action":"pass"}`, http.StatusConflict, "conflict", ""},
		{"unknown action", `{"partyId":"` + p + `","action":"superlike"}`, http.StatusBadRequest, "invalid", "action"},
		{"unknown direction", `{"eventId":"` + p + `","direction":"up"}`, http.StatusBadRequest, "invalid", "direction"},
		{"no action", `{"partyId":"` + p + `"}`, http.StatusBadRequest, "invalid", "action"},
		{"no party", `{"action":"like"}`, http.StatusBadRequest, "invalid", "partyId"},
		{"empty object", `{}`, http.StatusBadRequest, "invalid", "partyId"},
		{"party id too long", `{"partyId":"` + strings.Repeat("p", 129) + `","action":"like"}`, http.StatusBadRequest, "invalid", "partyId"},
		{"unknown field", `{"partyId":"` + p + `","action":"like","rating":5}`, http.StatusBadRequest, "invalid", "rating"},
		{"action of the wrong type", `{"partyId":"` + p + `","action":1}`, http.StatusBadRequest, "invalid", "action"},
		{"malformed JSON", `{"partyId":`, http.StatusBadRequest, "invalid", "body"},
		{"two objects", `{"partyId":"` + p + `","action":"like"}{}`, http.StatusBadRequest, "invalid", "body"},
		{"no body", ``, http.StatusBadRequest, "invalid", "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, w.swipe, "ada", http.MethodPost, "/api/swipe", tt.body)
			httpapitest.Problem(t, rec, tt.status, tt.code, tt.field)
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/api/swipe", strings.NewReader("partyId="+p+"&action=like"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r = r.WithContext(identity.With(r.Context(), identity.Identity{UID: "ada"}))
		rec := httptest.NewRecorder()
		w.swipe.ServeHTTP(rec, r)
		httpapitest.Problem(t, rec, http.StatusBadRequest, "invalid", "Content-Type")
	})

	swipes, err := w.store.Swipes(t.Context(), "ada")
	if err != nil || len(swipes) != 0 {
		t.Errorf("refused swipes stored %+v (%v)", swipes, err)
	}
	if saves := w.savedIDs(t, "ada"); len(saves) != 0 {
		t.Errorf("refused swipes saved %v", saves)
	}
	if ev := w.takeHeard(t); len(ev) != 0 {
		t.Errorf("refused swipes published %+v", ev)
	}
}

func TestSwipeMethodNotAllowed(t *testing.T) {
	w := newWorld(t)
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		t.Run(method, func(t *testing.T) {
			rec := do(t, w.swipe, "ada", method, "/api/swipe", "")
			httpapitest.Problem(t, rec, http.StatusMethodNotAllowed, "method_not_allowed")
			if allow := rec.Header().Get("Allow"); allow != "POST, OPTIONS" {
				t.Errorf("Allow %q, want POST, OPTIONS", allow)
			}
		})
	}
}
