package attendeetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

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
