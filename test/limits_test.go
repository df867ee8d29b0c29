package blackbox_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/shared/redis/redistest"
)

// devSignInRaw posts a dev sign-in without failing on a refusal.
func devSignInRaw(t *testing.T, s *server, uid string) *result {
	t.Helper()
	return s.do(t, http.MethodPost, "/api/dev/signin", http.Header{"Content-Type": {"application/json"}}, []byte(`{"uid":"`+uid+`"}`), true)
}

// checkLimited checks a 429 tells the client when to come back, in the
// headers and the body.
func checkLimited(t *testing.T, r *result, burst int) {
	t.Helper()
	wantStatus(t, r, http.StatusTooManyRequests, "over the limit")
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After %q, want whole seconds", r.Header.Get("Retry-After"))
	}
	p := decode[struct {
		Code       string `json:"code"`
		RetryAfter int    `json:"retryAfter"`
	}](t, r)
	if p.Code != "rate_limited" || p.RetryAfter < 1 {
		t.Errorf("problem %+v, want code rate_limited and retryAfter", p)
	}
	if got := r.Header.Get("X-RateLimit-Limit"); got != strconv.Itoa(burst) {
		t.Errorf("X-RateLimit-Limit %q, want %d", got, burst)
	}
	if got := r.Header.Get("X-RateLimit-Remaining"); got != "0" {
		t.Errorf("X-RateLimit-Remaining %q, want 0", got)
	}
	if _, err := strconv.Atoi(r.Header.Get("X-RateLimit-Reset")); err != nil {
		t.Errorf("X-RateLimit-Reset %q, want seconds", r.Header.Get("X-RateLimit-Reset"))
	}
}

// Signing in needs no token, so each client has a budget of sign-ins: a
// burst, then one a second.
func TestSignInIsLimitedPerClient(t *testing.T) {
	skipOn(t, "dev sign-in is the local runner's alone (the Cloud Run entry point cannot link it); the functions verify the Auth emulator's tokens, which TestAuthFirebase covers", targetFunctions)
	s := start(t, filepath.Join(t.TempDir(), "signin.db"), "PARTYFINDER_SIGNIN_BURST=3")
	for i := range 3 {
		r := devSignInRaw(t, s, fmt.Sprintf("burst-%d", i))
		wantStatus(t, r, http.StatusOK, "a sign-in within the burst")
		if got := r.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(2-i) {
			t.Errorf("sign-in %d: X-RateLimit-Remaining %q, want %d", i, got, 2-i)
		}
	}
	checkLimited(t, devSignInRaw(t, s, "burst-3"), 3)
}

// Analytics reports need no sign-in either: each client address has its
// budget (behind the platform's proxy, the address it forwards), so a
// flooding client does not silence the others.
func TestAnonymousReportsAreLimitedPerClient(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "reports.db"), "PARTYFINDER_PROXY_HOPS=1")
	p := partiesOf(t, s).published[0]
	first, second := "198.51.100.7", "198.51.100.8"
	if s.hosting != nil {
		// Behind Hosting the proxy appends the address it is called
		// from, whatever the client says: call from two addresses.
		first, second = "127.0.0.7", "127.0.0.8"
	}
	post := func(client string, i int) *result {
		body := report(fmt.Sprintf(`{"id":"anon-%s-%06d","type":"party_view","partyId":"%s"}`, strings.ReplaceAll(client, ".", "-"), i, p.ID))
		h := http.Header{"Content-Type": {"application/json"}}
		if s.hosting != nil {
			return s.doVia(t, clientFrom(t, client), http.MethodPost, "/api/analytics/events", h, []byte(body), false)
		}
		h.Set("X-Forwarded-For", client) // the proxy in front, as the server is told to expect
		return s.do(t, http.MethodPost, "/api/analytics/events", h, []byte(body), false)
	}
	var limited *result
	for i := range 260 { // the budget is a burst of 200, then 20 a second
		if r := post(first, i); r.Status == http.StatusTooManyRequests {
			limited = r
			break
		} else if r.Status != http.StatusAccepted {
			t.Fatalf("report %d: %d %s", i, r.Status, r.Body)
		}
	}
	if limited == nil {
		t.Fatal("260 reports at once from one client were all accepted")
	}
	checkLimited(t, limited, 200)
	wantStatus(t, post(second, 0), http.StatusAccepted, "another client's report while the first is limited")
}

// With Redis, every instance counts against one budget: a client cannot
// multiply its limit by the number of instances.
func TestLimitsHoldAcrossInstances(t *testing.T) {
	skipOn(t, "it counts dev sign-ins, the sign-in-free POST whose limit is simplest to reach; "+
		"dev sign-in is the local runner's alone (the Cloud Run entry point cannot link it)", targetFunctions)
	addr, prefix := redistest.Addr(t), keyPrefix()
	env := append(redisEnv(addr, prefix), "PARTYFINDER_SIGNIN_BURST=4")
	dir := t.TempDir()
	a := start(t, filepath.Join(dir, "a.db"), env...)
	b := start(t, filepath.Join(dir, "b.db"), env...)
	for i, s := range []*server{a, b, a, b} {
		wantStatus(t, devSignInRaw(t, s, fmt.Sprintf("shared-%d", i)), http.StatusOK, "a sign-in within the shared burst")
	}
	checkLimited(t, devSignInRaw(t, b, "shared-4"), 4)
	checkLimited(t, devSignInRaw(t, a, "shared-5"), 4)
}
