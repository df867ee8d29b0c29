// Package admin is the "admin" function: what admins work through.
//
//	GET /api/admin/moderation?conference=ID   parties waiting for moderation
package admin

import (
	"context"
	"net/http"
	"slices"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Feed finds a conference and its time zone.
type Feed interface {
	ConferenceSnapshot(ctx context.Context, requested string) (*feed.Snapshot, error)
}

// Parties reads every party of a conference, whatever its status.
type Parties interface {
	PartiesOf(ctx context.Context, conferenceID string) ([]party.Party, error)
}

// Handler serves the admin function. Requests reach it authenticated.
type Handler struct {
	Feed    Feed
	Parties Parties
}

// Routes returns the function's router.
func (h *Handler) Routes() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodGet, "/api/admin/moderation", h.moderation)
	return rt
}

// moderation lists the conference's parties waiting for an admin, the
// longest waiting first.
func (h *Handler) moderation(w http.ResponseWriter, r *http.Request) {
	who, ok := identity.From(r.Context())
	if !ok {
		httpapi.Error(w, r, apperr.New(apperr.Unauthorized, "sign in as an admin"))
		return
	}
	if err := party.MayModerate(who); err != nil {
		httpapi.Error(w, r, err)
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
