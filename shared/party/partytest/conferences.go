package partytest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
)

func testConferences(t *testing.T, s Store) {
	ctx := testContext(t)
	list, err := s.Conferences(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("Conferences() on an empty store = %v, %v; want none", list, err)
	}

	mk := func(id, name, first, last string) conference.Conference {
		c, err := conference.New(id, name, "Köln", "Europe/Berlin", first, last)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	gc := mk("gamescom2025", "Gamescom 2025 — Köln", "2025-08-20", "2025-08-24")
	before := time.Now().Add(-time.Millisecond)
	created, err := s.CreateConference(ctx, gc)
	after := time.Now().Add(time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if created.CreatedAt.Before(before) || created.CreatedAt.After(after) || created.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want a UTC time between %v and %v", created.CreatedAt, before, after)
	}
	if !created.UpdatedAt.Equal(created.CreatedAt) {
		t.Errorf("UpdatedAt = %v, want CreatedAt", created.UpdatedAt)
	}
	want := gc
	want.CreatedAt, want.UpdatedAt = created.CreatedAt, created.UpdatedAt
	if !sameConference(want, created) {
		t.Errorf("created = %+v, want %+v", created, want)
	}
	got, err := s.Conference(ctx, "gamescom2025")
	if err != nil || !sameConference(created, got) {
		t.Errorf("Conference() = %+v, %v; want %+v", got, err, created)
	}

	_, err = s.CreateConference(ctx, mk("gamescom2025", "Other", "2026-08-20", "2026-08-24"))
	assertKind(t, "duplicate CreateConference", err, apperr.Conflict)

	bad := gc
	bad.ID, bad.TimeZone = "bad2025", "Mars/Olympus"
	_, err = s.CreateConference(ctx, bad)
	assertKind(t, "invalid CreateConference", err, apperr.Invalid)
	_, err = s.Conference(ctx, "bad2025")
	assertKind(t, "Conference after invalid create", err, apperr.NotFound)

	for _, c := range []conference.Conference{
		mk("devcom2025", "devcom", "2025-08-18", "2025-08-20"),
		mk("b-gamescom2024", "Gamescom 2024", "2024-08-21", "2024-08-25"),
		mk("a-gamescom2024", "Gamescom 2024 (copy)", "2024-08-21", "2024-08-25"),
	} {
		if _, err := s.CreateConference(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	list, err = s.Conferences(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	wantIDs := []string{"a-gamescom2024", "b-gamescom2024", "devcom2025", "gamescom2025"}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("Conferences() = %v, want %v (by first day, then id)", ids, wantIDs)
	}
	if i := slices.Index(ids, "gamescom2025"); i >= 0 && !sameConference(created, list[i]) {
		t.Errorf("listed %+v, want %+v", list[i], created)
	}
}

func sameConference(a, b conference.Conference) bool {
	ta, tb := [2]time.Time{a.CreatedAt, a.UpdatedAt}, [2]time.Time{b.CreatedAt, b.UpdatedAt}
	a.CreatedAt, a.UpdatedAt, b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return a.Equal(b) && ta[0].Equal(tb[0]) && ta[1].Equal(tb[1]) &&
		tb[0].Location() == time.UTC && tb[1].Location() == time.UTC
}

func testUpdateConference(t *testing.T, s Store) {
	ctx := testContext(t)
	c, err := conference.New("gamescom2025", "Gamescom 2025", "Köln", "Europe/Berlin", "2025-08-20", "2025-08-24")
	if err != nil {
		t.Fatal(err)
	}
	created, err := s.CreateConference(ctx, c)
	if err != nil {
		t.Fatal(err)
	}

	_, err = s.UpdateConference(ctx, "nope2025", func(*conference.Conference) error { return nil })
	assertKind(t, "UpdateConference of a missing conference", err, apperr.NotFound)

	same, err := s.UpdateConference(ctx, "gamescom2025", func(*conference.Conference) error { return nil })
	if err != nil || !same.UpdatedAt.Equal(created.UpdatedAt) {
		t.Errorf("UpdateConference changing nothing = %v, %v; want UpdatedAt kept at %v", same.UpdatedAt, err, created.UpdatedAt)
	}

	up, err := s.UpdateConference(ctx, "gamescom2025", func(c *conference.Conference) error {
		c.Name, c.LastDay = "Gamescom 2025 — Köln", "2025-08-25"
		c.Categories = []string{"Mixer", "Exec Social", "Party"}
		c.SyncURL = "https://docs.example.com/spreadsheets/d/e/x/pub?output=csv"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !up.UpdatedAt.After(created.UpdatedAt) || !up.CreatedAt.Equal(created.CreatedAt) {
		t.Errorf("after a change: created %v updated %v; want created kept, updated after %v", up.CreatedAt, up.UpdatedAt, created.UpdatedAt)
	}
	got, err := s.Conference(ctx, "gamescom2025")
	if err != nil || !sameConference(up, got) {
		t.Errorf("Conference after UpdateConference = %+v, %v; want %+v", got, err, up)
	}

	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		fn   func(*conference.Conference) error
		kind apperr.Kind
	}{
		{"id changed", func(c *conference.Conference) error { c.ID = "other2025"; return nil }, apperr.Invalid},
		{"days reversed", func(c *conference.Conference) error { c.LastDay = "2025-08-01"; return nil }, apperr.Invalid},
		{"category twice", func(c *conference.Conference) error { c.Categories = []string{"Mixer", "mixer"}; return nil }, apperr.Invalid},
		{"sync over http", func(c *conference.Conference) error { c.SyncURL = "http://docs.example.com/x.csv"; return nil }, apperr.Invalid},
	} {
		_, err := s.UpdateConference(ctx, "gamescom2025", tc.fn)
		assertKind(t, "UpdateConference: "+tc.name, err, tc.kind)
	}
	if _, err := s.UpdateConference(ctx, "gamescom2025", func(c *conference.Conference) error {
		c.Name = "not stored"
		return boom
	}); !errors.Is(err, boom) {
		t.Errorf("UpdateConference with a failing closure = %v, want its error", err)
	}
	if got, err := s.Conference(ctx, "gamescom2025"); err != nil || !sameConference(up, got) {
		t.Errorf("after refused updates = %+v, %v; want %+v unchanged", got, err, up)
	}

	cleared, err := s.UpdateConference(ctx, "gamescom2025", func(c *conference.Conference) error {
		c.Categories, c.SyncURL = nil, ""
		return nil
	})
	if err != nil || len(cleared.Categories) != 0 || cleared.SyncURL != "" {
		t.Fatalf("clearing the lists = %+v, %v", cleared, err)
	}
	if got, _ := s.Conference(ctx, "gamescom2025"); len(got.Categories) != 0 || got.SyncURL != "" {
		t.Errorf("after clearing: categories %q, sync %q; want none", got.Categories, got.SyncURL)
	}
}
