package redis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// LimiterOptions configures a Limiter. Zero values take the defaults.
type LimiterOptions struct {
	// Prefix goes before every key, after "rate:" (the layout of earlier
	// releases, which share budgets with this one), so that several
	// deployments (or test runs) can share one Redis.
	// Default DefaultPrefix.
	Prefix string
	// Cooldown is how long calls are refused after a failure before one
	// probes Redis again. Default DefaultCooldown.
	Cooldown time.Duration
}

// Limiter is an httpapi.Limiter whose budgets all instances share: GCRA
// in a script in one Redis (see gcraScript), one round trip a request.
// It keeps, per key,
//
//	rate:{prefix}rl:v1:{key}  the instant the key's budget is whole again
//
// expiring then: seconds since 2017-01-01 UTC by Redis's clock, as a
// decimal fraction. (The layout and the epoch are those of the rate
// limiter of earlier releases, so instances of both share budgets while
// a release rolls out.) Like the tier it fails fast rather than well (timeouts
// of 100 ms, no retries, and after a failure no call for a cooldown), so
// that httpapi.Fallback can count in the process instead. Allow returns
// an apperr Invalid error for an empty key or one longer than 512 bytes,
// and an apperr Unavailable error, wrapping the cause, when Redis fails
// (ErrOpen when the call was refused without trying). It is safe for
// concurrent use.
type Limiter struct {
	client  *client
	prefix  string // LimiterOptions.Prefix + "rl:v1:"
	breaker *breaker
}

var _ httpapi.Limiter = (*Limiter)(nil)

// maxKey bounds the keys Limiter takes. httpapi's keys are at most 131
// bytes; a key far longer is a bug, not a budget.
const maxKey = 512

// maxEmission is the longest interval between two requests a Limit can
// ask for: a rate of less than one request a day counts as one a day.
const maxEmission = 24 * time.Hour

