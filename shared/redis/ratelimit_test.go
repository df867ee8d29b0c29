package redis_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/redis"
	"github.com/partyfinder/partyfinder/shared/redis/redistest"
)

// openLimiter returns a Limiter of the Redis at addr under the key prefix
// given in o (a prefix of its own if none), whose keys are deleted at the
// end of the test.
func openLimiter(tb testing.TB, addr string, o redis.LimiterOptions) *redis.Limiter {
	tb.Helper()
	if o.Prefix == "" {
		o.Prefix = testPrefix()
	}
	l, err := redis.OpenLimiter(addr, o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		l.Close()
		deleteKeys(tb, addr, "rate:"+o.Prefix+"*")
	})
	return l
}

// slow is a limit under which no request's budget comes back during a
// test: one request per 1000 s.
func slow(burst int) httpapi.Limit { return httpapi.Limit{Rate: 0.001, Burst: burst} }

// TestLimiterShared: two instances that share one Redis share each key's
// budget: once one has used the burst, the other is refused too.
func TestLimiterShared(t *testing.T) {
	ctx := t.Context()
	a := addr(t)
	prefix := testPrefix()
	one := openLimiter(t, a, redis.LimiterOptions{Prefix: prefix})
	two := openLimiter(t, a, redis.LimiterOptions{Prefix: prefix})
	lim := slow(3)
	for i := range 3 {
		d, err := one.Allow(ctx, "events:u:ada", lim)
		if err != nil || !d.Allowed {
			t.Fatalf("request %d on the first instance: %+v, %v; want allowed", i, d, err)
		}
		if d.Limit != 3 || d.Remaining != 2-i || d.ResetAfter <= 0 {
			t.Errorf("request %d: limit %d, remaining %d, reset after %v; want 3, %d and a wait", i, d.Limit, d.Remaining, d.ResetAfter, 2-i)
		}
	}
	d, err := two.Allow(ctx, "events:u:ada", lim)
	if err != nil || d.Allowed {
		t.Fatalf("the second instance after the first used the burst: %+v, %v; want refused", d, err)
	}
	if d.Remaining != 0 || d.RetryAfter <= 0 || d.ResetAfter < d.RetryAfter {
		t.Errorf("refusal %+v: want nothing remaining, a retry after and a reset no earlier", d)
	}
	// Other keys, and other deployments' keys, have budgets of their own.
	if d, err := two.Allow(ctx, "events:u:bob", lim); err != nil || !d.Allowed || d.Remaining != 2 {
		t.Errorf("another key: %+v, %v; want allowed with 2 remaining", d, err)
	}
	other := openLimiter(t, a, redis.LimiterOptions{})
	if d, err := other.Allow(ctx, "events:u:ada", lim); err != nil || !d.Allowed {
		t.Errorf("another prefix: %+v, %v; want allowed", d, err)
	}
}

