package party

import (
	"testing"
	"time"
)

func TestUnrecorded(t *testing.T) {
	at := time.Date(2025, 8, 20, 19, 0, 0, 0, time.UTC)
	p := Party{ID: "gc-1", ConferenceID: "gc", Title: "Mixer", Venue: "Bootshaus", Start: at, Status: Published, Seq: 7}
	with := func(fn func(*Party)) *Party { q := p; fn(&q); return &q }
	for _, tc := range []struct {
		name          string
		before, after *Party
		want          bool
	}{
		{"written through a store: its position moved", &p, with(func(q *Party) { q.Venue, q.Seq = "Stadtgarten", 8 }), false},
		{"edited in the console: same position", &p, with(func(q *Party) { q.Venue = "Stadtgarten" }), true},
		{"cancelled in the console", &p, with(func(q *Party) { q.Status = Cancelled }), true},
		{"only bookkeeping changed (a position written back)", &p, with(func(q *Party) { q.Seq = 9 }), false},
		{"touched without a change", &p, with(func(q *Party) { q.UpdatedAt = at }), false},
		{"created through a store", nil, with(func(q *Party) {}), false},
		{"created in the console", nil, with(func(q *Party) { q.Seq = 0 }), true},
		{"a public party deleted", &p, nil, true},
		{"a draft deleted: nobody saw it", with(func(q *Party) { q.Status = Draft }), nil, false},
		{"nothing", nil, nil, false},
	} {
		if got := Unrecorded(tc.before, tc.after); got != tc.want {
			t.Errorf("%s: Unrecorded = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRemovalChange(t *testing.T) {
	at := time.Date(2025, 8, 20, 19, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	c := RemovalChange(Party{ID: "gc-1", ConferenceID: "gc", Status: Cancelled}, 12, at)
	ts, ok := c.TombstoneOf()
	if !c.Hidden || !ok || ts.PartyID != "gc-1" || ts.Seq != 12 || !c.At.Equal(at) || c.At.Location() != time.UTC ||
		c.Before.Status != Cancelled || c.After.Status != "" {
		t.Errorf("removing a cancelled party: %+v, tombstone %+v %v", c, ts, ok)
	}
}
