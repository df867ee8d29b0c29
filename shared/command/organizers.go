package command

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/party"
)

// PartyStore is what the party use cases read and write.
type PartyStore interface {
	Party(ctx context.Context, id string) (party.Party, error)
	PartiesOf(ctx context.Context, conferenceID string) ([]party.Party, error)
	CreateParty(ctx context.Context, p party.Party) (party.Party, error)
	UpdateParty(ctx context.Context, id string, fn func(*party.Party) error) (party.Party, error)
	Conference(ctx context.Context, id string) (conference.Conference, error)
}

// DuplicateError is party.DuplicateError, for the callers of the use
// cases that name it here.
type DuplicateError = party.DuplicateError

// checkDuplicates returns a DuplicateError when p likely repeats a party
// of its conference c, unless force. It reports an override (force with
// likely duplicates), which the audit entry records with the closest one.
func (uc *Organizers) checkDuplicates(ctx context.Context, p party.Party, c conference.Conference, force bool) (overridden string, err error) {
	existing, err := uc.Store.PartiesOf(ctx, p.ConferenceID)
	if err != nil {
		return "", err
	}
	matches := party.Duplicates(p, existing, c.Location())
	if len(matches) == 0 {
		return "", nil
	}
	if force {
		return fmt.Sprintf("duplicate check overridden: likely a duplicate of %s (similarity %.2f)", matches[0].Party.ID, matches[0].Similarity), nil
	}
	return "", &party.DuplicateError{Matches: matches}
}

// Organizers are the use cases of organizers and admins: submit, edit,
// publish, reject and cancel parties. Each checks who may do it by the
// party domain's rules, writes in one transaction and publishes the
// party domain's events, so the event pipeline sees an organizer's edit
// exactly like an import's.
type Organizers struct {
	Store  PartyStore
	Events event.Publisher // nil: events are returned, not sent
	Stamp  event.Stamper
}

// Submit stores a new party for who: owned by them, pending moderation
// unless they are an admin or trusted. With an idempotency key, the
// party's id derives from who and the key, so a retried submission finds
// the first one: the same party again is answered with it (created
// false), another party under the same key is KeyReused.
func (uc *Organizers) Submit(ctx context.Context, who identity.Identity, p party.Party, idempotencyKey string, force bool) (party.Party, bool, []event.Event, error) {
	if err := party.MaySubmit(who); err != nil {
		return party.Party{}, false, nil, err
	}
	p.ID = newPartyID(p.ConferenceID, who.UID, idempotencyKey)
	p.Owner, p.Source, p.Status, p.Note = who.UID, "organizer", party.SubmittedStatus(who), ""
	c, err := uc.conference(ctx, p.ConferenceID)
	if err != nil {
		return party.Party{}, false, nil, err
	}
	if p, err = party.NewIn(p, c); err != nil {
		return party.Party{}, false, nil, err
	}
	if idempotencyKey != "" {
		// A retry must find its first party, not be refused as its duplicate.
		if first, err := uc.Store.Party(ctx, p.ID); err == nil {
			if first.Owner == who.UID && first.Equal(withStatusOf(p, first)) {
				return first, false, nil, nil
			}
			return party.Party{}, false, nil, apperr.New(apperr.KeyReused, "this Idempotency-Key was used for another party")
		}
	}
	override, err := uc.checkDuplicates(ctx, p, c, force)
	if err != nil {
		return party.Party{}, false, nil, err
	}
	ctx, pending := event.WithPending(ctx)
	events := party.Events(nil, p, uc.meta(who, p.ConferenceID))
	pending.Set(events...)
	ctx, trail := audit.WithPending(ctx)
	entry := audit.New(uc.Stamp.Time(), who.UID, audit.PartySubmitted, p.ConferenceID, p.ID)
	entry.After, entry.Forced, entry.Note = audit.OfParty(p), override != "", override
	trail.Set(entry)
	created, err := uc.Store.CreateParty(ctx, p)
	if apperr.Is(err, apperr.Conflict) && idempotencyKey != "" {
		first, gerr := uc.Store.Party(ctx, p.ID)
		if gerr != nil {
			return party.Party{}, false, nil, gerr
		}
		if first.Owner == who.UID && first.Equal(withStatusOf(p, first)) {
			return first, false, nil, nil
		}
		return party.Party{}, false, nil, apperr.New(apperr.KeyReused, "this Idempotency-Key was used for another party")
	}
	if err != nil {
		return party.Party{}, false, nil, err
	}
	return created, true, uc.publish(ctx, events), nil
}

// withStatusOf returns p with the moderation state of first: a retry
// compares what was sent, not what moderation did since.
func withStatusOf(p, first party.Party) party.Party {
	p.Status, p.Note = first.Status, first.Note
	return p
}

// Edit changes a party who may change, against the version they last
// saw: Stale when it changed meanwhile. The id, conference, owner and
// moderation state are not edited here.
func (uc *Organizers) Edit(ctx context.Context, who identity.Identity, id string, version int64, force bool, edit func(*party.Party) error) (party.Party, []event.Event, error) {
	return uc.change(ctx, who, id, version, party.MayChange, audit.PartyEdited, func(p *party.Party, e *audit.Entry) error {
		status, note, owner, source := p.Status, p.Note, p.Owner, p.Source
		before := p.Clone()
		if err := edit(p); err != nil {
			return err
		}
		p.Status, p.Note, p.Owner, p.Source = status, note, owner, source
		c, err := uc.conference(ctx, p.ConferenceID)
		if err != nil {
			return err
		}
		if err := p.ValidateIn(c); err != nil {
			return err
		}
		if p.Start.Equal(before.Start) && p.Title == before.Title && p.Venue == before.Venue && p.Address == before.Address {
			return nil // what makes a duplicate did not change
		}
		override, err := uc.checkDuplicates(ctx, *p, c, force)
		e.Forced, e.Note = override != "", override
		return err
	})
}

