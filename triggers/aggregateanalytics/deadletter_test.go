package aggregateanalytics_test

import (
	"context"
	"sync"
	"testing"
	"time"

	gps "cloud.google.com/go/pubsub/v2"
	pb "cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/pubsub"
	"github.com/partyfinder/partyfinder/triggers/aggregateanalytics"
)

// A message no attempt can handle (an event type this release does not
// know) is delivered the subscription's maximum number of times and then
// lands in the dead-letter topic, intact, while a good message beside it
// is counted once. Pub/Sub's own fake runs the dead-letter policy; the
// official emulator honours the attempt count but forwards nothing.
func TestPoisonMessageEndsInTheDeadLetterTopic(t *testing.T) {
	srv := pstest.NewServer()
	t.Cleanup(func() { srv.Close() })
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	const project = "demo-party"
	c, err := gps.NewClient(t.Context(), project, option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := t.Context()
	name := func(kind, id string) string { return "projects/" + project + "/" + kind + "/" + id }
	for _, id := range []string{"events", "events-dead"} {
		if _, err := c.TopicAdminClient.CreateTopic(ctx, &pb.Topic{Name: name("topics", id)}); err != nil {
			t.Fatal(err)
		}
	}
	const maxAttempts = 5
	for _, s := range []*pb.Subscription{
		{Name: name("subscriptions", "aggregate"), Topic: name("topics", "events"), AckDeadlineSeconds: 10,
			DeadLetterPolicy: &pb.DeadLetterPolicy{DeadLetterTopic: name("topics", "events-dead"), MaxDeliveryAttempts: maxAttempts}},
		{Name: name("subscriptions", "dead"), Topic: name("topics", "events-dead"), AckDeadlineSeconds: 10},
	} {
		if _, err := c.SubscriptionAdminClient.CreateSubscription(ctx, s); err != nil {
			t.Fatal(err)
		}
	}

	pub := pubsub.NewPublisher(c, "events")
	good := analytics.Interaction{Meta: event.Meta{ID: "share-1", Type: analytics.TypeInteraction, Version: analytics.EventVersion, At: at, Conference: "gc"},
		Kind: analytics.Share, PartyID: "p1"}
	if err := pub.Publish(ctx, good); err != nil {
		t.Fatal(err)
	}
	pub.Stop()
	poison := c.Publisher("events")
	if _, err := poison.Publish(ctx, &gps.Message{Data: []byte(`{"id":"x"}`),
		Attributes: map[string]string{pubsub.AttrType: "party.exploded", pubsub.AttrVersion: "1"}}).Get(ctx); err != nil {
		t.Fatal(err)
	}
	poison.Stop()

	s := store(t)
	h := &aggregateanalytics.Handler{Analytics: &command.Analytics{Store: s}, Decode: pubsub.DecodePushed}
	var mu sync.Mutex
	attempts := map[string]int{}
	recvCtx, stop := context.WithCancel(ctx)
	defer stop()
	go c.Subscriber("aggregate").Receive(recvCtx, func(ctx context.Context, m *gps.Message) {
		var d pubsub.MessagePublishedData
		d.Message.Data, d.Message.Attributes, d.Message.MessageID = m.Data, m.Attributes, m.ID
		ce := cloudevent.New()
		ce.SetID(m.ID)
		ce.SetType("google.cloud.pubsub.topic.v1.messagePublished")
		ce.SetSource("//pubsub.googleapis.com/" + name("topics", "events"))
		_ = ce.SetData("application/json", d)
		mu.Lock()
		attempts[m.Attributes[pubsub.AttrType]]++
		mu.Unlock()
		if err := h.Handle(ctx, ce); err != nil {
			m.Nack() // what a function's error answer does to a push delivery
			return
		}
		m.Ack()
	})

	deadCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var dead *gps.Message
	err = c.Subscriber("dead").Receive(deadCtx, func(_ context.Context, m *gps.Message) {
		m.Ack()
		dead = m
		cancel()
	})
	if err != nil {
		t.Fatal(err)
	}
	if dead == nil {
		t.Fatal("no message reached the dead-letter topic within 60 s")
	}
	if got := dead.Attributes[pubsub.AttrType]; got != "party.exploded" || string(dead.Data) != `{"id":"x"}` {
		t.Errorf("dead-lettered %q %s, want the poison message intact", got, dead.Data)
	}
	mu.Lock()
	n := attempts["party.exploded"]
	mu.Unlock()
	if n != maxAttempts {
		t.Errorf("the poison message was tried %d times before dead-lettering, want %d", n, maxAttempts)
	}
	st, err := s.Stats(ctx, "p1")
	if err != nil || st.Counters.Shares != 1 {
		t.Errorf("shares = %d (%v): the good message beside the poison one must count once", st.Counters.Shares, err)
	}
}
