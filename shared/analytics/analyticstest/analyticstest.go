// Package analyticstest is the contract suite every analytics.Store
// implementation must pass: run it from the adapter's tests against a
// fresh, empty store per call of newStore.
package analyticstest

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

var t0 = time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)

// Run runs the suite.
func Run(t *testing.T, newStore func(t *testing.T) analytics.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s analytics.Store)
	}{
		{"CountersAddUp", testCounters},
		{"RedeliveryChangesNothing", testRedelivery},
		{"SaversByPersona", testSavers},
		{"TrendingScore", testTrend},
		{"ConferenceStats", testConferenceStats},
		{"ConcurrentBatches", testConcurrent},
		{"ConferenceDays", testDays},
		{"RecentSaves", testRecent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func ctxOf(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func change(id, party string, d analytics.Counters) analytics.Change {
	return analytics.Change{EventID: id, Conference: "gc", PartyID: party, At: t0, Delta: d}
}

func mustApply(t *testing.T, s analytics.Store, want int, cs ...analytics.Change) {
	t.Helper()
	n, err := s.Apply(ctxOf(t), cs)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if n != want {
		t.Errorf("Apply reported %d new changes, want %d", n, want)
	}
}

func mustStats(t *testing.T, s analytics.Store, party string) analytics.PartyStats {
	t.Helper()
	st, err := s.Stats(ctxOf(t), party)
	if err != nil {
		t.Fatalf("Stats(%s): %v", party, err)
	}
	return st
}

func testCounters(t *testing.T, s analytics.Store) {
	if st := mustStats(t, s, "p1"); !st.Counters.Zero() {
		t.Errorf("a party nothing was counted for: %+v", st.Counters)
	}
	mustApply(t, s, 3,
		change("e1", "p1", analytics.Counters{Views: 1}),
		change("e2", "p1", analytics.Counters{Likes: 1}),
		change("e3", "p2", analytics.Counters{Shares: 1, CalendarAdds: 1}))
	mustApply(t, s, 2,
		change("e4", "p1", analytics.Counters{Likes: -1, Passes: 1}),
		change("e5", "p1", analytics.Counters{Views: 1, Saves: 1}))
	if got, want := mustStats(t, s, "p1").Counters, (analytics.Counters{Views: 2, Passes: 1, Saves: 1}); got != want {
		t.Errorf("p1 = %+v, want %+v", got, want)
	}
	if got, want := mustStats(t, s, "p2"), (analytics.Counters{Shares: 1, CalendarAdds: 1}); got.Counters != want || got.Conference != "gc" {
		t.Errorf("p2 = %+v, want %+v in gc", got, want)
	}
}

func testRedelivery(t *testing.T, s analytics.Store) {
	c := change("e1", "p1", analytics.Counters{Views: 1})
	mustApply(t, s, 1, c)
	mustApply(t, s, 0, c)
	// the same id twice in one batch, and a new one beside it
	mustApply(t, s, 1, c, change("e2", "p1", analytics.Counters{Views: 1}), change("e2", "p1", analytics.Counters{Views: 1}))
	if got := mustStats(t, s, "p1").Counters.Views; got != 2 {
		t.Errorf("views = %d after redeliveries, want 2", got)
	}
}

func testSavers(t *testing.T, s analytics.Store) {
	save := func(id, uid string, delta int) analytics.Change {
		c := change(id, "p1", analytics.Counters{Saves: int64(delta)})
		c.Saver, c.SaveDelta = uid, delta
		return c
	}
	persona := func(id, uid string, p attendee.Persona) analytics.Change {
		return analytics.Change{EventID: id, PersonaOf: uid, Persona: p, At: t0}
	}
	mustApply(t, s, 3, persona("e1", "ada", attendee.Developer), save("e2", "ada", 1), save("e3", "bob", 1))
	if got, want := mustStats(t, s, "p1").Savers, (analytics.Mix{Developer: 1, Other: 1}); got != want {
		t.Errorf("mix = %+v, want %+v", got, want)
	}
	// Ada becomes an investor, then unsaves: the save comes off the
	// persona it was counted for.
	mustApply(t, s, 2, persona("e4", "ada", attendee.Investor), save("e5", "ada", -1))
	mustApply(t, s, 2, persona("e6", "bob", attendee.Publisher), save("e7", "ada", 1))
	st := mustStats(t, s, "p1")
	if want := (analytics.Mix{Investor: 1, Other: 1}); st.Savers != want || st.Counters.Saves != 2 {
		t.Errorf("mix = %+v with %d saves, want %+v and 2", st.Savers, st.Counters.Saves, want)
	}
	// A save removed twice (two events) counts off once.
	mustApply(t, s, 2, save("e8", "bob", -1), save("e9", "bob", -1))
	if got := mustStats(t, s, "p1").Savers; got != (analytics.Mix{Investor: 1}) {
		t.Errorf("mix = %+v after bob unsaved, want one investor", got)
	}
}

func testTrend(t *testing.T, s analytics.Store) {
	at := func(id string, w float64, d time.Duration) analytics.Change {
		c := change(id, "p1", analytics.Counters{})
		c.Trend, c.At = w, t0.Add(d)
		return c
	}
	mustApply(t, s, 2, at("e1", 4, 0), at("e2", 2, 6*time.Hour))
	mustApply(t, s, 1, at("e3", 8, -6*time.Hour)) // arrives late
	now := t0.Add(6 * time.Hour)
	want := 4*0.5 + 2 + 8*0.25
	if got := mustStats(t, s, "p1").Trend.ValueAt(now); math.Abs(got-want) > 1e-6 {
		t.Errorf("trend = %v, want %v", got, want)
	}
}

func testConferenceStats(t *testing.T, s analytics.Store) {
	other := change("e3", "q1", analytics.Counters{Views: 1})
	other.Conference = "other"
	mustApply(t, s, 3, change("e1", "p1", analytics.Counters{Views: 1}), change("e2", "p2", analytics.Counters{Likes: 1}), other)
	got, err := s.ConferenceStats(ctxOf(t), "gc")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, st := range got {
		ids[st.PartyID] = true
	}
	if len(got) != 2 || !ids["p1"] || !ids["p2"] {
		t.Errorf("ConferenceStats(gc) = %+v, want p1 and p2 only", got)
	}
}

// Concurrent batches on one hot party lose no count.
func testConcurrent(t *testing.T, s analytics.Store) {
	const writers, each = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cs []analytics.Change
			for i := range each {
				cs = append(cs, change(fmt.Sprintf("w%d-%d", w, i), "hot", analytics.Counters{Views: 1}))
			}
			if _, err := s.Apply(ctxOf(t), cs); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Apply: %v", err)
	}
	if got := mustStats(t, s, "hot").Counters.Views; got != writers*each {
		t.Errorf("views = %d, want %d", got, writers*each)
	}
}

func testDays(t *testing.T, s analytics.Store) {
	on := func(id, party, conf string, day int, d analytics.Counters) analytics.Change {
		c := change(id, party, d)
		c.Conference, c.At = conf, time.Date(2025, 8, day, 23, 30, 0, 0, time.UTC)
		return c
	}
	mustApply(t, s, 5,
		on("e1", "p1", "gc", 20, analytics.Counters{Views: 2, Likes: 1}),
		on("e2", "p2", "gc", 20, analytics.Counters{Saves: 1}),
		on("e3", "p1", "gc", 21, analytics.Counters{Likes: -1, Passes: 1}),
		on("e4", "p1", "gc", 23, analytics.Counters{Shares: 1}),
		on("e5", "q1", "other", 21, analytics.Counters{Views: 9}))
	mustApply(t, s, 0, on("e1", "p1", "gc", 20, analytics.Counters{Views: 2, Likes: 1})) // redelivered
	days, err := s.ConferenceDays(ctxOf(t), "gc", "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := []analytics.Day{
		{Date: "2025-08-20", Counters: analytics.Counters{Views: 2, Likes: 1, Saves: 1}},
		{Date: "2025-08-21", Counters: analytics.Counters{Likes: -1, Passes: 1}},
		{Date: "2025-08-23", Counters: analytics.Counters{Shares: 1}},
	}
	if fmt.Sprint(days) != fmt.Sprint(want) {
		t.Errorf("days = %+v, want %+v", days, want)
	}
	days, err = s.ConferenceDays(ctxOf(t), "gc", "2025-08-21", "2025-08-22")
	if err != nil || fmt.Sprint(days) != fmt.Sprint(want[1:2]) {
		t.Errorf("days 21-22 = %+v, %v; want %+v", days, err, want[1:2])
	}
}

// Saves are kept per hour for velocity: redeliveries count once, saves
// taken back net out, and hours a day older than the newest are dropped.
func testRecent(t *testing.T, s analytics.Store) {
	save := func(id, party string, ago time.Duration, n int64) analytics.Change {
		c := change(id, party, analytics.Counters{Saves: n})
		c.At = t0.Add(-ago)
		return c
	}
	mustApply(t, s, 6,
		save("e1", "p1", 30*time.Hour, 1), // a day and more before the rest
		save("e2", "p1", 2*time.Hour, 1),
		save("e3", "p1", 2*time.Hour-time.Minute, 1),
		save("e4", "p1", 10*time.Minute, 1),
		save("e5", "p1", 5*time.Minute, -1),
		save("e6", "p2", 50*time.Minute, 1))
	mustApply(t, s, 1, save("e4", "p1", 10*time.Minute, 1), save("e7", "p1", 50*time.Minute, 1)) // e4 redelivered
	st := mustStats(t, s, "p1")
	if got, want := st.Recent.VelocityAt(t0), (analytics.Velocity{LastHour: 1, LastDay: 3}); got != want {
		t.Errorf("p1 velocity at %s = %+v from %v, want %+v", t0, got, st.Recent, want)
	}
	// Half an hour later, half of the hour before counts for the last hour.
	if got, want := st.Recent.VelocityAt(t0.Add(30*time.Minute)), (analytics.Velocity{LastHour: 1, LastDay: 3}); got != want {
		t.Errorf("p1 velocity half an hour later = %+v, want %+v", got, want)
	}
	if got, want := st.Recent.VelocityAt(t0.Add(25*time.Hour)), (analytics.Velocity{}); got != want {
		t.Errorf("p1 velocity a day later = %+v, want none", got)
	}
	for h := range st.Recent {
		if h <= analytics.HourOf(t0)-analytics.RecentHours {
			t.Errorf("p1 keeps the hour %s, a day before its newest: %v", time.Unix(h*3600, 0).UTC(), st.Recent)
		}
	}
	if st.Counters.Saves != 4 {
		t.Errorf("p1 saves = %d, want 4", st.Counters.Saves)
	}
	all, err := s.ConferenceStats(ctxOf(t), "gc")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range all {
		if st.PartyID == "p2" {
			if got := st.Recent.VelocityAt(t0); got != (analytics.Velocity{LastHour: 1, LastDay: 1}) {
				t.Errorf("p2 velocity in the conference's stats = %+v, want one save in the hour and the day", got)
			}
			return
		}
	}
	t.Errorf("ConferenceStats(gc) has no p2: %+v", all)
}
