// Package calendar is the "calendar" function: calendar URLs outside the
// party resource.
//
//	GET /api/calendar/ics?partyId=ID    one party as iCalendar (older clients)
//	GET /api/calendar/u/{token}.ics     an attendee's personal feed of saved parties
package calendar

import (
	"net/http"

	"github.com/partyfinder/partyfinder/functions/me"
	"github.com/partyfinder/partyfinder/functions/parties"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// Handler serves the calendar function.
type Handler struct {
	Feed     *feed.Cache
	Calendar feed.CalendarOptions
	Personal *me.FeedServer // nil where attendee data is not served
}

// Routes returns the function's router.
func (h *Handler) Routes() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodGet, "/api/calendar/ics", h.party)
	if h.Personal != nil {
		rt.Handle(http.MethodGet, me.FeedPath+"{file}", h.Personal.Serve)
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
	parties.ServePartyCalendar(w, r, h.Feed, id, h.Calendar)
}
