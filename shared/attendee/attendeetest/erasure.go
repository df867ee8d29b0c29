package attendeetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

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
