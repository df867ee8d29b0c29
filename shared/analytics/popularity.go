package analytics

import (
	"math"
	"time"
)

// MinShownSaves is the fewest saves a party's public numbers are shown
// for: below it the public sees no count at all (null), so nobody can
// tell that the one colleague they suspect saved a party, and a small
// group's interest is not singled out. Admins see exact counters.
const MinShownSaves = 5

// ShownSaves returns a party's saves as the public may see them, and
// false when they are too few to show.
func ShownSaves(saves int64) (int64, bool) {
	if saves < MinShownSaves {
		return 0, false
	}
	return saves, true
}

// Popularity returns the saves of each party the public may see them
// for, by party id: the feed's popularity.
func Popularity(stats []PartyStats) map[string]int64 {
	out := make(map[string]int64)
	for _, s := range stats {
		if n, ok := ShownSaves(s.Counters.Saves); ok {
			out[s.PartyID] = n
		}
	}
	return out
}

// RecentHours is how many UTC hours of net saves a party keeps for its
// velocity: the last day, and the hour before it, which the estimate of
// a window that does not start on the hour takes a share of.
const RecentHours = 25

// Hours holds a party's net saves per UTC hour (unix seconds / 3600) of
// its most recent RecentHours.
type Hours map[int64]int64

// HourOf is the UTC hour an instant falls in.
func HourOf(t time.Time) int64 { return t.Unix() / 3600 }

// Add counts n net saves at t.
func (h Hours) Add(t time.Time, n int64) {
	if n != 0 {
		h[HourOf(t)] += n
	}
}

// Merge adds o's counts (another shard's, another batch's).
func (h Hours) Merge(o Hours) {
	for k, n := range o {
		h[k] += n
	}
}

// Prune drops the hours no velocity at or after newest (an hour) can use,
// and the hours that net to zero, so what stores keep stays small.
func (h Hours) Prune(newest int64) {
	for k, n := range h {
		if k <= newest-RecentHours || n == 0 {
			delete(h, k)
		}
	}
}

// Newest returns the latest hour with a count, and false for none.
func (h Hours) Newest() (int64, bool) {
	var newest int64
	ok := false
	for k := range h {
		if !ok || k > newest {
			newest, ok = k, true
		}
	}
	return newest, ok
}

// Velocity is how many saves a party gained over the last hour and the
// last day, net of saves taken back.
type Velocity struct {
	LastHour int64 `json:"saves1h"`
	LastDay  int64 `json:"saves24h"`
}

// VelocityAt estimates the saves of the hour and of the day before now
// from hourly counts: the hours wholly inside the window, and of the hour
// the window starts in the share that lies inside it, as if its saves
// were spread evenly. The estimate is off by at most that hour's saves.
func (h Hours) VelocityAt(now time.Time) Velocity {
	return Velocity{LastHour: h.window(now, 1), LastDay: h.window(now, 24)}
}

func (h Hours) window(now time.Time, hours int64) int64 {
	cur := HourOf(now)
	inCurrent := float64(now.Unix()-cur*3600) / 3600 // share of the current hour gone by
	var sum float64
	for k, n := range h {
		switch {
		case k > cur:
			sum += float64(n) // a clock a little ahead: count it now
		case k > cur-hours:
			sum += float64(n)
		case k == cur-hours:
			sum += float64(n) * (1 - inCurrent)
		}
	}
	return int64(math.Round(sum))
}
