package firestore

import (
	"fmt"
	"strings"
	"time"

	"github.com/googleapis/google-cloudevents-go/cloud/firestoredata"
	"google.golang.org/protobuf/proto"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

// DecisionChange is a write to a user's swipe or save document, as a
// Firestore trigger delivers it, decoded into the attendee domain: which
// document, and what it held before and after (nil for none).
type DecisionChange struct {
	UID     string
	PartyID string
	Kind    string // "swipes" or "saves"
	Swipe   [2]*attendee.Swipe
	Save    [2]*attendee.Save
	Trace   string // the writing request's traceparent, if it recorded one
}

// DecodeDecisionChange decodes the protobuf DocumentEventData of a write
// to users/{uid}/swipes/{partyId} or users/{uid}/saves/{partyId} (under
// any collection prefix). An Invalid error means the data can never be
// decoded.
func DecodeDecisionChange(data []byte) (DecisionChange, error) {
	var ev firestoredata.DocumentEventData
	if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &ev); err != nil {
		return DecisionChange{}, apperr.New(apperr.Invalid, "not a Firestore document event: %v", err)
	}
	doc := ev.GetValue()
	if doc == nil {
		doc = ev.GetOldValue()
	}
	if doc == nil {
		return DecisionChange{}, apperr.New(apperr.Invalid, "a document event without a document")
	}
	var c DecisionChange
	if err := c.locate(doc.GetName()); err != nil {
		return c, err
	}
	for i, d := range []*firestoredata.Document{ev.GetOldValue(), ev.GetValue()} {
		if d == nil {
			continue
		}
		f := d.GetFields()
		at := timeField(f, "at")
		if i == 1 {
			c.Trace = f["trace"].GetStringValue()
		}
		switch c.Kind {
		case swipesCollection:
			c.Swipe[i] = &attendee.Swipe{UID: c.UID, PartyID: c.PartyID, Action: attendee.Action(f["action"].GetStringValue()), At: at}
		case savesCollection:
			c.Save[i] = &attendee.Save{UID: c.UID, PartyID: c.PartyID, At: at}
		}
	}
	return c, nil
}

// locate reads the user, the kind and the party from a document name
// (projects/P/databases/D/documents/users/{uid}/{swipes|saves}/{partyId}).
func (c *DecisionChange) locate(name string) error {
	_, path, ok := strings.Cut(name, "/documents/")
	segs := strings.Split(path, "/")
	n := len(segs)
	if !ok || n < 4 || !strings.HasSuffix(segs[n-4], usersCollection) || segs[n-2] != swipesCollection && segs[n-2] != savesCollection {
		return apperr.New(apperr.Invalid, "document %q is not a user's swipe or save", name)
	}
	c.UID, c.Kind, c.PartyID = segs[n-3], segs[n-2], segs[n-1]
	if err := attendee.ValidateKey(c.UID, c.PartyID); err != nil {
		return fmt.Errorf("document %q: %w", name, err)
	}
	return nil
}

func timeField(f map[string]*firestoredata.Value, name string) time.Time {
	ts := f[name].GetTimestampValue()
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime().UTC()
}
