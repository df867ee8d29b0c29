// Package aggregateanalytics is the AggregateAnalytics function: a
// Pub/Sub-triggered CloudEvent function that counts the domain events on
// the events topic into the analytics store.
//
// Delivery is at least once and, across ordering keys, in any order; the
// store applies each event id once, in the same transaction as the
// counters, so redeliveries change nothing. A message that can never be
// decoded is acknowledged and logged (returning nil: a retry cannot help);
// a store failure is returned, so Pub/Sub retries it and, after the
// subscription's maximum attempts, moves it to the dead-letter topic.
package aggregateanalytics

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/event"
)

// Aggregator counts events: the AggregateAnalytics use case.
type Aggregator interface {
	Aggregate(ctx context.Context, events []event.Event) (int, error)
}

// MessagePublishedData is the payload of a
// google.cloud.pubsub.topic.v1.messagePublished CloudEvent.
type MessagePublishedData struct {
	Message struct {
		Data        []byte            `json:"data"` // base64 in JSON
		Attributes  map[string]string `json:"attributes"`
		MessageID   string            `json:"messageId"`
		PublishTime string            `json:"publishTime"`
	} `json:"message"`
	Subscription string `json:"subscription"`
}

// Decoder turns a message's data and attributes into the domain event it
// carries and the trace context it was sent with; an Invalid error means
// it never will (shared/pubsub.Decode).
type Decoder func(ctx context.Context, data []byte, attrs map[string]string) (context.Context, event.Event, error)

// Handler handles the function's CloudEvents.
type Handler struct {
	Analytics Aggregator
	Decode    Decoder
}

// Handle counts the event a Pub/Sub message carries.
func (h *Handler) Handle(ctx context.Context, ce cloudevent.Event) error {
	var msg MessagePublishedData
	if err := json.Unmarshal(ce.Data(), &msg); err != nil {
		slog.ErrorContext(ctx, "AggregateAnalytics: not a Pub/Sub message; dropped", "ceId", ce.ID(), "error", err)
		return nil
	}
	ctx, e, err := h.Decode(ctx, msg.Message.Data, msg.Message.Attributes)
	if err != nil {
		slog.ErrorContext(ctx, "AggregateAnalytics: undecodable event; dropped", "messageId", msg.Message.MessageID, "error", err)
		return nil
	}
	if _, err := h.Analytics.Aggregate(ctx, []event.Event{e}); err != nil {
		if apperr.Is(err, apperr.Invalid) {
			slog.ErrorContext(ctx, "AggregateAnalytics: event refused; dropped", "eventId", e.EventMeta().ID, "error", err)
			return nil
		}
		return fmt.Errorf("aggregate %s %s: %w", e.EventMeta().Type, e.EventMeta().ID, err)
	}
	return nil
}
