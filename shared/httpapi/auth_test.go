package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// verifierFunc adapts a function to httpapi.Verifier.
type verifierFunc func(ctx context.Context, token string) (identity.Identity, error)

func (f verifierFunc) Verify(ctx context.Context, token string) (identity.Identity, error) {
	return f(ctx, token)
}

// tokens is a verifier that knows a fixed set of tokens and records what it
// was asked.
type tokens struct {
	known map[string]identity.Identity
	err   error // returned for every unknown token; nil means a plain rejection
	asked []string
}

func (k *tokens) Verify(_ context.Context, token string) (identity.Identity, error) {
	k.asked = append(k.asked, token)
	if id, ok := k.known[token]; ok {
		return id, nil
	}
	if k.err != nil {
		return identity.Identity{}, k.err
	}
	return identity.Identity{}, fmt.Errorf("verify: %w", apperr.New(apperr.Unauthorized, "token signed by kid 7f3a has expired at 1700000000"))
}

// whoami answers with the caller's uid and roles, as a handler behind
// Authenticate sees them.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	id, ok := identity.From(r.Context())
	if !ok {
		http.Error(w, "no identity", http.StatusTeapot)
		return
	}
	roles := make([]string, len(id.Roles))
	for i, role := range id.Roles {
		roles[i] = string(role)
	}
	fmt.Fprintf(w, "%s anonymous=%t roles=%s", id.UID, id.Anonymous, strings.Join(roles, ","))
})

func TestAuthenticate(t *testing.T) {
	alice := identity.Identity{UID: "alice", Email: "alice@example.com", Roles: []identity.Role{identity.Organizer}}
	anon := identity.Identity{UID: "x7Yq", Anonymous: true}
	const (
		missing = `Bearer realm="partyfinder"`
		invalid = `Bearer realm="partyfinder", error="invalid_token"`
	)
	tests := []struct {
		name          string
		header        []string // Authorization values; nil means none
		wantStatus    int
		wantBody      string // for 200
		wantDetail    string // for problems
		wantChallenge string // WWW-Authenticate; "" means absent
		wantAsked     []string
	}{
		{name: "valid token", header: []string{"Bearer tok-alice"}, wantStatus: 200,
			wantBody: "alice anonymous=false roles=organizer", wantAsked: []string{"tok-alice"}},
		{name: "anonymous user is a user", header: []string{"Bearer tok-anon"}, wantStatus: 200,
			wantBody: "x7Yq anonymous=true roles=", wantAsked: []string{"tok-anon"}},
		{name: "scheme is case-insensitive", header: []string{"bEARer tok-alice"}, wantStatus: 200,
			wantBody: "alice anonymous=false roles=organizer", wantAsked: []string{"tok-alice"}},
		{name: "surrounding spaces trimmed", header: []string{"  Bearer    tok-alice  "}, wantStatus: 200,
			wantBody: "alice anonymous=false roles=organizer", wantAsked: []string{"tok-alice"}},
		{name: "no header", wantStatus: 401, wantDetail: "missing bearer token", wantChallenge: missing},
		{name: "empty header", header: []string{""}, wantStatus: 401, wantDetail: "missing bearer token", wantChallenge: missing},
		{name: "scheme without token", header: []string{"Bearer"}, wantStatus: 401, wantDetail: "missing bearer token", wantChallenge: missing},
		{name: "scheme with blank token", header: []string{"Bearer   "}, wantStatus: 401, wantDetail: "missing bearer token", wantChallenge: missing},
		{name: "other scheme", header: []string{"Basic YWxpY2U6c2VjcmV0"}, wantStatus: 401, wantDetail: "missing bearer token", wantChallenge: missing},
		{name: "token without scheme", header: []string{"tok-alice"}, wantStatus: 401, wantDetail: "missing bearer token", wantChallenge: missing},
		{name: "two words after the scheme", header: []string{"Bearer tok-alice tok-anon"}, wantStatus: 401, wantDetail: "missing bearer token", wantChallenge: missing},
		{name: "unknown token", header: []string{"Bearer forged"}, wantStatus: 401,
			wantDetail: "invalid or expired token", wantChallenge: invalid, wantAsked: []string{"forged"}},
		{name: "oversized token never reaches the verifier", header: []string{"Bearer " + strings.Repeat("a", 9000)}, wantStatus: 401,
			wantDetail: "invalid or expired token", wantChallenge: invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			captureLogs(t, slog.LevelInfo)
			v := &tokens{known: map[string]identity.Identity{"tok-alice": alice, "tok-anon": anon}}
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/api/me/saves", nil)
			for _, h := range tt.header {
				req.Header.Add("Authorization", h)
			}
			httpapi.Authenticate(v, whoami).ServeHTTP(rec, req)

			if tt.wantStatus == 200 {
				if rec.Code != 200 || rec.Body.String() != tt.wantBody {
					t.Errorf("got %d %q, want 200 %q", rec.Code, rec.Body, tt.wantBody)
				}
			} else {
				p := decodeProblem(t, rec, tt.wantStatus)
				if *p.Detail != tt.wantDetail || *p.Code != "unauthorized" {
					t.Errorf("detail %q code %q, want %q unauthorized", *p.Detail, *p.Code, tt.wantDetail)
				}
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantChallenge)
			}
			if !slices.Equal(v.asked, tt.wantAsked) {
				t.Errorf("verifier asked %q, want %q", v.asked, tt.wantAsked)
			}
		})
	}
}

