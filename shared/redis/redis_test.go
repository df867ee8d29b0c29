package redis_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/redis"
	"github.com/partyfinder/partyfinder/shared/redis/redistest"
)

var _ feed.Shared = (*redis.Tier)(nil)

// addr returns a real redis-server for the test (redistest.Addr).
func addr(tb testing.TB) string { return redistest.Addr(tb) }

// adminClient is a plain client, to look at and meddle with what the
// tier stored.
type adminClient struct{ a *redis.Admin }

func admin(tb testing.TB, addr string) adminClient {
	tb.Helper()
	a, err := redis.NewAdmin(addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	return adminClient{a}
}

// errNil is a nil reply where a value was wanted.
var errNil = errors.New("nil reply")

func (c adminClient) do(args ...any) (any, error) {
	return c.a.Do(context.Background(), args...)
}

// int sends a command that answers an integer.
func (c adminClient) int(args ...any) (int64, error) {
	r, err := c.do(args...)
	if err != nil {
		return 0, err
	}
	n, ok := r.(int64)
	if !ok {
		return 0, fmt.Errorf("%s answered %T, want an integer", args[0], r)
	}
	return n, nil
}

// str sends a command that answers a bulk string.
func (c adminClient) str(args ...any) (string, error) {
	r, err := c.do(args...)
	if err != nil {
		return "", err
	}
	b, ok := r.([]byte)
	switch {
	case r == nil:
		return "", errNil
	case !ok:
		return "", fmt.Errorf("%s answered %T, want a bulk string", args[0], r)
	}
	return string(b), nil
}

// deleteKeys deletes the keys matching pattern (SCAN, then DEL).
func deleteKeys(tb testing.TB, addr, pattern string) {
	tb.Helper()
	c := admin(tb, addr)
	for cursor := "0"; ; {
		r, err := c.do("SCAN", cursor, "MATCH", pattern, "COUNT", 100)
		if err != nil {
			tb.Logf("SCAN %s: %v", pattern, err)
			return
		}
		page := r.([]any)
		for _, k := range page[1].([]any) {
			c.do("DEL", k)
		}
		if cursor = string(page[0].([]byte)); cursor == "0" {
			return
		}
	}
}

// testPrefix returns a key prefix of its own for a test.
func testPrefix() string { return "pf-test:" + rand.Text()[:12] + ":" }

// open returns a tier of the Redis at addr under a key prefix of its own
// (unless o names one), whose keys are deleted at the end of the test.
func open(tb testing.TB, addr string, o redis.Options) *redis.Tier {
	tb.Helper()
	if o.Prefix == "" {
		o.Prefix = testPrefix()
	}
	tier, err := redis.Open(addr, o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		tier.Close()
		if !strings.HasPrefix(o.Prefix, "pf-test:") {
			return // not ours to scan: the test deletes its keys itself
		}
		deleteKeys(tb, addr, o.Prefix+"*")
	})
	return tier
}

func wantKind(tb testing.TB, err error, kind apperr.Kind) {
	tb.Helper()
	if !apperr.Is(err, kind) {
		tb.Fatalf("error = %v (kind %q), want kind %q", err, apperr.KindOf(err), kind)
	}
}

// revision returns the conference's revision, which must be a decimal
// integer (INCR raises it).
func revision(tb testing.TB, tier *redis.Tier, conf string) string {
	tb.Helper()
	rev, err := tier.Revision(context.Background(), conf)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := strconv.ParseInt(rev, 10, 64); err != nil {
		tb.Fatalf("revision %q is not a decimal integer", rev)
	}
	return rev
}

