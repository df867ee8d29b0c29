package invalidatecache_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	goredis "github.com/redis/go-redis/v9"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/pubsub"
	"github.com/partyfinder/partyfinder/shared/redis"
	"github.com/partyfinder/partyfinder/shared/redis/redistest"
	"github.com/partyfinder/partyfinder/triggers/invalidatecache"
)

const (
	democon = demo.ConferenceID
	other   = "othercon"
)

var at = time.Date(2026, 8, 18, 20, 0, 0, 0, time.UTC)

// openTier returns a Redis tier of the Redis at addr under a key prefix
// of the test's own, whose keys are deleted when the test ends.
func openTier(t *testing.T, addr string) *redis.Tier {
	t.Helper()
	prefix := "pf-test:" + rand.Text()[:12] + ":"
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

// fixture is the handler as the app wires it: a Redis tier, and the feed
// cache over a SQLite store holding the demo conference and a second one
// with one party, as its prebuilder.
type fixture struct {
	tier  *redis.Tier
	cache *feed.Cache
	h     *invalidatecache.Handler
	demo  demotest.Seeded
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	seeded := demotest.Store(t)
	c, err := conference.New(other, "Other Con", "Köln", "Europe/Berlin", "2026-09-07", "2026-09-09")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seeded.Store.CreateConference(ctx, c); err != nil {
		t.Fatal(err)
	}
	p, err := party.New(party.Party{ID: "other-opening", ConferenceID: other, Title: "Other Opening", Status: party.Published,
		Venue: "Hall 1", Start: time.Date(2026, 9, 7, 18, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seeded.Store.CreateParty(ctx, p); err != nil {
		t.Fatal(err)
	}
	tier := openTier(t, redistest.Addr(t))
	cache := feed.NewCache(seeded.Store, feed.Options{Shared: tier})
	return &fixture{tier: tier, cache: cache, demo: seeded,
		h: &invalidatecache.Handler{Tier: tier, Prebuild: cache, Decode: pubsub.DecodePushed}}
}

func (f *fixture) revision(t *testing.T, conf string) string {
	t.Helper()
	rev, err := f.tier.Revision(context.Background(), conf)
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

// prebuilt returns the prebuilt snapshot the tier holds for conf and the
// tier's current revision; ok is false when it holds none.
func (f *fixture) prebuilt(t *testing.T, conf string) (p feed.Prebuilt, rev string, ok bool) {
	t.Helper()
	rev, data, err := f.tier.Prebuilt(context.Background(), conf)
	if err != nil {
		t.Fatal(err)
	}
	if data == nil {
		return feed.Prebuilt{}, rev, false
	}
	p, err = feed.DecodePrebuilt(data)
	if err != nil {
		t.Fatal(err)
	}
	return p, rev, true
}

// wantPrebuiltCurrent fails the test unless the tier holds a snapshot of
// conf built at its current revision, with the conference's public parties.
func (f *fixture) wantPrebuiltCurrent(t *testing.T, conf string, parties int) {
	t.Helper()
	p, rev, ok := f.prebuilt(t, conf)
	switch {
	case !ok:
		t.Errorf("%s: no prebuilt snapshot", conf)
	case p.Shared != rev:
		t.Errorf("%s: prebuilt at revision %q, current %q", conf, p.Shared, rev)
	case p.Conference.ID != conf || len(p.Parties) != parties:
		t.Errorf("%s: prebuilt holds conference %q with %d parties, want %d", conf, p.Conference.ID, len(p.Parties), parties)
	}
}

func (f *fixture) publicDemoParties() int {
	return len(f.demo.Where(func(p party.Party) bool { return p.Status.Public() }))
}

func meta(id, typ, conf string) event.Meta {
	return event.Meta{ID: id, Type: typ, Version: 1, At: at, Actor: "ada", Conference: conf}
}

func partyUpdated(id, conf string) party.UpdatedEvent {
	return party.UpdatedEvent{Meta: meta(id, party.TypeUpdated, conf), PartyID: "p-" + id, Changed: []string{"title"}}
}

func swipe(id, conf string) attendee.SwipeRecorded {
	return attendee.SwipeRecorded{Meta: meta(id, attendee.TypeSwipeRecorded, conf), UID: "ada", PartyID: "p1", Action: attendee.Like}
}

// bumpCounter is the real tier, counting raises per conference, and
// failing them for the conferences in fail: failure injection.
type bumpCounter struct {
	*redis.Tier
	fail  map[string]bool
	mu    sync.Mutex
	bumps map[string]int
}

func (b *bumpCounter) Bump(ctx context.Context, conf string) error {
	b.mu.Lock()
	if b.bumps == nil {
		b.bumps = map[string]int{}
	}
	b.bumps[conf]++
	b.mu.Unlock()
	if b.fail[conf] {
		return errors.New("injected: redis refused the raise")
	}
	return b.Tier.Bump(ctx, conf)
}

// Party events of two conferences, mixed with events that change no
// party, raise each conference's revision once and leave a snapshot
// prebuilt at the new revision for cold instances.
func TestApplyRaisesEachConferenceOnceAndPrebuilds(t *testing.T) {
	f := newFixture(t)
	spy := &bumpCounter{Tier: f.tier}
	f.h.Tier = spy
	before := map[string]string{democon: f.revision(t, democon), other: f.revision(t, other)}
	events := []event.Event{
		partyUpdated("e1", democon),
		swipe("e2", democon),
		party.CreatedEvent{Meta: meta("e3", party.TypeCreated, other), PartyID: "other-opening", Status: party.Published},
		partyUpdated("e4", democon),
		party.CancelledEvent{Meta: meta("e5", party.TypeCancelled, democon), PartyID: "p-e5"},
		analytics.Interaction{Meta: meta("e6", analytics.TypeInteraction, other), Kind: analytics.View, PartyID: "other-opening"},
		party.PublishedEvent{Meta: meta("e7", party.TypePublished, other), PartyID: "other-opening"},
	}
	if err := f.h.Apply(t.Context(), events); err != nil {
		t.Fatal(err)
	}
	for conf, rev := range before {
		if now := f.revision(t, conf); now == rev {
			t.Errorf("%s: revision still %q after party events", conf, rev)
		}
		if n := spy.bumps[conf]; n != 1 {
			t.Errorf("%s: revision raised %d times for one batch, want once", conf, n)
		}
	}
	f.wantPrebuiltCurrent(t, democon, f.publicDemoParties())
	f.wantPrebuiltCurrent(t, other, 1)
}

// Events that change no party change nothing shared: no raise, no
// prebuild.
func TestApplyIgnoresOtherEvents(t *testing.T) {
	f := newFixture(t)
	spy := &bumpCounter{Tier: f.tier}
	f.h.Tier = spy
	rev := f.revision(t, democon)
	events := []event.Event{
		swipe("s1", democon),
		attendee.SaveAdded{Meta: meta("s2", attendee.TypeSaveAdded, democon), UID: "ada", PartyID: "p1"},
		analytics.Interaction{Meta: meta("s3", analytics.TypeInteraction, democon), Kind: analytics.Share, PartyID: "p1"},
	}
	if err := f.h.Apply(t.Context(), events); err != nil {
		t.Fatal(err)
	}
	if now := f.revision(t, democon); now != rev {
		t.Errorf("revision moved from %q to %q on events that change no party", rev, now)
	}
	if len(spy.bumps) != 0 {
		t.Errorf("raises %v on events that change no party", spy.bumps)
	}
	if _, _, ok := f.prebuilt(t, democon); ok {
		t.Error("a snapshot was prebuilt on events that change no party")
	}
}

// cloudEventOf wraps an event as Pub/Sub pushes it to the function.
func cloudEventOf(t *testing.T, e event.Event, messageID string) cloudevent.Event {
	t.Helper()
	data, err := pubsub.PushedData(t.Context(), e, messageID, "projects/demo-party/subscriptions/invalidate-cache")
	if err != nil {
		t.Fatal(err)
	}
	ce := cloudevent.New()
	ce.SetID(messageID)
	ce.SetType("google.cloud.pubsub.topic.v1.messagePublished")
	ce.SetSource("//pubsub.googleapis.com/projects/demo-party/topics/events")
	if err := ce.SetData("application/json", json.RawMessage(data)); err != nil {
		t.Fatal(err)
	}
	return ce
}

// A message delivered three times is harmless: each delivery raises the
// revision again and leaves a current prebuilt snapshot.
func TestHandleRedeliveredMessage(t *testing.T) {
	f := newFixture(t)
	ce := cloudEventOf(t, partyUpdated("u1", democon), "msg-1")
	seen := map[string]bool{f.revision(t, democon): true}
	for i := range 3 {
		if err := f.h.Handle(t.Context(), ce); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
		rev := f.revision(t, democon)
		if seen[rev] {
			t.Errorf("delivery %d: revision %q seen before", i+1, rev)
		}
		seen[rev] = true
		f.wantPrebuiltCurrent(t, democon, f.publicDemoParties())
	}
}

// A message that can never be read is returned as a failure, so Pub/Sub
// dead-letters it after the subscription's attempts, and is logged; it
// raises nothing.
func TestHandlePoisonMessageFails(t *testing.T) {
	var logs strings.Builder
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	f := newFixture(t)
	rev := f.revision(t, democon)

	notPubSub := cloudevent.New()
	notPubSub.SetID("poison-1")
	_ = notPubSub.SetData("application/json", json.RawMessage(`"just a string"`))
	unknown := cloudevent.New()
	unknown.SetID("poison-2")
	var data pubsub.MessagePublishedData
	data.Message.Data = []byte(`{}`)
	data.Message.Attributes = map[string]string{pubsub.AttrType: "party.exploded", pubsub.AttrConference: democon}
	_ = unknown.SetData("application/json", data)

	for _, ce := range []cloudevent.Event{notPubSub, unknown} {
		if err := f.h.Handle(t.Context(), ce); err == nil {
			t.Errorf("poison message %s acknowledged; want an error so it dead-letters", ce.ID())
		}
	}
	if n := strings.Count(logs.String(), "dead-letters"); n != 2 {
		t.Errorf("%d failures logged, want 2:\n%s", n, logs.String())
	}
	if now := f.revision(t, democon); now != rev {
		t.Errorf("a poison message moved the revision from %q to %q", rev, now)
	}
}

// A raise that fails is returned, so Pub/Sub retries the message: no
// instance may keep a stale feed because a raise was lost. The other
// conferences of the batch are still raised.
func TestApplyReturnsTierFailures(t *testing.T) {
	events := []event.Event{partyUpdated("f1", democon), partyUpdated("f2", other)}

	t.Run("one conference refused", func(t *testing.T) {
		f := newFixture(t)
		f.h.Tier = &bumpCounter{Tier: f.tier, fail: map[string]bool{democon: true}}
		demoRev, otherRev := f.revision(t, democon), f.revision(t, other)
		err := f.h.Apply(t.Context(), events)
		if err == nil || !strings.Contains(err.Error(), democon) {
			t.Fatalf("Apply = %v, want the failure to raise %s", err, democon)
		}
		if now := f.revision(t, democon); now != demoRev {
			t.Errorf("refused raise moved %s from %q to %q", democon, demoRev, now)
		}
		if now := f.revision(t, other); now == otherRev {
			t.Errorf("%s not raised because %s failed", other, democon)
		}
		f.wantPrebuiltCurrent(t, other, 1)
	})

	t.Run("redis killed", func(t *testing.T) {
		seeded := demotest.Store(t)
		srv := redistest.Start(t)
		tier := openTier(t, srv.Addr())
		h := &invalidatecache.Handler{Tier: tier, Prebuild: feed.NewCache(seeded.Store, feed.Options{Shared: tier}), Decode: pubsub.DecodePushed}
		if err := h.Apply(t.Context(), events); err != nil {
			t.Fatalf("with Redis up: %v", err)
		}
		srv.Kill()
		if err := h.Apply(t.Context(), events); err == nil {
			t.Error("Apply with Redis killed = nil, want an error so the message is retried")
		}
		if err := h.Handle(t.Context(), cloudEventOf(t, partyUpdated("f3", democon), "msg-f3")); err == nil {
			t.Error("Handle with Redis killed = nil, want an error so the message is retried")
		}
	})

	t.Run("no tier", func(t *testing.T) {
		h := &invalidatecache.Handler{Decode: pubsub.DecodePushed}
		if err := h.Apply(t.Context(), events); err != nil {
			t.Errorf("Apply without a tier = %v, want nil: instances check the store", err)
		}
		if err := h.Handle(t.Context(), cloudEventOf(t, partyUpdated("f4", democon), "msg-f4")); err != nil {
			t.Errorf("Handle without a tier = %v, want nil", err)
		}
	})
}

// gatedPrebuilder is the real prebuilder, counting its calls and holding
// the first one until release is closed.
type gatedPrebuilder struct {
	next    invalidatecache.Prebuilder
	calls   atomic.Int64
	started chan struct{} // closed when the first call starts
	release chan struct{}
}

func (g *gatedPrebuilder) Prebuild(ctx context.Context, conf string) error {
	if g.calls.Add(1) == 1 {
		close(g.started)
		<-g.release
	}
	return g.next.Prebuild(ctx, conf)
}

// Changes that arrive while a conference is being prebuilt do not each
// read the store: the running prebuild reads it once more after it ends,
// and the snapshot it leaves is at the latest revision.
func TestPrebuildsCoalesce(t *testing.T) {
	f := newFixture(t)
	gate := &gatedPrebuilder{next: f.cache, started: make(chan struct{}), release: make(chan struct{})}
	f.h.Prebuild = gate
	const n = 50

	var returned atomic.Int64
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs <- f.h.Apply(context.Background(), []event.Event{partyUpdated(fmt.Sprintf("c%d", i), democon)})
			returned.Add(1)
		})
	}
	// One call runs the prebuild, held at the gate; the other 49 find it
	// running, ask it to go again and return.
	deadline := time.Now().Add(30 * time.Second)
	for returned.Load() < n-1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case <-gate.started:
	default:
		t.Error("no prebuild started")
	}
	if got := returned.Load(); got < n-1 {
		t.Errorf("%d of %d calls returned while one prebuild ran, want %d", got, n, n-1)
	}
	close(gate.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// The held prebuild, then exactly one more for everything that came
	// while it was held.
	if got := gate.calls.Load(); got != 2 {
		t.Errorf("%d prebuilds for %d changes arriving during one, want 2", got, n)
	}
	f.wantPrebuiltCurrent(t, democon, f.publicDemoParties())
}
