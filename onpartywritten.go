package partyfinder

import (
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/triggers/onpartywritten"
)

// TrOnPartyWritten is the trigger's name, as registered with the Functions Framework.
const TrOnPartyWritten = "OnPartyWritten"

// Turns party document writes into party events on the events topic.
func init() {
	registerTrigger(Trigger{Name: TrOnPartyWritten, Documents: []string{"parties/{partyId}"}, build: func(a *app) CloudEventHandler {
		h := &onpartywritten.Handler{Decode: decodeParty, Events: a.remoteEvents()}
		if r, ok := a.Store.(onpartywritten.Recorder); ok {
			h.Record = r
		}
		a.builtPart("party trigger")
		return h.Handle
	}})
}

// decodeParty decodes a Firestore party document event for OnPartyWritten.
func decodeParty(data []byte) (onpartywritten.Change, error) {
	c, err := firestore.DecodePartyChange(data)
	return onpartywritten.Change{PartyID: c.PartyID, Before: c.Before, After: c.After}, err
}
