// Package partydays is the "partydays" function.
//
//	GET /api/party-days?conference=ID   the days that have parties, with counts, chronological
package partydays

import (
	"context"
	"net/http"

	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// Feed finds the snapshot of the conference asked for.
type Feed interface {
	ConferenceSnapshot(ctx context.Context, requested string) (*feed.Snapshot, error)
}

// Handler serves the partydays function.
type Handler struct {
	Feed Feed
}

// Routes returns the function's router.
func (h *Handler) Routes() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodGet, "/api/party-days", h.days)
	return rt
}

func (h *Handler) days(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	if err := httpapi.OnlyParams(v, "conference"); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	snap, err := h.Feed.ConferenceSnapshot(r.Context(), v.Get("conference"))
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	snap.DaysResponse().Serve(w, r)
}
