package feed_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/party"
)

// syncBody is a sync response as a client reads it.
type syncBody struct {
	Success bool              `json:"success"`
	Data    []json.RawMessage `json:"data"`
	Meta    struct {
		Count      int    `json:"count"`
		Deleted    int    `json:"deleted"`
		Full       bool   `json:"full"`
		Conference string `json:"conference"`
		Timezone   string `json:"timezone"`
		SyncToken  string `json:"syncToken"`
	} `json:"meta"`
}

// item is one element of a sync response's data: a party or a tombstone.
type item struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
	Status  string `json:"status"`
	Title   string `json:"title"`
}

func (b syncBody) items(t *testing.T) []item {
	t.Helper()
	out := make([]item, len(b.Data))
	for i, raw := range b.Data {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatalf("item %s: %v", raw, err)
		}
	}
	return out
}

// changed lists a response's parties ("id") and tombstones ("-id"), in order.
func (b syncBody) changed(t *testing.T) []string {
	var out []string
	for _, it := range b.items(t) {
		if it.Deleted {
			out = append(out, "-"+it.ID)
		} else {
			out = append(out, it.ID)
		}
	}
	return out
}

// syncQuery parses since=token (and more) for testcon.
func syncQuery(t *testing.T, raw string) feed.Query {
	t.Helper()
	q := parseQuery(t, raw)
	if !q.Sync {
		t.Fatalf("%q is no sync query", raw)
	}
	return q
}

func syncPage(t *testing.T, c *feed.Cache, s *feed.Snapshot, token string) (syncBody, error) {
	t.Helper()
	raw := "since=" + url.QueryEscape(token)
	r, err := c.SyncPage(context.Background(), s, syncQuery(t, raw), raw)
	if err != nil {
		return syncBody{}, err
	}
	var b syncBody
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatalf("sync response %s: %v", r.Body, err)
	}
	if !b.Success || b.Meta.Count != len(b.Data) || b.Meta.Conference != s.Conference.ID || b.Meta.Timezone != s.Conference.TimeZone {
		t.Fatalf("sync response meta %+v for %d items", b.Meta, len(b.Data))
	}
	return b, nil
}

// mirror is a client's copy of a conference, kept by sync.
type mirror struct {
	parties map[string]string // id -> the party's JSON
	token   string
}

func (m *mirror) apply(t *testing.T, b syncBody) {
	t.Helper()
	if b.Meta.Full {
		m.parties = map[string]string{}
	}
	deleted := 0
	for i, it := range b.items(t) {
		if it.Deleted {
			deleted++
			delete(m.parties, it.ID)
			continue
		}
		m.parties[it.ID] = string(b.Data[i])
	}
	if deleted != b.Meta.Deleted {
		t.Errorf("meta says %d tombstones, data has %d", b.Meta.Deleted, deleted)
	}
	m.token = b.Meta.SyncToken
}

// sync brings m up to date against the cache's current snapshot.
func (m *mirror) sync(t *testing.T, c *feed.Cache) *feed.Snapshot {
	t.Helper()
	s, err := c.Snapshot(context.Background(), "testcon")
	if err != nil {
		t.Fatal(err)
	}
	b, err := syncPage(t, c, s, m.token)
	if err != nil {
		t.Fatalf("sync since %q: %v", m.token, err)
	}
	m.apply(t, b)
	return s
}

// sameAsSnapshot checks that m holds exactly the snapshot's parties, as
// the feed serves them.
func (m *mirror) sameAsSnapshot(t *testing.T, s *feed.Snapshot) {
	t.Helper()
	want := map[string]string{}
	for _, e := range s.Entries {
		want[e.Party.ID] = string(e.JSON)
	}
	if !maps.Equal(m.parties, want) {
		t.Errorf("the client's copy holds %v,\nthe snapshot %v", slices.Sorted(maps.Keys(m.parties)), slices.Sorted(maps.Keys(want)))
		for id, js := range want {
			if got, ok := m.parties[id]; ok && got != js {
				t.Errorf("party %s: copy %s, snapshot %s", id, got, js)
			}
		}
	}
}

