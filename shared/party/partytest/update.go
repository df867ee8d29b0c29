package partytest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/party"
)

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
