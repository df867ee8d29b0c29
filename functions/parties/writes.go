package parties

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Organizers are the write use cases (shared/command.Organizers).
type Organizers interface {
	Submit(ctx context.Context, who identity.Identity, p party.Party, idempotencyKey string, force bool) (party.Party, bool, []event.Event, error)
	Edit(ctx context.Context, who identity.Identity, id string, version int64, force bool, edit func(*party.Party) error) (party.Party, []event.Event, error)
	Cancel(ctx context.Context, who identity.Identity, id string, version int64, reason string) (party.Party, []event.Event, error)
	Publish(ctx context.Context, who identity.Identity, id string, version int64) (party.Party, []event.Event, error)
	Reject(ctx context.Context, who identity.Identity, id string, version int64, reason string) (party.Party, []event.Event, error)
	Remove(ctx context.Context, who identity.Identity, id string, version int64) (party.Party, []event.Event, error)
}

// Stored reads a party as stored, whatever its status: what an edit's
// If-Match is checked against.
type Stored interface {
	Party(ctx context.Context, id string) (party.Party, error)
}

// partyFields are the fields a client writes. On create the required
// ones must be there; on PATCH every field is optional and only those
// sent change.
type partyFields struct {
	Title       *string   `json:"title" validate:"omitempty,min=3,max=200"`
	Venue       *string   `json:"venue" validate:"omitempty,min=1,max=500"`
	Address     *string   `json:"address" validate:"omitempty,max=500"`
	Date        *string   `json:"date" validate:"omitempty,datetime=2006-01-02"`
	Time        *string   `json:"time" validate:"omitempty,datetime=15:04"`
	EndDate     *string   `json:"endDate" validate:"omitempty,datetime=2006-01-02"`
	EndTime     *string   `json:"endTime" validate:"omitempty,datetime=15:04"`
	Price       *string   `json:"price" validate:"omitempty,max=500"`
	Description *string   `json:"description" validate:"omitempty,max=5000"`
	Category    *string   `json:"category" validate:"omitempty,max=100"`
	Hosts       *[]string `json:"hosts" validate:"omitempty,max=20,dive,max=500"`
	Link        *string   `json:"link" validate:"omitempty,max=2000"`
	Lat         *float64  `json:"lat" validate:"omitempty,min=-90,max=90"`
	Lng         *float64  `json:"lng" validate:"omitempty,min=-180,max=180"`
}

type createRequest struct {
	ConferenceID string `json:"conferenceId" validate:"required,max=128"`
	Force        bool   `json:"force"` // store it even if it looks like a duplicate
	partyFields
}

type patchRequest struct {
	Force bool `json:"force"`
	partyFields
}

type reasonRequest struct {
	Reason string `json:"reason" validate:"required,max=500"`
}

