package partytest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/party"
)

func testRoundTrip(t *testing.T, s Store) {
	ctx := testContext(t)
	tests := []struct {
		name string
		p    party.Party
	}{
		{"every field", fullParty("full", "gamescom2025")},
		{"no location, open-ended, no lists", minimalParty("minimal", "gamescom2025", at(22, 18, 0))},
		{"end exactly at midnight, cancelled", func() party.Party {
			p := fullParty("midnight", "gamescom2025")
			p.Start, p.End = at(23, 19, 0), at(24, 0, 0)
			p.Location = nil
			p.Status = party.Cancelled
			return p
		}()},
		{"an organizer's, rejected with a note", func() party.Party {
			p := fullParty("owned", "gamescom2025")
			p.Owner, p.Source = "organizer-uid-1", "organizer"
			p.Status, p.Note = party.Rejected, "Not a party: a booth's opening hours"
			return p
		}()},
		{"given in UTC, negative coordinates", func() party.Party {
			p := fullParty("utc_given", "gamescom2025")
			p.Start, p.End = p.Start.UTC(), p.End.UTC()
			p.Location = &party.Point{Lat: -33.8688, Lng: -151.2093}
			p.Free, p.Price = true, "Free if approved"
			return p
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now().Add(-time.Millisecond)
			created := mustCreate(t, ctx, s, tc.p)
			after := time.Now().Add(time.Millisecond)

			if created.Version != 1 {
				t.Errorf("created version = %d, want 1", created.Version)
			}
			if created.CreatedAt.Before(before) || created.CreatedAt.After(after) {
				t.Errorf("CreatedAt = %v, want between %v and %v", created.CreatedAt, before, after)
			}
			if !created.UpdatedAt.Equal(created.CreatedAt) {
				t.Errorf("UpdatedAt = %v, want CreatedAt %v", created.UpdatedAt, created.CreatedAt)
			}
			// The returned party is the stored party: same content as given,
			// bookkeeping filled in.
			want := tc.p
			want.CreatedAt, want.UpdatedAt, want.Version = created.CreatedAt, created.UpdatedAt, 1
			assertSame(t, "created", want, created)

			got := mustGet(t, ctx, s, tc.p.ID)
			assertSame(t, "read back", created, got)
			if !got.Equal(tc.p) {
				t.Errorf("read back party is not Equal to the one given")
			}
		})
	}
}

func testNotFound(t *testing.T, s Store) {
	ctx := testContext(t)
	_, err := s.Party(ctx, "missing")
	assertKind(t, "Party(missing)", err, apperr.NotFound)

	called := false
	_, err = s.UpdateParty(ctx, "missing", func(p *party.Party) error { called = true; return nil })
	assertKind(t, "UpdateParty(missing)", err, apperr.NotFound)
	if called {
		t.Error("UpdateParty called fn for a missing party")
	}

	_, err = s.Conference(ctx, "nowhere2025")
	assertKind(t, "Conference(nowhere2025)", err, apperr.NotFound)

	ps, err := s.PartiesOf(ctx, "nowhere2025")
	if err != nil || len(ps) != 0 {
		t.Errorf("PartiesOf(unknown) = %d parties, %v; want none, nil", len(ps), err)
	}
}

func testCreateConflict(t *testing.T, s Store) {
	ctx := testContext(t)
	first := mustCreate(t, ctx, s, fullParty("dup", "gamescom2025"))

	second := minimalParty("dup", "devcom2025", at(19, 10, 0))
	_, err := s.CreateParty(ctx, second)
	assertKind(t, "second CreateParty", err, apperr.Conflict)

	assertSame(t, "after conflict", first, mustGet(t, ctx, s, "dup"))
	if ps, _ := s.PartiesOf(ctx, "devcom2025"); len(ps) != 0 {
		t.Errorf("the rejected party shows up in its conference")
	}
}

// invalidParties are parties every write must reject.
func invalidParties(conferenceID string) map[string]party.Party {
	mod := func(f func(*party.Party)) party.Party {
		p := fullParty("bad", conferenceID)
		f(&p)
		return p
	}
	return map[string]party.Party{
		"empty title":         mod(func(p *party.Party) { p.Title = "" }),
		"end before start":    mod(func(p *party.Party) { p.End = p.Start.Add(-time.Hour) }),
		"no start":            mod(func(p *party.Party) { p.Start = time.Time{}; p.End = time.Time{} }),
		"javascript link":     mod(func(p *party.Party) { p.Link = "javascript:alert(1)" }),
		"unknown status":      mod(func(p *party.Party) { p.Status = "deleted" }),
		"id with slash":       mod(func(p *party.Party) { p.ID = "a/b" }),
		"location off earth":  mod(func(p *party.Party) { p.Location = &party.Point{Lat: 91, Lng: 0} }),
		"bad conference id":   mod(func(p *party.Party) { p.ConferenceID = "Gamescom 2025" }),
		"title too long":      mod(func(p *party.Party) { p.Title = strings.Repeat("x", party.MaxTitle+1) }),
		"more than 20 tags":   mod(func(p *party.Party) { p.Tags = make([]string, party.MaxTags+1) }),
		"longer than 7 days":  mod(func(p *party.Party) { p.End = p.Start.Add(party.MaxDuration + time.Minute) }),
		"description too big": mod(func(p *party.Party) { p.Description = strings.Repeat("ü", party.MaxDescription+1) }),
	}
}

