package sqlite

import "time"

// SetClock replaces the store's clock, for tests in sqlite_test.
func SetClock(s *Store, now func() time.Time) { s.now = now }
