// Package schedule turns an attendee's saved parties into a day-by-day
// plan: which parties clash and where the free time is.
package schedule

import (
	"slices"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// AssumedDuration is how long an open-ended party is planned for: people
// need some time there, and a point in time would never clash.
const AssumedDuration = 2 * time.Hour

// Item is one saved party in the plan.
type Item struct {
	Party        party.Party
	End          time.Time // the party's end, or start + AssumedDuration
	OpenEnd      bool
	OverlapsWith []string // ids of other (not cancelled) saved parties it clashes with
	TightWith    []string // ids of the parties before and after it that the way between makes one late for
}

// Gap is free time between parties on one day.
type Gap struct {
	From, To time.Time
}

// Minutes returns the gap's length in whole minutes.
func (g Gap) Minutes() int { return int(g.To.Sub(g.From) / time.Minute) }

// Day is the plan of one conference-local day.
type Day struct {
	Date  string // YYYY-MM-DD, local
	Items []Item // by start, then id
	Gaps  []Gap  // between the first start and the last end, cancelled parties ignored
	Tight []Tight
}

// Build plans the parties by local day (a party belongs to the day it
// starts). Cancelled parties stay in the plan, flagged by their status,
// but neither clash nor fill time. Consecutive parties are tight when the
// way between their venues (estimated by t) is longer than the gap.
func Build(parties []party.Party, loc *time.Location, t Travel) []Day {
	ps := slices.Clone(parties)
	slices.SortFunc(ps, party.Chronological)
	var days []Day
	for _, p := range ps {
		date := p.Start.In(loc).Format(conference.DateLayout)
		if len(days) == 0 || days[len(days)-1].Date != date {
			days = append(days, Day{Date: date})
		}
		it := Item{Party: p, End: p.End}
		if p.End.IsZero() {
			it.End, it.OpenEnd = p.Start.Add(AssumedDuration), true
		}
		d := &days[len(days)-1]
		d.Items = append(d.Items, it)
	}
	for i := range days {
		d := &days[i]
		markOverlaps(d.Items)
		d.Gaps = gaps(d.Items)
		d.Tight = tightPairs(d.Items, t)
		for _, tp := range d.Tight {
			for j := range d.Items {
				switch d.Items[j].Party.ID {
				case tp.From:
					d.Items[j].TightWith = append(d.Items[j].TightWith, tp.To)
				case tp.To:
					d.Items[j].TightWith = append(d.Items[j].TightWith, tp.From)
				}
			}
		}
	}
	return days
}

func active(it Item) bool { return it.Party.Status != party.Cancelled }

// markOverlaps marks every pair of active items whose times intersect.
// Items are sorted by start, so the inner loop stops at the first item
// that starts after this one ends.
func markOverlaps(items []Item) {
	for i := range items {
		if !active(items[i]) {
			continue
		}
		for j := i + 1; j < len(items) && items[j].Party.Start.Before(items[i].End); j++ {
			if !active(items[j]) {
				continue
			}
			items[i].OverlapsWith = append(items[i].OverlapsWith, items[j].Party.ID)
			items[j].OverlapsWith = append(items[j].OverlapsWith, items[i].Party.ID)
		}
	}
}

// gaps returns the free stretches between the busy blocks of active items.
func gaps(items []Item) []Gap {
	var out []Gap
	var busyUntil time.Time
	for _, it := range items {
		if !active(it) {
			continue
		}
		if !busyUntil.IsZero() && it.Party.Start.After(busyUntil) {
			out = append(out, Gap{From: busyUntil, To: it.Party.Start})
		}
		if it.End.After(busyUntil) {
			busyUntil = it.End
		}
	}
	return out
}
