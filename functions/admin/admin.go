// Package admin is the "admin" function: what admins work through.
//
//	GET   /api/admin/moderation?conference=ID   parties waiting for moderation
//	POST  /api/admin/conferences                create a conference
//	PATCH /api/admin/conferences/{id}           change a conference's details
//	POST  /api/admin/imports?conference=ID      import a CSV or JSON file, or a sheet's URL
//	GET   /api/admin/audit                      the audit trail of organizer and admin writes
//	GET   /api/slo                              this process's error-budget burn per objective
package admin

import (
	"context"
	"net/http"
	"slices"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Feed finds a conference and its time zone, and drops what it cached of
// a conference that changed.
type Feed interface {
	ConferenceSnapshot(ctx context.Context, requested string) (*feed.Snapshot, error)
	Invalidate(conferenceID string)
}

// Conferences are the conference use cases (command.Conferences).
type Conferences interface {
	Create(ctx context.Context, who identity.Identity, c conference.Conference, retry bool) (conference.Conference, bool, error)
	Update(ctx context.Context, who identity.Identity, id string, fn func(*conference.Conference) error) (conference.Conference, error)
}

// Parties reads every party of a conference, whatever its status.
type Parties interface {
	PartiesOf(ctx context.Context, conferenceID string) ([]party.Party, error)
}

// Importer runs an import (importer.Importer.Run).
type Importer interface {
	Run(ctx context.Context, req importer.Request) (importer.Report, error)
}

// Fetch downloads an admin-supplied https URL, refusing any that is not a
// public host (shared/fetch).
type Fetch func(ctx context.Context, url string) ([]byte, error)

// Handler serves the admin function. Requests reach it authenticated.
type Handler struct {
	Feed        Feed
	Parties     Parties
	Conferences Conferences
	Audit       audit.Repository
	Import      Importer
	Fetch       Fetch
	// SLO reports this process's error-budget burn per objective.
	SLO func() any
}

// Routes returns the function's router.
func (h *Handler) Routes() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodGet, "/api/admin/moderation", admin(h.moderation))
	rt.Handle(http.MethodPost, "/api/admin/conferences", admin(h.createConference))
	rt.Handle(http.MethodPatch, "/api/admin/conferences/{id}", admin(h.updateConference))
	rt.Handle(http.MethodPost, "/api/admin/imports", admin(h.importParties))
	rt.Handle(http.MethodGet, "/api/admin/audit", admin(h.audit))
	rt.Handle(http.MethodGet, "/api/slo", admin(h.slo))
	return rt
}

// admin answers 401 or 403 unless the caller is an admin, before anything
// else is read.
func admin(next func(http.ResponseWriter, *http.Request, identity.Identity)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		who, ok := identity.From(r.Context())
		if !ok {
			httpapi.Error(w, r, apperr.New(apperr.Unauthorized, "sign in as an admin"))
			return
		}
		if err := party.MayModerate(who); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		next(w, r, who)
	}
}

// moderation lists the conference's parties waiting for an admin, the
// longest waiting first.
func (h *Handler) moderation(w http.ResponseWriter, r *http.Request, _ identity.Identity) {
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

// slo reports the error-budget burn of the requests this process served,
// per objective and window: a quick look without Cloud Monitoring, and
// the one there is on one machine.
func (h *Handler) slo(w http.ResponseWriter, r *http.Request, _ identity.Identity) {
	if err := httpapi.OnlyParams(r.URL.Query()); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if h.SLO == nil {
		httpapi.Error(w, r, apperr.New(apperr.NotFound, "no objectives are tracked here"))
		return
	}
	httpapi.OK(w, http.StatusOK, h.SLO())
}
