package feed_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/feed"
)

// save counts n saves of a party in the store's analytics, as the
// analytics pipeline does from SaveAdded events.
func save(t *testing.T, store *countingStore, partyID string, n int) {
	t.Helper()
	var cs []analytics.Change
	for range n {
		cs = append(cs, analytics.Change{EventID: fmt.Sprintf("save-%s-%d", partyID, time.Now().UnixNano()), Conference: "testcon",
			PartyID: partyID, At: time.Now(), Delta: analytics.Counters{Saves: 1}})
		time.Sleep(time.Microsecond) // distinct ids
	}
	if _, err := store.Apply(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
}

// popularityOf is the feed's popularity source as the app wires it.
func popularityOf(store *countingStore) func(context.Context, string) (feed.Popularity, error) {
	return func(ctx context.Context, conf string) (feed.Popularity, error) {
		st, err := store.ConferenceStats(ctx, conf)
		return analytics.Popularity(st), err
	}
}

func entryJSON(t *testing.T, c *feed.Cache, id string) string {
	t.Helper()
	s, err := c.Snapshot(context.Background(), "testcon")
	if err != nil {
		t.Fatal(err)
	}
	e, ok := s.Entry(id)
	if !ok {
		t.Fatalf("no entry %s", id)
	}
	return string(e.JSON)
}

// Parties show their saves from five up, null below; new counts reach
// the feed at the popularity refresh, not at every save, and without a
// read of the parties.
func TestCachePopularity(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	save(t, store, "opening", 5)
	save(t, store, "brunch", 4)
	c := feed.NewCache(store, feed.Options{Refresh: 10 * time.Millisecond, Popularity: popularityOf(store), PopularityRefresh: 100 * time.Millisecond})
	slow := feed.NewCache(store, feed.Options{Refresh: 10 * time.Millisecond, Popularity: popularityOf(store), PopularityRefresh: time.Hour})
	for _, c := range []*feed.Cache{c, slow} {
		if got := entryJSON(t, c, "opening"); !strings.HasSuffix(got, `,"popularity":{"saves":5}}`) {
			t.Errorf("a party of 5 saves: %s", got)
		}
		if got := entryJSON(t, c, "brunch"); !strings.HasSuffix(got, `,"popularity":null}`) {
			t.Errorf("a party of 4 saves shows a count: %s", got)
		}
	}
	// A page without the parties whose count moves.
	q := parseQuery(t, "date=2025-08-21")
	s1, _ := c.Snapshot(ctx, "testcon")
	page1, err := c.FeedPage(ctx, s1, q, "date=2025-08-21")
	if err != nil {
		t.Fatal(err)
	}
	reads := store.parties.Load()

	save(t, store, "brunch", 1)
	eventually(t, "the fifth save of brunch shown", func() bool {
		return strings.HasSuffix(entryJSON(t, c, "brunch"), `,"popularity":{"saves":5}}`)
	})
	if n := store.parties.Load(); n != reads {
		t.Errorf("a popularity refresh read the parties %d times", n-reads)
	}
	s2, _ := c.Snapshot(ctx, "testcon")
	page2, err := c.FeedPage(ctx, s2, q, "date=2025-08-21")
	if err != nil {
		t.Fatal(err)
	}
	if s2.Key() == s1.Key() || page2.ETag != page1.ETag {
		t.Errorf("after the refresh: snapshot %s (was %s), ETag of a page whose parties' counts did not move %s (was %s)",
			s2.Key(), s1.Key(), page2.ETag, page1.ETag)
	}
	// The cache with an hour between reads checked the revision many
	// times meanwhile, and still shows what it read first.
	if got := entryJSON(t, slow, "brunch"); !strings.HasSuffix(got, `,"popularity":null}`) {
		t.Errorf("popularity read again before its refresh: %s", got)
	}
}

// Without a source, or when it fails, parties show no popularity, and
// the feed still answers.
func TestCachePopularityUnavailable(t *testing.T) {
	store := newStore(t)
	save(t, store, "opening", 9)
	for name, src := range map[string]func(context.Context, string) (feed.Popularity, error){
		"none":   nil,
		"failed": func(context.Context, string) (feed.Popularity, error) { return nil, fmt.Errorf("stats store down") },
	} {
		c := feed.NewCache(store, feed.Options{Popularity: src})
		if got := entryJSON(t, c, "opening"); !strings.HasSuffix(got, `,"popularity":null}`) {
			t.Errorf("%s: %s", name, got)
		}
	}
}

// A snapshot remade with new popularity is the snapshot a build with
// that popularity gives, byte for byte, and leaves the old one as it was.
func TestWithPopularityIsABuild(t *testing.T) {
	first := feed.Popularity{"opening": 5, "brunch": 9}
	next := feed.Popularity{"opening": 6, "midnight": 5} // one changed, one gone, one new
	old := fixtureSnapshot(t).WithPopularity(first, 2)
	before := map[string]string{}
	for _, e := range old.Entries {
		before[e.Party.ID] = string(e.JSON)
	}
	got := old.WithPopularity(next, 3)
	want := feed.NewSnapshotWithPopularity(testConference(t), fixture(t), "rev-1", 4, next)
	if len(got.Entries) != len(want.Entries) || len(got.Entries) == 0 {
		t.Fatalf("%d entries, want %d", len(got.Entries), len(want.Entries))
	}
	for i := range got.Entries {
		if string(got.Entries[i].JSON) != string(want.Entries[i].JSON) {
			t.Errorf("entry %s: %s, want %s", got.Entries[i].Party.ID, got.Entries[i].JSON, want.Entries[i].JSON)
		}
	}
	for _, e := range old.Entries {
		if string(e.JSON) != before[e.Party.ID] {
			t.Errorf("the old snapshot's %s changed", e.Party.ID)
		}
	}
	q := parseQuery(t, "limit=500")
	if g, w := got.FeedResponse(q), want.FeedResponse(q); g.ETag != w.ETag || got.Key() == old.Key() {
		t.Errorf("feed of the remade snapshot: ETag %s, want %s; key %s (old %s)", g.ETag, w.ETag, got.Key(), old.Key())
	}
	for _, id := range []string{"opening", "midnight"} {
		if e, ok := got.Entry(id); !ok || !strings.Contains(string(e.JSON), `"popularity":{"saves":`+fmt.Sprint(next[id])+`}`) {
			t.Errorf("%s in the remade snapshot: %s", id, e.JSON)
		}
	}
	if e, _ := got.Entry("brunch"); !strings.HasSuffix(string(e.JSON), `"popularity":null}`) {
		t.Errorf("brunch, no longer shown: %s", e.JSON)
	}
}
