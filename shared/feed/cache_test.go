package feed_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/rendered"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// countingStore is the real SQLite store, counting the reads the cache makes.
type countingStore struct {
	*sqlite.Store
	conference, parties, party, revision atomic.Int64
}

func (s *countingStore) Conference(ctx context.Context, id string) (conference.Conference, error) {
	s.conference.Add(1)
	return s.Store.Conference(ctx, id)
}

func (s *countingStore) PartiesOf(ctx context.Context, id string) ([]party.Party, error) {
	s.parties.Add(1)
	return s.Store.PartiesOf(ctx, id)
}

func (s *countingStore) Party(ctx context.Context, id string) (party.Party, error) {
	s.party.Add(1)
	return s.Store.Party(ctx, id)
}

func (s *countingStore) Revision(ctx context.Context, id string) (string, error) {
	s.revision.Add(1)
	return s.Store.Revision(ctx, id)
}

// newStore opens a fresh SQLite store holding testcon and the fixture parties.
func newStore(t *testing.T) *countingStore {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.CreateConference(ctx, testConference(t)); err != nil {
		t.Fatal(err)
	}
	for _, p := range fixture(t) {
		if _, err := db.CreateParty(ctx, p); err != nil {
			t.Fatalf("create %s: %v", p.ID, err)
		}
	}
	return &countingStore{Store: db}
}

func snapshotIDs(s *feed.Snapshot) []string {
	var out []string
	for _, e := range s.Entries {
		out = append(out, e.Party.ID)
	}
	return out
}

func hasEntry(s *feed.Snapshot, id string) bool {
	_, ok := s.Entry(id)
	return ok
}

// eventually polls cond until it holds or five seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCacheSnapshotLoads(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	c := feed.NewCache(store, feed.Options{})
	s, err := c.Snapshot(ctx, "testcon")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"opening", "koeln-nights", "late-a", "midnight", "same-a", "same-b", "cancelled-x", "brunch"}
	if got := snapshotIDs(s); !slices.Equal(got, want) {
		t.Errorf("entries = %q, want %q", got, want)
	}
	if s.Conference.ID != "testcon" || s.Location.String() != "Europe/Berlin" || s.Revision == "" {
		t.Errorf("snapshot conference %q location %v revision %q", s.Conference.ID, s.Location, s.Revision)
	}
	s2, err := c.Snapshot(ctx, "testcon")
	if err != nil || s2 != s {
		t.Errorf("second read: %p (%v), want the cached %p", s2, err, s)
	}
	if n := store.parties.Load(); n != 1 {
		t.Errorf("parties loaded %d times for two reads", n)
	}
}

func TestCacheUnknownConference(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	c := feed.NewCache(store, feed.Options{})
	for i := range 3 {
		_, err := c.Snapshot(ctx, "nocon")
		if !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("read %d: err = %v, want NotFound", i, err)
		}
	}
	if n := store.conference.Load(); n != 1 {
		t.Errorf("store asked %d times about an unknown conference, want 1 (the miss is cached)", n)
	}

	// Creating it and invalidating makes it appear.
	nc, err := conference.New("nocon", "No Con", "Köln", "Europe/Berlin", "2025-09-01", "2025-09-02")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateConference(ctx, nc); err != nil {
		t.Fatal(err)
	}
	c.Invalidate("nocon")
	if s, err := c.Snapshot(ctx, "nocon"); err != nil || len(s.Entries) != 0 {
		t.Errorf("after create + Invalidate: %v, %v", s, err)
	}
}

// Ids that cannot name a conference cost no store read and are not
// remembered; the answer does not echo them.
func TestCacheMalformedConferenceIDs(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	c := feed.NewCache(store, feed.Options{})
	huge := strings.Repeat("a", 900<<10)
	for _, id := range []string{huge, "UPPER", "x", "has space", "dots.in.it", strings.Repeat("b", 64)} {
		_, err := c.Snapshot(ctx, id)
		if !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("%.20q: err = %v, want NotFound", id, err)
		}
		if len(err.Error()) > 200 {
			t.Errorf("%.20q: a %d-byte error echoes the id", id, len(err.Error()))
		}
	}
	if n := store.conference.Load(); n != 0 {
		t.Errorf("the store was asked %d times about ids no conference can have", n)
	}
}

