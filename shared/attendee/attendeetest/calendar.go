package attendeetest

import (
	"testing"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

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
