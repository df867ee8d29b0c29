package partyfinder

import (
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/triggers/ondecisionwritten"
)

// TrOnDecisionWritten is the trigger's name, as registered with the Functions Framework.
const TrOnDecisionWritten = "OnDecisionWritten"

// Turns swipe and save document writes into attendee events on the events
// topic.
func init() {
	registerTrigger(Trigger{Name: TrOnDecisionWritten, Documents: []string{"users/{uid}/swipes/{partyId}", "users/{uid}/saves/{partyId}"},
		build: func(a *app) CloudEventHandler {
			h := &ondecisionwritten.Handler{Decode: decodeDecision, Parties: a.Store, Events: a.remoteEvents()}
			a.builtPart("decision trigger")
			return h.Handle
		}})
}

// decodeDecision decodes a Firestore swipe or save document event for
// OnDecisionWritten.
func decodeDecision(data []byte) (ondecisionwritten.Change, error) {
	c, err := firestore.DecodeDecisionChange(data)
	return ondecisionwritten.Change{UID: c.UID, PartyID: c.PartyID, Swipe: c.Swipe, Save: c.Save, Trace: c.Trace}, err
}