// OpenLimiter returns a Limiter of the Redis at addr: host:port, or a
// redis:// or rediss:// URL. Its client has the tier's settings (see
// Open) but its own connections. It connects lazily and does not fail
// when Redis is down. An apperr Invalid error means addr or o is
// malformed.
func OpenLimiter(addr string, o LimiterOptions) (*Limiter, error) {
	if o.Cooldown < 0 {
		return nil, apperr.New(apperr.Invalid, "redis: negative cooldown")
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Cooldown == 0 {
		o.Cooldown = DefaultCooldown
	}
	c, err := newClient(addr) // the tier's settings, for the tier's reasons
	if err != nil {
		return nil, err
	}
	return &Limiter{
		client:  c,
		prefix:  o.Prefix + "rl:v1:",
		breaker: &breaker{cooldown: o.Cooldown, now: time.Now},
	}, nil
}

// Close closes the connections to Redis.
func (l *Limiter) Close() error { return l.client.close() }

// Allow implements httpapi.Limiter.
func (l *Limiter) Allow(ctx context.Context, key string, lim httpapi.Limit) (httpapi.Decision, error) {
	if key == "" || len(key) > maxKey {
		return httpapi.Decision{}, apperr.New(apperr.Invalid, "redis rate limit: a key of %d bytes; want 1 to %d", len(key), maxKey)
	}
	if d, ok := lim.Uncounted(); ok {
		return d, nil
	}
	probe, err := l.breaker.allow()
	if err != nil {
		return httpapi.Decision{}, limiterUnavailable(err)
	}
	interval := emission(lim)
	res, err := l.run(ctx, "rate:"+l.prefix+key, interval, lim.Burst)
	l.breaker.done(probe, outcomeOf(ctx, err))
	if err != nil {
		return httpapi.Decision{}, limiterUnavailable(err)
	}
	d := httpapi.Decision{
		Allowed:    res.allowed,
		Limit:      lim.Burst,
		ResetAfter: max(res.resetAfter, 0),
	}
	if d.Allowed {
		d.Remaining = remaining(lim.Burst, d.ResetAfter, interval)
	} else {
		d.RetryAfter = max(res.retryAfter, time.Millisecond)
	}
	return d, nil
}

// gcraScript is the Generic Cell Rate Algorithm for one request. A
// budget of burst b and emission interval T (one request each T) keeps
// one instant, the theoretical arrival time (TAT): when the budget would
// be whole again had every request so far been spaced T apart. A request
// at now moves it to max(TAT, now) + T, and is let through if that lies
// no further than b*T ahead of now (the burst tolerance); a refused one
// leaves it where it was. The script reads the time from Redis, so the
// instances' clocks do not matter, and the key expires when the budget
// is whole again: a key that is gone is a full budget.
//
// KEYS[1] is the budget's key; ARGV[1] is T in seconds, ARGV[2] is b. It
// returns {1 or 0 for let through or not, seconds until the budget is
// whole again, seconds until a request would be let through (0 when this
// one was)}, the seconds as decimal strings: Redis would truncate a Lua
// number to an integer.
const gcraScript = `
if redis.replicate_commands then redis.replicate_commands() end
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = (tonumber(t[1]) - 1483228800) + tonumber(t[2]) / 1000000
local stored = redis.call('GET', KEYS[1])
local tat = stored and tonumber(stored) or now
if tat < now then tat = now end
local next_tat = tat + interval
local allow_at = next_tat - burst * interval
if allow_at > now then
  return {0, string.format('%.6f', tat - now), string.format('%.6f', allow_at - now)}
end
redis.call('SET', KEYS[1], string.format('%.6f', next_tat), 'PX', math.ceil((next_tat - now) * 1000))
return {1, string.format('%.6f', next_tat - now), '0'}
`

// gcraSHA is the script's SHA-1, its name for EVALSHA.
var gcraSHA = func() string { h := sha1.Sum([]byte(gcraScript)); return hex.EncodeToString(h[:]) }()

// gcraResult is the script's answer.
type gcraResult struct {
	allowed                bool
	resetAfter, retryAfter time.Duration
}

// run runs the script by its SHA-1, and sends it whole where Redis does
// not have it (after a restart, or the first time): EVAL caches it for
// the EVALSHAs after.
func (l *Limiter) run(ctx context.Context, key string, interval time.Duration, burst int) (gcraResult, error) {
	t := strconv.FormatFloat(interval.Seconds(), 'g', -1, 64)
	r, err := l.client.do(ctx, "EVALSHA", gcraSHA, 1, key, t, burst)
	if e, ok := err.(replyError); ok && e.prefix() == "NOSCRIPT" {
		r, err = l.client.do(ctx, "EVAL", gcraScript, 1, key, t, burst)
	}
	if err != nil {
		return gcraResult{}, err
	}
	vs, ok := r.([]any)
	if !ok || len(vs) != 3 {
		return gcraResult{}, fmt.Errorf("the rate limit script answered %s", describe(r))
	}
	allowed, ok := vs[0].(int64)
	reset, err1 := seconds(vs[1])
	retry, err2 := seconds(vs[2])
	if !ok || err1 != nil || err2 != nil {
		return gcraResult{}, fmt.Errorf("the rate limit script answered %v", vs)
	}
	return gcraResult{allowed: allowed == 1, resetAfter: reset, retryAfter: retry}, nil
}

// seconds reads a duration the script gave as decimal seconds.
func seconds(r any) (time.Duration, error) {
	b, ok := r.([]byte)
	if !ok {
		return 0, fmt.Errorf("want a bulk string, got %s", describe(r))
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, err
	}
	return time.Duration(f * float64(time.Second)), nil
}

// remaining is how many requests fit now: the burst less the intervals
// until the budget is whole. It is derived from the reset time, with a
// millionth to spare: a count truncated from a float a rounding error
// left just below a whole number would lose a request.
func remaining(burst int, resetAfter, interval time.Duration) int {
	used := resetAfter.Seconds() / interval.Seconds()
	return min(max(int(math.Floor(float64(burst)-used+1e-6)), 0), burst)
}

// emission turns a token bucket into GCRA's terms: one request per
// emission interval, Burst at once. (GCRA with burst b lets through what
// a token bucket of b tokens does.)
func emission(lim httpapi.Limit) time.Duration {
	if s := 1 / float64(lim.Rate); s < maxEmission.Seconds() {
		return time.Duration(math.Max(s*float64(time.Second), 1))
	}
	return maxEmission
}

// errLimiterUnavailable is what callers see of any Redis failure; the
// cause is wrapped beside it for the logs.
var errLimiterUnavailable = apperr.New(apperr.Unavailable, "the shared rate limits are unavailable")

func limiterUnavailable(cause error) error {
	return fmt.Errorf("redis rate limit: %w: %w", errLimiterUnavailable, cause)
}
