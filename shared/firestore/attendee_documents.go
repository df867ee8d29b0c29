package firestore

import (
	"context"
	"reflect"
	"strings"
	"time"

	gfs "cloud.google.com/go/firestore"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/partyfinder/partyfinder/shared/attendee"
)

// The attendee collection ids, before any prefix. Swipes and saves are
// subcollections of a user's document, so the rules can grant a user their
// own subtree, and erasing a user never needs a query.
const (
	usersCollection          = "users"          // users/{uid}: profile and calendar link
	swipesCollection         = "swipes"         // users/{uid}/swipes/{partyId}
	savesCollection          = "saves"          // users/{uid}/saves/{partyId}
	calendarTokensCollection = "calendarTokens" // calendarTokens/{tokenHash}
	erasuresCollection       = "erasures"       // erasures/{uid}: when the user's data was last erased
)

// erasureDoc records an erasure; server-only, like calendar tokens.
type erasureDoc struct {
	At time.Time `firestore:"at"`
}

// profileDoc holds the fields of users/{uid} a profile is made of. The
// first five are the ones firestore.rules lets the user write themselves;
// the timestamps are the server's. A document without a visibility holds no
// profile (it may hold only a calendar link): every stored profile has one.
type profileDoc struct {
	DisplayName string     `firestore:"displayName"`
	Company     string     `firestore:"company"`
	JobTitle    string     `firestore:"jobTitle"`
	Persona     string     `firestore:"persona"` // "" when not given
	Visibility  string     `firestore:"visibility"`
	CreatedAt   *time.Time `firestore:"createdAt"`
	UpdatedAt   *time.Time `firestore:"updatedAt"`
}

// calendarDoc holds the fields of users/{uid} about the personal calendar
// link: server-owned, never written by clients.
type calendarDoc struct {
	Generation int64  `firestore:"calendarGeneration"`
	TokenHash  string `firestore:"calendarTokenHash"` // "" when none was issued
}

// userDoc is users/{uid} as read: the profile and the calendar link share
// one document, so a user's data is one subtree. Each part is written with
// a merge of its own fields only, so writing one never erases the other,
// nor fields other code keeps in the document.
type userDoc struct {
	profileDoc
	calendarDoc
}

// swipeDoc is users/{uid}/swipes/{partyId}: the user's current decision
// about the party. firestore.rules accepts exactly these fields from clients.
type swipeDoc struct {
	PartyID string    `firestore:"partyId"` // the document id, repeated for rules and exports
	Action  string    `firestore:"action"`
	At      time.Time `firestore:"at"`
	// Trace is the W3C traceparent of the request that wrote it, so the
	// document trigger continues that trace; empty when none was sampled.
	Trace string `firestore:"trace,omitempty"`
}

// saveDoc is users/{uid}/saves/{partyId}: a party on the user's list.
type saveDoc struct {
	PartyID string    `firestore:"partyId"`
	At      time.Time `firestore:"at"`
	Trace   string    `firestore:"trace,omitempty"` // as swipeDoc's
}

// tokenDoc is calendarTokens/{tokenHash}: who the calendar link with this
// token belongs to, found by id without a query. Closed to clients.
type tokenDoc struct {
	UID string `firestore:"uid"`
}

// Set options that write only one part of users/{uid}. Each write gets
// an option of its own: the client sorts an option's field paths in place
// when it uses it, so one option shared by concurrent writes is a data
// race.
func profileMerge() gfs.SetOption  { return mergeFieldsOf[profileDoc]() }
func calendarMerge() gfs.SetOption { return mergeFieldsOf[calendarDoc]() }

// mergeFieldsOf returns a Set option that writes exactly the fields of the
// document type T and leaves the document's other fields as they are.
func mergeFieldsOf[T any]() gfs.SetOption {
	typ := reflect.TypeFor[T]()
	fps := make([]gfs.FieldPath, typ.NumField())
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("firestore"), ",")
		fps[i] = gfs.FieldPath{name}
	}
	return gfs.Merge(fps...)
}

func marshalProfile(p attendee.Profile) profileDoc {
	return profileDoc{
		DisplayName: p.DisplayName,
		Company:     p.Company,
		JobTitle:    p.JobTitle,
		Persona:     string(p.Persona),
		Visibility:  string(p.Visibility),
		CreatedAt:   timePtr(p.CreatedAt),
		UpdatedAt:   timePtr(p.UpdatedAt),
	}
}

// unmarshalProfile returns the profile in d, and false when d holds none.
func unmarshalProfile(uid string, d profileDoc) (attendee.Profile, bool) {
	if d.Visibility == "" {
		return attendee.Profile{}, false
	}
	return attendee.Profile{
		UID:         uid,
		DisplayName: d.DisplayName,
		Company:     d.Company,
		JobTitle:    d.JobTitle,
		Persona:     attendee.Persona(d.Persona),
		Visibility:  attendee.Visibility(d.Visibility),
		CreatedAt:   fromPtr(d.CreatedAt),
		UpdatedAt:   fromPtr(d.UpdatedAt),
	}, true
}

func marshalSwipe(s attendee.Swipe, trace string) swipeDoc {
	return swipeDoc{PartyID: s.PartyID, Action: string(s.Action), At: storedTime(s.At), Trace: trace}
}

func unmarshalSwipe(uid, partyID string, d swipeDoc) attendee.Swipe {
	return attendee.Swipe{UID: uid, PartyID: partyID, Action: attendee.Action(d.Action), At: storedTime(d.At)}
}

func marshalSave(s attendee.Save, trace string) saveDoc {
	return saveDoc{PartyID: s.PartyID, At: storedTime(s.At), Trace: trace}
}

// traceparent returns the W3C trace context of ctx's span, or "" when it
// has none: written into decision documents so the trigger a write fires
// continues the request's trace (Firestore carries no trace context).
func traceparent(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	return c["traceparent"]
}

func unmarshalSave(uid, partyID string, d saveDoc) attendee.Save {
	return attendee.Save{UID: uid, PartyID: partyID, At: storedTime(d.At)}
}
