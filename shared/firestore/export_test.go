package firestore

import (
	"context"
	"time"

	"github.com/partyfinder/partyfinder/shared/party"
)

// SetTransactionBudget widens the store's transaction bounds to at least
// d, for tests that make transactions collide on the emulator: there a
// collision stalls every side for about two seconds before one gives way,
// where Firestore settles it within milliseconds.
func SetTransactionBudget(s *Store, d time.Duration) {
	s.txBudget, s.longTxBudget = max(d, s.txBudget), max(d, s.longTxBudget)
}

// SetClock replaces the store's clock, for tests in firestore_test.
func SetClock(s *Store, now func() time.Time) { s.now = now }

// WriteOutside writes p's document as the Firestore console or a script
// with the Admin SDK would: straight, past the store, taking no position.
func WriteOutside(ctx context.Context, s *Store, p party.Party) error {
	_, err := s.parties.Doc(p.ID).Set(ctx, marshalParty(p))
	return err
}

// DeleteOutside deletes a party's document past the store.
func DeleteOutside(ctx context.Context, s *Store, id string) error {
	_, err := s.parties.Doc(id).Delete(ctx)
	return err
}
