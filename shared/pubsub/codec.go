// Package pubsub carries domain events on Google Cloud Pub/Sub: the
// Publisher port's cloud implementation and the codec that turns an event
// into a message and back (the envelope is adapter business: JSON data,
// attributes for type, schema version, event id and conference, the W3C
// trace context, and an ordering key that keeps one party's events in
// order).
package pubsub

import (
	"context"
	"reflect"
	"strconv"

	gps "cloud.google.com/go/pubsub/v2"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/eventwire"
)

// Message attributes.
const (
	AttrType       = "eventType"
	AttrVersion    = "schemaVersion"
	AttrID         = "eventId"
	AttrConference = "conference"
)

// OrderingKey keeps the events that must not pass each other in order:
// one party's events share its id, a user's events without a party their
// uid, the rest their conference. Domain events name these fields PartyID
// and UID.
func OrderingKey(e event.Event) string {
	v := reflect.Indirect(reflect.ValueOf(e))
	field := func(name string) string {
		if v.Kind() != reflect.Struct {
			return ""
		}
		if f := v.FieldByName(name); f.IsValid() && f.Kind() == reflect.String {
			return f.String()
		}
		return ""
	}
	if id := field("PartyID"); id != "" {
		return id
	}
	if uid := field("UID"); uid != "" {
		return "user:" + uid
	}
	return "conference:" + e.EventMeta().Conference
}

// Encode makes the message of an event, carrying ctx's trace context.
func Encode(ctx context.Context, e event.Event) (*gps.Message, error) {
	m := e.EventMeta()
	data, err := eventwire.Marshal(e)
	if err != nil {
		return nil, err
	}
	attrs := map[string]string{AttrType: m.Type, AttrVersion: strconv.Itoa(m.Version), AttrID: m.ID, AttrConference: m.Conference}
	otel.GetTextMapPropagator().Inject(ctx, propagation.MapCarrier(attrs))
	return &gps.Message{Data: data, Attributes: attrs, OrderingKey: OrderingKey(e)}, nil
}

// Decode turns a message's data and attributes back into the domain
// event, and returns ctx with the trace context the publisher sent. An
// Invalid error means the message can never be decoded: retrying it will
// not help.
func Decode(ctx context.Context, data []byte, attrs map[string]string) (context.Context, event.Event, error) {
	ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.MapCarrier(attrs))
	e, err := eventwire.Unmarshal(attrs[AttrType], data)
	if err != nil {
		return ctx, nil, err
	}
	if id := attrs[AttrID]; id != "" && id != e.EventMeta().ID {
		return ctx, nil, apperr.New(apperr.Invalid, "event id %q in the attributes, %q in the data", id, e.EventMeta().ID)
	}
	return ctx, e, nil
}
