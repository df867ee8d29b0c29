// Package parties is the "parties" function: the public party feed, party
// details and per-party calendar files.
//
//	GET /api/parties                      feed with filters and paging
//	GET /api/parties?since=[token]        the whole conference, or what changed after a sync token
//	GET /api/parties/{id}                 one party
//	GET /api/parties/{id}/calendar.ics    one party as iCalendar
//	POST /api/parties                     submit a party (organizers, admins)
//	PATCH /api/parties/{id}               edit it, with If-Match
//	POST /api/parties/{id}/cancel|publish|reject
package parties

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

// Feed is what this function reads: the party feed's snapshots and its
// cache of finished pages.
type Feed interface {
	ConferenceSnapshot(ctx context.Context, requested string) (*feed.Snapshot, error)
	CachedPage(s *feed.Snapshot, rawQuery string) (*rendered.Response, bool)
	FeedPage(ctx context.Context, s *feed.Snapshot, q feed.Query, rawQuery string) (*rendered.Response, error)
	SyncPage(ctx context.Context, s *feed.Snapshot, q feed.Query, rawQuery string) (*rendered.Response, error)
	PartySnapshot(ctx context.Context, id string) (*feed.Snapshot, *feed.Entry, error)
	PartyCalendar(ctx context.Context, id string, o feed.CalendarOptions) (*rendered.Response, error)
}

// Handler serves the parties function.
type Handler struct {
	Feed     Feed
	Calendar feed.CalendarOptions
	// Organizers and Stored serve the writes; nil leaves the function
	// read-only.
	Organizers Organizers
	Stored     Stored
	// WriteAuth authenticates the writes (reads stay public).
	WriteAuth func(http.Handler) http.Handler
}

// Routes returns the function's router.
func (h *Handler) Routes() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodGet, "/api/parties", h.list)
	rt.Handle(http.MethodGet, "/api/parties/{id}", h.get)
	rt.Handle(http.MethodGet, "/api/parties/{id}/calendar.ics", h.calendar)
	if h.Organizers != nil {
		h.writeRoutes(rt)
	}
	return rt
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	raw := r.URL.RawQuery
	var v url.Values
	requested := ""
	// The conference decides the snapshot: decode the query whenever it
	// may name one, escaped names ("%63onference") included.
	if strings.Contains(raw, "conference") || strings.IndexByte(raw, '%') >= 0 {
		v = r.URL.Query()
		requested = orDefault(v.Get("conference"), v.Get("conferenceId"))
	}
	// A calendar app asks by Accept alone: the format it names joins the
	// query, so the cached page and the ETag are the format's. Shared
	// caches keep one copy per Accept.
	if h := w.Header(); len(h["Vary"]) == 1 && h["Vary"][0] == "Origin" {
		h["Vary"] = varyOriginAccept // the usual case, without an allocation
	} else {
		h["Vary"] = append(h["Vary"], "Accept")
	}
	if !strings.Contains(raw, "format=") {
		if f := negotiate(r.Header.Get("Accept")); f != "" {
			if raw == "" {
				raw = "format=" + f
			} else {
				raw += "&format=" + f
			}
			r.URL.RawQuery, v = raw, nil
		}
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
	page := h.Feed.FeedPage
	if q.Sync {
		page = h.Feed.SyncPage // 410 for a token that cannot be used
	}
	resp, err := page(ctx, snap, q, raw)
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
	resp, err := h.Feed.PartyCalendar(r.Context(), r.PathValue("id"), h.Calendar)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	resp.Serve(w, r)
}

// varyOriginAccept is shared: an append copies it (len == cap).
var varyOriginAccept = []string{"Origin", "Accept"}

// negotiate returns the calendar format an Accept header asks for ahead of
// JSON, or "" for JSON. Only a header naming a calendar type first (or
// alone) chooses one: browsers and fetch() send */* and get JSON.
func negotiate(accept string) string {
	if accept == "" || strings.HasPrefix(accept, "application/json") || strings.HasPrefix(accept, "*/*") {
		return ""
	}
	first, _, _ := strings.Cut(accept, ",")
	mediaType, _, _ := strings.Cut(first, ";")
	switch strings.ToLower(strings.TrimSpace(mediaType)) {
	case "text/calendar":
		return feed.FormatICS
	case "application/xml", "text/xml":
		return feed.FormatFrabXML
	}
	return ""
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
