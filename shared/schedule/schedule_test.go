package schedule

import (
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/party"
)

var berlin, _ = time.LoadLocation("Europe/Berlin")

func at(day, hour, minute int) time.Time {
	return time.Date(2025, 8, day, hour, minute, 0, 0, berlin).UTC()
}

func p(id string, start, end time.Time, status party.Status) party.Party {
	return party.Party{ID: id, ConferenceID: "gc", Title: id, Start: start, End: end, Status: status}
}

func TestBuild(t *testing.T) {
	parties := []party.Party{
		p("late", at(20, 22, 0), at(21, 2, 0), party.Published), // runs past midnight: still the 20th
		p("mixer", at(20, 18, 0), at(20, 20, 0), party.Published),
		p("dinner", at(20, 19, 30), at(20, 21, 0), party.Published), // clashes with mixer
		p("gone", at(20, 20, 0), at(20, 23, 0), party.Cancelled),    // cancelled: no clash, no time
		p("open", at(21, 12, 0), time.Time{}, party.Published),      // open-ended: 12:00-14:00 planned
		p("lunch", at(21, 13, 0), at(21, 14, 0), party.Published),   // clashes with open
		p("evening", at(21, 19, 0), at(21, 22, 0), party.Published),
	}
	days := Build(parties, berlin, DefaultTravel)
	if len(days) != 2 || days[0].Date != "2025-08-20" || days[1].Date != "2025-08-21" {
		t.Fatalf("days = %+v", days)
	}
	order := func(d Day) []string {
		var ids []string
		for _, it := range d.Items {
			ids = append(ids, it.Party.ID)
		}
		return ids
	}
	if got := order(days[0]); !slices.Equal(got, []string{"mixer", "dinner", "gone", "late"}) {
		t.Errorf("day 1 order = %v", got)
	}
	overlaps := map[string][]string{}
	for _, d := range days {
		for _, it := range d.Items {
			overlaps[it.Party.ID] = it.OverlapsWith
		}
	}
	want := map[string][]string{
		"mixer": {"dinner"}, "dinner": {"mixer"}, "gone": nil, "late": nil,
		"open": {"lunch"}, "lunch": {"open"}, "evening": nil,
	}
	for id, w := range want {
		if !slices.Equal(overlaps[id], w) {
			t.Errorf("%s overlaps %v, want %v", id, overlaps[id], w)
		}
	}
	// Day 1: busy 18:00-21:00 (mixer+dinner), free 21:00-22:00, then late.
	if g := days[0].Gaps; len(g) != 1 || !g[0].From.Equal(at(20, 21, 0)) || !g[0].To.Equal(at(20, 22, 0)) || g[0].Minutes() != 60 {
		t.Errorf("day 1 gaps = %+v", g)
	}
	// Day 2: open-ended 12:00 planned to 14:00, lunch to 14:00, free until 19:00.
	if g := days[1].Gaps; len(g) != 1 || g[0].Minutes() != 300 {
		t.Errorf("day 2 gaps = %+v", g)
	}
	if !days[1].Items[0].OpenEnd || !days[1].Items[0].End.Equal(at(21, 14, 0)) {
		t.Errorf("open-ended item = %+v", days[1].Items[0])
	}
}

func TestBuildEmptyAndTouching(t *testing.T) {
	if days := Build(nil, berlin, DefaultTravel); len(days) != 0 {
		t.Errorf("no saves gave %d days", len(days))
	}
	// Back-to-back parties do not clash and leave no gap.
	days := Build([]party.Party{
		p("a", at(20, 18, 0), at(20, 19, 0), party.Published),
		p("b", at(20, 19, 0), at(20, 20, 0), party.Published),
	}, berlin, DefaultTravel)
	if len(days[0].Gaps) != 0 || days[0].Items[0].OverlapsWith != nil {
		t.Errorf("back-to-back: %+v", days[0])
	}
}
