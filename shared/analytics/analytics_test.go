package analytics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/party"
)

var t0 = time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)

// history makes the events of random swipes, saves and unsaves by a few
// users on a few parties, through the attendee domain's own rules, and
// returns them with the counters the final decisions call for.
func history(rng *rand.Rand, n int) ([]event.Event, map[string]Counters) {
	decisions := map[string]*attendee.Decision{}
	var events []event.Event
	id := 0
	meta := func(typ string) event.Meta {
		id++
		return event.Meta{ID: fmt.Sprint("e", id), Type: typ, At: t0.Add(time.Duration(id) * time.Minute), Conference: "c"}
	}
	actions := []attendee.Action{attendee.Like, attendee.Pass, attendee.Interested}
	for range n {
		uid, pid := fmt.Sprint("u", rng.IntN(4)), fmt.Sprint("p", rng.IntN(3))
		d := decisions[uid+pid]
		if d == nil {
			d = &attendee.Decision{UID: uid, PartyID: pid}
			decisions[uid+pid] = d
		}
		switch rng.IntN(4) {
		case 0:
			if d.RemoveSave() {
				events = append(events, attendee.SaveRemoved{Meta: meta(attendee.TypeSaveRemoved), UID: uid, PartyID: pid})
			}
		case 1:
			if d.AddSave(t0) {
				events = append(events, attendee.SaveAdded{Meta: meta(attendee.TypeSaveAdded), UID: uid, PartyID: pid})
			}
		default:
			a := actions[rng.IntN(len(actions))]
			res := d.Record(a, t0)
			events = append(events, attendee.SwipeRecorded{Meta: meta(attendee.TypeSwipeRecorded), UID: uid, PartyID: pid, Action: a, Previous: res.Previous})
			if res.SaveAdded {
				events = append(events, attendee.SaveAdded{Meta: meta(attendee.TypeSaveAdded), UID: uid, PartyID: pid})
			}
			if res.SaveRemoved {
				events = append(events, attendee.SaveRemoved{Meta: meta(attendee.TypeSaveRemoved), UID: uid, PartyID: pid})
			}
		}
	}
	want := map[string]Counters{}
	for _, d := range decisions {
		c := want[d.PartyID]
		c.Add(decisionDelta(actionOf(d), 1))
		if d.Saved() {
			c.Saves++
		}
		want[d.PartyID] = c
	}
	return events, want
}

func actionOf(d *attendee.Decision) attendee.Action {
	if d.Swipe == nil {
		return ""
	}
	return d.Swipe.Action
}

// Delivered at least once and in any order, the events leave exactly the
// counters of the final decisions, once each event id is applied once.
func TestChangesAreExactUnderRedeliveryAndReordering(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 7))
		events, want := history(rng, 60)
		// at least once: every event, some twice or three times, shuffled
		var delivered []event.Event
		for _, e := range events {
			for range 1 + rng.IntN(3) {
				delivered = append(delivered, e)
			}
		}
		rng.Shuffle(len(delivered), func(i, j int) { delivered[i], delivered[j] = delivered[j], delivered[i] })
		seen := map[string]bool{}
		got := map[string]Counters{}
		for _, e := range delivered {
			c, ok := ChangeOf(e)
			if !ok || seen[c.EventID] {
				continue
			}
			seen[c.EventID] = true
			v := got[c.PartyID]
			v.Add(c.Delta)
			got[c.PartyID] = v
		}
		for p, w := range want {
			if got[p] != w {
				t.Fatalf("seed %d, party %s: counted %+v, the decisions say %+v", seed, p, got[p], w)
			}
		}
	}
}

