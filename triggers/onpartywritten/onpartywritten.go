// Package onpartywritten is the OnPartyWritten function: a Firestore
// trigger on parties/{partyId} that turns each write into the party
// domain's events and publishes them, so a party changed by any writer
// (the API, an import, the console, a script with the Admin SDK) reaches
// the handlers the same way.
//
// Each event's id derives from the CloudEvent's id, so a redelivered
// trigger publishes the same ids. A write made past the store (the
// console, the Admin SDK) took no position in its conference's order of
// changes; the handler has it recorded (Recorder), so delta sync and the
// change digest see it too.
package onpartywritten

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Change is a decoded write to a party document: the party before and
// after it (nil for no document).
type Change struct {
	PartyID       string
	Before, After *party.Party
}

// Decoder decodes the trigger's DocumentEventData; an Invalid error means
// it never will (the firestore adapter's DecodePartyChange).
type Decoder func(data []byte) (Change, error)

var tracer = otel.Tracer("github.com/partyfinder/partyfinder/triggers/onpartywritten")

// Recorder gives a write made past the store its position in the
// conference's order of changes (the firestore store's
// RecordOutsideWrite); it records nothing for a write that has one.
type Recorder interface {
	RecordOutsideWrite(ctx context.Context, before, after *party.Party) error
}

// Handler handles the function's CloudEvents.
type Handler struct {
	Decode Decoder
	Events event.Publisher
	Record Recorder // nil: writes past the store stay without a position
}

// Handle derives and publishes the events of one party document write,
// and has a write made past the store recorded. An undecodable event is
// acknowledged and logged (no retry changes a document's data); a failed
// publish or recording is returned so the trigger is retried (the events
// again with the same ids, the recording only if it did not happen).
func (h *Handler) Handle(ctx context.Context, ce cloudevent.Event) error {
	c, err := h.Decode(ce.Data())
	if err != nil {
		slog.ErrorContext(ctx, "OnPartyWritten: undecodable document event; dropped", "ceId", ce.ID(), "error", err)
		return nil
	}
	ctx, span := tracer.Start(ctx, "OnPartyWritten", trace.WithSpanKind(trace.SpanKindConsumer))
	defer span.End()
	at := ce.Time().UTC()
	if at.IsZero() {
		at = time.Now().UTC()
	}
	if events := Events(c, ce.ID(), at); len(events) > 0 {
		if err := h.Events.Publish(ctx, events...); err != nil {
			return fmt.Errorf("publish the events of %s: %w", ce.ID(), err)
		}
	}
	if h.Record != nil && party.Unrecorded(c.Before, c.After) {
		if err := h.Record.RecordOutsideWrite(ctx, c.Before, c.After); err != nil {
			return fmt.Errorf("record the write of %s: %w", ce.ID(), err)
		}
		slog.InfoContext(ctx, "OnPartyWritten: a write made past the store took its place in the order of changes", "party", c.PartyID, "ceId", ce.ID())
	}
	return nil
}

// Events derives the domain events of a party document write, with ids
// fs:<ceID>:<n>: created, updated, published or cancelled by the party
// domain's rule, or removed when the document was deleted.
func Events(c Change, ceID string, at time.Time) []event.Event {
	n := 0
	doc := c.After
	if doc == nil {
		doc = c.Before
	}
	if doc == nil {
		return nil
	}
	meta := func(typ string) event.Meta {
		n++
		return event.Meta{ID: fmt.Sprintf("fs:%s:%d", ceID, n), Type: typ, Version: party.EventVersion,
			At: at, Actor: event.System, Conference: doc.ConferenceID}
	}
	if c.After == nil {
		return []event.Event{party.RemovedEvent{Meta: meta(party.TypeRemoved), PartyID: c.Before.ID}}
	}
	return party.Events(c.Before, *c.After, meta)
}
