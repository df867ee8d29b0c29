package analytics

import (
	"context"
	"time"
)

// Remember is how long stores remember an applied event id. Pub/Sub
// keeps an unacknowledged message at most 7 days by default; an event
// redelivered later than this would count again, so the window must stay
// longer than any subscription's retention.
const Remember = 8 * 24 * time.Hour

// PartyStats is what is kept about one party.
type PartyStats struct {
	PartyID    string
	Conference string
	Counters   Counters
	Savers     Mix   // the personas of the people whose saves count now
	Trend      Score // the trending score
	// Recent is the net saves of the last RecentHours hours, by the hour
	// they happened in: for velocity. Nil when none were counted.
	Recent Hours
}

// Store keeps the analytics. Implementations: the sqlite and firestore
// adapters, held to one contract suite (analyticstest).
type Store interface {
	// Apply applies, in one transaction, the changes whose event ids it
	// has not applied before, and records those ids: a redelivered event
	// changes nothing. It returns how many changes were new.
	Apply(ctx context.Context, changes []Change) (int, error)
	// Stats returns a party's stats; zero counters for a party nothing
	// was counted for.
	Stats(ctx context.Context, partyID string) (PartyStats, error)
	// ConferenceStats returns the stats of every party of the conference
	// that has any.
	ConferenceStats(ctx context.Context, conference string) ([]PartyStats, error)
	// ConferenceDays returns the conference's net counter changes per UTC
	// day (YYYY-MM-DD) from from to to, both included ("" for no bound),
	// chronologically; days with nothing counted are left out.
	ConferenceDays(ctx context.Context, conference, from, to string) ([]Day, error)
}

// Day is the net change of a conference's counters on one UTC day: a like
// turned into a pass on a later day counts -1 like that day.
type Day struct {
	Date     string
	Counters Counters
}

// DayOf is the UTC day a change is counted on.
func DayOf(c Change) string { return c.At.UTC().Format("2006-01-02") }
