package feed

import "sync/atomic"

// Cache tiers, as Stats names them.
const (
	TierResponses = "responses" // finished responses, in this process
	TierSnapshots = "snapshots" // conference snapshots, in this process
	TierShared    = "shared"    // prebuilt snapshots in the shared tier (Redis)
)

// TierStats counts one cache tier's lookups since the cache was made.
type TierStats struct {
	Tier         string
	Hits, Misses uint64
}

// tierCounts are atomic adds on the request path, read only by Stats.
type tierCounts struct {
	respHits, respMisses     atomic.Uint64
	snapLookups, snapMisses  atomic.Uint64
	sharedHits, sharedMisses atomic.Uint64
}

// Stats returns the lookups of each cache tier: a page found rendered or
// rendered anew; a snapshot found in memory or built (from the shared
// tier or the store); a prebuilt snapshot current in the shared tier or
// not (then the store is read). The shared tier is left out without one.
func (c *Cache) Stats() []TierStats {
	misses := c.stats.snapMisses.Load()
	lookups := max(c.stats.snapLookups.Load(), misses)
	out := []TierStats{
		{Tier: TierResponses, Hits: c.stats.respHits.Load(), Misses: c.stats.respMisses.Load()},
		{Tier: TierSnapshots, Hits: lookups - misses, Misses: misses},
	}
	if c.shared != nil {
		out = append(out, TierStats{Tier: TierShared, Hits: c.stats.sharedHits.Load(), Misses: c.stats.sharedMisses.Load()})
	}
	return out
}
