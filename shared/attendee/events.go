package attendee

import "github.com/partyfinder/partyfinder/shared/event"

// Event types of the attendee domain, and the schema version of their
// payloads. A change to a payload that old readers cannot ignore raises
// EventVersion.
const (
	TypeSwipeRecorded  = "attendee.swipe_recorded"
	TypeSwipeRemoved   = "attendee.swipe_removed"
	TypeSaveAdded      = "attendee.save_added"
	TypeSaveRemoved    = "attendee.save_removed"
	TypeProfileChanged = "attendee.profile_changed"
	TypeUserErased     = "attendee.user_erased"

	EventVersion = 1
)

// SwipeRecorded: an attendee decided about a party. Previous is the
// decision it replaced ("" for the first one), so counts of current
// decisions stay exact when a like turns into a pass. A swipe that puts the
// party on the attendee's list or takes it off is followed by SaveAdded or
// SaveRemoved.
type SwipeRecorded struct {
	event.Meta
	UID      string
	PartyID  string
	Action   Action
	Previous Action
}

// SwipeRemoved: an attendee's decision about a party is gone (their data
// was erased); Previous is the decision it was, so counts of current
// decisions drop with it.
type SwipeRemoved struct {
	event.Meta
	UID      string
	PartyID  string
	Previous Action
}

// SaveAdded: a party went onto an attendee's list.
type SaveAdded struct {
	event.Meta
	UID     string
	PartyID string
}

// SaveRemoved: a party came off an attendee's list.
type SaveRemoved struct {
	event.Meta
	UID     string
	PartyID string
}

// ProfileChanged: an attendee changed their profile. Changed names the
// fields that differ (API names); Persona is the persona after the change.
type ProfileChanged struct {
	event.Meta
	UID     string
	Changed []string
	Persona Persona
}

// UserErased: everything stored about a user was erased at their request.
type UserErased struct {
	event.Meta
	UID string
}
