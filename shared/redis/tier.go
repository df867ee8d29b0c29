// Package redis keeps the feed's shared cache tier (feed.Shared) in Redis.
//
// Redis is optional here and only an accelerator: when it is down or slow
// the feed reads the store as it would without it. So every call fails
// fast rather than well: timeouts of about 100 ms, no retries, and a
// circuit breaker that refuses calls for a cooldown after a failure.
package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// The defaults of Options.
const (
	DefaultPrefix      = "pf:"
	DefaultPrebuiltTTL = 24 * time.Hour
	DefaultCooldown    = time.Second
)

// timeout bounds each step of a call (dial, write, read, waiting for a
// pooled connection). Redis answers in well under a millisecond in the
// same region; a call that takes longer than this is better served by
// the store than by waiting.
const timeout = 100 * time.Millisecond

// schema versions the keys and what they hold. A release that changes
// an encoding raises it, so it never reads values of the old one (and
// instances of both releases can share one Redis while it rolls out).
const schema = "v1:"

// maxID bounds conference ids, which come from URLs in places: a longer
// one is refused rather than made into a huge key.
const maxID = 200

// Options configures a Tier. Zero values take the defaults.
type Options struct {
	// Prefix starts every key, so that several deployments (or test runs)
	// can share one Redis. Default DefaultPrefix.
	Prefix string
	// PrebuiltTTL is how long a prebuilt snapshot is kept: a conference
	// nobody reads stops taking memory. Default DefaultPrebuiltTTL.
	PrebuiltTTL time.Duration
	// Cooldown is how long calls are refused after a failure before one
	// probes Redis again. Default DefaultCooldown.
	Cooldown time.Duration
}

// Tier is the feed's shared cache tier (feed.Shared) in Redis. It keeps,
// per conference,
//
//	{prefix}v1:rev:{conferenceId}   the revision, a decimal integer
//	{prefix}v1:snap:{conferenceId}  the prebuilt snapshot, as given (gzipped)
//
// Every method returns an apperr Invalid error for a conference id that
// is empty, longer than 200 bytes or holds control characters, and an
// apperr Unavailable error, wrapping the cause, when Redis fails (ErrOpen
// when the call was refused without trying). It is safe for concurrent
// use.
type Tier struct {
	client  *goredis.Client
	prefix  string // Options.Prefix + schema
	ttl     time.Duration
	breaker *breaker
}

