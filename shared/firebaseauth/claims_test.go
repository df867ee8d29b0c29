package firebaseauth

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"firebase.google.com/go/v4/auth"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// Claims arrive as decoded JSON; the table writes them as JSON so the types
// are exactly what the SDK produces.
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
			tok := &auth.Token{UID: "u1", IssuedAt: 1787227200}
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

// Without credentials the first Verify fails with Unavailable; the failure
// is remembered for a while, then the client is built again, so a machine
// whose credentials appear later recovers without a restart.
func TestClientRetriedAfterFailure(t *testing.T) {
	t.Setenv(EnvEmulatorHost, "")
	// A credentials file that does not exist fails the same way on every
	// machine, whatever gcloud login it has.
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "missing.json"))
	now := time.Date(2026, 8, 20, 12, 0, 0, 0, time.UTC)
	v := New("demo-party")
	v.Now = func() time.Time { return now }
	ctx := context.Background()

	if _, err := v.Verify(ctx, "x.y.z"); !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("without credentials: err = %v, want Unavailable", err)
	}
	// Credentials (here: the emulator) become available. Within the backoff
	// the remembered failure is returned without another attempt.
	t.Setenv(EnvEmulatorHost, "127.0.0.1:1")
	now = now.Add(retryAfter / 2)
	if _, err := v.Verify(ctx, "x.y.z"); !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("within the backoff: err = %v, want the remembered Unavailable", err)
	}
	// After it the client is built, and a malformed token is now the
	// caller's fault (checked locally, no connection needed).
	now = now.Add(retryAfter)
	if _, err := v.Verify(ctx, "x.y.z"); !apperr.Is(err, apperr.Unauthorized) {
		t.Fatalf("after the backoff: err = %v, want Unauthorized", err)
	}
}

// A verifier that cannot tell which project's tokens to accept is a setup
// problem (503 and a logged hint), not every caller's fault (401).
func TestNoProjectIsUnavailable(t *testing.T) {
	t.Setenv(EnvEmulatorHost, "127.0.0.1:1") // no credentials needed; nothing is dialled
	t.Setenv("GOOGLE_CLOUD_PROJECT", "")
	t.Setenv("GCLOUD_PROJECT", "")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "missing.json"))
	_, err := New("").Verify(context.Background(), "x.y.z")
	if !apperr.Is(err, apperr.Unavailable) || !errors.Is(err, errNoProject) {
		t.Fatalf("err = %v, want Unavailable for the missing project id", err)
	}
	if h := hint(err); !strings.Contains(h, "GOOGLE_CLOUD_PROJECT") {
		t.Errorf("hint %q does not say what to set", h)
	}
}
