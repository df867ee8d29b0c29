package httpapi

import (
	"context"
	"math"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/time/rate"
)

// Local is a Limiter that counts in this process only, with token
// buckets of golang.org/x/time/rate. It keeps the budgets of up to
// 100,000 keys (the cache evicts the least used beyond that), and
// forgets a key's budget once it would have refilled whole, when
// forgetting it changes nothing. It never returns an error and is safe
// for concurrent use.
type Local struct {
	// Now is the clock; tests set it before the first Allow. Default
	// time.Now.
	Now func() time.Time

	buckets *otter.Cache[string, *rate.Limiter]
}

// localKeys bounds the budgets Local keeps: a client with many
// addresses costs others their budgets' history, never the memory.
const localKeys = 100_000

// NewLocal returns a Local limiter with no budgets yet.
func NewLocal() *Local {
	return &Local{
		Now: time.Now,
		buckets: otter.Must(&otter.Options[string, *rate.Limiter]{
			MaximumSize: localKeys,
			ExpiryCalculator: otter.ExpiryAccessingFunc(func(e otter.Entry[string, *rate.Limiter]) time.Duration {
				return refillTime(e.Value.Limit(), e.Value.Burst())
			}),
		}),
	}
}

// refillTime is how long an empty bucket takes to fill, kept between a
// minute (so busy keys are not rebuilt all the time) and a day (for rates
// so slow that a day's budget hardly matters).
func refillTime(r rate.Limit, burst int) time.Duration {
	if r <= 0 || r == rate.Inf {
		return time.Minute
	}
	secs := float64(burst) / float64(r)
	return time.Duration(min(max(secs, 60), 86_400) * float64(time.Second))
}

// Allow implements Limiter.
func (l *Local) Allow(_ context.Context, key string, lim Limit) (Decision, error) {
	if d, ok := lim.Uncounted(); ok {
		return d, nil
	}
	b, ok := l.buckets.GetIfPresent(key)
	if !ok {
		b, _ = l.buckets.SetIfAbsent(key, rate.NewLimiter(lim.Rate, lim.Burst))
	}
	now := l.now()
	if b.Limit() != lim.Rate || b.Burst() != lim.Burst { // the limit of a key was changed
		b.SetLimitAt(now, lim.Rate)
		b.SetBurstAt(now, lim.Burst)
	}
	allowed := b.AllowN(now, 1)
	return bucket(allowed, b.TokensAt(now), lim), nil
}

func (l *Local) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Uncounted returns the decision for a limit that needs no counting: one
// of rate.Inf lets everything through; one with a Rate or Burst of zero
// or less, nothing (to retry in an hour: no wait will help). ok is false
// for every other limit. Every Limiter answers these limits so.
func (lim Limit) Uncounted() (d Decision, ok bool) {
	switch {
	case lim.Rate == rate.Inf:
		b := max(lim.Burst, 0)
		return Decision{Allowed: true, Limit: b, Remaining: b}, true
	case lim.Rate <= 0 || lim.Burst <= 0:
		return Decision{Limit: max(lim.Burst, 0), RetryAfter: time.Hour}, true
	}
	return Decision{}, false
}

// bucket returns the decision of a token bucket of limit lim that holds
// tokens after the request was let through (allowed) or not.
func bucket(allowed bool, tokens float64, lim Limit) Decision {
	burst, r := float64(lim.Burst), float64(lim.Rate)
	tokens = min(max(tokens, 0), burst)
	d := Decision{
		Allowed:    allowed,
		Limit:      lim.Burst,
		Remaining:  int(math.Floor(tokens)),
		ResetAfter: seconds((burst - tokens) / r),
	}
	if !allowed {
		d.Remaining = 0
		// At least a millisecond: another request may have taken the
		// token between the refusal and the count.
		d.RetryAfter = max(seconds((1-tokens)/r), time.Millisecond)
	}
	return d
}

// seconds converts a count of seconds to a Duration, capped at a year.
func seconds(s float64) time.Duration {
	const year = 365 * 24 * time.Hour
	if s <= 0 {
		return 0
	}
	if s >= year.Seconds() {
		return year
	}
	return time.Duration(s * float64(time.Second))
}