// writeRoutes adds the organizers' and admins' routes.
func (h *Handler) writeRoutes(rt *httpapi.Router) {
	auth := h.WriteAuth
	if auth == nil {
		auth = func(next http.Handler) http.Handler { return next }
	}
	for _, route := range []struct {
		method, pattern string
		serve           http.HandlerFunc
	}{
		{http.MethodPost, "/api/parties", h.create},
		{http.MethodPatch, "/api/parties/{id}", h.patch},
		{http.MethodPost, "/api/parties/{id}/cancel", h.cancel},
		{http.MethodPost, "/api/parties/{id}/publish", h.publish},
		{http.MethodPost, "/api/parties/{id}/reject", h.reject},
		{http.MethodDelete, "/api/parties/{id}", h.remove},
	} {
		rt.Handle(route.method, route.pattern, auth(route.serve).ServeHTTP)
	}
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	who, ok := signedIn(w, r)
	if !ok {
		return
	}
	var req createRequest
	if err := httpapi.Decode(r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	// Every problem of the body is answered at once: its shape (the
	// validate tags), what it leaves out, what the conference's clock makes
	// of its times, and the party domain's rules, the conference's among
	// them. A field keeps its first problem.
	shape, err := apperr.FieldsOf(httpapi.Validate(&req))
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	for _, f := range []struct {
		name    string
		missing bool
	}{{"title", req.Title == nil}, {"venue", req.Venue == nil}, {"date", req.Date == nil}, {"time", req.Time == nil}} {
		if f.missing {
			shape = append(shape, apperr.FieldError{Field: f.name, Code: "required", Message: "is required"})
		}
	}
	if req.ConferenceID == "" {
		httpapi.Error(w, r, apperr.Merge("invalid request body", shape))
		return
	}
	snap, err := h.Feed.ConferenceSnapshot(r.Context(), req.ConferenceID)
	if err != nil {
		httpapi.Error(w, r, fieldNotFound(err, "conferenceId"))
		return
	}
	p := party.Party{ConferenceID: snap.Conference.ID, Category: party.NewCategory("")}
	applied := req.apply(&p, snap.Conference)
	domain, err := apperr.FieldsOf(party.CheckDraft(p, snap.Conference))
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if err := apperr.Merge("invalid request body", shape, applied, apiFields(domain)); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	created, isNew, _, err := h.Organizers.Submit(r.Context(), who, p, r.Header.Get("Idempotency-Key"), req.Force)
	if err != nil {
		writeError(w, r, err, snap.Conference)
		return
	}
	status := http.StatusCreated
	if !isNew {
		status = http.StatusOK // a retry answered with the first result
	}
	h.written(w, created, snap.Conference, status)
}

func (h *Handler) patch(w http.ResponseWriter, r *http.Request) {
	who, ok := signedIn(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	version, err := h.ifMatch(r, id)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	var req patchRequest
	if err := httpapi.Decode(r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	shape, err := apperr.FieldsOf(httpapi.Validate(&req))
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	var conf conference.Conference
	p, _, err := h.Organizers.Edit(r.Context(), who, id, version, req.Force, func(p *party.Party) error {
		snap, err := h.Feed.ConferenceSnapshot(r.Context(), p.ConferenceID)
		if err != nil {
			return err
		}
		conf = snap.Conference
		applied := req.apply(p, conf)
		domain, err := apperr.FieldsOf(p.ValidateIn(conf))
		if err != nil {
			return err
		}
		return apperr.Merge("invalid request body", shape, applied, apiFields(domain))
	})
	if err != nil {
		writeError(w, r, err, conf)
		return
	}
	h.written(w, p, conf, http.StatusOK)
}

func (h *Handler) cancel(w http.ResponseWriter, r *http.Request) {
	h.stateChange(w, r, true, func(who identity.Identity, id string, version int64, reason string) (party.Party, []event.Event, error) {
		return h.Organizers.Cancel(r.Context(), who, id, version, reason)
	})
}

func (h *Handler) reject(w http.ResponseWriter, r *http.Request) {
	h.stateChange(w, r, true, func(who identity.Identity, id string, version int64, reason string) (party.Party, []event.Event, error) {
		return h.Organizers.Reject(r.Context(), who, id, version, reason)
	})
}

// remove takes a party down (admins), leaving a tombstone its savers see
// as cancelled.
func (h *Handler) remove(w http.ResponseWriter, r *http.Request) {
	h.stateChange(w, r, false, func(who identity.Identity, id string, version int64, _ string) (party.Party, []event.Event, error) {
		return h.Organizers.Remove(r.Context(), who, id, version)
	})
}

func (h *Handler) publish(w http.ResponseWriter, r *http.Request) {
	h.stateChange(w, r, false, func(who identity.Identity, id string, version int64, _ string) (party.Party, []event.Event, error) {
		return h.Organizers.Publish(r.Context(), who, id, version)
	})
}

// stateChange serves cancel, publish and reject: If-Match is optional
// here (a moderator acts on the party's state, not its text), but when
// sent it must match.
func (h *Handler) stateChange(w http.ResponseWriter, r *http.Request, needsReason bool,
	do func(who identity.Identity, id string, version int64, reason string) (party.Party, []event.Event, error)) {
	who, ok := signedIn(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	var version int64
	if r.Header.Get("If-Match") != "" {
		v, err := h.ifMatch(r, id)
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		version = v
	}
	var req reasonRequest
	if needsReason {
		if err := httpapi.DecodeJSON(r, &req); err != nil {
			httpapi.Error(w, r, err)
			return
		}
	}
	p, _, err := do(who, id, version, req.Reason)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	snap, err := h.Feed.ConferenceSnapshot(r.Context(), p.ConferenceID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	h.written(w, p, snap.Conference, http.StatusOK)
}

// ifMatch returns the version an edit was made against, from If-Match:
// the ETag of the last write's answer ("v<version>"), or the ETag of
// GET /api/parties/{id} in any encoding, which names the party as the
// feed showed it. 428 without one; 412 when it names no current version.
func (h *Handler) ifMatch(r *http.Request, id string) (int64, error) {
	tag := strings.TrimSpace(r.Header.Get("If-Match"))
	if tag == "" {
		return 0, apperr.New(apperr.NeedsVersion, "send If-Match with the ETag of the party you edit")
	}
	tag = strings.TrimPrefix(tag, "W/")
	if v, ok := strings.CutPrefix(strings.Trim(tag, `"`), "v"); ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			return n, nil
		}
	}
	p, err := h.Stored.Party(r.Context(), id)
	if err != nil {
		return 0, err
	}
	snap, err := h.Feed.ConferenceSnapshot(r.Context(), p.ConferenceID)
	if err != nil {
		return 0, err
	}
	// The detail as it would answer now: its ETag is what a client that
	// read the party holds (a popularity refresh since makes it stale too).
	shown := feed.DataResponse(feed.CacheFeed, feed.Marshal(snap.PartyJSON(p)))
	if tag == shown.ETag || tag == shown.GzipETag {
		return p.Version, nil
	}
	return 0, apperr.New(apperr.Stale, "the party changed since you loaded it: load it again")
}

// written answers a write with the party as stored and its warnings
// (party.Warnings): what the write let through but looks like a mistake,
// such as an end a day late, for the organizer to check.
func (h *Handler) written(w http.ResponseWriter, p party.Party, c conference.Conference, status int) {
	w.Header().Set("ETag", fmt.Sprintf(`"v%d"`, p.Version))
	w.Header().Set("Cache-Control", "no-store")
	warnings := []apperr.FieldError{}
	for _, pw := range p.Warnings() {
		warnings = append(warnings, apperr.FieldError{Field: pw.Field, Code: pw.Code, Message: pw.Message})
	}
	httpapi.JSON(w, status, map[string]any{"success": true,
		"data": feed.NewOwnedPartyJSON(p, c.Location()), "warnings": warnings})
}

// apply sets the fields sent on p, with date and time local to the
// conference: an end time before the start time with no end date is
// after midnight of the same night. It returns what it cannot make of
// them; the party domain checks the rest (ValidateIn), the conference's
// days among them.
func (f partyFields) apply(p *party.Party, c conference.Conference) []apperr.FieldError {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.Title, f.Title)
	set(&p.Venue, f.Venue)
	set(&p.Address, f.Address)
	set(&p.Description, f.Description)
	if f.Price != nil {
		p.Price, p.Free = *f.Price, party.IsFree(*f.Price)
	}
	set(&p.Link, f.Link)
	if f.Category != nil {
		p.Category = party.NewCategory(*f.Category)
	}
	if f.Hosts != nil {
		p.Hosts = *f.Hosts
	}
	var fs []apperr.FieldError
	if (f.Lat == nil) != (f.Lng == nil) {
		fs = append(fs, apperr.FieldError{Field: "lat", Code: "required_with", Message: "lat and lng come together"})
	} else if f.Lat != nil {
		p.Location = &party.Point{Lat: *f.Lat, Lng: *f.Lng}
	}
	loc := c.Location()
	if f.Date != nil || f.Time != nil || f.EndDate != nil || f.EndTime != nil {
		start := p.Start.In(loc)
		date, clock := start.Format(conference.DateLayout), start.Format("15:04")
		set(&date, f.Date)
		set(&clock, f.Time)
		day, err := time.ParseInLocation(conference.DateLayout, date, loc)
		if err != nil {
			fs = append(fs, apperr.FieldError{Field: "date", Code: "format", Message: "must be a date, YYYY-MM-DD"})
		}
		at, err := time.Parse("15:04", clock)
		if err != nil {
			fs = append(fs, apperr.FieldError{Field: "time", Code: "format", Message: "must be a time, HH:MM"})
		}
		if !day.IsZero() {
			// A time that is not one still leaves the day to check.
			p.Start = time.Date(day.Year(), day.Month(), day.Day(), at.Hour(), at.Minute(), 0, 0, loc)
		}
		if f.EndTime != nil {
			endDate := date
			set(&endDate, f.EndDate)
			e, err := time.ParseInLocation("2006-01-02 15:04", endDate+" "+*f.EndTime, loc)
			if err == nil && f.EndDate == nil && !e.After(p.Start) {
				e = e.AddDate(0, 0, 1) // after midnight: the same night
			}
			if err != nil || !e.After(p.Start) {
				fs = append(fs, apperr.FieldError{Field: "endTime", Code: "range", Message: "must be after the start"})
			} else {
				p.End = e
			}
		} else if f.EndDate != nil {
			fs = append(fs, apperr.FieldError{Field: "endTime", Code: "required_with", Message: "is required with endDate"})
		}
	}
	return fs
}

// apiFields names the party domain's fields as this API's body does.
func apiFields(fs []apperr.FieldError) []apperr.FieldError {
	return apperr.Renamed(fs, map[string]string{"start": "date", "end": "endTime", "location": "lat", "conference": "conferenceId"})
}

func signedIn(w http.ResponseWriter, r *http.Request) (identity.Identity, bool) {
	who, ok := identity.From(r.Context())
	if !ok {
		httpapi.Error(w, r, apperr.New(apperr.Unauthorized, "sign in as an organizer or admin"))
	}
	return who, ok
}

// fieldNotFound names the field of an unknown conference: a 400 saying
// which field, not a 404 of the resource.
func fieldNotFound(err error, field string) error {
	if apperr.Is(err, apperr.NotFound) {
		return apperr.Field(field, "unknown", "names no conference")
	}
	return err
}

// writeError answers a write's error: a likely duplicate is a 409 problem
// listing the candidates and their similarity, the rest as usual.
func writeError(w http.ResponseWriter, r *http.Request, err error, c conference.Conference) {
	if fs, _ := apperr.FieldsOf(err); fs != nil {
		err = apperr.Merge("invalid request body", apiFields(fs)) // the domain's, as the body names them
	}
	if candidates, ok := feed.CandidatesOf(err, c.Location()); ok {
		httpapi.ErrorWithMember(w, r, err, "candidates", candidates)
		return
	}
	httpapi.Error(w, r, err)
}
