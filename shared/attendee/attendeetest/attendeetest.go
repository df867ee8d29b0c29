// Package attendeetest is the contract suite every attendee store must pass.
// Each store's tests call Run with a constructor for a fresh, empty store,
// so the SQLite file and the Firestore emulator are held to the same
// behaviour the rest of the code relies on.
package attendeetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

// opTimeout bounds every test. It is generous because transactions that
// contend on one document are slow on the Firestore emulator.
const opTimeout = 90 * time.Second

// Run runs the contract suite. newStore must return a fresh, empty store
// (or one isolated from every other call, e.g. by a collection prefix); it is
// called once per subtest, and subtests run in parallel.
//
// The times the suite gives to the store carry whole microseconds, the
// finest Firestore keeps, so every store must give back exactly the instant
// it was given, in UTC.
func Run(t *testing.T, newStore func(t *testing.T) attendee.Repository) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s attendee.Repository)
	}{
		{"ProfileRoundTrip", testProfile},
		{"ProfileInvalid", testProfileInvalid},
		{"RecordSwipe", testRecordSwipe},
		{"RecordSwipeInvalid", testSwipeInvalid},
		{"Decision", testDecision},
		{"SwipesOrder", testSwipesOrder},
		{"Saves", testSaves},
		{"UsersIsolated", testIsolation},
		{"CalendarToken", testCalendarToken},
		{"CalendarTokenAndProfileApart", testTokenAndProfileApart},
		{"DeleteUser", testDeleteUser},
		{"Shares", testShares},
		{"ConcurrentSwipesAndSaves", testConcurrent},
		{"UpdatesThatFailWriteNothing", testFailedUpdates},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

// The store persists what the attendee domain decides: these helpers make
// the same calls the use cases make, through the update-by-closure methods.

// SaveProfile replaces the profile's fields as the profile use case does,
// stamping the change with the clock.
func SaveProfile(ctx context.Context, s attendee.Repository, p attendee.Profile) (attendee.Profile, error) {
	return s.UpdateProfile(ctx, p.UID, func(cur *attendee.Profile) error {
		created, updated := cur.CreatedAt, cur.UpdatedAt
		*cur = p
		cur.CreatedAt, cur.UpdatedAt = created, updated
		cur.Touch(time.Now())
		return nil
	})
}

// RecordSwipe records a swipe as the swipe use case does.
func RecordSwipe(ctx context.Context, s attendee.Repository, sw attendee.Swipe) (attendee.SwipeResult, error) {
	var res attendee.SwipeResult
	_, err := s.UpdateDecision(ctx, sw.UID, sw.PartyID, func(d *attendee.Decision) error {
		res = d.Record(sw.Action, sw.At)
		return nil
	})
	return res, err
}

// AddSave saves a party as the save use case does.
func AddSave(ctx context.Context, s attendee.Repository, sv attendee.Save) (bool, error) {
	var added bool
	_, err := s.UpdateDecision(ctx, sv.UID, sv.PartyID, func(d *attendee.Decision) error {
		added = d.AddSave(sv.At)
		return nil
	})
	return added, err
}

// RemoveSave unsaves a party as the unsave use case does.
func RemoveSave(ctx context.Context, s attendee.Repository, uid, partyID string) (bool, error) {
	var removed bool
	_, err := s.UpdateDecision(ctx, uid, partyID, func(d *attendee.Decision) error {
		removed = d.RemoveSave()
		return nil
	})
	return removed, err
}

// SetToken stores a calendar link's generation and token hash.
func SetToken(ctx context.Context, s attendee.Repository, uid string, gen int64, hash string) error {
	_, err := s.UpdateCalendarLink(ctx, uid, func(l *attendee.CalendarLink) error {
		l.Generation, l.TokenHash = gen, hash
		return nil
	})
	return err
}

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

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

var berlin = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at returns a Cologne wall-clock time during Gamescom 2025, with a
// fraction of a second in whole microseconds.
func at(day, hour, minute int) time.Time {
	return time.Date(2025, time.August, day, hour, minute, 0, 123456000, berlin)
}

// tokenHash returns what callers store for a calendar token: the hex SHA-256
// of the secret, never the secret itself.
func tokenHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func assertKind(t *testing.T, what string, err error, kind apperr.Kind) {
	t.Helper()
	if !apperr.Is(err, kind) {
		t.Fatalf("%s: got error %v (kind %q), want kind %q", what, err, apperr.KindOf(err), kind)
	}
}

// sameInstant reports whether got is the instant want, given back in UTC.
func sameInstant(want, got time.Time) bool {
	return want.Equal(got) && want.IsZero() == got.IsZero() && (got.IsZero() || got.Location() == time.UTC)
}

func assertTime(t *testing.T, what string, want, got time.Time) {
	t.Helper()
	if !sameInstant(want, got) {
		t.Errorf("%s = %v, want %v in UTC", what, got, want)
	}
}

// assertRecent checks that the store stamped got with its clock between
// before and after, in UTC (Firestore may cut up to a microsecond off).
func assertRecent(t *testing.T, what string, before, after, got time.Time) {
	t.Helper()
	if got.Before(before.Add(-time.Millisecond)) || got.After(after.Add(time.Millisecond)) || got.Location() != time.UTC {
		t.Errorf("%s = %v, want a UTC time between %v and %v", what, got, before, after)
	}
}

func assertProfile(t *testing.T, what string, want, got attendee.Profile) {
	t.Helper()
	if want.UID != got.UID || want.DisplayName != got.DisplayName || want.Company != got.Company ||
		want.JobTitle != got.JobTitle || want.Persona != got.Persona || want.Visibility != got.Visibility ||
		!sameInstant(want.CreatedAt, got.CreatedAt) || !sameInstant(want.UpdatedAt, got.UpdatedAt) {
		t.Errorf("%s:\n  got  %+v\n  want %+v", what, got, want)
	}
}

func mustProfile(t *testing.T, ctx context.Context, s attendee.Repository, uid string) attendee.Profile {
	t.Helper()
	p, err := s.Profile(ctx, uid)
	if err != nil {
		t.Fatalf("Profile(%s): %v", uid, err)
	}
	return p
}

func mustSaveProfile(t *testing.T, ctx context.Context, s attendee.Repository, p attendee.Profile) attendee.Profile {
	t.Helper()
	saved, err := SaveProfile(ctx, s, p)
	if err != nil {
		t.Fatalf("SaveProfile(%s): %v", p.UID, err)
	}
	return saved
}

func mustSwipe(t *testing.T, ctx context.Context, s attendee.Repository, sw attendee.Swipe) attendee.SwipeResult {
	t.Helper()
	res, err := RecordSwipe(ctx, s, sw)
	if err != nil {
		t.Fatalf("RecordSwipe(%s %s %s): %v", sw.UID, sw.PartyID, sw.Action, err)
	}
	return res
}

func mustAddSave(t *testing.T, ctx context.Context, s attendee.Repository, sv attendee.Save) bool {
	t.Helper()
	added, err := AddSave(ctx, s, sv)
	if err != nil {
		t.Fatalf("AddSave(%s %s): %v", sv.UID, sv.PartyID, err)
	}
	return added
}

func mustSwipes(t *testing.T, ctx context.Context, s attendee.Repository, uid string) []attendee.Swipe {
	t.Helper()
	l, err := s.Swipes(ctx, uid)
	if err != nil {
		t.Fatalf("Swipes(%s): %v", uid, err)
	}
	return l
}

func mustSaves(t *testing.T, ctx context.Context, s attendee.Repository, uid string) []attendee.Save {
	t.Helper()
	l, err := s.Saves(ctx, uid)
	if err != nil {
		t.Fatalf("Saves(%s): %v", uid, err)
	}
	return l
}

func mustSetToken(t *testing.T, ctx context.Context, s attendee.Repository, uid string, gen int64, hash string) {
	t.Helper()
	if err := SetToken(ctx, s, uid, gen, hash); err != nil {
		t.Fatalf("SetCalendarToken(%s, %d): %v", uid, gen, err)
	}
}

// swipeText and saveText render lists for comparison and messages; times
// are printed in UTC with microseconds, so a zone or an instant that came
// back different shows as a difference.
func swipeText(l []attendee.Swipe) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = fmt.Sprintf("%s/%s %s @%s", s.UID, s.PartyID, s.Action, stamp(s.At))
	}
	return out
}

