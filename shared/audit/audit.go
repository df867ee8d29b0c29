// Package audit holds the audit trail of organizer and admin writes: who
// changed what, when, and how it looked before and after.
//
// An entry is written in the same transaction as the change it records
// (the use case puts it in the context with WithPending, the store writes
// it with the change), so there is no change without its entry and no
// entry of a change that failed.
package audit

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/event"
)

// Actions recorded.
const (
	PartySubmitted     = "party.submit"
	PartyEdited        = "party.edit"
	PartyCancelled     = "party.cancel"
	PartyPublished     = "party.publish"
	PartyRejected      = "party.reject"
	PartyRemoved       = "party.remove"
	ConferenceCreated  = "conference.create"
	ConferenceUpdated  = "conference.update"
	ImportApplied      = "import.apply"
	SystemActor        = "system"
	maxStateValueBytes = 5000
)

// State is a record's values as the API names its fields, for the before
// and after of an entry: flat strings, so every store keeps them alike and
// a reader compares them field by field.
type State map[string]string

// Entry is one recorded write.
type Entry struct {
	ID         string
	At         time.Time // UTC
	Actor      string    // uid, or SystemActor
	Action     string
	Conference string
	Party      string // "" for conference and import entries
	Before     State  // nil for a creation
	After      State  // nil for a deletion
	// Forced says the writer overrode the duplicate check.
	Forced bool
	// Note is what the writer gave as a reason, or a summary (an import's
	// counts).
	Note string
}

// New returns an entry stamped with a new id at now; actor "" is the
// system.
func New(now time.Time, actor, action, conference, party string) Entry {
	if actor == "" {
		actor = SystemActor
	}
	b := make([]byte, 8)
	rand.Read(b)
	now = now.UTC()
	// Ids sort by time, so a page's cursor is the last id alone.
	return Entry{
		ID:     fmt.Sprintf("%016x%s", now.UnixNano(), hex.EncodeToString(b)),
		At:     now,
		Actor:  actor,
		Action: action, Conference: conference, Party: party,
	}
}

// Clip shortens every value of s to maxStateValueBytes, so an entry stays
// well within a store's document size.
func (s State) Clip() State {
	for k, v := range s {
		if len(v) > maxStateValueBytes {
			cut := maxStateValueBytes
			for cut > 0 && !utf8Start(v[cut]) {
				cut--
			}
			s[k] = v[:cut] + "…"
		}
	}
	return s
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// Pending holds the entries of a change while it is stored: the use case
// sets them inside its update closure, the store writes them in the
// change's transaction.
type Pending = event.Stash[Entry]

// WithPending returns a context carrying a new, empty Pending.
func WithPending(ctx context.Context) (context.Context, *Pending) { return event.WithStash[Entry](ctx) }

// PendingFrom returns the Pending of ctx, or nil.
func PendingFrom(ctx context.Context) *Pending { return event.StashFrom[Entry](ctx) }

// Query selects entries: every filter is optional; From is inclusive, To
// exclusive. Entries come newest first, Limit at a time, after the entry
// with the id After (a page's cursor).
type Query struct {
	Party, Actor string
	From, To     time.Time
	After        string
	Limit        int
}

// Page limits.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Repository reads the trail; entries are written by the stores'
// transactions.
type Repository interface {
	// AuditEntries returns the entries q selects, newest first, and
	// whether more follow.
	AuditEntries(ctx context.Context, q Query) ([]Entry, bool, error)
}

// Cursor encodes the id of a page's last entry for the next page's
// request.
func Cursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// ParseCursor decodes a cursor; Invalid when it is not one of ours.
func ParseCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !ValidID(string(b)) {
		return "", apperr.Field("cursor", "format", "is not a cursor this API gave out")
	}
	return string(b), nil
}

// IDBound returns the smallest id of an entry at t or later, so a time
// range is an id range: stores filter and order by the id alone.
// Times outside the nanosecond clock's range (1970 to 2262) are clamped to
// it: no entry lies beyond.
func IDBound(t time.Time) string {
	switch {
	case t.Before(time.Unix(0, 0)):
		t = time.Unix(0, 0)
	case t.After(time.Unix(0, math.MaxInt64)):
		t = time.Unix(0, math.MaxInt64)
	}
	return fmt.Sprintf("%016x", t.UTC().UnixNano())
}

// ValidID reports whether id has the shape New gives ids.
func ValidID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := strconv.ParseUint(id[:16], 16, 64)
	return err == nil && strings.Trim(id[16:], "0123456789abcdef") == ""
}
