package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// clock is a settable time for Local, so the tests never wait and never
// depend on how fast they run.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// localAt returns a Local limiter on the clock c.
func localAt(c *clock) *httpapi.Local {
	l := httpapi.NewLocal()
	l.Now = c.now
	return l
}

var noContent = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

// call is one request to a rate-limited handler: from a signed-in user
// (uid) or from an address.
type call struct {
	uid, addr string
}

func (c call) send(h http.Handler) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/api/analytics/events", nil)
	if c.addr != "" {
		req.RemoteAddr = c.addr
	}
	if c.uid != "" {
		req = req.WithContext(identity.With(req.Context(), identity.Identity{UID: c.uid}))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// rateHeaders returns the X-RateLimit-* headers of an answer, failing
// the test where one is missing or not a whole number.
func rateHeaders(t *testing.T, rec *httptest.ResponseRecorder) (limit, remaining, reset int) {
	t.Helper()
	get := func(name string) int {
		v := rec.Header().Get(name)
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			t.Fatalf("%s = %q, want a whole number; headers %v", name, v, rec.Header())
		}
		return n
	}
	return get("X-RateLimit-Limit"), get("X-RateLimit-Remaining"), get("X-RateLimit-Reset")
}

// rateLimitedBody is the 429 problem with its retryAfter member.
type rateLimitedBody struct {
	problemBody
	RetryAfter *int `json:"retryAfter"`
}

// Users have a budget each, addresses have a budget each, and every
// answer, let through or refused, says how much is left and when it is
// whole again; a refusal says when to come back, in the header and the
// body.
func TestRateLimitWith(t *testing.T) {
	clk := newClock()
	p := httpapi.Policy{
		Name:      "events",
		User:      httpapi.Limit{Rate: 0.5, Burst: 2},  // a request every 2 s
		Anonymous: httpapi.Limit{Rate: 0.25, Burst: 3}, // a request every 4 s
	}
	h := httpapi.RateLimitWith(localAt(clk), p, noContent)
	captureLogs(t, slog.LevelInfo)

	ada, bob := call{uid: "ada"}, call{uid: "bob"}
	home, cafe := call{addr: "192.0.2.1:1234"}, call{addr: "198.51.100.7:5555"}
	// From one IPv6 subscriber's /64, any address is the same client.
	v6a, v6b := call{addr: "[2001:db8:1:2::1]:4000"}, call{addr: "[2001:db8:1:2:aaaa::9]:4001"}
	steps := []struct {
		name       string
		call       call
		advance    time.Duration // before the request
		status     int
		limit      int
		remaining  int
		reset      int // whole seconds until the budget is whole
		retryAfter int // for a 429
	}{
		{"ada's first", ada, 0, 204, 2, 1, 2, 0},
		{"ada's second", ada, 0, 204, 2, 0, 4, 0},
		{"ada's burst is spent", ada, 0, 429, 2, 0, 4, 2},
		{"bob has a budget of his own", bob, 0, 204, 2, 1, 2, 0},
		{"ada refused still", ada, time.Second, 429, 2, 0, 3, 1},
		{"ada again once a request's time passed", ada, time.Second, 204, 2, 0, 4, 0},
		{"an address", home, 0, 204, 3, 2, 4, 0},
		{"the same address", home, 0, 204, 3, 1, 8, 0},
		{"another address has its own budget", cafe, 0, 204, 3, 2, 4, 0},
		{"the first address's last", home, 0, 204, 3, 0, 12, 0},
		{"the first address is refused", home, 0, 429, 3, 0, 12, 4},
		{"a refusal costs nothing", home, 500 * time.Millisecond, 429, 3, 0, 12, 4},
		{"an IPv6 address", v6a, 0, 204, 3, 2, 4, 0},
		{"another address of its /64", v6b, 0, 204, 3, 1, 8, 0},
	}
	for _, s := range steps {
		clk.advance(s.advance)
		rec := s.call.send(h)
		if rec.Code != s.status {
			t.Fatalf("%s: status %d, want %d; body %s", s.name, rec.Code, s.status, rec.Body)
		}
		limit, remaining, reset := rateHeaders(t, rec)
		if limit != s.limit || remaining != s.remaining || reset != s.reset {
			t.Errorf("%s: X-RateLimit-Limit/Remaining/Reset = %d/%d/%d, want %d/%d/%d",
				s.name, limit, remaining, reset, s.limit, s.remaining, s.reset)
		}
		if s.status != http.StatusTooManyRequests {
			if ra := rec.Header().Get("Retry-After"); ra != "" {
				t.Errorf("%s: Retry-After %q on an answer let through", s.name, ra)
			}
			continue
		}
		decodeProblem(t, rec, http.StatusTooManyRequests)
		if ra := rec.Header().Get("Retry-After"); ra != strconv.Itoa(s.retryAfter) {
			t.Errorf("%s: Retry-After = %q, want %d", s.name, ra, s.retryAfter)
		}
		var body rateLimitedBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if body.Code == nil || *body.Code != string(apperr.RateLimited) {
			t.Errorf("%s: code in %s, want rate_limited", s.name, rec.Body)
		}
		if body.RetryAfter == nil || *body.RetryAfter != s.retryAfter {
			t.Errorf("%s: retryAfter in %s, want %d", s.name, rec.Body, s.retryAfter)
		}
	}
}

