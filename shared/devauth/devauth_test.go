package devauth_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/devauth"
	"github.com/partyfinder/partyfinder/shared/identity"
)

var t0 = time.Date(2026, 8, 20, 18, 30, 0, 0, time.UTC)

// newAuth returns an Auth on a fresh key file in a temporary directory,
// with its clock at t0.
func newAuth(t *testing.T) *devauth.Auth {
	t.Helper()
	a, err := devauth.New(filepath.Join(t.TempDir(), ".partyfinder", devauth.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	a.Now = func() time.Time { return t0 }
	return a
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	a := newAuth(t)
	tests := []struct {
		name  string
		uid   string
		roles []identity.Role
		want  []identity.Role
	}{
		{"no roles", "alice", nil, nil},
		{"organizer", "org-7", []identity.Role{identity.Organizer}, []identity.Role{identity.Organizer}},
		{"both, in the order asked", "boss", []identity.Role{identity.Organizer, identity.Admin}, []identity.Role{identity.Organizer, identity.Admin}},
		{"repeated role once", "boss", []identity.Role{identity.Admin, identity.Admin}, []identity.Role{identity.Admin}},
		{"firebase-like uid", "PNBsaCYcd4AgO65OIgZ7v6zSorTM", nil, nil},
		{"non-ascii uid", "jürgen@köln", nil, nil},
		{"128-byte uid", strings.Repeat("u", 128), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := a.Issue(tt.uid, tt.roles, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			id, err := a.Verify(context.Background(), tok)
			if err != nil {
				t.Fatal(err)
			}
			if id.UID != tt.uid || id.Anonymous || id.Email != "" || !slices.Equal(id.Roles, tt.want) || !id.IssuedAt.Equal(t0) {
				t.Errorf("identity = %+v, want uid %q roles %v issued %v", id, tt.uid, tt.want, t0)
			}
		})
	}
}

func TestIssueRejects(t *testing.T) {
	a := newAuth(t)
	tests := []struct {
		name  string
		uid   string
		roles []identity.Role
		ttl   time.Duration
		field string
	}{
		{"empty uid", "", nil, time.Hour, "uid"},
		{"129-byte uid", strings.Repeat("u", 129), nil, time.Hour, "uid"},
		{"uid with a space", "al ice", nil, time.Hour, "uid"},
		{"uid with a newline", "alice\n", nil, time.Hour, "uid"},
		{"uid with invalid UTF-8", "al\xffice", nil, time.Hour, "uid"},
		{"unknown role", "alice", []identity.Role{"superuser"}, time.Hour, "roles"},
		{"zero ttl", "alice", nil, 0, "ttl"},
		{"negative ttl", "alice", nil, -time.Minute, "ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := a.Issue(tt.uid, tt.roles, tt.ttl)
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Fatalf("Issue = %q, %v; want Invalid on field %s", tok, err, tt.field)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	a := newAuth(t)
	good, err := a.Issue("alice", []identity.Role{identity.Organizer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding.EncodeToString

	other := newAuth(t) // another key file, so another key
	foreign, err := other.Issue("alice", nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// A signature only a holder of the key could make, over altered claims.
	forged := parts[0] + "." + enc(fmt.Appendf(nil, `{"iss":"partyfinder-dev","sub":"alice","iat":%d,"exp":%d,"roles":["admin"]}`,
		t0.Unix(), t0.Add(time.Hour).Unix()))

	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"garbage", "not-a-token"},
		{"two segments", parts[0] + "." + parts[1]},
		{"four segments", good + ".x"},
		{"signed with another key", foreign},
		{"payload altered to grant admin", forged + "." + parts[2]},
		{"signature altered", parts[0] + "." + parts[1] + "." + flip(parts[2])},
		{"signature removed", parts[0] + "." + parts[1] + "."},
		{"alg none, like an emulator token", enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."},
		{"other algorithm in the header", enc([]byte(`{"alg":"HS512","typ":"JWT","kid":"partyfinder-dev"}`)) + "." + parts[1] + "." + parts[2]},
		{"signature not base64", parts[0] + "." + parts[1] + ".!!!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := a.Verify(context.Background(), tt.token)
			if !apperr.Is(err, apperr.Unauthorized) {
				t.Fatalf("Verify = %+v, %v; want Unauthorized", id, err)
			}
			if e, _ := apperr.As(err); e.Message != "invalid or expired token" {
				t.Errorf("client-facing message %q", e.Message)
			}
		})
	}
	if _, err := a.Verify(context.Background(), good); err != nil {
		t.Errorf("the untouched token no longer verifies: %v", err)
	}
}

// flip changes the first character of a base64url string to another one.
func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestVerifyExpiry(t *testing.T) {
	a := newAuth(t)
	tok, err := a.Issue("alice", nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   time.Time
		want bool
	}{
		{t0, true},
		{t0.Add(59 * time.Minute), true},
		{t0.Add(time.Hour - time.Second), true},
		{t0.Add(time.Hour), false},
		{t0.Add(48 * time.Hour), false},
		{t0.Add(-30 * time.Second), true}, // clocks a little behind the issuer
		{t0.Add(-time.Hour), false},       // issued in the future
	}
	for _, tt := range tests {
		a.Now = func() time.Time { return tt.at }
		_, err := a.Verify(context.Background(), tok)
		if (err == nil) != tt.want {
			t.Errorf("at issue%+v: err = %v, want valid=%t", tt.at.Sub(t0), err, tt.want)
		}
		if err != nil && !apperr.Is(err, apperr.Unauthorized) {
			t.Errorf("at issue%+v: err = %v, want Unauthorized", tt.at.Sub(t0), err)
		}
	}
}

// The key is kept, so tokens survive a restart of the local server.
func TestKeyFilePersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", ".partyfinder")
	path := devauth.KeyFile(filepath.Join(dir, "partyfinder.db"))
	if path != filepath.Join(dir, "dev-auth.key") {
		t.Fatalf("KeyFile = %s", path)
	}
	first, err := devauth.New(path)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := first.Issue("alice", nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %o, want 600", perm)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key file", len(entries))
	}

	restarted, err := devauth.New(path)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := restarted.Verify(context.Background(), tok); err != nil || id.UID != "alice" {
		t.Errorf("after a restart: %+v, %v", id, err)
	}
}

func TestDamagedKeyFile(t *testing.T) {
	for name, content := range map[string]string{
		"empty":     "",
		"too short": "00112233",
		"not hex":   strings.Repeat("zz", 32),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), devauth.KeyFileName)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := devauth.New(path); err == nil || !strings.Contains(err.Error(), "delete it") {
				t.Errorf("New = %v, want an error saying what to do", err)
			}
		})
	}
}

