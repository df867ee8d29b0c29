// Package admin is the "admin" function: what admins work through.
//
//	GET /api/admin/moderation?conference=ID   parties waiting for moderation
//	POST /api/admin/conferences               create a conference
package admin

import (
	"context"
	"net/http"
	"slices"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Feed finds a conference and its time zone, and drops what it cached of
// a conference that changed.
type Feed interface {
	ConferenceSnapshot(ctx context.Context, requested string) (*feed.Snapshot, error)
	Invalidate(conferenceID string)
}

// Conferences stores conferences.
type Conferences interface {
	CreateConference(ctx context.Context, c conference.Conference) (conference.Conference, error)
}

// Parties reads every party of a conference, whatever its status.
type Parties interface {
	PartiesOf(ctx context.Context, conferenceID string) ([]party.Party, error)
}

// Handler serves the admin function. Requests reach it authenticated.
type Handler struct {
	Feed        Feed
	Parties     Parties
	Conferences Conferences
}

// Routes returns the function's router.
func (h *Handler) Routes() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodGet, "/api/admin/moderation", h.moderation)
	rt.Handle(http.MethodPost, "/api/admin/conferences", h.createConference)
	return rt
}

type conferenceRequest struct {
	ID       string `json:"id" validate:"required,max=64"`
	Name     string `json:"name" validate:"required,max=200"`
	City     string `json:"city" validate:"required,max=200"`
	TimeZone string `json:"timeZone" validate:"required,max=64"`
	FirstDay string `json:"firstDay" validate:"required,datetime=2006-01-02"`
	LastDay  string `json:"lastDay" validate:"required,datetime=2006-01-02"`
}

// createConference stores a new conference (admins), so a conference no
// longer needs the command line; it answers as GET /api/conferences/{id}.
func (h *Handler) createConference(w http.ResponseWriter, r *http.Request) {
	if !admin(w, r) {
		return
	}
	var req conferenceRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	c, err := conference.New(req.ID, req.Name, req.City, req.TimeZone, req.FirstDay, req.LastDay)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if _, err := h.Conferences.CreateConference(r.Context(), c); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	h.Feed.Invalidate(c.ID)
	snap, err := h.Feed.ConferenceSnapshot(r.Context(), c.ID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	resp := snap.ConferenceResponse()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", resp.ContentType)
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(resp.Body)
}

// admin answers 401 or 403 unless the caller is an admin.
func admin(w http.ResponseWriter, r *http.Request) bool {
	who, ok := identity.From(r.Context())
	if !ok {
		httpapi.Error(w, r, apperr.New(apperr.Unauthorized, "sign in as an admin"))
		return false
	}
	if err := party.MayModerate(who); err != nil {
		httpapi.Error(w, r, err)
		return false
	}
	return true
}

// moderation lists the conference's parties waiting for an admin, the
// longest waiting first.
func (h *Handler) moderation(w http.ResponseWriter, r *http.Request) {
	if !admin(w, r) {
		return
	}
	if err := httpapi.OnlyParams(r.URL.Query(), "conference"); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	conf := r.URL.Query().Get("conference")
	if conf == "" {
		httpapi.Error(w, r, apperr.Field("conference", "required", "is required"))
		return
	}
	snap, err := h.Feed.ConferenceSnapshot(r.Context(), conf)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	ps, err := h.Parties.PartiesOf(r.Context(), snap.Conference.ID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	ps = slices.DeleteFunc(ps, func(p party.Party) bool { return p.Status != party.Pending })
	slices.SortStableFunc(ps, func(a, b party.Party) int { return a.CreatedAt.Compare(b.CreatedAt) })
	out := make([]feed.OwnedPartyJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, feed.NewOwnedPartyJSON(p, snap.Location))
	}
	httpapi.OK(w, http.StatusOK, out)
}