func TestRevision(t *testing.T) {
	ctx := t.Context()
	tier := open(t, addr(t), redis.Options{})

	t.Run("stable across calls", func(t *testing.T) {
		first := revision(t, tier, "cologne-2025")
		for range 3 {
			if got := revision(t, tier, "cologne-2025"); got != first {
				t.Fatalf("revision = %q, then %q without a bump", first, got)
			}
		}
	})

	t.Run("raised by bump", func(t *testing.T) {
		before := revision(t, tier, "bumped")
		if err := tier.Bump(ctx, "bumped"); err != nil {
			t.Fatal(err)
		}
		after := revision(t, tier, "bumped")
		b, _ := strconv.ParseInt(before, 10, 64)
		a, _ := strconv.ParseInt(after, 10, 64)
		if a <= b {
			t.Fatalf("revision %q after a bump, %q before: want it raised", after, before)
		}
	})

	t.Run("bump before any read", func(t *testing.T) {
		// INCR alone would start at 1, a revision a later loss could repeat
		if err := tier.Bump(ctx, "bumped-first"); err != nil {
			t.Fatal(err)
		}
		if got := revision(t, tier, "bumped-first"); len(got) < 10 {
			t.Fatalf("revision %q after a bump of a missing one, want a new epoch", got)
		}
	})

	t.Run("conferences apart", func(t *testing.T) {
		a, b := revision(t, tier, "a"), revision(t, tier, "b")
		if err := tier.Bump(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if got := revision(t, tier, "b"); got != b {
			t.Errorf("b's revision %q became %q when a was bumped", b, got)
		}
		if got := revision(t, tier, "a"); got == a {
			t.Errorf("a's revision stayed %q after its bump", a)
		}
	})

	t.Run("prefixes apart", func(t *testing.T) {
		other := open(t, addr(t), redis.Options{})
		before := revision(t, other, "shared-name")
		revision(t, tier, "shared-name")
		if err := tier.Bump(ctx, "shared-name"); err != nil {
			t.Fatal(err)
		}
		if got := revision(t, other, "shared-name"); got != before {
			t.Errorf("revision under another prefix changed from %q to %q", before, got)
		}
	})

	t.Run("concurrent first reads agree", func(t *testing.T) {
		revs := make([]string, 16)
		var wg sync.WaitGroup
		for i := range revs {
			wg.Go(func() {
				rev, err := tier.Revision(ctx, "new-to-everyone")
				if err != nil {
					t.Error(err)
				}
				revs[i] = rev
			})
		}
		wg.Wait()
		for _, rev := range revs {
			if rev != revs[0] {
				t.Fatalf("concurrent first reads gave different revisions: %q", revs)
			}
		}
	})
}

func TestPrebuilt(t *testing.T) {
	ctx := t.Context()
	a := addr(t)
	prefix := testPrefix()
	tier := open(t, a, redis.Options{Prefix: prefix, PrebuiltTTL: time.Hour})
	blob := make([]byte, 64<<10) // binary, with zero bytes, like gzip output
	rand.Read(blob)

	tests := []struct {
		name     string
		conf     string
		setup    func(t *testing.T, conf string)
		wantData bool
		wantBump bool // the revision must differ from the one before setup
		wantNone bool // no revision: Prebuilt creates none (the id may name no conference)
	}{
		{name: "none saved", conf: "empty"},
		{name: "saved", conf: "saved", wantData: true, setup: func(t *testing.T, conf string) {
			if err := tier.SavePrebuilt(ctx, conf, blob); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "dropped by bump", conf: "bumped", wantBump: true, setup: func(t *testing.T, conf string) {
			if err := tier.SavePrebuilt(ctx, conf, blob); err != nil {
				t.Fatal(err)
			}
			if err := tier.Bump(ctx, conf); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "revision lost, snapshot left", conf: "lost-rev", wantNone: true, setup: func(t *testing.T, conf string) {
			if err := tier.SavePrebuilt(ctx, conf, blob); err != nil {
				t.Fatal(err)
			}
			if n, err := admin(t, a).int("DEL", prefix+"v1:rev:"+conf); err != nil || n != 1 {
				t.Fatalf("DEL revision: %d, %v", n, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := revision(t, tier, tt.conf)
			if tt.setup != nil {
				tt.setup(t, tt.conf)
			}
			rev, data, err := tier.Prebuilt(ctx, tt.conf)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantNone {
				if rev != "" {
					t.Errorf("Prebuilt gave revision %q with none stored; want \"\" (and none created)", rev)
				}
				if n, _ := admin(t, a).int("EXISTS", prefix+"v1:rev:"+tt.conf); n != 0 {
					t.Error("Prebuilt created a revision")
				}
				if now := revision(t, tier, tt.conf); now == before {
					t.Errorf("the revision made anew is the lost one, %q", now)
				}
				if data != nil {
					t.Errorf("got %d bytes without a revision, want none: a snapshot is only good with its revision", len(data))
				}
				return
			}
			if tt.wantBump == (rev == before) {
				t.Errorf("revision %q before, %q after; want changed: %v", before, rev, tt.wantBump)
			}
			if now := revision(t, tier, tt.conf); rev != now {
				t.Errorf("Prebuilt's revision %q, Revision's %q", rev, now)
			}
			switch {
			case tt.wantData && !bytes.Equal(data, blob):
				t.Errorf("got %d bytes, want the %d saved", len(data), len(blob))
			case !tt.wantData && data != nil:
				t.Errorf("got %d bytes, want none", len(data))
			}
		})
	}
}

// TestKeys pins the key schema, the prefix default and the snapshot's
// TTL: other releases and tools read these keys.
func TestKeys(t *testing.T) {
	ctx := t.Context()
	a := addr(t)
	conf := "keys-" + rand.Text()[:8] // under the default prefix: a name of its own
	tier := open(t, a, redis.Options{Prefix: redis.DefaultPrefix, PrebuiltTTL: 10 * time.Minute})
	c := admin(t, a)
	t.Cleanup(func() { c.do("DEL", "pf:v1:rev:"+conf, "pf:v1:snap:"+conf) })
	rev := revision(t, tier, conf)
	if err := tier.SavePrebuilt(ctx, conf, []byte("gz")); err != nil {
		t.Fatal(err)
	}
	if got, err := c.str("GET", "pf:v1:rev:"+conf); err != nil || got != rev {
		t.Errorf("GET pf:v1:rev:%s = %q, %v; want %q", conf, got, err, rev)
	}
	if got, err := c.str("GET", "pf:v1:snap:"+conf); err != nil || got != "gz" {
		t.Errorf("GET pf:v1:snap:%s = %q, %v; want the saved bytes", conf, got, err)
	}
	if ms, err := c.int("PTTL", "pf:v1:snap:"+conf); err != nil || ms <= 0 || time.Duration(ms)*time.Millisecond > 10*time.Minute {
		ttl := time.Duration(ms) * time.Millisecond
		t.Errorf("snapshot's TTL = %v, %v; want at most the 10m asked for", ttl, err)
	}
	if ttl, err := c.int("PTTL", "pf:v1:rev:"+conf); err != nil || ttl != -1 {
		t.Errorf("revision's TTL = %v, %v; want none (kept until lost)", ttl, err)
	}
}

// TestPrebuiltOneRoundTrip counts the commands Redis ran for one
// Prebuilt call: one MGET, nothing else.
func TestPrebuiltOneRoundTrip(t *testing.T) {
	ctx := t.Context()
	srv := redistest.Start(t)
	tier := open(t, srv.Addr(), redis.Options{})
	if err := tier.SavePrebuilt(ctx, "c", []byte("gz")); err != nil {
		t.Fatal(err)
	}
	revision(t, tier, "c")
	c := admin(t, srv.Addr())
	before := commandCounts(t, c)
	if _, data, err := tier.Prebuilt(ctx, "c"); err != nil || data == nil {
		t.Fatalf("Prebuilt: %q, %v", data, err)
	}
	after := commandCounts(t, c)
	for cmd, n := range after {
		if want := before[cmd] + map[string]int{"mget": 1, "info": 1}[cmd]; n != want {
			t.Errorf("%s ran %d times in Prebuilt, want %d", cmd, n-before[cmd], want-before[cmd])
		}
	}
}

// commandCounts returns how often each command ran, from INFO commandstats.
func commandCounts(t *testing.T, c adminClient) map[string]int {
	t.Helper()
	info, err := c.str("INFO", "commandstats")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for line := range strings.Lines(info) {
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":calls=")
		if !ok {
			continue
		}
		n, _, _ := strings.Cut(rest, ",")
		counts[name], _ = strconv.Atoi(n)
	}
	return counts
}

// TestLostData flushes Redis, as a restart without persistence would:
// every revision given afterwards differs from every earlier one, so no
// instance keeps serving what it built before.
func TestLostData(t *testing.T) {
	ctx := t.Context()
	srv := redistest.Start(t)
	tier := open(t, srv.Addr(), redis.Options{})
	c := admin(t, srv.Addr())
	var seen []string
	see := func(step string) {
		t.Helper()
		rev := revision(t, tier, "c")
		if slices.Contains(seen, rev) {
			t.Fatalf("%s: revision %q again (seen %q)", step, rev, seen)
		}
		seen = append(seen, rev)
	}
	flush := func() {
		t.Helper()
		if _, err := c.do("FLUSHALL"); err != nil {
			t.Fatal(err)
		}
	}
	bump := func() {
		t.Helper()
		if err := tier.Bump(ctx, "c"); err != nil {
			t.Fatal(err)
		}
	}
	see("first read")
	bump()
	see("after a bump")
	flush()
	see("read after a flush")
	bump()
	bump()
	see("after two bumps")
	flush()
	bump()
	see("bump after a flush")
	flush()
	if err := tier.SavePrebuilt(ctx, "c", []byte("built before the loss")); err != nil {
		t.Fatal(err)
	}
	flush()
	rev, data, err := tier.Prebuilt(ctx, "c")
	if err != nil || data != nil || slices.Contains(seen, rev) {
		t.Fatalf("Prebuilt after a flush = %q, %q, %v; want a new revision and no snapshot (seen %q)", rev, data, err, seen)
	}
}

func TestInvalidConferenceIDs(t *testing.T) {
	ctx := t.Context()
	tier := open(t, addr(t), redis.Options{})
	calls := map[string]func(id string) error{
		"Revision": func(id string) error { _, err := tier.Revision(ctx, id); return err },
		"Prebuilt": func(id string) error { _, _, err := tier.Prebuilt(ctx, id); return err },
		"SavePrebuilt": func(id string) error {
			return tier.SavePrebuilt(ctx, id, []byte("gz"))
		},
		"Bump": func(id string) error { return tier.Bump(ctx, id) },
	}
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"empty", "", false},
		{"201 bytes", strings.Repeat("x", 201), false},
		{"201 bytes of UTF-8", strings.Repeat("ö", 100) + "x", false},
		{"newline", "cologne\n2025", false},
		{"NUL", "cologne\x002025", false},
		{"tab", "cologne\t2025", false},
		{"DEL", "cologne\x7f", false},
		{"C1 control", "cologne\u0085", false},
		{"200 bytes", strings.Repeat("x", 200), true},
		{"plain", "cologne-2025", true},
		{"unicode", "köln-2025 ☂", true},
		{"key-like", "a:b*c?[d]", true},
	}
	for _, tt := range tests {
		for name, call := range calls {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				err := call(tt.id)
				if tt.ok {
					if err != nil {
						t.Fatalf("id %q refused: %v", tt.id, err)
					}
					return
				}
				wantKind(t, err, apperr.Invalid)
			})
		}
	}
}

