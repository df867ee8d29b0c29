// Package calendar is the "calendar" function: calendar URLs outside the
// party resource.
//
//	GET /api/calendar/ics?partyId=ID    one party as iCalendar (older clients)
//	GET /api/calendar/u/{token}.ics     an attendee's personal feed of saved parties
package calendar

import (
	"context"
	"net/http"
	"strings"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/personal"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

// Feed renders one party's calendar file.
type Feed interface {
	PartyCalendar(ctx context.Context, id string, o feed.CalendarOptions) (*rendered.Response, error)
}

// Personal renders personal calendar feeds by their link's token.
type Personal interface {
	CalendarByToken(ctx context.Context, token string) (*rendered.Response, error)
}

// Handler serves the calendar function.
type Handler struct {
	Feed     Feed
	Calendar feed.CalendarOptions
	Personal Personal // nil where attendee data is not served
}

// Routes returns the function's router.
func (h *Handler) Routes() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodGet, "/api/calendar/ics", h.party)
	if h.Personal != nil {
		rt.Handle(http.MethodGet, personal.FeedPath+"{file}", h.personal)
	}
	return rt
}

func (h *Handler) party(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("partyId")
	if id == "" {
		id = r.URL.Query().Get("eventId")
	}
	if id == "" {
		httpapi.Error(w, r, apperr.Field("partyId", "required", "is required"))
		return
	}
	serve(w, r)(h.Feed.PartyCalendar(r.Context(), id, h.Calendar))
}

// personal answers GET /api/calendar/u/{token}.ics with the user's saved
// parties, current on every fetch; cancelled ones come as STATUS:CANCELLED.
func (h *Handler) personal(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok {
		httpapi.Error(w, r, apperr.New(apperr.NotFound, "no such calendar"))
		return
	}
	serve(w, r)(h.Personal.CalendarByToken(r.Context(), token))
}

// serve writes a rendered response, or the error that came instead.
func serve(w http.ResponseWriter, r *http.Request) func(*rendered.Response, error) {
	return func(resp *rendered.Response, err error) {
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		resp.Serve(w, r)
	}
}
