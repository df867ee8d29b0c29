package redis

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrOpen is the cause of the errors returned while the tier is resting
// after a failure: the call did not touch the network.
var ErrOpen = errors.New("redis: not tried, the shared cache failed recently")

// breaker keeps a failing Redis from slowing every request. After a
// failure it refuses calls at once until the cooldown has passed; then
// one call (the probe) goes through, and its success closes the breaker
// again, its failure starts a new cooldown. Without it, each request
// would wait for a timeout while Redis is down, and the store would see
// those requests only after that wait.
type breaker struct {
	cooldown time.Duration
	now      func() time.Time

	open atomic.Bool // the fast path while Redis answers: one atomic load

	mu      sync.Mutex
	until   time.Time // no call before this instant
	probing bool      // the probe is in flight; others are refused meanwhile
}

// allow reports whether a call may touch the network (ErrOpen if not),
// and whether that call is the probe.
func (b *breaker) allow() (probe bool, err error) {
	if !b.open.Load() {
		return false, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open.Load() {
		return false, nil
	}
	if b.probing || b.now().Before(b.until) {
		return false, ErrOpen
	}
	b.probing = true
	return true, nil
}

// outcome says how a call that allow let through ended.
type outcome int

const (
	succeeded outcome = iota
	failed            // Redis failed: a network error, a timeout, an error reply
	abandoned         // the caller gave up first: says nothing about Redis
)

// done records how a call ended. Only the probe's success closes the
// breaker: a call that started before a failure and ends after it
// proves little about the Redis of now.
func (b *breaker) done(probe bool, o outcome) {
	if o == succeeded && !probe && !b.open.Load() {
		return // the common case, lock free
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = false
	}
	switch {
	case o == failed:
		b.until = b.now().Add(b.cooldown)
		b.open.Store(true)
	case o == succeeded && probe:
		b.open.Store(false)
	}
}

// observe records how a call made without asking allow ended (Ping).
func (b *breaker) observe(o outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch o {
	case failed:
		b.until = b.now().Add(b.cooldown)
		b.open.Store(true)
	case succeeded:
		b.open.Store(false)
	}
}

// outcomeOf classifies a call's error for the breaker: a caller that
// cancelled its request did not learn whether Redis works. A deadline
// that passed is a failure: Redis was too slow for the caller.
func outcomeOf(ctx context.Context, err error) outcome {
	switch {
	case err == nil:
		return succeeded
	case errors.Is(ctx.Err(), context.Canceled):
		return abandoned
	default:
		return failed
	}
}
