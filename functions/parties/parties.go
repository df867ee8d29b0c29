// Package parties is the "parties" function: the public party feed, party
// details and per-party calendar files.
//
//	GET /api/parties                      feed with filters and paging
//	GET /api/parties/{id}                 one party
//	GET /api/parties/{id}/calendar.ics    one party as iCalendar
package parties

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// Handler serves the parties function.
type Handler struct {
	Feed     *feed.Cache
	Calendar feed.CalendarOptions
}

// Routes returns the function's router.
func (h *Handler) Routes() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodGet, "/api/parties", h.list)
	rt.Handle(http.MethodGet, "/api/parties/{id}", h.get)
	rt.Handle(http.MethodGet, "/api/parties/{id}/calendar.ics", h.calendar)
	return rt
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	raw := r.URL.RawQuery
	var v url.Values
	requested := ""
	if strings.Contains(raw, "conference") {
		v = r.URL.Query()
		requested = orDefault(v.Get("conference"), v.Get("conferenceId"))
	}
	snap, err := h.Feed.ConferenceSnapshot(ctx, requested)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	// The hot path: a query string seen before against this snapshot is
	// answered without parsing it again.
	if resp, ok := h.Feed.CachedPage(snap, raw); ok {
		resp.Serve(w, r)
		return
	}
	if v == nil {
		v = r.URL.Query()
	}
	q, err := feed.ParseQuery(v, snap.Conference.ID, snap.Location)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	resp, err := h.Feed.FeedPage(ctx, snap, q, raw)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	resp.Serve(w, r)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	snap, e, err := h.Feed.PartySnapshot(r.Context(), r.PathValue("id"))
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	snap.PartyResponse(e).Serve(w, r)
}

func (h *Handler) calendar(w http.ResponseWriter, r *http.Request) {
	ServePartyCalendar(w, r, h.Feed, r.PathValue("id"), h.Calendar)
}

// ServePartyCalendar writes one party's iCalendar file; the calendar
// function's older URL shares it.
func ServePartyCalendar(w http.ResponseWriter, r *http.Request, c *feed.Cache, id string, o feed.CalendarOptions) {
	snap, e, err := c.PartySnapshot(r.Context(), id)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	resp, err := snap.PartyCalendar(e, o)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	resp.Serve(w, r)
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
