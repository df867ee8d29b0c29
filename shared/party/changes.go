package party

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"time"
)

// Each conference has an order of changes: every write of one of its
// parties (a creation, an edit, a moderation step, a cancellation, an
// import's batch) gets the next position in it, assigned in the write's
// own transaction, so positions follow the order in which the writes
// committed. A party carries the position of its last write (Party.Seq);
// the store records each write as a Change and keeps it for
// ChangeRetention. That is what a delta sync reads: the parties written
// after a position, and the parties taken out of public view after it.

// ChangeRetention is how long stores keep the changes they record. Older
// ones are forgotten at the conference's next write; a reader whose
// position lies before the newest change forgotten must start over (see
// Log.Expired).
const ChangeRetention = 30 * 24 * time.Hour

// Change is one write of a party as its conference's order of changes
// records it.
type Change struct {
	Seq          int64 // its position: 1 for the conference's first write, then one more for each
	ConferenceID string
	PartyID      string
	At           time.Time // when the store wrote it, UTC
	// Created says the write stored the party for the first time.
	Created bool
	// Hidden says the write took a public party (published or cancelled)
	// out of public view: every reader that saw it must drop it.
	Hidden bool
	// Changed names the fields an update changed, as UpdatedEvent names
	// them (Party.Changes); nil for a creation, and for a write that
	// changed only the bookkeeping (a batch that raised a version).
	Changed []string
	// Before and After hold, of the fields Facts has, those Changed names;
	// After holds all of them for a creation. The others are zero.
	Before, After Facts
}

// Facts are the fields of a party that a digest of changes reports before
// and after: when, where and whether it takes place.
type Facts struct {
	Start, End     time.Time // UTC; End zero when open-ended
	Venue, Address string
	Status         Status
}

// factFields are the names (as Party.Changes gives them) of the Facts.
var factFields = []string{"start", "end", "venue", "address", "status"}

// NewChange returns the change that a write from before (nil for a new
// party) to after records at position seq.
func NewChange(before *Party, after Party, seq int64, at time.Time) Change {
	c := Change{Seq: seq, ConferenceID: after.ConferenceID, PartyID: after.ID, At: at.UTC()}
	if before == nil {
		c.Created = true
		c.After = factsOf(after, factFields)
		return c
	}
	c.Hidden = before.Status.Public() && !after.Status.Public()
	c.Changed = before.Changes(after)
	c.Before, c.After = factsOf(*before, c.Changed), factsOf(after, c.Changed)
	return c
}

// RemovalChange returns the change that deleting a party outright records
// at position seq: a tombstone for readers that saw it when it was public.
// Only writes made past the API delete parties (the console, a script);
// the API unpublishes or cancels instead.
func RemovalChange(before Party, seq int64, at time.Time) Change {
	return Change{Seq: seq, ConferenceID: before.ConferenceID, PartyID: before.ID, At: at.UTC(),
		Hidden: before.Status.Public(), Changed: []string{"status"}, Before: factsOf(before, []string{"status"})}
}

// Unrecorded reports whether a write of a party (before nil for a
// creation, after nil for a deletion) took no position in its
// conference's order of changes although it changed the party: every
// write through a store takes one in its own transaction (Seq moves), so
// this is a write made past them, in the Firestore console or with the
// Admin SDK. Deleting a party that was never public changes nothing any
// reader saw.
func Unrecorded(before, after *Party) bool {
	switch {
	case after == nil:
		return before != nil && before.Status.Public()
	case before == nil:
		return after.Seq == 0
	default:
		return after.Seq == before.Seq && len(before.Changes(*after)) > 0
	}
}

// factsOf returns the Facts of p that fields name.
func factsOf(p Party, fields []string) Facts {
	var f Facts
	for _, name := range fields {
		switch name {
		case "start":
			f.Start = p.Start.UTC()
		case "end":
			if !p.End.IsZero() {
				f.End = p.End.UTC()
			}
		case "venue":
			f.Venue = p.Venue
		case "address":
			f.Address = p.Address
		case "status":
			f.Status = p.Status
		}
	}
	return f
}

// Log is the state of a conference's order of changes, read at one moment.
type Log struct {
	// Epoch names the order of changes. A store starts a new one with the
	// conference's first write, so positions taken from another store, or
	// from this one before it was wiped, are told apart. "" until the
	// first write.
	Epoch string
	// Last is the position of the last write; 0 until the first.
	Last int64
	// Horizon is the position of the newest change forgotten after
	// ChangeRetention; 0 while none is. See Expired.
	Horizon int64
	// Tombstones are the changes after Horizon that took a party out of
	// public view (Change.Hidden), by position; a party hidden twice is
	// there twice.
	Tombstones []Tombstone
}

// Tombstone is a change that took a party out of public view.
type Tombstone struct {
	PartyID string
	Seq     int64
	At      time.Time
}

// Expired reports whether a reader that saw the changes up to position
// seq can no longer be told every change after it: a change it has not
// seen may have been forgotten.
func (l Log) Expired(seq int64) bool { return seq < l.Horizon }

// TombstoneOf returns c as a tombstone, if it is one.
func (c Change) TombstoneOf() (Tombstone, bool) {
	return Tombstone{PartyID: c.PartyID, Seq: c.Seq, At: c.At}, c.Hidden
}

// Clone returns a deep copy of l.
func (l Log) Clone() Log {
	l.Tombstones = slices.Clip(slices.Clone(l.Tombstones))
	return l
}

// NewEpoch returns a fresh name for an order of changes: 16 random hex
// digits.
func NewEpoch() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
