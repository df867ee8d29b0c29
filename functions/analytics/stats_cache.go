package analytics

import (
	"context"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/partyfinder/partyfinder/shared/analytics"
)

// CachedStats keeps each conference's stats in memory for ttl, so that
// hotspots, trending and the dashboard read them from the store at most
// once per ttl however many requests ask (on Firestore that read is
// every shard of every party of the conference). Concurrent misses share
// one read. Counts this old are as good as current: responses carry
// cacheCounts anyway.
func CachedStats(s Stats, ttl time.Duration) Stats {
	c := &cachedStats{next: s}
	c.conferences = otter.Must(&otter.Options[string, []analytics.PartyStats]{
		MaximumSize:      1000,
		ExpiryCalculator: otter.ExpiryWriting[string, []analytics.PartyStats](ttl),
	})
	c.load = otter.LoaderFunc[string, []analytics.PartyStats](func(ctx context.Context, conf string) ([]analytics.PartyStats, error) {
		return s.ConferenceStats(ctx, conf)
	})
	return c
}

type cachedStats struct {
	next        Stats
	conferences *otter.Cache[string, []analytics.PartyStats]
	load        otter.Loader[string, []analytics.PartyStats]
}

// ConferenceStats returns the conference's stats as read at most ttl ago.
// Callers must not modify the slice: it is shared.
func (c *cachedStats) ConferenceStats(ctx context.Context, conf string) ([]analytics.PartyStats, error) {
	return c.conferences.Get(ctx, conf, c.load)
}

// Stats reads one party's stats, uncached: the admin's view of a party.
func (c *cachedStats) Stats(ctx context.Context, partyID string) (analytics.PartyStats, error) {
	return c.next.Stats(ctx, partyID)
}

// ConferenceDays reads the per-day changes, uncached (the dashboard's
// ranges vary).
func (c *cachedStats) ConferenceDays(ctx context.Context, conf, from, to string) ([]analytics.Day, error) {
	return c.next.ConferenceDays(ctx, conf, from, to)
}
