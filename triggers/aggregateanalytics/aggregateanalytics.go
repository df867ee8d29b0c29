// Package aggregateanalytics is the AggregateAnalytics function: a
// Pub/Sub-triggered CloudEvent function that counts the domain events on
// the events topic into the analytics store.
//
// Delivery is at least once and, across ordering keys, in any order; the
// store applies each event id once, in the same transaction as the
// counters, so redeliveries change nothing. Every failure is returned, so
// Pub/Sub retries the message with backoff and, after the subscription's
// maximum attempts, moves it to the dead-letter topic. That holds for a
// message that can never be read too (an event type newer than this
// release, a damaged payload): kept there, it can be inspected and
// replayed after a fix instead of being lost.
package aggregateanalytics

import (
	"context"
	"fmt"
	"log/slog"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/partyfinder/partyfinder/shared/event"
)

// Aggregator counts events: the AggregateAnalytics use case.
type Aggregator interface {
	Aggregate(ctx context.Context, events []event.Event) (int, error)
}

// Decoder turns a messagePublished CloudEvent's data into the domain event
// it carries and ctx with the publisher's trace context
// (shared/pubsub.DecodePushed).
type Decoder func(ctx context.Context, data []byte) (context.Context, event.Event, error)

var tracer = otel.Tracer("github.com/partyfinder/partyfinder/triggers/aggregateanalytics")

// Handler handles the function's CloudEvents.
type Handler struct {
	Analytics Aggregator
	Decode    Decoder
}

// Handle counts the event a Pub/Sub message carries.
func (h *Handler) Handle(ctx context.Context, ce cloudevent.Event) error {
	ctx, e, err := h.Decode(ctx, ce.Data())
	if err != nil {
		slog.ErrorContext(ctx, "AggregateAnalytics: undecodable message; it dead-letters after the subscription's attempts", "ceId", ce.ID(), "error", err)
		return fmt.Errorf("message %s: %w", ce.ID(), err)
	}
	ctx, span := tracer.Start(ctx, "AggregateAnalytics", trace.WithSpanKind(trace.SpanKindConsumer))
	defer span.End()
	m := e.EventMeta()
	span.SetAttributes(attribute.String("event.type", m.Type), attribute.String("event.id", m.ID))
	n, err := h.Analytics.Aggregate(ctx, []event.Event{e})
	if err != nil {
		return fmt.Errorf("aggregate %s %s: %w", m.Type, m.ID, err)
	}
	slog.DebugContext(ctx, "AggregateAnalytics: handled", "eventType", m.Type, "eventId", m.ID, "new", n)
	return nil
}
