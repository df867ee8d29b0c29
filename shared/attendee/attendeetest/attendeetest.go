// Package attendeetest is the contract suite every attendee store must pass.
// Each store's tests call Run with a constructor for a fresh, empty store,
// so the SQLite file and the Firestore emulator are held to the same
// behaviour the rest of the code relies on.
package attendeetest

import (
	"context"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/attendee"
)

// opTimeout bounds every test. It is generous because transactions that
// contend on one document are slow on the Firestore emulator.
const opTimeout = 90 * time.Second

// Run runs the contract suite. newStore must return a fresh, empty store
// (or one isolated from every other call, e.g. by a collection prefix); it is
// called once per subtest, and subtests run in parallel.
//
// The times the suite gives to the store carry whole microseconds, the
// finest Firestore keeps, so every store must give back exactly the instant
// it was given, in UTC.
func Run(t *testing.T, newStore func(t *testing.T) attendee.Repository) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s attendee.Repository)
	}{
		{"ProfileRoundTrip", testProfile},
		{"ProfileInvalid", testProfileInvalid},
		{"RecordSwipe", testRecordSwipe},
		{"RecordSwipeInvalid", testSwipeInvalid},
		{"Decision", testDecision},
		{"SwipesOrder", testSwipesOrder},
		{"Saves", testSaves},
		{"UsersIsolated", testIsolation},
		{"CalendarToken", testCalendarToken},
		{"CalendarTokenAndProfileApart", testTokenAndProfileApart},
		{"DeleteUser", testDeleteUser},
		{"Shares", testShares},
		{"ConcurrentSwipesAndSaves", testConcurrent},
		{"UpdatesThatFailWriteNothing", testFailedUpdates},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

// The store persists what the attendee domain decides: these helpers make
// the same calls the use cases make, through the update-by-closure methods.

// SaveProfile replaces the profile's fields as the profile use case does,
// stamping the change with the clock.
func SaveProfile(ctx context.Context, s attendee.Repository, p attendee.Profile) (attendee.Profile, error) {
	return s.UpdateProfile(ctx, p.UID, func(cur *attendee.Profile) error {
		created, updated := cur.CreatedAt, cur.UpdatedAt
		*cur = p
		cur.CreatedAt, cur.UpdatedAt = created, updated
		cur.Touch(time.Now())
		return nil
	})
}

// RecordSwipe records a swipe as the swipe use case does.
func RecordSwipe(ctx context.Context, s attendee.Repository, sw attendee.Swipe) (attendee.SwipeResult, error) {
	var res attendee.SwipeResult
	_, err := s.UpdateDecision(ctx, sw.UID, sw.PartyID, func(d *attendee.Decision) error {
		res = d.Record(sw.Action, sw.At)
		return nil
	})
	return res, err
}

// AddSave saves a party as the save use case does.
func AddSave(ctx context.Context, s attendee.Repository, sv attendee.Save) (bool, error) {
	var added bool
	_, err := s.UpdateDecision(ctx, sv.UID, sv.PartyID, func(d *attendee.Decision) error {
		added = d.AddSave(sv.At)
		return nil
	})
	return added, err
}

// RemoveSave unsaves a party as the unsave use case does.
func RemoveSave(ctx context.Context, s attendee.Repository, uid, partyID string) (bool, error) {
	var removed bool
	_, err := s.UpdateDecision(ctx, uid, partyID, func(d *attendee.Decision) error {
		removed = d.RemoveSave()
		return nil
	})
	return removed, err
}

// SetToken stores a calendar link's generation and token hash.
func SetToken(ctx context.Context, s attendee.Repository, uid string, gen int64, hash string) error {
	_, err := s.UpdateCalendarLink(ctx, uid, func(l *attendee.CalendarLink) error {
		l.Generation, l.TokenHash = gen, hash
		return nil
	})
	return err
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}
