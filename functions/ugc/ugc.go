// Package ugc is the "ugc" function: the party form of the older client,
// kept working on top of the organizer use cases.
//
//	POST /api/ugc/events/create   submit a party (signed in)
//	GET  /api/ugc/events          the community's public submissions
//
// A submission here is an organizer submission like POST /api/parties
// (same roles, moderation, duplicate check, audit and limits), into the
// default conference, since the old form names none.
package ugc

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

// Feed finds a conference (the default one for "") and its public parties.
type Feed interface {
	ConferenceSnapshot(ctx context.Context, requested string) (*feed.Snapshot, error)
}

// Organizers submits parties (shared/command.Organizers).
type Organizers interface {
	Submit(ctx context.Context, who identity.Identity, p party.Party, idempotencyKey string, force bool) (party.Party, bool, []event.Event, error)
}

// Handler serves the function. WriteAuth wraps the form's POST: it
// authenticates and applies the write limits, as for POST /api/parties.
type Handler struct {
	Feed       Feed
	Organizers Organizers
	WriteAuth  func(http.Handler) http.Handler
}

// Routes returns the function's router.
func (h *Handler) Routes() http.Handler {
	rt := httpapi.NewRouter()
	create := http.Handler(http.HandlerFunc(h.create))
	if h.WriteAuth != nil {
		create = h.WriteAuth(create)
	}
	rt.Handle(http.MethodPost, "/api/ugc/events/create", create.ServeHTTP)
	rt.Handle(http.MethodGet, "/api/ugc/events", h.list)
	return rt
}

// createRequest is the old form's body.
type createRequest struct {
	Name        string `json:"name" validate:"required,min=3,max=200"`
	Creator     string `json:"creator" validate:"required,max=500"`
	Date        string `json:"date" validate:"required,datetime=2006-01-02"`
	StartTime   string `json:"startTime" validate:"required,datetime=15:04"`
	Venue       string `json:"venue" validate:"required,max=500"`
	Category    string `json:"category" validate:"max=100"`
	Description string `json:"description" validate:"max=5000"`
	ForceCreate bool   `json:"forceCreate"`
}

// eventJSON is a party in the old client's shape.
type eventJSON struct {
	ID           string `json:"id"`
	ConferenceID string `json:"conferenceId"`
	Name         string `json:"name"`
	Creator      string `json:"creator"`
	Date         string `json:"date"`
	StartTime    string `json:"startTime"`
	Venue        string `json:"venue"`
	Category     string `json:"category"`
	Description  string `json:"description"`
	Status       string `json:"status"`
	CreatedAt    string `json:"createdAt"`
}

func newEventJSON(p party.Party, loc *time.Location) eventJSON {
	start := p.Start.In(loc)
	creator := ""
	if len(p.Hosts) > 0 {
		creator = p.Hosts[0]
	}
	return eventJSON{ID: p.ID, ConferenceID: p.ConferenceID, Name: p.Title, Creator: creator,
		Date: start.Format(conference.DateLayout), StartTime: start.Format("15:04"), Venue: p.Venue,
		Category: p.Category.Label, Description: p.Description, Status: string(p.Status),
		CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339)}
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	who, ok := identity.From(r.Context())
	if !ok {
		httpapi.Error(w, r, apperr.New(apperr.Unauthorized, "sign in as an organizer or admin"))
		return
	}
	var req createRequest
	if err := httpapi.Decode(r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	// Every problem at once, as for POST /api/parties: the form's shape,
	// its times, and the party domain's rules with the conference's.
	shape, err := apperr.FieldsOf(httpapi.Validate(&req))
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	snap, err := h.Feed.ConferenceSnapshot(r.Context(), "")
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	c := snap.Conference
	p, parsed := req.party(c)
	domain, err := apperr.FieldsOf(party.CheckDraft(p, c))
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if err := apperr.Merge("invalid request body", shape, parsed, formFields(domain)); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	created, isNew, _, err := h.Organizers.Submit(r.Context(), who, p, r.Header.Get("Idempotency-Key"), req.ForceCreate)
	if candidates, ok := feed.CandidatesOf(err, c.Location()); ok {
		httpapi.ErrorWithMember(w, r, err, "candidates", candidates)
		return
	}
	if err != nil {
		if fs, _ := apperr.FieldsOf(err); fs != nil {
			err = apperr.Merge("invalid request body", formFields(fs)) // the domain's, as the form names them
		}
		httpapi.Error(w, r, err)
		return
	}
	status := http.StatusCreated
	if !isNew {
		status = http.StatusOK // a retry answered with the first result
	}
	httpapi.OK(w, status, newEventJSON(created, c.Location()))
}

// party builds the submission in the conference's time zone, returning
// what it cannot make of the form's date and time; the party domain
// checks the rest (party.CheckDraft).
func (req createRequest) party(c conference.Conference) (party.Party, []apperr.FieldError) {
	var fs []apperr.FieldError
	loc := c.Location()
	day, err := time.ParseInLocation(conference.DateLayout, req.Date, loc)
	if err != nil {
		fs = append(fs, apperr.FieldError{Field: "date", Code: "format", Message: "must be a date, YYYY-MM-DD"})
	}
	at, err := time.Parse("15:04", req.StartTime)
	if err != nil {
		fs = append(fs, apperr.FieldError{Field: "startTime", Code: "format", Message: "must be a time, HH:MM"})
	}
	var start time.Time
	if !day.IsZero() {
		// A time that is not one still leaves the day to check.
		start = time.Date(day.Year(), day.Month(), day.Day(), at.Hour(), at.Minute(), 0, 0, loc)
	}
	p := party.Party{ConferenceID: c.ID, Title: req.Name, Venue: req.Venue, Description: req.Description,
		Hosts: []string{strings.TrimSpace(req.Creator)}, Start: start, Category: party.NewCategory(req.Category)}
	return p, fs
}

// formFields names the party domain's fields as the old form does.
func formFields(fs []apperr.FieldError) []apperr.FieldError {
	return apperr.Renamed(fs, map[string]string{"title": "name", "start": "date", "hosts": "creator", "hosts[0]": "creator"})
}

// list serves the community's public submissions of a conference
// (?conference=, else the default), by start: parties organizers
// submitted, not imported ones. Built once per feed snapshot.
func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	if err := httpapi.OnlyParams(r.URL.Query(), "conference"); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	snap, err := h.Feed.ConferenceSnapshot(r.Context(), r.URL.Query().Get("conference"))
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	snap.Memo("ugc-events", func() any {
		out := []eventJSON{}
		for _, e := range snap.Entries {
			if e.Party.Owner != "" {
				out = append(out, newEventJSON(e.Party, snap.Location))
			}
		}
		return feed.DataResponse(feed.CacheFeed, feed.Marshal(out))
	}).(*rendered.Response).Serve(w, r)
}