// Cancel calls a party off (its organizer or an admin).
func (uc *Organizers) Cancel(ctx context.Context, who identity.Identity, id string, version int64, reason string) (party.Party, []event.Event, error) {
	return uc.change(ctx, who, id, version, party.MayChange, audit.PartyCancelled, func(p *party.Party, e *audit.Entry) error {
		e.Note = reason
		return p.Cancel(reason)
	})
}

// Remove takes a party down (admins), leaving a tombstone
// (party.Remove) and a RemovedEvent.
func (uc *Organizers) Remove(ctx context.Context, who identity.Identity, id string, version int64) (party.Party, []event.Event, error) {
	return uc.changeWith(ctx, who, id, version, mayModerate, audit.PartyRemoved, func(p *party.Party, _ *audit.Entry) error { p.Remove(""); return nil }, true)
}

// Publish makes a party public (admins).
func (uc *Organizers) Publish(ctx context.Context, who identity.Identity, id string, version int64) (party.Party, []event.Event, error) {
	return uc.change(ctx, who, id, version, mayModerate, audit.PartyPublished, func(p *party.Party, _ *audit.Entry) error { return p.Publish() })
}

// Reject refuses a waiting party (admins).
func (uc *Organizers) Reject(ctx context.Context, who identity.Identity, id string, version int64, reason string) (party.Party, []event.Event, error) {
	return uc.change(ctx, who, id, version, mayModerate, audit.PartyRejected, func(p *party.Party, e *audit.Entry) error {
		e.Note = reason
		return p.Reject(reason)
	})
}

func mayModerate(who identity.Identity, _ party.Party) error { return party.MayModerate(who) }

// change loads the party, checks who may change it and the version they
// saw, applies fn and stores the result in one transaction, with its
// audit entry of action (fn may add a note or the forced flag). Version 0
// skips the version check (the state changes may be sent without one).
func (uc *Organizers) change(ctx context.Context, who identity.Identity, id string, version int64,
	may func(identity.Identity, party.Party) error, action string, fn func(*party.Party, *audit.Entry) error) (party.Party, []event.Event, error) {
	return uc.changeWith(ctx, who, id, version, may, action, fn, false)
}

// changeWith is change; removed adds the RemovedEvent of a take-down.
func (uc *Organizers) changeWith(ctx context.Context, who identity.Identity, id string, version int64,
	may func(identity.Identity, party.Party) error, action string, fn func(*party.Party, *audit.Entry) error, removed bool) (party.Party, []event.Event, error) {
	var before party.Party
	var events []event.Event
	ctx, pending := event.WithPending(ctx)
	ctx, trail := audit.WithPending(ctx)
	after, err := uc.Store.UpdateParty(ctx, id, func(p *party.Party) error {
		before = p.Clone()
		if err := may(who, *p); err != nil {
			return err
		}
		if version != 0 && p.Version != version {
			return apperr.New(apperr.Stale, "the party changed since version %d (it is at version %d): load it again", version, p.Version)
		}
		entry := audit.New(uc.Stamp.Time(), who.UID, action, p.ConferenceID, p.ID)
		if err := fn(p, &entry); err != nil {
			return err
		}
		entry.Before, entry.After = audit.OfParty(before), audit.OfParty(*p)
		trail.Set(entry)
		meta := uc.meta(who, p.ConferenceID)
		events = party.Events(&before, *p, meta)
		if removed {
			events = append(events, party.RemovedEvent{Meta: meta(party.TypeRemoved), PartyID: p.ID})
		}
		pending.Set(events...)
		return nil
	})
	if err != nil {
		return party.Party{}, nil, err
	}
	if after.Version == before.Version {
		return after, nil, nil // nothing changed, nothing written
	}
	return after, uc.publish(ctx, events), nil
}

// conference loads the conference a party is written to: an id that
// names none is the write's mistake, a 400 naming the field.
func (uc *Organizers) conference(ctx context.Context, id string) (conference.Conference, error) {
	c, err := uc.Store.Conference(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return conference.Conference{}, apperr.Field("conference", "unknown", "names no conference")
	}
	return c, err
}

func (uc *Organizers) meta(who identity.Identity, conference string) func(string) event.Meta {
	return func(typ string) event.Meta { return uc.Stamp.Meta(typ, party.EventVersion, who.UID, conference) }
}

func (uc *Organizers) publish(ctx context.Context, events []event.Event) []event.Event {
	publish(ctx, uc.Events, events)
	return events
}

// newPartyID returns a new party's id: random, or, with an idempotency
// key, derived from the submitter and the key, so a retry maps to the
// same party.
func newPartyID(conferenceID, uid, key string) string {
	if key == "" {
		b := make([]byte, 8)
		rand.Read(b)
		return conferenceID + "-u" + hex.EncodeToString(b)
	}
	h := sha256.Sum256([]byte(conferenceID + "\x00" + uid + "\x00" + key))
	return conferenceID + "-u" + hex.EncodeToString(h[:8])
}
