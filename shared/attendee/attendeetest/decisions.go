package attendeetest

import (
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

func testRecordSwipe(t *testing.T, s attendee.Repository) {
	ctx := testContext(t)
	sw := func(party string, a attendee.Action, when time.Time) attendee.Swipe {
		return attendee.Swipe{UID: "ada", PartyID: party, Action: a, At: when}
	}
	sv := func(party string, when time.Time) attendee.Save {
		return attendee.Save{UID: "ada", PartyID: party, At: when.UTC()}
	}
	// Each step swipes once and states everything a caller can then see.
	steps := []struct {
		name     string
		swipe    attendee.Swipe
		previous attendee.Action
		saved    bool
		swipes   []attendee.Swipe
		saves    []attendee.Save
	}{
		{"first like saves", sw("p1", attendee.Like, at(20, 18, 0)), "", true,
			[]attendee.Swipe{sw("p1", attendee.Like, at(20, 18, 0))},
			[]attendee.Save{sv("p1", at(20, 18, 0))}},
		{"repeated like reports the like and changes nothing, not even the times", sw("p1", attendee.Like, at(20, 18, 5)), attendee.Like, true,
			[]attendee.Swipe{sw("p1", attendee.Like, at(20, 18, 0))},
			[]attendee.Save{sv("p1", at(20, 18, 0))}},
		{"pass after like unsaves", sw("p1", attendee.Pass, at(20, 18, 10)), attendee.Like, false,
			[]attendee.Swipe{sw("p1", attendee.Pass, at(20, 18, 10))},
			nil},
		{"interested after pass saves again", sw("p1", attendee.Interested, at(20, 18, 15)), attendee.Pass, true,
			[]attendee.Swipe{sw("p1", attendee.Interested, at(20, 18, 15))},
			[]attendee.Save{sv("p1", at(20, 18, 15))}},
		{"first pass on another party saves nothing", sw("p2", attendee.Pass, at(20, 18, 20)), "", false,
			[]attendee.Swipe{sw("p1", attendee.Interested, at(20, 18, 15)), sw("p2", attendee.Pass, at(20, 18, 20))},
			[]attendee.Save{sv("p1", at(20, 18, 15))}},
		{"first interested saves", sw("p3", attendee.Interested, at(20, 18, 25)), "", true,
			[]attendee.Swipe{sw("p1", attendee.Interested, at(20, 18, 15)), sw("p2", attendee.Pass, at(20, 18, 20)),
				sw("p3", attendee.Interested, at(20, 18, 25))},
			[]attendee.Save{sv("p1", at(20, 18, 15)), sv("p3", at(20, 18, 25))}},
		{"like after interested keeps the save", sw("p3", attendee.Like, at(20, 18, 30)), attendee.Interested, true,
			[]attendee.Swipe{sw("p1", attendee.Interested, at(20, 18, 15)), sw("p2", attendee.Pass, at(20, 18, 20)),
				sw("p3", attendee.Like, at(20, 18, 30))},
			[]attendee.Save{sv("p1", at(20, 18, 15)), sv("p3", at(20, 18, 25))}},
	}
	for _, st := range steps {
		res := mustSwipe(t, ctx, s, st.swipe)
		// The result is the decision as stored: the swipe of this step, or
		// the earlier one it repeated.
		want := st.swipes[slices.IndexFunc(st.swipes, func(x attendee.Swipe) bool { return x.PartyID == st.swipe.PartyID })]
		want.At = want.At.UTC()
		if got := swipeText([]attendee.Swipe{res.Swipe}); got[0] != swipeText([]attendee.Swipe{want})[0] {
			t.Errorf("%s: result swipe %v, want %v", st.name, got[0], swipeText([]attendee.Swipe{want})[0])
		}
		if repeated := !want.At.Equal(st.swipe.At); res.Unchanged != repeated {
			t.Errorf("%s: Unchanged %v, want %v", st.name, res.Unchanged, repeated)
		}
		if res.Previous != st.previous || res.Saved != st.saved {
			t.Errorf("%s: Previous %q, Saved %v; want %q, %v", st.name, res.Previous, res.Saved, st.previous, st.saved)
		}
		assertSwipes(t, ctx, s, "ada", st.swipes...)
		assertSaves(t, ctx, s, "ada", st.saves...)
	}

	// A swipe without a time is refused: the use case stamps it, the
	// store only keeps what it is given.
	_, err := RecordSwipe(ctx, s, attendee.Swipe{UID: "ada", PartyID: "p4", Action: attendee.Like})
	assertKind(t, "a swipe without a time", err, apperr.Invalid)
	assertSaves(t, ctx, s, "ada", sv("p1", at(20, 18, 15)), sv("p3", at(20, 18, 25)))
}

// testDecision: the current decision, read without a transaction, is what
// the updates left, and a key that cannot be stored is Invalid, as it is
// for UpdateDecision.
func testDecision(t *testing.T, s attendee.Repository) {
	ctx := testContext(t)
	get := func(what, party string) attendee.Decision {
		t.Helper()
		d, err := s.Decision(ctx, "ada", party)
		if err != nil {
			t.Fatalf("Decision %s: %v", what, err)
		}
		if d.UID != "ada" || d.PartyID != party {
			t.Errorf("Decision %s names %s/%s, want ada/%s", what, d.UID, d.PartyID, party)
		}
		return d
	}
	if d := get("before any swipe", "p1"); d.Swipe != nil || d.Save != nil {
		t.Errorf("Decision before any swipe = %+v, want neither swipe nor save", d)
	}
	like := attendee.Swipe{UID: "ada", PartyID: "p1", Action: attendee.Like, At: at(20, 18, 0)}
	mustSwipe(t, ctx, s, like)
	d := get("after a like", "p1")
	if d.Swipe == nil || swipeText([]attendee.Swipe{*d.Swipe})[0] != swipeText(inUTC([]attendee.Swipe{like}))[0] {
		t.Errorf("Decision after a like: swipe %+v, want %+v", d.Swipe, like)
	}
	if d.Save == nil || !sameInstant(like.At, d.Save.At) || d.Save.UID != "ada" || d.Save.PartyID != "p1" {
		t.Errorf("Decision after a like: save %+v, want one at %v", d.Save, like.At)
	}
	if !d.Repeats(attendee.Like) || d.Repeats(attendee.Interested) || d.Repeats(attendee.Pass) {
		t.Errorf("the decision after a like repeats like %v, interested %v, pass %v; want only like",
			d.Repeats(attendee.Like), d.Repeats(attendee.Interested), d.Repeats(attendee.Pass))
	}
	if _, err := RemoveSave(ctx, s, "ada", "p1"); err != nil {
		t.Fatal(err)
	}
	if d := get("after the save was removed", "p1"); d.Swipe == nil || d.Swipe.Action != attendee.Like || d.Save != nil || d.Repeats(attendee.Like) {
		t.Errorf("Decision after the save was removed = %+v, want the like without a save (which another like would change)", d)
	}
	if d := get("of another party", "p2"); d.Swipe != nil || d.Save != nil {
		t.Errorf("Decision of another party = %+v, want none", d)
	}
	for name, key := range map[string][2]string{
		"no uid":                {"", "p1"},
		"no party":              {"ada", ""},
		"party id with a slash": {"ada", "p1/saves"},
	} {
		_, err := s.Decision(ctx, key[0], key[1])
		assertKind(t, "Decision with "+name, err, apperr.Invalid)
	}
}

func testSwipeInvalid(t *testing.T, s attendee.Repository) {
	ctx := testContext(t)
	ok := attendee.Swipe{UID: "ada", PartyID: "p1", Action: attendee.Like, At: at(20, 18, 0)}
	mod := func(f func(*attendee.Swipe)) attendee.Swipe {
		sw := ok
		f(&sw)
		return sw
	}
	tests := map[string]attendee.Swipe{
		"no uid":                      mod(func(sw *attendee.Swipe) { sw.UID = "" }),
		"no party":                    mod(func(sw *attendee.Swipe) { sw.PartyID = "" }),
		"party id with a slash":       mod(func(sw *attendee.Swipe) { sw.PartyID = "p1/saves" }),
		"no action":                   mod(func(sw *attendee.Swipe) { sw.Action = "" }),
		"an older client's direction": mod(func(sw *attendee.Swipe) { sw.Action = "right" }),
		"unknown action":              mod(func(sw *attendee.Swipe) { sw.Action = "superlike" }),
	}
	for name, sw := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := RecordSwipe(ctx, s, sw)
			assertKind(t, "RecordSwipe", err, apperr.Invalid)
		})
	}
	for name, sv := range map[string]attendee.Save{
		"no uid":                {PartyID: "p1", At: ok.At},
		"no party":              {UID: "ada", At: ok.At},
		"party id with a slash": {UID: "ada", PartyID: "a/b", At: ok.At},
	} {
		t.Run("save "+name, func(t *testing.T) {
			_, err := AddSave(ctx, s, sv)
			assertKind(t, "AddSave", err, apperr.Invalid)
		})
	}
	assertSwipes(t, ctx, s, "ada")
	assertSaves(t, ctx, s, "ada")
}

