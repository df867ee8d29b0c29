package firestore

import (
	"fmt"
	"slices"
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

// applyUpdate checks the result of an update closure against the stored
// party and fills in the bookkeeping. It reports whether anything changed.
func applyUpdate(old, p party.Party, now time.Time) (party.Party, bool, error) {
	if p.ID != old.ID || p.ConferenceID != old.ConferenceID {
		return party.Party{}, false, apperr.New(apperr.Invalid, "an update may not change a party's id or conference")
	}
	p = asStored(p)
	p.CreatedAt, p.UpdatedAt, p.Version = old.CreatedAt, old.UpdatedAt, old.Version
	if err := checkParty(p); err != nil {
		return party.Party{}, false, err
	}
	if p.Equal(old) {
		return old, false, nil
	}
	// UpdatedAt only moves forward, even if this instance's clock lags
	// behind the one that wrote last.
	if !now.After(old.UpdatedAt) {
		now = old.UpdatedAt.Add(time.Microsecond)
	}
	p.UpdatedAt = now
	p.Version++
	return p, true, nil
}

// checkBatch validates a SaveParties batch before it touches the store.
func checkBatch(ps []party.Party) error {
	if len(ps) > party.MaxBatch {
		return apperr.New(apperr.Invalid, "a batch holds at most %d parties, got %d", party.MaxBatch, len(ps))
	}
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		if err := checkParty(p); err != nil {
			return fmt.Errorf("party %s: %w", p.ID, err)
		}
		if p.Version < 1 {
			return fmt.Errorf("party %s: %w", p.ID, apperr.Field("version", "range", "must be at least 1"))
		}
		if seen[p.ID] {
			return apperr.New(apperr.Invalid, "party %q appears twice in the batch", p.ID)
		}
		seen[p.ID] = true
	}
	return nil
}

// checkStored applies SaveParties' optimistic concurrency rule to one party
// and the stored state of its id.
func checkStored(p party.Party, exists bool, storedConference string, storedVersion int64) error {
	switch {
	case p.Version == 1 && exists:
		return apperr.New(apperr.Conflict, "party %q already exists", p.ID)
	case p.Version > 1 && !exists:
		return apperr.New(apperr.Conflict, "party %q version %d: it does not exist", p.ID, p.Version)
	case p.Version > 1 && storedVersion != p.Version-1:
		return apperr.New(apperr.Conflict, "party %q version %d: stored version is %d", p.ID, p.Version, storedVersion)
	case exists && storedConference != p.ConferenceID:
		return apperr.New(apperr.Invalid, "party %q belongs to conference %q, not %q", p.ID, storedConference, p.ConferenceID)
	}
	return nil
}

// clone returns a deep copy of p, so an update closure cannot reach the
// stored copy it is compared against.
func clone(p party.Party) party.Party {
	if p.Location != nil {
		loc := *p.Location
		p.Location = &loc
	}
	p.Hosts = slices.Clip(slices.Clone(p.Hosts))
	p.Tags = slices.Clip(slices.Clone(p.Tags))
	return p
}
