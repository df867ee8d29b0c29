package redis

import (
	"bufio"
	"context"
	"errors"
	"net"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer is a stand-in for Redis that misbehaves on purpose (a reply
// cut short, a broken one, none at all): failure injection, where the
// real server would not fail. Each connection it accepts is handed to
// serve with its number, from 1.
type fakeServer struct {
	ln       net.Listener
	accepted atomic.Int32
	wg       sync.WaitGroup
}

func startFake(t *testing.T, serve func(n int, c net.Conn, r *bufio.Reader)) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{ln: ln}
	var conns sync.Map
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := int(s.accepted.Add(1))
			conns.Store(c, true)
			s.wg.Go(func() { defer c.Close(); serve(n, c, bufio.NewReader(c)) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
		s.wg.Wait()
	})
	return s
}

func (s *fakeServer) client(t *testing.T) *client {
	t.Helper()
	c, err := newClient(s.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.close() })
	return c
}

// answerPings answers every command with +PONG until the client hangs up.
func answerPings(c net.Conn, r *bufio.Reader) {
	for {
		if _, err := readReply(r); err != nil {
			return
		}
		if _, err := c.Write([]byte("+PONG\r\n")); err != nil {
			return
		}
	}
}

// TestConnReuse: a connection whose call failed mid-reply is closed, not
// given to the next call, which would read the rest of the old reply as
// its own; one whose call went well is reused.
func TestConnReuse(t *testing.T) {
	tests := []struct {
		name      string
		first     string // what the server sends on the first connection, then it stays silent
		firstOK   bool
		wantReuse bool
	}{
		{"a whole reply", "+PONG\r\n", true, true},
		{"a bulk string cut short", "$10\r\nhal", false, false},
		{"an array cut short", "*2\r\n+PONG\r\n", false, false},
		{"a protocol error", "!PONG\r\n+PONG\r\n", false, false},
		{"a reply too many", "+PONG\r\n+PONG\r\n", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startFake(t, func(n int, c net.Conn, r *bufio.Reader) {
				if n > 1 {
					answerPings(c, r)
					return
				}
				if _, err := readReply(r); err != nil {
					return
				}
				c.Write([]byte(tt.first))
				if tt.wantReuse {
					answerPings(c, r)
					return
				}
				readReply(r) // hold the connection open, answering nothing more
			})
			c := s.client(t)
			ctx := t.Context()
			_, err := c.do(ctx, "PING")
			if tt.firstOK != (err == nil) {
				t.Fatalf("first call: %v", err)
			}
			if got, err := c.do(ctx, "PING"); err != nil || got != "PONG" {
				t.Fatalf("second call: %#v, %v; want PONG", got, err)
			}
			want := int32(2)
			if tt.wantReuse {
				want = 1
			}
			if got := s.accepted.Load(); got != want {
				t.Errorf("%d connections for two calls, want %d", got, want)
			}
		})
	}
}

// TestCancelMidRead: a caller who gives up while the reply is awaited
// ends the call at once, and the connection, whose reply may still come,
// is not reused.
func TestCancelMidRead(t *testing.T) {
	received := make(chan struct{})
	s := startFake(t, func(n int, c net.Conn, r *bufio.Reader) {
		if n > 1 {
			answerPings(c, r)
			return
		}
		readReply(r)
		close(received)
		readReply(r) // no answer
	})
	c := s.client(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { <-received; cancel() }()
	_, err := c.do(ctx, "PING")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a call cancelled mid-read: %v, want context.Canceled", err)
	}
	if got, err := c.do(t.Context(), "PING"); err != nil || got != "PONG" {
		t.Fatalf("the call after: %#v, %v", got, err)
	}
	if got := s.accepted.Load(); got != 2 {
		t.Errorf("%d connections, want 2: the cancelled one must not be reused", got)
	}
}

