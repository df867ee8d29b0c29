package analytics

import (
	"reflect"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/attendee"
)

func TestSum(t *testing.T) {
	t0 := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	nextDay := t0.Add(24 * time.Hour)
	save := func(id, uid, party, conf string, n int, at time.Time) Change {
		return Change{EventID: id, Conference: conf, PartyID: party, At: at, Delta: Counters{Saves: int64(n)}, Saver: uid, SaveDelta: n}
	}
	view := func(id, party, conf string, at time.Time) Change {
		return Change{EventID: id, Conference: conf, PartyID: party, At: at, Delta: Counters{Views: 1}, Trend: WeightView}
	}
	persona := func(id, uid string, p attendee.Persona) Change {
		return Change{EventID: id, PersonaOf: uid, Persona: p}
	}
	hour := HourOf(t0)
	tests := []struct {
		name    string
		changes []Change
		people  People
		want    Sums
	}{
		{"nothing", nil, People{}, Sums{}},
		{"views of two parties, by party and day, in first-seen order",
			[]Change{view("1", "b", "c", t0), view("2", "a", "c", t0), view("3", "b", "c", nextDay)}, People{},
			Sums{
				Parties: []PartyStats{
					{PartyID: "b", Conference: "c", Counters: Counters{Views: 2}, Trend: Score{}.Add(WeightView, t0).Add(WeightView, nextDay)},
					{PartyID: "a", Conference: "c", Counters: Counters{Views: 1}, Trend: Score{}.Add(WeightView, t0)},
				},
				Days: []DayTotal{
					{Conference: "c", Date: "2025-08-20", Counters: Counters{Views: 2}},
					{Conference: "c", Date: "2025-08-21", Counters: Counters{Views: 1}},
				},
			}},
		{"a change naming no conference counts on its party's day",
			[]Change{save("1", "u", "p", "c", +1, t0), save("2", "u", "p", "", -1, t0)}, People{},
			Sums{
				Parties: []PartyStats{{PartyID: "p", Conference: "c", Recent: Hours{hour: 0}}},
				Days:    []DayTotal{{Conference: "c", Date: "2025-08-20"}},
			}},
		{"a save counts for the persona set earlier in the batch",
			[]Change{persona("1", "u", attendee.Investor), save("2", "u", "p", "c", +1, t0)},
			People{Personas: map[string]attendee.Persona{"u": attendee.Developer}},
			Sums{
				Parties:      []PartyStats{{PartyID: "p", Conference: "c", Counters: Counters{Saves: 1}, Savers: Mix{Investor: 1}, Recent: Hours{hour: 1}}},
				Days:         []DayTotal{{Conference: "c", Date: "2025-08-20", Counters: Counters{Saves: 1}}},
				Personas:     []PersonaOf{{UID: "u", Persona: attendee.Investor}},
				Attributions: []Attribution{{Saver: Saver{"u", "p"}, Persona: attendee.Investor, Counted: true}},
			}},
		{"a lost save is taken back from the persona it was counted for",
			[]Change{persona("1", "u", ""), save("2", "u", "p", "c", -1, t0)},
			People{Personas: map[string]attendee.Persona{"u": attendee.Developer}, Savers: map[Saver]attendee.Persona{{"u", "p"}: attendee.Publisher}},
			Sums{
				Parties:      []PartyStats{{PartyID: "p", Conference: "c", Counters: Counters{Saves: -1}, Savers: Mix{Publisher: -1}, Recent: Hours{hour: -1}}},
				Days:         []DayTotal{{Conference: "c", Date: "2025-08-20", Counters: Counters{Saves: -1}}},
				Personas:     []PersonaOf{{UID: "u"}},
				Attributions: []Attribution{{Saver: Saver{"u", "p"}}},
			}},
		{"a save gained twice, or lost when not counted, changes no mix",
			[]Change{save("1", "u", "p", "c", +1, t0), save("2", "v", "p", "c", -1, t0)},
			People{Savers: map[Saver]attendee.Persona{{"u", "p"}: attendee.Developer}},
			Sums{
				Parties: []PartyStats{{PartyID: "p", Conference: "c", Recent: Hours{hour: 0}}},
				Days:    []DayTotal{{Conference: "c", Date: "2025-08-20"}},
			}},
		{"a save gained and lost within the batch leaves no attribution to write",
			[]Change{save("1", "u", "p", "c", +1, t0), save("2", "u", "p", "c", -1, t0)}, People{},
			Sums{
				Parties: []PartyStats{{PartyID: "p", Conference: "c", Recent: Hours{hour: 0}}},
				Days:    []DayTotal{{Conference: "c", Date: "2025-08-20"}},
			}},
		{"a persona change alone touches no party", []Change{persona("1", "u", attendee.Developer), persona("2", "u", attendee.Publisher)}, People{},
			Sums{Personas: []PersonaOf{{UID: "u", Persona: attendee.Publisher}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sum(tt.changes, tt.people); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Sum =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestPartyStatsMerge(t *testing.T) {
	t0 := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	stored := PartyStats{PartyID: "p", Conference: "c", Counters: Counters{Likes: 2}, Savers: Mix{Developer: 1}, Trend: Score{}.Add(1, t0)}
	batch := PartyStats{PartyID: "p", Conference: "other", Counters: Counters{Likes: 1, Saves: 1}, Savers: Mix{Investor: 1},
		Trend: Score{}.Add(2, t0), Recent: Hours{HourOf(t0): 1}}
	stored.Merge(batch)
	want := PartyStats{PartyID: "p", Conference: "c", Counters: Counters{Likes: 3, Saves: 1}, Savers: Mix{Developer: 1, Investor: 1},
		Trend: Score{}.Add(1, t0).Add(2, t0), Recent: Hours{HourOf(t0): 1}}
	if !reflect.DeepEqual(stored, want) {
		t.Errorf("Merge = %+v, want %+v", stored, want)
	}
	var empty PartyStats
	empty.Merge(PartyStats{Conference: "c"})
	if empty.Conference != "c" || empty.Recent != nil {
		t.Errorf("Merge into nothing = %+v, want the conference taken and no hours", empty)
	}
}

func TestSumsNewestHour(t *testing.T) {
	t0 := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		sums   Sums
		want   int64
		wantOK bool
	}{
		{"none", Sums{Parties: []PartyStats{{PartyID: "p"}}}, 0, false},
		{"the latest of any party", Sums{Parties: []PartyStats{{Recent: Hours{HourOf(t0): 1}}, {Recent: Hours{HourOf(t0) + 3: -1}}}}, HourOf(t0) + 3, true},
	} {
		if got, ok := tt.sums.NewestHour(); got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: NewestHour = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}
