package analytics

import (
	"fmt"
	"net/http"
	"time"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// MaxEvents is how many interactions one report may carry.
const MaxEvents = 100

// clockSkew is how far a client's time may be from ours before ours is
// used: phones' clocks are wrong, and a report may be sent late.
const clockSkew = 24 * time.Hour

type reportRequest struct {
	Events []interactionJSON `json:"events" validate:"required,min=1,max=100,dive"`
}

type interactionJSON struct {
	ID      string     `json:"id" validate:"required,max=64"`
	Type    string     `json:"type" validate:"required,max=32"`
	PartyID string     `json:"partyId" validate:"max=128"`
	At      *time.Time `json:"at"`
	Query   string     `json:"query" validate:"max=200"`
}

// report takes a client's interactions: every one is validated (the
// answer names each problem by its index), its party must be visible,
// and then they are published to be counted, with no store write per
// report. Ids are the client's, scoped to the caller, so a resent report
// counts once.
func (h *Handler) report(w http.ResponseWriter, r *http.Request) {
	var req reportRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	actor, scope := "anonymous", "anon"
	if id, ok := identity.From(r.Context()); ok {
		actor, scope = id.UID, "u:"+id.UID
	}
	now := h.now().UTC()
	var fs []apperr.FieldError
	events := make([]event.Event, 0, len(req.Events))
	for i, in := range req.Events {
		it := analytics.Interaction{
			Meta:    event.Meta{ID: in.ID, Type: analytics.TypeInteraction, Version: analytics.EventVersion, At: now, Actor: actor},
			Kind:    analytics.Kind(in.Type),
			PartyID: in.PartyID,
			Query:   in.Query,
		}
		if in.At != nil && !in.At.After(now.Add(time.Minute)) && in.At.After(now.Add(-clockSkew)) {
			it.At = in.At.UTC()
		}
		problems := it.Validate()
		if len(problems) == 0 && it.PartyID != "" {
			snap, _, err := h.Feed.PartySnapshot(r.Context(), it.PartyID)
			switch {
			case apperr.Is(err, apperr.NotFound):
				problems = append(problems, apperr.FieldError{Field: "partyId", Code: "not_found", Message: "is not a visible party"})
			case err != nil:
				httpapi.Error(w, r, err)
				return
			default:
				it.Conference = snap.Conference.ID
			}
		}
		for _, f := range problems {
			f.Field = fmt.Sprintf("events[%d].%s", i, f.Field)
			fs = append(fs, f)
		}
		it.ID = "client:" + scope + ":" + in.ID
		events = append(events, it)
	}
	if err := apperr.Fields("invalid analytics events", fs); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if err := h.Events.Publish(r.Context(), events...); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusAccepted, map[string]any{"success": true, "accepted": len(events)})
}
