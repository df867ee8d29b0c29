package attendeetest

import (
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

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
