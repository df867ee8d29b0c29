package importer

import (
	"time"

	"github.com/partyfinder/partyfinder/shared/party"
)

// diff compares an accepted row's party with the stored one and sets its
// bookkeeping: new parties get version 1, changed ones the next version and
// keep their creation time, unchanged ones are not written at all.
func (plan *Plan) diff(r *rowResult, mine map[string]party.Party, now time.Time) {
	old, ok := mine[r.id]
	if !ok {
		r.p.Version, r.p.CreatedAt, r.p.UpdatedAt = 1, now, now
		r.action = ActionCreated
		plan.Writes = append(plan.Writes, r.p)
		return
	}
	p := r.keepAbsent(old)
	if p.Equal(old) {
		r.p = old
		r.action = ActionUnchanged
		return
	}
	p.Version, p.CreatedAt, p.UpdatedAt = old.Version+1, old.CreatedAt, now
	r.p = p
	r.action = ActionUpdated
	if old.Status == party.Cancelled && p.Status == party.Published {
		r.action = ActionRepublished
	}
	plan.Writes = append(plan.Writes, p)
}

// keepAbsent fills the fields whose columns the file does not have from the
// stored party: the file is the authority for what it contains, not for
// what it cannot say.
func (r *rowResult) keepAbsent(old party.Party) party.Party {
	p := r.p
	// No file says who submitted a party: an organizer's party imported
	// back (from a feed export) stays theirs. Its moderation note stays
	// while its status does.
	p.Owner = old.Owner
	if p.Status == old.Status {
		p.Note = old.Note
	}
	if !r.has(fDescription) {
		p.Description = old.Description
	}
	if !r.hasAny(fVenue, fAddress, fLocation) {
		p.Venue = old.Venue
	}
	if !r.hasAny(fAddress, fLocation) {
		p.Address = old.Address
	}
	if !r.hasAny(fLat, fLng, fLocation) {
		p.Location = old.Location
	}
	if !r.has(fCategory) {
		p.Category = old.Category
	}
	if !r.has(fHosts) {
		p.Hosts = old.Hosts
	}
	if !r.has(fPrice) {
		p.Price, p.Free = old.Price, old.Free
	}
	if !r.has(fLink) {
		p.Link = old.Link
	}
	if !r.has(fFocus) {
		p.Focus = old.Focus
	}
	if !r.has(fTags) {
		p.Tags = old.Tags
	}
	return p
}
