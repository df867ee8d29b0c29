package attendee

import "github.com/partyfinder/partyfinder/shared/event"

// The functions below are the one place where the events of a change to
// what an attendee keeps are derived, from the state before and after it.
// The use cases call them on the decision or profile they change in a
// store's transaction; the document trigger calls them (through
// SwipeEvents and SaveEvents) on a swipe or save document as it sees it
// before and after a write, so a write made straight to the store (the
// rules let users write their own swipes and saves) counts like one made
// through the API. meta makes each event's metadata from its type; it is
// called once per event, in the order of the events.

// Events returns the events of a change to one attendee's decision about
// one party, from before to after (both of after's user and party): the
// swipe's event first (SwipeRecorded, or SwipeRemoved when the swipe is
// gone), then the save's (SaveAdded or SaveRemoved). A swipe is recorded
// when after holds another one than before: Decision's methods never edit a
// swipe in place but put a new one there for each decision recorded, so a
// like recorded again at the instant of the old one (after its save was
// taken off) is recorded too, while a save added or removed alone keeps
// the swipe and has only its save's event.
func Events(before, after Decision, meta func(typ string) event.Meta) []event.Event {
	var out []event.Event
	switch {
	case after.Swipe != nil && after.Swipe != before.Swipe:
		var prev Action
		if before.Swipe != nil {
			prev = before.Swipe.Action
		}
		sw := after.Swipe
		out = append(out, SwipeRecorded{Meta: meta(TypeSwipeRecorded), UID: sw.UID, PartyID: sw.PartyID, Action: sw.Action, Previous: prev})
	case after.Swipe == nil && before.Swipe != nil:
		sw := before.Swipe
		out = append(out, SwipeRemoved{Meta: meta(TypeSwipeRemoved), UID: sw.UID, PartyID: sw.PartyID, Previous: sw.Action})
	}
	switch {
	case before.Save == nil && after.Save != nil:
		out = append(out, SaveAdded{Meta: meta(TypeSaveAdded), UID: after.UID, PartyID: after.PartyID})
	case before.Save != nil && after.Save == nil:
		out = append(out, SaveRemoved{Meta: meta(TypeSaveRemoved), UID: after.UID, PartyID: after.PartyID})
	}
	return out
}

// ProfileEvents returns the events of a change to uid's profile from
// before to after: ProfileChanged naming the fields that differ, or none.
func ProfileEvents(uid string, before, after Profile, meta func(typ string) event.Meta) []event.Event {
	changed := before.Changes(after)
	if len(changed) == 0 {
		return nil
	}
	return []event.Event{ProfileChanged{Meta: meta(TypeProfileChanged), UID: uid, Changed: changed, Persona: after.Persona}}
}

// ErasureEvents returns the events of erasing uid's data, given the swipes
// and saves it had: each swipe's SwipeRemoved, then each save's
// SaveRemoved (so the counts of current decisions and saves drop with
// them), then UserErased.
func ErasureEvents(uid string, swipes []Swipe, saves []Save, meta func(typ string) event.Meta) []event.Event {
	var out []event.Event
	for _, s := range swipes {
		out = append(out, Events(Decision{UID: uid, PartyID: s.PartyID, Swipe: &Swipe{UID: uid, PartyID: s.PartyID, Action: s.Action, At: s.At}},
			Decision{UID: uid, PartyID: s.PartyID}, meta)...)
	}
	for _, s := range saves {
		out = append(out, Events(Decision{UID: uid, PartyID: s.PartyID, Save: &Save{UID: uid, PartyID: s.PartyID, At: s.At}},
			Decision{UID: uid, PartyID: s.PartyID}, meta)...)
	}
	return append(out, UserErased{Meta: meta(TypeUserErased), UID: uid})
}

// SwipeEvents returns the events of a swipe document written from before
// to after (nil for none): a document rewritten with the same action and
// time changes nothing; a deleted swipe (an erasure's doing) is
// SwipeRemoved. The two are decoded apart, so they are compared by
// content here before Events sees them.
func SwipeEvents(before, after *Swipe, meta func(typ string) event.Meta) []event.Event {
	if before != nil && after != nil && before.Action == after.Action && before.At.Equal(after.At) {
		return nil // rewritten unchanged
	}
	var key Swipe
	switch {
	case after != nil:
		key = *after
	case before != nil:
		key = *before
	default:
		return nil
	}
	return Events(Decision{UID: key.UID, PartyID: key.PartyID, Swipe: before}, Decision{UID: key.UID, PartyID: key.PartyID, Swipe: after}, meta)
}

// SaveEvents returns the events of a save document of uid and partyID
// written from before to after (nil for none).
func SaveEvents(uid, partyID string, before, after *Save, meta func(typ string) event.Meta) []event.Event {
	return Events(Decision{UID: uid, PartyID: partyID, Save: before}, Decision{UID: uid, PartyID: partyID, Save: after}, meta)
}
