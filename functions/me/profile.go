package me

import (
	"net/http"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// ProfileJSON is the profile as the API shows it to its owner.
type ProfileJSON struct {
	DisplayName string              `json:"displayName"`
	Company     string              `json:"company"`
	JobTitle    string              `json:"jobTitle"`
	Persona     *attendee.Persona   `json:"persona"`
	Visibility  attendee.Visibility `json:"visibility"`
	UpdatedAt   *string             `json:"updatedAt"`
}

// MeJSON is GET /api/me's data.
type MeJSON struct {
	UID       string          `json:"uid"`
	Anonymous bool            `json:"anonymous"`
	Email     string          `json:"email,omitempty"`
	Roles     []identity.Role `json:"roles"`
	Profile   ProfileJSON     `json:"profile"`
}

func profileJSON(p attendee.Profile) ProfileJSON {
	out := ProfileJSON{DisplayName: p.DisplayName, Company: p.Company, JobTitle: p.JobTitle, Visibility: p.Visibility}
	if p.Persona != "" {
		persona := p.Persona
		out.Persona = &persona
	}
	if !p.UpdatedAt.IsZero() {
		s := p.UpdatedAt.UTC().Format(time.RFC3339)
		out.UpdatedAt = &s
	}
	return out
}

func meJSON(id identity.Identity, p attendee.Profile) MeJSON {
	roles := id.Roles
	if roles == nil {
		roles = []identity.Role{}
	}
	return MeJSON{UID: id.UID, Anonymous: id.Anonymous, Email: id.Email, Roles: roles, Profile: profileJSON(p)}
}

// profile returns the stored profile or the default one of a new user.
func (h *Handler) profile(r *http.Request, uid string) (attendee.Profile, error) {
	p, err := h.Store.Profile(r.Context(), uid)
	if apperr.Is(err, apperr.NotFound) {
		return attendee.NewProfile(uid), nil
	}
	return p, err
}

func (h *Handler) getMe(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	p, err := h.profile(r, id.UID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	ok(w, meJSON(id, p))
}

// patchRequest lists every field an attendee may set. Anything else (roles,
// uid, tokens) is an unknown field and rejected.
type patchRequest struct {
	DisplayName *string `json:"displayName" validate:"omitempty,max=100"`
	Company     *string `json:"company" validate:"omitempty,max=100"`
	JobTitle    *string `json:"jobTitle" validate:"omitempty,max=100"`
	Persona     *string `json:"persona" validate:"omitempty,oneof=developer publisher investor service-provider"`
	Visibility  *string `json:"visibility" validate:"omitempty,oneof=private attendees public"`
}

// apply sets the fields the request names.
func (req patchRequest) apply(p *attendee.Profile) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.DisplayName, req.DisplayName)
	set(&p.Company, req.Company)
	set(&p.JobTitle, req.JobTitle)
	if req.Persona != nil {
		p.Persona = attendee.Persona(*req.Persona)
	}
	if req.Visibility != nil {
		p.Visibility = attendee.Visibility(*req.Visibility)
	}
}

func (h *Handler) patchMe(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	var req patchRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	saved, _, err := h.Commands.ChangeProfile(r.Context(), id.UID, req.apply)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	ok(w, meJSON(id, saved))
}

func (h *Handler) deleteMe(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	if _, err := h.Commands.EraseUser(r.Context(), id.UID); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, map[string]any{
		"success": true,
		"message": "Your profile, swipes, saves, calendar link and shared lists are erased. Anonymous, aggregated statistics remain.",
	})
}

// exportJSON is everything stored about a user.
type exportJSON struct {
	UID        string         `json:"uid"`
	ExportedAt string         `json:"exportedAt"`
	Identity   MeJSON         `json:"identity"`
	Swipes     []swipeJSON    `json:"swipes"`
	Saves      []saveJSON     `json:"saves"`
	Calendar   calendarExport `json:"calendar"`
	Shares     []shareJSON    `json:"shares"`
}

type swipeJSON struct {
	PartyID string          `json:"partyId"`
	Action  attendee.Action `json:"action"`
	At      string          `json:"at"`
}

type saveJSON struct {
	PartyID string `json:"partyId"`
	At      string `json:"at"`
}

type calendarExport struct {
	Issued     bool  `json:"issued"`
	Generation int64 `json:"generation"`
}

func (h *Handler) export(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	ctx := r.Context()
	p, err := h.profile(r, id.UID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	swipes, err := h.Store.Swipes(ctx, id.UID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	saves, err := h.Store.Saves(ctx, id.UID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	link, err := h.Store.CalendarLink(ctx, id.UID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	shares, err := h.Store.SharesOf(ctx, id.UID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	gen := link.Generation
	out := exportJSON{UID: id.UID, ExportedAt: h.now().UTC().Format(time.RFC3339), Identity: meJSON(id, p),
		Swipes: []swipeJSON{}, Saves: []saveJSON{}, Calendar: calendarExport{Issued: gen > 0, Generation: gen}, Shares: []shareJSON{}}
	for _, sh := range shares {
		out.Shares = append(out.Shares, h.shareOf(r, sh))
	}
	for _, s := range swipes {
		out.Swipes = append(out.Swipes, swipeJSON{PartyID: s.PartyID, Action: s.Action, At: s.At.UTC().Format(time.RFC3339)})
	}
	for _, s := range saves {
		out.Saves = append(out.Saves, saveJSON{PartyID: s.PartyID, At: s.At.UTC().Format(time.RFC3339)})
	}
	w.Header().Set("Content-Disposition", `attachment; filename="partyfinder-export.json"`)
	ok(w, out)
}
