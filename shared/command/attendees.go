package command

import (
	"context"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Attendees are the use cases of a signed-in attendee: swipes, saves,
// profile changes, the personal calendar link and erasure.
type Attendees struct {
	Parties        Parties
	Store          attendee.Repository
	Events         event.Publisher // nil: events are returned, not sent
	Stamp          event.Stamper   // clock and event ids
	CalendarSecret []byte          // derives calendar tokens; nil: links are not configured
}

func (a *Attendees) now() time.Time {
	if a.Stamp.Now != nil {
		return a.Stamp.Now()
	}
	return time.Now()
}

func (a *Attendees) meta(typ, uid, conference string) event.Meta {
	return a.Stamp.Meta(typ, attendee.EventVersion, uid, conference)
}

// metaOf makes the metadata of uid's events about a party of conference
// (the domain functions that derive the events ask for it by type).
func (a *Attendees) metaOf(uid, conference string) func(typ string) event.Meta {
	return func(typ string) event.Meta { return a.meta(typ, uid, conference) }
}

// RecordSwipe records the attendee's decision about an open party: like
// and interested save it, pass unsaves it. A decision repeated (a double
// tap, a client's retry) changes nothing and publishes no event. NotFound
// for a party that is not public, Conflict for a cancelled one; nothing is
// written then.
func (a *Attendees) RecordSwipe(ctx context.Context, uid, partyID string, action attendee.Action) (attendee.SwipeResult, []event.Event, error) {
	p, err := openParty(ctx, a.Parties, partyID)
	if err != nil {
		return attendee.SwipeResult{}, nil, err
	}
	now := a.now()
	// A repeated decision is answered from a plain read, without a write
	// transaction: one user tapping the same card again and again must not
	// queue transactions on their own decision's documents.
	cur, err := a.Store.Decision(ctx, uid, p.ID)
	if err != nil {
		return attendee.SwipeResult{}, nil, err
	}
	if res := cur.Record(action, now); res.Unchanged {
		return res, nil, nil
	}
	var res attendee.SwipeResult
	var events []event.Event
	ctx, pending := event.WithPending(ctx)
	if _, err := a.Store.UpdateDecision(ctx, uid, p.ID, func(d *attendee.Decision) error {
		before := *d
		res = d.Record(action, now) // repeated since the read: unchanged, no events
		events = attendee.Events(before, *d, a.metaOf(uid, p.ConferenceID))
		pending.Set(events...)
		return nil
	}); err != nil {
		return attendee.SwipeResult{}, nil, err
	}
	publish(ctx, a.Events, events)
	return res, events, nil
}

// AddSave puts an open party on the attendee's list; it reports false when
// it was there already (answered from a plain read, as a repeated swipe
// is). NotFound and Conflict as for RecordSwipe.
func (a *Attendees) AddSave(ctx context.Context, uid, partyID string) (bool, []event.Event, error) {
	p, err := openParty(ctx, a.Parties, partyID)
	if err != nil {
		return false, nil, err
	}
	if cur, err := a.Store.Decision(ctx, uid, p.ID); err != nil {
		return false, nil, err
	} else if cur.Saved() {
		return false, nil, nil
	}
	now := a.now()
	var added bool
	var events []event.Event
	ctx, pending := event.WithPending(ctx)
	if _, err := a.Store.UpdateDecision(ctx, uid, p.ID, func(d *attendee.Decision) error {
		before := *d
		added = d.AddSave(now)
		events = attendee.Events(before, *d, a.metaOf(uid, p.ConferenceID))
		pending.Set(events...)
		return nil
	}); err != nil {
		return false, nil, err
	}
	publish(ctx, a.Events, events)
	return added, events, nil
}

// RemoveSave takes a party off the attendee's list, also one that was
// cancelled or withdrawn since; it reports false when it was not there
// (answered from a plain read, as a repeated swipe is). NotFound for a
// malformed party id.
func (a *Attendees) RemoveSave(ctx context.Context, uid, partyID string) (bool, []event.Event, error) {
	if !party.ValidID(partyID) {
		return false, nil, apperr.New(apperr.NotFound, "no party %q", partyID)
	}
	if cur, err := a.Store.Decision(ctx, uid, partyID); err != nil {
		return false, nil, err
	} else if !cur.Saved() {
		return false, nil, nil
	}
	// The party's conference names the event; a party deleted since has none.
	p, err := a.Parties.Party(ctx, partyID)
	if err != nil {
		p = party.Party{ID: partyID}
	}
	var removed bool
	var events []event.Event
	ctx, pending := event.WithPending(ctx)
	if _, err := a.Store.UpdateDecision(ctx, uid, partyID, func(d *attendee.Decision) error {
		before := *d
		removed = d.RemoveSave()
		events = attendee.Events(before, *d, a.metaOf(uid, p.ConferenceID))
		pending.Set(events...)
		return nil
	}); err != nil {
		return false, nil, err
	}
	publish(ctx, a.Events, events)
	return removed, events, nil
}

// ChangeProfile applies change to the attendee's profile (a new one for a
// user who has none) and stamps it. Invalid if the result breaks an
// invariant; nothing is written then.
func (a *Attendees) ChangeProfile(ctx context.Context, uid string, change func(*attendee.Profile)) (attendee.Profile, []event.Event, error) {
	now := a.now()
	var events []event.Event
	ctx, pending := event.WithPending(ctx)
	p, err := a.Store.UpdateProfile(ctx, uid, func(p *attendee.Profile) error {
		before := *p
		change(p)
		events = attendee.ProfileEvents(uid, before, *p, a.metaOf(uid, ""))
		pending.Set(events...)
		p.Touch(now)
		return p.Validate()
	})
	if err != nil {
		return attendee.Profile{}, nil, err
	}
	publish(ctx, a.Events, events)
	return p, events, nil
}

// CalendarLink returns the token of the attendee's personal calendar
// link, issuing the first one on demand; rotate issues a new one and kills
// the old URL. The token is derived, not stored, so it can be shown again;
// the store keeps its hash for the lookup. Unavailable when no calendar
// secret is configured.
func (a *Attendees) CalendarLink(ctx context.Context, uid string, rotate bool) (string, attendee.CalendarLink, error) {
	if len(a.CalendarSecret) == 0 {
		return "", attendee.CalendarLink{}, apperr.New(apperr.Unavailable, "personal calendar links are not configured on this server")
	}
	erased, err := a.Store.ErasedAt(ctx, uid)
	if err != nil {
		return "", attendee.CalendarLink{}, err
	}
	var token string
	l, err := a.Store.UpdateCalendarLink(ctx, uid, func(l *attendee.CalendarLink) error {
		token = l.Issue(a.CalendarSecret, erased, rotate)
		return nil
	})
	if err != nil {
		return "", attendee.CalendarLink{}, err
	}
	return token, l, nil
}

// EraseUser erases the attendee's profile, swipes, saves and calendar
// link; tokens issued before are refused from then on. Their decisions and
// saves come off the counts of current likes, passes and saves (views and
// shares stay: they are not the user's data).
func (a *Attendees) EraseUser(ctx context.Context, uid string) ([]event.Event, error) {
	swipes, err := a.Store.Swipes(ctx, uid)
	if err != nil {
		return nil, err
	}
	saves, err := a.Store.Saves(ctx, uid)
	if err != nil {
		return nil, err
	}
	events := attendee.ErasureEvents(uid, swipes, saves, a.metaOf(uid, ""))
	ctx, pending := event.WithPending(ctx)
	pending.Set(events...)
	if err := a.Store.DeleteUser(ctx, uid); err != nil {
		return nil, err
	}
	publish(ctx, a.Events, events)
	return events, nil
}
