package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/party"
)

// UpdatedAt never goes backwards, even when the clock does (NTP steps, or
// a second instance whose clock lags), so Last-Modified stays monotonic.
func TestUpdatedAtMonotonicWhenClockStepsBack(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	clock := time.Date(2025, 8, 20, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return clock }

	created, err := s.CreateParty(ctx, party.Party{ID: "p", ConferenceID: "gamescom2025", Title: "P",
		Start: time.Date(2025, 8, 20, 20, 0, 0, 0, time.UTC), Status: party.Draft, Category: party.NewCategory("")})
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(-time.Hour)
	updated, err := s.UpdateParty(ctx, "p", func(p *party.Party) error { p.Title = "Q"; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !updated.UpdatedAt.After(created.UpdatedAt) {
		t.Errorf("UpdatedAt = %v after a clock step back, want after %v", updated.UpdatedAt, created.UpdatedAt)
	}
}
