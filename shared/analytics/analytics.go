// Package analytics holds what Partyfinder counts about parties: per-party
// counters, the persona mix of the people who saved each party (which
// hotspots group by venue), and a time-decayed trending score.
//
// Counts are kept from domain events and must stay exact under
// at-least-once, out-of-order delivery: every event maps to a Change whose
// deltas commute (a like turned into a pass is -1 like, +1 pass, whatever
// order the two swipes arrive in), and stores apply a change only once per
// event id, in the same transaction as the counters.
package analytics

import (
	"math"
	"time"

	"github.com/partyfinder/partyfinder/shared/attendee"
)

// Counters are a party's numbers, as its stats show them. Likes and passes
// count current decisions (interested counts as a like), saves current
// saves; the others count events.
type Counters struct {
	Views        int64 `json:"views"`
	Likes        int64 `json:"likes"`
	Passes       int64 `json:"passes"`
	Saves        int64 `json:"saves"`
	CalendarAdds int64 `json:"calendarAdds"`
	Shares       int64 `json:"shares"`
}

// Add adds d to c.
func (c *Counters) Add(d Counters) {
	c.Views += d.Views
	c.Likes += d.Likes
	c.Passes += d.Passes
	c.Saves += d.Saves
	c.CalendarAdds += d.CalendarAdds
	c.Shares += d.Shares
}

// Zero reports whether every counter is zero.
func (c Counters) Zero() bool { return c == Counters{} }

// Mix counts people by persona; Other counts those who gave none.
type Mix struct {
	Developer       int64 `json:"dev"`
	Publisher       int64 `json:"pub"`
	Investor        int64 `json:"inv"`
	ServiceProvider int64 `json:"sp"`
	Other           int64 `json:"other"`
}

// Add adds n people of persona p.
func (m *Mix) Add(p attendee.Persona, n int64) {
	switch p {
	case attendee.Developer:
		m.Developer += n
	case attendee.Publisher:
		m.Publisher += n
	case attendee.Investor:
		m.Investor += n
	case attendee.ServiceProvider:
		m.ServiceProvider += n
	default:
		m.Other += n
	}
}

// Merge adds every count of o to m.
func (m *Mix) Merge(o Mix) {
	m.Developer += o.Developer
	m.Publisher += o.Publisher
	m.Investor += o.Investor
	m.ServiceProvider += o.ServiceProvider
	m.Other += o.Other
}

// Total is the number of people in the mix.
func (m Mix) Total() int64 {
	return m.Developer + m.Publisher + m.Investor + m.ServiceProvider + m.Other
}

// HalfLife is how fast interest fades in the trending score: an
// interaction counts half as much six hours later.
const HalfLife = 6 * time.Hour

var decayPerSecond = math.Ln2 / HalfLife.Seconds()

// Score is a time-decayed sum of weighted interactions, kept as its value
// at a reference time. Adding interactions in any order gives the same
// score, so redelivered-then-deduplicated or reordered events agree.
type Score struct {
	Value float64
	At    time.Time // the instant Value is measured at; zero for an empty score
}

// Add adds an interaction of weight w that happened at t.
func (s Score) Add(w float64, t time.Time) Score {
	if w == 0 {
		return s
	}
	if s.At.IsZero() {
		return Score{Value: w, At: t}
	}
	if t.After(s.At) {
		return Score{Value: s.Value*decay(t.Sub(s.At)) + w, At: t}
	}
	return Score{Value: s.Value + w*decay(s.At.Sub(t)), At: s.At}
}

// Merge adds another score.
func (s Score) Merge(o Score) Score {
	if o.At.IsZero() {
		return s
	}
	return s.Add(o.Value, o.At)
}

// At returns the score's value at t.
func (s Score) ValueAt(t time.Time) float64 {
	if s.At.IsZero() {
		return 0
	}
	if t.Before(s.At) {
		return s.Value / decay(s.At.Sub(t))
	}
	return s.Value * decay(t.Sub(s.At))
}

func decay(d time.Duration) float64 { return math.Exp(-decayPerSecond * d.Seconds()) }
