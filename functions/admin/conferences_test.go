package admin_test

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
)

// conferenceAnswer is what these tests read of a conference answer.
type conferenceAnswer struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	City       string   `json:"city"`
	Timezone   string   `json:"timezone"`
	FirstDay   string   `json:"firstDay"`
	LastDay    string   `json:"lastDay"`
	PartyCount *int     `json:"partyCount"`
	Categories []string `json:"categories"`
	SyncURL    string   `json:"syncUrl"`
}

const newConference = `{"id":"devcon2026","name":" Dev Con 2026 ","city":"Berlin","timeZone":"Europe/Berlin",
	"firstDay":"2026-09-01","lastDay":"2026-09-03","categories":[" Mixer ","Talk"],"syncUrl":"https://example.com/sheet.csv"}`

// An admin creates a conference: 201 with it as stored (trimmed, with
// its sheet and no parties yet), and the public feed serves it at once.
// A retry with an Idempotency-Key is answered 200 with the same
// conference, the same body without one is a conflict, and the key sent
// with other details is refused.
func TestCreateConference(t *testing.T) {
	e := newEnv(t, nil)
	var got conferenceAnswer
	httpapitest.Data(t, e.do("admin", http.MethodPost, "/api/admin/conferences", newConference, "Idempotency-Key", "k1"),
		http.StatusCreated, "application/json", &got, nil)
	want := conferenceAnswer{ID: "devcon2026", Name: "Dev Con 2026", City: "Berlin", Timezone: "Europe/Berlin",
		FirstDay: "2026-09-01", LastDay: "2026-09-03", Categories: []string{"Mixer", "Talk"}, SyncURL: "https://example.com/sheet.csv"}
	if got.PartyCount == nil || *got.PartyCount != 0 {
		t.Errorf("partyCount = %v, want 0", got.PartyCount)
	}
	got.PartyCount = nil
	if !equalConference(got, want) {
		t.Errorf("created %+v, want %+v", got, want)
	}
	stored, err := e.seeded.Store.Conference(context.Background(), "devcon2026")
	if err != nil || stored.Name != "Dev Con 2026" || stored.SyncURL != want.SyncURL {
		t.Fatalf("stored conference %+v (%v)", stored, err)
	}
	if snap, err := e.feed.ConferenceSnapshot(context.Background(), "devcon2026"); err != nil || snap.Conference.City != "Berlin" {
		t.Errorf("the feed does not serve the new conference: %v", err)
	}

	t.Run("retry with the key", func(t *testing.T) {
		var again conferenceAnswer
		httpapitest.Data(t, e.do("admin", http.MethodPost, "/api/admin/conferences", newConference, "Idempotency-Key", "k1"),
			http.StatusOK, "application/json", &again, nil)
		again.PartyCount = nil
		if !equalConference(again, want) {
			t.Errorf("retry answered %+v, want %+v", again, want)
		}
	})
	t.Run("same body without a key", func(t *testing.T) {
		httpapitest.Problem(t, e.do("admin", http.MethodPost, "/api/admin/conferences", newConference), http.StatusConflict, "conflict")
	})
	t.Run("the key with other details", func(t *testing.T) {
		other := `{"id":"devcon2026","name":"Another Con","city":"Berlin","timeZone":"Europe/Berlin","firstDay":"2026-09-01","lastDay":"2026-09-03"}`
		httpapitest.Problem(t, e.do("admin", http.MethodPost, "/api/admin/conferences", other, "Idempotency-Key", "k1"),
			http.StatusUnprocessableEntity, "key_reused")
		if c, _ := e.seeded.Store.Conference(context.Background(), "devcon2026"); c.Name != "Dev Con 2026" {
			t.Errorf("the refused retry renamed the conference to %q", c.Name)
		}
	})
}

func equalConference(a, b conferenceAnswer) bool {
	cats := slices.Equal(a.Categories, b.Categories)
	a.Categories, b.Categories = nil, nil
	return cats && reflect.DeepEqual(a, b)
}

