package analytics

import "context"

// PartyStats is what is kept about one party.
type PartyStats struct {
	PartyID    string
	Conference string
	Counters   Counters
	Savers     Mix   // the personas of the people whose saves count now
	Trend      Score // the trending score
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
}
