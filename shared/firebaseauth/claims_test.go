package firebaseauth

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/identity"
)

// Claims arrive as decoded JSON; the table writes them as JSON so the types
// are exactly what a token's payload decodes to.
func TestIdentityOf(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		claims   string
		want     identity.Identity
	}{
		{"anonymous", "anonymous", `{}`, identity.Identity{UID: "u1", Anonymous: true}},
		{"password user with email", "password", `{"email":"a@b.de","email_verified":false}`,
			identity.Identity{UID: "u1", Email: "a@b.de"}},
		{"admin flag", "password", `{"admin":true}`, identity.Identity{UID: "u1", Roles: []identity.Role{identity.Admin}}},
		{"organizer flag", "google.com", `{"organizer":true}`, identity.Identity{UID: "u1", Roles: []identity.Role{identity.Organizer}}},
		{"false flags grant nothing", "password", `{"admin":false,"organizer":false}`, identity.Identity{UID: "u1"}},
		{"flag that is not a boolean grants nothing", "password", `{"admin":"true","organizer":1}`, identity.Identity{UID: "u1"}},
		{"roles array", "password", `{"roles":["organizer","admin"]}`,
			identity.Identity{UID: "u1", Roles: []identity.Role{identity.Admin, identity.Organizer}}},
		{"unknown roles ignored", "password", `{"roles":["dj","superuser","organizer",7,null]}`,
			identity.Identity{UID: "u1", Roles: []identity.Role{identity.Organizer}}},
		{"roles compare exactly", "password", `{"roles":["Admin"," organizer"]}`, identity.Identity{UID: "u1"}},
		{"roles that is not an array grants nothing", "password", `{"roles":"admin"}`, identity.Identity{UID: "u1"}},
		{"flag and array together count once", "password", `{"admin":true,"roles":["admin","admin"]}`,
			identity.Identity{UID: "u1", Roles: []identity.Role{identity.Admin}}},
		{"email that is not a string ignored", "password", `{"email":["a@b.de"]}`, identity.Identity{UID: "u1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := &token{Subject: "u1", IssuedAt: 1787227200}
			tok.Firebase.SignInProvider = tt.provider
			if err := json.Unmarshal([]byte(tt.claims), &tok.Claims); err != nil {
				t.Fatal(err)
			}
			got := identityOf(tok)
			if want := time.Date(2026, 8, 20, 12, 0, 0, 0, time.UTC); !got.IssuedAt.Equal(want) || got.IssuedAt.Location() != time.UTC {
				t.Errorf("IssuedAt = %v, want %v", got.IssuedAt, want)
			}
			if got.UID != tt.want.UID || got.Anonymous != tt.want.Anonymous || got.Email != tt.want.Email ||
				!slices.Equal(got.Roles, tt.want.Roles) {
				t.Errorf("identityOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}
