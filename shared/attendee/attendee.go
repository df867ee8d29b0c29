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
	Swipe       Swipe
	Previous    Action // "" for a first swipe on this party
	Saved       bool   // the party is saved after the swipe
	SaveAdded   bool   // the swipe put the party on the list
	SaveRemoved bool   // the swipe took it off
	Unchanged   bool   // the decision was this one already: nothing changed, the swipe keeps its time
}

// Changed reports whether the swipe replaced a different decision.
func (r SwipeResult) Changed() bool { return r.Previous != "" && r.Previous != r.Swipe.Action }

// Profiles stores profiles.
type Profiles interface {
	// Profile returns the stored profile, or NotFound.
	Profile(ctx context.Context, uid string) (Profile, error)
	// UpdateProfile loads the user's profile (NewProfile for a user who
	// has none), applies fn and stores the result, in one transaction.
	// Errors from fn are returned unchanged and nothing is written.
	// Invalid if the result breaks an invariant or changes the uid.
	UpdateProfile(ctx context.Context, uid string, fn func(*Profile) error) (Profile, error)
}

// Decisions stores swipes and saves, kept in step per user and party.
type Decisions interface {
	// Swipes returns the user's decisions, oldest first; decisions made at
	// the same instant come in party id order.
	Swipes(ctx context.Context, uid string) ([]Swipe, error)
	// Saves returns the user's saved parties, oldest first, likewise.
	Saves(ctx context.Context, uid string) ([]Save, error)
	// Decision returns the user's current decision about the party, read
	// outside any transaction (no swipe and no save when there is none),
	// so a use case can see without writing that a request changes
	// nothing. Invalid if the uid or party id is malformed.
	Decision(ctx context.Context, uid, partyID string) (Decision, error)
	// UpdateDecision loads the user's decision about the party, applies fn
	// and stores the swipe and save it leaves, in one transaction; when fn
	// leaves them as they were, nothing is written. Errors from fn are
	// returned unchanged and nothing is written. Invalid if the uid or
	// party id is malformed or the result breaks an invariant.
	UpdateDecision(ctx context.Context, uid, partyID string, fn func(*Decision) error) (Decision, error)
}

// CalendarLinks stores personal calendar links.
type CalendarLinks interface {
	// CalendarLink returns the user's link (generation 0 when none was issued).
	CalendarLink(ctx context.Context, uid string) (CalendarLink, error)
	// UpdateCalendarLink loads the user's link, applies fn and stores the
	// result in one transaction, forgetting the previous token hash.
	// Errors from fn are returned unchanged and nothing is written.
	// Invalid if the result breaks an invariant; Conflict if another user
	// holds the new hash.
	UpdateCalendarLink(ctx context.Context, uid string, fn func(*CalendarLink) error) (CalendarLink, error)
	// UserByCalendarToken returns the user whose current token has this
	// hash, or NotFound.
	UserByCalendarToken(ctx context.Context, tokenHash string) (string, error)
}

// Erasures erases users' data and remembers when.
type Erasures interface {
	// DeleteUser erases the profile, swipes, saves, calendar link and
	// shared lists of a user, and records when it did (see ErasedAt). Deleting a user with no
	// data is not an error.
	DeleteUser(ctx context.Context, uid string) error
	// ErasedAt returns when the user's data was last erased, or the zero
	// time. Tokens issued before then are refused, so a client that kept an
	// old token cannot quietly recreate what the user had erased.
	ErasedAt(ctx context.Context, uid string) (time.Time, error)
}

// Repository is everything stored about attendees. Implementations: the
// sqlite and firestore adapters, held to one contract suite
// (attendeetest). Use cases ask for the smaller interfaces they need.
type Repository interface {
	Profiles
	Decisions
	CalendarLinks
	Shares
	Erasures
}

// Validate checks a swipe before it is stored.
func (s Swipe) Validate() error {
	fs := checkIDs(s.UID, s.PartyID)
	switch s.Action {
	case Like, Pass, Interested:
	default:
		fs = append(fs, apperr.FieldError{Field: "action", Code: "enum", Message: "must be like, pass or interested"})
	}
	if s.At.IsZero() {
		fs = append(fs, apperr.FieldError{Field: "at", Code: "required", Message: "is required"})
	}
	return apperr.Fields("invalid swipe", fs)
}

// Validate checks a save before it is stored.
func (s Save) Validate() error {
	fs := checkIDs(s.UID, s.PartyID)
	if s.At.IsZero() {
		fs = append(fs, apperr.FieldError{Field: "at", Code: "required", Message: "is required"})
	}
	return apperr.Fields("invalid save", fs)
}

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

// ValidateKey checks the user and party a decision is about.
func ValidateKey(uid, partyID string) error {
	return apperr.Fields("invalid decision", checkIDs(uid, partyID))
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