func saveText(l []attendee.Save) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = fmt.Sprintf("%s/%s @%s", s.UID, s.PartyID, stamp(s.At))
	}
	return out
}

func stamp(t time.Time) string {
	s := t.Format("2006-01-02T15:04:05.000000")
	if t.Location() != time.UTC {
		s += " (not UTC: " + t.Location().String() + ")"
	}
	return s
}

func assertSwipes(t *testing.T, ctx context.Context, s attendee.Repository, uid string, want ...attendee.Swipe) {
	t.Helper()
	got, w := swipeText(mustSwipes(t, ctx, s, uid)), swipeText(inUTC(want))
	if !slices.Equal(got, w) {
		t.Errorf("Swipes(%s):\n  got  %v\n  want %v", uid, got, w)
	}
}

func assertSaves(t *testing.T, ctx context.Context, s attendee.Repository, uid string, want ...attendee.Save) {
	t.Helper()
	ws := make([]attendee.Save, len(want))
	for i, sv := range want {
		sv.At = sv.At.UTC()
		ws[i] = sv
	}
	got, w := saveText(mustSaves(t, ctx, s, uid)), saveText(ws)
	if !slices.Equal(got, w) {
		t.Errorf("Saves(%s):\n  got  %v\n  want %v", uid, got, w)
	}
}

