package partyfinder

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gps "cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"

	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// An instance deployed for one function builds only the parts that
// function uses: a cold parties instance builds no attendee caches, and a
// swipe instance no feed snapshot.
func TestEachFunctionBuildsOnlyWhatItNeeds(t *testing.T) {
	open := func(t *testing.T) *sqlite.Store {
		store, err := sqlite.Open(filepath.Join(t.TempDir(), "fn.db"))
		if err != nil {
			t.Fatal(err)
		}
		return store
	}
	want := map[string][]string{
		FnParties:     {"feed"},
		FnConferences: {"feed"},
		FnPartyDays:   {"feed"},
		FnCalendar:    {"feed", "personal views"},
		FnHealth:      nil,
		FnOpenAPI:     nil,
		FnSwipe:       {"analytics aggregator", "attendee commands", "erasure gate"},
		FnMe:          {"analytics aggregator", "attendee commands", "erasure gate", "feed", "personal views"},
		FnAnalytics:   {"analytics aggregator", "erasure gate", "feed"},
		FnAdmin:       {"erasure gate", "feed"},
		FnUGC:         {"feed"},
	}
	if len(want) != len(Functions) {
		t.Fatalf("the test knows %d functions, the table has %d: add the new one here", len(want), len(Functions))
	}
	for _, f := range Functions {
		t.Run(f.Name, func(t *testing.T) {
			a := New(Config{Store: StoreSQLite, Local: true}, open(t), Auth{})
			t.Cleanup(func() { a.Close() })
			if a.Handler(f.Name) == nil {
				t.Fatal("no handler")
			}
			got := a.Built()
			slices.Sort(got)
			if !slices.Equal(got, want[f.Name]) {
				t.Errorf("built %v, want exactly %v", got, want[f.Name])
			}
			a.Handler(f.Name)
			if again := a.Built(); len(again) != len(got) {
				t.Errorf("a second call built more: %v", again)
			}
		})
	}
	if a := New(Config{Store: StoreSQLite}, open(t), Auth{}); a.Handler("nope") != nil {
		t.Error("an unknown function has a handler")
	}
}

// A write whose events were not yet counted when the process died is
// counted once after a restart: its events wait in the outbox, written in
// the same transaction as the write.
func TestOutboxSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pf.db")
	ctx := t.Context()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	conf, ps := demo.Data(time.Now())
	if _, err := s.CreateConference(ctx, conf); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveParties(ctx, ps); err != nil {
		t.Fatal(err)
	}
	p := ps[0]
	// The first process: the use case runs, nothing delivers its events.
	uc := &command.Attendees{Parties: s, Store: s}
	if _, _, err := uc.RecordSwipe(ctx, "ada", p.ID, attendee.Like); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // the process dies
		t.Fatal(err)
	}

	// The next process counts what the first left behind, once.
	for run := range 2 {
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		a := New(Config{Store: StoreSQLite, Local: true}, s, Auth{})
		a.Handler(FnSwipe)
		a.FlushAnalytics()
		st, err := s.Stats(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Counters.Likes != 1 || st.Counters.Saves != 1 {
			t.Errorf("run %d: counters %+v, want one like and one save", run, st.Counters)
		}
		if left, _, err := s.Undelivered(ctx, 10); err != nil || len(left) != 0 {
			t.Errorf("run %d: %d events left in the outbox (%v)", run, len(left), err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// On the embedded store with Pub/Sub, the outbox's relay publishes the
// events: what a process left unpublished when it died goes out from the
// next one, each event once, and the outbox is emptied.
func TestOutboxPublishesToPubSub(t *testing.T) {
	srv := pstest.NewServer()
	t.Cleanup(func() { srv.Close() })
	t.Setenv("PUBSUB_EMULATOR_HOST", srv.Addr)
	ctx := t.Context()
	c, err := gps.NewClient(ctx, "demo-party")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: "projects/demo-party/topics/events"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: "projects/demo-party/subscriptions/all", Topic: "projects/demo-party/topics/events", AckDeadlineSeconds: 10}); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "pf.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	conf, ps := demo.Data(time.Now())
	if _, err := s.CreateConference(ctx, conf); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveParties(ctx, ps); err != nil {
		t.Fatal(err)
	}
	// A process that died before publishing its swipe's events.
	uc := &command.Attendees{Parties: s, Store: s}
	if _, _, err := uc.RecordSwipe(ctx, "ada", ps[0].ID, attendee.Like); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := New(Config{Store: StoreSQLite, Local: true, Events: EventsPubSub, ProjectID: "demo-party", EventsTopic: "events"}, s, Auth{})
	a.Handler(FnSwipe)
	if _, _, err := a.attendees().RecordSwipe(ctx, "bob", ps[1].ID, attendee.Pass); err != nil {
		t.Fatal(err)
	}
	a.FlushAnalytics()
	if left, _, err := s.Undelivered(ctx, 10); err != nil || len(left) != 0 {
		t.Errorf("%d events left in the outbox (%v)", len(left), err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	got := map[string]int{}
	var mu sync.Mutex
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = c.Subscriber("all").Receive(rctx, func(_ context.Context, m *gps.Message) {
		m.Ack()
		mu.Lock()
		got[m.Attributes["eventType"]+" "+m.Attributes["eventId"]]++
		mu.Unlock()
	})
	types := map[string]int{}
	for k, n := range got {
		if n != 1 {
			t.Errorf("%s published %d times", k, n)
		}
		typ, _, _ := strings.Cut(k, " ")
		types[typ]++
	}
	want := map[string]int{attendee.TypeSwipeRecorded: 2, attendee.TypeSaveAdded: 1}
	if !maps.Equal(types, want) {
		t.Errorf("published %v, want %v", types, want)
	}
}