// A verifier's reasons (key ids, expiry times, backend addresses) go to the
// log, never into the response.
func TestAuthenticateVerifierFailures(t *testing.T) {
	secret := "dial tcp 10.1.2.3:443: identitytoolkit refused"
	tests := []struct {
		name          string
		err           error
		wantStatus    int
		wantCode      string
		wantDetail    string
		wantChallenge string
		wantRetry     bool
	}{
		{"rejected token", fmt.Errorf("verify: %w: %s", apperr.New(apperr.Unauthorized, "kid 7f3a unknown"), secret),
			401, "unauthorized", "invalid or expired token", `Bearer realm="partyfinder", error="invalid_token"`, false},
		{"plain error counts as rejection", errors.New(secret),
			401, "unauthorized", "invalid or expired token", `Bearer realm="partyfinder", error="invalid_token"`, false},
		{"auth backend down", fmt.Errorf("verify: %w: %s", apperr.New(apperr.Unavailable, "certificates unreachable"), secret),
			503, "unavailable", "sign-in is temporarily unavailable", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := captureLogs(t, slog.LevelInfo)
			v := &tokens{err: tt.err}
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("POST", "/api/me/saves", nil)
			req.Header.Set("Authorization", "Bearer some-token")
			httpapi.Authenticate(v, whoami).ServeHTTP(rec, req)

			p := decodeProblem(t, rec, tt.wantStatus)
			if *p.Code != tt.wantCode || *p.Detail != tt.wantDetail {
				t.Errorf("code %q detail %q, want %q %q", *p.Code, *p.Detail, tt.wantCode, tt.wantDetail)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantChallenge)
			}
			if got := rec.Header().Get("Retry-After") != ""; got != tt.wantRetry {
				t.Errorf("Retry-After = %q", rec.Header().Get("Retry-After"))
			}
			body := rec.Body.String()
			for _, leak := range []string{"10.1.2.3", "kid", "certificates", "identitytoolkit"} {
				if strings.Contains(body, leak) {
					t.Errorf("body leaks %q: %s", leak, body)
				}
			}
			if !strings.Contains(logs.String(), "10.1.2.3") {
				t.Errorf("the cause is not logged: %s", logs)
			}
		})
	}
}

func TestAuthenticateRejectsIdentityWithoutUID(t *testing.T) {
	captureLogs(t, slog.LevelInfo)
	v := verifierFunc(func(context.Context, string) (identity.Identity, error) {
		return identity.Identity{Email: "ghost@example.com"}, nil
	})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/me/saves", nil)
	req.Header.Set("Authorization", "Bearer t")
	httpapi.Authenticate(v, whoami).ServeHTTP(rec, req)
	decodeProblem(t, rec, http.StatusInternalServerError)
}

