package firebaseauth_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/testenv"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/firebaseauth"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// project is the emulator's demo project (scripts/test starts it with it).
const project = "demo-party"

// emulatorHost returns the Auth emulator's host:port. The suite is skipped,
// visibly, when no emulator runs, unless PARTYFINDER_REQUIRE_EMULATORS=1
// (scripts/test, CI), where it fails.
func emulatorHost(t *testing.T) string {
	t.Helper()
	host := os.Getenv(firebaseauth.EnvEmulatorHost)
	if host == "" {
		testenv.Need(t, firebaseauth.EnvEmulatorHost+" is not set: start the Auth emulator (scripts/test does) to run the Auth emulator tests")
	}
	return host
}

// user is an account created on the emulator through its REST API, the way
// the Firebase client SDK in a browser creates one.
type user struct {
	UID      string `json:"localId"`
	IDToken  string `json:"idToken"`
	Email    string `json:"email"`
	password string
}

func restCall(t *testing.T, host, method string, body any, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	url := "http://" + host + "/identitytoolkit.googleapis.com/v1/accounts:" + method + "?key=fake-api-key"
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	_, _ = raw.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %s: %s", method, resp.Status, raw.String())
	}
	if err := json.Unmarshal(raw.Bytes(), out); err != nil {
		t.Fatalf("%s: %v: %s", method, err, raw.String())
	}
}

func signUpAnonymous(t *testing.T, host string) user {
	var u user
	restCall(t, host, "signUp", map[string]any{"returnSecureToken": true}, &u)
	return u
}

func signUpEmail(t *testing.T, host string) user {
	u := user{Email: "guest-" + strings.ToLower(rand.Text()) + "@example.com", password: "party-" + rand.Text()}
	restCall(t, host, "signUp", map[string]any{"email": u.Email, "password": u.password, "returnSecureToken": true}, &u)
	return u
}

// signIn gets a fresh ID token, which carries the user's current custom claims.
func signIn(t *testing.T, host string, u user) string {
	var out user
	restCall(t, host, "signInWithPassword", map[string]any{"email": u.Email, "password": u.password, "returnSecureToken": true}, &out)
	return out.IDToken
}

// adminCall makes a request to the emulator's admin API, with its owner
// credential, for what a console or an admin tool does: set claims,
// disable and delete users.
func adminCall(t *testing.T, host, method string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", "http://"+host+"/identitytoolkit.googleapis.com/v1/projects/"+project+"/accounts:"+method, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer owner") // the emulator's admin credential
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		var raw bytes.Buffer
		_, _ = raw.ReadFrom(resp.Body)
		t.Fatalf("%s: %s: %s", method, resp.Status, raw.String())
	}
}

// setClaims sets a user's custom claims, as the Admin SDK's
// SetCustomUserClaims does (nil removes them).
func setClaims(t *testing.T, host, uid string, claims map[string]any) {
	t.Helper()
	attrs := []byte("{}")
	if claims != nil {
		attrs, _ = json.Marshal(claims)
	}
	adminCall(t, host, "update", map[string]any{"localId": uid, "customAttributes": string(attrs)})
}

// acceptOldTokens makes the emulator's user accept tokens issued at any
// time after 1970. The emulator checks every token against the user's
// "valid since" instant (the SDK's revocation check), which is set when a
// password user signs up: without this, a crafted token with an earlier
// iat would fail as revoked and hide why it was really rejected.
func acceptOldTokens(t *testing.T, host, uid string) {
	t.Helper()
	adminCall(t, host, "update", map[string]any{"localId": uid, "validSince": "1"})
}

