// Package partytest is the contract suite every party and conference store
// must pass. Each store's tests call Run with a constructor for a fresh,
// empty store, so the SQLite file and the Firestore emulator are held to the
// same behaviour the rest of the code relies on.
package partytest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Store is what a complete store offers: parties, their revision and the
// conferences they belong to.
type Store interface {
	party.Repository
	party.Revisioner
	conference.Repository
	audit.Repository
}

// opTimeout bounds every test. It is generous because transactions that
// contend on one document are slow on the Firestore emulator.
const opTimeout = 90 * time.Second

// Clock is what a store under test reads as the time: the real time,
// moved on by what the suite Advanced it, so that it can let a retention
// pass without waiting for it. Every subtest has its own.
type Clock struct{ ahead atomic.Int64 }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) { c.ahead.Add(int64(d)) }

// Run runs the contract suite. newStore must return a fresh, empty store
// (or one isolated from every other call, e.g. by a collection prefix)
// that reads the time from now; it is called once per subtest, and
// subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T, now func() time.Time) Store) {
	t.Helper()
	for _, tc := range changeTests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := &Clock{}
			tc.fn(t, newStore(t, clock.Now), clock)
		})
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"CreateAndGetRoundTrip", testRoundTrip},
		{"NotFound", testNotFound},
		{"CreateConflict", testCreateConflict},
		{"CreateInvalid", testCreateInvalid},
		{"PartiesOfOrderAndIsolation", testPartiesOf},
		{"PartiesOwnedBy", testPartiesOwnedBy},
		{"UpdateParty", testUpdateParty},
		{"UpdatePartyRejects", testUpdateRejects},
		{"UpdatePartyConcurrent", testUpdateConcurrent},
		{"SaveParties", testSaveParties},
		{"SavePartiesAtomic", testSavePartiesAtomic},
		{"SavePartiesResumes", testSavePartiesResumes},
		{"Revision", testRevision},
		{"Conferences", testConferences},
		{"UpdateConference", testUpdateConference},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t, time.Now))
		})
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}
