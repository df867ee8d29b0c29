package main

import (
	"container/list"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// idleGrace is how long a keep-alive connection must have waited for its
// next request before a newcomer at the cap may take its place: a client
// between two requests of a burst keeps its connection.
const idleGrace = time.Second

// limitListener holds at most max connections open at once, so a flood
// of connections cannot use up the process's file descriptors and memory.
// At the cap it takes one more connection from the kernel and lets it
// wait for a slot; the others wait in the kernel's listen backlog. A slot
// frees when a connection closes: its client's or the server's doing
// (http.Server's idle and header timeouts), or the listener's, which
// closes the keep-alive connection that has waited longest for a request
// to make room for the waiting one. Closing an idle keep-alive connection
// is always allowed in HTTP/1.1; its client opens a new one.
//
// The listener learns which connections are idle from http.Server's
// ConnState hook: set the server's ConnState to the listener's.
type limitListener struct {
	net.Listener
	slots     chan struct{} // one token per open connection
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	stopping  atomic.Bool // closeEmpty has stopped Accept, to take the backlog and close
	pending   []net.Conn  // taken from the backlog at close; only Accept uses it
	open      atomic.Int64

	mu   sync.Mutex
	idle list.List     // *limitConn waiting for their next request, longest first
	wake chan struct{} // a connection became idle
}

func newLimitListener(ln net.Listener, max int) *limitListener {
	return &limitListener{
		Listener: ln,
		slots:    make(chan struct{}, max),
		done:     make(chan struct{}),
		wake:     make(chan struct{}, 1),
	}
}

// Accept takes the next connection, once there is a slot for it.
func (l *limitListener) Accept() (net.Conn, error) {
	if len(l.pending) > 0 {
		c := l.pending[0]
		l.pending = l.pending[1:]
		return l.track(c, l.trySlot()), nil
	}
	c, err := l.Listener.Accept()
	if err != nil {
		if l.stopping.Load() && errors.Is(err, os.ErrDeadlineExceeded) {
			// No other goroutine is in the listener's Accept, so Close
			// closes the socket at once, right after the last connection
			// has left its backlog.
			l.pending = takeBacklog(l.Listener)
			l.Close()
			return l.Accept()
		}
		return nil, err
	}
	for {
		select {
		case l.slots <- struct{}{}:
			return l.track(c, true), nil
		default:
		}
		if got, closing := l.await(l.closeIdlest()); got || closing {
			// Stopping: the server still answers this one, which its
			// client sent before the listener closed, rather than reset it.
			return l.track(c, got), nil
		}
	}
}

// await waits for a free slot (got), for the listener to close (closing),
// for a connection to become idle or, if wait > 0, for that long.
func (l *limitListener) await(wait time.Duration) (got, closing bool) {
	var retry <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		retry = t.C
	}
	select {
	case l.slots <- struct{}{}:
		return true, false
	case <-l.done:
		return false, true
	case <-l.wake:
	case <-retry:
	}
	return false, false
}

func (l *limitListener) trySlot() bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// closeEmpty closes the listener without resetting the connections in
// its listen backlog, whose clients may have sent their requests: Accept
// takes those first. Connections attempted later are refused, which
// clients may safely retry. It returns once the listener is closed, at
// most after max (at the cap Accept may wait that long for a slot).
func (l *limitListener) closeEmpty(max time.Duration) {
	dl, ok := l.Listener.(interface{ SetDeadline(time.Time) error })
	if !ok {
		l.Close()
		return
	}
	l.stopping.Store(true)
	dl.SetDeadline(time.Now()) // ends a waiting Accept
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-l.done:
	case <-t.C:
		l.Close()
	}
}

// closeIdlest closes the connection that has waited longest for its next
// request, if it has waited at least idleGrace. Else it says how long
// until the longest-waiting one has (0: none is idle).
func (l *limitListener) closeIdlest() time.Duration {
	l.mu.Lock()
	e := l.idle.Front()
	if e == nil {
		l.mu.Unlock()
		return 0
	}
	c := e.Value.(*limitConn)
	if wait := idleGrace - time.Since(c.idleSince); wait > 0 {
		l.mu.Unlock()
		return wait
	}
	l.idle.Remove(e)
	c.idleAt = nil
	l.mu.Unlock()
	c.Close()
	return 0
}

// Close stops accepting: Accept returns an error. Closing it again does
// nothing (http.Server.Shutdown closes it after the runner did).
func (l *limitListener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		err = l.Listener.Close()
		close(l.done)
	})
	return err
}

// ConnState is the http.Server hook that tells the listener which
// connections are idle keep-alive ones.
func (l *limitListener) ConnState(nc net.Conn, s http.ConnState) {
	c, ok := nc.(*limitConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.idleAt != nil {
		l.idle.Remove(c.idleAt)
		c.idleAt = nil
	}
	if s == http.StateIdle && !c.closed {
		c.idleSince = time.Now()
		c.idleAt = l.idle.PushBack(c)
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

func (l *limitListener) track(c net.Conn, slot bool) *limitConn {
	l.open.Add(1)
	return &limitConn{Conn: c, l: l, slot: slot}
}

// Open is how many of its connections are open.
func (l *limitListener) Open() int { return int(l.open.Load()) }

// limitConn is a connection holding one of its listener's slots until it
// closes.
type limitConn struct {
	net.Conn
	l    *limitListener
	slot bool // holds a slot: false for one accepted while the listener closed

	// Guarded by l.mu.
	idleAt    *list.Element // its place among the idle, or nil
	idleSince time.Time
	closed    bool
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.l.mu.Lock()
	first := !c.closed
	c.closed = true
	if c.idleAt != nil {
		c.l.idle.Remove(c.idleAt)
		c.idleAt = nil
	}
	c.l.mu.Unlock()
	if first {
		c.l.open.Add(-1)
		if c.slot {
			<-c.l.slots
		}
	}
	return err
}
