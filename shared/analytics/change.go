package analytics

import (
	"time"

	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/event"
)

// Weights of interactions in the trending score: what says most about
// wanting to go counts most.
const (
	WeightView        = 1
	WeightClick       = 2
	WeightLike        = 3
	WeightShare       = 4
	WeightSave        = 5
	WeightCalendarAdd = 6
)

// Change is what one domain event does to the analytics.
type Change struct {
	EventID    string
	Conference string
	PartyID    string // "" for changes of a user only
	At         time.Time
	Delta      Counters
	Trend      float64 // weight added to the party's trending score

	// Saver is the user whose save the party gained (SaveDelta +1) or lost
	// (-1): stores attribute it to the user's persona when it was added,
	// and take it back from that same persona, so a persona changed in
	// between leaves the mix exact.
	Saver     string
	SaveDelta int

	// PersonaOf and Persona record a user's persona (a profile change),
	// for the saves they make afterwards.
	PersonaOf string
	Persona   attendee.Persona
}

// ChangeOf returns the change an event makes, and false for events that
// change no analytics.
func ChangeOf(e event.Event) (Change, bool) {
	m := e.EventMeta()
	c := Change{EventID: m.ID, Conference: m.Conference, At: m.At}
	switch e := e.(type) {
	case attendee.SwipeRecorded:
		c.PartyID = e.PartyID
		c.Delta = decisionDelta(e.Previous, -1)
		c.Delta.Add(decisionDelta(e.Action, +1))
		if e.Action.Saves() && !e.Previous.Saves() {
			c.Trend = WeightLike
		}
	case attendee.SwipeRemoved:
		c.PartyID = e.PartyID
		c.Delta = decisionDelta(e.Previous, -1)
	case attendee.SaveAdded:
		c.PartyID, c.Saver, c.SaveDelta = e.PartyID, e.UID, +1
		c.Delta.Saves = 1
		c.Trend = WeightSave
	case attendee.SaveRemoved:
		c.PartyID, c.Saver, c.SaveDelta = e.PartyID, e.UID, -1
		c.Delta.Saves = -1
	case attendee.ProfileChanged:
		c.PersonaOf, c.Persona = e.UID, e.Persona
	case attendee.UserErased:
		// Aggregates stay (the user was told so); the user's persona goes.
		c.PersonaOf, c.Persona = e.UID, ""
	case Interaction:
		c.PartyID = e.PartyID
		switch e.Kind {
		case View:
			c.Delta.Views, c.Trend = 1, WeightView
		case Click:
			c.Trend = WeightClick
		case Share:
			c.Delta.Shares, c.Trend = 1, WeightShare
		case CalendarAdd:
			c.Delta.CalendarAdds, c.Trend = 1, WeightCalendarAdd
		default:
			return c, false // searches are not per party
		}
	default:
		return c, false
	}
	if c.PartyID == "" && c.PersonaOf == "" {
		return c, false
	}
	return c, true
}

// decisionDelta is one current decision, counted with sign.
func decisionDelta(a attendee.Action, sign int64) Counters {
	switch a {
	case attendee.Like, attendee.Interested:
		return Counters{Likes: sign}
	case attendee.Pass:
		return Counters{Passes: sign}
	}
	return Counters{}
}
