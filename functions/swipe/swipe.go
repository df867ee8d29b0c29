// Package swipe is the "swipe" function: an attendee's decision about a party.
//
//	POST /api/swipe   {"partyId","action":"like"|"pass"|"interested"} or {"eventId","direction":"right"|"left"}
package swipe

import (
	"context"
	"net/http"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// Recorder records swipes: the swipe use case.
type Recorder interface {
	RecordSwipe(ctx context.Context, uid, partyID string, action attendee.Action) (attendee.SwipeResult, []event.Event, error)
}

// Handler serves the swipe function. Requests reach it authenticated.
type Handler struct {
	Swipes Recorder
}

// Routes returns the function's router.
func (h *Handler) Routes() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodPost, "/api/swipe", h.swipe)
	return rt
}

// request accepts both what current clients send (partyId, action) and
// what older ones send (eventId, direction).
type request struct {
	PartyID   string `json:"partyId" validate:"max=128"`
	EventID   string `json:"eventId" validate:"max=128"`
	Action    string `json:"action" validate:"omitempty,oneof=like pass interested"`
	Direction string `json:"direction" validate:"omitempty,oneof=right left"`
	// Timestamp and source are sent by some clients; the server's clock decides.
	Timestamp any    `json:"timestamp,omitempty"`
	Source    string `json:"source,omitempty" validate:"max=64"`
}

// SwipeJSON is the stored decision as the API returns it.
type SwipeJSON struct {
	ID        string          `json:"id"`
	PartyID   string          `json:"partyId"`
	Action    attendee.Action `json:"action"`
	Timestamp string          `json:"timestamp"`
}

type response struct {
	Success    bool            `json:"success"`
	Swipe      SwipeJSON       `json:"swipe"`
	Previous   attendee.Action `json:"previousAction,omitempty"`
	Changed    bool            `json:"changed"`
	Saved      bool            `json:"saved"`
	Message    string          `json:"message"`
	NextAction string          `json:"nextAction"`
}

func (h *Handler) swipe(w http.ResponseWriter, r *http.Request) {
	id, ok := identity.From(r.Context())
	if !ok {
		httpapi.Error(w, r, apperr.New(apperr.Unauthorized, "sign in to swipe"))
		return
	}
	var req request
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	partyID, action, err := req.parse()
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	res, _, err := h.Swipes.RecordSwipe(r.Context(), id.UID, partyID, action)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	out := response{
		Success:  true,
		Swipe:    JSON(res.Swipe),
		Previous: res.Previous,
		Changed:  res.Changed(),
		Saved:    res.Saved,
		Message:  message(res),
		// The client shows the next card; the schedule is where saved parties go.
		NextAction: "next",
	}
	httpapi.JSON(w, http.StatusOK, out)
}

func (req request) parse() (string, attendee.Action, error) {
	var fs []apperr.FieldError
	partyID := req.PartyID
	if partyID == "" {
		partyID = req.EventID
	}
	if partyID == "" {
		fs = append(fs, apperr.FieldError{Field: "partyId", Code: "required", Message: "is required (or eventId)"})
	}
	raw := req.Action
	if raw == "" {
		raw = req.Direction
	}
	action, ok := attendee.ParseAction(raw)
	if !ok {
		fs = append(fs, apperr.FieldError{Field: "action", Code: "required", Message: "is required: like, pass or interested (or direction right/left)"})
	}
	return partyID, action, apperr.Fields("invalid swipe", fs)
}

// JSON converts a swipe for the API; its id is stable per user and party.
func JSON(s attendee.Swipe) SwipeJSON {
	return SwipeJSON{ID: s.UID + "_" + s.PartyID, PartyID: s.PartyID, Action: s.Action, Timestamp: s.At.UTC().Format(time.RFC3339)}
}

func message(res attendee.SwipeResult) string {
	switch {
	case res.Previous == res.Swipe.Action:
		return "No change: you had already decided " + string(res.Swipe.Action) + "."
	case res.Saved:
		return "Saved to your parties."
	case res.Previous.Saves():
		return "Removed from your parties."
	}
	return "Passed."
}
