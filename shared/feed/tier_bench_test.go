package feed_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	gfs "cloud.google.com/go/firestore"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/redis"
	"github.com/partyfinder/partyfinder/shared/redis/redistest"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// benchStore is what the tier benchmarks store parties in.
type benchStore interface {
	feed.Store
	CreateConference(ctx context.Context, c conference.Conference) (conference.Conference, error)
	SaveParties(ctx context.Context, ps []party.Party) error
}

// seeded stores the 500-party week of benchSnapshot.
func seeded(b *testing.B, s benchStore) string {
	b.Helper()
	snap := benchSnapshot(b, 500)
	conf := snap.Conference
	if _, err := s.CreateConference(context.Background(), conf); err != nil {
		b.Fatal(err)
	}
	ps := snap.Parties()
	now := time.Now().UTC()
	for i := range ps {
		ps[i].ConferenceID, ps[i].Version, ps[i].Status = conf.ID, 1, party.Published
		ps[i].CreatedAt, ps[i].UpdatedAt = now, now
	}
	if err := s.SaveParties(context.Background(), ps); err != nil {
		b.Fatal(err)
	}
	return conf.ID
}

// counting counts what the feed asks of its store: the reads an instance
// pays for.
type counting struct {
	feed.Store
	revisions, parties atomic.Int64
}

func (c *counting) Revision(ctx context.Context, id string) (string, error) {
	c.revisions.Add(1)
	return c.Store.Revision(ctx, id)
}

func (c *counting) PartiesOf(ctx context.Context, id string) ([]party.Party, error) {
	c.parties.Add(1)
	return c.Store.PartiesOf(ctx, id)
}

// countingTier counts the revision checks made against the shared tier.
type countingTier struct {
	feed.Shared
	revisions atomic.Int64
}

func (c *countingTier) Revision(ctx context.Context, id string) (string, error) {
	c.revisions.Add(1)
	return c.Shared.Revision(ctx, id)
}

func sqliteStore(b *testing.B) *sqlite.Store {
	b.Helper()
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "pf.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func redisTier(b *testing.B) *redis.Tier {
	b.Helper()
	t, err := redis.Open(redistest.Addr(b), redis.Options{Prefix: "bench-" + randomHex() + ":"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { t.Close() })
	return t
}

func randomHex() string {
	p := make([]byte, 4)
	rand.Read(p)
	return hex.EncodeToString(p)
}

// The polling cost of an instance that serves the feed while nothing
// changes, per conference and instance-hour, at the production check
// intervals (5 s against the store, 500 ms against Redis). Each iteration
// is one check interval of steady traffic, run 100 times faster than in
// production; reads are counted, then scaled to an hour.
//
//	go test ./shared/feed -run '^$' -bench IdleReads -benchtime 100x
func BenchmarkIdleReads(b *testing.B) {
	const scaled = 10 * time.Millisecond // a production interval / 100 (Redis) or / 500 (store)
	for _, tc := range []struct {
		name     string
		interval time.Duration // in production
		redis    bool
	}{
		{"store-revision-every-5s", 5 * time.Second, false},
		{"redis-revision-every-500ms", 500 * time.Millisecond, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			sq := sqliteStore(b)
			conf := seeded(b, sq)
			store := &counting{Store: sq}
			o := feed.Options{Refresh: scaled}
			var tier *countingTier
			if tc.redis {
				tier = &countingTier{Shared: redisTier(b)}
				o.Shared = tier
			}
			c := feed.NewCache(store, o)
			if _, err := c.Snapshot(context.Background(), conf); err != nil {
				b.Fatal(err)
			}
			store.revisions.Store(0)
			store.parties.Store(0)
			if tier != nil {
				tier.revisions.Store(0)
			}
			b.ResetTimer()
			for b.Loop() {
				// Steady traffic through one interval: a request every
				// millisecond.
				for end := time.Now().Add(scaled); time.Now().Before(end); time.Sleep(time.Millisecond) {
					if _, err := c.Snapshot(context.Background(), conf); err != nil {
						b.Fatal(err)
					}
				}
			}
			perHour := float64(time.Hour/tc.interval) / float64(b.N)
			b.ReportMetric(float64(store.revisions.Load()+store.parties.Load())*perHour, "store-reads/h")
			b.ReportMetric(float64(store.parties.Load())*perHour, "full-reads/h")
			if tier != nil {
				b.ReportMetric(float64(tier.revisions.Load())*perHour, "redis-reads/h")
			}
		})
	}
}

// A cold instance's first full feed of a 500-party conference on the
// Firestore emulator: every party read from the store, against the
// snapshot prebuilt in the store (no Redis) or in Redis, each loaded in
// one read.
//
//	FIRESTORE_EMULATOR_HOST=... go test ./shared/feed -run '^$' -bench ColdFeed
func BenchmarkColdFeed(b *testing.B) {
	if os.Getenv("FIRESTORE_EMULATOR_HOST") == "" {
		b.Skip("FIRESTORE_EMULATOR_HOST is not set: start the Firestore emulator (scripts/test does)")
	}
	client, err := gfs.NewClient(context.Background(), "demo-party")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { client.Close() })
	fs := firestore.New(client, firestore.WithCollectionPrefix("bench"+randomHex()+"_"))
	conf := seeded(b, fs)
	q := parseQuery(b, "limit=500")
	for _, tc := range []struct {
		name string
		tier func() feed.Shared
	}{
		{"every-party-from-firestore", func() feed.Shared { return nil }},
		{"prebuilt-in-firestore", func() feed.Shared { return fs }},
		{"prebuilt-in-redis", func() feed.Shared { return redisTier(b) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			tier := tc.tier()
			if tier != nil {
				warm := feed.NewCache(fs, feed.Options{Shared: tier})
				if err := warm.Prebuild(context.Background(), conf); err != nil {
					b.Fatal(err)
				}
			}
			store := &counting{Store: fs}
			for b.Loop() {
				c := feed.NewCache(store, feed.Options{Shared: tier})
				s, err := c.Snapshot(context.Background(), conf)
				if err != nil {
					b.Fatal(err)
				}
				if r, err := c.FeedPage(context.Background(), s, q, "limit=500"); err != nil || len(s.Entries) != 500 || r.Size() == 0 {
					b.Fatalf("%d entries, %v", len(s.Entries), err)
				}
			}
			b.ReportMetric(float64(store.parties.Load())/float64(b.N), "full-reads/op")
		})
	}
}
