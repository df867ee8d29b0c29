package aggregateanalytics_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/pubsub"
	"github.com/partyfinder/partyfinder/shared/sqlite"
	"github.com/partyfinder/partyfinder/triggers/aggregateanalytics"
)

var at = time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)

// cloudEventOf wraps an event as Pub/Sub pushes it to the function.
func cloudEventOf(t *testing.T, e event.Event, messageID string) cloudevent.Event {
	t.Helper()
	data, err := pubsub.PushedData(t.Context(), e, messageID, "projects/demo-party/subscriptions/aggregate-analytics")
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

func store(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "pf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Every message delivered up to three times and out of order leaves the
// counters exact.
func TestRedeliveredAndReorderedMessagesCountOnce(t *testing.T) {
	s := store(t)
	h := &aggregateanalytics.Handler{Analytics: &command.Analytics{Store: s}, Decode: pubsub.DecodePushed}
	m := func(id, typ string) event.Meta {
		return event.Meta{ID: id, Type: typ, Version: 1, At: at, Actor: "u", Conference: "gc"}
	}
	events := []event.Event{
		attendee.SwipeRecorded{Meta: m("s1", attendee.TypeSwipeRecorded), UID: "ada", PartyID: "p1", Action: attendee.Like},
		attendee.SaveAdded{Meta: m("s2", attendee.TypeSaveAdded), UID: "ada", PartyID: "p1"},
		attendee.SwipeRecorded{Meta: m("s3", attendee.TypeSwipeRecorded), UID: "ada", PartyID: "p1", Action: attendee.Pass, Previous: attendee.Like},
		attendee.SaveRemoved{Meta: m("s4", attendee.TypeSaveRemoved), UID: "ada", PartyID: "p1"},
		attendee.SwipeRecorded{Meta: m("s5", attendee.TypeSwipeRecorded), UID: "bob", PartyID: "p1", Action: attendee.Interested},
		attendee.SaveAdded{Meta: m("s6", attendee.TypeSaveAdded), UID: "bob", PartyID: "p1"},
		analytics.Interaction{Meta: m("v1", analytics.TypeInteraction), Kind: analytics.View, PartyID: "p1"},
	}
	var deliveries []cloudevent.Event
	for i, e := range events {
		for n := range 3 {
			deliveries = append(deliveries, cloudEventOf(t, e, fmt.Sprintf("msg-%d-%d", i, n)))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })
	for _, ce := range deliveries {
		if err := h.Handle(t.Context(), ce); err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.Stats(t.Context(), "p1")
	if err != nil {
		t.Fatal(err)
	}
	if want := (analytics.Counters{Views: 1, Likes: 1, Passes: 1, Saves: 1}); st.Counters != want {
		t.Errorf("counters %+v, want %+v", st.Counters, want)
	}
}

// flaky fails its first calls: failure injection for the retry path.
type flaky struct {
	fails int
	next  aggregateanalytics.Aggregator
}

func (f *flaky) Aggregate(ctx context.Context, es []event.Event) (int, error) {
	if f.fails > 0 {
		f.fails--
		return 0, errors.New("store unavailable")
	}
	return f.next.Aggregate(ctx, es)
}

// A handler that fails twice and then succeeds has one effect: the
// failures are returned (so Pub/Sub redelivers), the success counts once.
func TestFailuresAreRetriedWithOneEffect(t *testing.T) {
	s := store(t)
	h := &aggregateanalytics.Handler{Analytics: &flaky{fails: 2, next: &command.Analytics{Store: s}}, Decode: pubsub.DecodePushed}
	ce := cloudEventOf(t, analytics.Interaction{Meta: event.Meta{ID: "v1", Type: analytics.TypeInteraction, Version: 1, At: at, Conference: "gc"},
		Kind: analytics.Share, PartyID: "p1"}, "m1")
	for i, wantErr := range []bool{true, true, false, false} {
		if err := h.Handle(t.Context(), ce); (err != nil) != wantErr {
			t.Fatalf("delivery %d: err %v, want error %v", i+1, err, wantErr)
		}
	}
	st, _ := s.Stats(t.Context(), "p1")
	if st.Counters.Shares != 1 {
		t.Errorf("shares = %d after two failures and two successes, want 1", st.Counters.Shares)
	}
}

// A message that can never be read is returned as a failure, so Pub/Sub
// dead-letters it after the subscription's attempts instead of losing it
// (an event type newer than this release can be replayed once deployed);
// each failure is logged.
func TestPoisonMessagesFailAndAreLogged(t *testing.T) {
	var logs strings.Builder
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	s := store(t)
	h := &aggregateanalytics.Handler{Analytics: &command.Analytics{Store: s}, Decode: pubsub.DecodePushed}
	notPubSub := cloudevent.New()
	notPubSub.SetID("x")
	_ = notPubSub.SetData("application/json", json.RawMessage(`"just a string"`))
	unknown := cloudevent.New()
	unknown.SetID("y")
	var data pubsub.MessagePublishedData
	data.Message.Data, data.Message.Attributes = []byte(`{}`), map[string]string{pubsub.AttrType: "party.exploded"}
	_ = unknown.SetData("application/json", data)
	for _, ce := range []cloudevent.Event{notPubSub, unknown} {
		if err := h.Handle(context.Background(), ce); err == nil {
			t.Errorf("poison message %s acknowledged; want an error so it dead-letters", ce.ID())
		}
	}
	if n := strings.Count(logs.String(), "dead-letters"); n != 2 {
		t.Errorf("%d failures logged, want 2:\n%s", n, logs.String())
	}
	if st, err := s.ConferenceStats(context.Background(), "gc"); err != nil || len(st) != 0 {
		t.Errorf("a poison message changed the counters: %v %v", st, err)
	}
}
