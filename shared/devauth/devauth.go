// Package devauth is sign-in for the one-command local run: no Auth
// emulator, no cloud account. It issues and verifies HMAC-SHA256 signed
// tokens (JWTs with alg HS256) under a random key kept in a file beside the
// local database, so tokens survive restarts.
//
// It must never serve anything but a developer's own machine. Three things
// keep it there:
//   - Guard refuses to start it in a cloud runtime (K_SERVICE,
//     FUNCTION_TARGET… set) or on a listen address other machines can reach;
//   - the sign-in handler answers only loopback clients that were not
//     forwarded by a proxy or tunnel, and only requests addressed to
//     localhost or a loopback address from pages served there (Host and
//     Origin), so that a page whose name an attacker points at 127.0.0.1
//     (DNS rebinding) gets no token;
//   - the Cloud Run entry point (the root package) does not import this
//     package, which a test checks.
//
// Verify has no request to look at: it is used through
// httpapi.Authenticate like the Firebase verifier, and relies on the two
// checks above (why the Host and Origin rules are not needed there: see
// refusal in signin.go). Its tokens are worthless elsewhere, since the key never
// leaves the machine and the Firebase verifier rejects them (issuer,
// audience, algorithm).
package devauth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// Issuer is the iss claim of every dev token; the Firebase verifier
// rejects it.
const Issuer = "partyfinder-dev"

// DefaultTTL is how long a token from the sign-in handler lives. Longer
// than Firebase's hour, so a frontend under development is not signed out
// while someone works on it.
const DefaultTTL = 24 * time.Hour

// KeyFileName is the key file's name beside the local database.
const KeyFileName = "dev-auth.key"

// KeyFile returns where the key of the local database at dbPath lives.
func KeyFile(dbPath string) string { return filepath.Join(filepath.Dir(dbPath), KeyFileName) }

// keySize is the HMAC key length: the SHA-256 block is 64 bytes, its
// output 32; 32 random bytes are what RFC 7518 asks for HS256.
const keySize = 32

// Auth issues and verifies dev tokens.
type Auth struct {
	key []byte
	// Now is the clock for issue and expiry times; tests replace it.
	Now func() time.Time
}

// New returns an Auth whose key is read from keyFile, or made and written
// there (mode 0600, directory created) when the file does not exist yet.
func New(keyFile string) (*Auth, error) {
	key, err := loadKey(keyFile)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKey(keyFile)
	}
	if err != nil {
		return nil, err
	}
	return &Auth{key: key, Now: time.Now}, nil
}

func loadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read dev auth key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != keySize {
		return nil, fmt.Errorf("dev auth key %s is not %d hex-encoded bytes: delete it and a new one is made (signed-in dev users sign in again)", path, keySize)
	}
	return key, nil
}

// createKey writes a new key so that it appears complete or not at all:
// written to a temporary file, then linked into place, which fails rather
// than overwrites when another process made one first (its key wins).
func createKey(path string) ([]byte, error) {
	key := make([]byte, keySize)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create dev auth key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".dev-auth-*.tmp") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("create dev auth key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write dev auth key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return loadKey(path)
		}
		return nil, fmt.Errorf("write dev auth key: %w", err)
	}
	return key, nil
}

