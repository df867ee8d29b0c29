package me

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/personal"
)

// shareJSON is a shared list as its owner sees it.
type shareJSON struct {
	Code      string   `json:"code"`
	URL       string   `json:"url"`
	Title     string   `json:"title"`
	Live      bool     `json:"live"`
	PartyIDs  []string `json:"partyIds"` // null for a live list
	CreatedAt string   `json:"createdAt"`
}

func (h *Handler) shareOf(r *http.Request, sh attendee.Share) shareJSON {
	return shareJSON{Code: sh.Code, URL: h.baseURL(r) + personal.SharePath + sh.Code, Title: sh.Title, Live: sh.Live(),
		PartyIDs: sh.PartyIDs, CreatedAt: sh.CreatedAt.UTC().Format(time.RFC3339)}
}

// createShare answers POST /api/me/shares: {"title"?, "partyIds"?}.
// Without partyIds the link shows the saves as they are whenever it is
// opened.
func (h *Handler) createShare(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	var req struct {
		Title    string   `json:"title"`
		PartyIDs []string `json:"partyIds"`
	}
	if r.ContentLength != 0 {
		if err := httpapi.DecodeJSON(r, &req); err != nil {
			httpapi.Error(w, r, err)
			return
		}
	}
	sh, err := h.Commands.CreateShare(r.Context(), id.UID, req.Title, req.PartyIDs)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.OK(w, http.StatusCreated, h.shareOf(r, sh))
}

// listShares answers GET /api/me/shares, newest first.
func (h *Handler) listShares(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	if err := httpapi.OnlyParams(r.URL.Query()); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	l, err := h.Store.SharesOf(r.Context(), id.UID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	out := make([]shareJSON, len(l))
	for i, sh := range l {
		out[i] = h.shareOf(r, sh)
	}
	ok(w, out)
}

// revokeShare answers DELETE /api/me/shares/{code}: the link stops working.
func (h *Handler) revokeShare(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	code := r.PathValue("code")
	if err := h.Store.DeleteShare(r.Context(), id.UID, code); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	ok(w, map[string]any{"code": code, "revoked": true})
}

// importSaves answers POST /api/me/saves/import with a share code
// ({"code"}), party ids ({"partyIds"}), or the JSON of a shared list as
// GET /api/shares/{code} serves it (its data, or the whole answer): its
// parties' ids are what counts.
func (h *Handler) importSaves(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	type list struct {
		Code      string            `json:"code"`
		Title     string            `json:"title"`
		Live      bool              `json:"live"`
		CreatedAt string            `json:"createdAt"`
		PartyIDs  []string          `json:"partyIds"`
		Parties   []json.RawMessage `json:"parties"`
	}
	var req struct {
		list
		Success bool            `json:"success"`
		Data    *list           `json:"data"`
		Meta    json.RawMessage `json:"meta"`
	}
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	l := req.list
	if req.Data != nil {
		l = *req.Data
	}
	ids := l.PartyIDs
	switch {
	case l.Parties != nil:
		ids = make([]string, 0, len(l.Parties))
		for i, raw := range l.Parties {
			var p struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(raw, &p) != nil || p.ID == "" {
				httpapi.Error(w, r, apperr.Field("parties", "format", "party "+strconv.Itoa(i)+" has no id"))
				return
			}
			ids = append(ids, p.ID)
		}
	case ids != nil:
	case l.Code != "":
		var err error
		if ids, err = h.Commands.SharedPartyIDs(r.Context(), l.Code); err != nil {
			httpapi.Error(w, r, err)
			return
		}
	default:
		httpapi.Error(w, r, apperr.Field("code", "required", "send a share code, partyIds, or the JSON of a shared list"))
		return
	}
	if len(ids) > attendee.MaxShareParties {
		httpapi.Error(w, r, apperr.Field("partyIds", "max", "at most "+strconv.Itoa(attendee.MaxShareParties)+" parties at once"))
		return
	}
	res, _, err := h.Commands.ImportSaves(r.Context(), id.UID, ids)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	ok(w, map[string]any{"added": res.Added, "already": res.Already, "cancelled": res.Cancelled, "missing": res.Missing})
}
