package redis

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// client is a small Redis client for what this package needs: commands
// one at a time or pipelined, over a bounded pool of connections, each
// step bounded by timeout. It never retries: a failed call fails, and the
// breaker decides when to try again (a retry could also apply an INCR,
// or count a request, twice).
type client struct {
	cfg config

	// slots holds one token per connection in use: its capacity bounds
	// the connections open at once, idle ones included (a connection is
	// dialed only when none is idle).
	slots chan struct{}

	mu     sync.Mutex
	idle   []*conn // most recently used last
	closed bool
}

// poolTimeout bounds the wait for a free connection. Waiting for one is
// not Redis being slow: a burst of calls (an import's invalidations)
// queues behind calls that each take a fraction of a millisecond. A dead
// Redis still fails within the dial timeout.
const poolTimeout = 5 * timeout

// maxIdle is how long a connection may sit unused before it is closed
// rather than trusted: a NAT or a proxy on the way may have dropped it.
const maxIdle = 30 * time.Minute

var (
	errClosed      = errors.New("redis: client is closed")
	errPoolTimeout = errors.New("redis: connection pool timeout")
)

func newClientOf(cfg config) *client {
	return &client{cfg: cfg, slots: make(chan struct{}, cfg.poolSize)}
}

// do sends one command and returns its reply; an error reply is returned
// as the error.
func (c *client) do(ctx context.Context, args ...any) (any, error) {
	replies, err := c.pipeline(ctx, args)
	if err != nil {
		return nil, err
	}
	if e, ok := replies[0].(replyError); ok {
		return nil, e
	}
	return replies[0], nil
}

// pipeline sends the commands in one write and reads their replies, in
// order: one round trip. Error replies (replyError) are values among the replies; the
// error is for a call that failed as a whole (network, timeout,
// protocol), after which no reply can be trusted.
func (c *client) pipeline(ctx context.Context, cmds ...[]any) ([]any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cn, err := c.get(ctx)
	if err != nil {
		return nil, err
	}
	replies, reusable, err := cn.roundTrip(ctx, cmds)
	c.put(cn, reusable)
	return replies, err
}

// get takes a connection from the pool, or dials one, waiting at most
// poolTimeout for a free slot.
func (c *client) get(ctx context.Context) (*conn, error) {
	select {
	case c.slots <- struct{}{}:
	default:
		t := time.NewTimer(poolTimeout)
		defer t.Stop()
		select {
		case c.slots <- struct{}{}:
		case <-t.C:
			return nil, errPoolTimeout
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			<-c.slots
			return nil, errClosed
		}
		n := len(c.idle)
		if n == 0 {
			c.mu.Unlock()
			break
		}
		cn := c.idle[n-1]
		c.idle = c.idle[:n-1]
		c.mu.Unlock()
		if time.Since(cn.usedAt) < maxIdle && cn.alive() {
			return cn, nil
		}
		cn.nc.Close()
	}
	cn, err := c.dial(ctx)
	if err != nil {
		<-c.slots
		return nil, err
	}
	return cn, nil
}

