// Package analytics is the "analytics" function: what people do with
// parties, reported by clients and counted from domain events.
//
//	POST /api/analytics/events            client interactions, signed in or anonymous (202)
//	GET  /api/hotspots?conference=ID      venues by current saves, with the savers' persona mix
//	GET  /api/parties/trending            the conference's parties by trending score
//	GET  /api/parties/{id}/stats          a party's counters (admins)
//	GET  /api/analytics/dashboard         a conference's totals, days, top parties and funnel (admins)
package analytics

import (
	"context"
	"net/http"
	"time"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// Feed finds conferences and parties.
type Feed interface {
	ConferenceSnapshot(ctx context.Context, requested string) (*feed.Snapshot, error)
	PartySnapshot(ctx context.Context, id string) (*feed.Snapshot, *feed.Entry, error)
}

// Stats reads the counted analytics.
type Stats interface {
	Stats(ctx context.Context, partyID string) (analytics.PartyStats, error)
	ConferenceStats(ctx context.Context, conference string) ([]analytics.PartyStats, error)
	ConferenceDays(ctx context.Context, conference, from, to string) ([]analytics.Day, error)
}

// Handler serves the analytics function. Requests reach it with an
// identity when they carried a valid token, and without one otherwise.
type Handler struct {
	Feed  Feed
	Stats Stats
	// PublicStats, if set, serves the public reads (hotspots, trending):
	// a CachedStats, so a busy conference costs one store read per
	// interval; admins always read Stats.
	PublicStats Stats
	Events      event.Publisher // where client interactions go to be counted
	Now         func() time.Time
	// Limit wraps the report route in the limits of the deployment: per
	// signed-in user and per client address, across instances with Redis
	// (App.LimitClients). Nil: UserLimit per user and AnonymousLimit for
	// all anonymous clients of this process together.
	Limit func(http.Handler) http.Handler
	// Limits on reports without Limit. Zero values take the defaults.
	UserLimit, AnonymousLimit httpapi.Limit
}

// Default report limits: a phone reports a few times a minute; a burst
// covers a backlog sent when it comes back online.
// A client address may be a venue's Wi-Fi with hundreds of phones behind
// it, so its budget is generous; it stops a script, not a crowd.
var (
	DefaultUserLimit      = httpapi.Limit{Rate: 2, Burst: 20}
	DefaultAnonymousLimit = httpapi.Limit{Rate: 200, Burst: 400}
	DefaultClientLimit    = httpapi.Limit{Rate: 20, Burst: 200}
)

// Routes returns the function's router.
func (h *Handler) Routes() http.Handler {
	rt := httpapi.NewRouter()
	user, anon := h.UserLimit, h.AnonymousLimit
	if user.Burst == 0 {
		user = DefaultUserLimit
	}
	if anon.Burst == 0 {
		anon = DefaultAnonymousLimit
	}
	report := httpapi.RateLimit(user, anon, http.HandlerFunc(h.report))
	if h.Limit != nil {
		report = h.Limit(http.HandlerFunc(h.report))
	}
	rt.Handle(http.MethodPost, "/api/analytics/events", report.ServeHTTP)
	rt.Handle(http.MethodGet, "/api/analytics/dashboard", h.dashboard)
	rt.Handle(http.MethodGet, "/api/hotspots", h.hotspots)
	rt.Handle(http.MethodGet, "/api/parties/trending", h.trending)
	rt.Handle(http.MethodGet, "/api/parties/{id}/stats", h.stats)
	return rt
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
