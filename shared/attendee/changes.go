package attendee

import "github.com/partyfinder/partyfinder/shared/event"

// The functions below derive the events of a change to a stored swipe or
// save as a document trigger sees it, before and after: the same events
// the use cases emit, so a write made straight to the store (the rules
// let users write their own swipes and saves) counts like one made
// through the API. meta makes each event's metadata from its type.

// SwipeEvents returns the events of a swipe document written from before
// to after (nil for none). A deleted swipe (an erasure's doing) is
// SwipeRemoved.
func SwipeEvents(before, after *Swipe, meta func(typ string) event.Meta) []event.Event {
	if after == nil {
		if before == nil {
			return nil
		}
		return []event.Event{SwipeRemoved{Meta: meta(TypeSwipeRemoved), UID: before.UID, PartyID: before.PartyID, Previous: before.Action}}
	}
	var prev Action
	if before != nil {
		if before.Action == after.Action && before.At.Equal(after.At) {
			return nil // rewritten unchanged
		}
		prev = before.Action
	}
	return []event.Event{SwipeRecorded{Meta: meta(TypeSwipeRecorded), UID: after.UID, PartyID: after.PartyID, Action: after.Action, Previous: prev}}
}

// SaveEvents returns the events of a save document of uid and partyID
// written from before to after (nil for none).
func SaveEvents(uid, partyID string, before, after *Save, meta func(typ string) event.Meta) []event.Event {
	switch {
	case before == nil && after != nil:
		return []event.Event{SaveAdded{Meta: meta(TypeSaveAdded), UID: uid, PartyID: partyID}}
	case before != nil && after == nil:
		return []event.Event{SaveRemoved{Meta: meta(TypeSaveRemoved), UID: uid, PartyID: partyID}}
	}
	return nil
}
