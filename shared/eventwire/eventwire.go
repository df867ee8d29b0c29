// Package eventwire is the serialized form of domain events, shared by
// the transports that carry or keep them (the Pub/Sub adapter, the SQLite
// outbox): JSON of the event, read back by its type into the domain's own
// value. It knows every domain event type; a type it does not know cannot
// be written, and data of a newer schema version than this program's
// cannot be read.
package eventwire

import (
	"encoding/json"
	"fmt"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/party"
)

var decoders = map[string]func([]byte) (event.Event, error){}

func register[T event.Event](typ string, version int) {
	decoders[typ] = func(data []byte) (event.Event, error) {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		if got := v.EventMeta().Version; got > version {
			return nil, fmt.Errorf("schema version %d of %s is newer than this program's %d", got, typ, version)
		}
		return v, nil
	}
}

func init() {
	register[party.CreatedEvent](party.TypeCreated, party.EventVersion)
	register[party.UpdatedEvent](party.TypeUpdated, party.EventVersion)
	register[party.PublishedEvent](party.TypePublished, party.EventVersion)
	register[party.CancelledEvent](party.TypeCancelled, party.EventVersion)
	register[party.RemovedEvent](party.TypeRemoved, party.EventVersion)
	register[party.ImportAppliedEvent](party.TypeImportApplied, party.EventVersion)
	register[conference.CreatedEvent](conference.TypeCreated, conference.EventVersion)
	register[conference.UpdatedEvent](conference.TypeUpdated, conference.EventVersion)
	register[attendee.SwipeRecorded](attendee.TypeSwipeRecorded, attendee.EventVersion)
	register[attendee.SwipeRemoved](attendee.TypeSwipeRemoved, attendee.EventVersion)
	register[attendee.SaveAdded](attendee.TypeSaveAdded, attendee.EventVersion)
	register[attendee.SaveRemoved](attendee.TypeSaveRemoved, attendee.EventVersion)
	register[attendee.ProfileChanged](attendee.TypeProfileChanged, attendee.EventVersion)
	register[attendee.UserErased](attendee.TypeUserErased, attendee.EventVersion)
	register[analytics.Interaction](analytics.TypeInteraction, analytics.EventVersion)
}

// Marshal returns the event's data.
func Marshal(e event.Event) ([]byte, error) {
	typ := e.EventMeta().Type
	if _, ok := decoders[typ]; !ok {
		return nil, fmt.Errorf("encode event: unknown type %q", typ)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return data, nil
}

// Unmarshal reads the data of an event of type typ. An Invalid error
// means it never will be read.
func Unmarshal(typ string, data []byte) (event.Event, error) {
	dec, ok := decoders[typ]
	if !ok {
		return nil, apperr.New(apperr.Invalid, "unknown event type %q", typ)
	}
	e, err := dec(data)
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "decode %s: %v", typ, err)
	}
	return e, nil
}