func testCreateInvalid(t *testing.T, s Store) {
	ctx := testContext(t)
	for name, p := range invalidParties("gamescom2025") {
		t.Run(name, func(t *testing.T) {
			_, err := s.CreateParty(ctx, p)
			assertKind(t, "CreateParty", err, apperr.Invalid)
			if party.ValidID(p.ID) {
				_, err = s.Party(ctx, p.ID)
				assertKind(t, "Party after rejected create", err, apperr.NotFound)
			}
		})
	}
	// "empty2025" never had parties: its revision is that of nothing.
	if rev0, rev := mustRevision(t, ctx, s, "empty2025"), mustRevision(t, ctx, s, "gamescom2025"); rev0 != rev {
		t.Errorf("revision after rejected creates = %q, want the empty conference's %q", rev, rev0)
	}
}

func testPartiesOwnedBy(t *testing.T, s Store) {
	ctx := testContext(t)
	owned := func(id, conf, owner string, start time.Time) party.Party {
		p := minimalParty(id, conf, start)
		p.Owner, p.Status = owner, party.Pending
		return p
	}
	for _, p := range []party.Party{
		owned("o-late", "gamescom2025", "org-a", at(23, 22, 0)),
		owned("o-other-conf", "devcom2025", "org-a", at(21, 0, 0)),
		owned("o-early", "gamescom2025", "org-a", at(20, 18, 0)),
		owned("o-someone-else", "gamescom2025", "org-b", at(20, 19, 0)),
		minimalParty("o-imported", "gamescom2025", at(20, 20, 0)),
	} {
		mustCreate(t, ctx, s, p)
	}
	got, err := s.PartiesOwnedBy(ctx, "org-a")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range got {
		ids = append(ids, p.ID)
		assertSame(t, "PartiesOwnedBy entry "+p.ID, mustGet(t, ctx, s, p.ID), p)
	}
	if want := []string{"o-early", "o-other-conf", "o-late"}; !slices.Equal(ids, want) {
		t.Errorf("PartiesOwnedBy(org-a) = %v, want %v (every conference, by start)", ids, want)
	}
	if none, err := s.PartiesOwnedBy(ctx, ""); err != nil || len(none) != 0 {
		t.Errorf("PartiesOwnedBy(\"\") = %d parties, %v; imported parties belong to no one", len(none), err)
	}
}

func testPartiesOf(t *testing.T, s Store) {
	ctx := testContext(t)
	// Created out of order; "a-early" and "b-early" start together and
	// must come back ordered by id.
	for _, p := range []party.Party{
		minimalParty("late", "gamescom2025", at(23, 22, 0)),
		minimalParty("b-early", "gamescom2025", at(20, 18, 0)),
		func() party.Party {
			p := fullParty("middle", "gamescom2025")
			p.Start, p.End = at(21, 12, 0), time.Time{}
			return p
		}(),
		minimalParty("a-early", "gamescom2025", at(20, 18, 0)),
		func() party.Party {
			p := minimalParty("cancelled", "gamescom2025", at(22, 9, 0))
			p.Status = party.Cancelled
			return p
		}(),
		minimalParty("other-conf", "devcom2025", at(21, 0, 0)),
	} {
		mustCreate(t, ctx, s, p)
	}

	got, err := s.PartiesOf(ctx, "gamescom2025")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range got {
		ids = append(ids, p.ID)
		assertSame(t, "PartiesOf entry "+p.ID, mustGet(t, ctx, s, p.ID), p)
	}
	want := []string{"a-early", "b-early", "middle", "cancelled", "late"}
	if !slices.Equal(ids, want) {
		t.Errorf("PartiesOf(gamescom2025) = %v, want %v", ids, want)
	}

	other, err := s.PartiesOf(ctx, "devcom2025")
	if err != nil || len(other) != 1 || other[0].ID != "other-conf" {
		t.Errorf("PartiesOf(devcom2025) = %v, %v; want [other-conf]", other, err)
	}
}