// claimsOf decodes the payload of a (real) emulator token.
func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("emulator token has %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// craft builds a token of the emulator's shape (header {"alg":"none"}, no
// signature) from a real token's claims with some replaced.
func craft(t *testing.T, real string, replace map[string]any) string {
	t.Helper()
	header := strings.Split(real, ".")[0]
	c := claimsOf(t, real)
	for k, v := range replace {
		c[k] = v
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return header + "." + base64.RawURLEncoding.EncodeToString(b) + "."
}

func TestVerifyEmulatorTokens(t *testing.T) {
	host := emulatorHost(t)
	ctx := context.Background()
	v := firebaseauth.New(project)

	anon := signUpAnonymous(t, host)
	guest := signUpEmail(t, host)
	acceptOldTokens(t, host, guest.UID)
	now := time.Now().Unix()

	t.Run("anonymous user", func(t *testing.T) {
		id, err := v.Verify(ctx, anon.IDToken)
		if err != nil {
			t.Fatal(err)
		}
		want := identity.Identity{UID: anon.UID, Anonymous: true}
		if id.UID != want.UID || !id.Anonymous || id.Email != "" || len(id.Roles) != 0 {
			t.Errorf("identity = %+v, want %+v", id, want)
		}
		if iat := int64(claimsOf(t, anon.IDToken)["iat"].(float64)); !id.IssuedAt.Equal(time.Unix(iat, 0)) {
			t.Errorf("IssuedAt = %v, want the token's iat %d", id.IssuedAt, iat)
		}
	})
	t.Run("email user", func(t *testing.T) {
		id, err := v.Verify(ctx, guest.IDToken)
		if err != nil {
			t.Fatal(err)
		}
		if id.UID != guest.UID || id.Anonymous || id.Email != guest.Email || len(id.Roles) != 0 {
			t.Errorf("identity = %+v, want uid %s email %s, not anonymous, no roles", id, guest.UID, guest.Email)
		}
	})
	// The crafted tokens below differ from this one only in the claims they
	// replace: if this one verified and they do not, those claims are why.
	t.Run("crafted token of the emulator's shape verifies", func(t *testing.T) {
		tok := craft(t, guest.IDToken, map[string]any{"iat": now - 7200, "exp": now + 600})
		if id, err := v.Verify(ctx, tok); err != nil || id.UID != guest.UID {
			t.Fatalf("Verify = %+v, %v; the crafted shape no longer matches the emulator's", id, err)
		}
	})

	rejected := []struct {
		name  string
		token string
	}{
		{"garbage", "not-a-token"},
		{"empty", ""},
		{"three garbage segments", "a.b.c"},
		{"expired", craft(t, guest.IDToken, map[string]any{"iat": now - 7200, "exp": now - 3600})},
		{"issued in the future", craft(t, guest.IDToken, map[string]any{"iat": now + 3600, "exp": now + 7200})},
		{"another project's audience", craft(t, guest.IDToken, map[string]any{"aud": "demo-other"})},
		{"another project's issuer", craft(t, guest.IDToken, map[string]any{"iss": "https://securetoken.google.com/demo-other"})},
		{"another project's token", craft(t, guest.IDToken, map[string]any{"aud": "demo-other", "iss": "https://securetoken.google.com/demo-other"})},
		{"no subject", craft(t, guest.IDToken, map[string]any{"sub": ""})},
		{"user that does not exist", craft(t, guest.IDToken, map[string]any{"sub": "no-such-user", "user_id": "no-such-user"})},
	}
	for _, tt := range rejected {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			id, err := v.Verify(ctx, tt.token)
			if !apperr.Is(err, apperr.Unauthorized) {
				t.Fatalf("Verify = %+v, %v; want Unauthorized", id, err)
			}
			if e, _ := apperr.As(err); e.Message != "invalid or expired token" {
				t.Errorf("client-facing message %q says more than it should", e.Message)
			}
		})
	}

	t.Run("verifier of another project rejects this project's token", func(t *testing.T) {
		other := firebaseauth.New("demo-other")
		if _, err := other.Verify(ctx, guest.IDToken); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("err = %v, want Unauthorized", err)
		}
	})
}

func TestVerifyRolesFromCustomClaims(t *testing.T) {
	host := emulatorHost(t)
	ctx := context.Background()
	v := firebaseauth.New(project)

	tests := []struct {
		name   string
		claims map[string]any
		want   []identity.Role
	}{
		{"admin flag", map[string]any{"admin": true}, []identity.Role{identity.Admin}},
		{"organizer flag", map[string]any{"organizer": true}, []identity.Role{identity.Organizer}},
		{"roles array with an unknown role", map[string]any{"roles": []string{"organizer", "bouncer"}}, []identity.Role{identity.Organizer}},
		{"both ways", map[string]any{"admin": true, "roles": []string{"organizer"}}, []identity.Role{identity.Admin, identity.Organizer}},
		{"false flag", map[string]any{"admin": false}, nil},
		{"claims removed", nil, nil},
	}
	u := signUpEmail(t, host)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setClaims(t, host, u.UID, tt.claims)
			id, err := v.Verify(ctx, signIn(t, host, u))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(id.Roles, tt.want) {
				t.Errorf("roles = %v, want %v", id.Roles, tt.want)
			}
		})
	}
}