// Retry-After rounds up: a client told to come back too early is refused
// again.
func TestRateLimitRetryAfterRoundsUp(t *testing.T) {
	clk := newClock()
	h := httpapi.RateLimitWith(localAt(clk), httpapi.Policy{Name: "t", Anonymous: httpapi.Limit{Rate: 0.4, Burst: 1}}, noContent)
	captureLogs(t, slog.LevelInfo)
	c := call{addr: "192.0.2.1:1"}
	if rec := c.send(h); rec.Code != 204 {
		t.Fatalf("first: %d", rec.Code)
	}
	rec := c.send(h)
	// 2.5 s until the next request: 3 s, never 2.
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "3" || rec.Header().Get("X-RateLimit-Reset") != "3" {
		t.Fatalf("second: %d, Retry-After %q, X-RateLimit-Reset %q; want 429 and 3 s", rec.Code, rec.Header().Get("Retry-After"), rec.Header().Get("X-RateLimit-Reset"))
	}
	clk.advance(3 * time.Second)
	if rec := c.send(h); rec.Code != 204 {
		t.Errorf("after Retry-After: %d, want 204", rec.Code)
	}
}

// Budgets of different names are apart, even in one limiter; budgets of
// one name are one, even behind two handlers.
func TestRateLimitNames(t *testing.T) {
	l := httpapi.NewLocal()
	lim := httpapi.Limit{Rate: 0.001, Burst: 1}
	a1 := httpapi.RateLimitWith(l, httpapi.Policy{Name: "a", User: lim}, noContent)
	a2 := httpapi.RateLimitWith(l, httpapi.Policy{Name: "a", User: lim}, noContent)
	b := httpapi.RateLimitWith(l, httpapi.Policy{Name: "b", User: lim}, noContent)
	captureLogs(t, slog.LevelInfo)
	ada := call{uid: "ada"}
	for i, tc := range []struct {
		h    http.Handler
		want int
	}{{a1, 204}, {a2, 429}, {b, 204}, {b, 429}} {
		if rec := ada.send(tc.h); rec.Code != tc.want {
			t.Errorf("request %d: %d, want %d", i, rec.Code, tc.want)
		}
	}
}

// keys records the keys a limiter is asked about, and answers with a
// fixed decision or error.
type keys struct {
	mu   sync.Mutex
	seen []string
	d    httpapi.Decision
	err  error
}

func (k *keys) Allow(_ context.Context, key string, _ httpapi.Limit) (httpapi.Decision, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.seen = append(k.seen, key)
	return k.d, k.err
}

func (k *keys) last() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.seen[len(k.seen)-1]
}

