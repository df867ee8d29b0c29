// Package attendee holds what Partyfinder keeps about a signed-in user:
// their profile, their swipe decisions, the parties they saved and the
// generation of their personal calendar link.
package attendee

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Persona is the kind of professional an attendee is.
type Persona string

// The personas.
const (
	Developer       Persona = "developer"
	Publisher       Persona = "publisher"
	Investor        Persona = "investor"
	ServiceProvider Persona = "service-provider"
)

// Visibility says who may see an attendee's profile.
type Visibility string

// The visibilities. Private is the default: nothing is shown to others.
const (
	Private   Visibility = "private"
	Attendees Visibility = "attendees" // signed-in users
	Public    Visibility = "public"
)

// MaxProfileText bounds each free-text profile field.
const MaxProfileText = 100

// Profile is what an attendee tells about themselves.
type Profile struct {
	UID         string
	DisplayName string
	Company     string
	JobTitle    string
	Persona     Persona // "" when not given
	Visibility  Visibility
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Validate checks the profile's invariants.
func (p Profile) Validate() error {
	var fs []apperr.FieldError
	for field, v := range map[string]string{"displayName": p.DisplayName, "company": p.Company, "jobTitle": p.JobTitle} {
		if utf8.RuneCountInString(v) > MaxProfileText {
			fs = append(fs, apperr.FieldError{Field: field, Code: "too_long", Message: "must be at most 100 characters"})
		}
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			fs = append(fs, apperr.FieldError{Field: field, Code: "format", Message: "must not contain control characters"})
		}
	}
	switch p.Persona {
	case "", Developer, Publisher, Investor, ServiceProvider:
	default:
		fs = append(fs, apperr.FieldError{Field: "persona", Code: "enum", Message: "must be developer, publisher, investor or service-provider"})
	}
	switch p.Visibility {
	case Private, Attendees, Public:
	default:
		fs = append(fs, apperr.FieldError{Field: "visibility", Code: "enum", Message: "must be private, attendees or public"})
	}
	if p.UID == "" {
		fs = append(fs, apperr.FieldError{Field: "uid", Code: "required", Message: "is required"})
	}
	return apperr.Fields("invalid profile", fs)
}

// NewProfile returns the profile of a user who has not set one yet.
func NewProfile(uid string) Profile { return Profile{UID: uid, Visibility: Private} }

// Action is a swipe decision.
type Action string

// The swipe actions. Like and Interested save the party; Pass unsaves it.
const (
	Like       Action = "like"
	Pass       Action = "pass"
	Interested Action = "interested"
)

// ParseAction reads an action, accepting the older clients' directions
// ("right" is like, "left" is pass).
func ParseAction(s string) (Action, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "like", "right":
		return Like, true
	case "pass", "left":
		return Pass, true
	case "interested":
		return Interested, true
	}
	return "", false
}

// Saves reports whether the action puts the party on the attendee's list.
func (a Action) Saves() bool { return a == Like || a == Interested }

// Swipe is an attendee's current decision about one party: one per user
// and party, replaced by a later swipe.
type Swipe struct {
	UID     string
	PartyID string
	Action  Action
	At      time.Time
}

// Save is a party on an attendee's list.
type Save struct {
	UID     string
	PartyID string
	At      time.Time
}

// SwipeResult tells what a swipe changed, so that counts derived from
// swipes stay exact when a decision is replaced.
type SwipeResult struct {
	Swipe    Swipe
	Previous Action // "" for a first swipe on this party
	Saved    bool   // the party is saved after the swipe
}

// Repository stores attendee data. Implementations: the sqlite and
// firestore adapters, held to one contract suite (attendeetest).
type Repository interface {
	// Profile returns the stored profile, or NotFound.
	Profile(ctx context.Context, uid string) (Profile, error)
	// SaveProfile creates or replaces the profile; CreatedAt is kept from
	// the stored one and UpdatedAt set to now. Invalid if it breaks an invariant.
	SaveProfile(ctx context.Context, p Profile) (Profile, error)

	// RecordSwipe stores the swipe, replacing the user's earlier decision
	// about the party, and in the same transaction saves the party (like,
	// interested) or removes it from the saves (pass).
	RecordSwipe(ctx context.Context, s Swipe) (SwipeResult, error)
	// Swipes returns the user's decisions, oldest first.
	Swipes(ctx context.Context, uid string) ([]Swipe, error)

	// AddSave saves a party; it reports false when it was saved already
	// (the original time is kept).
	AddSave(ctx context.Context, s Save) (bool, error)
	// RemoveSave removes a save; it reports false when there was none.
	RemoveSave(ctx context.Context, uid, partyID string) (bool, error)
	// Saves returns the user's saved parties, oldest first.
	Saves(ctx context.Context, uid string) ([]Save, error)

	// CalendarToken returns the generation of the user's personal calendar
	// link and the hash of its token (0 and "" when none was issued).
	CalendarToken(ctx context.Context, uid string) (generation int64, tokenHash string, err error)
	// SetCalendarToken records a new generation and the hash of its token,
	// forgetting the previous token hash in the same transaction.
	SetCalendarToken(ctx context.Context, uid string, generation int64, tokenHash string) error
	// UserByCalendarToken returns the user whose current token has this
	// hash, or NotFound.
	UserByCalendarToken(ctx context.Context, tokenHash string) (string, error)

	// DeleteUser erases the profile, swipes, saves and calendar token of a
	// user, and records when it did (see ErasedAt). Deleting a user with no
	// data is not an error.
	DeleteUser(ctx context.Context, uid string) error
	// ErasedAt returns when the user's data was last erased, or the zero
	// time. Tokens issued before then are refused, so a client that kept an
	// old token cannot quietly recreate what the user had erased.
	ErasedAt(ctx context.Context, uid string) (time.Time, error)
}

// Validate checks a swipe before it is stored.
func (s Swipe) Validate() error {
	fs := checkIDs(s.UID, s.PartyID)
	switch s.Action {
	case Like, Pass, Interested:
	default:
		fs = append(fs, apperr.FieldError{Field: "action", Code: "enum", Message: "must be like, pass or interested"})
	}
	return apperr.Fields("invalid swipe", fs)
}

// Validate checks a save before it is stored.
func (s Save) Validate() error { return apperr.Fields("invalid save", checkIDs(s.UID, s.PartyID)) }

// ValidateToken checks a calendar token record before it is stored.
func ValidateToken(uid string, generation int64, tokenHash string) error {
	var fs []apperr.FieldError
	if uid == "" {
		fs = append(fs, apperr.FieldError{Field: "uid", Code: "required", Message: "is required"})
	}
	if generation < 1 {
		fs = append(fs, apperr.FieldError{Field: "generation", Code: "range", Message: "must be at least 1"})
	}
	if tokenHash == "" {
		fs = append(fs, apperr.FieldError{Field: "tokenHash", Code: "required", Message: "is required"})
	}
	return apperr.Fields("invalid calendar token", fs)
}

func checkIDs(uid, partyID string) []apperr.FieldError {
	var fs []apperr.FieldError
	if uid == "" {
		fs = append(fs, apperr.FieldError{Field: "uid", Code: "required", Message: "is required"})
	}
	if !party.ValidID(partyID) {
		fs = append(fs, apperr.FieldError{Field: "partyId", Code: "format", Message: "must be a party id"})
	}
	return fs
}
