package importer

import (
	"strconv"
	"strings"

	"github.com/partyfinder/partyfinder/shared/party"
)

// text cleans an optional free-text field and shortens it to its limit.
func (pl *planner) text(r *rowResult, field, s string, limit int) string {
	s, w := cleanText(field, s)
	r.warn(w...)
	s = strings.TrimSpace(s)
	if field != "description" {
		s = party.CleanText(s)
	}
	if t, cut := truncate(s, limit); cut {
		r.warn(issuef(codeTruncated, field, "shortened to %d characters", limit))
		s = t
	}
	return s
}

// place cleans an address or venue, restoring a lost "ß" in street names.
func (pl *planner) place(r *rowResult, field, s string) string {
	s = pl.text(r, field, s, party.MaxText)
	s, w := repairStreet(field, s)
	r.warn(w...)
	return s
}

// list reads a list: as given when it came as an array (exports carry both
// "hosts": "A, B" and "hostList": [...]; the array is exact), else split
// from text.
func (pl *planner) list(r *rowResult, field, text string, given []string, split func(string) []string, limit int) []string {
	var out []string
	for _, g := range given {
		g, w := cleanText(field, g)
		r.warn(w...)
		out = append(out, g)
	}
	if given == nil {
		text, w := cleanText(field, text)
		r.warn(w...)
		out = split(text)
	}
	var kept []string
	for _, s := range out {
		if s = party.CleanText(s); s != "" {
			if t, cut := truncate(s, party.MaxText); cut {
				r.warn(issuef(codeTruncated, field, "shortened %q to %d characters", t, party.MaxText))
				s = t
			}
			kept = append(kept, s)
		}
	}
	if len(kept) > limit {
		r.warn(issuef(codeTruncated, field, "kept the first %d of %d", limit, len(kept)))
		kept = kept[:limit]
	}
	return kept
}

// location reads coordinates; unusable ones are dropped, not fatal.
func (pl *planner) location(r *rowResult) *party.Point {
	lat, _ := cleanText("lat", r.row.Lat)
	lng, _ := cleanText("lng", r.row.Lng)
	lat, lng = strings.TrimSpace(lat), strings.TrimSpace(lng)
	if lat == "" && lng == "" {
		return nil
	}
	la, err1 := strconv.ParseFloat(strings.Replace(lat, ",", ".", 1), 64)
	ln, err2 := strconv.ParseFloat(strings.Replace(lng, ",", ".", 1), 64)
	pt := party.Point{Lat: la, Lng: ln}
	if err1 != nil || err2 != nil || !pt.Valid() {
		r.warn(issuef(codeLocation, "location", "dropped unusable coordinates %q, %q", lat, lng))
		return nil
	}
	return &pt
}

// status decides the party's status. Spreadsheet rows are published: they
// come from the organiser's list. A row marked inactive (active: false) is
// imported as cancelled rather than skipped or deleted: cancelled parties
// stay visible, so people who saved one learn it is off instead of seeing it
// vanish, and an import never deletes. Export rows keep their own status.
func (pl *planner) status(r *rowResult) party.Status {
	st := party.Published
	if r.row.Layout == Export {
		s, w := cleanText("status", r.row.Status)
		r.warn(w...)
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" {
			if party.Status(s).Valid() {
				return party.Status(s)
			}
			r.warn(issuef(codeStatus, "status", "unknown status %q; imported as published", s))
		}
	}
	a, _ := cleanText("active", r.row.Active)
	switch strings.ToLower(strings.TrimSpace(a)) {
	case "", "true", "yes", "y", "1", "ja", "x":
	case "false", "no", "n", "0", "nein":
		r.warn(issuef(codeInactive, "active", "the row is marked inactive; imported as cancelled"))
		st = party.Cancelled
	default:
		r.warn(issuef(codeActiveUnknown, "active", "%q is not true or false; treated as active", a))
	}
	return st
}

// id returns the party id. Export rows keep their id, so an export can be
// re-imported without duplicating parties; other rows get a deterministic
// id from their own id column or, failing that, from title, day and start.
func (pl *planner) id(r *rowResult, source, key string) string {
	rowID := strings.TrimSpace(r.row.ID)
	if isPlaceholder(rowID) {
		rowID = ""
	}
	if r.row.Layout == Export && rowID != "" {
		if party.ValidID(rowID) {
			return rowID
		}
		r.warn(issuef(codeIDDerived, "id", "%q is not a valid party id; derived a new one from it", rowID))
	}
	if rowID == "" {
		if key == "" {
			return ""
		}
		rowID = key
	}
	return party.ImportID(pl.conf.ID, source, rowID)
}
