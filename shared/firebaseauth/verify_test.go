package firebaseauth_test

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/firebaseauth"
)

// signer is a key of the test's own Google: it signs tokens and publishes
// its certificate.
type signer struct {
	kid  string
	key  *rsa.PrivateKey
	cert string // PEM
}

func newSigner(t testing.TB, kid string) signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "securetoken.system.gserviceaccount.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return signer{kid: kid, key: key, cert: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

var enc = base64.RawURLEncoding.EncodeToString

func segment(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return enc(b)
}

// sign makes an RS256 token of header and claims, signed by s.
func (s signer) sign(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	signed := segment(t, header) + "." + segment(t, claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + enc(sig)
}

// keyServer is the test's certificate endpoint: it publishes its signers'
// certificates with a max-age, counts the fetches, and fails on request.
type keyServer struct {
	*httptest.Server
	mu      sync.Mutex
	signers []signer
	maxAge  int
	fail    bool
	fetches atomic.Int32
	hold    chan struct{} // when set, a fetch waits for it to close
	lookups func(w http.ResponseWriter, r *http.Request)
}

func newKeyServer(t testing.TB, maxAge int, signers ...signer) *keyServer {
	ks := &keyServer{signers: signers, maxAge: maxAge}
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/accounts:lookup") && ks.lookups != nil {
			ks.lookups(w, r)
			return
		}
		ks.fetches.Add(1)
		ks.mu.Lock()
		hold, fail, maxAge := ks.hold, ks.fail, ks.maxAge
		certs := map[string]string{}
		for _, s := range ks.signers {
			certs[s.kid] = s.cert
		}
		ks.mu.Unlock()
		if hold != nil {
			<-hold
		}
		if fail {
			http.Error(w, "backend error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d, must-revalidate, no-transform", maxAge))
		_ = json.NewEncoder(w).Encode(certs)
	}))
	t.Cleanup(ks.Close)
	return ks
}

// publish replaces the published keys and their max-age, as Google does
// when it rotates them.
func (ks *keyServer) publish(maxAge int, signers ...signer) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.signers, ks.maxAge = signers, maxAge
}

func (ks *keyServer) failing(fail bool) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.fail = fail
}

// clock is a settable time for the verifier.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// start is the tests' now: whole seconds, like the times in a token.
var start = time.Date(2026, 8, 20, 12, 0, 0, 0, time.UTC)

// verifier returns a verifier for project fetching keys from ks, on clk.
func verifier(t testing.TB, ks *keyServer, clk *clock) *firebaseauth.Verifier {
	t.Helper()
	t.Setenv(firebaseauth.EnvEmulatorHost, "")
	v := firebaseauth.New(project)
	v.KeysURL, v.Client, v.Now = ks.URL, ks.Client(), clk.Now
	return v
}

