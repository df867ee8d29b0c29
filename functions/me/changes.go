package me

import (
	"net/http"
	"slices"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/personal"
)

// factsJSON are a party's when, where and whether, as a change reports
// them: only the fields it changed.
type factsJSON struct {
	Start   *string `json:"start,omitempty"`
	End     *string `json:"end,omitempty"`
	Venue   *string `json:"venue,omitempty"`
	Address *string `json:"address,omitempty"`
	Status  *string `json:"status,omitempty"`
}

type changeJSON struct {
	At     string    `json:"at"`
	Kinds  []string  `json:"kinds"`
	Fields []string  `json:"fields"`
	Before factsJSON `json:"before"`
	After  factsJSON `json:"after"`
}

type changedPartyJSON struct {
	PartyID    string       `json:"partyId"`
	Title      string       `json:"title"`
	Conference string       `json:"conference"`
	Changes    []changeJSON `json:"changes"`
	last       time.Time    // of the latest change, for the order
}

// factsOf returns the facts the change names, in the conference's zone.
func factsOf(f party.Facts, fields []string, loc *time.Location) factsJSON {
	var out factsJSON
	str := func(s string) *string { return &s }
	for _, name := range fields {
		switch name {
		case "start":
			out.Start = str(f.Start.In(loc).Format(time.RFC3339))
		case "end":
			if !f.End.IsZero() {
				out.End = str(f.End.In(loc).Format(time.RFC3339))
			}
		case "venue":
			out.Venue = str(f.Venue)
		case "address":
			out.Address = str(f.Address)
		case "status":
			out.Status = str(string(f.Status))
		}
	}
	return out
}

// changes answers GET /api/me/changes?since=RFC3339: what changed in the
// caller's saved parties since then (default: the last 24 hours, at most
// what the store keeps, 30 days), party by party, each change with its
// kinds and the facts before and after.
func (h *Handler) changes(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	ctx := r.Context()
	v := r.URL.Query()
	if err := httpapi.OnlyParams(v, "since"); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	now := h.now()
	since := now.Add(-24 * time.Hour)
	if s := v.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		switch {
		case err != nil:
			httpapi.Error(w, r, apperr.Field("since", "format", "must be an RFC 3339 time, e.g. 2026-08-20T18:00:00+02:00"))
			return
		case t.Before(now.Add(-party.ChangeRetention)):
			httpapi.Error(w, r, apperr.Field("since", "range", "changes are kept for 30 days: ask for a later time"))
			return
		}
		since = t
	}
	saves, err := h.Store.Saves(ctx, id.UID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	out := []changedPartyJSON{}
	byConference := map[string][]party.Change{}
	for _, s := range saves {
		p, err := h.Store.Party(ctx, s.PartyID)
		if apperr.Is(err, apperr.NotFound) {
			continue // never there: nothing to report
		}
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		cs, ok := byConference[p.ConferenceID]
		if !ok {
			if cs, err = h.History.Since(ctx, p.ConferenceID, since); err != nil {
				httpapi.Error(w, r, err)
				return
			}
			byConference[p.ConferenceID] = cs
		}
		loc := time.UTC
		if snap, err := h.Feed.ConferenceSnapshot(ctx, p.ConferenceID); err == nil {
			loc = snap.Location
		}
		item := changedPartyJSON{PartyID: p.ID, Title: p.Title, Conference: p.ConferenceID, Changes: []changeJSON{}}
		for _, c := range cs {
			if c.PartyID != p.ID || c.Created {
				continue
			}
			kinds := personal.KindsOf(c)
			if len(kinds) == 0 {
				continue // bookkeeping only
			}
			item.Changes = append(item.Changes, changeJSON{At: c.At.In(loc).Format(time.RFC3339), Kinds: kinds,
				Fields: orEmpty(c.Changed), Before: factsOf(c.Before, c.Changed, loc), After: factsOf(c.After, c.Changed, loc)})
			item.last = c.At
		}
		if len(item.Changes) > 0 {
			out = append(out, item)
		}
	}
	// The most recently changed first.
	slices.SortStableFunc(out, func(a, b changedPartyJSON) int { return b.last.Compare(a.last) })
	w.Header().Set("Cache-Control", "no-store")
	httpapi.JSON(w, http.StatusOK, map[string]any{"success": true, "data": out,
		"meta": map[string]any{"since": since.UTC().Format(time.RFC3339), "parties": len(out)}})
}
