package admin

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

// auditEntryJSON is one entry of the audit trail.
type auditEntryJSON struct {
	ID           string            `json:"id"`
	At           string            `json:"at"`
	Actor        string            `json:"actor"`
	Action       string            `json:"action"`
	ConferenceID string            `json:"conferenceId"`
	PartyID      string            `json:"partyId,omitempty"`
	Before       map[string]string `json:"before"`
	After        map[string]string `json:"after"`
	Forced       bool              `json:"forced"`
	Note         string            `json:"note,omitempty"`
}

// The times an entry id can carry: Unix nanoseconds from 1970 to 2262.
var (
	firstIDTime = time.Unix(0, 0)
	lastIDTime  = time.Unix(0, math.MaxInt64)
)

// withinIDs brings a from or to bound into the range of entry ids, so a
// bound far in the past or future stays one (ids are compared as text, and
// a time past 2262 would wrap around to a negative one): before 1970 is
// before every entry, after 2262 after every entry.
func withinIDs(t time.Time) time.Time {
	switch {
	case t.IsZero():
		return t
	case t.Before(firstIDTime):
		return firstIDTime
	case t.After(lastIDTime):
		return lastIDTime
	}
	return t
}

type auditMeta struct {
	Count      int    `json:"count"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// audit pages through the audit trail, newest first: ?party=, ?user=
// (the actor's uid), ?from= and ?to= (RFC 3339; from inclusive, to
// exclusive), ?limit= (1-200, default 50) and ?cursor= from the last
// page's meta.nextCursor.
func (h *Handler) audit(w http.ResponseWriter, r *http.Request, _ identity.Identity) {
	v := r.URL.Query()
	if err := httpapi.OnlyParams(v, "party", "user", "from", "to", "limit", "cursor"); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	q := audit.Query{Party: v.Get("party"), Actor: v.Get("user"), Limit: audit.DefaultLimit}
	var fs []apperr.FieldError
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := v.Get(t.name); s != "" {
			at, err := time.Parse(time.RFC3339, s)
			if err != nil {
				fs = append(fs, apperr.FieldError{Field: t.name, Code: "format", Message: "must be an RFC 3339 time such as 2025-08-20T18:00:00Z"})
			}
			*t.dst = at
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		fs = append(fs, apperr.FieldError{Field: "to", Code: "range", Message: "must be after from"})
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > audit.MaxLimit {
			fs = append(fs, apperr.FieldError{Field: "limit", Code: "range", Message: "must be 1 to 200"})
		}
		q.Limit = n
	}
	for _, p := range []struct{ name, value string }{{"party", q.Party}, {"user", q.Actor}} {
		if len(p.value) > 128 {
			fs = append(fs, apperr.FieldError{Field: p.name, Code: "max", Message: "must be at most 128 bytes"})
		}
	}
	if c := v.Get("cursor"); c != "" {
		after, err := audit.ParseCursor(c)
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		q.After = after
	}
	if err := apperr.Fields("invalid query", fs); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	q.From, q.To = withinIDs(q.From), withinIDs(q.To)
	entries, more, err := h.Audit.AuditEntries(r.Context(), q)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	out := make([]auditEntryJSON, 0, len(entries))
	for _, e := range entries {
		out = append(out, auditEntryJSON{ID: e.ID, At: e.At.UTC().Format(time.RFC3339Nano), Actor: e.Actor, Action: e.Action,
			ConferenceID: e.Conference, PartyID: e.Party, Before: e.Before, After: e.After, Forced: e.Forced, Note: e.Note})
	}
	meta := auditMeta{Count: len(out)}
	if more && len(entries) > 0 {
		meta.NextCursor = audit.Cursor(entries[len(entries)-1].ID)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(rendered.Success(feed.Marshal(out), feed.Marshal(meta)))
}