// claims are those of a good ID token of project issued at now.
func claims(now time.Time) map[string]any {
	return map[string]any{
		"iss":       "https://securetoken.google.com/" + project,
		"aud":       project,
		"auth_time": now.Add(-10 * time.Minute).Unix(),
		"user_id":   "u1",
		"sub":       "u1",
		"iat":       now.Add(-time.Minute).Unix(),
		"exp":       now.Add(59 * time.Minute).Unix(),
		"email":     "a@b.de",
		"firebase":  map[string]any{"identities": map[string]any{}, "sign_in_provider": "password"},
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// checkRefused checks err refuses a token as a client sees it: 401 and
// a message that says nothing of why, and no part of the token in the
// wrapped cause that goes to the logs.
func checkRefused(t *testing.T, err error, tok string) {
	t.Helper()
	if !apperr.Is(err, apperr.Unauthorized) {
		t.Fatalf("err = %v, want Unauthorized", err)
	}
	if e, _ := apperr.As(err); e.Message != "invalid or expired token" {
		t.Errorf("client-facing message %q says more than it should", e.Message)
	}
	for _, part := range strings.Split(tok, ".") {
		if len(part) > 8 && strings.Contains(err.Error(), part) {
			t.Errorf("the error %q carries part of the token", err)
		}
	}
}

// Each refused token differs from the accepted control only in what its
// name says, so each refusal is for that reason: a verifier that skips the
// check accepts it.
func TestVerifyChecksEveryRule(t *testing.T) {
	key := newSigner(t, "key-1")
	ks := newKeyServer(t, 3600, key, newSigner(t, "key-2"))
	clk := &clock{now: start}
	v := verifier(t, ks, clk)
	now := start
	good := claims(now)
	rs256 := map[string]any{"alg": "RS256", "kid": key.kid, "typ": "JWT"}
	unpublished := newSigner(t, key.kid) // same kid, a key Google never published

	// The classic confusion attack: HS256 keyed with the public key, for a
	// verifier that takes the algorithm from the token.
	hs256 := func(secret []byte) string {
		signed := segment(t, with(rs256, "alg", "HS256")) + "." + segment(t, good)
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(signed))
		return signed + "." + enc(m.Sum(nil))
	}
	der, err := x509.MarshalPKIXPublicKey(&key.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tampered := func() string {
		// A real signature over other claims.
		parts := strings.Split(key.sign(t, rs256, good), ".")
		return parts[0] + "." + segment(t, with(good, "admin", true)) + "." + parts[2]
	}

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"a good token (the control)", key.sign(t, rs256, good), true},
		{"signed by a key Google did not publish", unpublished.sign(t, rs256, good), false},
		{"claims changed after signing", tampered(), false},
		{"no signature", strings.TrimRight(key.sign(t, rs256, good), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"), false},
		{"signed by another published key than its kid names", key.sign(t, with(rs256, "kid", "key-2"), good), false},
		{"unknown kid", key.sign(t, with(rs256, "kid", "key-9"), good), false},
		{"no kid", key.sign(t, with(rs256, "kid", nil), good), false},
		{"alg none", segment(t, map[string]any{"alg": "none", "typ": "JWT"}) + "." + segment(t, good) + ".", false},
		{"alg none with a kid", segment(t, with(rs256, "alg", "none")) + "." + segment(t, good) + ".", false},
		{"alg HS256 keyed with the published certificate", hs256([]byte(key.cert)), false},
		{"alg HS256 keyed with the public key", hs256(der), false},
		{"alg RS512 label on an RS256 signature", key.sign(t, with(rs256, "alg", "RS512"), good), false},
		{"another project's audience", key.sign(t, rs256, with(good, "aud", "demo-other")), false},
		{"audience as a list", key.sign(t, rs256, with(good, "aud", []string{project})), false},
		{"no audience", key.sign(t, rs256, with(good, "aud", nil)), false},
		{"another project's issuer", key.sign(t, rs256, with(good, "iss", "https://securetoken.google.com/demo-other")), false},
		{"issuer of session cookies", key.sign(t, rs256, with(good, "iss", "https://session.firebase.google.com/"+project)), false},
		{"no issuer", key.sign(t, rs256, with(good, "iss", nil)), false},
		{"another project's token", key.sign(t, rs256, with(good, "aud", "demo-other", "iss", "https://securetoken.google.com/demo-other")), false},
		{"expired beyond the clock skew", key.sign(t, rs256, with(good, "exp", now.Add(-5*time.Minute-time.Second).Unix())), false},
		{"expired within the clock skew", key.sign(t, rs256, with(good, "exp", now.Add(-5*time.Minute).Unix())), true},
		{"no expiry", key.sign(t, rs256, with(good, "exp", nil)), false},
		{"issued in the future", key.sign(t, rs256, with(good, "iat", now.Add(5*time.Minute+time.Second).Unix())), false},
		{"issued within the clock skew", key.sign(t, rs256, with(good, "iat", now.Add(5*time.Minute).Unix())), true},
		{"authenticated in the future", key.sign(t, rs256, with(good, "auth_time", now.Add(5*time.Minute+time.Second).Unix())), false},
		{"no auth_time", key.sign(t, rs256, with(good, "auth_time", nil)), false},
		{"no subject", key.sign(t, rs256, with(good, "sub", nil)), false},
		{"empty subject", key.sign(t, rs256, with(good, "sub", "")), false},
		{"subject of 128 characters", key.sign(t, rs256, with(good, "sub", strings.Repeat("u", 128))), true},
		{"subject of 129 characters", key.sign(t, rs256, with(good, "sub", strings.Repeat("u", 129))), false},
		{"subject not a string", key.sign(t, rs256, with(good, "sub", 7)), false},
		{"two segments", strings.Join(strings.Split(key.sign(t, rs256, good), ".")[:2], "."), false},
		{"padded base64", strings.Replace(key.sign(t, rs256, good), ".", "=.", 1), false},
		{"garbage", "not-a-token", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := v.Verify(context.Background(), tt.token)
			if tt.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify accepted it: %+v", id)
			}
			checkRefused(t, err, tt.token)
		})
	}
	if n := ks.fetches.Load(); n != 1 {
		t.Errorf("%d fetches of the keys, want 1: they are cached for their max-age", n)
	}
}

