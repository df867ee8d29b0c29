package me

import (
	"net/http"

	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
)

func (h *Handler) listSaves(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	resp, err := h.Views.List(r.Context(), id.UID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	resp.Serve(w, r)
}

func (h *Handler) addSave(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	partyID := r.PathValue("partyId")
	created, _, err := h.Commands.AddSave(r.Context(), id.UID, partyID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpapi.JSON(w, status, map[string]any{"success": true, "partyId": partyID, "saved": true, "created": created})
}

func (h *Handler) removeSave(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	partyID := r.PathValue("partyId")
	removed, _, err := h.Commands.RemoveSave(r.Context(), id.UID, partyID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, map[string]any{"success": true, "partyId": partyID, "saved": false, "removed": removed})
}
