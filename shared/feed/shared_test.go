package feed_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/redis"
	"github.com/partyfinder/partyfinder/shared/redis/redistest"
)

var _ feed.Shared = (*redis.Tier)(nil)

// openTier returns a Redis tier of the Redis at addr under a key prefix
// of the test's own, whose keys are deleted when the test ends.
func openTier(t *testing.T, addr string) *redis.Tier {
	t.Helper()
	return openTierAt(t, addr, "pf-test:"+rand.Text()[:12]+":")
}

// openTierAt returns a Redis tier under the key prefix given, whose keys
// are deleted when the test ends.
func openTierAt(t *testing.T, addr, prefix string) *redis.Tier {
	t.Helper()
	tier, err := redis.Open(addr, redis.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tier.Close()
		c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
		defer c.Close()
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return tier
}

// spiedTier is the real tier, counting the revision checks the cache makes.
type spiedTier struct {
	feed.Shared
	revisions atomic.Int64
}

func (s *spiedTier) Revision(ctx context.Context, id string) (string, error) {
	s.revisions.Add(1)
	return s.Shared.Revision(ctx, id)
}

// within polls cond until it holds, failing the test after a generous
// deadline.
func within(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mustSnapshot returns the cache's current snapshot of the demo conference.
func mustSnapshot(t *testing.T, c *feed.Cache) *feed.Snapshot {
	t.Helper()
	s, err := c.Snapshot(context.Background(), demo.ConferenceID)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return s
}

// feedBodyOf is the finished response of the feed's first page.
func feedBodyOf(t *testing.T, s *feed.Snapshot) []byte {
	t.Helper()
	q, err := feed.ParseQuery(url.Values{}, s.Conference.ID, s.Location)
	if err != nil {
		t.Fatal(err)
	}
	return s.FeedResponse(q).Body
}

// sameFeed fails the test unless got serves what want serves: the same
// parties, rendered the same.
func sameFeed(t *testing.T, got, want *feed.Snapshot) {
	t.Helper()
	if g, w := snapshotIDs(got), snapshotIDs(want); !slices.Equal(g, w) || len(g) == 0 {
		t.Fatalf("parties %q, want %q", g, w)
	}
	for i := range got.Entries {
		if !bytes.Equal(got.Entries[i].JSON, want.Entries[i].JSON) {
			t.Errorf("party %s renders as\n%s\nwant\n%s", got.Entries[i].Party.ID, got.Entries[i].JSON, want.Entries[i].JSON)
		}
	}
	if g, w := feedBodyOf(t, got), feedBodyOf(t, want); !bytes.Equal(g, w) {
		t.Errorf("feed page differs:\n%s\nwant\n%s", g, w)
	}
}

// retitle changes the title of the demo conference's first public party
// in the store and returns the party's id.
func retitle(t *testing.T, seeded demotest.Seeded, title string) string {
	t.Helper()
	id := seeded.Where(func(p party.Party) bool { return p.Status == party.Published })[0].ID
	if _, err := seeded.Store.UpdateParty(context.Background(), id, func(p *party.Party) error {
		p.Title = title
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// keptAt waits until the tier holds a prebuilt snapshot built at the
// shared revision rev (snapshots read from the store are kept in the
// background).
func keptAt(t *testing.T, tier feed.Shared, rev string) {
	t.Helper()
	within(t, "prebuilt snapshot kept at revision "+rev, func() bool {
		cur, data, err := tier.Prebuilt(context.Background(), demo.ConferenceID)
		if err != nil || data == nil || cur != rev {
			return false
		}
		p, err := feed.DecodePrebuilt(data)
		return err == nil && p.Shared == rev
	})
}

func titleOf(s *feed.Snapshot, id string) string {
	e, ok := s.Entry(id)
	if !ok {
		return ""
	}
	return e.Party.Title
}

// A cold instance finding a current prebuilt snapshot in the shared tier
// serves the whole feed from it without reading the parties, exactly as
// one that read the store would.
func TestColdCacheServesPrebuiltSnapshot(t *testing.T) {
	ctx := context.Background()
	seeded := demotest.Store(t)
	tier := openTier(t, redistest.Addr(t))
	if err := feed.NewCache(seeded.Store, feed.Options{Shared: tier}).Prebuild(ctx, demo.ConferenceID); err != nil {
		t.Fatal(err)
	}

	store := &countingStore{Store: seeded.Store}
	got := mustSnapshot(t, feed.NewCache(store, feed.Options{Shared: tier}))
	if n := store.parties.Load(); n != 0 {
		t.Errorf("a cold cache with a current prebuilt snapshot read the parties %d times, want 0", n)
	}
	rev, err := tier.Revision(ctx, demo.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SharedRevision != rev {
		t.Errorf("snapshot at shared revision %q, want the current %q", got.SharedRevision, rev)
	}
	sameFeed(t, got, mustSnapshot(t, feed.NewCache(seeded.Store, feed.Options{})))
}

// The first cold instance reads the store once and leaves its snapshot in
// the shared tier, so the next cold instance reads no parties.
func TestColdCacheWritesPrebuiltThrough(t *testing.T) {
	seeded := demotest.Store(t)
	tier := openTier(t, redistest.Addr(t))

	first := &countingStore{Store: seeded.Store}
	want := mustSnapshot(t, feed.NewCache(first, feed.Options{Shared: tier}))
	if n := first.parties.Load(); n != 1 {
		t.Errorf("the first cold cache read the parties %d times, want 1", n)
	}
	// It is kept in the background, off the reader's request.
	keptAt(t, tier, want.SharedRevision)

	second := &countingStore{Store: seeded.Store}
	got := mustSnapshot(t, feed.NewCache(second, feed.Options{Shared: tier}))
	if n := second.parties.Load(); n != 0 {
		t.Errorf("the second cold cache read the parties %d times, want 0", n)
	}
	sameFeed(t, got, want)
}

// With the tier answering, a warm instance follows the shared revision
// alone: a change reaches it once the revision is raised, and not before.
// That is the trade the tier makes: one Redis read per check instead of a
// store read, so a change nobody raised the revision for waits.
func TestWarmCacheFollowsSharedRevision(t *testing.T) {
	ctx := context.Background()
	seeded := demotest.Store(t)
	tier := &spiedTier{Shared: openTier(t, redistest.Addr(t))}
	c := feed.NewCache(seeded.Store, feed.Options{Shared: tier, Refresh: 20 * time.Millisecond})
	old := mustSnapshot(t, c)
	if old.SharedRevision == "" {
		t.Fatal("a snapshot built with the tier answering has no shared revision")
	}

	id := retitle(t, seeded, "Renamed Before The Bump")
	// Without a raise: let the cache check the tier a few times.
	checks := tier.revisions.Load()
	within(t, "three revision checks", func() bool {
		mustSnapshot(t, c)
		return tier.revisions.Load() >= checks+3
	})
	if s := mustSnapshot(t, c); s != old || titleOf(s, id) == "Renamed Before The Bump" {
		t.Errorf("the cache rebuilt without a raised shared revision (title %q)", titleOf(s, id))
	}

	id = retitle(t, seeded, "Renamed And Bumped")
	if err := tier.Bump(ctx, demo.ConferenceID); err != nil {
		t.Fatal(err)
	}
	var s *feed.Snapshot
	within(t, "change served after the raise", func() bool {
		s = mustSnapshot(t, c)
		return s.SharedRevision != old.SharedRevision
	})
	if got := titleOf(s, id); got != "Renamed And Bumped" {
		t.Errorf("after the raise the party is titled %q", got)
	}
	if s.Revision == old.Revision {
		t.Errorf("store revision %q unchanged after two writes", s.Revision)
	}
	// The rebuild is kept for the next cold instance.
	keptAt(t, tier, s.SharedRevision)
}

// A prebuilt snapshot left from an earlier revision is never served: the
// cold instance reads the store.
func TestStalePrebuiltIsIgnored(t *testing.T) {
	ctx := context.Background()
	seeded := demotest.Store(t)
	tier := openTier(t, redistest.Addr(t))
	if err := feed.NewCache(seeded.Store, feed.Options{Shared: tier}).Prebuild(ctx, demo.ConferenceID); err != nil {
		t.Fatal(err)
	}
	_, stale, err := tier.Prebuilt(ctx, demo.ConferenceID)
	if err != nil || stale == nil {
		t.Fatalf("prebuilt: %v, %d bytes", err, len(stale))
	}
	id := retitle(t, seeded, "Changed Since The Prebuild")
	if err := tier.Bump(ctx, demo.ConferenceID); err != nil {
		t.Fatal(err)
	}
	// A late writer puts the old snapshot back after the raise.
	if err := tier.SavePrebuilt(ctx, demo.ConferenceID, stale); err != nil {
		t.Fatal(err)
	}

	store := &countingStore{Store: seeded.Store}
	s := mustSnapshot(t, feed.NewCache(store, feed.Options{Shared: tier}))
	if n := store.parties.Load(); n != 1 {
		t.Errorf("parties read %d times with a stale prebuilt snapshot, want 1", n)
	}
	if got := titleOf(s, id); got != "Changed Since The Prebuild" {
		t.Errorf("party titled %q: the stale prebuilt snapshot was served", got)
	}
	rev, err := tier.Revision(ctx, demo.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	if s.SharedRevision != rev {
		t.Errorf("snapshot at shared revision %q, want %q", s.SharedRevision, rev)
	}
	// and it replaces the stale one with its own.
	keptAt(t, tier, rev)
}

// A dead Redis costs the feed nothing but the store reads it saves: cold
// instances read the store without an error, and warm ones notice changes
// by the store's revision.
func TestKilledRedisFallsBackToStore(t *testing.T) {
	seeded := demotest.Store(t)
	srv := redistest.Start(t)
	tier := openTier(t, srv.Addr())
	warm := feed.NewCache(seeded.Store, feed.Options{Shared: tier, Refresh: 20 * time.Millisecond})
	old := mustSnapshot(t, warm)
	if old.SharedRevision == "" {
		t.Fatal("a snapshot built with Redis up has no shared revision")
	}

	srv.Kill()

	cold, err := feed.NewCache(seeded.Store, feed.Options{Shared: tier}).Snapshot(context.Background(), demo.ConferenceID)
	if err != nil {
		t.Fatalf("cold cache with Redis killed: %v", err)
	}
	sameFeed(t, cold, mustSnapshot(t, feed.NewCache(seeded.Store, feed.Options{})))

	id := retitle(t, seeded, "Renamed While Redis Is Down")
	var s *feed.Snapshot
	within(t, "warm cache sees the store change", func() bool {
		s = mustSnapshot(t, warm)
		return s.Revision != old.Revision
	})
	if got := titleOf(s, id); got != "Renamed While Redis Is Down" {
		t.Errorf("party titled %q after the store revision moved", got)
	}
}

// Conference ids come from URLs: a request for a conference that does
// not exist must not leave a key in Redis that never expires, or anyone
// can fill the shared Redis with one key per made-up id.
func TestUnknownConferenceLeavesNoLastingKey(t *testing.T) {
	seeded := demotest.Store(t)
	addr := redistest.Addr(t)
	prefix := "pf-test:" + rand.Text()[:12] + ":"
	c := feed.NewCache(seeded.Store, feed.Options{Shared: openTierAt(t, addr, prefix)})
	ctx := context.Background()
	unknown := []string{"no-such-con-1", "no-such-con-2", "no-such-con-3"}
	for _, id := range unknown {
		if _, err := c.ConferenceSnapshot(ctx, id); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("unknown conference %q: %v, want NotFound", id, err)
		}
	}
	rc := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	defer rc.Close()
	for _, id := range unknown {
		keys, err := rc.Keys(ctx, prefix+"*:"+id).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if ttl, err := rc.TTL(ctx, k).Result(); err != nil || ttl < 0 {
				t.Errorf("key %s for an unknown conference never expires (TTL %v, %v)", k, ttl, err)
			}
		}
	}
}

// roundTrip encodes a snapshot for the shared tier and decodes it, as a
// cold instance gets it.
func roundTrip(t *testing.T, s *feed.Snapshot) feed.Prebuilt {
	t.Helper()
	data, err := feed.EncodePrebuilt(s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := feed.DecodePrebuilt(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrebuiltRoundTrip(t *testing.T) {
	c, ps := demo.Data(demotest.Now)
	want := feed.NewSnapshot(c, ps, "40.57", 1)
	want.SharedRevision = "1767225600000000007"
	p := roundTrip(t, want)
	if p.Shared != want.SharedRevision || p.Revision != want.Revision || p.Conference.ID != c.ID || p.Conference.TimeZone != c.TimeZone {
		t.Errorf("decoded shared %q revision %q conference %q %q", p.Shared, p.Revision, p.Conference.ID, p.Conference.TimeZone)
	}
	got := feed.NewSnapshot(p.Conference, p.Parties, p.Revision, 2)
	sameFeed(t, got, want)
	if len(p.Parties) != len(want.Entries) {
		t.Errorf("%d parties kept, want only the %d public ones", len(p.Parties), len(want.Entries))
	}
}

func TestDecodePrebuiltRefuses(t *testing.T) {
	gz := func(s string) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(s))
		zw.Close()
		return buf.Bytes()
	}
	c, ps := demo.Data(demotest.Now)
	good, err := feed.EncodePrebuilt(feed.NewSnapshot(c, ps, "1.1", 1))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not gzip", []byte("not a snapshot")},
		{"truncated", good[:len(good)/2]},
		{"gzipped garbage", gz("{{{")},
		{"another format", gz(`{"format":2,"shared":"7","revision":"1.1","parties":[]}`)},
		{"no format", gz(`{"shared":"7","revision":"1.1","parties":[]}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := feed.DecodePrebuilt(tt.data)
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("error %v (kind %q), want kind Invalid", err, apperr.KindOf(err))
			}
			if err != nil && !strings.Contains(err.Error(), "prebuilt snapshot") {
				t.Errorf("error %q does not say what it refused", err)
			}
		})
	}
}
