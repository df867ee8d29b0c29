package party

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// The rules below are the Repository contract's write semantics, shared by
// every store so that they cannot drift apart. A store passes its own
// validate function when it can hold less than the domain allows (Firestore
// times end in the year 9999); nil means Party.Validate.

// Clone returns a deep copy of p, so an update closure cannot reach the
// stored copy it is compared against.
func (p Party) Clone() Party {
	if p.Location != nil {
		loc := *p.Location
		p.Location = &loc
	}
	p.Hosts = slices.Clip(slices.Clone(p.Hosts))
	p.Tags = slices.Clip(slices.Clone(p.Tags))
	return p
}

// ApplyUpdate checks the result p of an update closure against the stored
// party old and fills in the bookkeeping: the version grows by one and
// UpdatedAt moves to now (never backwards, even if the clock did) when
// anything changed. It reports whether anything changed. Changes the closure
// made to the bookkeeping fields are ignored (the store gives a changed
// party its new position, Seq); a changed id or conference is Invalid.
func ApplyUpdate(old, p Party, now time.Time, validate func(Party) error) (Party, bool, error) {
	if p.ID != old.ID || p.ConferenceID != old.ConferenceID {
		return Party{}, false, apperr.New(apperr.Invalid, "an update may not change a party's id or conference")
	}
	p.CreatedAt, p.UpdatedAt, p.Version, p.Seq = old.CreatedAt, old.UpdatedAt, old.Version, old.Seq
	if err := validated(p, validate); err != nil {
		return Party{}, false, err
	}
	if p.Equal(old) {
		return old, false, nil
	}
	if !now.After(old.UpdatedAt) {
		now = old.UpdatedAt.Add(time.Microsecond)
	}
	p.UpdatedAt = now
	p.Version++
	return p, true, nil
}

// CheckBatch validates a SaveParties batch before it touches the store:
// each party valid, each id once, versions from 1. A batch may be of any
// size; Steps cuts it into what one transaction holds.
func CheckBatch(ps []Party, validate func(Party) error) error {
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		if err := validated(p, validate); err != nil {
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

// Steps cuts a batch into consecutive steps of at most MaxBatch parties
// and MaxBatchBytes each, in the batch's order; none for an empty batch.
// One party always fits a step: its text is bounded far below
// MaxBatchBytes.
func Steps(ps []Party) [][]Party {
	var out [][]Party
	lo, size := 0, 0
	for i, p := range ps {
		n := p.encodedSize()
		if i > lo && (i-lo == MaxBatch || size+n > MaxBatchBytes) {
			out = append(out, ps[lo:i:i])
			lo, size = i, 0
		}
		size += n
	}
	if len(ps) > lo {
		out = append(out, ps[lo:len(ps):len(ps)])
	}
	return out
}

// Saved reports whether stored is p as a batch gives it, version,
// content and timestamps alike: an earlier try of the batch wrote it, so
// SaveParties skips it instead of failing with Conflict. Both are in the
// store's own precision (times in UTC, as the store keeps them).
func Saved(p, stored Party) bool {
	return p.Version == stored.Version && p.Equal(stored) &&
		p.CreatedAt.Equal(stored.CreatedAt) && p.UpdatedAt.Equal(stored.UpdatedAt)
}

// StepFunc hears of each committed step of a SaveParties batch: the
// parties that step wrote (never those Saved skipped). An error from it
// stops the batch there, as an interruption would; what was committed
// stays. An import uses it to announce the parties of the steps that were
// stored when a later step fails; the contract suite, to interrupt a batch.
type StepFunc func(written []Party) error

type stepKey struct{}

// WithStepFunc returns ctx carrying fn for the SaveParties calls made
// with it.
func WithStepFunc(ctx context.Context, fn StepFunc) context.Context {
	return context.WithValue(ctx, stepKey{}, fn)
}

// Stepped tells the StepFunc of ctx, if any, that a step wrote the
// parties; stores call it after each commit and return its error.
func Stepped(ctx context.Context, written []Party) error {
	if fn, _ := ctx.Value(stepKey{}).(StepFunc); fn != nil {
		return fn(written)
	}
	return nil
}

// CheckStored applies SaveParties' optimistic concurrency rule to one party
// of a batch and the stored state of its id.
func CheckStored(p Party, exists bool, storedConference string, storedVersion int64) error {
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

func validated(p Party, validate func(Party) error) error {
	if validate == nil {
		return p.Validate()
	}
	return validate(p)
}

// encodedSize estimates the bytes p takes in a store's write request: its
// text as stored plus a generous allowance for field names, times and
// numbers (a Firestore party document's fixed part is under 400 bytes),
// and the Change its write records, which may hold the venue and address
// before and after.
func (p Party) encodedSize() int {
	n := 512 + len(p.ID) + len(p.ConferenceID) + len(p.Title) + len(p.Description) +
		384 + len(p.ID) + len(p.ConferenceID) + 2*(len(p.Venue)+len(p.Address)) +
		len(p.Venue) + len(p.Address) + len(p.Category.Key) + len(p.Category.Label) + len(p.Price) + len(p.Link) +
		len(p.Focus) + len(p.Source) + len(p.Owner) + len(p.Note)
	for _, s := range p.Hosts {
		n += len(s) + 8
	}
	for _, s := range p.Tags {
		n += len(s) + 8
	}
	return n
}