func TestOpen(t *testing.T) {
	a := addr(t)
	tests := []struct {
		name string
		addr string
		o    redis.Options
		ok   bool
	}{
		{"host:port", a, redis.Options{}, true},
		{"URL", "redis://" + a + "/0", redis.Options{}, true},
		{"no address", "", redis.Options{}, false},
		{"another scheme", "http://" + a, redis.Options{}, false},
		{"negative TTL", a, redis.Options{PrebuiltTTL: -time.Second}, false},
		{"negative cooldown", a, redis.Options{Cooldown: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tier, err := redis.Open(tt.addr, tt.o)
			if !tt.ok {
				wantKind(t, err, apperr.Invalid)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer tier.Close()
			if err := tier.Ping(t.Context()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDown: Redis is optional, so a tier opens without one, and its calls
// fail with Unavailable errors; after one failure they are refused
// without trying until the cooldown has passed.
func TestDown(t *testing.T) {
	ctx := t.Context()
	port, err := redistest.FreePort() // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	tier, err := redis.Open("127.0.0.1:"+strconv.Itoa(port), redis.Options{Cooldown: time.Hour})
	if err != nil {
		t.Fatalf("Open without a Redis: %v", err)
	}
	defer tier.Close()
	_, err = tier.Revision(ctx, "c")
	wantKind(t, err, apperr.Unavailable)
	if errors.Is(err, redis.ErrOpen) {
		t.Fatalf("first call refused without trying: %v", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("error %v does not wrap the network error", err)
	}
	for name, err := range allCalls(ctx, tier, "c") {
		wantKind(t, err, apperr.Unavailable)
		if !errors.Is(err, redis.ErrOpen) {
			t.Errorf("%s during the cooldown tried Redis: %v", name, err)
		}
	}
	wantKind(t, tier.Ping(ctx), apperr.Unavailable)
}

// allCalls makes every feed.Shared call once and yields its error.
func allCalls(ctx context.Context, tier *redis.Tier, conf string) func(yield func(string, error) bool) {
	return func(yield func(string, error) bool) {
		_, err := tier.Revision(ctx, conf)
		if !yield("Revision", err) {
			return
		}
		_, _, err = tier.Prebuilt(ctx, conf)
		if !yield("Prebuilt", err) {
			return
		}
		if !yield("SavePrebuilt", tier.SavePrebuilt(ctx, conf, []byte("gz"))) {
			return
		}
		yield("Bump", tier.Bump(ctx, conf))
	}
}

// TestCancelledCaller: a caller that gave up says nothing about Redis,
// so the next call is not refused.
func TestCancelledCaller(t *testing.T) {
	tier := open(t, addr(t), redis.Options{Cooldown: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := tier.Revision(ctx, "c"); err == nil {
		t.Fatal("Revision with a cancelled context succeeded")
	}
	revision(t, tier, "c")
}

// TestKilled kills Redis mid-use (SIGKILL, as a crash) and restarts it on
// the same port, empty.
func TestKilled(t *testing.T) {
	ctx := t.Context()
	srv := redistest.Start(t)
	const cooldown = 20 * time.Millisecond
	quick := open(t, srv.Addr(), redis.Options{Cooldown: cooldown})
	slow := open(t, srv.Addr(), redis.Options{Cooldown: time.Hour})
	before := revision(t, quick, "c")
	revision(t, slow, "c")
	if err := quick.SavePrebuilt(ctx, "c", []byte("gz")); err != nil {
		t.Fatal(err)
	}

	srv.Kill()
	for name, err := range allCalls(ctx, quick, "c") {
		if !apperr.Is(err, apperr.Unavailable) {
			t.Errorf("%s with Redis killed: %v (kind %q), want kind unavailable", name, err, apperr.KindOf(err))
		}
	}
	wantKind(t, quick.Ping(ctx), apperr.Unavailable)
	_, err := slow.Revision(ctx, "c")
	wantKind(t, err, apperr.Unavailable)
	if errors.Is(err, redis.ErrOpen) {
		t.Fatalf("first call after the kill refused without trying: %v", err)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// Within its cooldown the slow tier still refuses without trying.
	_, err = slow.Revision(ctx, "c")
	if !errors.Is(err, redis.ErrOpen) || !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("Revision during the cooldown = %v, want an Unavailable ErrOpen", err)
	}
	// The quick one recovers once its cooldown has passed.
	var after string
	for deadline := time.Now().Add(30 * time.Second); ; {
		if after, err = quick.Revision(ctx, "c"); err == nil {
			break
		}
		wantKind(t, err, apperr.Unavailable)
		if time.Now().After(deadline) {
			t.Fatalf("Revision still fails after Redis came back: %v", err)
		}
		time.Sleep(cooldown)
	}
	if after == before {
		t.Errorf("revision %q before and after Redis lost its data", after)
	}
	for name, err := range allCalls(ctx, quick, "c") {
		if err != nil {
			t.Errorf("%s after Redis came back: %v", name, err)
		}
	}
	// A ping tries even during the cooldown, and its success lets calls
	// through again.
	if err := slow.Ping(ctx); err != nil {
		t.Fatalf("Ping after Redis came back: %v", err)
	}
	if got := revision(t, slow, "c"); got == before {
		t.Errorf("revision %q before and after Redis lost its data", got)
	}
}

// BenchmarkRevision is the cost of one revision check, the call every
// feed request makes once its instance has a snapshot.
func BenchmarkRevision(b *testing.B) {
	tier := open(b, addr(b), redis.Options{})
	ctx := context.Background()
	revision(b, tier, "c")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tier.Revision(ctx, "c"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPrebuilt is the cost of loading a prebuilt snapshot of 64 KB
// (about 500 parties, gzipped).
func BenchmarkPrebuilt(b *testing.B) {
	tier := open(b, addr(b), redis.Options{})
	ctx := context.Background()
	blob := make([]byte, 64<<10)
	rand.Read(blob)
	if err := tier.SavePrebuilt(ctx, "c", blob); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(blob)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tier.Prebuilt(ctx, "c"); err != nil {
			b.Fatal(err)
		}
	}
}
