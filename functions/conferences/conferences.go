// Package conferences is the "conferences" function.
//
//	GET /api/conferences                        every conference
//	GET /api/conferences/{id}                   one conference with its party count
//	GET /api/conferences/{id}/calendar.ics      subscribable calendar of all its parties
//	GET /api/conferences/{id}/schedule.xml      the same as a frab schedule (schedule apps)
//	GET /api/conferences/{id}/schedule.json     the frab schedule as JSON
package conferences

import (
	"context"
	"net/http"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// Feed is what this function reads of the party feed.
type Feed interface {
	Conferences(ctx context.Context) ([]conference.Conference, error)
	Snapshot(ctx context.Context, conferenceID string) (*feed.Snapshot, error)
}

// Handler serves the conferences function.
type Handler struct {
	Feed     Feed
	Calendar feed.CalendarOptions
}

// Routes returns the function's router.
func (h *Handler) Routes() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodGet, "/api/conferences", h.list)
	rt.Handle(http.MethodGet, "/api/conferences/{id}", h.get)
	rt.Handle(http.MethodGet, "/api/conferences/{id}/calendar.ics", h.calendar)
	rt.Handle(http.MethodGet, "/api/conferences/{id}/schedule.xml", h.schedule(feed.FormatFrabXML))
	rt.Handle(http.MethodGet, "/api/conferences/{id}/schedule.json", h.schedule(feed.FormatFrabJSON))
	return rt
}

// schedule serves the conference's parties as a frab schedule.
func (h *Handler) schedule(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		snap, err := h.Feed.Snapshot(r.Context(), r.PathValue("id"))
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		resp, err := snap.ConferenceSchedule(format, h.Calendar)
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		resp.Serve(w, r)
	}
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	cs, err := h.Feed.Conferences(r.Context())
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	out := make([]feed.ConferenceJSON, len(cs))
	for i, c := range cs {
		out[i] = feed.NewConferenceJSON(c)
	}
	feed.DataResponse(feed.CacheFeed, feed.Marshal(out)).Serve(w, r)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	snap, err := h.Feed.Snapshot(r.Context(), r.PathValue("id"))
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	snap.ConferenceResponse().Serve(w, r)
}

func (h *Handler) calendar(w http.ResponseWriter, r *http.Request) {
	snap, err := h.Feed.Snapshot(r.Context(), r.PathValue("id"))
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	resp, err := snap.ConferenceCalendar(h.Calendar)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	resp.Serve(w, r)
}