// header is the fixed JOSE header of every dev token.
var header = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"` + Issuer + `"}`))

// claims is the payload of a dev token. Field names follow JWT and Firebase
// where they mean the same.
//
// IssuedAtNsec is the nanoseconds of the issue time past iat (0 to
// 999,999,999); iat stays whole seconds, as JWT readers expect. The erasure
// gate needs them: a user who erases their data and signs in again within
// the same second must get a token that counts as issued after the
// erasure, while the one they erased with, maybe from that second too,
// must not. Whole seconds cannot tell the two apart. A token without them
// (signed before they existed) counts from its whole second, which the
// gate reads as "maybe before".
type claims struct {
	Issuer       string          `json:"iss"`
	Subject      string          `json:"sub"`
	IssuedAt     int64           `json:"iat"`
	IssuedAtNsec int64           `json:"iat_nsec,omitempty"`
	Expires      int64           `json:"exp"`
	Anonymous    bool            `json:"anonymous,omitempty"`
	Roles        []identity.Role `json:"roles,omitempty"`
}

// issuedAt returns when the token was issued, as precisely as it says.
func (c claims) issuedAt() time.Time {
	return time.Unix(c.IssuedAt, c.IssuedAtNsec).UTC()
}

// Issue returns a signed token for uid with the given roles, valid for ttl.
// It returns an apperr Invalid error for an unusable uid (empty, longer than
// 128 bytes as in Firebase, or with spaces or control characters), an
// unknown role or a ttl that is not positive.
func (a *Auth) Issue(uid string, roles []identity.Role, ttl time.Duration) (string, error) {
	return a.issue(uid, false, roles, ttl)
}

func (a *Auth) issue(uid string, anonymous bool, roles []identity.Role, ttl time.Duration) (string, error) {
	if err := checkUID(uid); err != nil {
		return "", err
	}
	for _, r := range roles {
		if !known(r) {
			return "", apperr.Field("roles", "oneof", fmt.Sprintf("unknown role %q: want admin or organizer", r))
		}
	}
	if ttl <= 0 {
		return "", apperr.Field("ttl", "min", "must be positive")
	}
	now := a.Now()
	c := claims{Issuer: Issuer, Subject: uid, IssuedAt: now.Unix(), IssuedAtNsec: int64(now.Nanosecond()),
		Expires: now.Add(ttl).Unix(), Anonymous: anonymous, Roles: dedupe(roles)}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("issue dev token: %w", err)
	}
	signed := header + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signed + "." + base64.RawURLEncoding.EncodeToString(a.sign(signed)), nil
}

func (a *Auth) sign(s string) []byte {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// errInvalid is what callers see for a token that does not verify.
var errInvalid = apperr.New(apperr.Unauthorized, "invalid or expired token")

// Verify checks token's signature, issuer and expiry and returns its
// identity. Every failure is an apperr Unauthorized error with the reason
// wrapped for the logs. Unknown roles in a token are ignored, as the
// Firebase verifier does.
func (a *Auth) Verify(_ context.Context, token string) (identity.Identity, error) {
	c, err := a.verify(token)
	if err != nil {
		return identity.Identity{}, fmt.Errorf("verify dev token: %w: %w", errInvalid, err)
	}
	id := identity.Identity{UID: c.Subject, Anonymous: c.Anonymous, IssuedAt: c.issuedAt()}
	for _, r := range c.Roles {
		if known(r) && !slices.Contains(id.Roles, r) {
			id.Roles = append(id.Roles, r)
		}
	}
	return id, nil
}

func (a *Auth) verify(token string) (claims, error) {
	var c claims
	h, rest, ok1 := strings.Cut(token, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sig, ".") {
		return c, errors.New("not a JWT")
	}
	// The header is fixed, so comparing it replaces parsing it: no
	// algorithm is ever taken from the token.
	if h != header {
		return c, errors.New("not a dev token header")
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, a.sign(h+"."+payload)) {
		return c, errors.New("bad signature (another key, or altered)")
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return c, fmt.Errorf("payload: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("payload: %w", err)
	}
	now := a.Now().Unix()
	switch {
	case c.Issuer != Issuer:
		return c, fmt.Errorf("issuer %q", c.Issuer)
	case checkUID(c.Subject) != nil:
		return c, fmt.Errorf("subject %q", c.Subject)
	case now >= c.Expires:
		return c, fmt.Errorf("expired at %s", time.Unix(c.Expires, 0).UTC().Format(time.RFC3339))
	case c.IssuedAt > now+60:
		return c, fmt.Errorf("issued in the future at %d", c.IssuedAt)
	case c.IssuedAtNsec < 0 || c.IssuedAtNsec >= int64(time.Second):
		return c, fmt.Errorf("iat_nsec %d is not within a second", c.IssuedAtNsec)
	}
	return c, nil
}

// checkUID accepts what Firebase accepts as a uid, less whitespace and
// control characters, which would only cause trouble in logs and URLs.
func checkUID(uid string) error {
	if uid == "" || len(uid) > 128 {
		return apperr.Field("uid", "length", "must be 1 to 128 bytes")
	}
	if strings.ContainsFunc(uid, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar }) {
		return apperr.Field("uid", "format", "must not contain spaces or control characters")
	}
	return nil
}

func known(r identity.Role) bool { return slices.Contains(identity.Roles, r) }

func dedupe(roles []identity.Role) []identity.Role {
	var out []identity.Role
	for _, r := range roles {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}
