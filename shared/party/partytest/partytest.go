// Package partytest is the contract suite every party and conference store
// must pass. Each store's tests call Run with a constructor for a fresh,
// empty store, so the SQLite file and the Firestore emulator are held to the
// same behaviour the rest of the code relies on.
package partytest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Store is what a complete store offers: parties, their revision and the
// conferences they belong to.
type Store interface {
	party.Repository
	party.Revisioner
	conference.Repository
	audit.Repository
}

// opTimeout bounds every test. It is generous because transactions that
// contend on one document are slow on the Firestore emulator.
const opTimeout = 90 * time.Second

// Clock is what a store under test reads as the time: the real time,
// moved on by what the suite Advanced it, so that it can let a retention
// pass without waiting for it. Every subtest has its own.
type Clock struct{ ahead atomic.Int64 }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) { c.ahead.Add(int64(d)) }

// Run runs the contract suite. newStore must return a fresh, empty store
// (or one isolated from every other call, e.g. by a collection prefix)
// that reads the time from now; it is called once per subtest, and
// subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T, now func() time.Time) Store) {
	t.Helper()
	for _, tc := range changeTests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := &Clock{}
			tc.fn(t, newStore(t, clock.Now), clock)
		})
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"CreateAndGetRoundTrip", testRoundTrip},
		{"NotFound", testNotFound},
		{"CreateConflict", testCreateConflict},
		{"CreateInvalid", testCreateInvalid},
		{"PartiesOfOrderAndIsolation", testPartiesOf},
		{"PartiesOwnedBy", testPartiesOwnedBy},
		{"UpdateParty", testUpdateParty},
		{"UpdatePartyRejects", testUpdateRejects},
		{"UpdatePartyConcurrent", testUpdateConcurrent},
		{"SaveParties", testSaveParties},
		{"SavePartiesAtomic", testSavePartiesAtomic},
		{"SavePartiesResumes", testSavePartiesResumes},
		{"Revision", testRevision},
		{"Conferences", testConferences},
		{"UpdateConference", testUpdateConference},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t, time.Now))
		})
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

var berlin = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at returns a Cologne wall-clock time in August 2025.
func at(day, hour, minute int) time.Time {
	return time.Date(2025, time.August, day, hour, minute, 0, 0, berlin)
}

// fullParty returns a valid party with every field set, including text that
// needs more than ASCII and an end after local midnight.
func fullParty(id, conferenceID string) party.Party {
	return party.Party{
		ID:           id,
		ConferenceID: conferenceID,
		Title:        "Kölner Nacht — Indie Mixer 🎮",
		Description:  "Drinks & demos.\nZweite Zeile: Grüße aus Köln, 東京 too.",
		Venue:        "Bürgerhaus Stollwerck",
		Address:      "Dreikönigenstraße 23, 50678 Köln",
		Location:     &party.Point{Lat: 50.925113, Lng: 6.962761},
		Start:        at(20, 21, 30),
		End:          at(21, 2, 15), // past midnight: belongs to the 20th
		Category:     party.NewCategory("Exec Social"),
		Hosts:        []string{"Ubisoft", "Épique Studios"},
		Price:        "From £13.16",
		Free:         false,
		Link:         "https://example.com/parties/köln?x=1&y=2",
		Focus:        "Developers, Publishers",
		Tags:         []string{"indie", "networking"},
		Status:       party.Published,
		Source:       "gamescom-sheets",
	}
}

// minimalParty returns a valid party with only the required fields: no
// location, open-ended, no lists.
func minimalParty(id, conferenceID string, start time.Time) party.Party {
	return party.Party{
		ID:           id,
		ConferenceID: conferenceID,
		Title:        "Party " + id,
		Start:        start,
		Category:     party.NewCategory(""),
		Status:       party.Draft,
	}
}

