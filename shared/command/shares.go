package command

import (
	"context"
	"fmt"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/event"
)

// CreateShare makes a read-only link to the attendee's saved parties: to
// the list as it will be whenever the link is opened (partyIDs nil), or to
// the listed parties, each of which must be visible. Invalid beyond
// attendee.MaxShares links, or for a party that is not there.
func (a *Attendees) CreateShare(ctx context.Context, uid, title string, partyIDs []string) (attendee.Share, error) {
	held, err := a.Store.SharesOf(ctx, uid)
	if err != nil {
		return attendee.Share{}, err
	}
	if len(held) >= attendee.MaxShares {
		return attendee.Share{}, apperr.Field("shares", "max", fmt.Sprintf("you hold %d links, the most one may; revoke one first", len(held)))
	}
	var fs []apperr.FieldError
	for i, id := range partyIDs {
		if i >= attendee.MaxShareParties {
			break // Validate says so
		}
		if _, err := visibleParty(ctx, a.Parties, id); apperr.Is(err, apperr.NotFound) {
			fs = append(fs, apperr.FieldError{Field: fmt.Sprintf("partyIds[%d]", i), Code: "not_found", Message: fmt.Sprintf("no party %.80q", id)})
		} else if err != nil {
			return attendee.Share{}, err
		}
	}
	if err := apperr.Fields("parties that cannot be shared", fs); err != nil {
		return attendee.Share{}, err
	}
	code, err := attendee.NewShareCode()
	if err != nil {
		return attendee.Share{}, err
	}
	sh := attendee.Share{Code: code, UID: uid, Title: title, PartyIDs: partyIDs, CreatedAt: a.now().UTC().Truncate(time.Microsecond)}
	if err := a.Store.CreateShare(ctx, sh); err != nil {
		return attendee.Share{}, err
	}
	return sh, nil
}

// ImportResult says what became of each party of an import into the saves.
type ImportResult struct {
	Added     []string // saved now
	Already   []string // saved before
	Cancelled []string // still listed, but cancelled: not saved
	Missing   []string // no longer there (or never was)
}

// ImportSaves adds parties to the attendee's saves: a shared list's, or
// any list of party ids. Each party is saved as PUT /api/me/saves does
// (events included); none failing stops the others.
func (a *Attendees) ImportSaves(ctx context.Context, uid string, partyIDs []string) (ImportResult, []event.Event, error) {
	r := ImportResult{Added: []string{}, Already: []string{}, Cancelled: []string{}, Missing: []string{}}
	var events []event.Event
	seen := map[string]bool{}
	for _, id := range partyIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		added, es, err := a.AddSave(ctx, uid, id)
		switch {
		case apperr.Is(err, apperr.NotFound):
			r.Missing = append(r.Missing, id)
		case apperr.Is(err, apperr.Conflict):
			r.Cancelled = append(r.Cancelled, id)
		case err != nil:
			return r, events, err
		case added:
			r.Added = append(r.Added, id)
			events = append(events, es...)
		default:
			r.Already = append(r.Already, id)
		}
	}
	return r, events, nil
}

// SharedPartyIDs returns the parties a share lists now: the owner's
// current saves for a live list.
func (a *Attendees) SharedPartyIDs(ctx context.Context, code string) ([]string, error) {
	sh, err := a.Store.Share(ctx, code)
	if err != nil {
		return nil, err
	}
	if !sh.Live() {
		return sh.PartyIDs, nil
	}
	saves, err := a.Store.Saves(ctx, sh.UID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(saves))
	for i, s := range saves {
		ids[i] = s.PartyID
	}
	return ids, nil
}