func testSwipesOrder(t *testing.T, s attendee.Repository) {
	ctx := testContext(t)
	sw := func(party string, a attendee.Action, when time.Time) attendee.Swipe {
		return attendee.Swipe{UID: "ada", PartyID: party, Action: a, At: when}
	}
	// Recorded out of order; "a-tie" and "b-tie" were swiped at the same
	// instant and come back ordered by party id.
	for _, x := range []attendee.Swipe{
		sw("late", attendee.Pass, at(21, 9, 0)),
		sw("b-tie", attendee.Like, at(20, 12, 0)),
		sw("early", attendee.Interested, at(19, 23, 59)),
		sw("a-tie", attendee.Pass, at(20, 12, 0)),
		sw("middle", attendee.Like, at(20, 23, 0).UTC()),
	} {
		mustSwipe(t, ctx, s, x)
	}
	assertSwipes(t, ctx, s, "ada",
		sw("early", attendee.Interested, at(19, 23, 59)),
		sw("a-tie", attendee.Pass, at(20, 12, 0)),
		sw("b-tie", attendee.Like, at(20, 12, 0)),
		sw("middle", attendee.Like, at(20, 23, 0)),
		sw("late", attendee.Pass, at(21, 9, 0)),
	)
	// A new decision replaces the old one and takes its own place in time.
	mustSwipe(t, ctx, s, sw("early", attendee.Pass, at(22, 1, 0)))
	assertSwipes(t, ctx, s, "ada",
		sw("a-tie", attendee.Pass, at(20, 12, 0)),
		sw("b-tie", attendee.Like, at(20, 12, 0)),
		sw("middle", attendee.Like, at(20, 23, 0)),
		sw("late", attendee.Pass, at(21, 9, 0)),
		sw("early", attendee.Pass, at(22, 1, 0)),
	)
	assertSaves(t, ctx, s, "ada",
		attendee.Save{UID: "ada", PartyID: "b-tie", At: at(20, 12, 0)},
		attendee.Save{UID: "ada", PartyID: "middle", At: at(20, 23, 0)},
	)
}

