package firestore

import "time"

// SetTransactionBudget widens the store's transaction bounds to at least
// d, for tests that make transactions collide on the emulator: there a
// collision stalls every side for about two seconds before one gives way,
// where Firestore settles it within milliseconds.
func SetTransactionBudget(s *Store, d time.Duration) {
	s.txBudget, s.longTxBudget = max(d, s.txBudget), max(d, s.longTxBudget)
}

// SetClock replaces the store's clock, for tests in firestore_test.
func SetClock(s *Store, now func() time.Time) { s.now = now }
