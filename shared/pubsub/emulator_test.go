package pubsub_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/testenv"

	gps "cloud.google.com/go/pubsub/v2"
	pb "cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/pubsub"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// emulatorClient returns a client of the official Pub/Sub emulator, or
// skips (fails where the emulators are required) when it is not running.
func emulatorClient(t *testing.T) *gps.Client {
	t.Helper()
	if os.Getenv("PUBSUB_EMULATOR_HOST") == "" {
		testenv.Need(t, "PUBSUB_EMULATOR_HOST is not set: start the Pub/Sub emulator (scripts/test does) to run this test")
	}
	c, err := gps.NewClient(t.Context(), project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func unique(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// topicAndSub creates a topic and an ordered subscription to it that dead
// letters a message after maxAttempts deliveries; it returns their ids and
// a subscription to the dead-letter topic.
func topicAndSub(t *testing.T, c *gps.Client, maxAttempts int32, pushTo string) (topic, sub, deadSub string) {
	t.Helper()
	ctx := t.Context()
	topic, dead := unique("events"), unique("events-dead")
	sub, deadSub = unique("aggregate"), unique("dead")
	name := func(kind, id string) string { return "projects/" + project + "/" + kind + "/" + id }
	for _, id := range []string{topic, dead} {
		if _, err := c.TopicAdminClient.CreateTopic(ctx, &pb.Topic{Name: name("topics", id)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pb.Subscription{
		Name: name("subscriptions", sub), Topic: name("topics", topic), EnableMessageOrdering: true,
		AckDeadlineSeconds: 10, PushConfig: &pb.PushConfig{PushEndpoint: pushTo},
		DeadLetterPolicy: &pb.DeadLetterPolicy{DeadLetterTopic: name("topics", dead), MaxDeliveryAttempts: maxAttempts},
		RetryPolicy:      &pb.RetryPolicy{MinimumBackoff: durationpb.New(10 * time.Millisecond), MaximumBackoff: durationpb.New(100 * time.Millisecond)},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pb.Subscription{Name: name("subscriptions", deadSub), Topic: name("topics", dead)}); err != nil {
		t.Fatal(err)
	}
	return topic, sub, deadSub
}

func interaction(id string, kind analytics.Kind) event.Event {
	return analytics.Interaction{Meta: event.Meta{ID: id, Type: analytics.TypeInteraction, Version: analytics.EventVersion,
		At: time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC), Conference: "gc"}, Kind: kind, PartyID: "p1"}
}

// On the emulator, with the push delivery Cloud Run functions get: a
// handler that fails twice and then succeeds has one effect, and a message
// no attempt can handle is delivered the subscription's maximum number of
// times and then no more. (The emulator honours the dead-letter policy's
// attempt count but does not forward the message to the dead-letter topic;
// Pub/Sub itself does.)
func TestEmulatorRetriesAndDeadLetters(t *testing.T) {
	c := emulatorClient(t)
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "pf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	uc := &command.Analytics{Store: store}

	var shareAttempts, poisonAttempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var push struct {
			Message struct {
				Data       []byte            `json:"data"`
				Attributes map[string]string `json:"attributes"`
			} `json:"message"`
		}
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = json.Unmarshal(body, &push)
		}
		if err != nil {
			t.Errorf("push body: %v", err)
			return
		}
		_, e, err := pubsub.Decode(r.Context(), push.Message.Data, push.Message.Attributes)
		if err != nil {
			t.Errorf("decode: %v", err)
			return
		}
		switch e.EventMeta().ID {
		case "poison-view": // a store that never takes it
			poisonAttempts.Add(1)
			// The event lag metric starts at the publish time each push
			// states. (The emulator leaves out the delivery attempt that
			// Pub/Sub adds for a subscription with a dead-letter policy.)
			if published, _ := pubsub.Delivery(body); published.IsZero() || time.Since(published) > time.Minute {
				t.Errorf("push body's publish time %v", published)
			}
			w.WriteHeader(http.StatusServiceUnavailable)
		case "flaky-share": // fails twice, then is counted
			if shareAttempts.Add(1) <= 2 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			if _, err := uc.Aggregate(r.Context(), []event.Event{e}); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}
	}))
	defer srv.Close()
	topic, _, _ := topicAndSub(t, c, 5, srv.URL)

	pub := pubsub.NewPublisher(c, topic)
	defer pub.Stop()
	if err := pub.Publish(t.Context(), interaction("flaky-share", analytics.Share), interaction("poison-view", analytics.View)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for poisonAttempts.Load() < 5 || shareAttempts.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s: the flaky message came %d times, the poison %d times", shareAttempts.Load(), poisonAttempts.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The retry backoff is at most 100 ms: a sixth delivery would come
	// well within a second.
	time.Sleep(time.Second)
	if n := poisonAttempts.Load(); n != 5 {
		t.Errorf("the poison message was delivered %d times; the subscription allows 5", n)
	}

	st, err := store.Stats(context.Background(), "p1")
	if err != nil || st.Counters.Shares != 1 {
		t.Errorf("shares = %d (%v), want exactly 1", st.Counters.Shares, err)
	}
}

// On the emulator, every event delivered three times and in shuffled order
// (three publishes each, no ordering keys) leaves the counters exact:
// likes and passes count current decisions, a like turned pass moves one,
// a repeated event id counts once.
func TestEmulatorRedeliveredOutOfOrderCountsExact(t *testing.T) {
	c := emulatorClient(t)
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "pf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	uc := &command.Analytics{Store: store}
	var delivered atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var push pubsub.MessagePublishedData
		if err := json.NewDecoder(r.Body).Decode(&push); err != nil {
			t.Errorf("push body: %v", err)
			return
		}
		_, e, err := pubsub.Decode(r.Context(), push.Message.Data, push.Message.Attributes)
		if err != nil {
			t.Errorf("decode: %v", err)
			return
		}
		if _, err := uc.Aggregate(r.Context(), []event.Event{e}); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		delivered.Add(1)
	}))
	defer srv.Close()
	topic, _, _ := topicAndSub(t, c, 5, srv.URL)

	at := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	m := func(id, typ string) event.Meta {
		return event.Meta{ID: id, Type: typ, Version: 1, At: at, Actor: "u", Conference: "gc"}
	}
	events := []event.Event{
		attendee.SwipeRecorded{Meta: m("s1", attendee.TypeSwipeRecorded), UID: "ada", PartyID: "p1", Action: attendee.Like},
		attendee.SaveAdded{Meta: m("s2", attendee.TypeSaveAdded), UID: "ada", PartyID: "p1"},
		attendee.SwipeRecorded{Meta: m("s3", attendee.TypeSwipeRecorded), UID: "ada", PartyID: "p1", Action: attendee.Pass, Previous: attendee.Like},
		attendee.SaveRemoved{Meta: m("s4", attendee.TypeSaveRemoved), UID: "ada", PartyID: "p1"},
		attendee.SwipeRecorded{Meta: m("s5", attendee.TypeSwipeRecorded), UID: "bob", PartyID: "p1", Action: attendee.Like},
		interaction("v1", analytics.View),
	}
	var sends []*gps.Message
	for range 3 {
		for _, e := range events {
			msg, err := pubsub.Encode(t.Context(), e)
			if err != nil {
				t.Fatal(err)
			}
			msg.OrderingKey = "" // any order at all
			sends = append(sends, msg)
		}
	}
	mrand.Shuffle(len(sends), func(i, j int) { sends[i], sends[j] = sends[j], sends[i] })
	pub := c.Publisher(topic)
	defer pub.Stop()
	for _, msg := range sends {
		if _, err := pub.Publish(t.Context(), msg).Get(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for int(delivered.Load()) < len(sends) {
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s %d of %d deliveries", delivered.Load(), len(sends))
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, err := store.Stats(context.Background(), "p1")
	if err != nil {
		t.Fatal(err)
	}
	if want := (analytics.Counters{Views: 1, Likes: 1, Passes: 1}); st.Counters != want {
		t.Errorf("counters %+v after every event three times in any order, want %+v", st.Counters, want)
	}
}
