package party

import (
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// Who may do what to a party. Admins may do everything. Organizers submit
// parties and edit or cancel their own; their submissions wait for an
// admin unless they are trusted. Imported parties (no owner) are the
// admins' alone. Everyone else may do none of it.

// MaySubmit reports whether who may submit a new party.
func MaySubmit(who identity.Identity) error {
	if who.Has(identity.Admin) || who.Has(identity.Organizer) {
		return nil
	}
	return apperr.New(apperr.Forbidden, "only organizers and admins submit parties")
}

// SubmittedStatus is the status a submission by who starts in: published
// for admins and trusted organizers, pending moderation for the rest.
func SubmittedStatus(who identity.Identity) Status {
	if who.Has(identity.Admin) || who.Has(identity.Trusted) {
		return Published
	}
	return Pending
}

// MayChange reports whether who may edit or cancel p: an admin, or the
// organizer who owns it.
func MayChange(who identity.Identity, p Party) error {
	if who.Has(identity.Admin) || p.Owner != "" && p.Owner == who.UID && who.Has(identity.Organizer) {
		return nil
	}
	return apperr.New(apperr.Forbidden, "only the party's organizer or an admin may change it")
}

// MayModerate reports whether who may publish, reject or remove parties.
func MayModerate(who identity.Identity) error {
	if who.Has(identity.Admin) {
		return nil
	}
	return apperr.New(apperr.Forbidden, "only admins moderate parties")
}

// Publish makes a waiting or rejected party public.
func (p *Party) Publish() error {
	switch p.Status {
	case Draft, Pending, Rejected:
		p.Status, p.Note = Published, ""
		return nil
	case Published:
		return nil
	}
	return apperr.New(apperr.Conflict, "a %s party cannot be published", p.Status)
}

// Reject refuses a party waiting for moderation, saying why.
func (p *Party) Reject(reason string) error {
	if err := needReason(reason); err != nil {
		return err
	}
	switch p.Status {
	case Draft, Pending, Rejected:
		p.Status, p.Note = Rejected, CleanText(reason)
		return nil
	}
	return apperr.New(apperr.Conflict, "a %s party cannot be rejected: cancel it instead", p.Status)
}

// Cancel calls a party off, saying why. A cancelled party stays visible
// as cancelled (to those who saved it, in calendars), never silently gone.
func (p *Party) Cancel(reason string) error {
	if err := needReason(reason); err != nil {
		return err
	}
	switch p.Status {
	case Draft, Pending, Published:
		p.Status, p.Note = Cancelled, CleanText(reason)
		return nil
	case Cancelled:
		return nil
	}
	return apperr.New(apperr.Conflict, "a %s party cannot be cancelled", p.Status)
}

func needReason(reason string) error {
	switch r := CleanText(reason); {
	case r == "":
		return apperr.Field("reason", "required", "is required")
	case len([]rune(r)) > MaxText:
		return apperr.Field("reason", "too_long", "must be at most 500 characters")
	}
	return nil
}

// Remove takes a party down, leaving a tombstone: a party that was public
// becomes cancelled, so those who saved it see it called off rather than
// silently gone; one that never was stays out of sight as rejected.
func (p *Party) Remove(reason string) {
	if reason = CleanText(reason); reason == "" {
		reason = "Removed by the organizers"
	}
	if p.Status.Public() {
		p.Status = Cancelled
	} else {
		p.Status = Rejected
	}
	p.Note = reason
}
