package analytics

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// topParties is how many parties the dashboard ranks.
const topParties = 10

type dayJSON struct {
	Date string `json:"date"`
	analytics.Counters
}

type topJSON struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	analytics.Counters
}

type funnelJSON struct {
	Views        int64 `json:"views"`
	Saves        int64 `json:"saves"`
	CalendarAdds int64 `json:"calendarAdds"`
}

type dashboardJSON struct {
	Conference string             `json:"conference"`
	Totals     analytics.Counters `json:"totals"`
	Days       []dayJSON          `json:"days"`
	TopParties []topJSON          `json:"topParties"`
	Funnel     funnelJSON         `json:"funnel"`
}

// admin answers 401 or 403 unless the caller is an admin.
func admin(w http.ResponseWriter, r *http.Request, what string) bool {
	id, ok := identity.From(r.Context())
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="partyfinder"`)
		httpapi.Error(w, r, apperr.New(apperr.Unauthorized, "missing bearer token"))
		return false
	}
	if !id.Has(identity.Admin) {
		httpapi.Error(w, r, apperr.New(apperr.Forbidden, "only admins may see %s", what))
		return false
	}
	return true
}

// dashboard answers the conference's totals, its net changes per UTC day,
// its most saved parties and the funnel from views to calendar adds. With
// from or to, the totals and the funnel are those of the days in range;
// the ranking is always of all time.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	if !admin(w, r, "the analytics dashboard") {
		return
	}
	if err := httpapi.OnlyParams(r.URL.Query(), "conference", "from", "to"); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	var fs []apperr.FieldError
	for _, p := range []struct{ name, v string }{{"from", from}, {"to", to}} {
		if _, err := time.Parse(time.DateOnly, p.v); p.v != "" && err != nil {
			fs = append(fs, apperr.FieldError{Field: p.name, Code: "format", Message: "must be a date, YYYY-MM-DD"})
		}
	}
	if len(fs) == 0 && from != "" && to != "" && from > to {
		fs = append(fs, apperr.FieldError{Field: "to", Code: "range", Message: "must not be before from"})
	}
	if err := apperr.Fields("invalid query parameters", fs); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	snap, stats, err := h.conference(r, q.Get("conference"), h.Stats) // admins see current counts
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	days, err := h.Stats.ConferenceDays(r.Context(), snap.Conference.ID, from, to)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	out := dashboardJSON{Conference: snap.Conference.ID, Days: []dayJSON{}, TopParties: []topJSON{}}
	for _, d := range days {
		out.Days = append(out.Days, dayJSON{Date: d.Date, Counters: d.Counters})
		if from != "" || to != "" {
			out.Totals.Add(d.Counters)
		}
	}
	slices.SortFunc(stats, func(a, b analytics.PartyStats) int {
		return cmp.Or(cmp.Compare(b.Counters.Saves, a.Counters.Saves), cmp.Compare(b.Counters.Views, a.Counters.Views), cmp.Compare(a.PartyID, b.PartyID))
	})
	for _, s := range stats {
		if from == "" && to == "" {
			out.Totals.Add(s.Counters)
		}
		if e, ok := snap.Entry(s.PartyID); ok && len(out.TopParties) < topParties {
			out.TopParties = append(out.TopParties, topJSON{ID: s.PartyID, Title: e.Party.Title, Counters: s.Counters})
		}
	}
	out.Funnel = funnelJSON{Views: out.Totals.Views, Saves: out.Totals.Saves, CalendarAdds: out.Totals.CalendarAdds}
	httpapi.OK(w, http.StatusOK, out)
}