func TestGuard(t *testing.T) {
	tests := []struct {
		addr string
		env  map[string]string
		ok   bool
	}{
		{"127.0.0.1:8080", nil, true},
		{"localhost:8080", nil, true},
		{"LOCALHOST:8080", nil, true},
		{"[::1]:8080", nil, true},
		{"127.0.0.2:0", nil, true},
		{"[::ffff:127.0.0.1]:8080", nil, true},
		{":8080", nil, false},
		{"0.0.0.0:8080", nil, false},
		{"[::]:8080", nil, false},
		{"192.168.1.20:8080", nil, false},
		{"example.com:8080", nil, false},
		{"localhost.example.com:8080", nil, false},
		{"[fe80::1%lo]:8080", nil, false},
		{"127.0.0.1", nil, false}, // no port: not an address the server can use
		{"127.0.0.1:8080", map[string]string{"K_SERVICE": "parties"}, false},
		{"127.0.0.1:8080", map[string]string{"K_REVISION": "parties-00007-xuz"}, false},
		{"127.0.0.1:8080", map[string]string{"FUNCTION_TARGET": "parties"}, false},
		{"127.0.0.1:8080", map[string]string{"GAE_ENV": "standard"}, false},
		{"127.0.0.1:8080", map[string]string{"CLOUD_RUN_JOB": "import"}, false},
		{"127.0.0.1:8080", map[string]string{"PARTYFINDER_STORE": "sqlite", "HOME": "/home/dev"}, true},
	}
	for _, tt := range tests {
		getenv := func(k string) string { return tt.env[k] }
		err := devauth.Guard(tt.addr, getenv)
		if (err == nil) != tt.ok {
			t.Errorf("Guard(%q, %v) = %v, want ok=%t", tt.addr, tt.env, err, tt.ok)
		}
	}
}