// put gives a connection back after a call: to the idle ones if it is
// fit for another call, else it is closed.
func (c *client) put(cn *conn, reusable bool) {
	defer func() { <-c.slots }()
	if reusable && cn.br.Buffered() == 0 {
		c.mu.Lock()
		if !c.closed {
			cn.usedAt = time.Now()
			c.idle = append(c.idle, cn)
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
	cn.nc.Close()
}

// close closes the idle connections; those in use are closed as they
// come back. Calls after it fail with errClosed.
func (c *client) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, cn := range c.idle {
		cn.nc.Close()
	}
	c.idle = nil
	return nil
}

// dial opens a connection and readies it (AUTH, SELECT, CLIENT SETNAME,
// in one round trip), all within one step's deadline.
func (c *client) dial(ctx context.Context) (*conn, error) {
	dctx, cancel := context.WithDeadline(ctx, stepDeadline(ctx))
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(dctx, c.cfg.network, c.cfg.addr)
	if err != nil {
		return nil, err
	}
	raw := nc
	if c.cfg.tls != nil {
		tc := tls.Client(nc, c.cfg.tls.Clone())
		if err := tc.HandshakeContext(dctx); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	cn := &conn{nc: nc, raw: raw, br: bufio.NewReader(nc)}
	var init [][]any
	if c.cfg.password != "" {
		if c.cfg.username != "" {
			init = append(init, []any{"AUTH", c.cfg.username, c.cfg.password})
		} else {
			init = append(init, []any{"AUTH", c.cfg.password})
		}
	}
	if c.cfg.db != 0 {
		init = append(init, []any{"SELECT", c.cfg.db})
	}
	if c.cfg.clientName != "" {
		init = append(init, []any{"CLIENT", "SETNAME", c.cfg.clientName})
	}
	if len(init) == 0 {
		return cn, nil
	}
	replies, reusable, err := cn.roundTrip(ctx, init)
	if err == nil {
		for i, r := range replies {
			if e, ok := r.(replyError); ok {
				err = fmt.Errorf("%s on connect: %w", init[i][0], e)
				break
			}
		}
	}
	if err != nil || !reusable {
		nc.Close()
		return nil, cmpErr(err, errors.New("redis: connect abandoned"))
	}
	return cn, nil
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// stepDeadline is the deadline of one step of a call (a dial, a write, a
// read): timeout from now, or the caller's deadline if that is earlier.
func stepDeadline(ctx context.Context) time.Time {
	d := time.Now().Add(timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		return cd
	}
	return d
}

// conn is one connection to Redis. Only one call uses it at a time.
type conn struct {
	nc     net.Conn
	raw    net.Conn // nc below TLS, for the liveness check
	br     *bufio.Reader
	buf    []byte // the commands of the call in flight, reused
	usedAt time.Time
}

// roundTrip writes the commands and reads one reply for each. A
// connection that failed in any way (I/O, a broken reply, a caller who
// cancelled mid-call) is not reusable: the server's replies and ours
// may be out of step.
func (cn *conn) roundTrip(ctx context.Context, cmds [][]any) (replies []any, reusable bool, err error) {
	// A cancelled caller ends the call now rather than at the deadline:
	// the deadline is pulled in, which fails the I/O in flight.
	stop := context.AfterFunc(ctx, func() { cn.nc.SetDeadline(time.Unix(1, 0)) })
	replies, err = cn.exchange(ctx, cmds)
	if !stop() {
		// The cancellation fired: it may yet move this connection's
		// deadline under its next user. Whatever was read, close it.
		if err != nil {
			err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
		}
		return replies, false, err
	}
	return replies, err == nil, err
}

func (cn *conn) exchange(ctx context.Context, cmds [][]any) ([]any, error) {
	cn.buf = cn.buf[:0]
	for _, args := range cmds {
		cn.buf = appendCommand(cn.buf, args...)
	}
	if err := cn.nc.SetWriteDeadline(stepDeadline(ctx)); err != nil {
		return nil, err
	}
	_, err := cn.nc.Write(cn.buf)
	if cap(cn.buf) > 64<<10 {
		cn.buf = nil // a snapshot was written: keep no large buffer idle
	}
	if err != nil {
		return nil, err
	}
	if err := cn.nc.SetReadDeadline(stepDeadline(ctx)); err != nil {
		return nil, err
	}
	replies := make([]any, len(cmds))
	for i := range replies {
		if replies[i], err = readReply(cn.br); err != nil {
			return nil, err
		}
	}
	return replies, nil
}

// alive reports whether an idle connection still looks usable: the
// server has not closed it nor sent anything unasked. Over TLS it looks
// below the record layer, where a record the server sent late (a
// session ticket) would count as unasked: the connection is then closed
// and another dialed, which costs a handshake but no call.
func (cn *conn) alive() bool {
	if cn.raw.SetReadDeadline(time.Time{}) != nil {
		return false
	}
	return peekAlive(cn.raw)
}
