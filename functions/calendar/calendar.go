// Package calendar is the "calendar" function: calendar URLs outside the
// party resource.
//
//	GET /api/calendar/ics?partyId=ID    one party as iCalendar (older clients)
//	GET /api/calendar/u/{token}.ics     an attendee's personal feed of saved parties (.xml, .json: frab)
//	GET /api/shares/{code}              a shared list of parties (JSON; ?format=ics, frab-xml, frab-json)
package calendar

import (
	"context"
	"net/http"
	"path"
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

// Personal renders personal calendar feeds by their link's token, and
// shared lists by their code.
type Personal interface {
	CalendarByToken(ctx context.Context, token, format string) (*rendered.Response, error)
	Shared(ctx context.Context, code, format string) (*rendered.Response, error)
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
		rt.Handle(http.MethodGet, personal.SharePath+"{code}", h.shared)
	}
	return rt
}

func (h *Handler) party(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	if err := httpapi.OnlyParams(v, "partyId", "eventId"); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	id := v.Get("partyId")
	if id == "" {
		id = v.Get("eventId")
	}
	if id == "" {
		httpapi.Error(w, r, apperr.Field("partyId", "required", "is required"))
		return
	}
	serve(w, r)(h.Feed.PartyCalendar(r.Context(), id, h.Calendar))
}

// personalFormats are the personal feed's file extensions.
var personalFormats = map[string]string{".ics": feed.FormatICS, ".xml": feed.FormatFrabXML, ".json": feed.FormatFrabJSON}

// personal answers GET /api/calendar/u/{token}.ics (or .xml, .json: the
// frab schedule) with the user's saved parties, current on every fetch;
// cancelled ones come marked.
func (h *Handler) personal(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	ext := path.Ext(file)
	format, ok := personalFormats[ext]
	if !ok {
		httpapi.Error(w, r, apperr.New(apperr.NotFound, "no such calendar"))
		return
	}
	serve(w, r)(h.Personal.CalendarByToken(r.Context(), strings.TrimSuffix(file, ext), format))
}

// shared answers GET /api/shares/{code}: a read-only list anyone with the
// link may read, as JSON or (format=ics, or Accept: text/calendar) as a
// subscribable calendar. Search engines are asked to keep out.
func (h *Handler) shared(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	if err := httpapi.OnlyParams(v, "format"); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	format := v.Get("format")
	if format == "" {
		format = feed.FormatJSON
		switch accept := r.Header.Get("Accept"); {
		case strings.HasPrefix(accept, "text/calendar"):
			format = feed.FormatICS
		case strings.HasPrefix(accept, "application/xml"), strings.HasPrefix(accept, "text/xml"):
			format = feed.FormatFrabXML
		}
	}
	w.Header().Set("X-Robots-Tag", "noindex")
	w.Header().Add("Vary", "Accept")
	serve(w, r)(h.Personal.Shared(r.Context(), r.PathValue("code"), format))
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