// newClient returns a client of the Redis at addr (host:port, or a
// redis:// or rediss:// URL) that fails fast: it connects lazily, and a
// slow or absent Redis must cost a caller no more than timeout, as the
// callers fall back to the store or the process.
func newClient(addr string) (*goredis.Client, error) {
	opt := &goredis.Options{Addr: addr}
	if strings.Contains(addr, "://") {
		var err error
		if opt, err = goredis.ParseURL(addr); err != nil {
			return nil, apperr.New(apperr.Invalid, "redis: address: %v", err)
		}
	} else if addr == "" {
		return nil, apperr.New(apperr.Invalid, "redis: no address")
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = timeout, timeout, timeout
	// Waiting for a free connection is not Redis being slow: a burst of
	// calls (an import's invalidations) queues for the pool behind calls
	// that each take a fraction of a millisecond. A dead Redis still fails
	// within the dial timeout.
	opt.PoolTimeout = 5 * timeout
	// One attempt per call: the breaker decides when to try again. (In
	// go-redis 0 means the default of 3 retries; -1 means none.) A retry
	// could also apply an INCR, or count a request, twice.
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	// A caller's earlier deadline or cancellation ends the call too.
	opt.ContextTimeoutEnabled = true
	// No extra commands on each new connection: CLIENT SETINFO and the
	// maintenance notifications of Redis Enterprise buy nothing here.
	opt.DisableIdentity = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return goredis.NewClient(opt), nil
}

// Open returns a Tier of the Redis at addr: host:port, or a redis:// or
// rediss:// URL (for a password, a database number or TLS). It connects
// lazily and does not fail when Redis is down: Redis is optional, and
// calls fail fast until it is back. Use Ping to check it. An apperr
// Invalid error means addr or o is malformed.
func Open(addr string, o Options) (*Tier, error) {
	quietClientLogs()
	if o.PrebuiltTTL < 0 || o.Cooldown < 0 {
		return nil, apperr.New(apperr.Invalid, "redis: negative prebuilt TTL or cooldown")
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.PrebuiltTTL == 0 {
		o.PrebuiltTTL = DefaultPrebuiltTTL
	}
	if o.Cooldown == 0 {
		o.Cooldown = DefaultCooldown
	}
	client, err := newClient(addr)
	if err != nil {
		return nil, err
	}
	return &Tier{
		client:  client,
		prefix:  o.Prefix + schema,
		ttl:     o.PrebuiltTTL,
		breaker: &breaker{cooldown: o.Cooldown, now: time.Now},
	}, nil
}

// Close closes the connections to Redis.
func (t *Tier) Close() error { return t.client.Close() }

// Ping checks that Redis answers. It tries even while calls are refused
// after a failure, and its answer counts like any call's: a success
// lets calls through again, a failure starts a cooldown.
func (t *Tier) Ping(ctx context.Context) error {
	err := t.client.Ping(ctx).Err()
	t.breaker.observe(outcomeOf(ctx, err))
	if err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Revision returns the conference's revision. Where Redis has none (it
// never had, or lost its data in a restart) it creates one: the current
// time in nanoseconds, an epoch larger than any revision before it, so
// that no instance takes the new revision for one it has seen.
func (t *Tier) Revision(ctx context.Context, conferenceID string) (string, error) {
	var rev string
	err := t.call(ctx, "revision", conferenceID, func(rk, _ string) error {
		v, err := t.client.Get(ctx, rk).Result()
		if errors.Is(err, goredis.Nil) {
			v, err = t.create(ctx, rk)
		}
		if err == nil && v == "" {
			return errEmpty
		}
		rev = v
		return err
	})
	return rev, err
}

// Prebuilt returns the conference's revision and its prebuilt snapshot
// (nil when there is none) in one round trip. Where the revision was
// lost it is created as Revision does, and no snapshot is returned: one
// left over was built at a revision nobody can compare with any more.
func (t *Tier) Prebuilt(ctx context.Context, conferenceID string) (revision string, data []byte, err error) {
	err = t.call(ctx, "prebuilt", conferenceID, func(rk, sk string) error {
		vs, err := t.client.MGet(ctx, rk, sk).Result()
		if err != nil {
			return err
		}
		if len(vs) != 2 {
			return fmt.Errorf("MGET answered %d values for 2 keys", len(vs))
		}
		rev, ok := vs[0].(string)
		if !ok {
			// No revision (never raised, or lost): none is created here,
			// as the id may name no conference at all; the caller asks
			// Revision once the store knows the conference.
			return nil
		}
		if rev == "" {
			return errEmpty
		}
		revision = rev
		if s, ok := vs[1].(string); ok {
			data = []byte(s)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return revision, data, nil
}

// SavePrebuilt keeps a prebuilt snapshot, as given (feed.EncodePrebuilt
// gzips it), for the prebuilt TTL. It does not check the revision the
// snapshot was built at: readers compare it with the current one.
func (t *Tier) SavePrebuilt(ctx context.Context, conferenceID string, data []byte) error {
	return t.call(ctx, "save prebuilt", conferenceID, func(_, sk string) error {
		return t.client.Set(ctx, sk, data, t.ttl).Err()
	})
}

// Bump raises the conference's revision and drops its prebuilt snapshot,
// atomically (MULTI/EXEC), so no reader sees the new revision with the
// old snapshot. Where the revision was lost it first creates an epoch as
// Revision does: INCR alone would restart at 1, and a second loss would
// repeat revisions already seen.
func (t *Tier) Bump(ctx context.Context, conferenceID string) error {
	return t.call(ctx, "bump", conferenceID, func(rk, sk string) error {
		_, err := t.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			p.SetNX(ctx, rk, epoch(), 0)
			p.Incr(ctx, rk)
			p.Del(ctx, sk)
			return nil
		})
		return err
	})
}

// create sets a lost or new revision to a new epoch unless another
// instance has just done so, and returns the revision now stored, in one
// round trip.
func (t *Tier) create(ctx context.Context, rk string) (string, error) {
	var get *goredis.StringCmd
	_, err := t.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		p.SetNX(ctx, rk, epoch(), 0)
		get = p.Get(ctx, rk)
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return "", err
	}
	rev, err := get.Result()
	switch {
	case errors.Is(err, goredis.Nil):
		// deleted between the two commands (a FLUSHALL): no revision to give
		return "", errors.New("the revision vanished as it was created")
	case err == nil && rev == "":
		return "", errEmpty
	}
	return rev, err
}

// errEmpty guards the promise of a revision: only this package writes
// the key, and never an empty value, but a revision of "" would compare
// equal to "no revision" in the callers.
var errEmpty = errors.New("an empty revision is stored")

// epoch is a new revision: later than any made before, if the clocks of
// the instances roughly agree, and far below the largest integer, so
// INCR can raise it.
func epoch() string { return strconv.FormatInt(time.Now().UnixNano(), 10) }

// call runs f with the conference's revision and snapshot keys, through
// the breaker, and turns Redis's failures into Unavailable errors.
func (t *Tier) call(ctx context.Context, op, conferenceID string, f func(revKey, snapKey string) error) error {
	if err := checkID(conferenceID); err != nil {
		return fmt.Errorf("redis %s: %w", op, err)
	}
	probe, err := t.breaker.allow()
	if err != nil {
		return unavailable(op, err)
	}
	err = f(t.prefix+"rev:"+conferenceID, t.prefix+"snap:"+conferenceID)
	t.breaker.done(probe, outcomeOf(ctx, err))
	if err != nil {
		return unavailable(op, err)
	}
	return nil
}

// errUnavailable is what callers see of any Redis failure; the cause is
// wrapped beside it for the logs.
var errUnavailable = apperr.New(apperr.Unavailable, "the shared cache is unavailable")

func unavailable(op string, cause error) error {
	return fmt.Errorf("redis %s: %w: %w", op, errUnavailable, cause)
}

// checkID refuses conference ids that would make huge or unreadable
// keys. Redis keys are binary safe; the limits keep them sane.
func checkID(id string) error {
	switch {
	case id == "":
		return apperr.Field("conferenceId", "required", "a conference id is required")
	case len(id) > maxID:
		return apperr.Field("conferenceId", "too_long", fmt.Sprintf("at most %d bytes", maxID))
	case strings.ContainsFunc(id, unicode.IsControl):
		return apperr.Field("conferenceId", "control_characters", "must not contain control characters")
	}
	return nil
}