// Google rotates its keys: a verifier keeps the keys it has for their
// max-age, then fetches the new ones, and a token of a retired key fails.
func TestVerifyAfterKeyRotation(t *testing.T) {
	old, next := newSigner(t, "old"), newSigner(t, "next")
	ks := newKeyServer(t, 3600, old)
	clk := &clock{now: start}
	v := verifier(t, ks, clk)
	ctx := context.Background()
	tokenOf := func(s signer) string {
		return s.sign(t, map[string]any{"alg": "RS256", "kid": s.kid}, claims(clk.Now()))
	}

	if _, err := v.Verify(ctx, tokenOf(old)); err != nil {
		t.Fatalf("before the rotation: %v", err)
	}
	// Google publishes the next key with a shorter max-age. Until the
	// cached keys expire the verifier does not know it.
	ks.publish(60, next)
	clk.Add(59 * time.Minute)
	if _, err := v.Verify(ctx, tokenOf(next)); !apperr.Is(err, apperr.Unauthorized) {
		t.Fatalf("a key not yet fetched: err = %v, want Unauthorized", err)
	}
	if _, err := v.Verify(ctx, tokenOf(old)); err != nil {
		t.Fatalf("the cached key within its max-age: %v", err)
	}
	clk.Add(time.Minute + time.Second)
	if _, err := v.Verify(ctx, tokenOf(next)); err != nil {
		t.Fatalf("the new key after the cache expired: %v", err)
	}
	checkRefused(t, func() error { _, err := v.Verify(ctx, tokenOf(old)); return err }(), "")
	if n := ks.fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
	// The new max-age (60 s) holds from the second fetch.
	clk.Add(61 * time.Second)
	if _, err := v.Verify(ctx, tokenOf(next)); err != nil {
		t.Fatal(err)
	}
	if n := ks.fetches.Load(); n != 3 {
		t.Errorf("%d fetches after the shorter max-age ran out, want 3", n)
	}
}

// Requests that need the keys while they are being fetched wait for that
// one fetch instead of each making its own.
func TestConcurrentRequestsShareOneFetch(t *testing.T) {
	key := newSigner(t, "k")
	ks := newKeyServer(t, 3600, key)
	hold := make(chan struct{})
	ks.hold = hold
	v := verifier(t, ks, &clock{now: start})
	tok := key.sign(t, map[string]any{"alg": "RS256", "kid": "k"}, claims(start))

	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() { _, err := v.Verify(context.Background(), tok); errs <- err }()
	}
	// Give the requests time to pile up behind the held fetch; a verifier
	// that fetched per request would have made more than one by now.
	for ks.fetches.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	close(hold)
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := ks.fetches.Load(); got != 1 {
		t.Errorf("%d fetches for %d concurrent requests, want 1", got, n)
	}
}

