// Package event holds what every domain event carries and the port through
// which events leave the use case that caused them.
//
// Domain events are plain data: each domain package declares its own event
// types (party.Created, attendee.SwipeRecorded, ...) embedding Meta. How an
// event travels (in this process, or on Pub/Sub with attributes, ordering
// key and trace context) is an adapter's business.
package event

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"
)

// System is the actor of changes no signed-in user made, such as an import
// from the command line.
const System = "system"

// Meta is what every domain event has.
type Meta struct {
	ID         string    // unique per event; a redelivery keeps it, so handlers dedupe by it
	Type       string    // what happened, e.g. "party.created"
	Version    int       // the schema version of the event's payload
	At         time.Time // when it happened, UTC
	Actor      string    // uid of the user who caused it, or System
	Conference string    // the conference it concerns; "" for a user's erasure
}

// EventMeta returns the event's metadata; embedding Meta makes a struct an Event.
func (m Meta) EventMeta() Meta { return m }

// Event is a domain event: a fact that happened, named in the past tense.
type Event interface {
	EventMeta() Meta
}

// Publisher sends events to whoever listens: the in-process bus on one
// machine, Pub/Sub in the cloud. Publish is called after the change is
// stored; an error means some subscriber may not have heard of it.
type Publisher interface {
	Publish(ctx context.Context, events ...Event) error
}

// Stamper makes the Meta of new events. Its fields are seams for tests;
// the zero Stamper uses the clock and random ids.
type Stamper struct {
	Now   func() time.Time
	NewID func() string
}

// Meta returns the metadata of an event of type typ and schema version v
// happening now.
func (s Stamper) Meta(typ string, v int, actor, conference string) Meta {
	id := NewID
	if s.NewID != nil {
		id = s.NewID
	}
	return Meta{ID: id(), Type: typ, Version: v, At: s.Time().UTC(), Actor: actor, Conference: conference}
}

// Time returns the stamper's current time: its Now, else the clock's.
func (s Stamper) Time() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// NewID returns a random 128-bit event id in hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// Discard is a Publisher that drops every event: for tools that have no
// one to tell.
type Discard struct{}

// Publish drops the events.
func (Discard) Publish(context.Context, ...Event) error { return nil }

// Fanout publishes to every publisher in turn: to this process's bus and
// to the cloud's topic, say. Each gets every event; the errors are joined.
type Fanout []Publisher

// Publish publishes to each publisher.
func (f Fanout) Publish(ctx context.Context, events ...Event) error {
	var errs []error
	for _, p := range f {
		if err := p.Publish(ctx, events...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Filter publishes only the events Keep selects.
type Filter struct {
	Publisher Publisher
	Keep      func(Event) bool
}

// Publish publishes the kept events, if any.
func (f Filter) Publish(ctx context.Context, events ...Event) error {
	var kept []Event
	for _, e := range events {
		if f.Keep(e) {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	return f.Publisher.Publish(ctx, kept...)
}
