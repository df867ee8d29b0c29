// Package demotest gives tests a real SQLite store holding the demo
// conference and its parties, so that handlers are exercised against the
// same adapter and read models the app runs on, not hand-written fakes.
package demotest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// Now is the instant the demo week is built from, a Wednesday: the demo
// conference then runs from Monday 17 to Friday 21 August 2026. It is
// fixed so that what tests expect never depends on the clock.
var Now = time.Date(2026, time.August, 12, 10, 0, 0, 0, time.UTC)

// Seeded is a store with the demo data in it.
type Seeded struct {
	Store      *sqlite.Store
	Conference conference.Conference // as stored
	Parties    []party.Party         // as stored, by start; two of them cancelled
}

// Store opens a SQLite store in a temporary directory, stores the demo
// conference and its parties in it, and closes it when the test ends.
func Store(t testing.TB) Seeded {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "partyfinder.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c, ps := demo.Data(Now)
	ctx := context.Background()
	if c, err = s.CreateConference(ctx, c); err != nil {
		t.Fatalf("store demo conference: %v", err)
	}
	if err := s.SaveParties(ctx, ps); err != nil {
		t.Fatalf("store demo parties: %v", err)
	}
	return Seeded{Store: s, Conference: c, Parties: ps}
}

// Where returns the seeded parties that keep selects, in their order.
func (s Seeded) Where(keep func(party.Party) bool) []party.Party {
	var out []party.Party
	for _, p := range s.Parties {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}
