package firestore

import (
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Firestore timestamps run from year 1 to year 9999.
var maxTimestamp = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)

// checkTimes rejects times Firestore cannot store.
func checkTimes(p party.Party) error {
	for _, f := range []struct {
		name string
		t    time.Time
	}{{"start", p.Start}, {"end", p.End}, {"createdAt", p.CreatedAt}, {"updatedAt", p.UpdatedAt}} {
		if f.t.After(maxTimestamp) {
			return apperr.Field(f.name, "range", "must be before the year 10000")
		}
	}
	return nil
}

// checkParty validates a party about to be written.
func checkParty(p party.Party) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return checkTimes(p)
}
