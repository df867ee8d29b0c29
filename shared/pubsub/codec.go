// Package pubsub carries domain events on Google Cloud Pub/Sub: the
// Publisher port's cloud implementation and the codec that turns an event
// into a message and back (the envelope is adapter business: JSON data,
// attributes for type, schema version, event id and conference, the W3C
// trace context, and an ordering key that keeps one party's events in
// order).
package pubsub

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	gps "cloud.google.com/go/pubsub/v2"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Message attributes.
const (
	AttrType       = "eventType"
	AttrVersion    = "schemaVersion"
	AttrID         = "eventId"
	AttrConference = "conference"
)

// decoders turn message data back into the domain event of each type.
var decoders = map[string]func([]byte) (event.Event, error){}

func register[T event.Event](typ string, version int) {
	decoders[typ] = func(data []byte) (event.Event, error) {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		if got := v.EventMeta().Version; got > version {
			return nil, fmt.Errorf("schema version %d of %s is newer than this program's %d", got, typ, version)
		}
		return v, nil
	}
}

func init() {
	register[party.CreatedEvent](party.TypeCreated, party.EventVersion)
	register[party.UpdatedEvent](party.TypeUpdated, party.EventVersion)
	register[party.PublishedEvent](party.TypePublished, party.EventVersion)
	register[party.CancelledEvent](party.TypeCancelled, party.EventVersion)
	register[party.RemovedEvent](party.TypeRemoved, party.EventVersion)
	register[party.ImportAppliedEvent](party.TypeImportApplied, party.EventVersion)
	register[attendee.SwipeRecorded](attendee.TypeSwipeRecorded, attendee.EventVersion)
	register[attendee.SaveAdded](attendee.TypeSaveAdded, attendee.EventVersion)
	register[attendee.SaveRemoved](attendee.TypeSaveRemoved, attendee.EventVersion)
	register[attendee.ProfileChanged](attendee.TypeProfileChanged, attendee.EventVersion)
	register[attendee.UserErased](attendee.TypeUserErased, attendee.EventVersion)
	register[analytics.Interaction](analytics.TypeInteraction, analytics.EventVersion)
}

// OrderingKey keeps the events that must not pass each other in order:
// one party's events share its id, a user's events without a party their
// uid, the rest their conference.
func OrderingKey(e event.Event) string {
	switch e := e.(type) {
	case party.CreatedEvent:
		return e.PartyID
	case party.UpdatedEvent:
		return e.PartyID
	case party.PublishedEvent:
		return e.PartyID
	case party.CancelledEvent:
		return e.PartyID
	case party.RemovedEvent:
		return e.PartyID
	case attendee.SwipeRecorded:
		return e.PartyID
	case attendee.SaveAdded:
		return e.PartyID
	case attendee.SaveRemoved:
		return e.PartyID
	case attendee.ProfileChanged:
		return "user:" + e.UID
	case attendee.UserErased:
		return "user:" + e.UID
	case analytics.Interaction:
		if e.PartyID != "" {
			return e.PartyID
		}
	}
	return "conference:" + e.EventMeta().Conference
}

// Encode makes the message of an event, carrying ctx's trace context.
func Encode(ctx context.Context, e event.Event) (*gps.Message, error) {
	m := e.EventMeta()
	if _, ok := decoders[m.Type]; !ok {
		return nil, fmt.Errorf("encode event: unknown type %q", m.Type)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", m.Type, err)
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
	dec, ok := decoders[attrs[AttrType]]
	if !ok {
		return ctx, nil, apperr.New(apperr.Invalid, "unknown event type %q", attrs[AttrType])
	}
	e, err := dec(data)
	if err != nil {
		return ctx, nil, apperr.New(apperr.Invalid, "decode %s: %v", attrs[AttrType], err)
	}
	if id := attrs[AttrID]; id != "" && id != e.EventMeta().ID {
		return ctx, nil, apperr.New(apperr.Invalid, "event id %q in the attributes, %q in the data", id, e.EventMeta().ID)
	}
	return ctx, e, nil
}