func inUTC(l []attendee.Swipe) []attendee.Swipe {
	out := make([]attendee.Swipe, len(l))
	for i, s := range l {
		s.At = s.At.UTC()
		out[i] = s
	}
	return out
}

func assertToken(t *testing.T, ctx context.Context, s attendee.Repository, uid string, wantGen int64, wantHash string) {
	t.Helper()
	l, err := s.CalendarLink(ctx, uid)
	gen, hash := l.Generation, l.TokenHash
	if err != nil || gen != wantGen || hash != wantHash {
		t.Errorf("CalendarToken(%s) = %d, %q, %v; want %d, %q", uid, gen, hash, err, wantGen, wantHash)
	}
}

func assertTokenUser(t *testing.T, ctx context.Context, s attendee.Repository, hash, wantUID string) {
	t.Helper()
	uid, err := s.UserByCalendarToken(ctx, hash)
	if wantUID == "" {
		if !apperr.Is(err, apperr.NotFound) {
			t.Errorf("UserByCalendarToken(%.8s…) = %q, %v; want NotFound", hash, uid, err)
		}
		return
	}
	if err != nil || uid != wantUID {
		t.Errorf("UserByCalendarToken(%.8s…) = %q, %v; want %q", hash, uid, err, wantUID)
	}
}

func fullProfile(uid string) attendee.Profile {
	return attendee.Profile{
		UID:         uid,
		DisplayName: "Ada Lövelace 🎮",
		Company:     "Épique Studios — Köln",
		JobTitle:    "Producer, 東京 office",
		Persona:     attendee.Developer,
		Visibility:  attendee.Attendees,
	}
}

func testProfile(t *testing.T, s attendee.Repository) {
	ctx := testContext(t)
	_, err := s.Profile(ctx, "ada")
	assertKind(t, "Profile before any save", err, apperr.NotFound)

	given := fullProfile("ada")
	// Bookkeeping belongs to the store: times the caller sets are ignored.
	given.CreatedAt = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	given.UpdatedAt = given.CreatedAt
	before := time.Now()
	created := mustSaveProfile(t, ctx, s, given)
	after := time.Now()
	assertRecent(t, "CreatedAt of a new profile", before, after, created.CreatedAt)
	want := fullProfile("ada")
	want.CreatedAt, want.UpdatedAt = created.CreatedAt, created.CreatedAt
	assertProfile(t, "created", want, created)
	assertProfile(t, "read back", created, mustProfile(t, ctx, s, "ada"))

	// A replace changes every field, clears the optional ones, keeps
	// CreatedAt whatever the caller sends, and moves UpdatedAt.
	next := attendee.Profile{UID: "ada", DisplayName: "Ada", Visibility: attendee.Public}
	before = time.Now()
	replaced := mustSaveProfile(t, ctx, s, next)
	after = time.Now()
	want = next
	want.CreatedAt, want.UpdatedAt = created.CreatedAt, replaced.UpdatedAt
	assertProfile(t, "replaced", want, replaced)
	assertRecent(t, "UpdatedAt of a replaced profile", before, after, replaced.UpdatedAt)
	if !replaced.UpdatedAt.After(created.UpdatedAt) {
		t.Errorf("UpdatedAt = %v after a replace, want after %v", replaced.UpdatedAt, created.UpdatedAt)
	}
	assertProfile(t, "read back after replace", replaced, mustProfile(t, ctx, s, "ada"))

	// The profile of a user who has not set one yet can be stored as is.
	fresh := mustSaveProfile(t, ctx, s, attendee.NewProfile("grace"))
	want = attendee.NewProfile("grace")
	want.CreatedAt, want.UpdatedAt = fresh.CreatedAt, fresh.CreatedAt
	assertProfile(t, "new profile", want, fresh)
	assertProfile(t, "new profile read back", fresh, mustProfile(t, ctx, s, "grace"))
	assertProfile(t, "first profile after another user saved", replaced, mustProfile(t, ctx, s, "ada"))
}

