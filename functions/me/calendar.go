package me

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/ics"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/party"
)

// refreshInterval asks subscribed calendar apps to poll hourly.
const refreshInterval = time.Hour

// FeedPath is where personal calendar feeds are served: FeedPath + token + ".ics".
const FeedPath = "/api/calendar/u/"

type linkJSON struct {
	URL        string `json:"url"`   // webcal://, for one-tap subscription
	HTTPS      string `json:"https"` // the same feed over https
	Generation int64  `json:"generation"`
}

func (h *Handler) calendarLink(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	h.issueLink(w, r, id, false)
}

func (h *Handler) rotateCalendar(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	h.issueLink(w, r, id, true)
}

// issueLink answers with the user's feed URL, issuing the first one on
// demand. The token is derived, not stored, so it can be shown again; the
// store keeps its hash for the lookup. Rotating raises the generation,
// which makes a new token and drops the old hash.
func (h *Handler) issueLink(w http.ResponseWriter, r *http.Request, id identity.Identity, rotate bool) {
	if len(h.CalendarSecret) == 0 {
		httpapi.Error(w, r, apperr.New(apperr.Unavailable, "personal calendar links are not configured on this server"))
		return
	}
	ctx := r.Context()
	gen, hash, err := h.Store.CalendarToken(ctx, id.UID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if gen == 0 || rotate {
		gen++
	}
	erased, err := h.Store.ErasedAt(ctx, id.UID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	token := attendee.CalendarToken(h.CalendarSecret, id.UID, erased, gen)
	// Also when the stored hash is from another server secret: the link
	// shown must be the one that works.
	if want := attendee.HashToken(token); want != hash {
		if err := h.Store.SetCalendarToken(ctx, id.UID, gen, want); err != nil {
			httpapi.Error(w, r, err)
			return
		}
	}
	base := h.baseURL(r)
	https := base + FeedPath + token + ".ics"
	webcal := "webcal://" + strings.TrimPrefix(strings.TrimPrefix(https, "https://"), "http://")
	ok(w, linkJSON{URL: webcal, HTTPS: https, Generation: gen})
}

// baseURL is the public site: configured, or as the request reached us
// (Firebase Hosting passes the site's host in X-Forwarded-Host).
func (h *Handler) baseURL(r *http.Request) string {
	if h.PublicURL != "" {
		return h.PublicURL
	}
	host := r.Header.Get("X-Forwarded-Host")
	if host == "" {
		host = r.Host
	}
	scheme := "https"
	if r.TLS == nil && (strings.HasPrefix(host, "localhost") || strings.HasPrefix(host, "127.0.0.1") || strings.HasPrefix(host, "[::1]")) {
		scheme = "http"
	}
	return scheme + "://" + host
}

// FeedServer serves personal calendar feeds: no Authorization header
// (calendar apps cannot send one); the token in the URL is the secret.
type FeedServer struct {
	Store attendee.Repository
	Views *Views
}

// Serve answers GET /api/calendar/u/{token}.ics with the user's saved
// parties, current on every fetch; cancelled ones come as STATUS:CANCELLED.
func (s *FeedServer) Serve(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	token, isICS := strings.CutSuffix(file, ".ics")
	if !isICS || !attendee.ValidTokenShape(token) {
		httpapi.Error(w, r, apperr.New(apperr.NotFound, "no such calendar"))
		return
	}
	ctx := r.Context()
	uid, err := s.Store.UserByCalendarToken(ctx, attendee.HashToken(token))
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	resp, err := s.Views.Calendar(ctx, uid)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	resp.Serve(w, r)
}

func personalCalendar(ctx context.Context, c *feed.Cache, ss []saved) ([]byte, error) {
	// One time zone per file: that of the conference with most saves.
	// Other conferences' parties are still at their true instants.
	counts := map[string]int{}
	var conf conference.Conference
	best := 0
	ps := make([]party.Party, 0, len(ss))
	for _, s := range ss {
		ps = append(ps, s.Entry.Party)
		counts[s.Snap.Conference.ID]++
		if n := counts[s.Snap.Conference.ID]; n > best {
			best, conf = n, s.Snap.Conference
		}
	}
	if best == 0 {
		cs, err := c.Conferences(ctx)
		if err != nil {
			return nil, err
		}
		conf = conference.Conference{ID: "none", Name: "Partyfinder", TimeZone: "UTC"}
		if len(cs) > 0 {
			conf = cs[len(cs)-1]
		}
	}
	return ics.Encode(ics.Calendar{
		Name: "My parties", Conference: conf, Parties: ps,
		ProdID: "-//Partyfinder//Personal feed//EN", Refresh: refreshInterval,
	})
}