// When the keys cannot be fetched no token passes, and the client is told
// to retry (503), not to sign in again (401). The failure is remembered
// for a few seconds, so an outage is not a fetch per request; then the
// keys are fetched again and tokens verify.
func TestKeysUnavailable(t *testing.T) {
	key := newSigner(t, "k")
	ks := newKeyServer(t, 60, key)
	ks.failing(true)
	clk := &clock{now: start}
	v := verifier(t, ks, clk)
	ctx := context.Background()
	tok := func() string { return key.sign(t, map[string]any{"alg": "RS256", "kid": "k"}, claims(clk.Now())) }

	if _, err := v.Verify(ctx, tok()); !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("key server failing: err = %v, want Unavailable", err)
	}
	ks.failing(false)
	clk.Add(4 * time.Second)
	if _, err := v.Verify(ctx, tok()); !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("within the backoff: err = %v, want the remembered Unavailable", err)
	}
	if n := ks.fetches.Load(); n != 1 {
		t.Errorf("%d fetches within the backoff, want 1", n)
	}
	// A malformed token is still the caller's fault, keys or not.
	if _, err := v.Verify(ctx, "x.y.z"); !apperr.Is(err, apperr.Unauthorized) {
		t.Errorf("malformed token during the outage: err = %v, want Unauthorized", err)
	}
	clk.Add(2 * time.Second)
	if _, err := v.Verify(ctx, tok()); err != nil {
		t.Fatalf("after the backoff: %v", err)
	}
	// Expired keys are not used when their refetch fails.
	ks.failing(true)
	clk.Add(61 * time.Second)
	if _, err := v.Verify(ctx, tok()); !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("keys expired and refetch failing: err = %v, want Unavailable", err)
	}
}