// diff lists the fields in which got differs from want. Times must be the
// same instant and come back in UTC.
func diff(want, got party.Party) []string {
	var d []string
	add := func(field string, w, g any) { d = append(d, fmt.Sprintf("%s: got %v, want %v", field, g, w)) }
	eqTime := func(field string, w, g time.Time) {
		if !w.Equal(g) || w.IsZero() != g.IsZero() {
			add(field, w, g)
		} else if !g.IsZero() && g.Location() != time.UTC {
			add(field+" zone", time.UTC, g.Location())
		}
	}
	if want.ID != got.ID {
		add("ID", want.ID, got.ID)
	}
	if want.ConferenceID != got.ConferenceID {
		add("ConferenceID", want.ConferenceID, got.ConferenceID)
	}
	for _, f := range []struct{ name, w, g string }{
		{"Title", want.Title, got.Title}, {"Description", want.Description, got.Description},
		{"Venue", want.Venue, got.Venue}, {"Address", want.Address, got.Address},
		{"Price", want.Price, got.Price}, {"Link", want.Link, got.Link}, {"Focus", want.Focus, got.Focus},
		{"Status", string(want.Status), string(got.Status)}, {"Source", want.Source, got.Source},
		{"Owner", want.Owner, got.Owner}, {"Note", want.Note, got.Note},
	} {
		if f.w != f.g {
			add(f.name, fmt.Sprintf("%q", f.w), fmt.Sprintf("%q", f.g))
		}
	}
	if (want.Location == nil) != (got.Location == nil) || want.Location != nil && *want.Location != *got.Location {
		add("Location", want.Location, got.Location)
	}
	eqTime("Start", want.Start, got.Start)
	eqTime("End", want.End, got.End)
	eqTime("CreatedAt", want.CreatedAt, got.CreatedAt)
	eqTime("UpdatedAt", want.UpdatedAt, got.UpdatedAt)
	if want.Category != got.Category {
		add("Category", want.Category, got.Category)
	}
	// nil and empty lists are the same thing to every caller.
	if !slices.Equal(want.Hosts, got.Hosts) {
		add("Hosts", want.Hosts, got.Hosts)
	}
	if !slices.Equal(want.Tags, got.Tags) {
		add("Tags", want.Tags, got.Tags)
	}
	if want.Free != got.Free {
		add("Free", want.Free, got.Free)
	}
	if want.Version != got.Version {
		add("Version", want.Version, got.Version)
	}
	return d
}

func assertSame(t *testing.T, what string, want, got party.Party) {
	t.Helper()
	if d := diff(want, got); len(d) > 0 {
		t.Errorf("%s differs:\n  %s", what, strings.Join(d, "\n  "))
	}
}

func assertKind(t *testing.T, what string, err error, kind apperr.Kind) {
	t.Helper()
	if !apperr.Is(err, kind) {
		t.Fatalf("%s: got error %v (kind %q), want kind %q", what, err, apperr.KindOf(err), kind)
	}
}

func mustCreate(t *testing.T, ctx context.Context, s Store, p party.Party) party.Party {
	t.Helper()
	created, err := s.CreateParty(ctx, p)
	if err != nil {
		t.Fatalf("CreateParty(%s): %v", p.ID, err)
	}
	return created
}

func mustGet(t *testing.T, ctx context.Context, s Store, id string) party.Party {
	t.Helper()
	p, err := s.Party(ctx, id)
	if err != nil {
		t.Fatalf("Party(%s): %v", id, err)
	}
	return p
}

func mustRevision(t *testing.T, ctx context.Context, s Store, conferenceID string) string {
	t.Helper()
	rev, err := s.Revision(ctx, conferenceID)
	if err != nil {
		t.Fatalf("Revision(%s): %v", conferenceID, err)
	}
	return rev
}

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

var errVeto = errors.New("veto")

