package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder"
)

// At the cap, idle keep-alive connections make room for a newcomer: the
// one idle longest is closed and the new client is served, while the
// server never holds more than the cap.
func TestAtTheCapIdleConnectionsMakeRoom(t *testing.T) {
	const maxConns = 2
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := partyfinder.Config{MaxConns: maxConns, IdleTimeout: time.Minute}
	srv := newServer(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}), cfg)
	var (
		mu   sync.Mutex
		peak int
	)
	state := srv.ConnState
	srv.ConnState = func(c net.Conn, s http.ConnState) {
		state(c, s)
		mu.Lock()
		peak = max(peak, srv.ln.Open())
		mu.Unlock()
	}
	go srv.Serve(srv.ln)
	defer srv.Close()

	// Fill the cap with keep-alive connections left idle after a request.
	var idle []net.Conn
	for range maxConns {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		get(t, c)
		idle = append(idle, c)
	}
	// A newcomer is served once the idle longest gives up its slot.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	get(t, c)
	// The first idle connection was closed by the server.
	idle[0].SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := idle[0].Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the connection idle longest: read %d, %v; want EOF", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if peak > maxConns {
		t.Errorf("%d connections open at once, cap %d", peak, maxConns)
	}
}

func get(t *testing.T, c net.Conn) {
	t.Helper()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
