package feed

import (
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// NewSnapshotWithPopularity builds a snapshot as the cache does, with
// popularity, for tests in feed_test.
func NewSnapshotWithPopularity(c conference.Conference, parties []party.Party, revision string, seq uint64, pop Popularity) *Snapshot {
	return newSnapshot(c, parties, party.Log{}, revision, seq, pop)
}