// The verifier sees the request's context, so its deadline and trace apply.
func TestAuthenticatePassesRequestContext(t *testing.T) {
	type key struct{}
	var got any
	v := verifierFunc(func(ctx context.Context, _ string) (identity.Identity, error) {
		got = ctx.Value(key{})
		return identity.Identity{UID: "u"}, nil
	})
	req := httptest.NewRequest("GET", "/", nil).WithContext(context.WithValue(context.Background(), key{}, "trace-1"))
	req.Header.Set("Authorization", "Bearer t")
	rec := httptest.NewRecorder()
	httpapi.Authenticate(v, whoami).ServeHTTP(rec, req)
	if rec.Code != 200 || got != "trace-1" {
		t.Errorf("status %d, verifier saw context value %v", rec.Code, got)
	}
}

func TestAuthenticateLetsPreflightsThrough(t *testing.T) {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodGet, "/api/me", func(w http.ResponseWriter, r *http.Request) { t.Error("handler reached by OPTIONS") })
	h := httpapi.Authenticate(verifierFunc(func(context.Context, string) (identity.Identity, error) {
		t.Error("a preflight was verified")
		return identity.Identity{}, nil
	}), rt)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodOptions, "/api/me", nil))
	if rec.Code != http.StatusNoContent || rec.Header().Get("Allow") == "" {
		t.Errorf("OPTIONS = %d Allow %q, want 204 with the path's methods", rec.Code, rec.Header().Get("Allow"))
	}
}

// Identify lets anonymous requests through without an identity and holds
// a request that carries a token to the same checks as Authenticate.
func TestIdentify(t *testing.T) {
	v := &tokens{known: map[string]identity.Identity{"tok-alice": {UID: "alice"}}}
	who := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := identity.From(r.Context())
		fmt.Fprintf(w, "%s %t", id.UID, ok)
	})
	tests := []struct {
		name       string
		header     string
		wantStatus int
		wantBody   string
	}{
		{"no header: anonymous", "", 200, " false"},
		{"valid token", "Bearer tok-alice", 200, "alice true"},
		{"bad token is refused, not ignored", "Bearer forged", 401, ""},
		{"malformed header is refused", "Basic YWxpY2U6c2VjcmV0", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			captureLogs(t, slog.LevelInfo)
			req := httptest.NewRequest("POST", "/api/analytics/events", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			httpapi.Identify(v, who).ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus || tt.wantStatus == 200 && rec.Body.String() != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

// Each signed-in user has a bucket of their own; anonymous callers share
// one; beyond it the answer is 429 with Retry-After.
func TestRateLimit(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := httpapi.RateLimit(httpapi.Limit{Rate: 0.001, Burst: 2}, httpapi.Limit{Rate: 0.001, Burst: 3}, ok)
	send := func(uid string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/analytics/events", nil)
		if uid != "" {
			req = req.WithContext(identity.With(req.Context(), identity.Identity{UID: uid}))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	captureLogs(t, slog.LevelInfo)
	for i, tc := range []struct {
		uid  string
		want int
	}{
		{"ada", 204}, {"ada", 204}, {"ada", 429}, // ada's burst is spent
		{"bob", 204}, {"bob", 204}, // bob has his own bucket
		{"", 204}, {"", 204}, {"", 204}, {"", 429}, // anonymous callers share one
	} {
		rec := send(tc.uid)
		if rec.Code != tc.want {
			t.Fatalf("request %d (%q): %d, want %d", i, tc.uid, rec.Code, tc.want)
		}
		if tc.want == 429 {
			if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 1 {
				t.Errorf("Retry-After = %q, want whole seconds", rec.Header().Get("Retry-After"))
			}
			if !strings.Contains(rec.Body.String(), `"code":"rate_limited"`) {
				t.Errorf("429 body %s", rec.Body)
			}
		}
	}
}
