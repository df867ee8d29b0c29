package me

import (
	"math"
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
	TightWith    []string `json:"tightWith"`
}

type tightJSON struct {
	From          string  `json:"from"`
	To            string  `json:"to"`
	GapMinutes    int     `json:"gapMinutes"`
	TravelMinutes int     `json:"travelMinutes"`
	Mode          string  `json:"mode"`
	DistanceKm    float64 `json:"distanceKm"`
}

type travelJSON struct {
	StreetFactor       float64 `json:"streetFactor"`
	WalkKmh            float64 `json:"walkKmh"`
	TransitFromKm      float64 `json:"transitFromKm"`
	TransitKmh         float64 `json:"transitKmh"`
	TransitWaitMinutes int     `json:"transitWaitMinutes"`
}

type dayJSON struct {
	Date    string      `json:"date"`
	Weekday string      `json:"weekday"`
	Parties []itemJSON  `json:"parties"`
	Gaps    []gapJSON   `json:"gaps"`
	Tight   []tightJSON `json:"tight"`
}

type scheduleJSON struct {
	Conference string    `json:"conference"`
	Timezone   string    `json:"timezone"`
	Days       []dayJSON `json:"days"`
	// Travel states how the way between venues is estimated.
	Travel travelJSON `json:"travel"`
}

// orEmpty keeps an absent list an empty JSON array.
func orEmpty(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
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
	t := schedule.DefaultTravel
	out := scheduleJSON{Conference: confID, Timezone: snap.Conference.TimeZone, Days: []dayJSON{},
		Travel: travelJSON{StreetFactor: t.StreetFactor, WalkKmh: t.WalkKmh, TransitFromKm: t.TransitFromKm,
			TransitKmh: t.TransitKmh, TransitWaitMinutes: int(t.TransitWait / time.Minute)}}
	overlaps, tight := 0, 0
	for _, d := range schedule.Build(ps, loc, t) {
		day, _ := time.ParseInLocation(conference.DateLayout, d.Date, loc)
		dj := dayJSON{Date: d.Date, Weekday: day.Weekday().String(), Parties: []itemJSON{}, Gaps: []gapJSON{}, Tight: []tightJSON{}}
		for _, it := range d.Items {
			overlaps += len(it.OverlapsWith)
			dj.Parties = append(dj.Parties, itemJSON{
				Party:      jsonRaw(entries[it.Party.ID].JSON),
				PlannedEnd: it.End.In(loc).Format(time.RFC3339), OpenEnd: it.OpenEnd,
				Cancelled: it.Party.Status == party.Cancelled, OverlapsWith: orEmpty(it.OverlapsWith), TightWith: orEmpty(it.TightWith),
			})
		}
		for _, g := range d.Gaps {
			dj.Gaps = append(dj.Gaps, gapJSON{From: g.From.In(loc).Format(time.RFC3339), To: g.To.In(loc).Format(time.RFC3339), Minutes: g.Minutes()})
		}
		for _, tp := range d.Tight {
			dj.Tight = append(dj.Tight, tightJSON{From: tp.From, To: tp.To, GapMinutes: tp.GapMinutes, TravelMinutes: tp.Leg.Minutes,
				Mode: tp.Leg.Mode, DistanceKm: math.Round(tp.Leg.DistanceKm*100) / 100})
		}
		tight += len(d.Tight)
		out.Days = append(out.Days, dj)
	}
	body := rendered.Success(feed.Marshal(out), feed.Marshal(map[string]int{"count": len(ps), "days": len(out.Days), "overlaps": overlaps / 2, "tight": tight}))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(body)
}
