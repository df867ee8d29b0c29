package firestore

import (
	"fmt"

	gfs "cloud.google.com/go/firestore"
)

// queryID names one of the queries the store runs.
type queryID int

// The queries the store runs. Adding one means adding its shape to
// queryShapes; TestQueriesHaveIndexes then demands its composite index in
// firestore.indexes.json, and TestQueriesAreBuiltFromShapes rejects queries
// built anywhere but in query and aggregate below.
const (
	partiesByStart        queryID = iota // PartiesOf
	partiesRevision                      // Revision
	conferencesByFirstDay                // Conferences
	statsByConference                    // ConferenceStats
	statsByParty                         // Stats
	daysByConference                     // ConferenceDays
	partiesByOwner                       // PartiesOwnedBy
	auditAll                             // AuditEntries, no filter
	auditByParty                         // AuditEntries of a party
	auditByActor                         // AuditEntries of a user
	auditByPartyActor                    // AuditEntries of a party by a user
	changesBySeq                         // Changes, and the expired ones a write forgets
	tombstonesBySeq                      // ChangeLog
	sharesByUser                         // SharesOf, and an erasure's
)

// order is one sort key of a query.
type order struct {
	field string
	dir   gfs.Direction
}

// queryShape is what decides which index a query needs: the collection, the
// fields filtered by equality, the sort order and the fields an aggregation
// sums.
type queryShape struct {
	name       string // for error messages
	collection string // collection id without the store's prefix
	equal      []string
	order      []order
	sum        []string
	// ranged is the field (the first sort key) that ranged() bounds; a
	// range on the first sort key needs no index of its own.
	ranged string
}

var queryShapes = map[queryID]queryShape{
	partiesByStart: {
		name:       "partiesByStart",
		collection: partiesCollection,
		equal:      []string{fieldConferenceID},
		// The document id breaks ties between parties starting together.
		order: []order{{fieldStart, gfs.Asc}, {gfs.DocumentID, gfs.Asc}},
	},
	partiesByOwner: {
		name:       "partiesByOwner",
		collection: partiesCollection,
		equal:      []string{fieldOwner},
		order:      []order{{fieldStart, gfs.Asc}, {gfs.DocumentID, gfs.Asc}},
	},
	partiesRevision: {
		name:       "partiesRevision",
		collection: partiesCollection,
		equal:      []string{fieldConferenceID},
		sum:        []string{fieldVersion},
	},
	conferencesByFirstDay: {
		name:       "conferencesByFirstDay",
		collection: conferencesCollection,
		order:      []order{{fieldFirstDay, gfs.Asc}, {gfs.DocumentID, gfs.Asc}},
	},
	statsByConference: {
		name:       "statsByConference",
		collection: partyStatsCollection,
		equal:      []string{fieldConferenceID},
	},
	statsByParty: {
		name:       "statsByParty",
		collection: partyStatsCollection,
		equal:      []string{fieldPartyID},
	},
	// Audit entries: newest first by their id (kept in a field too, as
	// Firestore cannot scan document names backwards), which sorts by time
	// (audit.New), so a time range and a page cursor are id ranges.
	auditAll: {
		name:       "auditAll",
		collection: auditCollection,
		order:      []order{{fieldAuditKey, gfs.Desc}},
		ranged:     fieldAuditKey,
	},
	auditByParty: {
		name:       "auditByParty",
		collection: auditCollection,
		equal:      []string{fieldAuditParty},
		order:      []order{{fieldAuditKey, gfs.Desc}},
		ranged:     fieldAuditKey,
	},
	auditByActor: {
		name:       "auditByActor",
		collection: auditCollection,
		equal:      []string{fieldAuditActor},
		order:      []order{{fieldAuditKey, gfs.Desc}},
		ranged:     fieldAuditKey,
	},
	auditByPartyActor: {
		name:       "auditByPartyActor",
		collection: auditCollection,
		equal:      []string{fieldAuditParty, fieldAuditActor},
		order:      []order{{fieldAuditKey, gfs.Desc}},
		ranged:     fieldAuditKey,
	},
	daysByConference: {
		name:       "daysByConference",
		collection: daysCollection,
		equal:      []string{fieldConferenceID},
	},
	// A conference's order of changes, by position; the epoch keeps out
	// the changes of an order that was lost with its revision document.
	changesBySeq: {
		name:       "changesBySeq",
		collection: partyChangesCollection,
		equal:      []string{fieldConferenceID, fieldEpoch},
		order:      []order{{fieldSeq, gfs.Asc}},
		ranged:     fieldSeq,
	},
	sharesByUser: {
		name:       "sharesByUser",
		collection: sharesCollection,
		equal:      []string{"uid"},
		// A user holds a few (attendee.MaxShares): SharesOf sorts them,
		// which spares a composite index.
	},
	tombstonesBySeq: {
		name:       "tombstonesBySeq",
		collection: partyChangesCollection,
		equal:      []string{fieldConferenceID, fieldEpoch, fieldHidden},
		order:      []order{{fieldSeq, gfs.Asc}},
	},
}

// query builds the query id, with one value per equality field of its shape.
func (s *Store) query(id queryID, values ...any) gfs.Query {
	shape, ok := queryShapes[id]
	if !ok || len(values) != len(shape.equal) {
		panic(fmt.Sprintf("firestore: query %d %q: unknown, or %d values for %d equality fields", id, shape.name, len(values), len(shape.equal)))
	}
	q := s.client.Collection(s.prefix + shape.collection).Query
	for i, f := range shape.equal {
		q = q.WhereEntity(gfs.PropertyFilter{Path: f, Operator: "==", Value: values[i]})
	}
	for _, o := range shape.order {
		q = q.OrderBy(o.field, o.dir)
	}
	return q
}

// ranged builds query id like query, bounded on its shape's ranged field
// to lo <= value < hi; a nil or empty bound is open.
func (s *Store) ranged(id queryID, lo, hi any, values ...any) gfs.Query {
	q := s.query(id, values...)
	field := queryShapes[id].ranged
	if field == "" {
		panic(fmt.Sprintf("firestore: query %q has no ranged field", queryShapes[id].name))
	}
	if lo != nil && lo != "" {
		q = q.Where(field, ">=", lo)
	}
	if hi != nil && hi != "" {
		q = q.Where(field, "<", hi)
	}
	return q
}

// aggregate builds the aggregation of query id: a count under "count" and
// each summed field under "sum_" + field.
func (s *Store) aggregate(id queryID, values ...any) *gfs.AggregationQuery {
	q := s.query(id, values...)
	a := q.NewAggregationQuery().WithCount("count")
	for _, f := range queryShapes[id].sum {
		a = a.WithSum(f, "sum_"+f)
	}
	return a
}