// A conference that cannot be stored is refused with 400 naming the
// field, and nothing is stored.
func TestCreateConferenceRefused(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name, body string
		field      string
	}{
		{"unknown time zone", `{"id":"badcon","name":"Bad","city":"X","timeZone":"Mars/Olympus","firstDay":"2026-09-01","lastDay":"2026-09-02"}`, "timeZone"},
		{"last day before the first", `{"id":"badcon","name":"Bad","city":"X","timeZone":"Europe/Berlin","firstDay":"2026-09-03","lastDay":"2026-09-01"}`, "lastDay"},
		{"malformed day", `{"id":"badcon","name":"Bad","city":"X","timeZone":"Europe/Berlin","firstDay":"1 Sept","lastDay":"2026-09-01"}`, "firstDay"},
		{"malformed id", `{"id":"Bad Con!","name":"Bad","city":"X","timeZone":"Europe/Berlin","firstDay":"2026-09-01","lastDay":"2026-09-02"}`, "id"},
		{"name missing", `{"id":"badcon","city":"X","timeZone":"Europe/Berlin","firstDay":"2026-09-01","lastDay":"2026-09-02"}`, "name"},
		{"unknown field", `{"id":"badcon","name":"Bad","city":"X","timeZone":"Europe/Berlin","firstDay":"2026-09-01","lastDay":"2026-09-02","venue":"y"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			httpapitest.Problem(t, e.do("admin", http.MethodPost, "/api/admin/conferences", tt.body), http.StatusBadRequest, "invalid", tt.field)
		})
	}
	cs, err := e.seeded.Store.Conferences(context.Background())
	if err != nil || len(cs) != 1 {
		t.Errorf("conferences after refused creates: %d (%v), want the demo one alone", len(cs), err)
	}
}

// A PATCH changes the fields it sends and keeps the rest; the answer is
// the conference as stored, with its party count, and the public feed
// shows the change at once. An empty syncUrl clears the sheet.
func TestUpdateConference(t *testing.T) {
	e := newEnv(t, nil)
	conf := e.seeded.Conference
	open := 0
	for _, p := range e.seeded.Parties {
		if p.Status != "cancelled" {
			open++
		}
	}
	var got conferenceAnswer
	httpapitest.Data(t, e.do("admin", http.MethodPatch, "/api/admin/conferences/"+conf.ID, `{"name":" Renamed Week ","syncUrl":"https://example.com/s.csv"}`),
		http.StatusOK, "application/json", &got, nil)
	if got.ID != conf.ID || got.Name != "Renamed Week" || got.City != conf.City || got.FirstDay != conf.FirstDay || got.SyncURL != "https://example.com/s.csv" {
		t.Errorf("updated %+v", got)
	}
	if got.PartyCount == nil || *got.PartyCount != open {
		t.Errorf("partyCount = %v, want %d", got.PartyCount, open)
	}
	snap, err := e.feed.ConferenceSnapshot(context.Background(), conf.ID)
	if err != nil || snap.Conference.Name != "Renamed Week" {
		t.Errorf("the feed still serves %q (%v)", snap.Conference.Name, err)
	}

	var cleared conferenceAnswer
	httpapitest.Data(t, e.do("admin", http.MethodPatch, "/api/admin/conferences/"+conf.ID, `{"syncUrl":""}`), http.StatusOK, "application/json", &cleared, nil)
	if cleared.SyncURL != "" || cleared.Name != "Renamed Week" {
		t.Errorf("after clearing the sheet: %+v", cleared)
	}
	if c, _ := e.seeded.Store.Conference(context.Background(), conf.ID); c.SyncURL != "" {
		t.Errorf("the store keeps the sheet %q", c.SyncURL)
	}

	bad := []struct {
		name, id, body string
		status         int
		code, field    string
	}{
		{"unknown conference", "nosuchcon", `{"name":"X"}`, http.StatusNotFound, "not_found", ""},
		{"last day before the first", conf.ID, `{"lastDay":"2000-01-01"}`, http.StatusBadRequest, "invalid", "lastDay"},
		{"malformed day", conf.ID, `{"firstDay":"soon"}`, http.StatusBadRequest, "invalid", "firstDay"},
		{"empty name", conf.ID, `{"name":""}`, http.StatusBadRequest, "invalid", "name"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			httpapitest.Problem(t, e.do("admin", http.MethodPatch, "/api/admin/conferences/"+tt.id, tt.body), tt.status, tt.code, tt.field)
		})
	}
	if c, _ := e.seeded.Store.Conference(context.Background(), conf.ID); c.Name != "Renamed Week" || c.LastDay != conf.LastDay {
		t.Errorf("refused updates changed the conference: %+v", c)
	}
}
