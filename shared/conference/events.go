package conference

import (
	"slices"

	"github.com/partyfinder/partyfinder/shared/event"
)

// Event types of the conference domain and the schema version of their
// payloads.
const (
	TypeCreated = "conference.created"
	TypeUpdated = "conference.updated"

	EventVersion = 1
)

// CreatedEvent: a conference was stored for the first time.
type CreatedEvent struct {
	event.Meta
}

// UpdatedEvent: a conference's details changed. Changed names the fields
// that differ, as the API names them; a change of its days or time zone
// changes how every party of it is shown.
type UpdatedEvent struct {
	event.Meta
	Changed []string
}

// Changes names the fields in which c differs from old, as the API names
// them.
func (c Conference) Changes(old Conference) []string {
	var out []string
	for _, f := range []struct {
		name string
		same bool
	}{
		{"name", c.Name == old.Name},
		{"city", c.City == old.City},
		{"timeZone", c.TimeZone == old.TimeZone},
		{"firstDay", c.FirstDay == old.FirstDay},
		{"lastDay", c.LastDay == old.LastDay},
		{"categories", slices.Equal(c.Categories, old.Categories)},
		{"syncUrl", c.SyncURL == old.SyncURL},
	} {
		if !f.same {
			out = append(out, f.name)
		}
	}
	return out
}
