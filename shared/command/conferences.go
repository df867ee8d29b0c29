package command

import (
	"context"
	"strings"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/party"
)

// ConferenceStore is what the conference use cases read and write.
type ConferenceStore interface {
	Conference(ctx context.Context, id string) (conference.Conference, error)
	CreateConference(ctx context.Context, c conference.Conference) (conference.Conference, error)
	UpdateConference(ctx context.Context, id string, fn func(*conference.Conference) error) (conference.Conference, error)
}

// Conferences are the admins' conference use cases: create one and change
// its details. Each writes its audit entry and events with the change.
type Conferences struct {
	Store  ConferenceStore
	Events event.Publisher // nil: events are returned, not sent
	Stamp  event.Stamper
}

// Create stores a new conference (admins) and reports whether it did. A
// retry (the request carried an Idempotency-Key) that finds the same
// conference stored is answered with it (created false); one that finds
// another conference under the id is KeyReused. Without retry an existing
// id is Conflict.
func (uc *Conferences) Create(ctx context.Context, who identity.Identity, c conference.Conference, retry bool) (conference.Conference, bool, error) {
	created, err := uc.create(ctx, who, c)
	if err == nil || !retry || !apperr.Is(err, apperr.Conflict) {
		return created, err == nil, err
	}
	first, gerr := uc.Store.Conference(ctx, c.ID)
	if gerr != nil {
		return conference.Conference{}, false, gerr
	}
	if !first.Equal(c) {
		return conference.Conference{}, false, apperr.New(apperr.KeyReused, "conference %q exists with other details: this Idempotency-Key was used for another conference", c.ID)
	}
	return first, false, nil
}

func (uc *Conferences) create(ctx context.Context, who identity.Identity, c conference.Conference) (conference.Conference, error) {
	if err := party.MayModerate(who); err != nil {
		return conference.Conference{}, err
	}
	if err := c.Validate(); err != nil {
		return conference.Conference{}, err
	}
	events := []event.Event{conference.CreatedEvent{Meta: uc.Stamp.Meta(conference.TypeCreated, conference.EventVersion, who.UID, c.ID)}}
	ctx, pending := event.WithPending(ctx)
	pending.Set(events...)
	ctx, trail := audit.WithPending(ctx)
	entry := audit.New(uc.Stamp.Time(), who.UID, audit.ConferenceCreated, c.ID, "")
	entry.After = audit.OfConference(c)
	trail.Set(entry)
	created, err := uc.Store.CreateConference(ctx, c)
	if err != nil {
		return conference.Conference{}, err
	}
	publish(ctx, uc.Events, events)
	return created, nil
}

// Update changes a conference's details (admins); fn edits a copy. A
// change of its days leaves its parties as they are: each keeps its
// instant, and the feed shows it on whichever day it now falls.
func (uc *Conferences) Update(ctx context.Context, who identity.Identity, id string, fn func(*conference.Conference) error) (conference.Conference, error) {
	if err := party.MayModerate(who); err != nil {
		return conference.Conference{}, err
	}
	var events []event.Event
	ctx, pending := event.WithPending(ctx)
	ctx, trail := audit.WithPending(ctx)
	var before conference.Conference
	after, err := uc.Store.UpdateConference(ctx, id, func(c *conference.Conference) error {
		before = c.Clone()
		if err := fn(c); err != nil {
			return err
		}
		changed := c.Changes(before)
		events = []event.Event{conference.UpdatedEvent{
			Meta:    uc.Stamp.Meta(conference.TypeUpdated, conference.EventVersion, who.UID, id),
			Changed: changed,
		}}
		pending.Set(events...)
		entry := audit.New(uc.Stamp.Time(), who.UID, audit.ConferenceUpdated, id, "")
		entry.Before, entry.After, entry.Note = audit.OfConference(before), audit.OfConference(*c), strings.Join(changed, ", ")
		trail.Set(entry)
		return nil
	})
	if err != nil {
		return conference.Conference{}, err
	}
	if after.UpdatedAt.Equal(before.UpdatedAt) {
		return after, nil // nothing changed, nothing written
	}
	publish(ctx, uc.Events, events)
	return after, nil
}
