// Package me is the "me" function: everything about the signed-in attendee.
//
//	GET    /api/me                      identity and profile
//	PATCH  /api/me                      change the profile
//	DELETE /api/me                      erase everything stored about the user
//	GET    /api/me/export               everything stored about the user, as JSON
//	GET    /api/me/saves                saved parties, current details, chronological
//	PUT    /api/me/saves/{partyId}      save a party
//	DELETE /api/me/saves/{partyId}      unsave a party
//	POST   /api/me/saves/import         save the parties of a shared list
//	GET    /api/me/shares               the caller's shared-list links
//	POST   /api/me/shares               a new read-only link to the saved list (or some of it)
//	DELETE /api/me/shares/{code}        revoke a link
//	GET    /api/me/schedule             saved parties per day, clashes, tight pairs and free time
//	GET    /api/me/changes              what changed in the saved parties since a time
//	GET    /api/me/calendar             the personal calendar feed URL
//	POST   /api/me/calendar/rotate      a new feed URL; the old one stops working
package me

import (
	"context"
	"net/http"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/personal"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

// Commands are the attendee use cases this function runs.
type Commands interface {
	ChangeProfile(ctx context.Context, uid string, change func(*attendee.Profile)) (attendee.Profile, []event.Event, error)
	AddSave(ctx context.Context, uid, partyID string) (bool, []event.Event, error)
	RemoveSave(ctx context.Context, uid, partyID string) (bool, []event.Event, error)
	CalendarLink(ctx context.Context, uid string, rotate bool) (string, attendee.CalendarLink, error)
	EraseUser(ctx context.Context, uid string) ([]event.Event, error)
	CreateShare(ctx context.Context, uid, title string, partyIDs []string) (attendee.Share, error)
	SharedPartyIDs(ctx context.Context, code string) ([]string, error)
	ImportSaves(ctx context.Context, uid string, partyIDs []string) (command.ImportResult, []event.Event, error)
}

// Store is what this function reads of attendee data.
type Store interface {
	Profile(ctx context.Context, uid string) (attendee.Profile, error)
	Swipes(ctx context.Context, uid string) ([]attendee.Swipe, error)
	Saves(ctx context.Context, uid string) ([]attendee.Save, error)
	CalendarLink(ctx context.Context, uid string) (attendee.CalendarLink, error)
	PartiesOwnedBy(ctx context.Context, uid string) ([]party.Party, error)
	SharesOf(ctx context.Context, uid string) ([]attendee.Share, error)
	DeleteShare(ctx context.Context, uid, code string) error
	Party(ctx context.Context, id string) (party.Party, error)
}

// History reads the recorded changes of a conference's parties.
type History interface {
	Since(ctx context.Context, conferenceID string, since time.Time) ([]party.Change, error)
}

// Views are the attendee's rendered saved list and saved parties.
type Views interface {
	List(ctx context.Context, uid string) (*rendered.Response, error)
	Saved(ctx context.Context, uid string) ([]personal.Saved, int, error)
}

// Feed finds the conference a schedule is for.
type Feed interface {
	ConferenceSnapshot(ctx context.Context, requested string) (*feed.Snapshot, error)
}

// Handler serves the me function. Requests reach it authenticated.
type Handler struct {
	Commands  Commands
	Store     Store
	Views     Views
	Feed      Feed
	History   History
	PublicURL string // base URL of calendar links; else taken from the request
	Now       func() time.Time
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
	rt.Handle(http.MethodPost, "/api/me/saves/import", h.authed(h.importSaves))
	rt.Handle(http.MethodGet, "/api/me/shares", h.authed(h.listShares))
	rt.Handle(http.MethodPost, "/api/me/shares", h.authed(h.createShare))
	rt.Handle(http.MethodDelete, "/api/me/shares/{code}", h.authed(h.revokeShare))
	rt.Handle(http.MethodGet, "/api/me/schedule", h.authed(h.schedule))
	rt.Handle(http.MethodGet, "/api/me/changes", h.authed(h.changes))
	rt.Handle(http.MethodGet, "/api/me/calendar", h.authed(h.calendarLink))
	rt.Handle(http.MethodPost, "/api/me/calendar/rotate", h.authed(h.rotateCalendar))
	rt.Handle(http.MethodGet, "/api/me/parties", h.authed(h.ownParties))
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
func ok(w http.ResponseWriter, data any) { httpapi.OK(w, http.StatusOK, data) }

// ownParties lists the parties the caller submitted, in every conference,
// with their status (pending, published, rejected with its reason...).
func (h *Handler) ownParties(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	if err := httpapi.OnlyParams(r.URL.Query()); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	ps, err := h.Store.PartiesOwnedBy(r.Context(), id.UID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	out := make([]feed.OwnedPartyJSON, 0, len(ps))
	for _, p := range ps {
		loc := time.UTC
		if snap, err := h.Feed.ConferenceSnapshot(r.Context(), p.ConferenceID); err == nil {
			loc = snap.Location
		}
		out = append(out, feed.NewOwnedPartyJSON(p, loc))
	}
	httpapi.OK(w, http.StatusOK, out)
}