func TestCacheInvalidate(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	c := feed.NewCache(store, feed.Options{Refresh: time.Hour}) // no background refresh in this test
	s1, err := c.Snapshot(ctx, "testcon")
	if err != nil {
		t.Fatal(err)
	}
	newParty := mkParty(t, party.Party{ID: "fresh", Title: "Fresh Party", Start: local("2025-08-22 20:00")})
	if _, err := store.CreateParty(ctx, newParty); err != nil {
		t.Fatal(err)
	}
	if _, err := store.UpdateParty(ctx, "opening", func(p *party.Party) error {
		p.Status = party.Cancelled
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if s, _ := c.Snapshot(ctx, "testcon"); s != s1 {
		t.Errorf("snapshot changed without Invalidate or refresh")
	}
	c.Invalidate("testcon")
	s2, err := c.Snapshot(ctx, "testcon")
	if err != nil {
		t.Fatal(err)
	}
	if s2 == s1 || s2.Key() == s1.Key() {
		t.Errorf("Invalidate kept the old snapshot (keys %s, %s)", s1.Key(), s2.Key())
	}
	if !hasEntry(s2, "fresh") {
		t.Errorf("new party not visible after Invalidate")
	}
	if e, _ := s2.Entry("opening"); e == nil || e.Party.Status != party.Cancelled {
		t.Errorf("cancellation not visible after Invalidate")
	}
	if _, e, err := c.PartySnapshot(ctx, "fresh"); err != nil || e.Party.ID != "fresh" {
		t.Errorf("PartySnapshot(fresh) = %v, %v", e, err)
	}
}

func TestCacheRefresh(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	c := feed.NewCache(store, feed.Options{Refresh: 50 * time.Millisecond})
	s1, err := c.Snapshot(ctx, "testcon")
	if err != nil {
		t.Fatal(err)
	}

	// Unchanged store: refreshes check the revision and keep the snapshot.
	checks := store.revision.Load()
	eventually(t, "two revision checks", func() bool {
		s, err := c.Snapshot(ctx, "testcon")
		if err != nil || s != s1 {
			t.Fatalf("unchanged store gave a new snapshot (%v)", err)
		}
		return store.revision.Load() >= checks+2
	})
	if n := store.parties.Load(); n != 1 {
		t.Errorf("parties reloaded %d times although nothing changed", n)
	}

	// A write through another process shows up without Invalidate.
	if _, err := store.UpdateParty(ctx, "draft-x", func(p *party.Party) error {
		p.Status = party.Published
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "published draft visible", func() bool {
		s, err := c.Snapshot(ctx, "testcon")
		if err != nil {
			t.Fatal(err)
		}
		return hasEntry(s, "draft-x")
	})
	s2, _ := c.Snapshot(ctx, "testcon")
	if s2.Revision == s1.Revision || s2.Key() == s1.Key() {
		t.Errorf("new snapshot keeps revision %q / key %q", s2.Revision, s2.Key())
	}
	if hasEntry(s1, "draft-x") {
		t.Errorf("the old snapshot was mutated")
	}
}

func TestCachePartySnapshot(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	c := feed.NewCache(store, feed.Options{})
	tests := []struct {
		id    string
		found bool
	}{
		{"opening", true},
		{"cancelled-x", true},
		{"draft-x", false},
		{"pending-x", false},
		{"no-such-party", false},
		{"bad id!", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			s, e, err := c.PartySnapshot(ctx, tt.id)
			if !tt.found {
				if !apperr.Is(err, apperr.NotFound) || s != nil || e != nil {
					t.Errorf("PartySnapshot(%q) = %v, %v, %v, want NotFound", tt.id, s, e, err)
				}
				return
			}
			if err != nil || e.Party.ID != tt.id || s.Conference.ID != "testcon" {
				t.Fatalf("PartySnapshot(%q) = %v, %v", tt.id, e, err)
			}
			if got, _ := s.Entry(tt.id); got != e {
				t.Errorf("entry is not the snapshot's")
			}
		})
	}

	before := store.party.Load()
	for range 3 {
		c.PartySnapshot(ctx, "opening")
		c.PartySnapshot(ctx, "no-such-party")
		c.PartySnapshot(ctx, "bad id!")
	}
	if n := store.party.Load() - before; n != 0 {
		t.Errorf("repeated lookups asked the store %d more times", n)
	}
}

func TestCacheStoreDown(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	c := feed.NewCache(store, feed.Options{})
	_, err := c.Snapshot(ctx, "testcon")
	if !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("Snapshot on a closed store: %v, want Unavailable", err)
	}
	if httpapi.StatusOf(err) != 503 {
		t.Errorf("status = %d, want 503", httpapi.StatusOf(err))
	}
	// The client hears that the store is away, not what the driver said;
	// the log keeps the cause.
	if e, _ := apperr.As(err); e == nil || strings.Contains(e.Message, "closed") || strings.Contains(e.Message, "sql") {
		t.Errorf("the message a client sees: %v", e)
	}
	if !strings.Contains(err.Error(), "closed") {
		t.Errorf("the cause is gone from the error: %v", err)
	}
	if _, _, err := c.PartySnapshot(ctx, "opening"); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("PartySnapshot on a closed store: %v, want Unavailable", err)
	}
	if _, err := c.Conferences(ctx); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("Conferences on a closed store: %v, want Unavailable", err)
	}
}

