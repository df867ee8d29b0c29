package redis

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/go-redis/redis_rate/v10"
	goredis "github.com/redis/go-redis/v9"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// LimiterOptions configures a Limiter. Zero values take the defaults.
type LimiterOptions struct {
	// Prefix goes before every key, after redis_rate's own "rate:", so
	// that several deployments (or test runs) can share one Redis.
	// Default DefaultPrefix.
	Prefix string
	// Cooldown is how long calls are refused after a failure before one
	// probes Redis again. Default DefaultCooldown.
	Cooldown time.Duration
}

// Limiter is an httpapi.Limiter whose budgets all instances share: GCRA
// (github.com/go-redis/redis_rate) in one Redis, one round trip a
// request. It keeps, per key,
//
//	rate:{prefix}rl:v1:{key}  the instant the key's budget is whole again
//
// expiring then. Like the tier it fails fast rather than well (timeouts
// of 100 ms, no retries, and after a failure no call for a cooldown), so
// that httpapi.Fallback can count in the process instead. Allow returns
// an apperr Invalid error for an empty key or one longer than 512 bytes,
// and an apperr Unavailable error, wrapping the cause, when Redis fails
// (ErrOpen when the call was refused without trying). It is safe for
// concurrent use.
type Limiter struct {
	client  *goredis.Client
	rl      *redis_rate.Limiter
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
	quietClientLogs()
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
		rl:      redis_rate.NewLimiter(c),
		prefix:  o.Prefix + "rl:v1:",
		breaker: &breaker{cooldown: o.Cooldown, now: time.Now},
	}, nil
}

// Close closes the connections to Redis.
func (l *Limiter) Close() error { return l.client.Close() }

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
	g := gcra(lim)
	interval := g.Period // per request: gcra sets Rate to 1
	res, err := l.rl.Allow(ctx, l.prefix+key, g)
	l.breaker.done(probe, outcomeOf(ctx, err))
	if err != nil {
		return httpapi.Decision{}, limiterUnavailable(err)
	}
	d := httpapi.Decision{
		Allowed:    res.Allowed > 0,
		Limit:      lim.Burst,
		ResetAfter: max(res.ResetAfter, 0),
	}
	if d.Allowed {
		d.Remaining = remaining(lim.Burst, d.ResetAfter, interval)
	} else {
		d.RetryAfter = max(res.RetryAfter, time.Millisecond)
	}
	return d, nil
}

// remaining is how many requests fit now: the burst less the intervals
// until the budget is whole. redis_rate truncates its count from a float,
// where a rounding error just below a whole number would lose a request;
// here it is derived from the reset time with a millionth to spare.
func remaining(burst int, resetAfter, interval time.Duration) int {
	used := resetAfter.Seconds() / interval.Seconds()
	return min(max(int(math.Floor(float64(burst)-used+1e-6)), 0), burst)
}

// gcra turns a token bucket into redis_rate's terms: one request per
// emission interval, Burst at once. (GCRA with burst b lets through what
// a token bucket of b tokens does.)
func gcra(lim httpapi.Limit) redis_rate.Limit {
	interval := maxEmission
	if s := 1 / float64(lim.Rate); s < maxEmission.Seconds() {
		interval = time.Duration(math.Max(s*float64(time.Second), 1))
	}
	return redis_rate.Limit{Rate: 1, Burst: lim.Burst, Period: interval}
}

// errLimiterUnavailable is what callers see of any Redis failure; the
// cause is wrapped beside it for the logs.
var errLimiterUnavailable = apperr.New(apperr.Unavailable, "the shared rate limits are unavailable")

func limiterUnavailable(cause error) error {
	return fmt.Errorf("redis rate limit: %w: %w", errLimiterUnavailable, cause)
}
