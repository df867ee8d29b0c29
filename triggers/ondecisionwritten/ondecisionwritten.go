// Package ondecisionwritten is the OnDecisionWritten function: a Firestore
// trigger on users/{uid}/swipes/{partyId} and users/{uid}/saves/{partyId}
// that turns each write into the attendee domain's events and publishes
// them, so a swipe or save written straight to Firestore (the rules allow
// a user's own) is counted exactly like one made through the API.
//
// Each event's id derives from the CloudEvent's id, so a redelivered
// trigger publishes the same ids and the handlers downstream count it once.
package ondecisionwritten

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Change is a decoded write to a swipe or save document.
type Change struct {
	UID, PartyID string
	Swipe        [2]*attendee.Swipe // before, after; both nil for a save
	Save         [2]*attendee.Save  // before, after; both nil for a swipe
	Trace        string             // W3C traceparent of the writing request, if any
}

// Decoder decodes the trigger's DocumentEventData; an Invalid error means
// it never will (the firestore adapter's DecodeDecisionChange).
type Decoder func(data []byte) (Change, error)

// Parties finds the party a decision is about, for its conference.
type Parties interface {
	Party(ctx context.Context, id string) (party.Party, error)
}

var tracer = otel.Tracer("github.com/partyfinder/partyfinder/triggers/ondecisionwritten")

// Handler handles the function's CloudEvents.
type Handler struct {
	Decode  Decoder
	Parties Parties
	Events  event.Publisher
}

// Handle derives and publishes the events of one document write. An
// undecodable event is acknowledged and logged; a failed publish is
// returned so the trigger is retried.
func (h *Handler) Handle(ctx context.Context, ce cloudevent.Event) error {
	c, err := h.Decode(ce.Data())
	if err != nil {
		slog.ErrorContext(ctx, "OnDecisionWritten: undecodable document event; dropped", "ceId", ce.ID(), "error", err)
		return nil
	}
	if c.Trace != "" {
		// The request that wrote the document left its trace context there.
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": c.Trace})
	}
	ctx, span := tracer.Start(ctx, "OnDecisionWritten", trace.WithSpanKind(trace.SpanKindConsumer))
	defer span.End()
	conference := ""
	p, err := h.Parties.Party(ctx, c.PartyID)
	switch {
	case err == nil:
		conference = p.ConferenceID
	case !apperr.Is(err, apperr.NotFound):
		return fmt.Errorf("party %s: %w", c.PartyID, err)
	}
	at := ce.Time().UTC()
	if at.IsZero() {
		at = time.Now().UTC()
	}
	n := 0
	meta := func(typ string) event.Meta {
		n++
		return event.Meta{ID: fmt.Sprintf("fs:%s:%d", ce.ID(), n), Type: typ, Version: attendee.EventVersion,
			At: at, Actor: c.UID, Conference: conference}
	}
	events := attendee.SwipeEvents(c.Swipe[0], c.Swipe[1], meta)
	events = append(events, attendee.SaveEvents(c.UID, c.PartyID, c.Save[0], c.Save[1], meta)...)
	if len(events) == 0 {
		return nil
	}
	if err := h.Events.Publish(ctx, events...); err != nil {
		return fmt.Errorf("publish the events of %s: %w", ce.ID(), err)
	}
	return nil
}