// A dev token tells when it was issued to the nanosecond, so that a token
// issued right after the user's erasure, in the same second, is told apart
// from one issued right before it. Its iat stays whole seconds, as JWT
// readers expect.
func TestIssuedAtToTheNanosecond(t *testing.T) {
	a := newAuth(t)
	at := t0.Add(123456789 * time.Nanosecond)
	a.Now = func() time.Time { return at }
	tok, err := a.Issue("alice", nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id, err := a.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if !id.IssuedAt.Equal(at) {
		t.Errorf("IssuedAt = %s, want %s", id.IssuedAt.Format(time.RFC3339Nano), at.Format(time.RFC3339Nano))
	}
	var c struct {
		IssuedAt any `json:"iat"`
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err := json.Unmarshal(payload, &c); err != nil || c.IssuedAt != float64(t0.Unix()) {
		t.Errorf("iat = %v (%v), want whole seconds %d", c.IssuedAt, err, t0.Unix())
	}
}

// Tokens signed before dev tokens told the nanosecond (the key outlives
// restarts, and tokens live a day) still verify, issued at their whole
// second. The nanoseconds refine iat, so a token re-signed with another
// iat (as a developer may, with the local key) keeps its meaning; a
// nanosecond count beyond a second is refused.
func TestVerifyIssueTimes(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), devauth.KeyFileName)
	a, err := devauth.New(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	a.Now = func() time.Time { return t0.Add(time.Minute) }
	raw, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	real, err := a.Issue("alice", nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(payload string) string {
		s := strings.Split(real, ".")[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return s + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	iat, exp := t0.Unix(), t0.Add(time.Hour).Unix()
	tests := []struct {
		name    string
		payload string
		ok      bool
		issued  time.Time
	}{
		{"whole seconds only", fmt.Sprintf(`{"iss":"partyfinder-dev","sub":"alice","iat":%d,"exp":%d}`, iat, exp), true, t0},
		{"to the nanosecond", fmt.Sprintf(`{"iss":"partyfinder-dev","sub":"alice","iat":%d,"iat_nsec":5,"exp":%d}`, iat, exp), true, t0.Add(5)},
		{"last nanosecond of the second", fmt.Sprintf(`{"iss":"partyfinder-dev","sub":"alice","iat":%d,"iat_nsec":999999999,"exp":%d}`, iat, exp), true, t0.Add(time.Second - 1)},
		{"re-signed an hour earlier", fmt.Sprintf(`{"iss":"partyfinder-dev","sub":"alice","iat":%d,"iat_nsec":5,"exp":%d}`, iat-3600, exp), true, t0.Add(-time.Hour + 5)},
		{"a whole second of nanoseconds", fmt.Sprintf(`{"iss":"partyfinder-dev","sub":"alice","iat":%d,"iat_nsec":1000000000,"exp":%d}`, iat, exp), false, time.Time{}},
		{"negative nanoseconds", fmt.Sprintf(`{"iss":"partyfinder-dev","sub":"alice","iat":%d,"iat_nsec":-1,"exp":%d}`, iat, exp), false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := a.Verify(context.Background(), sign(tt.payload))
			if (err == nil) != tt.ok {
				t.Fatalf("Verify = %+v, %v; want ok=%t", id, err, tt.ok)
			}
			if err != nil && !apperr.Is(err, apperr.Unauthorized) {
				t.Errorf("err = %v, want Unauthorized", err)
			}
			if tt.ok && !id.IssuedAt.Equal(tt.issued) {
				t.Errorf("IssuedAt = %s, want %s", id.IssuedAt.Format(time.RFC3339Nano), tt.issued.Format(time.RFC3339Nano))
			}
		})
	}
}
