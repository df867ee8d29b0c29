package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder"
)

// shutdownLoad is what clients saw while the runner stopped under load.
type shutdownLoad struct {
	ok, refused, broken atomic.Int64
	mu                  sync.Mutex
	samples             []string // a few of the broken requests' errors
}

func (l *shutdownLoad) String() string {
	return fmt.Sprintf("%d served, %d refused, %d broken %v", l.ok.Load(), l.refused.Load(), l.broken.Load(), l.samples)
}

// A stop (SIGTERM, Ctrl-C) under load breaks no request the runner took:
// every connection it accepted, or that waited in the listen backlog,
// gets its answer; a client connecting after the runner stopped listening
// is refused, which it can safely retry. The clients send POSTs, as swipes
// and saves are, over keep-alive connections: a client may not resend a
// POST whose connection broke, so each break is a lost write.
func TestStopUnderLoadBreaksNoAcceptedRequest(t *testing.T) {
	const (
		rounds  = 5
		clients = 16
	)
	total := &shutdownLoad{}
	for round := range rounds {
		load := stopUnderLoad(t, clients)
		t.Logf("round %d: %v", round, load)
		total.ok.Add(load.ok.Load())
		total.refused.Add(load.refused.Load())
		total.broken.Add(load.broken.Load())
		total.samples = append(total.samples, load.samples...)
	}
	t.Logf("all rounds: %d served, %d refused, %d broken", total.ok.Load(), total.refused.Load(), total.broken.Load())
	if total.broken.Load() > 0 {
		t.Errorf("%d requests broke during the stop, e.g. %v", total.broken.Load(), total.samples)
	}
}

// stopUnderLoad starts a runner server on loopback, has clients POST to
// it, stops it while they do and returns what the clients saw. Each
// client sends at most 2000 requests and stops once it has been refused
// a few times or after 10 s.
func stopUnderLoad(t *testing.T, clients int) *shutdownLoad {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var served atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		served.Add(1)
		w.Write([]byte("ok"))
	})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	cfg, err := partyfinder.ConfigFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- serveUntil(ctx, []*httpServer{newServer(ln, h, cfg)}, cfg.Drain) }()

	url := "http://" + ln.Addr().String() + "/api/swipes"
	tr := &http.Transport{MaxIdleConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	load := &shutdownLoad{}
	deadline := time.Now().Add(10 * time.Second)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			refusals := 0
			for i := 0; i < 2000 && refusals < 3 && time.Now().Before(deadline); i++ {
				// A body that cannot be rewound: the client may not resend it.
				body := io.NopCloser(strings.NewReader(`{"party":"p1","decision":"like"}`))
				resp, err := client.Post(url, "application/json", body)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					load.ok.Add(1)
					continue
				}
				if errors.Is(err, syscall.ECONNREFUSED) {
					refusals++
					load.refused.Add(1)
					continue
				}
				load.broken.Add(1)
				load.mu.Lock()
				if len(load.samples) < 3 {
					load.samples = append(load.samples, err.Error())
				}
				load.mu.Unlock()
			}
		})
	}
	// Stop once the load is steady.
	for served.Load() < 2000 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	stop()
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	return load
}