func testUpdateParty(t *testing.T, s Store) {
	ctx := testContext(t)
	created := mustCreate(t, ctx, s, fullParty("upd", "gamescom2025"))

	t.Run("change bumps version and UpdatedAt", func(t *testing.T) {
		calls := 0
		updated, err := s.UpdateParty(ctx, "upd", func(p *party.Party) error {
			calls++
			assertSame(t, "party given to fn", created, *p)
			p.Title = "Kölner Nacht (moved)"
			p.Location = nil
			p.End = time.Time{}
			p.Tags = append(p.Tags, "late-night")
			// Bookkeeping belongs to the store; attempts to set it are ignored.
			p.Version = 99
			p.CreatedAt = time.Time{}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if calls < 1 {
			t.Fatal("fn was not called")
		}
		want := created
		want.Title, want.Location, want.End = "Kölner Nacht (moved)", nil, time.Time{}
		want.Tags = []string{"indie", "networking", "late-night"}
		want.Version = 2
		want.UpdatedAt = updated.UpdatedAt
		assertSame(t, "updated", want, updated)
		if !updated.UpdatedAt.After(created.UpdatedAt) {
			t.Errorf("UpdatedAt = %v, want after %v", updated.UpdatedAt, created.UpdatedAt)
		}
		assertSame(t, "read back", updated, mustGet(t, ctx, s, "upd"))
		created = updated
	})

	t.Run("change in place through pointers and slices", func(t *testing.T) {
		want := mustCreate(t, ctx, s, fullParty("inplace", "gamescom2025"))
		for _, step := range []struct {
			name   string
			fn     func(*party.Party)
			expect func(*party.Party)
		}{
			{"location", func(p *party.Party) { p.Location.Lat += 0.001 },
				func(p *party.Party) { p.Location = &party.Point{Lat: p.Location.Lat + 0.001, Lng: p.Location.Lng} }},
			{"host", func(p *party.Party) { p.Hosts[0] = "Nintendo" },
				func(p *party.Party) { p.Hosts = []string{"Nintendo", p.Hosts[1]} }},
			{"tag", func(p *party.Party) { p.Tags[1] = "meetup" },
				func(p *party.Party) { p.Tags = []string{p.Tags[0], "meetup"} }},
		} {
			updated, err := s.UpdateParty(ctx, "inplace", func(p *party.Party) error { step.fn(p); return nil })
			if err != nil {
				t.Fatal(err)
			}
			step.expect(&want)
			want.Version, want.UpdatedAt = want.Version+1, updated.UpdatedAt
			assertSame(t, step.name+" updated", want, updated)
			assertSame(t, step.name+" read back", want, mustGet(t, ctx, s, "inplace"))
		}
	})

	t.Run("no change writes nothing", func(t *testing.T) {
		rev := mustRevision(t, ctx, s, "gamescom2025")
		same, err := s.UpdateParty(ctx, "upd", func(p *party.Party) error {
			p.Title = p.Title + "" // touched, not changed
			p.Hosts = slices.Clone(p.Hosts)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		assertSame(t, "returned", created, same)
		assertSame(t, "read back", created, mustGet(t, ctx, s, "upd"))
		if got := mustRevision(t, ctx, s, "gamescom2025"); got != rev {
			t.Errorf("revision changed from %q to %q by a no-op update", rev, got)
		}
	})

	t.Run("fn error aborts", func(t *testing.T) {
		_, err := s.UpdateParty(ctx, "upd", func(p *party.Party) error {
			p.Title = "should not be stored"
			return fmt.Errorf("checking: %w", errVeto)
		})
		if !errors.Is(err, errVeto) {
			t.Fatalf("got %v, want the error from fn", err)
		}
		assertSame(t, "after veto", created, mustGet(t, ctx, s, "upd"))
	})
}

func testUpdateRejects(t *testing.T, s Store) {
	ctx := testContext(t)
	created := mustCreate(t, ctx, s, fullParty("fixed", "gamescom2025"))
	tests := map[string]func(*party.Party){
		"change id":         func(p *party.Party) { p.ID = "other" },
		"change conference": func(p *party.Party) { p.ConferenceID = "devcom2025" },
		"empty title":       func(p *party.Party) { p.Title = "" },
		"bad link":          func(p *party.Party) { p.Link = "ftp://example.com" },
		"end before start":  func(p *party.Party) { p.End = p.Start.Add(-time.Minute) },
		"unknown status":    func(p *party.Party) { p.Status = "archived" },
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := s.UpdateParty(ctx, "fixed", func(p *party.Party) error {
				p.Description = "changed as well"
				fn(p)
				return nil
			})
			assertKind(t, "UpdateParty", err, apperr.Invalid)
			assertSame(t, "after rejected update", created, mustGet(t, ctx, s, "fixed"))
		})
	}
	_, err := s.Party(ctx, "other")
	assertKind(t, "Party(other)", err, apperr.NotFound)
	if ps, _ := s.PartiesOf(ctx, "devcom2025"); len(ps) != 0 {
		t.Errorf("a party moved to another conference")
	}
}

func testUpdateConcurrent(t *testing.T, s Store) {
	ctx := testContext(t)
	mustCreate(t, ctx, s, minimalParty("busy", "gamescom2025", at(20, 20, 0)))

	const n = 5
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := s.UpdateParty(ctx, "busy", func(p *party.Party) error {
				p.Tags = append(p.Tags, fmt.Sprintf("tag%d", i))
				return nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent UpdateParty: %v", err)
		}
	}
	got := mustGet(t, ctx, s, "busy")
	if got.Version != 1+n {
		t.Errorf("version = %d, want %d", got.Version, 1+n)
	}
	tags := slices.Sorted(slices.Values(got.Tags))
	want := []string{"tag0", "tag1", "tag2", "tag3", "tag4"}
	if !slices.Equal(tags, want) {
		t.Errorf("tags = %v, want every update's tag %v", tags, want)
	}
}

// stamped returns p as a caller of SaveParties prepares it.
func stamped(p party.Party, version int64, created, updated time.Time) party.Party {
	p.Version, p.CreatedAt, p.UpdatedAt = version, created, updated
	return p
}

func testSaveParties(t *testing.T, s Store) {
	ctx := testContext(t)
	t0 := time.Date(2025, 7, 1, 10, 0, 0, 123456000, time.UTC)
	t1 := t0.Add(36 * time.Hour)

	batch := []party.Party{
		stamped(fullParty("s1", "gamescom2025"), 1, t0, t0),
		stamped(minimalParty("s2", "gamescom2025", at(21, 19, 0)), 1, t0, t0),
	}
	if err := s.SaveParties(ctx, batch); err != nil {
		t.Fatalf("SaveParties(new): %v", err)
	}
	for _, want := range batch {
		assertSame(t, "saved "+want.ID, want, mustGet(t, ctx, s, want.ID))
	}

	next := stamped(batch[0], 2, t0, t1)
	next.Title = "Renamed"
	newer := stamped(minimalParty("s3", "gamescom2025", at(22, 19, 0)), 1, t1, t1)
	if err := s.SaveParties(ctx, []party.Party{next, newer}); err != nil {
		t.Fatalf("SaveParties(update + new): %v", err)
	}
	assertSame(t, "updated s1", next, mustGet(t, ctx, s, "s1"))
	assertSame(t, "new s3", newer, mustGet(t, ctx, s, "s3"))
	assertSame(t, "untouched s2", batch[1], mustGet(t, ctx, s, "s2"))

	if err := s.SaveParties(ctx, nil); err != nil {
		t.Errorf("SaveParties(empty) = %v, want nil", err)
	}

	// Parties saved in a batch keep working with the closure update.
	up, err := s.UpdateParty(ctx, "s2", func(p *party.Party) error { p.Venue = "Gloria"; return nil })
	if err != nil || up.Version != 2 || !up.CreatedAt.Equal(t0) {
		t.Errorf("UpdateParty after SaveParties = v%d created %v, %v; want v2 created %v", up.Version, up.CreatedAt, err, t0)
	}

	// A batch of any size is saved in one call: a conference week of
	// side events does not fit one transaction's limits.
	big := bigBatch("m", "bigcon2025", 2*party.MaxBatch+500, t0)
	if err := s.SaveParties(ctx, big); err != nil {
		t.Fatalf("SaveParties(%d parties): %v", len(big), err)
	}
	if ps, err := s.PartiesOf(ctx, "bigcon2025"); err != nil || len(ps) != len(big) {
		t.Errorf("PartiesOf after a big batch = %d parties, %v; want %d", len(ps), err, len(big))
	}
	if l, err := s.ChangeLog(ctx, "bigcon2025"); err != nil || l.Last != int64(len(big)) {
		t.Errorf("ChangeLog after a big batch: last %d, %v; want %d, one position per party", l.Last, err, len(big))
	}

	// More bytes than one transaction's request may hold.
	heavy := heavyBatch("h", "heavycon2025", t0)
	if err := s.SaveParties(ctx, heavy); err != nil {
		t.Fatalf("SaveParties(%d parties of %d bytes each): %v", len(heavy), party.MaxDescription, err)
	}
	if ps, err := s.PartiesOf(ctx, "heavycon2025"); err != nil || len(ps) != len(heavy) {
		t.Errorf("PartiesOf after a heavy batch = %d parties, %v; want %d", len(ps), err, len(heavy))
	}
	assertSame(t, "a heavy party", heavy[len(heavy)-1], mustGet(t, ctx, s, heavy[len(heavy)-1].ID))
}

// bigBatch returns n new parties of the conference, ids prefix00000…, one
// a minute from the 20th.
func bigBatch(prefix, conferenceID string, n int, t0 time.Time) []party.Party {
	ps := make([]party.Party, n)
	for i := range ps {
		ps[i] = stamped(minimalParty(fmt.Sprintf("%s%05d", prefix, i), conferenceID, at(20, 10, 0).Add(time.Duration(i)*time.Minute)), 1, t0, t0)
	}
	return ps
}

// heavyBatch returns fewer new parties than MaxBatch that take more than
// MaxBatchBytes together.
func heavyBatch(prefix, conferenceID string, t0 time.Time) []party.Party {
	ps := bigBatch(prefix, conferenceID, party.MaxBatchBytes/party.MaxDescription+1, t0)
	for i := range ps {
		ps[i].Description = strings.Repeat("d", party.MaxDescription)
	}
	return ps
}

func testSavePartiesAtomic(t *testing.T, s Store) {
	ctx := testContext(t)
	t0 := time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	base := []party.Party{
		stamped(fullParty("a1", "gamescom2025"), 1, t0, t0),
		stamped(minimalParty("a2", "gamescom2025", at(21, 19, 0)), 1, t0, t0),
	}
	if err := s.SaveParties(ctx, base); err != nil {
		t.Fatal(err)
	}
	rev := mustRevision(t, ctx, s, "gamescom2025")

	good := stamped(base[0], 2, t0, t1)
	good.Title = "Should not be stored"
	fresh := stamped(minimalParty("a3", "gamescom2025", at(22, 19, 0)), 1, t1, t1)
	stale := stamped(base[1], 1, t0, t1) // exists already: version 1 is a create
	skipped := stamped(base[1], 3, t0, t1)
	ghost := stamped(minimalParty("ghost", "gamescom2025", at(22, 19, 0)), 2, t0, t1)
	moved := stamped(base[1], 2, t0, t1)
	moved.ConferenceID = "devcom2025"
	invalid := stamped(base[1], 2, t0, t1)
	invalid.Title = ""
	zero := stamped(base[1], 0, t0, t1)
	// Larger than one transaction holds, conflicting only at its end: it
	// still fails whole, before anything is written.
	tooMany := append(bigBatch("x", "gamescom2025", party.MaxBatch+600, t1), stale)
	heavy := append(heavyBatch("h", "gamescom2025", t1), skipped)

	tests := []struct {
		name  string
		batch []party.Party
		kind  apperr.Kind
	}{
		{"create of an existing party", []party.Party{good, fresh, stale}, apperr.Conflict},
		{"version skips one", []party.Party{good, skipped, fresh}, apperr.Conflict},
		{"update of a missing party", []party.Party{fresh, good, ghost}, apperr.Conflict},
		{"party moves conference", []party.Party{good, fresh, moved}, apperr.Invalid},
		{"invalid party", []party.Party{good, fresh, invalid}, apperr.Invalid},
		{"version zero", []party.Party{good, fresh, zero}, apperr.Invalid},
		{"same id twice", []party.Party{good, fresh, fresh}, apperr.Invalid},
		{"more than MaxBatch, conflicting at the end", tooMany, apperr.Conflict},
		{"more than MaxBatchBytes, conflicting at the end", heavy, apperr.Conflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.SaveParties(ctx, tc.batch)
			assertKind(t, "SaveParties", err, tc.kind)
			assertSame(t, "a1 after failed batch", base[0], mustGet(t, ctx, s, "a1"))
			assertSame(t, "a2 after failed batch", base[1], mustGet(t, ctx, s, "a2"))
			for _, id := range []string{"a3", "ghost", "x00000", "x02500", "h00000"} {
				_, err := s.Party(ctx, id)
				assertKind(t, id+" after failed batch", err, apperr.NotFound)
			}
			if got := mustRevision(t, ctx, s, "gamescom2025"); got != rev {
				t.Errorf("revision changed from %q to %q by a failed batch", rev, got)
			}
		})
	}
}

// testSavePartiesResumes interrupts a batch larger than one step after its
// first step, saves it again, and compares the result with the same batch
// saved without interruption: the same parties, versions and positions,
// one change per party, and the batch's audit entry once. (SQLite writes
// any batch in one transaction, so its interruption comes after the
// commit; Firestore's leaves the later steps unwritten.)
func testSavePartiesResumes(t *testing.T, s Store) {
	ctx := testContext(t)
	t0 := time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	const seeded = 300
	// An import's batch: the stored parties updated or cancelled (as a
	// prune does), then the new ones.
	batchOf := func(conferenceID string) []party.Party {
		seed := bigBatch("s"+conferenceID[:1], conferenceID, seeded, t0)
		if err := s.SaveParties(ctx, seed); err != nil {
			t.Fatalf("seed %s: %v", conferenceID, err)
		}
		var out []party.Party
		for i, p := range seed {
			p = stamped(p, 2, t0, t1)
			if p.Title = fmt.Sprintf("Renamed %d", i); i%2 == 1 {
				p.Status = party.Cancelled
			}
			out = append(out, p)
		}
		for i, p := range bigBatch("n"+conferenceID[:1], conferenceID, party.MaxBatch+700, t1) {
			p.Title = fmt.Sprintf("New %d", i) // the same in both conferences
			out = append(out, p)
		}
		return out
	}
	entry := func(actor, conferenceID string) audit.Entry {
		e := audit.New(t1, actor, audit.ImportApplied, conferenceID, "")
		e.Note = "a big import"
		return e
	}

	straight := batchOf("straight2025")
	if err := s.SaveParties(audited(ctx, entry("importer-s", "straight2025")), straight); err != nil {
		t.Fatalf("SaveParties(uninterrupted): %v", err)
	}

	resumed := batchOf("resumed2025")
	stop := errors.New("interrupted")
	steps := 0
	e := entry("importer-r", "resumed2025")
	cut := party.WithStepFunc(audited(ctx, e), func(written []party.Party) error {
		steps++
		if len(written) == 0 {
			t.Error("a step wrote no party, but its StepFunc heard of it")
		}
		return stop
	})
	if err := s.SaveParties(cut, resumed); !errors.Is(err, stop) {
		t.Fatalf("SaveParties(interrupted) = %v, want the interruption", err)
	}
	if steps != 1 {
		t.Errorf("the interrupted batch heard of %d steps, want 1", steps)
	}
	// Run again with the same audit entry (one import's), then once more
	// with another: there is nothing left to write, so it records nothing.
	if err := s.SaveParties(audited(ctx, e), resumed); err != nil {
		t.Fatalf("SaveParties(again): %v", err)
	}
	if err := s.SaveParties(audited(ctx, entry("importer-r", "resumed2025")), resumed); err != nil {
		t.Fatalf("SaveParties(once more): %v", err)
	}

	want, err := s.PartiesOf(ctx, "straight2025")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.PartiesOf(ctx, "resumed2025")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(got) != len(resumed) {
		t.Fatalf("resumed batch left %d parties, uninterrupted %d; want %d", len(got), len(want), len(resumed))
	}
	for i := range want {
		g := got[i]
		g.ID, g.ConferenceID = want[i].ID, want[i].ConferenceID
		assertSame(t, "resumed party "+got[i].ID, want[i], g)
		if g.Seq != want[i].Seq {
			t.Errorf("resumed party %s at position %d, uninterrupted at %d", got[i].ID, g.Seq, want[i].Seq)
		}
	}
	for _, c := range []string{"straight2025", "resumed2025"} {
		changes, err := s.Changes(ctx, c, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		per := map[string]int{}
		for _, ch := range changes {
			per[ch.PartyID]++
		}
		if len(changes) != seeded+len(resumed) || len(per) != len(resumed) {
			t.Errorf("%s: %d changes of %d parties; want %d of %d (the seed's and the batch's, each once)",
				c, len(changes), len(per), seeded+len(resumed), len(resumed))
		}
	}
	for _, actor := range []string{"importer-s", "importer-r"} {
		entries, _, err := s.AuditEntries(ctx, audit.Query{Actor: actor})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Errorf("%s: %d audit entries, want the batch's one", actor, len(entries))
		}
	}
}

func testRevision(t *testing.T, s Store) {
	ctx := testContext(t)
	const conf, other = "gamescom2025", "devcom2025"
	seen := map[string]string{}
	step := func(name string, write func() error) {
		t.Helper()
		before := mustRevision(t, ctx, s, conf)
		if err := write(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		after := mustRevision(t, ctx, s, conf)
		if after == before {
			t.Errorf("revision did not change after %s (%q)", name, after)
		}
		if prev, ok := seen[after]; ok {
			t.Errorf("revision %q after %s repeats the one after %s", after, name, prev)
		}
		seen[after] = name
		if again := mustRevision(t, ctx, s, conf); again != after {
			t.Errorf("revision not stable after %s: %q then %q", name, after, again)
		}
	}
	seen[mustRevision(t, ctx, s, conf)] = "start"

	step("CreateParty", func() error {
		_, err := s.CreateParty(ctx, fullParty("r1", conf))
		return err
	})
	step("UpdateParty", func() error {
		_, err := s.UpdateParty(ctx, "r1", func(p *party.Party) error { p.Price = "Free"; p.Free = true; return nil })
		return err
	})
	step("cancellation", func() error {
		_, err := s.UpdateParty(ctx, "r1", func(p *party.Party) error { p.Status = party.Cancelled; return nil })
		return err
	})
	step("SaveParties create", func() error {
		return s.SaveParties(ctx, []party.Party{stamped(minimalParty("r2", conf, at(22, 10, 0)), 1, time.Now(), time.Now())})
	})
	step("SaveParties update", func() error {
		p := mustGet(t, ctx, s, "r2")
		p.Title, p.Version = "Renamed", p.Version+1
		return s.SaveParties(ctx, []party.Party{p})
	})

	rev := mustRevision(t, ctx, s, conf)
	if _, err := s.CreateParty(ctx, minimalParty("elsewhere", other, at(20, 10, 0))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateParty(ctx, "elsewhere", func(p *party.Party) error { p.Title = "x"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := mustRevision(t, ctx, s, conf); got != rev {
		t.Errorf("revision of %s changed from %q to %q by writes to %s", conf, rev, got, other)
	}
	if got := mustRevision(t, ctx, s, other); got == mustRevision(t, ctx, s, "empty2025") {
		t.Errorf("revision of %s with parties equals that of a conference without any", other)
	}
}

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

// audited returns ctx carrying e as the pending audit entry of a write.
func audited(ctx context.Context, e audit.Entry) context.Context {
	ctx, p := audit.WithPending(ctx)
	p.Set(e)
	return ctx
}
