// Package me is the "me" function: everything about the signed-in attendee.
//
//	GET    /api/me                      identity and profile
//	PATCH  /api/me                      change the profile
//	DELETE /api/me                      erase everything stored about the user
//	GET    /api/me/export               everything stored about the user, as JSON
//	GET    /api/me/saves                saved parties, current details, chronological
//	PUT    /api/me/saves/{partyId}      save a party
//	DELETE /api/me/saves/{partyId}      unsave a party
//	GET    /api/me/schedule             saved parties per day, clashes and free time
//	GET    /api/me/calendar             the personal calendar feed URL
//	POST   /api/me/calendar/rotate      a new feed URL; the old one stops working
package me

import (
	"net/http"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// Handler serves the me function. Requests reach it authenticated.
type Handler struct {
	Store          attendee.Repository
	Feed           *feed.Cache
	CalendarSecret []byte // nil: personal calendar links are not configured
	PublicURL      string // base URL of calendar links; else taken from the request
	Erasures       *Erasures
	Views          *Views
	Now            func() time.Time
}

// Routes returns the function's router.
func (h *Handler) Routes() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodGet, "/api/me", h.authed(h.getMe))
	rt.Handle(http.MethodPatch, "/api/me", h.authed(h.patchMe))
	rt.Handle(http.MethodDelete, "/api/me", h.authed(h.deleteMe))
	rt.Handle(http.MethodGet, "/api/me/export", h.authed(h.export))
	rt.Handle(http.MethodGet, "/api/me/saves", h.authed(h.listSaves))
	rt.Handle(http.MethodPut, "/api/me/saves/{partyId}", h.authed(h.addSave))
	rt.Handle(http.MethodDelete, "/api/me/saves/{partyId}", h.authed(h.removeSave))
	rt.Handle(http.MethodGet, "/api/me/schedule", h.authed(h.schedule))
	rt.Handle(http.MethodGet, "/api/me/calendar", h.authed(h.calendarLink))
	rt.Handle(http.MethodPost, "/api/me/calendar/rotate", h.authed(h.rotateCalendar))
	return rt
}

// authed hands the verified identity to a handler; the authentication
// middleware in front of the function guarantees there is one, this is the
// second lock on the door.
func (h *Handler) authed(fn func(w http.ResponseWriter, r *http.Request, id identity.Identity)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := identity.From(r.Context())
		if !ok {
			httpapi.Error(w, r, apperr.New(apperr.Unauthorized, "sign in first"))
			return
		}
		fn(w, r, id)
	}
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// ok writes {"success":true,"data":data} and forbids caching: these are
// one user's data.
func ok(w http.ResponseWriter, data any) {
	httpapi.JSON(w, http.StatusOK, map[string]any{"success": true, "data": data})
}
