package me

import (
	"net/http"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/rendered"
	"github.com/partyfinder/partyfinder/shared/schedule"
)

type gapJSON struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Minutes int    `json:"minutes"`
}

type itemJSON struct {
	Party        jsonRaw  `json:"party"`
	PlannedEnd   string   `json:"plannedEnd"`
	OpenEnd      bool     `json:"openEnd"`
	Cancelled    bool     `json:"cancelled"`
	OverlapsWith []string `json:"overlapsWith"`
}

type dayJSON struct {
	Date    string     `json:"date"`
	Weekday string     `json:"weekday"`
	Parties []itemJSON `json:"parties"`
	Gaps    []gapJSON  `json:"gaps"`
}

type scheduleJSON struct {
	Conference string    `json:"conference"`
	Timezone   string    `json:"timezone"`
	Days       []dayJSON `json:"days"`
}

// jsonRaw embeds pre-encoded JSON.
type jsonRaw []byte

func (j jsonRaw) MarshalJSON() ([]byte, error) { return j, nil }

func (h *Handler) schedule(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	ctx := r.Context()
	v := r.URL.Query()
	if err := httpapi.OnlyParams(v, "conference"); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	snap, err := h.Feed.ConferenceSnapshot(ctx, v.Get("conference"))
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	confID := snap.Conference.ID
	ss, _, err := h.Views.Saved(ctx, id.UID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	var ps []party.Party
	entries := map[string]*feed.Entry{}
	for _, s := range ss {
		if s.Entry.Party.ConferenceID == confID {
			ps = append(ps, s.Entry.Party)
			entries[s.Entry.Party.ID] = s.Entry
		}
	}
	loc := snap.Location
	out := scheduleJSON{Conference: confID, Timezone: snap.Conference.TimeZone, Days: []dayJSON{}}
	overlaps := 0
	for _, d := range schedule.Build(ps, loc) {
		day, _ := time.ParseInLocation(conference.DateLayout, d.Date, loc)
		dj := dayJSON{Date: d.Date, Weekday: day.Weekday().String(), Parties: []itemJSON{}, Gaps: []gapJSON{}}
		for _, it := range d.Items {
			ow := it.OverlapsWith
			if ow == nil {
				ow = []string{}
			}
			overlaps += len(it.OverlapsWith)
			dj.Parties = append(dj.Parties, itemJSON{
				Party:      jsonRaw(entries[it.Party.ID].JSON),
				PlannedEnd: it.End.In(loc).Format(time.RFC3339), OpenEnd: it.OpenEnd,
				Cancelled: it.Party.Status == party.Cancelled, OverlapsWith: ow,
			})
		}
		for _, g := range d.Gaps {
			dj.Gaps = append(dj.Gaps, gapJSON{From: g.From.In(loc).Format(time.RFC3339), To: g.To.In(loc).Format(time.RFC3339), Minutes: g.Minutes()})
		}
		out.Days = append(out.Days, dj)
	}
	body := rendered.Success(feed.Marshal(out), feed.Marshal(map[string]int{"count": len(ps), "days": len(out.Days), "overlaps": overlaps / 2}))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(body)
}
