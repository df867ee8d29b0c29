package pubsub_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	gps "cloud.google.com/go/pubsub/v2"
	pb "cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/pubsub"
)

const project = "demo-party"

// client is a real Pub/Sub client on the in-process pstest server, with a
// topic and a subscription.
func client(t *testing.T) *gps.Client {
	t.Helper()
	srv := pstest.NewServer()
	t.Cleanup(func() { srv.Close() })
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c, err := gps.NewClient(t.Context(), project, option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.TopicAdminClient.CreateTopic(t.Context(), &pb.Topic{Name: "projects/" + project + "/topics/events"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubscriptionAdminClient.CreateSubscription(t.Context(), &pb.Subscription{
		Name: "projects/" + project + "/subscriptions/analytics", Topic: "projects/" + project + "/topics/events",
		EnableMessageOrdering: true,
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

func samples() []event.Event {
	at := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	m := func(id, typ string, v int) event.Meta {
		return event.Meta{ID: id, Type: typ, Version: v, At: at, Actor: "ada", Conference: "gamescom2025"}
	}
	return []event.Event{
		party.CreatedEvent{Meta: m("e1", party.TypeCreated, party.EventVersion), PartyID: "p1", Status: party.Published},
		party.UpdatedEvent{Meta: m("e2", party.TypeUpdated, party.EventVersion), PartyID: "p1", Changed: []string{"venue", "start"}},
		party.ImportAppliedEvent{Meta: m("e3", party.TypeImportApplied, party.EventVersion), Source: "sheet", Created: 3, Rejected: 1},
		attendee.SwipeRecorded{Meta: m("e4", attendee.TypeSwipeRecorded, attendee.EventVersion), UID: "ada", PartyID: "p1", Action: attendee.Pass, Previous: attendee.Like},
		attendee.SaveRemoved{Meta: m("e5", attendee.TypeSaveRemoved, attendee.EventVersion), UID: "ada", PartyID: "p1"},
		attendee.ProfileChanged{Meta: m("e6", attendee.TypeProfileChanged, attendee.EventVersion), UID: "ada", Changed: []string{"persona"}, Persona: attendee.Investor},
		analytics.Interaction{Meta: m("e7", analytics.TypeInteraction, analytics.EventVersion), Kind: analytics.Share, PartyID: "p1"},
	}
}

// Events published come back from a subscription as the same values, with
// their attributes, ordering key and the publisher's trace context.
func TestPublishRoundTrip(t *testing.T) {
	otel.SetTextMapPropagator(propagation.TraceContext{})
	c := client(t)
	pub := pubsub.NewPublisher(c, "events")
	defer pub.Stop()
	traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	spanID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(t.Context(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled}))
	want := samples()
	if err := pub.Publish(ctx, want...); err != nil {
		t.Fatal(err)
	}
	got := map[string]event.Event{}
	keys := map[string]string{}
	var mu sync.Mutex
	rctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	err := c.Subscriber("analytics").Receive(rctx, func(_ context.Context, m *gps.Message) {
		m.Ack()
		dctx, e, err := pubsub.Decode(context.Background(), m.Data, m.Attributes)
		if err != nil {
			t.Errorf("decode: %v", err)
			return
		}
		if sc := trace.SpanContextFromContext(dctx); sc.TraceID() != traceID {
			t.Errorf("trace id %s after the hop, want %s", sc.TraceID(), traceID)
		}
		mu.Lock()
		defer mu.Unlock()
		got[e.EventMeta().ID] = e
		keys[e.EventMeta().ID] = m.OrderingKey
		if m.Attributes[pubsub.AttrType] != e.EventMeta().Type || m.Attributes[pubsub.AttrID] != e.EventMeta().ID {
			t.Errorf("attributes %v for %+v", m.Attributes, e.EventMeta())
		}
		if len(got) == len(want) {
			cancel()
		}
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	for _, w := range want {
		id := w.EventMeta().ID
		if !reflect.DeepEqual(got[id], w) {
			t.Errorf("event %s came back as %#v, want %#v", id, got[id], w)
		}
	}
	for id, key := range map[string]string{"e1": "p1", "e4": "p1", "e6": "user:ada", "e3": "conference:gamescom2025"} {
		if keys[id] != key {
			t.Errorf("ordering key of %s = %q, want %q", id, keys[id], key)
		}
	}
}

func TestDecodeRefusesWhatItCannotRead(t *testing.T) {
	msg, err := pubsub.Encode(t.Context(), samples()[0])
	if err != nil {
		t.Fatal(err)
	}
	newer := map[string]string{}
	for k, v := range msg.Attributes {
		newer[k] = v
	}
	tests := map[string]struct {
		data  []byte
		attrs map[string]string
	}{
		"unknown type":  {msg.Data, map[string]string{pubsub.AttrType: "party.exploded"}},
		"not JSON":      {[]byte("{"), msg.Attributes},
		"ids disagree":  {msg.Data, map[string]string{pubsub.AttrType: party.TypeCreated, pubsub.AttrID: "other"}},
		"newer schema":  {[]byte(`{"ID":"e1","Type":"party.created","Version":99}`), map[string]string{pubsub.AttrType: party.TypeCreated}},
		"no attributes": {msg.Data, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, _, err := pubsub.Decode(t.Context(), tc.data, tc.attrs); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("Decode = %v, want Invalid", err)
			}
		})
	}
	if _, err := pubsub.Encode(t.Context(), struct{ event.Meta }{event.Meta{Type: "nope"}}); err == nil {
		t.Error("an event of an unknown type was encoded")
	}
}

// Delivery reads what a push states of its message's publication and
// delivery attempt, and nothing from what is not a push.
func TestDelivery(t *testing.T) {
	published := time.Date(2026, 8, 20, 18, 0, 0, 123000000, time.UTC)
	tests := []struct {
		name      string
		body      string
		published time.Time
		attempt   int
	}{
		{"with a dead-letter policy", `{"message":{"data":"e30=","messageId":"1","publishTime":"2026-08-20T18:00:00.123Z"},"subscription":"s","deliveryAttempt":3}`, published, 3},
		{"without one", `{"message":{"data":"e30=","messageId":"1","publishTime":"2026-08-20T18:00:00.123Z"},"subscription":"s"}`, published, 0},
		{"no publish time", `{"message":{"data":"e30="},"deliveryAttempt":2}`, time.Time{}, 2},
		{"not JSON", `attempt 3`, time.Time{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, a := pubsub.Delivery([]byte(tc.body))
			if !p.Equal(tc.published) || a != tc.attempt {
				t.Errorf("Delivery = %v, %d; want %v, %d", p, a, tc.published, tc.attempt)
			}
		})
	}
}