func TestChangeOf(t *testing.T) {
	m := event.Meta{ID: "e1", Conference: "c", At: t0}
	tests := []struct {
		name  string
		e     event.Event
		want  Counters
		trend float64
		saver int
		ok    bool
	}{
		{"first like", attendee.SwipeRecorded{Meta: m, PartyID: "p", Action: attendee.Like}, Counters{Likes: 1}, WeightLike, 0, true},
		{"repeated like", attendee.SwipeRecorded{Meta: m, PartyID: "p", Action: attendee.Like, Previous: attendee.Like}, Counters{}, 0, 0, true},
		{"like to pass", attendee.SwipeRecorded{Meta: m, PartyID: "p", Action: attendee.Pass, Previous: attendee.Like}, Counters{Likes: -1, Passes: 1}, 0, 0, true},
		{"interested is a like", attendee.SwipeRecorded{Meta: m, PartyID: "p", Action: attendee.Interested, Previous: attendee.Pass}, Counters{Likes: 1, Passes: -1}, WeightLike, 0, true},
		{"erased like", attendee.SwipeRemoved{Meta: m, PartyID: "p", Previous: attendee.Like}, Counters{Likes: -1}, 0, 0, true},
		{"erased pass", attendee.SwipeRemoved{Meta: m, PartyID: "p", Previous: attendee.Pass}, Counters{Passes: -1}, 0, 0, true},
		{"save", attendee.SaveAdded{Meta: m, UID: "u", PartyID: "p"}, Counters{Saves: 1}, WeightSave, 1, true},
		{"unsave", attendee.SaveRemoved{Meta: m, UID: "u", PartyID: "p"}, Counters{Saves: -1}, 0, -1, true},
		{"view", Interaction{Meta: m, Kind: View, PartyID: "p"}, Counters{Views: 1}, WeightView, 0, true},
		{"share", Interaction{Meta: m, Kind: Share, PartyID: "p"}, Counters{Shares: 1}, WeightShare, 0, true},
		{"calendar add", Interaction{Meta: m, Kind: CalendarAdd, PartyID: "p"}, Counters{CalendarAdds: 1}, WeightCalendarAdd, 0, true},
		{"click", Interaction{Meta: m, Kind: Click, PartyID: "p"}, Counters{}, WeightClick, 0, true},
		{"search", Interaction{Meta: m, Kind: Search, Query: "rooftop"}, Counters{}, 0, 0, false},
		{"party created", party.CreatedEvent{Meta: m, PartyID: "p"}, Counters{}, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := ChangeOf(tt.e)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if c.Delta != tt.want || c.Trend != tt.trend || c.SaveDelta != tt.saver || c.EventID != "e1" || c.Conference != "c" || !c.At.Equal(t0) {
				t.Errorf("change %+v, want delta %+v trend %v save %d", c, tt.want, tt.trend, tt.saver)
			}
		})
	}
	c, ok := ChangeOf(attendee.ProfileChanged{Meta: m, UID: "u", Persona: attendee.Investor})
	if !ok || c.PersonaOf != "u" || c.Persona != attendee.Investor || c.PartyID != "" {
		t.Errorf("profile change: %+v %v", c, ok)
	}
}

// The trending score does not depend on the order interactions arrive in,
// and halves every half-life.
func TestScore(t *testing.T) {
	adds := []struct {
		w  float64
		at time.Time
	}{{5, t0}, {3, t0.Add(2 * time.Hour)}, {1, t0.Add(-time.Hour)}, {6, t0.Add(9 * time.Hour)}}
	var want float64
	now := t0.Add(12 * time.Hour)
	for _, a := range adds {
		want += a.w * math.Pow(0.5, now.Sub(a.at).Hours()/HalfLife.Hours())
	}
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}} {
		var s Score
		for _, i := range order {
			s = s.Add(adds[i].w, adds[i].at)
		}
		if got := s.ValueAt(now); math.Abs(got-want) > 1e-9 {
			t.Errorf("order %v: %v, want %v", order, got, want)
		}
	}
	one := Score{}.Add(8, t0)
	if got := one.ValueAt(t0.Add(HalfLife)); math.Abs(got-4) > 1e-9 {
		t.Errorf("after one half-life: %v, want 4", got)
	}
	if got := (Score{}).Merge(one).Merge(Score{}).ValueAt(t0); got != 8 {
		t.Errorf("merge with empty scores: %v", got)
	}
}

func TestHotspots(t *testing.T) {
	mk := func(id, venue string, hour int) party.Party {
		return party.Party{ID: id, Venue: venue, Start: t0.Add(time.Duration(hour) * time.Hour), Status: party.Published}
	}
	ps := []party.Party{mk("a", "Koelnmesse Hall 7", 0), mk("b", "KÖLNMESSE hall 7!", 1), mk("c", "Bootshaus", 2), mk("d", "Empty Bar", 3),
		mk("e", "Tiny Bar", 4)}
	stats := []PartyStats{
		{PartyID: "a", Counters: Counters{Saves: 2}, Savers: Mix{Developer: 2}},
		{PartyID: "b", Counters: Counters{Saves: 3}, Savers: Mix{Investor: 1, Publisher: 2}},
		{PartyID: "c", Counters: Counters{Saves: 6}, Savers: Mix{ServiceProvider: 6}},
		{PartyID: "d", Counters: Counters{Views: 9}},
		{PartyID: "e", Counters: Counters{Saves: 4}, Savers: Mix{Investor: 4}},
	}
	hs := Hotspots(ps, stats)
	if len(hs) != 2 {
		t.Fatalf("hotspots %+v, want two venues (one without saves and one of 4 saves left out)", hs)
	}
	if hs[0].Venue != "Bootshaus" || hs[0].Total != 6 || hs[0].Persona.Total() != 6 {
		t.Errorf("first hotspot %+v", hs[0])
	}
	if hs[1].VenueID != "kolnmesse-hall-7" || hs[1].Total != 5 || hs[1].Sample.ID != "b" ||
		hs[1].Persona != (Mix{Developer: 2, Investor: 1, Publisher: 2}) {
		t.Errorf("second hotspot %+v", hs[1])
	}
}

