package analytics_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	analyticsfn "github.com/partyfinder/partyfinder/functions/analytics"
	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// countingStats counts the conference reads that reach the store.
type countingStats struct {
	*sqlite.Store
	reads atomic.Int64
}

func (c *countingStats) ConferenceStats(ctx context.Context, conf string) ([]analytics.PartyStats, error) {
	c.reads.Add(1)
	return c.Store.ConferenceStats(ctx, conf)
}

// Hotspots, trending and the dashboard of a busy conference read its
// stats from the store once per interval, however many ask at once, and
// read them anew after it.
func TestCachedStatsReadOncePerInterval(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "pf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	store := &countingStats{Store: s}
	const ttl = 200 * time.Millisecond
	c := analyticsfn.CachedStats(store, ttl)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := c.ConferenceStats(t.Context(), "gc"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := store.reads.Load(); n != 1 {
		t.Errorf("50 concurrent requests read the store %d times, want 1", n)
	}
	if _, err := c.ConferenceStats(t.Context(), "other"); err != nil || store.reads.Load() != 2 {
		t.Errorf("another conference: %d reads (%v), want its own read", store.reads.Load(), err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for store.reads.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the stats were never read again after their interval")
		}
		time.Sleep(ttl / 4)
		if _, err := c.ConferenceStats(t.Context(), "gc"); err != nil {
			t.Fatal(err)
		}
	}
}
