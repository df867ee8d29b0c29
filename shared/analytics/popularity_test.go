package analytics

import (
	"testing"
	"time"
)

func TestShownSaves(t *testing.T) {
	for _, tc := range []struct {
		saves int64
		shown bool
	}{{0, false}, {1, false}, {4, false}, {5, true}, {6, true}, {500, true}, {-1, false}} {
		n, ok := ShownSaves(tc.saves)
		if ok != tc.shown || ok && n != tc.saves {
			t.Errorf("ShownSaves(%d) = %d, %v; want shown %v", tc.saves, n, ok, tc.shown)
		}
	}
	got := Popularity([]PartyStats{
		{PartyID: "few", Counters: Counters{Saves: 4, Views: 900}},
		{PartyID: "five", Counters: Counters{Saves: 5}},
		{PartyID: "many", Counters: Counters{Saves: 61}},
	})
	if len(got) != 2 || got["five"] != 5 || got["many"] != 61 {
		t.Errorf("Popularity = %v, want five: 5 and many: 61, nothing for a party of 4 saves", got)
	}
}

func TestVelocity(t *testing.T) {
	hour := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	h := Hours{}
	h.Add(hour.Add(-25*time.Hour), 100) // outside the day whatever the minute
	h.Add(hour.Add(-24*time.Hour), 8)   // the hour the day starts in
	h.Add(hour.Add(-3*time.Hour), 5)
	h.Add(hour.Add(-1*time.Hour+10*time.Minute), 4) // the hour before
	h.Add(hour.Add(20*time.Minute), 3)              // this hour
	h.Add(hour.Add(25*time.Minute), -1)             // a save taken back
	for _, tc := range []struct {
		name string
		now  time.Time
		want Velocity
	}{
		// On the hour the window is the hours before, and what this hour
		// already has counts too (a writer's clock a little ahead).
		{"on the hour", hour, Velocity{LastHour: 4 + 2, LastDay: 8 + 5 + 4 + 2}},
		// A quarter past: the hour before counts three quarters.
		{"quarter past", hour.Add(15 * time.Minute), Velocity{LastHour: 3 + 2, LastDay: 6 + 5 + 4 + 2}},
		{"half past", hour.Add(30 * time.Minute), Velocity{LastHour: 2 + 2, LastDay: 4 + 5 + 4 + 2}},
		{"a day later nothing counts", hour.Add(26 * time.Hour), Velocity{}},
	} {
		if got := h.VelocityAt(tc.now); got != tc.want {
			t.Errorf("%s: VelocityAt = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestHoursPrune(t *testing.T) {
	h := Hours{100: 3, 75: 9, 76: 2, 90: 0, 80: -1}
	h.Prune(100)
	want := Hours{100: 3, 76: 2, 80: -1}
	if len(h) != len(want) {
		t.Fatalf("Prune(100) kept %v, want %v", h, want)
	}
	for k, n := range want {
		if h[k] != n {
			t.Errorf("Prune(100) kept %v, want %v", h, want)
		}
	}
	if n, ok := h.Newest(); !ok || n != 100 {
		t.Errorf("Newest = %d, %v; want 100", n, ok)
	}
	if _, ok := (Hours{}).Newest(); ok {
		t.Error("Newest of no hours reported one")
	}
}
