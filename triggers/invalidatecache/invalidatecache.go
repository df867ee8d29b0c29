// Package invalidatecache is the InvalidateCache function: a
// Pub/Sub-triggered CloudEvent function that, for every change to a
// conference's parties, raises the conference's shared revision (in
// Redis when configured, else in the store) and prebuilds its snapshot.
// Every instance checks that one revision instead of the store, and learns
// of the change at its next check; a cold instance loads the prebuilt
// snapshot in one read instead of reading every party.
//
// Raising a revision again changes nothing but one extra rebuild, so
// redeliveries are harmless. A failure to raise it is returned, so
// Pub/Sub retries (and at last dead-letters) the message: an instance
// must never keep a stale feed because a raise was lost.
package invalidatecache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Tier holds the per-conference revision instances check.
type Tier interface {
	// Bump raises the conference's revision and drops what is shared
	// for it.
	Bump(ctx context.Context, conferenceID string) error
}

// Prebuilder keeps a conference's snapshot ready for cold instances
// (the feed cache's Prebuild).
type Prebuilder interface {
	Prebuild(ctx context.Context, conferenceID string) error
}

// Decoder turns a messagePublished CloudEvent's data into the domain event
// it carries and ctx with the publisher's trace context
// (shared/pubsub.DecodePushed).
type Decoder func(ctx context.Context, data []byte) (context.Context, event.Event, error)

var tracer = otel.Tracer("github.com/partyfinder/partyfinder/triggers/invalidatecache")

// Handler handles the function's CloudEvents.
type Handler struct {
	Tier     Tier       // nil: no shared tier, nothing to do
	Prebuild Prebuilder // nil: no prebuilt snapshots
	Decode   Decoder

	mu       sync.Mutex
	building map[string]*flight // conferences being prebuilt
}

// flight is a prebuild in progress; again asks it to run once more,
// because another change came while it read the store.
type flight struct{ again bool }

// Handle invalidates what the event a Pub/Sub message carries changed.
func (h *Handler) Handle(ctx context.Context, ce cloudevent.Event) error {
	ctx, e, err := h.Decode(ctx, ce.Data())
	if err != nil {
		slog.ErrorContext(ctx, "InvalidateCache: undecodable message; it dead-letters after the subscription's attempts", "ceId", ce.ID(), "error", err)
		return fmt.Errorf("message %s: %w", ce.ID(), err)
	}
	ctx, span := tracer.Start(ctx, "InvalidateCache", trace.WithSpanKind(trace.SpanKindConsumer))
	defer span.End()
	m := e.EventMeta()
	span.SetAttributes(attribute.String("event.type", m.Type), attribute.String("event.id", m.ID))
	if err := h.Apply(ctx, []event.Event{e}); err != nil {
		return err
	}
	slog.DebugContext(ctx, "InvalidateCache: handled", "eventType", m.Type, "eventId", m.ID, "conference", m.Conference)
	return nil
}

// Apply raises the revision of every conference whose parties the events
// changed, once per conference, then prebuilds its snapshot. A prebuild
// that fails is logged only: a cold instance then reads the store.
func (h *Handler) Apply(ctx context.Context, events []event.Event) error {
	if h.Tier == nil {
		return nil // no shared tier: instances check the store itself
	}
	var errs []error
	for _, conf := range Conferences(events) {
		if err := h.Tier.Bump(ctx, conf); err != nil {
			errs = append(errs, fmt.Errorf("raise the revision of %s: %w", conf, err))
			continue
		}
		h.prebuild(ctx, conf)
	}
	return errors.Join(errs...)
}

// prebuild prebuilds a conference's snapshot, once for any number of
// changes that arrive while it runs: an import of 500 parties is 500
// messages, and reading every party once per message would cost 500 times
// what one read after the last costs. The caller that finds a prebuild
// running returns at once; the running one reads again after it.
func (h *Handler) prebuild(ctx context.Context, conf string) {
	if h.Prebuild == nil {
		return
	}
	h.mu.Lock()
	if f, ok := h.building[conf]; ok {
		f.again = true
		h.mu.Unlock()
		return
	}
	if h.building == nil {
		h.building = map[string]*flight{}
	}
	f := &flight{}
	h.building[conf] = f
	h.mu.Unlock()
	for {
		if err := h.Prebuild.Prebuild(ctx, conf); err != nil {
			slog.WarnContext(ctx, "InvalidateCache: snapshot not prebuilt; cold instances read the store", "conference", conf, "error", err)
		}
		h.mu.Lock()
		if !f.again {
			delete(h.building, conf)
			h.mu.Unlock()
			return
		}
		f.again = false
		h.mu.Unlock()
	}
}

// Conferences lists, once each and in order, the conferences whose
// public party data the events changed.
func Conferences(events []event.Event) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range events {
		if !party.ChangesFeed(e) {
			continue
		}
		if c := e.EventMeta().Conference; c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}