// TestLimiterMiddleware: two instances' handlers over one Redis answer
// from one budget, with the headers of httpapi.RateLimitWith.
func TestLimiterMiddleware(t *testing.T) {
	a := addr(t)
	prefix := testPrefix()
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	p := httpapi.Policy{Name: "events", User: slow(2), Anonymous: slow(2)}
	instances := []http.Handler{
		httpapi.RateLimitWith(openLimiter(t, a, redis.LimiterOptions{Prefix: prefix}), p, ok),
		httpapi.RateLimitWith(openLimiter(t, a, redis.LimiterOptions{Prefix: prefix}), p, ok),
	}
	send := func(h http.Handler, uid string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/analytics/events", nil)
		if uid != "" {
			req = req.WithContext(identity.With(req.Context(), identity.Identity{UID: uid}))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for i, tc := range []struct {
		instance  int
		uid       string
		status    int
		remaining string
	}{
		{0, "ada", 204, "1"}, {1, "ada", 204, "0"}, {0, "ada", 429, "0"}, {1, "ada", 429, "0"},
		{1, "", 204, "1"}, {0, "", 204, "0"}, {1, "", 429, "0"},
	} {
		rec := send(instances[tc.instance], tc.uid)
		if rec.Code != tc.status || rec.Header().Get("X-RateLimit-Limit") != "2" || rec.Header().Get("X-RateLimit-Remaining") != tc.remaining {
			t.Fatalf("request %d: %d, limit %q, remaining %q; want %d, 2, %s", i, rec.Code,
				rec.Header().Get("X-RateLimit-Limit"), rec.Header().Get("X-RateLimit-Remaining"), tc.status, tc.remaining)
		}
		if reset, err := strconv.Atoi(rec.Header().Get("X-RateLimit-Reset")); err != nil || reset < 1 {
			t.Errorf("request %d: X-RateLimit-Reset %q, want whole seconds", i, rec.Header().Get("X-RateLimit-Reset"))
		}
		if tc.status == 429 {
			ra, err := strconv.Atoi(rec.Header().Get("Retry-After"))
			if err != nil || ra < 1 || !strings.Contains(rec.Body.String(), `"retryAfter":`+strconv.Itoa(ra)) {
				t.Errorf("request %d: Retry-After %q, body %s; want whole seconds, in the body too", i, rec.Header().Get("Retry-After"), rec.Body)
			}
		}
	}
}

// TestLimiterKeys: a key's budget is one Redis key under the prefix, which
// expires once the budget is whole again.
func TestLimiterKeys(t *testing.T) {
	a := addr(t)
	prefix := testPrefix()
	l := openLimiter(t, a, redis.LimiterOptions{Prefix: prefix})
	if _, err := l.Allow(t.Context(), "events:u:ada", slow(2)); err != nil {
		t.Fatal(err)
	}
	c := admin(t, a)
	key := "rate:" + prefix + "rl:v1:events:u:ada"
	ttl, err := c.int("TTL", key)
	if err != nil || ttl <= 0 {
		t.Errorf("TTL of %s = %v, %v; want the key, expiring", key, ttl, err)
	}
}

func TestLimiterInvalid(t *testing.T) {
	l := openLimiter(t, addr(t), redis.LimiterOptions{})
	for _, key := range []string{"", strings.Repeat("k", 513)} {
		_, err := l.Allow(t.Context(), key, slow(1))
		wantKind(t, err, apperr.Invalid)
	}
	for _, o := range []struct {
		addr string
		o    redis.LimiterOptions
	}{{"", redis.LimiterOptions{}}, {"http://127.0.0.1:1", redis.LimiterOptions{}}, {"127.0.0.1:1", redis.LimiterOptions{Cooldown: -1}}} {
		_, err := redis.OpenLimiter(o.addr, o.o)
		wantKind(t, err, apperr.Invalid)
	}
}

// TestLimiterKilled kills Redis (SIGKILL, as a crash): the limiter fails
// fast with Unavailable errors, Fallback answers from this process's
// budgets without an error, and the shared budgets come back with Redis.
func TestLimiterKilled(t *testing.T) {
	ctx := t.Context()
	discardLogs(t)
	srv := redistest.Start(t)
	const cooldown = 20 * time.Millisecond
	shared := openLimiter(t, srv.Addr(), redis.LimiterOptions{Cooldown: cooldown})
	f := httpapi.NewFallback(shared, httpapi.NewLocal())
	lim := slow(2)
	for range 2 {
		if d, err := f.Allow(ctx, "k", lim); err != nil || !d.Allowed {
			t.Fatalf("Redis up: %+v, %v", d, err)
		}
	}
	if d, err := f.Allow(ctx, "k", lim); err != nil || d.Allowed {
		t.Fatalf("Redis up, burst spent: %+v, %v; want refused", d, err)
	}

	srv.Kill()
	_, err := shared.Allow(ctx, "k", lim)
	wantKind(t, err, apperr.Unavailable)
	if errors.Is(err, redis.ErrOpen) {
		t.Fatalf("first call after the kill refused without trying: %v", err)
	}
	// The process's own budget: a burst of 2 from now, never an error.
	for i, want := range []bool{true, true, false} {
		d, err := f.Allow(ctx, "k", lim)
		if err != nil || d.Allowed != want || d.Limit != 2 {
			t.Fatalf("Redis down, request %d: %+v, %v; want allowed=%v from the process's budget", i, d, err, want)
		}
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// Redis came back empty: once the cooldown has passed, the shared
	// budget is whole and counts again.
	var d httpapi.Decision
	for deadline := time.Now().Add(30 * time.Second); ; {
		if d, err = shared.Allow(ctx, "k", lim); err == nil {
			break
		}
		wantKind(t, err, apperr.Unavailable)
		if time.Now().After(deadline) {
			t.Fatalf("the limiter still fails after Redis came back: %v", err)
		}
		time.Sleep(cooldown)
	}
	if !d.Allowed || d.Remaining != 1 {
		t.Errorf("first request after Redis came back: %+v; want allowed with 1 remaining", d)
	}
	if d, err := f.Allow(ctx, "k", lim); err != nil || !d.Allowed || d.Remaining != 0 {
		t.Errorf("through Fallback after Redis came back: %+v, %v; want the shared budget's last request", d, err)
	}
}

// TestLimiterDown: a limiter opens without a Redis; after one failure
// calls are refused without trying until the cooldown has passed, and
// limits that need no counting never ask Redis.
func TestLimiterDown(t *testing.T) {
	port, err := redistest.FreePort() // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	l, err := redis.OpenLimiter("127.0.0.1:"+strconv.Itoa(port), redis.LimiterOptions{Cooldown: time.Hour})
	if err != nil {
		t.Fatalf("OpenLimiter without a Redis: %v", err)
	}
	defer l.Close()
	ctx := t.Context()
	_, err = l.Allow(ctx, "k", slow(1))
	wantKind(t, err, apperr.Unavailable)
	_, err = l.Allow(ctx, "k", slow(1))
	if !errors.Is(err, redis.ErrOpen) {
		t.Errorf("during the cooldown: %v, want ErrOpen", err)
	}
	if d, err := l.Allow(ctx, "k", httpapi.Limit{Rate: 0, Burst: 1}); err != nil || d.Allowed {
		t.Errorf("a zero rate: %+v, %v; want refused without Redis", d, err)
	}
}

// discardLogs keeps the test's expected warnings out of the output.
func discardLogs(t *testing.T) {
	old := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { slog.SetDefault(old) })
}

// BenchmarkLimiter is the cost of one check in the shared limits: one
// round trip.
func BenchmarkLimiter(b *testing.B) {
	l := openLimiter(b, addr(b), redis.LimiterOptions{})
	lim := httpapi.Limit{Rate: 1e6, Burst: 1 << 30}
	ctx := context.Background()
	for b.Loop() {
		if _, err := l.Allow(ctx, "events:u:ada", lim); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLimiterScript: the limiter runs its script by SHA-1 and sends it
// whole only where Redis lacks it: the first time, and after the script
// cache was emptied (a restart, SCRIPT FLUSH), without failing a call.
func TestLimiterScript(t *testing.T) {
	ctx := t.Context()
	srv := redistest.Start(t)
	l := openLimiter(t, srv.Addr(), redis.LimiterOptions{})
	c := admin(t, srv.Addr())
	lim := slow(5)
	allow := func(wantRemaining int) {
		t.Helper()
		if d, err := l.Allow(ctx, "k", lim); err != nil || !d.Allowed || d.Remaining != wantRemaining {
			t.Fatalf("Allow: %+v, %v; want allowed with %d remaining", d, err, wantRemaining)
		}
	}
	start := commandCounts(t, c)
	allow(4)
	allow(3)
	if _, err := c.do("SCRIPT", "FLUSH"); err != nil {
		t.Fatal(err)
	}
	allow(2)
	allow(1)
	end := commandCounts(t, c)
	if n := end["evalsha"] - start["evalsha"]; n != 4 {
		t.Errorf("EVALSHA ran %d times for 4 requests, want 4", n)
	}
	if n := end["eval"] - start["eval"]; n != 2 {
		t.Errorf("EVAL ran %d times, want 2: once at first, once after the flush", n)
	}
}

// TestLimiterEarlierRelease: a budget is stored as the instant it is
// whole again, in seconds since 2017-01-01 UTC by Redis's clock, as
// earlier releases stored it, so that old and new instances count one
// budget while a release rolls out.
func TestLimiterEarlierRelease(t *testing.T) {
	ctx := t.Context()
	a := addr(t)
	prefix := testPrefix()
	l := openLimiter(t, a, redis.LimiterOptions{Prefix: prefix})
	c := admin(t, a)
	const epoch2017 = 1483228800
	interval := 1000.0 // slow's: seconds per request
	redisNow := func() float64 {
		t.Helper()
		r, err := c.do("TIME")
		if err != nil {
			t.Fatal(err)
		}
		tm := r.([]any)
		s, _ := strconv.ParseFloat(string(tm[0].([]byte)), 64)
		us, _ := strconv.ParseFloat(string(tm[1].([]byte)), 64)
		return s - epoch2017 + us/1e6
	}

	// What this release stores: an instant an earlier release reads.
	key := "rate:" + prefix + "rl:v1:new"
	before := redisNow()
	if _, err := l.Allow(ctx, "new", slow(3)); err != nil {
		t.Fatal(err)
	}
	stored, err := c.str("GET", key)
	if err != nil {
		t.Fatal(err)
	}
	tat, err := strconv.ParseFloat(stored, 64)
	if err != nil || tat < before+interval || tat > redisNow()+interval {
		t.Errorf("stored %q, want one interval past Redis's time in seconds since 2017", stored)
	}

	// What an earlier release stored (Lua's %.14g): two of three requests
	// used, so one is left, then none.
	key = "rate:" + prefix + "rl:v1:old"
	old := strconv.FormatFloat(redisNow()+2*interval, 'g', 14, 64)
	if _, err := c.do("SET", key, old, "EX", 3000); err != nil {
		t.Fatal(err)
	}
	if d, err := l.Allow(ctx, "old", slow(3)); err != nil || !d.Allowed || d.Remaining != 0 {
		t.Errorf("the last request of a budget stored by an earlier release: %+v, %v; want allowed, none remaining", d, err)
	}
	if d, err := l.Allow(ctx, "old", slow(3)); err != nil || d.Allowed {
		t.Errorf("a request past that budget: %+v, %v; want refused", d, err)
	}
}
