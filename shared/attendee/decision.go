package attendee

import "time"

// Decision is where one attendee stands with one party: their current
// swipe and whether the party is on their list. Stores load and save it
// whole, in one transaction, so the rules below are the only place where a
// swipe and a save are kept in step.
type Decision struct {
	UID     string
	PartyID string
	Swipe   *Swipe // nil: never swiped
	Save    *Save  // nil: not on the list
}

// Saved reports whether the party is on the attendee's list.
func (d *Decision) Saved() bool { return d.Save != nil }

// Record replaces the attendee's decision with action at the given time.
// Like and interested put the party on the list (a party saved already
// keeps its save time); pass takes it off. A decision repeated (Repeats)
// changes nothing, not even the swipe's time: the result is Unchanged.
func (d *Decision) Record(action Action, at time.Time) SwipeResult {
	if d.Repeats(action) {
		return SwipeResult{Swipe: *d.Swipe, Previous: action, Saved: d.Saved(), Unchanged: true}
	}
	res := SwipeResult{Swipe: Swipe{UID: d.UID, PartyID: d.PartyID, Action: action, At: at.UTC()}}
	if d.Swipe != nil {
		res.Previous = d.Swipe.Action
	}
	sw := res.Swipe
	d.Swipe = &sw
	if action.Saves() {
		res.SaveAdded = d.AddSave(at)
	} else {
		res.SaveRemoved = d.RemoveSave()
	}
	res.Saved = d.Saved()
	return res
}

// Repeats reports whether recording action would leave the decision as it
// is: the same action as the current swipe, and the party on the list
// exactly when that action saves it (a like whose save was removed since
// is not repeated by another like: that one saves the party again).
func (d Decision) Repeats(action Action) bool {
	return d.Swipe != nil && d.Swipe.Action == action && d.Saved() == action.Saves()
}

// AddSave puts the party on the list; it reports false when it was there
// already (the original save time is kept).
func (d *Decision) AddSave(at time.Time) bool {
	if d.Save != nil {
		return false
	}
	d.Save = &Save{UID: d.UID, PartyID: d.PartyID, At: at.UTC()}
	return true
}

// RemoveSave takes the party off the list; it reports false when it was
// not there. The swipe that saved it, if any, stays.
func (d *Decision) RemoveSave() bool {
	if d.Save == nil {
		return false
	}
	d.Save = nil
	return true
}

// Validate checks the decision before it is stored.
func (d Decision) Validate() error {
	if d.Swipe != nil {
		if err := d.Swipe.Validate(); err != nil {
			return err
		}
	}
	if d.Save != nil {
		return d.Save.Validate()
	}
	return nil
}
