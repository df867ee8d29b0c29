package analytics

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

// cacheCounts lets browsers and the CDN keep counts briefly: they move
// all the time and a few seconds old is as good as current.
const cacheCounts = "public, max-age=15, s-maxage=15, stale-while-revalidate=30"

// publicStats is where the public reads (hotspots, trending) get counts:
// the PublicStats cache when there is one.
func (h *Handler) publicStats() Stats {
	if h.PublicStats != nil {
		return h.PublicStats
	}
	return h.Stats
}

type sampleJSON struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Start string `json:"start"`
}

type hotspotJSON struct {
	Venue       string        `json:"venue"`
	VenueID     string        `json:"venueId"`
	Total       int64         `json:"total"`
	Persona     analytics.Mix `json:"persona"`
	SampleEvent sampleJSON    `json:"sampleEvent"`
}

func (h *Handler) hotspots(w http.ResponseWriter, r *http.Request) {
	if err := httpapi.OnlyParams(r.URL.Query(), "conference"); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	conf := r.URL.Query().Get("conference")
	if conf == "" {
		httpapi.Error(w, r, apperr.Field("conference", "required", "is required"))
		return
	}
	snap, stats, err := h.conference(r, conf, h.publicStats())
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	out := []hotspotJSON{}
	for _, hs := range analytics.Hotspots(snap.Parties(), stats) {
		out = append(out, hotspotJSON{Venue: hs.Venue, VenueID: hs.VenueID, Total: hs.Total, Persona: hs.Persona,
			SampleEvent: sampleJSON{ID: hs.Sample.ID, Title: hs.Sample.Title, Start: hs.Sample.Start.In(snap.Location).Format(time.RFC3339)}})
	}
	rendered.New(feed.ContentJSON, cacheCounts, rendered.Success(feed.Marshal(out), nil)).Serve(w, r)
}

func (h *Handler) conference(r *http.Request, conf string, from Stats) (*feed.Snapshot, []analytics.PartyStats, error) {
	snap, err := h.Feed.ConferenceSnapshot(r.Context(), conf)
	if err != nil {
		return nil, nil, err
	}
	stats, err := from.ConferenceStats(r.Context(), snap.Conference.ID)
	if err != nil {
		return nil, nil, err
	}
	return snap, stats, nil
}

// trending answers the parties with the highest trending score now, each
// the party as the feed shows it with its score and velocity added. The
// velocity is shown where the party's popularity is (enough saves, by the
// analytics rule); exact counters are for admins (stats).
func (h *Handler) trending(w http.ResponseWriter, r *http.Request) {
	if err := httpapi.OnlyParams(r.URL.Query(), "conference", "limit"); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	limit := 20
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			httpapi.Error(w, r, apperr.Field("limit", "range", "must be a whole number from 1 to 100"))
			return
		}
		limit = n
	}
	snap, stats, err := h.conference(r, r.URL.Query().Get("conference"), h.publicStats())
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	ranked := analytics.TrendingNow(snap.Parties(), stats, h.now(), limit)
	for i, t := range ranked {
		e, ok := snap.Entry(t.Party.ID)
		if !ok {
			continue
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"score":` + strconv.FormatFloat(t.Score, 'f', 3, 64) + `,"velocity":`)
		if _, shown := snap.Popularity[t.Party.ID]; shown {
			buf.Write(feed.Marshal(t.Velocity))
		} else {
			buf.WriteString("null")
		}
		buf.WriteByte(',')
		buf.Write(e.JSON[1:])
	}
	buf.WriteByte(']')
	meta := feed.Marshal(map[string]any{"conference": snap.Conference.ID, "count": len(ranked), "halfLifeHours": analytics.HalfLife.Hours(),
		"minShownSaves": analytics.MinShownSaves})
	rendered.New(feed.ContentJSON, cacheCounts, rendered.Success(buf.Bytes(), meta)).Serve(w, r)
}

// stats answers one party's counters, for admins.
func (h *Handler) stats(w http.ResponseWriter, r *http.Request) {
	if !admin(w, r, "a party's stats") {
		return
	}
	partyID := r.PathValue("id")
	if !party.ValidID(partyID) {
		httpapi.Error(w, r, apperr.New(apperr.NotFound, "no party %q", partyID))
		return
	}
	st, err := h.Stats.Stats(r.Context(), partyID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.OK(w, http.StatusOK, st.Counters)
}