func TestCacheConferences(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	c := feed.NewCache(store, feed.Options{})
	if id, err := c.DefaultConference(ctx, "configured"); err != nil || id != "configured" {
		t.Errorf("DefaultConference(configured) = %q, %v", id, err)
	}
	later, _ := conference.New("latercon", "Later", "Köln", "Europe/Berlin", "2026-08-19", "2026-08-23")
	if _, err := store.CreateConference(ctx, later); err != nil {
		t.Fatal(err)
	}
	cs, err := c.Conferences(ctx)
	if err != nil || len(cs) != 2 || cs[0].ID != "testcon" || cs[1].ID != "latercon" {
		t.Fatalf("Conferences = %v, %v", cs, err)
	}
	if id, err := c.DefaultConference(ctx, ""); err != nil || id != "latercon" {
		t.Errorf("DefaultConference = %q, %v, want the one starting last", id, err)
	}

	db, err := sqlite.Open(filepath.Join(t.TempDir(), "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := feed.NewCache(db, feed.Options{}).DefaultConference(ctx, ""); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("DefaultConference without conferences: %v, want NotFound", err)
	}
}

func TestCacheFeedPage(t *testing.T) {
	c := feed.NewCache(newStore(t), feed.Options{})
	snap := fixtureSnapshot(t)
	q := parseQuery(t, "limit=5")
	r1, err := c.FeedPage(context.Background(), snap, q, "limit=5")
	if err != nil {
		t.Fatal(err)
	}
	if hit, ok := c.CachedPage(snap, "limit=5"); !ok || hit != r1 {
		t.Error("the page is not remembered under its raw query string")
	}
	if _, ok := c.CachedPage(snap, "limit=5&x"); ok {
		t.Error("another raw query string hit the cache")
	}
	r2, _ := c.FeedPage(context.Background(), snap, parseQuery(t, "limit=5&page=1"), "")
	if r1 != r2 {
		t.Error("an equivalent query rebuilt the cached page")
	}
	r3, _ := c.FeedPage(context.Background(), snap, parseQuery(t, "limit=6"), "")
	if r3 == r1 || bytes.Equal(r3.Body, r1.Body) {
		t.Error("a different query served the cached page")
	}
	// A new snapshot of the same conference never serves the old one's bytes.
	newer := feed.NewSnapshot(snap.Conference, nil, "other", snap.Seq+1)
	r4, _ := c.FeedPage(context.Background(), newer, q, "")
	if r4 == r1 {
		t.Error("a new snapshot served the previous snapshot's page")
	}

	// Concurrent first requests build the page once and share it.
	fresh := feed.NewSnapshot(snap.Conference, fixture(t), "x", snap.Seq+2)
	var wg sync.WaitGroup
	got := make([]*rendered.Response, 16)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = c.FeedPage(context.Background(), fresh, q, "")
		}()
	}
	wg.Wait()
	for _, r := range got[1:] {
		if r != got[0] {
			t.Fatal("concurrent requests built separate pages")
		}
	}
}
