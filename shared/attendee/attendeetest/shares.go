package attendeetest

import (
	"context"
	"slices"
	"testing"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

func mustCode(t *testing.T) string {
	t.Helper()
	c, err := attendee.NewShareCode()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func shareText(sh attendee.Share) string {
	ids := "live"
	if !sh.Live() {
		ids = "fixed:" + joinIDs(sh.PartyIDs)
	}
	return sh.Code + " " + sh.UID + " " + sh.Title + " " + ids + " " + stamp(sh.CreatedAt)
}

func joinIDs(ids []string) string {
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ","
		}
		out += id
	}
	return out
}

func sharesText(l []attendee.Share) []string {
	out := []string{}
	for _, sh := range l {
		out = append(out, shareText(sh))
	}
	return out
}

func mustSharesOf(t *testing.T, ctx context.Context, s attendee.Repository, uid string) []attendee.Share {
	t.Helper()
	l, err := s.SharesOf(ctx, uid)
	if err != nil {
		t.Fatalf("SharesOf(%s): %v", uid, err)
	}
	return l
}

// A share is stored as given, found by its code by anyone, listed for its
// owner newest first, revoked by its owner alone, and erased with them.
func testShares(t *testing.T, s attendee.Repository) {
	ctx := testContext(t)
	live := attendee.Share{Code: mustCode(t), UID: "ada", Title: "Ada's week", CreatedAt: at(20, 10, 0).UTC()}
	fixed := attendee.Share{Code: mustCode(t), UID: "ada", PartyIDs: []string{"p2", "p1"}, CreatedAt: at(20, 11, 0).UTC()}
	bobs := attendee.Share{Code: mustCode(t), UID: "bob", Title: "Bob's", CreatedAt: at(20, 12, 0).UTC()}
	for _, sh := range []attendee.Share{live, fixed, bobs} {
		if err := s.CreateShare(ctx, sh); err != nil {
			t.Fatalf("CreateShare(%s): %v", shareText(sh), err)
		}
	}
	for _, want := range []attendee.Share{live, fixed, bobs} {
		got, err := s.Share(ctx, want.Code)
		if err != nil {
			t.Fatalf("Share(%s): %v", want.Code, err)
		}
		if shareText(got) != shareText(want) || got.Live() != want.Live() {
			t.Errorf("Share round trip:\n got %s\nwant %s", shareText(got), shareText(want))
		}
	}
	if got, want := sharesText(mustSharesOf(t, ctx, s, "ada")), sharesText([]attendee.Share{fixed, live}); !slices.Equal(got, want) {
		t.Errorf("SharesOf(ada) = %v, want newest first %v", got, want)
	}
	if got := mustSharesOf(t, ctx, s, "carol"); len(got) != 0 {
		t.Errorf("SharesOf(carol) = %v, want none", got)
	}

	// The code is the identity: taken is Conflict, and the first stays.
	taken := live
	taken.UID, taken.Title = "mallory", "mine now"
	assertKind(t, "CreateShare with a taken code", s.CreateShare(ctx, taken), apperr.Conflict)
	if got, _ := s.Share(ctx, live.Code); got.UID != "ada" {
		t.Errorf("a taken code changed owner: %s", shareText(got))
	}
	for name, bad := range map[string]attendee.Share{
		"malformed code":    {Code: "short", UID: "ada", CreatedAt: at(20, 10, 0).UTC()},
		"no owner":          {Code: mustCode(t), CreatedAt: at(20, 10, 0).UTC()},
		"empty fixed list":  {Code: mustCode(t), UID: "ada", PartyIDs: []string{}, CreatedAt: at(20, 10, 0).UTC()},
		"a party twice":     {Code: mustCode(t), UID: "ada", PartyIDs: []string{"p1", "p1"}, CreatedAt: at(20, 10, 0).UTC()},
		"control character": {Code: mustCode(t), UID: "ada", Title: "a\x00b", CreatedAt: at(20, 10, 0).UTC()},
	} {
		assertKind(t, "CreateShare of a share with "+name, s.CreateShare(ctx, bad), apperr.Invalid)
	}
	for _, code := range []string{"", "nope", mustCode(t), "../../users/ada/saves/x"} {
		_, err := s.Share(ctx, code)
		assertKind(t, "Share("+code+")", err, apperr.NotFound)
	}

	// Only the owner revokes, once.
	assertKind(t, "DeleteShare of another's share", s.DeleteShare(ctx, "bob", live.Code), apperr.NotFound)
	if err := s.DeleteShare(ctx, "ada", live.Code); err != nil {
		t.Fatalf("DeleteShare: %v", err)
	}
	assertKind(t, "DeleteShare again", s.DeleteShare(ctx, "ada", live.Code), apperr.NotFound)
	_, err := s.Share(ctx, live.Code)
	assertKind(t, "Share after it was revoked", err, apperr.NotFound)

	// An erasure takes the user's shares, and no one else's.
	if err := s.DeleteUser(ctx, "ada"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Share(ctx, fixed.Code)
	assertKind(t, "Share of an erased user", err, apperr.NotFound)
	if got := mustSharesOf(t, ctx, s, "ada"); len(got) != 0 {
		t.Errorf("SharesOf(ada) after her erasure = %v", sharesText(got))
	}
	if got, err := s.Share(ctx, bobs.Code); err != nil || got.UID != "bob" {
		t.Errorf("bob's share after ada's erasure: %v, %v", shareText(got), err)
	}
}
