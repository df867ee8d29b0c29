package schedule

import (
	"math"
	"time"

	"github.com/partyfinder/partyfinder/shared/party"
)

// Travel is how the plan estimates the way from one venue to the next:
// the straight line lengthened by a street factor, walked, or beyond a
// distance taken by public transport. Estimates, stated in every answer,
// not a routing service.
type Travel struct {
	StreetFactor  float64 // street distance over straight-line distance
	WalkKmh       float64
	TransitFromKm float64 // straight-line distances above this are ridden
	TransitKmh    float64 // door to door, walks to and from stops included
	TransitWait   time.Duration
}

// DefaultTravel suits a European city centre: streets are about 1.3 times
// the straight line, people walk 5 km/h, and beyond 2 km take a tram or a
// taxi at 18 km/h door to door after 5 minutes of waiting.
var DefaultTravel = Travel{StreetFactor: 1.3, WalkKmh: 5, TransitFromKm: 2, TransitKmh: 18, TransitWait: 5 * time.Minute}

// Travel modes.
const (
	Walk    = "walk"
	Transit = "transit"
)

// Leg is the way between two venues.
type Leg struct {
	DistanceKm float64 // straight line
	Mode       string  // Walk or Transit
	Minutes    int     // rounded up
}

// Estimate returns the leg between two points.
func (t Travel) Estimate(from, to party.Point) Leg {
	d := from.DistanceKm(to)
	leg := Leg{DistanceKm: d, Mode: Walk}
	hours := d * t.StreetFactor / t.WalkKmh
	if d > t.TransitFromKm {
		leg.Mode = Transit
		hours = d*t.StreetFactor/t.TransitKmh + t.TransitWait.Hours()
	}
	leg.Minutes = int(math.Ceil(hours * 60))
	return leg
}

// Tight is a pair of parties one after the other whose gap is shorter
// than the way between their venues.
type Tight struct {
	From, To   string // party ids, in plan order
	GapMinutes int
	Leg        Leg
}

// tightPairs finds, among the active items of a day (sorted by start),
// each party and the next one that does not clash with it, where leaving
// at the first's end gets one to the second late. A party without
// coordinates is never called tight: the plan cannot know.
func tightPairs(items []Item, t Travel) []Tight {
	var out []Tight
	prev := -1
	for i := range items {
		if !active(items[i]) {
			continue
		}
		if prev >= 0 {
			a, b := items[prev], items[i]
			if !b.Party.Start.Before(a.End) { // a clash is marked as such, not as tight
				gap := b.Party.Start.Sub(a.End)
				if located(a.Party) && located(b.Party) {
					leg := t.Estimate(*a.Party.Location, *b.Party.Location)
					if gap < time.Duration(leg.Minutes)*time.Minute {
						out = append(out, Tight{From: a.Party.ID, To: b.Party.ID, GapMinutes: int(gap / time.Minute), Leg: leg})
					}
				}
			}
		}
		// The next party is reached from whichever ends later.
		if prev < 0 || items[i].End.After(items[prev].End) {
			prev = i
		}
	}
	return out
}

func located(p party.Party) bool { return p.Location != nil && p.Location.Valid() }