// Against the emulator the verifier always looks the user up, as the Admin
// SDK does there, so tokens of disabled or deleted users fail; in
// production that lookup would be a revocation check, which Verify does
// not do (see its doc).
func TestVerifyDisabledAndDeletedUsers(t *testing.T) {
	host := emulatorHost(t)
	ctx := context.Background()
	v := firebaseauth.New(project)

	disabled := signUpEmail(t, host)
	adminCall(t, host, "update", map[string]any{"localId": disabled.UID, "disableUser": true})
	if _, err := v.Verify(ctx, disabled.IDToken); !apperr.Is(err, apperr.Unauthorized) {
		t.Errorf("disabled user: err = %v, want Unauthorized", err)
	}

	deleted := signUpAnonymous(t, host)
	adminCall(t, host, "delete", map[string]any{"localId": deleted.UID})
	if _, err := v.Verify(ctx, deleted.IDToken); !apperr.Is(err, apperr.Unauthorized) {
		t.Errorf("deleted user: err = %v, want Unauthorized", err)
	}
}

// Against the emulator a token issued before its user's tokens were
// revoked ("valid since") fails, as with the Admin SDK there.
func TestVerifyRevokedTokens(t *testing.T) {
	host := emulatorHost(t)
	v := firebaseauth.New(project)
	u := signUpEmail(t, host)
	now := time.Now().Unix()
	revoked := now - 60
	adminCall(t, host, "update", map[string]any{"localId": u.UID, "validSince": strconv.FormatInt(revoked, 10)})

	tests := []struct {
		name string
		iat  int64
		ok   bool
	}{
		{"issued before the revocation", revoked - 1, false},
		{"issued in the second of the revocation", revoked, true},
		{"issued after it", now, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), craft(t, u.IDToken, map[string]any{"iat": tt.iat, "exp": now + 600}))
			if tt.ok && err != nil {
				t.Fatal(err)
			}
			if !tt.ok && !apperr.Is(err, apperr.Unauthorized) {
				t.Fatalf("err = %v, want Unauthorized", err)
			}
		})
	}
}

// When the auth backend cannot be reached the token is not the caller's
// fault: Unavailable (503), so a client retries instead of signing out.
func TestVerifyBackendUnreachable(t *testing.T) {
	host := emulatorHost(t)
	u := signUpAnonymous(t, host)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	t.Setenv(firebaseauth.EnvEmulatorHost, closed) // read by New

	v := firebaseauth.New(project)
	if _, err := v.Verify(context.Background(), u.IDToken); !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("err = %v, want Unavailable", err)
	}
}

// The verifier behind httpapi.Authenticate: what a handler sees for a real
// emulator token, and what a client sees for a token of another project.
func TestAuthenticateWithEmulator(t *testing.T) {
	host := emulatorHost(t)
	u := signUpEmail(t, host)
	h := httpapi.Authenticate(firebaseauth.New(project), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := identity.From(r.Context())
		fmt.Fprint(w, id.UID, " ", id.Email)
	}))

	req := httptest.NewRequest("GET", "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+u.IDToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if want := u.UID + " " + u.Email; rec.Code != 200 || rec.Body.String() != want {
		t.Errorf("got %d %q, want 200 %q", rec.Code, rec.Body, want)
	}

	req.Header.Set("Authorization", "Bearer "+craft(t, u.IDToken, map[string]any{"aud": "demo-other"}))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 401 || strings.Contains(rec.Body.String(), "demo-other") || strings.Contains(rec.Body.String(), "aud") {
		t.Errorf("foreign token: %d %s", rec.Code, rec.Body)
	}
}