// Keys name the route and whether a user or an address is counted; what
// clients choose (a uid, a forwarded address) cannot make them long, nor
// take another's budget.
func TestRateLimitKeys(t *testing.T) {
	k := &keys{d: httpapi.Decision{Allowed: true, Limit: 1, Remaining: 1}}
	fwd := httpapi.RateLimitWith(k, httpapi.Policy{Name: "events", ClientAddr: httpapi.ForwardedFor(1)}, noContent)
	h := httpapi.RateLimitWith(k, httpapi.Policy{Name: "events"}, noContent)
	long := strings.Repeat("x", 10_000)
	tests := []struct {
		name, uid, xff string
		want           string // "" = a hash after the prefix
		prefix         string
	}{
		{"a user", "ada", "", "events:u:ada", ""},
		{"a long uid is hashed", long, "", "", "events:u:~"},
		{"a uid with spaces is hashed", "a b", "", "", "events:u:~"},
		{"a uid that looks like a hash is hashed", "~abc", "", "", "events:u:~"},
		{"an address", "", "203.0.113.9", "events:a:203.0.113.9", ""},
		{"a forged address is not taken", "", "1.2.3.4, 203.0.113.9", "events:a:203.0.113.9", ""},
		{"an IPv6 address counts by its /64", "", "2001:db8::1", "events:a:2001:db8::/64", ""},
		{"a long forwarded value is hashed", "", "1.1.1.1, " + long, "", "events:a:~"},
		{"no forwarded address: the peer's", "", "", "events:a:192.0.2.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/x", nil)
			if tt.uid != "" {
				req = req.WithContext(identity.With(req.Context(), identity.Identity{UID: tt.uid}))
			}
			if tt.xff != "" {
				req.Header.Set("X-Forwarded-For", tt.xff)
			}
			fwd.ServeHTTP(httptest.NewRecorder(), req)
			key := k.last()
			if tt.want != "" && key != tt.want {
				t.Errorf("key %q, want %q", key, tt.want)
			}
			if tt.want == "" && (!strings.HasPrefix(key, tt.prefix) || len(key) > len(tt.prefix)+32) {
				t.Errorf("key %q, want %q and a short hash", key, tt.prefix)
			}
		})
	}
	// Two long uids differing only at the end have budgets of their own.
	for _, uid := range []string{long + "1", long + "2"} {
		call{uid: uid}.send(h)
	}
	if a, b := k.seen[len(k.seen)-2], k.seen[len(k.seen)-1]; a == b {
		t.Errorf("two long uids share the key %q", a)
	}
	// Without ForwardedFor, the header counts for nothing.
	req := httptest.NewRequest(http.MethodPost, "/x", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if key := k.last(); key != "events:a:192.0.2.1" {
		t.Errorf("without ForwardedFor: key %q, want the peer's address", key)
	}
}

