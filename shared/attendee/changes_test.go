package attendee

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/event"
)

// stamps makes metadata with ids in call order, so a test also sees that
// meta is called once per event, in the order of the events.
func stamps() func(typ string) event.Meta {
	n := 0
	return func(typ string) event.Meta {
		n++
		return event.Meta{ID: fmt.Sprint("e", n), Type: typ}
	}
}

func meta(id int, typ string) event.Meta { return event.Meta{ID: fmt.Sprint("e", id), Type: typ} }

func TestEvents(t *testing.T) {
	t0 := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	swipe := func(a Action, at time.Time) *Swipe { return &Swipe{UID: "u", PartyID: "p", Action: a, At: at} }
	save := &Save{UID: "u", PartyID: "p", At: t0}
	liked := Decision{UID: "u", PartyID: "p", Swipe: swipe(Like, t0), Save: save}
	unsaved := Decision{UID: "u", PartyID: "p", Swipe: swipe(Like, t0)} // a like whose save was taken off
	tests := []struct {
		name   string
		before Decision
		change func(*Decision)
		want   []event.Event
	}{
		{"first like records and saves", Decision{UID: "u", PartyID: "p"}, func(d *Decision) { d.Record(Like, t1) }, []event.Event{
			SwipeRecorded{Meta: meta(1, TypeSwipeRecorded), UID: "u", PartyID: "p", Action: Like},
			SaveAdded{Meta: meta(2, TypeSaveAdded), UID: "u", PartyID: "p"},
		}},
		{"first pass records only", Decision{UID: "u", PartyID: "p"}, func(d *Decision) { d.Record(Pass, t1) }, []event.Event{
			SwipeRecorded{Meta: meta(1, TypeSwipeRecorded), UID: "u", PartyID: "p", Action: Pass},
		}},
		{"like turned pass records and unsaves", liked, func(d *Decision) { d.Record(Pass, t1) }, []event.Event{
			SwipeRecorded{Meta: meta(1, TypeSwipeRecorded), UID: "u", PartyID: "p", Action: Pass, Previous: Like},
			SaveRemoved{Meta: meta(2, TypeSaveRemoved), UID: "u", PartyID: "p"},
		}},
		{"repeated like: nothing", liked, func(d *Decision) { d.Record(Like, t1) }, nil},
		{"like again at the old like's instant, after its save was taken off, is recorded", unsaved, func(d *Decision) { d.Record(Like, t0) }, []event.Event{
			SwipeRecorded{Meta: meta(1, TypeSwipeRecorded), UID: "u", PartyID: "p", Action: Like, Previous: Like},
			SaveAdded{Meta: meta(2, TypeSaveAdded), UID: "u", PartyID: "p"},
		}},
		{"a save added to the same state is only a save", unsaved, func(d *Decision) { d.AddSave(t0) }, []event.Event{
			SaveAdded{Meta: meta(1, TypeSaveAdded), UID: "u", PartyID: "p"},
		}},
		{"a save removed keeps the swipe", liked, func(d *Decision) { d.RemoveSave() }, []event.Event{
			SaveRemoved{Meta: meta(1, TypeSaveRemoved), UID: "u", PartyID: "p"},
		}},
		{"a save of a saved party: nothing", liked, func(d *Decision) { d.AddSave(t1) }, nil},
		{"an unsave of a party not saved: nothing", unsaved, func(d *Decision) { d.RemoveSave() }, nil},
		{"everything gone: removed, then unsaved", liked, func(d *Decision) { d.Swipe, d.Save = nil, nil }, []event.Event{
			SwipeRemoved{Meta: meta(1, TypeSwipeRemoved), UID: "u", PartyID: "p", Previous: Like},
			SaveRemoved{Meta: meta(2, TypeSaveRemoved), UID: "u", PartyID: "p"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := tt.before
			tt.change(&after)
			if got := Events(tt.before, after, stamps()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Events =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

// The trigger sees documents decoded apart: a rewrite with the same
// content is no event, any other write is.
func TestSwipeAndSaveEvents(t *testing.T) {
	t0 := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	sw := func(a Action, at time.Time) *Swipe { return &Swipe{UID: "u", PartyID: "p", Action: a, At: at} }
	sv := &Save{UID: "u", PartyID: "p", At: t0}
	tests := []struct {
		name string
		got  []event.Event
		want []event.Event
	}{
		{"swipe created", SwipeEvents(nil, sw(Like, t0), stamps()), []event.Event{
			SwipeRecorded{Meta: meta(1, TypeSwipeRecorded), UID: "u", PartyID: "p", Action: Like}}},
		{"swipe changed", SwipeEvents(sw(Like, t0), sw(Pass, t0.Add(time.Second)), stamps()), []event.Event{
			SwipeRecorded{Meta: meta(1, TypeSwipeRecorded), UID: "u", PartyID: "p", Action: Pass, Previous: Like}}},
		{"same action, later", SwipeEvents(sw(Like, t0), sw(Like, t0.Add(time.Second)), stamps()), []event.Event{
			SwipeRecorded{Meta: meta(1, TypeSwipeRecorded), UID: "u", PartyID: "p", Action: Like, Previous: Like}}},
		{"swipe rewritten unchanged", SwipeEvents(sw(Like, t0), sw(Like, t0), stamps()), nil},
		{"swipe deleted", SwipeEvents(sw(Pass, t0), nil, stamps()), []event.Event{
			SwipeRemoved{Meta: meta(1, TypeSwipeRemoved), UID: "u", PartyID: "p", Previous: Pass}}},
		{"no swipe either side", SwipeEvents(nil, nil, stamps()), nil},
		{"save created", SaveEvents("u", "p", nil, sv, stamps()), []event.Event{
			SaveAdded{Meta: meta(1, TypeSaveAdded), UID: "u", PartyID: "p"}}},
		{"save rewritten", SaveEvents("u", "p", sv, &Save{UID: "u", PartyID: "p", At: t0.Add(time.Hour)}, stamps()), nil},
		{"save deleted", SaveEvents("u", "p", sv, nil, stamps()), []event.Event{
			SaveRemoved{Meta: meta(1, TypeSaveRemoved), UID: "u", PartyID: "p"}}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s:\n %+v\nwant\n %+v", tt.name, tt.got, tt.want)
		}
	}
}

func TestProfileEvents(t *testing.T) {
	p := NewProfile("u")
	tests := []struct {
		name   string
		change func(*Profile)
		want   []event.Event
	}{
		{"names and persona", func(p *Profile) { p.DisplayName, p.Persona = "Ada", Developer }, []event.Event{
			ProfileChanged{Meta: meta(1, TypeProfileChanged), UID: "u", Changed: []string{"displayName", "persona"}, Persona: Developer}}},
		{"visibility only", func(p *Profile) { p.Visibility = Public }, []event.Event{
			ProfileChanged{Meta: meta(1, TypeProfileChanged), UID: "u", Changed: []string{"visibility"}}}},
		{"stamps only: nothing", func(p *Profile) { p.Touch(time.Now()) }, nil},
		{"nothing", func(*Profile) {}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := p
			tt.change(&after)
			if got := ProfileEvents("u", p, after, stamps()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ProfileEvents = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestErasureEvents(t *testing.T) {
	t0 := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		swipes []Swipe
		saves  []Save
		want   []event.Event
	}{
		{"nothing stored", nil, nil, []event.Event{UserErased{Meta: meta(1, TypeUserErased), UID: "u"}}},
		{"swipes first, then saves, then the erasure",
			[]Swipe{{UID: "u", PartyID: "a", Action: Like, At: t0}, {UID: "u", PartyID: "b", Action: Pass, At: t0}},
			[]Save{{UID: "u", PartyID: "a", At: t0}, {UID: "u", PartyID: "c", At: t0}},
			[]event.Event{
				SwipeRemoved{Meta: meta(1, TypeSwipeRemoved), UID: "u", PartyID: "a", Previous: Like},
				SwipeRemoved{Meta: meta(2, TypeSwipeRemoved), UID: "u", PartyID: "b", Previous: Pass},
				SaveRemoved{Meta: meta(3, TypeSaveRemoved), UID: "u", PartyID: "a"},
				SaveRemoved{Meta: meta(4, TypeSaveRemoved), UID: "u", PartyID: "c"},
				UserErased{Meta: meta(5, TypeUserErased), UID: "u"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErasureEvents("u", tt.swipes, tt.saves, stamps()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ErasureEvents =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}