func testProfileInvalid(t *testing.T, s attendee.Repository) {
	ctx := testContext(t)
	stored := mustSaveProfile(t, ctx, s, fullProfile("ada"))
	mod := func(uid string, f func(*attendee.Profile)) attendee.Profile {
		p := fullProfile(uid)
		f(&p)
		return p
	}
	tests := map[string]attendee.Profile{
		"no uid":                   mod("", func(*attendee.Profile) {}),
		"name too long":            mod("new", func(p *attendee.Profile) { p.DisplayName = strings.Repeat("ü", attendee.MaxProfileText+1) }),
		"control character":        mod("new", func(p *attendee.Profile) { p.Company = "Acme\x00Corp" }),
		"unknown persona":          mod("new", func(p *attendee.Profile) { p.Persona = "gamer" }),
		"no visibility":            mod("new", func(p *attendee.Profile) { p.Visibility = "" }),
		"unknown visibility":       mod("new", func(p *attendee.Profile) { p.Visibility = "everyone" }),
		"replace with a bad title": mod("ada", func(p *attendee.Profile) { p.JobTitle = "line\nbreak" }),
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := SaveProfile(ctx, s, p)
			assertKind(t, "SaveProfile", err, apperr.Invalid)
		})
	}
	_, err := s.Profile(ctx, "new")
	assertKind(t, "Profile after rejected saves", err, apperr.NotFound)
	assertProfile(t, "stored profile after a rejected replace", stored, mustProfile(t, ctx, s, "ada"))
}

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

func testCalendarToken(t *testing.T, s attendee.Repository) {
	ctx := testContext(t)
	h1, h2, hb := tokenHash("first"), tokenHash("second"), tokenHash("bob's")
	assertToken(t, ctx, s, "ada", 0, "")
	assertTokenUser(t, ctx, s, h1, "")

	mustSetToken(t, ctx, s, "ada", 1, h1)
	assertToken(t, ctx, s, "ada", 1, h1)
	assertTokenUser(t, ctx, s, h1, "ada")

	// A new link replaces the old one: the old token stops working.
	mustSetToken(t, ctx, s, "ada", 2, h2)
	assertToken(t, ctx, s, "ada", 2, h2)
	assertTokenUser(t, ctx, s, h2, "ada")
	assertTokenUser(t, ctx, s, h1, "")

	mustSetToken(t, ctx, s, "bob", 1, hb)
	assertToken(t, ctx, s, "bob", 1, hb)
	assertTokenUser(t, ctx, s, hb, "bob")
	assertToken(t, ctx, s, "ada", 2, h2)
	assertTokenUser(t, ctx, s, h2, "ada")

	// Recording the same token again (a retried request) changes nothing.
	mustSetToken(t, ctx, s, "ada", 2, h2)
	assertToken(t, ctx, s, "ada", 2, h2)
	assertTokenUser(t, ctx, s, h2, "ada")

	// A hash is one user's: taking another user's is a conflict that
	// changes neither.
	err := SetToken(ctx, s, "bob", 2, h2)
	assertKind(t, "SetCalendarToken with ada's hash for bob", err, apperr.Conflict)
	assertToken(t, ctx, s, "bob", 1, hb)
	assertTokenUser(t, ctx, s, hb, "bob")
	assertTokenUser(t, ctx, s, h2, "ada")

	for name, tc := range map[string]struct {
		uid  string
		gen  int64
		hash string
	}{
		"no uid":          {"", 1, h1},
		"no hash":         {"carol", 1, ""},
		"generation zero": {"carol", 0, h1},
		"negative":        {"carol", -1, h1},
	} {
		t.Run(name, func(t *testing.T) {
			err := SetToken(ctx, s, tc.uid, tc.gen, tc.hash)
			assertKind(t, "SetCalendarToken", err, apperr.Invalid)
		})
	}
	assertToken(t, ctx, s, "carol", 0, "")
	assertTokenUser(t, ctx, s, h1, "")
	assertTokenUser(t, ctx, s, "", "")
}

// A calendar link needs no profile and does not make one; saving a profile
// keeps the link and issuing a link keeps the profile.
func testTokenAndProfileApart(t *testing.T, s attendee.Repository) {
	ctx := testContext(t)
	h := tokenHash("link")
	mustSetToken(t, ctx, s, "ada", 1, h)
	_, err := s.Profile(ctx, "ada")
	assertKind(t, "Profile after only a calendar link", err, apperr.NotFound)

	created := mustSaveProfile(t, ctx, s, fullProfile("ada"))
	assertToken(t, ctx, s, "ada", 1, h)
	assertTokenUser(t, ctx, s, h, "ada")

	h2 := tokenHash("link 2")
	mustSetToken(t, ctx, s, "ada", 2, h2)
	assertProfile(t, "profile after a new link", created, mustProfile(t, ctx, s, "ada"))

	replaced := mustSaveProfile(t, ctx, s, attendee.NewProfile("ada"))
	if !sameInstant(created.CreatedAt, replaced.CreatedAt) {
		t.Errorf("CreatedAt = %v after a link and a replace, want %v", replaced.CreatedAt, created.CreatedAt)
	}
	assertToken(t, ctx, s, "ada", 2, h2)
}