// A client that syncs the whole conference once and then only what
// changed holds what the feed shows after every step: parties created,
// edited, cancelled (kept, with their status), published and shown
// again arrive in full; parties moved back to pending or rejected leave as
// tombstones; edits of parties nobody sees send nothing.
func TestSyncThroughTheCache(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	c := feed.NewCache(store, feed.Options{Refresh: time.Hour})
	m := &mirror{}
	s := m.sync(t, c)
	if len(m.parties) != 8 || m.token != s.SyncToken() || s.Position != 10 || s.Epoch == "" {
		t.Fatalf("the first sync: %d parties, token %q (snapshot's %q at %d, epoch %q); want the 8 visible, cancelled one included",
			len(m.parties), m.token, s.SyncToken(), s.Position, s.Epoch)
	}
	m.sameAsSnapshot(t, s)

	update := func(id string, fn func(*party.Party)) {
		t.Helper()
		if _, err := store.UpdateParty(ctx, id, func(p *party.Party) error { fn(p); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name  string
		write func()
		want  []string // the sync's parties and tombstones ("-id"), in order
	}{
		{"nothing changed", func() {}, nil},
		{"edits, a new party, a cancellation, a publication, an unpublication", func() {
			update("opening", func(p *party.Party) { p.Title = "Opening Mixer (moved)"; p.Venue = "Gloria" })
			if _, err := store.CreateParty(ctx, mkParty(t, party.Party{ID: "newcomer", Start: local("2025-08-22 20:00")})); err != nil {
				t.Fatal(err)
			}
			update("koeln-nights", func(p *party.Party) { p.Status, p.Note = party.Cancelled, "Flooded" })
			update("pending-x", func(p *party.Party) { p.Status = party.Published })
			update("brunch", func(p *party.Party) { p.Status = party.Pending })
			update("draft-x", func(p *party.Party) { p.Title = "Still a draft" })
		}, []string{"opening", "pending-x", "koeln-nights", "newcomer", "-brunch"}},
		{"rejected after cancellation, hidden twice", func() {
			update("cancelled-x", func(p *party.Party) { p.Status, p.Note = party.Rejected, "spam" })
			update("newcomer", func(p *party.Party) { p.Status = party.Draft })
			update("newcomer", func(p *party.Party) { p.Status = party.Published })
			update("newcomer", func(p *party.Party) { p.Status = party.Pending })
		}, []string{"-cancelled-x", "-newcomer"}},
		{"shown again", func() {
			update("brunch", func(p *party.Party) { p.Status = party.Published })
		}, []string{"brunch"}},
	}
	for _, step := range steps {
		step.write()
		c.Invalidate("testcon") // as a write through this process does
		s, err := c.Snapshot(ctx, "testcon")
		if err != nil {
			t.Fatal(err)
		}
		b, err := syncPage(t, c, s, m.token)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := b.changed(t); !slices.Equal(got, step.want) {
			t.Errorf("%s: sync answered %v, want %v", step.name, got, step.want)
		}
		if b.Meta.Full || b.Meta.SyncToken != s.SyncToken() {
			t.Errorf("%s: full %v, token %q; want a delta and the snapshot's token %q", step.name, b.Meta.Full, b.Meta.SyncToken, s.SyncToken())
		}
		m.apply(t, b)
		m.sameAsSnapshot(t, s)
	}
	if st := m.parties["koeln-nights"]; !bytes.Contains([]byte(st), []byte(`"status":"cancelled"`)) {
		t.Errorf("the cancelled party in the copy: %s", st)
	}
}

// The snapshot reads the order of changes before the parties: a write
// that lands between the two is in the parties but not below the
// snapshot's position, so the client is told of it again by the next
// snapshot, tombstones included, and loses nothing.
func TestSyncWriteRacingTheBuild(t *testing.T) {
	ctx := context.Background()
	store := &racingStore{countingStore: newStore(t)}
	c := feed.NewCache(store, feed.Options{Refresh: time.Hour})
	m := &mirror{}
	m.sync(t, c)

	store.race = func() {
		for id, fn := range map[string]func(*party.Party){
			"brunch":  func(p *party.Party) { p.Status = party.Pending },
			"opening": func(p *party.Party) { p.Title = "Raced" },
		} {
			if _, err := store.UpdateParty(ctx, id, func(p *party.Party) error { fn(p); return nil }); err != nil {
				t.Error(err)
			}
		}
	}
	c.Invalidate("testcon")
	raced := m.sync(t, c)
	if !store.raced.Load() {
		t.Fatal("the writes did not race the build")
	}
	t.Logf("the raced snapshot is at position %d", raced.Position)
	c.Invalidate("testcon") // the writes raised the revision: the next check rebuilds
	next := m.sync(t, c)
	if next.Position != 12 {
		t.Errorf("the next snapshot is at position %d, want 12", next.Position)
	}
	m.sameAsSnapshot(t, next)
}

// racingStore runs race once, right after the first of the cache's two
// reads of a snapshot (the order of changes, the parties) and before the
// other.
type racingStore struct {
	*countingStore
	race  func()
	raced atomic.Bool
}

func (s *racingStore) after() {
	if s.race != nil && s.raced.CompareAndSwap(false, true) {
		s.race()
	}
}

func (s *racingStore) PartiesOf(ctx context.Context, id string) ([]party.Party, error) {
	defer s.after()
	return s.countingStore.PartiesOf(ctx, id)
}

func (s *racingStore) ChangeLog(ctx context.Context, id string) (party.Log, error) {
	defer s.after()
	return s.countingStore.ChangeLog(ctx, id)
}

// syncSnapshot is testcon at position 12 of epoch "e1", horizon 3: six
// parties and three tombstones, one of a party public again; the writes
// after 9 were of a party nobody sees.
func syncSnapshot(t *testing.T) *feed.Snapshot {
	t.Helper()
	mk := func(id string, seq int64, status party.Status, start string) party.Party {
		p := mkParty(t, party.Party{ID: id, Status: status, Start: local(start)})
		p.Seq = seq
		return p
	}
	ps := []party.Party{
		mk("old", 0, party.Published, "2025-08-20 18:00"), // from before positions were kept
		mk("a", 4, party.Published, "2025-08-20 19:00"),
		mk("b", 9, party.Cancelled, "2025-08-20 20:00"),
		mk("c", 5, party.Published, "2025-08-21 18:00"),
		mk("back", 8, party.Published, "2025-08-21 19:00"),
		mk("hidden", 12, party.Pending, "2025-08-21 20:00"),
	}
	log := party.Log{Epoch: "e1", Last: 12, Horizon: 3, Tombstones: []party.Tombstone{
		{PartyID: "hidden", Seq: 4}, {PartyID: "back", Seq: 5}, {PartyID: "gone", Seq: 6}, {PartyID: "hidden", Seq: 7},
	}}
	return feed.NewSnapshotAt(testConference(t), ps, log, "rev", 1)
}

func token(conf, epoch string, pos int64, zone string) string {
	return feed.SyncToken{Conference: conf, Epoch: epoch, Position: pos, Zone: zone}.Encode()
}

// zoneOf is the zone mark the snapshot's token carries.
func zoneOf(t testing.TB, s *feed.Snapshot) string {
	t.Helper()
	tok, ok := feed.DecodeSyncToken(s.SyncToken())
	if !ok {
		t.Fatalf("the snapshot's own token %q does not decode", s.SyncToken())
	}
	return tok.Zone
}

// What a sync answers for each position: the parties written after it in
// feed order, then the tombstones after it by position (the last of each
// party, none of a party public again); every position from the horizon
// on is answered, earlier ones and foreign tokens are Gone.
func TestSyncResponse(t *testing.T) {
	s := syncSnapshot(t)
	c := feed.NewCache(newStore(t), feed.Options{})
	zone := zoneOf(t, s)
	if s.Position != 12 || s.Epoch != "e1" || s.Horizon != 3 {
		t.Fatalf("snapshot at %d of %q, horizon %d", s.Position, s.Epoch, s.Horizon)
	}
	tests := []struct {
		name  string
		token string
		want  []string
		full  bool
		next  string // the token answered; "" for the snapshot's
	}{
		{"the whole conference", "", []string{"old", "a", "b", "c", "back"}, true, ""},
		{"at the horizon", token("testcon", "e1", 3, zone), []string{"a", "b", "c", "back", "-gone", "-hidden"}, false, ""},
		{"after a's write", token("testcon", "e1", 4, zone), []string{"b", "c", "back", "-gone", "-hidden"}, false, ""},
		{"after gone left", token("testcon", "e1", 6, zone), []string{"b", "back", "-hidden"}, false, ""},
		{"after the last change anyone sees", token("testcon", "e1", 9, zone), nil, false, ""},
		{"at the snapshot", token("testcon", "e1", 12, zone), nil, false, ""},
		{"ahead of the snapshot", token("testcon", "e1", 15, zone), nil, false, token("testcon", "e1", 15, zone)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := syncPage(t, c, s, tc.token)
			if err != nil {
				t.Fatal(err)
			}
			if got := b.changed(t); !slices.Equal(got, tc.want) {
				t.Errorf("answered %v, want %v", got, tc.want)
			}
			next := tc.next
			if next == "" {
				next = s.SyncToken()
			}
			if b.Meta.Full != tc.full || b.Meta.SyncToken != next {
				t.Errorf("meta full %v token %q, want %v %q", b.Meta.Full, b.Meta.SyncToken, tc.full, next)
			}
			for i, it := range b.items(t) {
				if it.Deleted && string(b.Data[i]) != `{"id":"`+it.ID+`","deleted":true}` {
					t.Errorf("tombstone %s", b.Data[i])
				}
			}
		})
	}

	gone := []struct {
		name, token string
	}{
		{"older than the horizon", token("testcon", "e1", 2, zone)},
		{"another conference's", token("othercon", "e1", 5, zone)},
		{"another order's (another store, or this one wiped)", token("testcon", "e0", 5, zone)},
		{"from before the first write", token("testcon", "", 0, zone)},
		{"from before the time zone changed", token("testcon", "e1", 5, "0")},
		{"not base64", "not a token!"},
		{"base64 of something else", base64.RawURLEncoding.EncodeToString([]byte("hello"))},
		{"another version", base64.RawURLEncoding.EncodeToString([]byte("2.testcon.e1.5.x"))},
		{"a negative position", base64.RawURLEncoding.EncodeToString([]byte("1.testcon.e1.-5." + zone))},
		{"far too long", string(bytes.Repeat([]byte("A"), 300))},
	}
	for _, tc := range gone {
		t.Run(tc.name, func(t *testing.T) {
			_, err := syncPage(t, c, s, tc.token)
			if !apperr.Is(err, apperr.Gone) {
				t.Fatalf("error %v (kind %q), want Gone", err, apperr.KindOf(err))
			}
			if e, _ := apperr.As(err); !bytes.Contains([]byte(e.Message), []byte(feed.Resync)) {
				t.Errorf("%q does not say how to resync", e.Message)
			}
		})
	}
}

// Positions with no change between them share one cached answer; the raw
// query is remembered too, for the hot path.
func TestSyncPagesShareAnswers(t *testing.T) {
	s := syncSnapshot(t)
	c := feed.NewCache(newStore(t), feed.Options{})
	zone := zoneOf(t, s)
	page := func(pos int64) string {
		raw := "since=" + token("testcon", "e1", pos, zone)
		r, err := c.SyncPage(context.Background(), s, syncQuery(t, raw), raw)
		if err != nil {
			t.Fatal(err)
		}
		if cached, ok := c.CachedPage(s, raw); (!ok || cached != r) != (pos > s.Position) {
			t.Errorf("since position %d: cached under its raw query %v; want it cached unless ahead of the snapshot", pos, ok)
		}
		return r.ETag
	}
	if page(9) != page(9) || page(9) != page(10) || page(9) != page(12) {
		t.Error("positions 9 to 12 (no change anyone sees between them) answer differently")
	}
	if page(8) == page(9) {
		t.Error("positions 8 and 9 share an answer, but b was written at 9")
	}
	if page(15) == page(16) {
		t.Error("two positions ahead of the snapshot share an answer, but each gets its own token back")
	}
}

// A cold instance's snapshot from the shared tier answers syncs exactly as
// the one it was built from.
func TestSyncFromPrebuilt(t *testing.T) {
	want := syncSnapshot(t)
	got := roundTrip(t, want).Snapshot(2, nil)
	if got.SyncToken() != want.SyncToken() || got.Horizon != want.Horizon {
		t.Fatalf("prebuilt snapshot at %q (horizon %d), want %q (%d)", got.SyncToken(), got.Horizon, want.SyncToken(), want.Horizon)
	}
	for _, since := range []int64{-1, 3, 5, 8, 9, 12, 15} {
		if g, w := got.SyncResponse(since).Body, want.SyncResponse(since).Body; !bytes.Equal(g, w) {
			t.Errorf("since %d: prebuilt answers %s, want %s", since, g, w)
		}
	}
}

// A conference whose time zone changed shows every party at other local
// times: older tokens are Gone.
func TestSyncZoneChange(t *testing.T) {
	s := syncSnapshot(t)
	c := testConference(t)
	c.TimeZone = "Europe/London"
	moved := feed.NewSnapshotAt(c, s.Parties(), party.Log{Epoch: "e1", Last: 12, Horizon: 3}, "rev2", 2)
	if _, err := syncPage(t, feed.NewCache(newStore(t), feed.Options{}), moved, s.SyncToken()); !apperr.Is(err, apperr.Gone) {
		t.Errorf("a token from before the zone changed: %v, want Gone", err)
	}
}

// since does not combine with other filters, pages or calendar formats: a
// sync is of the whole conference.
func TestSyncQueryParse(t *testing.T) {
	tests := []struct {
		raw    string
		fields []string // nil: valid
	}{
		{"since=", nil},
		{"since=abc", nil},
		{"since=abc&conference=testcon", nil},
		{"since=abc&conferenceId=testcon", nil},
		{"since=abc&format=json", nil},
		{"since=abc&date=2025-08-20", []string{"date"}},
		{"since=&limit=10&page=2", []string{"limit", "page"}},
		{"since=abc&cursor=" + feed.Cursor{Start: local("2025-08-20 18:00"), ID: "x"}.Encode(), []string{"cursor"}},
		{"since=abc&format=ics", []string{"format"}},
		{"since=abc&include=cancelled", []string{"include"}},
		{"since=abc&q=koln&free=true&near=50.94,6.96", []string{"free", "near", "q"}},
		{"since=a&since=b", []string{"since"}},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			v, err := url.ParseQuery(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			q, err := feed.ParseQuery(v, "testcon", berlin)
			if tc.fields == nil {
				if err != nil || !q.Sync {
					t.Fatalf("ParseQuery = sync %v, %v; want a sync query", q.Sync, err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid {
				t.Fatalf("ParseQuery = %v, want Invalid naming %v", err, tc.fields)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("fields %v, want %v", got, tc.fields)
			}
		})
	}
	if q := parseQuery(t, "since=x"); q.Key() == parseQuery(t, "since=y").Key() || q.Key() == parseQuery(t, "").Key() {
		t.Error("sync queries of two tokens, or a sync and a page, share a key")
	}
}

// Tokens round-trip and say nothing useful to anyone who changes them.
func TestSyncTokenRoundTrip(t *testing.T) {
	for _, tok := range []feed.SyncToken{
		{Conference: "testcon", Epoch: "0123456789abcdef", Position: 0, Zone: "1a"},
		{Conference: "gamescom-2025", Epoch: "", Position: 1 << 40, Zone: "zz"},
	} {
		got, ok := feed.DecodeSyncToken(tok.Encode())
		if !ok || got != tok {
			t.Errorf("%+v round-trips to %+v (%v)", tok, got, ok)
		}
	}
}