// TestHotspotsPlace checks what a party is grouped under: its venue, else
// its address (a third of the real sheet names no venue), and nowhere when
// it gives neither.
func TestHotspotsPlace(t *testing.T) {
	mk := func(id, venue, address string, hour int) party.Party {
		return party.Party{ID: id, Venue: venue, Address: address, Start: t0.Add(time.Duration(hour) * time.Hour), Status: party.Published}
	}
	saves := func(id string, n int64) PartyStats {
		return PartyStats{PartyID: id, Counters: Counters{Saves: n}, Savers: Mix{Developer: n}}
	}
	type spot struct {
		venue, id string
		total     int64
		sample    string
	}
	tests := []struct {
		name  string
		ps    []party.Party
		stats []PartyStats
		want  []spot
	}{
		{"an address and no venue", []party.Party{mk("a", "", "STARTPLATZ, Im Mediapark 5", 0)}, []PartyStats{saves("a", 6)},
			[]spot{{"STARTPLATZ, Im Mediapark 5", "startplatz-im-mediapark-5", 6, "a"}}},
		{"spellings of one address are one place", []party.Party{mk("a", "", "STARTPLATZ, Im Mediapark 5", 0), mk("b", "", "Startplatz,  im Mediapark 5", 1)},
			[]PartyStats{saves("a", 2), saves("b", 3)},
			[]spot{{"STARTPLATZ, Im Mediapark 5", "startplatz-im-mediapark-5", 5, "b"}}},
		{"the venue wins over the address", []party.Party{mk("a", "Bootshaus", "Auenweg 173, Köln", 0), mk("b", "Bootshaus", "", 1)},
			[]PartyStats{saves("a", 3), saves("b", 3)},
			[]spot{{"Bootshaus", "bootshaus", 6, "a"}}},
		{"an address and a venue of the same name apart", []party.Party{mk("a", "Startplatz", "", 0), mk("b", "", "STARTPLATZ, Im Mediapark 5", 1)},
			[]PartyStats{saves("a", 5), saves("b", 6)},
			[]spot{{"STARTPLATZ, Im Mediapark 5", "startplatz-im-mediapark-5", 6, "b"}, {"Startplatz", "startplatz", 5, "a"}}},
		{"an address of few saves stays hidden", []party.Party{mk("a", "", "Bolzengasse 7, Köln", 0)}, []PartyStats{saves("a", 4)}, nil},
		{"neither venue nor address", []party.Party{mk("a", "", "", 0)}, []PartyStats{saves("a", 9)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []spot
			for _, h := range Hotspots(tt.ps, tt.stats) {
				got = append(got, spot{h.Venue, h.VenueID, h.Total, h.Sample.ID})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("hotspots %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestInteractionValidate(t *testing.T) {
	ok := Interaction{Meta: event.Meta{ID: "client-123"}, Kind: View, PartyID: "p1"}
	tests := []struct {
		name  string
		mod   func(*Interaction)
		field string
	}{
		{"ok", func(*Interaction) {}, ""},
		{"short id", func(i *Interaction) { i.ID = "abc" }, "id"},
		{"id with a slash", func(i *Interaction) { i.ID = "abcdefgh/x" }, "id"},
		{"unknown kind", func(i *Interaction) { i.Kind = "purchase" }, "type"},
		{"view without party", func(i *Interaction) { i.PartyID = "" }, "partyId"},
		{"search without query", func(i *Interaction) { i.Kind, i.PartyID = Search, "" }, "query"},
		{"search", func(i *Interaction) { i.Kind, i.PartyID, i.Query = Search, "", "rooftop" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := ok
			tt.mod(&i)
			fs := i.Validate()
			if tt.field == "" && len(fs) != 0 || tt.field != "" && (len(fs) != 1 || fs[0].Field != tt.field) {
				t.Errorf("Validate = %+v, want a problem with %q", fs, tt.field)
			}
		})
	}
}