// seedUser gives uid a profile, swipes, saves and a second calendar link,
// and returns the hashes of both links.
func seedUser(t *testing.T, ctx context.Context, s attendee.Repository, uid string) (oldHash, hash string) {
	t.Helper()
	mustSaveProfile(t, ctx, s, fullProfile(uid))
	for i, a := range []attendee.Action{attendee.Like, attendee.Pass, attendee.Interested, attendee.Like} {
		mustSwipe(t, ctx, s, attendee.Swipe{UID: uid, PartyID: fmt.Sprintf("p%d", i), Action: a, At: at(20, 12, i)})
	}
	mustAddSave(t, ctx, s, attendee.Save{UID: uid, PartyID: "saved-only", At: at(20, 13, 0)})
	oldHash, hash = tokenHash("old of "+uid), tokenHash("new of "+uid)
	mustSetToken(t, ctx, s, uid, 1, oldHash)
	mustSetToken(t, ctx, s, uid, 2, hash)
	return oldHash, hash
}

func testDeleteUser(t *testing.T, s attendee.Repository) {
	ctx := testContext(t)
	adaOld, ada := seedUser(t, ctx, s, "ada")
	_, bob := seedUser(t, ctx, s, "bob")
	bobProfile := mustProfile(t, ctx, s, "bob")
	bobSwipes, bobSaves := mustSwipes(t, ctx, s, "bob"), mustSaves(t, ctx, s, "bob")

	if at, err := s.ErasedAt(ctx, "ada"); err != nil || !at.IsZero() {
		t.Fatalf("ErasedAt before any erasure = %v, %v; want the zero time", at, err)
	}
	before := time.Now().Add(-time.Second)
	if err := s.DeleteUser(ctx, "ada"); err != nil {
		t.Fatalf("DeleteUser(ada): %v", err)
	}
	// The erasure is remembered, so tokens issued before it can be refused.
	if at, err := s.ErasedAt(ctx, "ada"); err != nil || !at.After(before) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("ErasedAt(ada) = %v, %v; want the time of the erasure", at, err)
	}
	if at, err := s.ErasedAt(ctx, "bob"); err != nil || !at.IsZero() {
		t.Errorf("ErasedAt(bob) = %v, %v; bob was never erased", at, err)
	}
	_, err := s.Profile(ctx, "ada")
	assertKind(t, "Profile after DeleteUser", err, apperr.NotFound)
	assertSwipes(t, ctx, s, "ada")
	assertSaves(t, ctx, s, "ada")
	assertToken(t, ctx, s, "ada", 0, "")
	assertTokenUser(t, ctx, s, ada, "")
	assertTokenUser(t, ctx, s, adaOld, "")

	assertProfile(t, "bob's profile after ada was deleted", bobProfile, mustProfile(t, ctx, s, "bob"))
	assertSwipes(t, ctx, s, "bob", bobSwipes...)
	if got, want := saveText(mustSaves(t, ctx, s, "bob")), saveText(bobSaves); !slices.Equal(got, want) {
		t.Errorf("bob's saves after ada was deleted = %v, want %v", got, want)
	}
	assertToken(t, ctx, s, "bob", 2, bob)
	assertTokenUser(t, ctx, s, bob, "bob")

	for _, uid := range []string{"ada", "nobody"} {
		if err := s.DeleteUser(ctx, uid); err != nil {
			t.Errorf("DeleteUser(%s) of a user without data = %v, want nil", uid, err)
		}
	}
	assertKind(t, "DeleteUser(\"\")", s.DeleteUser(ctx, ""), apperr.Invalid)

	// Nothing of the old decisions survives: a new swipe is a first swipe,
	// and the old link's hash can be issued again.
	res := mustSwipe(t, ctx, s, attendee.Swipe{UID: "ada", PartyID: "p0", Action: attendee.Pass, At: at(24, 10, 0)})
	if res.Previous != "" || res.Saved {
		t.Errorf("swipe after DeleteUser: Previous %q, Saved %v; want a first swipe that saves nothing", res.Previous, res.Saved)
	}
	mustSetToken(t, ctx, s, "ada", 1, ada)
	assertTokenUser(t, ctx, s, ada, "ada")
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