// TestPoolBound: the pool opens no more connections than its size; a
// call that finds none free waits, then fails with errPoolTimeout.
func TestPoolBound(t *testing.T) {
	s := startFake(t, func(_ int, c net.Conn, r *bufio.Reader) { answerPings(c, r) })
	cfg, err := parseAddr(s.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cfg.poolSize = 1
	c := newClientOf(cfg)
	defer c.close()
	held, err := c.get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.do(t.Context(), "PING"); !errors.Is(err, errPoolTimeout) {
		t.Errorf("a call while the only connection is in use: %v, want errPoolTimeout", err)
	}
	c.put(held, true)
	if _, err := c.do(t.Context(), "PING"); err != nil {
		t.Errorf("a call once the connection is back: %v", err)
	}
	if got := s.accepted.Load(); got != 1 {
		t.Errorf("%d connections, want 1", got)
	}
}

// TestClosedByServer: an idle connection the server closed is noticed
// before use and replaced, rather than failing the call (and opening the
// breaker).
func TestClosedByServer(t *testing.T) {
	s := startFake(t, func(n int, c net.Conn, r *bufio.Reader) {
		if n == 1 {
			readReply(r)
			c.Write([]byte("+PONG\r\n"))
			return // hang up, as a restarted server would have
		}
		answerPings(c, r)
	})
	c := s.client(t)
	if _, err := c.do(t.Context(), "PING"); err != nil {
		t.Fatal(err)
	}
	// wait for the hang-up to reach the idle connection
	c.mu.Lock()
	idle := c.idle[0]
	c.mu.Unlock()
	for i := 0; idle.alive(); i++ {
		if i == 5000 {
			t.Fatal("the hang-up never showed on the idle connection")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := c.do(t.Context(), "PING"); err != nil {
		t.Errorf("a call after the server closed the idle connection: %v", err)
	}
}

func TestParseAddr(t *testing.T) {
	tests := []struct {
		addr    string
		want    config // poolSize and tls compared apart
		tlsName string
		pool    int
		err     bool
	}{
		{addr: "10.0.0.3:6379", want: config{network: "tcp", addr: "10.0.0.3:6379"}},
		{addr: "redis://h", want: config{network: "tcp", addr: "h:6379"}},
		{addr: "redis://", want: config{network: "tcp", addr: "localhost:6379"}},
		{addr: "redis://:s3cret@h:7000/2", want: config{network: "tcp", addr: "h:7000", password: "s3cret", db: 2}},
		{addr: "redis://ada:s3cret@h/", want: config{network: "tcp", addr: "h:6379", username: "ada", password: "s3cret"}},
		{addr: "redis://[::1]:7000", want: config{network: "tcp", addr: "[::1]:7000"}},
		{addr: "redis://h?db=4&client_name=feed", want: config{network: "tcp", addr: "h:6379", db: 4, clientName: "feed"}},
		{addr: "redis://h?pool_size=3&dial_timeout=1s&max_retries=2", want: config{network: "tcp", addr: "h:6379"}, pool: 3},
		{addr: "rediss://:pw@cache.internal:6378", want: config{network: "tcp", addr: "cache.internal:6378", password: "pw"}, tlsName: "cache.internal"},
		{addr: "rediss://h?skip_verify=true", want: config{network: "tcp", addr: "h:6379"}, tlsName: "h"},
		{addr: "unix:///run/redis.sock?db=1", want: config{network: "unix", addr: "/run/redis.sock", db: 1}},
		{addr: "", err: true},
		{addr: "http://h", err: true},
		{addr: "redis://h/x", err: true},
		{addr: "redis://h/1/2", err: true},
		{addr: "redis://h?db=x", err: true},
		{addr: "redis://h?unknown=1", err: true},
		{addr: "redis://h?skip_verify=true", err: true}, // only for rediss
		{addr: "redis://h?dial_timeout=soon", err: true},
		{addr: "redis://h?pool_fifo=maybe", err: true},
		{addr: "redis://h?pool_size=many", err: true},
		{addr: "unix://", err: true},
		{addr: "redis://h:port", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got, err := parseAddr(tt.addr)
			if tt.err {
				if err == nil {
					t.Fatalf("parseAddr(%q) = %+v, want an error", tt.addr, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.pool != 0 && got.poolSize != tt.pool {
				t.Errorf("pool size %d, want %d", got.poolSize, tt.pool)
			}
			if got.poolSize < 1 {
				t.Errorf("pool size %d", got.poolSize)
			}
			switch {
			case tt.tlsName == "" && got.tls != nil:
				t.Error("TLS where none was asked for")
			case tt.tlsName != "" && (got.tls == nil || got.tls.ServerName != tt.tlsName):
				t.Errorf("TLS %+v, want the server name %q", got.tls, tt.tlsName)
			}
			got.poolSize, got.tls = 0, nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseAddr(%q) = %+v, want %+v", tt.addr, got, tt.want)
			}
		})
	}
}
