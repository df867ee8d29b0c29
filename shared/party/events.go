package party

import (
	"slices"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/event"
)

// Event types of the party domain, and the schema version of their
// payloads. The Go types carry an Event suffix because Published and
// Cancelled already name statuses.
const (
	TypeCreated       = "party.created"
	TypeUpdated       = "party.updated"
	TypePublished     = "party.published"
	TypeCancelled     = "party.cancelled"
	TypeRemoved       = "party.removed"
	TypeImportApplied = "party.import_applied"

	EventVersion = 1
)

// CreatedEvent: a party was stored for the first time, in Status.
type CreatedEvent struct {
	event.Meta
	PartyID string
	Status  Status
}

// UpdatedEvent: a party's content or status changed. Changed names the
// fields that differ, as the API names them.
type UpdatedEvent struct {
	event.Meta
	PartyID string
	Changed []string
}

// PublishedEvent: a party became visible to everyone.
type PublishedEvent struct {
	event.Meta
	PartyID string
}

// CancelledEvent: a party was called off; it stays visible as cancelled.
type CancelledEvent struct {
	event.Meta
	PartyID string
	Reason  string
}

// RemovedEvent: a party was deleted; a tombstone remains.
type RemovedEvent struct {
	event.Meta
	PartyID string
}

// ImportAppliedEvent: an import wrote its batch of parties.
type ImportAppliedEvent struct {
	event.Meta
	Source    string
	Created   int
	Updated   int
	Cancelled int
	Unchanged int
	Rejected  int
}

// Events returns the events of a change from before (nil for a new party)
// to after: created or updated, then published or cancelled when the
// status moved there. meta makes each event's metadata from its type.
func Events(before *Party, after Party, meta func(typ string) event.Meta) []event.Event {
	var out []event.Event
	var was Status
	if before == nil {
		out = append(out, CreatedEvent{Meta: meta(TypeCreated), PartyID: after.ID, Status: after.Status})
	} else {
		was = before.Status
		if changed := before.Changes(after); len(changed) > 0 {
			out = append(out, UpdatedEvent{Meta: meta(TypeUpdated), PartyID: after.ID, Changed: changed})
		}
	}
	if after.Status != was {
		switch after.Status {
		case Published:
			out = append(out, PublishedEvent{Meta: meta(TypePublished), PartyID: after.ID})
		case Cancelled:
			out = append(out, CancelledEvent{Meta: meta(TypeCancelled), PartyID: after.ID, Reason: after.Note})
		}
	}
	return out
}

// Changes names the fields (as the API names them) in which q differs from
// p, ignoring the bookkeeping fields (times of creation and update, version).
func (p Party) Changes(q Party) []string {
	var out []string
	for _, f := range []struct {
		name string
		same bool
	}{
		{"title", p.Title == q.Title},
		{"description", p.Description == q.Description},
		{"venue", p.Venue == q.Venue},
		{"address", p.Address == q.Address},
		{"location", (p.Location == nil) == (q.Location == nil) && (p.Location == nil || *p.Location == *q.Location)},
		{"start", p.Start.Equal(q.Start)},
		{"end", p.End.Equal(q.End)},
		{"category", p.Category == q.Category},
		{"hosts", slices.Equal(p.Hosts, q.Hosts)},
		{"price", p.Price == q.Price && p.Free == q.Free},
		{"link", p.Link == q.Link},
		{"focus", p.Focus == q.Focus},
		{"tags", slices.Equal(p.Tags, q.Tags)},
		{"status", p.Status == q.Status},
		{"source", p.Source == q.Source},
		{"owner", p.Owner == q.Owner},
		{"note", p.Note == q.Note},
		{"conferenceId", p.ConferenceID == q.ConferenceID},
	} {
		if !f.same {
			out = append(out, f.name)
		}
	}
	return out
}

// ChangesFeed reports whether an event changes a conference's public party
// data: every event of this package does (an import's summary too), so
// caches of the feed drop what they hold for its conference.
func ChangesFeed(e event.Event) bool {
	switch e.(type) {
	case CreatedEvent, UpdatedEvent, PublishedEvent, CancelledEvent, RemovedEvent, ImportAppliedEvent,
		conference.CreatedEvent, conference.UpdatedEvent: // the days and zone every party is shown in
		return true
	}
	return false
}
