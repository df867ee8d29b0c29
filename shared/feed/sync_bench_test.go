package feed_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/party"
)

// syncBench is benchSnapshot's 500-party week at position 600 of its
// order of changes: every party written once (1-500), then 100 more
// writes, of which the last 10 edits of public parties and 5 tombstones
// of parties no longer shown.
func syncBench(b *testing.B) *feed.Snapshot {
	b.Helper()
	base := benchSnapshot(b, 500)
	ps := base.Parties()
	for i := range ps {
		ps[i].Seq = int64(i + 1)
	}
	for i := range 10 {
		ps[i*40].Seq = int64(591 + i)
	}
	log := party.Log{Epoch: "bench", Last: 600}
	for i := range 5 {
		log.Tombstones = append(log.Tombstones, party.Tombstone{PartyID: fmt.Sprintf("gone-%d", i), Seq: int64(586 + i)})
	}
	return feed.NewSnapshotAt(base.Conference, ps, log, "bench", 1)
}

// Building a snapshot with its order of changes, against NewSnapshot's
// cost without one (BenchmarkSnapshotBuild/plain).
func BenchmarkSnapshotBuild(b *testing.B) {
	s := syncBench(b)
	ps := s.Parties()
	log := party.Log{Epoch: "bench", Last: 600, Tombstones: []party.Tombstone{{PartyID: "gone", Seq: 590}}}
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			feed.NewSnapshot(s.Conference, ps, "bench", 1)
		}
	})
	b.Run("with-log", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			feed.NewSnapshotAt(s.Conference, ps, log, "bench", 1)
		}
	})
}

// Rendering a sync answer, as the first request for it after a change
// does: the whole conference, and what 15 changes of 600 left.
func BenchmarkSyncResponse(b *testing.B) {
	s := syncBench(b)
	for _, tc := range []struct {
		name  string
		since int64
		items int
	}{{"full", -1, 500}, {"delta-15", 585, 15}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				r := s.SyncResponse(tc.since)
				size = len(r.Body)
			}
			b.ReportMetric(float64(size), "body-bytes")
		})
	}
}

// Answering a sync whose answer is cached, as every request after the
// first does (the handler's CachedPage by raw query is cheaper still).
func BenchmarkSyncPageCached(b *testing.B) {
	s := syncBench(b)
	c := feed.NewCache(sqliteStore(b), feed.Options{})
	raw := "since=" + feed.SyncToken{Conference: s.Conference.ID, Epoch: s.Epoch, Position: 585, Zone: zoneOf(b, s)}.Encode()
	q := parseQuery(b, raw)
	ctx := context.Background()
	if _, err := c.SyncPage(ctx, s, q, raw); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.SyncPage(ctx, s, q, raw); err != nil {
			b.Fatal(err)
		}
	}
}
