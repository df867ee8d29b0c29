package attendeetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/partyfinder/partyfinder/shared/attendee"
)

// testFailedUpdates: an error from the closure comes back unchanged and
// nothing is written, whatever the closure changed before failing.
func testFailedUpdates(t *testing.T, s attendee.Repository) {
	ctx := testContext(t)
	stored := mustSaveProfile(t, ctx, s, fullProfile("ada"))
	mustSwipe(t, ctx, s, attendee.Swipe{UID: "ada", PartyID: "p1", Action: attendee.Like, At: at(20, 18, 0)})
	mustSetToken(t, ctx, s, "ada", 1, tokenHash("one"))
	refused := errors.New("refused by the rule")

	_, err := s.UpdateProfile(ctx, "ada", func(p *attendee.Profile) error {
		p.DisplayName = "changed"
		return refused
	})
	if !errors.Is(err, refused) {
		t.Errorf("UpdateProfile returned %v, want the closure's error", err)
	}
	_, err = s.UpdateDecision(ctx, "ada", "p1", func(d *attendee.Decision) error {
		d.Record(attendee.Pass, at(20, 19, 0))
		return refused
	})
	if !errors.Is(err, refused) {
		t.Errorf("UpdateDecision returned %v, want the closure's error", err)
	}
	_, err = s.UpdateCalendarLink(ctx, "ada", func(l *attendee.CalendarLink) error {
		l.Generation, l.TokenHash = 2, tokenHash("two")
		return refused
	})
	if !errors.Is(err, refused) {
		t.Errorf("UpdateCalendarLink returned %v, want the closure's error", err)
	}
	assertProfile(t, "profile after a failed update", stored, mustProfile(t, ctx, s, "ada"))
	assertSwipes(t, ctx, s, "ada", attendee.Swipe{UID: "ada", PartyID: "p1", Action: attendee.Like, At: at(20, 18, 0).UTC()})
	assertSaves(t, ctx, s, "ada", attendee.Save{UID: "ada", PartyID: "p1", At: at(20, 18, 0).UTC()})
	assertToken(t, ctx, s, "ada", 1, tokenHash("one"))
	assertTokenUser(t, ctx, s, tokenHash("two"), "")
}

func testConcurrent(t *testing.T, s attendee.Repository) {
	ctx := testContext(t)
	t.Run("swipes on one party", func(t *testing.T) {
		actions := []attendee.Action{attendee.Like, attendee.Pass, attendee.Interested, attendee.Pass, attendee.Like}
		results := make([]attendee.SwipeResult, len(actions))
		errs := make([]error, len(actions))
		var wg sync.WaitGroup
		for i, a := range actions {
			wg.Go(func() {
				results[i], errs[i] = RecordSwipe(ctx, s, attendee.Swipe{UID: "ada", PartyID: "busy", Action: a, At: at(20, 20, i)})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("concurrent RecordSwipe %d: %v", i, err)
			}
		}
		swipes := mustSwipes(t, ctx, s, "ada")
		if len(swipes) != 1 || swipes[0].PartyID != "busy" {
			t.Fatalf("Swipes after concurrent swipes on one party = %v, want exactly one record", swipeText(swipes))
		}
		final := swipes[0]
		// The swipes ran one after another: exactly one saw no earlier
		// decision, each decision but the last was the previous one of
		// exactly one other, and the last is the one stored.
		firsts := 0
		seen := map[attendee.Action]int{final.Action: 1}
		for i, r := range results {
			if r.Previous == "" {
				firsts++
			} else {
				seen[r.Previous]++
			}
			if r.Saved != actions[i].Saves() {
				t.Errorf("swipe %d (%s) reported Saved %v", i, actions[i], r.Saved)
			}
		}
		submitted := map[attendee.Action]int{}
		for _, a := range actions {
			submitted[a]++
		}
		if firsts != 1 || fmt.Sprint(seen) != fmt.Sprint(submitted) {
			t.Errorf("concurrent swipes saw %d first swipes and previous+final decisions %v; want 1 and %v (results %+v)",
				firsts, seen, submitted, results)
		}
		saves := mustSaves(t, ctx, s, "ada")
		if saved := len(saves) == 1 && saves[0].PartyID == "busy"; saved != final.Action.Saves() || len(saves) > 1 {
			t.Errorf("Saves = %v after the final decision %s; want the party saved exactly when the decision saves it",
				saveText(saves), final.Action)
		}
	})
	t.Run("saves of one party", func(t *testing.T) {
		const n = 5
		added := make([]bool, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				added[i], errs[i] = AddSave(ctx, s, attendee.Save{UID: "bob", PartyID: "hot", At: at(21, 20, i)})
			})
		}
		wg.Wait()
		winners := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("concurrent AddSave %d: %v", i, errs[i])
			}
			if added[i] {
				winners++
			}
		}
		saves := mustSaves(t, ctx, s, "bob")
		if winners != 1 || len(saves) != 1 {
			t.Errorf("concurrent AddSave: %d reported true, Saves = %v; want exactly one of each", winners, saveText(saves))
		}
	})
}
