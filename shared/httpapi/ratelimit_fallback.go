package httpapi

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// Fallback is a Limiter that asks Primary (the limits all instances
// share, in Redis) and, when Primary fails, Secondary (this process's
// Local limits): losing Redis loosens the limits to per instance, never
// turns requests into errors. While Primary fails every request still
// asks it first, so it must fail fast (the Redis limiter refuses calls at
// once for a while after a failure). The first failure and the recovery
// are logged, not every request in between. It is safe for concurrent
// use.
type Fallback struct {
	Primary, Secondary Limiter

	failing atomic.Bool
}

// NewFallback returns a Fallback from primary to secondary.
func NewFallback(primary, secondary Limiter) *Fallback {
	return &Fallback{Primary: primary, Secondary: secondary}
}

// Allow implements Limiter. It returns an error only when Secondary
// fails too (Local never does).
func (f *Fallback) Allow(ctx context.Context, key string, l Limit) (Decision, error) {
	d, err := f.Primary.Allow(ctx, key, l)
	if err == nil {
		if f.failing.Load() && f.failing.CompareAndSwap(true, false) {
			slog.InfoContext(ctx, "rate limits: the shared limits answer again")
		}
		return d, nil
	}
	// A caller that gave up learned nothing about Primary: no log then.
	if ctx.Err() == nil && f.failing.CompareAndSwap(false, true) {
		slog.WarnContext(ctx, "rate limits: the shared limits failed; counting per instance until they answer", "error", err.Error())
	}
	return f.Secondary.Allow(ctx, key, l)
}