func TestForwardedFor(t *testing.T) {
	tests := []struct {
		name   string
		hops   int
		values []string
		want   string
	}{
		{"one proxy: the last entry", 1, []string{"10.0.0.1, 203.0.113.9"}, "203.0.113.9"},
		{"two proxies: the second from the right", 2, []string{"6.6.6.6, 203.0.113.9, 35.1.1.1"}, "203.0.113.9"},
		{"entries across header lines", 2, []string{"6.6.6.6, 203.0.113.9", "35.1.1.1"}, "203.0.113.9"},
		{"empty entries are skipped", 1, []string{"203.0.113.9, ,"}, "203.0.113.9"},
		{"an address with a port", 1, []string{"203.0.113.9:443"}, "203.0.113.9"},
		{"an IPv4-mapped address", 1, []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
		{"too few entries: the peer", 3, []string{"203.0.113.9, 35.1.1.1"}, "192.0.2.1"},
		{"no header: the peer", 1, nil, "192.0.2.1"},
		{"hops 0: the peer", 0, []string{"203.0.113.9"}, "192.0.2.1"},
		{"not an address: as is", 1, []string{"unknown"}, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, v := range tt.values {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got := httpapi.ForwardedFor(tt.hops)(req); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A limiter that fails lets the request through, logged: limits are a
// protection, not a dependency of every write.
func TestRateLimitLimiterFails(t *testing.T) {
	k := &keys{err: errors.New("limiter down")}
	h := httpapi.RateLimitWith(k, httpapi.Policy{Name: "events"}, noContent)
	logs := captureLogs(t, slog.LevelInfo)
	rec := call{}.send(h)
	if rec.Code != 204 {
		t.Fatalf("status %d, want 204", rec.Code)
	}
	if rec.Header().Get("X-RateLimit-Limit") != "" {
		t.Errorf("X-RateLimit-Limit %q without a decision", rec.Header().Get("X-RateLimit-Limit"))
	}
	if !strings.Contains(logs.String(), "limiter down") {
		t.Errorf("the failure is not logged: %s", logs)
	}
}

// Fallback answers from the secondary while the primary fails, never with
// an error, and logs the change of state once each way.
func TestFallback(t *testing.T) {
	primary := &keys{d: httpapi.Decision{Allowed: true, Limit: 7, Remaining: 6}}
	clk := newClock()
	f := httpapi.NewFallback(primary, localAt(clk))
	h := httpapi.RateLimitWith(f, httpapi.Policy{Name: "events", User: httpapi.Limit{Rate: 0.001, Burst: 2}}, noContent)
	logs := captureLogs(t, slog.LevelInfo)
	ada := call{uid: "ada"}

	if rec := ada.send(h); rec.Code != 204 || rec.Header().Get("X-RateLimit-Limit") != "7" {
		t.Fatalf("primary up: %d, limit %q; want the primary's answer", rec.Code, rec.Header().Get("X-RateLimit-Limit"))
	}
	primary.mu.Lock()
	primary.err = apperr.New(apperr.Unavailable, "shared limits down")
	primary.mu.Unlock()
	for i, want := range []int{204, 204, 429, 429} {
		rec := ada.send(h)
		if rec.Code != want {
			t.Fatalf("primary down, request %d: %d, want %d (the secondary's budget of 2)", i, rec.Code, want)
		}
		if l, _, _ := rateHeaders(t, rec); l != 2 {
			t.Errorf("primary down, request %d: X-RateLimit-Limit %d, want the secondary's 2", i, l)
		}
	}
	if n := strings.Count(logs.String(), "shared limits down"); n != 1 {
		t.Errorf("the failure is logged %d times, want once: %s", n, logs)
	}
	primary.mu.Lock()
	primary.err = nil
	primary.mu.Unlock()
	if rec := ada.send(h); rec.Code != 204 || rec.Header().Get("X-RateLimit-Limit") != "7" {
		t.Errorf("primary back: %d, limit %q; want the primary's answer", rec.Code, rec.Header().Get("X-RateLimit-Limit"))
	}
	if !strings.Contains(logs.String(), "answer again") {
		t.Errorf("the recovery is not logged: %s", logs)
	}
}

// Limits that need no counting are answered alike by every limiter.
func TestLimitUncounted(t *testing.T) {
	l := httpapi.NewLocal()
	for _, tt := range []struct {
		name    string
		lim     httpapi.Limit
		allowed bool
	}{
		{"infinite rate", httpapi.Limit{Rate: rate.Inf, Burst: 0}, true},
		{"zero rate", httpapi.Limit{Rate: 0, Burst: 5}, false},
		{"zero burst", httpapi.Limit{Rate: 10, Burst: 0}, false},
	} {
		for range 3 {
			d, err := l.Allow(context.Background(), "k:"+tt.name, tt.lim)
			if err != nil || d.Allowed != tt.allowed || !d.Allowed && d.RetryAfter <= 0 {
				t.Errorf("%s: %+v, %v; want allowed=%v (with a RetryAfter if refused)", tt.name, d, err, tt.allowed)
			}
		}
	}
}

// A key's limit can change (a new release): the bucket follows it.
func TestLocalLimitChanges(t *testing.T) {
	l := localAt(newClock())
	ctx := context.Background()
	if d, _ := l.Allow(ctx, "k", httpapi.Limit{Rate: 0.001, Burst: 1}); !d.Allowed {
		t.Fatal("first request refused")
	}
	if d, _ := l.Allow(ctx, "k", httpapi.Limit{Rate: 0.001, Burst: 1}); d.Allowed {
		t.Fatal("burst of 1 let 2 through")
	}
	d, _ := l.Allow(ctx, "k", httpapi.Limit{Rate: 0.001, Burst: 5})
	if d.Limit != 5 {
		t.Errorf("after raising the burst: limit %d, want 5", d.Limit)
	}
}

func TestRateLimitWithBadName(t *testing.T) {
	for _, name := range []string{"", "a:b", "with space", strings.Repeat("n", 65)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("name %q: no panic", name)
				}
			}()
			httpapi.RateLimitWith(httpapi.NewLocal(), httpapi.Policy{Name: name}, noContent)
		}()
	}
}

// The answers of RateLimit carry the X-RateLimit-* headers too.
func TestRateLimitHeaders(t *testing.T) {
	h := httpapi.RateLimit(httpapi.Limit{Rate: 0.001, Burst: 2}, httpapi.Limit{Rate: 0.001, Burst: 3}, noContent)
	captureLogs(t, slog.LevelInfo)
	for i, want := range []struct{ status, remaining int }{{204, 1}, {204, 0}, {429, 0}} {
		rec := call{uid: "ada"}.send(h)
		limit, remaining, _ := rateHeaders(t, rec)
		if rec.Code != want.status || limit != 2 || remaining != want.remaining {
			t.Errorf("request %d: %d, limit %d, remaining %d; want %d, 2, %d", i, rec.Code, limit, remaining, want.status, want.remaining)
		}
	}
}

// BenchmarkLocal is the cost of one check in this process's limits.
func BenchmarkLocal(b *testing.B) {
	l := httpapi.NewLocal()
	lim := httpapi.Limit{Rate: 1e9, Burst: 1 << 30}
	ctx := context.Background()
	for b.Loop() {
		if _, err := l.Allow(ctx, "events:u:ada", lim); err != nil {
			b.Fatal(err)
		}
	}
}