// An unreachable key server, and one that answers something that is not
// certificates, are Unavailable too.
func TestKeysUnreachableOrBroken(t *testing.T) {
	key := newSigner(t, "k")
	tok := key.sign(t, map[string]any{"alg": "RS256", "kid": "k"}, claims(start))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/certs"
	ln.Close()

	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"k":"not a certificate"}`)
	}))
	defer broken.Close()

	for name, url := range map[string]string{"unreachable": closed, "not certificates": broken.URL} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(firebaseauth.EnvEmulatorHost, "")
			v := firebaseauth.New(project)
			v.KeysURL, v.Now = url, func() time.Time { return start }
			if _, err := v.Verify(context.Background(), tok); !apperr.Is(err, apperr.Unavailable) {
				t.Fatalf("err = %v, want Unavailable", err)
			}
		})
	}
}

// The emulator's tokens are unsigned (alg "none"). They pass only where
// FIREBASE_AUTH_EMULATOR_HOST says the emulator issues them, and then only
// for a user the emulator knows.
func TestUnsignedTokensOnlyWithTheEmulator(t *testing.T) {
	ks := newKeyServer(t, 3600, newSigner(t, "k"))
	ks.lookups = func(w http.ResponseWriter, r *http.Request) {
		var q struct{ LocalID []string }
		_ = json.NewDecoder(r.Body).Decode(&q)
		if r.Header.Get("Authorization") != "Bearer owner" || len(q.LocalID) != 1 || q.LocalID[0] != "u1" {
			fmt.Fprint(w, `{"kind":"identitytoolkit#GetAccountInfoResponse"}`)
			return
		}
		fmt.Fprint(w, `{"users":[{"localId":"u1","validSince":"1"}]}`)
	}
	unsigned := segment(t, map[string]any{"alg": "none", "typ": "JWT"}) + "." + segment(t, claims(start)) + "."

	t.Setenv(firebaseauth.EnvEmulatorHost, "")
	v := firebaseauth.New(project)
	v.KeysURL, v.Client, v.Now = ks.URL, ks.Client(), func() time.Time { return start }
	_, err := v.Verify(context.Background(), unsigned)
	checkRefused(t, err, unsigned)

	t.Setenv(firebaseauth.EnvEmulatorHost, strings.TrimPrefix(ks.URL, "http://"))
	v = firebaseauth.New(project)
	v.Now = func() time.Time { return start }
	if id, err := v.Verify(context.Background(), unsigned); err != nil || id.UID != "u1" || id.Email != "a@b.de" {
		t.Fatalf("with the emulator: %+v, %v", id, err)
	}
	other := segment(t, map[string]any{"alg": "none"}) + "." + segment(t, with(claims(start), "sub", "u2")) + "."
	_, err = v.Verify(context.Background(), other)
	checkRefused(t, err, other)
}

// A verifier that cannot tell which project's tokens to accept is a setup
// problem (503 and a logged hint), not every caller's fault (401).
func TestNoProjectIsUnavailable(t *testing.T) {
	t.Setenv(firebaseauth.EnvEmulatorHost, "")
	t.Setenv("GOOGLE_CLOUD_PROJECT", "")
	t.Setenv("GCLOUD_PROJECT", "")
	_, err := firebaseauth.New("").Verify(context.Background(), "x.y.z")
	if !apperr.Is(err, apperr.Unavailable) || !strings.Contains(err.Error(), "project") {
		t.Fatalf("err = %v, want Unavailable for the missing project id", err)
	}
	var e *apperr.Error
	if !errors.As(err, &e) || strings.Contains(e.Message, "GOOGLE_CLOUD_PROJECT") {
		t.Errorf("client-facing message %q", e.Message)
	}
}

// The project id comes from GOOGLE_CLOUD_PROJECT when not given.
func TestProjectFromEnvironment(t *testing.T) {
	key := newSigner(t, "k")
	ks := newKeyServer(t, 3600, key)
	t.Setenv(firebaseauth.EnvEmulatorHost, "")
	t.Setenv("GOOGLE_CLOUD_PROJECT", project)
	v := firebaseauth.New("")
	v.KeysURL, v.Client, v.Now = ks.URL, ks.Client(), func() time.Time { return start }
	if _, err := v.Verify(context.Background(), key.sign(t, map[string]any{"alg": "RS256", "kid": "k"}, claims(start))); err != nil {
		t.Fatal(err)
	}
}

// However long a response says its keys may be cached, they are fetched
// again after a day: a mistyped max-age must not pin a retired key.
func TestKeysCachedAtMostADay(t *testing.T) {
	old, next := newSigner(t, "old"), newSigner(t, "next")
	ks := newKeyServer(t, 30*24*3600, old)
	clk := &clock{now: start}
	v := verifier(t, ks, clk)
	tokenOf := func(s signer) string {
		return s.sign(t, map[string]any{"alg": "RS256", "kid": s.kid}, claims(clk.Now()))
	}
	if _, err := v.Verify(context.Background(), tokenOf(old)); err != nil {
		t.Fatal(err)
	}
	ks.publish(3600, next)
	clk.Add(24*time.Hour + time.Second)
	if _, err := v.Verify(context.Background(), tokenOf(next)); err != nil {
		t.Fatalf("a day later: %v", err)
	}
	_, err := v.Verify(context.Background(), tokenOf(old))
	checkRefused(t, err, "")
}

// BenchmarkVerify is the cost of one verification once the keys are
// cached: decoding, the claim checks and one RSA-2048 signature check.
func BenchmarkVerify(b *testing.B) {
	key := newSigner(b, "k")
	ks := newKeyServer(b, 3600, key)
	b.Setenv(firebaseauth.EnvEmulatorHost, "")
	v := firebaseauth.New(project)
	v.KeysURL, v.Client, v.Now = ks.URL, ks.Client(), func() time.Time { return start }
	tok := key.sign(b, map[string]any{"alg": "RS256", "kid": "k"}, with(claims(start), "roles", []string{"organizer"}))
	ctx := context.Background()
	if _, err := v.Verify(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