func testSaves(t *testing.T, s attendee.Repository) {
	ctx := testContext(t)
	sv := func(party string, when time.Time) attendee.Save {
		return attendee.Save{UID: "ada", PartyID: party, At: when}
	}
	assertSaves(t, ctx, s, "ada")
	if !mustAddSave(t, ctx, s, sv("p1", at(20, 10, 0))) {
		t.Error("first AddSave(p1) reported false, want true")
	}
	if mustAddSave(t, ctx, s, sv("p1", at(21, 10, 0))) {
		t.Error("second AddSave(p1) reported true, want false")
	}
	assertSaves(t, ctx, s, "ada", sv("p1", at(20, 10, 0)))

	if !mustAddSave(t, ctx, s, sv("p0", at(19, 10, 0))) {
		t.Error("AddSave(p0) reported false, want true")
	}
	if !mustAddSave(t, ctx, s, sv("p2", at(22, 10, 0))) {
		t.Error("AddSave(p2) reported false, want true")
	}
	assertSaves(t, ctx, s, "ada", sv("p0", at(19, 10, 0)), sv("p1", at(20, 10, 0)), sv("p2", at(22, 10, 0)))
	// Saving is not swiping.
	assertSwipes(t, ctx, s, "ada")

	for _, tc := range []struct {
		party string
		want  bool
	}{{"p9", false}, {"p1", true}, {"p1", false}} {
		removed, err := RemoveSave(ctx, s, "ada", tc.party)
		if err != nil || removed != tc.want {
			t.Errorf("RemoveSave(%s) = %v, %v; want %v", tc.party, removed, err, tc.want)
		}
	}
	_, err := RemoveSave(ctx, s, "ada", "a/b")
	assertKind(t, "RemoveSave of a malformed party id", err, apperr.Invalid)
	assertSaves(t, ctx, s, "ada", sv("p0", at(19, 10, 0)), sv("p2", at(22, 10, 0)))

	// Removing a save leaves the decision that made it.
	mustSwipe(t, ctx, s, attendee.Swipe{UID: "ada", PartyID: "p3", Action: attendee.Like, At: at(23, 10, 0)})
	if removed, err := RemoveSave(ctx, s, "ada", "p3"); err != nil || !removed {
		t.Errorf("RemoveSave of a liked party = %v, %v; want true", removed, err)
	}
	assertSwipes(t, ctx, s, "ada", attendee.Swipe{UID: "ada", PartyID: "p3", Action: attendee.Like, At: at(23, 10, 0)})
	assertSaves(t, ctx, s, "ada", sv("p0", at(19, 10, 0)), sv("p2", at(22, 10, 0)))

	// A save without a time is refused: the use case stamps it.
	_, err = AddSave(ctx, s, attendee.Save{UID: "ada", PartyID: "p4"})
	assertKind(t, "a save without a time", err, apperr.Invalid)
	assertSaves(t, ctx, s, "ada", sv("p0", at(19, 10, 0)), sv("p2", at(22, 10, 0)))
}

