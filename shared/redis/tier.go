// Package redis keeps the feed's shared cache tier (feed.Shared) and the
// rate limits all instances share (Limiter, GCRA in a Lua script) in Redis,
// through a small RESP2 client of its own (ADR 8).
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

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// The defaults of Options.
const (
	DefaultPrefix      = "pf:"
	DefaultPrebuiltTTL = 24 * time.Hour
	DefaultCooldown    = time.Second
)

// timeout bounds each step of a call (dial, write, read; the wait for a
// pooled connection is poolTimeout). Redis answers in well under a
// millisecond in the same region; a call that takes longer than this is
// better served by the store than by waiting.
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
	client  *client
	prefix  string // Options.Prefix + schema
	ttl     time.Duration
	breaker *breaker
}

// newClient returns a client of the Redis at addr (host:port, or a
// redis://, rediss:// or unix:// URL, see parseAddr) that fails fast: it
// connects lazily, and a slow or absent Redis must cost a caller no more
// than timeout a step, as the callers fall back to the store or the
// process. A caller's earlier deadline or cancellation ends a call too.
func newClient(addr string) (*client, error) {
	cfg, err := parseAddr(addr)
	if err != nil {
		if addr == "" {
			return nil, apperr.New(apperr.Invalid, "redis: no address")
		}
		return nil, apperr.New(apperr.Invalid, "redis: address: %v", err)
	}
	return newClientOf(cfg), nil
}

// Open returns a Tier of the Redis at addr: host:port, or a redis:// or
// rediss:// URL (for a password, a database number or TLS). It connects
// lazily and does not fail when Redis is down: Redis is optional, and
// calls fail fast until it is back. Use Ping to check it. An apperr
// Invalid error means addr or o is malformed.
func Open(addr string, o Options) (*Tier, error) {
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
func (t *Tier) Close() error { return t.client.close() }

// Ping checks that Redis answers. It tries even while calls are refused
// after a failure, and its answer counts like any call's: a success
// lets calls through again, a failure starts a cooldown.
func (t *Tier) Ping(ctx context.Context) error {
	_, err := t.client.do(ctx, "PING")
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
		r, err := t.client.do(ctx, "GET", rk)
		if err != nil {
			return err
		}
		if r == nil {
			rev, err = t.create(ctx, rk)
			return err
		}
		rev, err = revisionOf(r)
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
		r, err := t.client.do(ctx, "MGET", rk, sk)
		if err != nil {
			return err
		}
		vs, ok := r.([]any)
		if !ok || len(vs) != 2 {
			return fmt.Errorf("MGET of 2 keys answered %s", describe(r))
		}
		if vs[0] == nil {
			// No revision (never raised, or lost): none is created here,
			// as the id may name no conference at all; the caller asks
			// Revision once the store knows the conference.
			return nil
		}
		rev, err := revisionOf(vs[0])
		if err != nil {
			return err
		}
		switch s := vs[1].(type) {
		case nil:
		case []byte:
			data = s
		default:
			return fmt.Errorf("MGET answered %s for the snapshot", describe(s))
		}
		revision = rev
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
		// PX in whole milliseconds, at least one: PX 0 is an error
		_, err := t.client.do(ctx, "SET", sk, data, "PX", max(t.ttl.Milliseconds(), 1))
		return err
	})
}

// Bump raises the conference's revision and drops its prebuilt snapshot,
// atomically (MULTI/EXEC), so no reader sees the new revision with the
// old snapshot. Where the revision was lost it first creates an epoch as
// Revision does: INCR alone would restart at 1, and a second loss would
// repeat revisions already seen.
func (t *Tier) Bump(ctx context.Context, conferenceID string) error {
	return t.call(ctx, "bump", conferenceID, func(rk, sk string) error {
		replies, err := t.client.pipeline(ctx,
			[]any{"MULTI"},
			[]any{"SETNX", rk, epoch()},
			[]any{"INCR", rk},
			[]any{"DEL", sk},
			[]any{"EXEC"})
		if err != nil {
			return err
		}
		// A command refused while queued fails EXEC as a whole
		// (EXECABORT); one that fails while run fails alone, inside
		// EXEC's array. Either way the first error is the cause.
		for _, r := range replies {
			if e, ok := r.(replyError); ok {
				return e
			}
		}
		results, ok := replies[len(replies)-1].([]any)
		if !ok || len(results) != 3 {
			return fmt.Errorf("EXEC of 3 commands answered %s", describe(replies[len(replies)-1]))
		}
		for _, r := range results {
			if e, ok := r.(replyError); ok {
				return e
			}
		}
		return nil
	})
}

// create sets a lost or new revision to a new epoch unless another
// instance has just done so, and returns the revision now stored, in one
// round trip.
func (t *Tier) create(ctx context.Context, rk string) (string, error) {
	replies, err := t.client.pipeline(ctx, []any{"SETNX", rk, epoch()}, []any{"GET", rk})
	if err != nil {
		return "", err
	}
	for _, r := range replies {
		if e, ok := r.(replyError); ok {
			return "", e
		}
	}
	if replies[1] == nil {
		// deleted between the two commands (a FLUSHALL): no revision to give
		return "", errors.New("the revision vanished as it was created")
	}
	return revisionOf(replies[1])
}

// revisionOf reads a revision from a GET's reply.
func revisionOf(r any) (string, error) {
	b, ok := r.([]byte)
	switch {
	case !ok:
		return "", fmt.Errorf("GET answered %s", describe(r))
	case len(b) == 0:
		return "", errEmpty
	}
	return string(b), nil
}

// describe names a reply's type for an error, without its content (a
// snapshot is large and not for the logs).
func describe(r any) string {
	switch r := r.(type) {
	case nil:
		return "nil"
	case []any:
		return fmt.Sprintf("an array of %d", len(r))
	case []byte:
		return fmt.Sprintf("a bulk string of %d bytes", len(r))
	case string:
		return "a status"
	case int64:
		return "an integer"
	}
	return fmt.Sprintf("%T", r)
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
