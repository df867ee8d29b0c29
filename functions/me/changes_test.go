package me_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/functions/calendar"
	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
	"github.com/partyfinder/partyfinder/shared/party"
)

type changedParty struct {
	PartyID string `json:"partyId"`
	Changes []struct {
		Kinds  []string          `json:"kinds"`
		Fields []string          `json:"fields"`
		Before map[string]string `json:"before"`
		After  map[string]string `json:"after"`
	} `json:"changes"`
}

// An attendee asks what changed in their saved parties: a party moved to
// another hour and venue, another cancelled; a party they did not save
// changed too, and is not theirs to hear of. The saved list and the
// personal calendar flag the changed ones.
func TestChangeDigest(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	mixer, lunch, games, yoga := w.party(t, "Opening Night Mixer"), w.party(t, "Indie Founders Lunch"),
		w.party(t, "Board Games & Bytes"), w.party(t, "Morning Yoga with a Dome View")
	for _, p := range []party.Party{mixer, lunch, games} {
		w.must(t, http.StatusCreated, "ada", http.MethodPut, "/api/me/saves/"+p.ID, "")
	}
	loc := w.conf.Location()
	moved, err := w.store.UpdateParty(ctx, mixer.ID, func(p *party.Party) error {
		p.Start, p.End = p.Start.Add(time.Hour), p.End.Add(time.Hour)
		p.Venue = "Bootshaus"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.cancel(t, "Indie Founders Lunch")
	if _, err := w.store.UpdateParty(ctx, games.ID, func(p *party.Party) error { p.Description += " Bring dice."; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.UpdateParty(ctx, yoga.ID, func(p *party.Party) error { p.Venue = "Somewhere else"; return nil }); err != nil {
		t.Fatal(err)
	}

	rec := w.must(t, http.StatusOK, "ada", http.MethodGet, "/api/me/changes", "")
	got := httpapitest.Decode[envelope[[]changedParty, map[string]any]](t, rec).Data
	byID := map[string]changedParty{}
	for _, c := range got {
		byID[c.PartyID] = c
	}
	if len(got) != 3 || byID[yoga.ID].PartyID != "" {
		t.Fatalf("changed parties %v: want ada's three, not the yoga she did not save", got)
	}
	m := byID[mixer.ID].Changes
	if len(m) != 1 || !slices.Equal(m[0].Kinds, []string{"time", "venue"}) ||
		m[0].Before["start"] != mixer.Start.In(loc).Format(time.RFC3339) || m[0].After["start"] != moved.Start.In(loc).Format(time.RFC3339) ||
		m[0].Before["venue"] != mixer.Venue || m[0].After["venue"] != "Bootshaus" {
		t.Errorf("the moved mixer: %+v", m)
	}
	if l := byID[lunch.ID].Changes; len(l) != 1 || !slices.Equal(l[0].Kinds, []string{"cancelled"}) || l[0].After["status"] != "cancelled" {
		t.Errorf("the cancelled lunch: %+v", l)
	}
	if g := byID[games.ID].Changes; len(g) != 1 || !slices.Equal(g[0].Kinds, []string{"details"}) || !slices.Equal(g[0].Fields, []string{"description"}) {
		t.Errorf("the games night's new description: %+v", g)
	}
	// A later since leaves them out; bad ones name the parameter.
	later := time.Now().Add(time.Minute).Format(time.RFC3339)
	if got := httpapitest.Decode[envelope[[]changedParty, any]](t, w.must(t, http.StatusOK, "ada", http.MethodGet, "/api/me/changes?since="+later, "")).Data; len(got) != 0 {
		t.Errorf("changes after now: %v", got)
	}
	for _, since := range []string{"yesterday", now.AddDate(0, 0, -31).Format(time.RFC3339)} { // the handler's clock
		httpapitest.Problem(t, w.do(t, "ada", http.MethodGet, "/api/me/changes?since="+since, ""), http.StatusBadRequest, "invalid", "since")
	}

	// The saved list flags what changed when, where or whether.
	type flagged struct {
		ID           string `json:"id"`
		RecentChange *struct {
			Kinds []string `json:"kinds"`
		} `json:"recentChange"`
	}
	flags := map[string][]string{}
	for _, s := range httpapitest.Decode[envelope[[]flagged, any]](t, w.must(t, http.StatusOK, "ada", http.MethodGet, "/api/me/saves", "")).Data {
		if s.RecentChange != nil {
			flags[s.ID] = s.RecentChange.Kinds
		}
	}
	if len(flags) != 2 || !slices.Equal(flags[mixer.ID], []string{"time", "venue"}) || !slices.Equal(flags[lunch.ID], []string{"cancelled"}) {
		t.Errorf("flags on the saved list: %v (a new description is no flag)", flags)
	}
	// So does the personal calendar, in the title apps show.
	_, token := link(t, w.do(t, "ada", http.MethodGet, "/api/me/calendar", ""), "https://example.com")
	cal := httpapitest.Serve((&calendar.Handler{Feed: w.cache, Personal: w.views}).Routes(), http.MethodGet, "/api/calendar/u/"+token+".ics", nil).Body.String()
	if !strings.Contains(unfoldICS(cal), "SUMMARY:Changed: "+mixer.Title) || strings.Contains(unfoldICS(cal), "SUMMARY:Changed: "+games.Title) {
		t.Errorf("the calendar does not flag the moved mixer alone:\n%.3000s", cal)
	}
}

func unfoldICS(s string) string { return strings.ReplaceAll(s, "\r\n ", "") }
