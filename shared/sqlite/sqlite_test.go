package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/analytics/analyticstest"
	"github.com/partyfinder/partyfinder/shared/audit/audittest"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/party/partytest"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

func openTemp(t testing.TB) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nested", "dir", "partyfinder.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestContract(t *testing.T) {
	partytest.Run(t, func(t *testing.T, now func() time.Time) partytest.Store {
		s, _ := openTemp(t)
		sqlite.SetClock(s, now)
		return s
	})
	audittest.Run(t, func(t *testing.T) audittest.Store {
		s, _ := openTemp(t)
		return s
	})
}

func sampleParty(id string) party.Party {
	p, err := party.New(party.Party{
		ID:           id,
		ConferenceID: "gamescom2025",
		Title:        "Köln After Dark",
		Start:        time.Date(2025, 8, 20, 21, 0, 0, 0, time.UTC),
		End:          time.Date(2025, 8, 21, 1, 0, 0, 0, time.UTC),
		Location:     &party.Point{Lat: 50.94, Lng: 6.96},
		Hosts:        []string{"Ubisoft"},
		Status:       party.Published,
	})
	if err != nil {
		panic(err)
	}
	return p
}

// The file keeps everything across a restart, down to the nanosecond.
func TestSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	c, err := conference.New("gamescom2025", "Gamescom 2025", "Köln", "Europe/Berlin", "2025-08-20", "2025-08-24")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateConference(ctx, c); err != nil {
		t.Fatal(err)
	}
	p := sampleParty("keep")
	p.Version = 1
	p.CreatedAt = time.Date(2025, 7, 1, 8, 0, 0, 123456789, time.UTC)
	p.UpdatedAt = p.CreatedAt
	if err := s.SaveParties(ctx, []party.Party{p}); err != nil {
		t.Fatal(err)
	}
	rev, _ := s.Revision(ctx, "gamescom2025")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	got, err := s2.Party(ctx, "keep")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(p) || !got.CreatedAt.Equal(p.CreatedAt) || got.CreatedAt.Nanosecond() != 123456789 {
		t.Errorf("after restart got %+v, want %+v", got, p)
	}
	if _, err := s2.Conference(ctx, "gamescom2025"); err != nil {
		t.Errorf("conference lost: %v", err)
	}
	if rev2, _ := s2.Revision(ctx, "gamescom2025"); rev2 != rev {
		t.Errorf("revision after restart = %q, want %q", rev2, rev)
	}
}

// A file from a newer program is refused instead of being misread.
func TestRefusesNewerSchema(t *testing.T) {
	s, path := openTemp(t)
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err := sqlite.Open(path); err == nil {
		s.Close()
		t.Fatal("Open accepted a file with a newer schema")
	}
}

func TestOpenRejectsNonFilePaths(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if s, err := sqlite.Open(path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
}

// Two stores on one file stand for the server and an importer process:
// their concurrent writes queue on the lock instead of failing with
// SQLITE_BUSY, and none is lost.
func TestTwoProcessesWriteOneFile(t *testing.T) {
	ctx := context.Background()
	a, path := openTemp(t)
	b, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.CreateParty(ctx, sampleParty("shared")); err != nil {
		t.Fatal(err)
	}
	const perStore = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore)
	for i, s := range []*sqlite.Store{a, b} {
		for j := range perStore {
			wg.Go(func() {
				_, err := s.UpdateParty(ctx, "shared", func(p *party.Party) error {
					p.Description += fmt.Sprintf("%d-%d ", i, j)
					return nil
				})
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("UpdateParty: %v", err)
		}
	}
	got, err := b.Party(ctx, "shared")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1+2*perStore {
		t.Errorf("version = %d, want %d", got.Version, 1+2*perStore)
	}
}

// BenchmarkPartiesOf reads a Gamescom-sized conference: 500 parties.
func BenchmarkPartiesOf(b *testing.B) {
	ctx := context.Background()
	s, _ := openTemp(b)
	base := sampleParty("x")
	base.Description = "A typical description of a side event, a couple of sentences long, with a link and some detail."
	base.Tags = []string{"networking", "indie", "drinks"}
	ps := make([]party.Party, 500)
	now := time.Now().UTC()
	for i := range ps {
		p := base
		p.ID = fmt.Sprintf("p%03d", i)
		p.Start = base.Start.Add(time.Duration(i%97) * 17 * time.Minute)
		p.End = p.Start.Add(3 * time.Hour)
		p.Version, p.CreatedAt, p.UpdatedAt = 1, now, now
		ps[i] = p
	}
	if err := s.SaveParties(ctx, ps); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.PartiesOf(ctx, "gamescom2025")
		if err != nil || len(got) != 500 {
			b.Fatalf("PartiesOf = %d, %v", len(got), err)
		}
	}
}

func TestAnalyticsContract(t *testing.T) {
	analyticstest.Run(t, func(t *testing.T) analytics.Store {
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "analytics.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// Applied event ids are remembered for analytics.Remember after they were
// applied, whenever the events happened, then forgotten, so the table
// stays bounded.
func TestAnalyticsForgetsOldEventIDs(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "analytics.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	clock := time.Date(2025, 8, 20, 12, 0, 0, 0, time.UTC)
	sqlite.SetClock(s, func() time.Time { return clock })
	view := func(id string) analytics.Change {
		// Events from long ago (a replay): their own time does not matter.
		return analytics.Change{EventID: id, Conference: "gc", PartyID: "p1", At: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Delta: analytics.Counters{Views: 1}}
	}
	if n, err := s.Apply(ctx, []analytics.Change{view("old")}); err != nil || n != 1 {
		t.Fatalf("Apply = %d, %v", n, err)
	}
	clock = clock.Add(analytics.Remember - time.Hour)
	if n, err := s.Apply(ctx, []analytics.Change{view("recent"), view("old")}); err != nil || n != 1 {
		t.Errorf("inside the window: Apply = %d (%v), want only the new id", n, err)
	}
	clock = clock.Add(2 * time.Hour) // "old" was applied more than Remember ago
	if n, err := s.Apply(ctx, []analytics.Change{view("next")}); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	if n, err := s.Apply(ctx, []analytics.Change{view("recent")}); err != nil || n != 0 {
		t.Errorf("a recent id applied again: %d (%v), want it remembered", n, err)
	}
	if n, err := s.Apply(ctx, []analytics.Change{view("old")}); err != nil || n != 1 {
		t.Errorf("an id applied more than the window ago: Apply = %d (%v), want it forgotten", n, err)
	}
}
