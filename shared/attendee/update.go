package attendee

import "github.com/partyfinder/partyfinder/shared/apperr"

// The Update methods are how stores apply a use case's closure inside
// their transaction: fn changes a copy, and the result must belong to the
// same user (and party) and keep every invariant, so whatever a store
// persists has passed the domain's checks. Errors from fn come back as
// they are.

// Update applies fn to a copy of the profile and checks the result.
func (p Profile) Update(fn func(*Profile) error) (Profile, error) {
	next := p
	if err := fn(&next); err != nil {
		return p, err
	}
	if next.UID != p.UID {
		return p, apperr.Field("uid", "immutable", "cannot be changed")
	}
	return next, next.Validate()
}

// Update applies fn to a copy of the decision and checks the result.
func (d Decision) Update(fn func(*Decision) error) (Decision, error) {
	next := d
	if err := fn(&next); err != nil {
		return d, err
	}
	if next.UID != d.UID || next.PartyID != d.PartyID ||
		next.Swipe != nil && (next.Swipe.UID != d.UID || next.Swipe.PartyID != d.PartyID) ||
		next.Save != nil && (next.Save.UID != d.UID || next.Save.PartyID != d.PartyID) {
		return d, apperr.New(apperr.Invalid, "a decision cannot move to another user or party")
	}
	return next, next.Validate()
}

// Update applies fn to a copy of the link and checks the result; changed
// reports whether there is anything to store.
func (l CalendarLink) Update(fn func(*CalendarLink) error) (next CalendarLink, changed bool, err error) {
	next = l
	if err := fn(&next); err != nil {
		return l, false, err
	}
	if next == l {
		return l, false, nil
	}
	if next.UID != l.UID {
		return l, false, apperr.Field("uid", "immutable", "cannot be changed")
	}
	return next, true, next.Validate()
}
