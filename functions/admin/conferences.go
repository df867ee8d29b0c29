package admin

import (
	"net/http"
	"strings"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
)

type conferenceRequest struct {
	ID         string   `json:"id" validate:"required,max=64"`
	Name       string   `json:"name" validate:"required,max=200"`
	City       string   `json:"city" validate:"required,max=200"`
	TimeZone   string   `json:"timeZone" validate:"required,max=64"`
	FirstDay   string   `json:"firstDay" validate:"required"`
	LastDay    string   `json:"lastDay" validate:"required"`
	Categories []string `json:"categories" validate:"max=50,dive,max=60"`
	SyncURL    string   `json:"syncUrl" validate:"max=2000"`
}

// conferencePatch holds the fields a PATCH changes; absent ones stay. An
// empty categories list or syncUrl clears it. The days are checked by
// conference.Validate, which names a malformed one with the contract's
// "format" code.
type conferencePatch struct {
	Name       *string   `json:"name" validate:"omitempty,min=1,max=200"`
	City       *string   `json:"city" validate:"omitempty,min=1,max=200"`
	TimeZone   *string   `json:"timeZone" validate:"omitempty,min=1,max=64"`
	FirstDay   *string   `json:"firstDay"`
	LastDay    *string   `json:"lastDay"`
	Categories *[]string `json:"categories" validate:"omitempty,max=50,dive,max=60"`
	SyncURL    *string   `json:"syncUrl" validate:"omitempty,max=2000"`
}

// adminConferenceJSON is a conference as admins see it: as the public
// does, with the sheet it re-syncs from.
type adminConferenceJSON struct {
	feed.ConferenceJSON
	SyncURL string `json:"syncUrl,omitempty"`
}

func trimAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// createConference stores a new conference, so a conference no longer
// needs the command line.
func (h *Handler) createConference(w http.ResponseWriter, r *http.Request, who identity.Identity) {
	var req conferenceRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	// One validation of the whole conference, so a request with several
	// problems hears of all of them at once.
	c := conference.Conference{
		ID:       strings.TrimSpace(req.ID),
		Name:     strings.TrimSpace(req.Name),
		City:     strings.TrimSpace(req.City),
		TimeZone: strings.TrimSpace(req.TimeZone),
		FirstDay: strings.TrimSpace(req.FirstDay),
		LastDay:  strings.TrimSpace(req.LastDay),
		SyncURL:  strings.TrimSpace(req.SyncURL),
	}
	if len(req.Categories) > 0 {
		c.Categories = trimAll(req.Categories)
	}
	if err := c.Validate(); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	// The id names the conference: a retry with an Idempotency-Key finds
	// the first one instead of a conflict.
	c, created, err := h.Conferences.Create(r.Context(), who, c, r.Header.Get("Idempotency-Key") != "")
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	h.answerConference(w, r, c, status)
}

// updateConference changes the details sent; the answer is the
// conference as stored.
func (h *Handler) updateConference(w http.ResponseWriter, r *http.Request, who identity.Identity) {
	var req conferencePatch
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	c, err := h.Conferences.Update(r.Context(), who, r.PathValue("id"), func(c *conference.Conference) error {
		for _, f := range []struct {
			dst *string
			v   *string
		}{{&c.Name, req.Name}, {&c.City, req.City}, {&c.TimeZone, req.TimeZone}, {&c.FirstDay, req.FirstDay}, {&c.LastDay, req.LastDay}, {&c.SyncURL, req.SyncURL}} {
			if f.v != nil {
				*f.dst = strings.TrimSpace(*f.v)
			}
		}
		if req.Categories != nil {
			c.Categories = trimAll(*req.Categories)
		}
		return nil
	})
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	h.answerConference(w, r, c, http.StatusOK)
}

// answerConference answers with the conference as this process now
// serves it: the writer reads its own write.
func (h *Handler) answerConference(w http.ResponseWriter, r *http.Request, c conference.Conference, status int) {
	h.Feed.Invalidate(c.ID)
	out := adminConferenceJSON{ConferenceJSON: feed.NewConferenceJSON(c), SyncURL: c.SyncURL}
	if snap, err := h.Feed.ConferenceSnapshot(r.Context(), c.ID); err == nil {
		n := 0
		for _, d := range snap.Days {
			n += d.Count
		}
		out.PartyCount = &n
	}
	httpapi.OK(w, status, out)
}