func testIsolation(t *testing.T, s attendee.Repository) {
	ctx := testContext(t)
	// "adam" starts with "ada": prefix matches must not leak either.
	users := []string{"ada", "adam"}
	actions := map[string][]attendee.Action{
		"ada":  {attendee.Like, attendee.Pass, attendee.Interested},
		"adam": {attendee.Pass, attendee.Like, attendee.Like},
	}
	parties := []string{"p1", "p2", "p3"}
	profiles := map[string]attendee.Profile{}
	for i, uid := range users {
		p := fullProfile(uid)
		p.DisplayName = "Name of " + uid
		profiles[uid] = mustSaveProfile(t, ctx, s, p)
		for j, party := range parties {
			mustSwipe(t, ctx, s, attendee.Swipe{UID: uid, PartyID: party, Action: actions[uid][j], At: at(20, 10+i, j)})
		}
		mustAddSave(t, ctx, s, attendee.Save{UID: uid, PartyID: "only-" + uid, At: at(21, 10, i)})
		mustSetToken(t, ctx, s, uid, int64(i+1), tokenHash("secret of "+uid))
	}
	for i, uid := range users {
		assertProfile(t, "profile of "+uid, profiles[uid], mustProfile(t, ctx, s, uid))
		var want []attendee.Swipe
		var saves []attendee.Save
		for j, party := range parties {
			want = append(want, attendee.Swipe{UID: uid, PartyID: party, Action: actions[uid][j], At: at(20, 10+i, j)})
			if actions[uid][j].Saves() {
				saves = append(saves, attendee.Save{UID: uid, PartyID: party, At: at(20, 10+i, j)})
			}
		}
		saves = append(saves, attendee.Save{UID: uid, PartyID: "only-" + uid, At: at(21, 10, i)})
		assertSwipes(t, ctx, s, uid, want...)
		assertSaves(t, ctx, s, uid, saves...)
		assertToken(t, ctx, s, uid, int64(i+1), tokenHash("secret of "+uid))
		assertTokenUser(t, ctx, s, tokenHash("secret of "+uid), uid)
	}
	// One user's removal touches only their own save.
	if removed, err := RemoveSave(ctx, s, "ada", "only-adam"); err != nil || removed {
		t.Errorf("RemoveSave(ada, only-adam) = %v, %v; want false: the save is adam's", removed, err)
	}
	if saves := mustSaves(t, ctx, s, "adam"); !slices.ContainsFunc(saves, func(sv attendee.Save) bool { return sv.PartyID == "only-adam" }) {
		t.Errorf("adam's save is gone after ada removed hers: %v", saveText(saves))
	}
	assertSwipes(t, ctx, s, "nobody")
	assertSaves(t, ctx, s, "nobody")
	assertToken(t, ctx, s, "nobody", 0, "")
	_, err := s.Profile(ctx, "nobody")
	assertKind(t, "Profile(nobody)", err, apperr.NotFound)
}
