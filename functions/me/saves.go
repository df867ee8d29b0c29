package me

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

// saved is one saved party with its current details.
type saved struct {
	Save  attendee.Save
	Snap  *feed.Snapshot
	Entry *feed.Entry
}

// savedParties returns the user's saves that still name a visible party,
// chronologically, and how many no longer do (a party taken back to draft).
func savedParties(ctx context.Context, store attendee.Repository, c *feed.Cache, uid string) ([]saved, int, error) {
	saves, err := store.Saves(ctx, uid)
	if err != nil {
		return nil, 0, err
	}
	out := make([]saved, 0, len(saves))
	gone := 0
	for _, s := range saves {
		snap, e, err := c.PartySnapshot(ctx, s.PartyID)
		if apperr.Is(err, apperr.NotFound) {
			gone++
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, saved{Save: s, Snap: snap, Entry: e})
	}
	sortSaved(out)
	return out, gone, nil
}

func sortSaved(ss []saved) {
	slices.SortFunc(ss, func(a, b saved) int { return party.Chronological(a.Entry.Party, b.Entry.Party) })
}

func (h *Handler) listSaves(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	resp, err := h.Views.List(r.Context(), id.UID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	resp.Serve(w, r)
}

// listResponse renders the saved parties from their pre-encoded JSON, each
// opened up to add when it was saved: nothing is re-encoded.
func listResponse(ss []saved, gone int) *rendered.Response {
	var buf bytes.Buffer
	buf.WriteString(`{"success":true,"data":[`)
	cancelled := 0
	for i, s := range ss {
		if i > 0 {
			buf.WriteByte(',')
		}
		isCancelled := s.Entry.Party.Status == party.Cancelled
		if isCancelled {
			cancelled++
		}
		buf.WriteString(`{"savedAt":"` + s.Save.At.UTC().Format(time.RFC3339) + `","cancelled":` + strconv.FormatBool(isCancelled) + `,`)
		buf.Write(s.Entry.JSON[1:])
	}
	buf.WriteString(`],"meta":{"count":` + strconv.Itoa(len(ss)) + `,"cancelled":` + strconv.Itoa(cancelled) + `,"unavailable":` + strconv.Itoa(gone) + `}}`)
	return rendered.New("application/json", "private, no-cache", buf.Bytes())
}

func (h *Handler) addSave(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	partyID := r.PathValue("partyId")
	_, e, err := h.Feed.OpenParty(r.Context(), partyID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	created, err := h.Store.AddSave(r.Context(), attendee.Save{UID: id.UID, PartyID: e.Party.ID, At: h.now()})
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpapi.JSON(w, status, map[string]any{"success": true, "partyId": e.Party.ID, "saved": true, "created": created})
}

func (h *Handler) removeSave(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	partyID := r.PathValue("partyId")
	if !party.ValidID(partyID) {
		httpapi.Error(w, r, apperr.New(apperr.NotFound, "no party %q", partyID))
		return
	}
	removed, err := h.Store.RemoveSave(r.Context(), id.UID, partyID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, map[string]any{"success": true, "partyId": partyID, "saved": false, "removed": removed})
}
