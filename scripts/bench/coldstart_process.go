package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// spawnAndPoll runs argv from root with env added to this process's,
// polls the full feed at addr every millisecond until it answers 200,
// checks that the answer is the gzip feed of published parties, runs
// verify (after settle) and stops the process.
func spawnAndPoll(ctx context.Context, root string, argv, env []string, addr string, published int, settle time.Duration, verify func(context.Context) error) (coldRun, error) {
	out := &stampWriter{}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	done := make(chan struct{})

	feedURL := "http://" + addr + "/api/parties?" + url.Values{"conference": {benchConference}, "limit": {"500"}}.Encode()
	out.began = time.Now()
	if err := cmd.Start(); err != nil {
		return coldRun{}, fmt.Errorf("start the server: %w", err)
	}
	go func() { _ = cmd.Wait(); close(done) }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-done
		}
	}
	r, resp, err := pollFirst200(done, feedURL, out.began, 30*time.Second)
	if err != nil {
		stop()
		return r, fmt.Errorf("%w; output:\n%s", err, out.tail())
	}
	r.Marks = out.marks()
	r.Size = len(resp.Body)
	n, ok := feedTotal(resp)
	if resp.Header.Get("Content-Encoding") != "gzip" || !ok || n != published {
		stop()
		return r, fmt.Errorf("the first answer is not the full gzip feed: Content-Encoding %q, %d parties (want %d)",
			resp.Header.Get("Content-Encoding"), n, published)
	}
	r.Parties = n
	time.Sleep(settle)
	if verify != nil {
		if err := verify(ctx); err != nil {
			stop()
			return r, fmt.Errorf("%w; output:\n%s", err, out.tail())
		}
	}
	stop()
	if ps := cmd.ProcessState; ps != nil {
		r.CPU = ps.UserTime() + ps.SystemTime()
	}
	return r, nil
}

// pollFirst200 asks url every millisecond, on a new connection each time,
// until it answers 200 or the process exits. It returns the time from
// began to the answer's last byte, and to the first connection the
// server accepted: the moment it listened.
func pollFirst200(done <-chan struct{}, url string, began time.Time, timeout time.Duration) (coldRun, capture, error) {
	var connected atomic.Int64
	tr := &http.Transport{
		DisableKeepAlives: true, DisableCompression: true, Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err == nil {
				connected.CompareAndSwap(0, int64(time.Since(began)))
			}
			return c, err
		},
	}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: timeout}
	deadline := began.Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return coldRun{}, capture{}, errors.New("the server exited before answering")
		default:
		}
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header = gzipHeader()
		resp, err := cl.Do(req)
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			at := time.Since(began)
			if rerr != nil {
				return coldRun{}, capture{}, rerr
			}
			c := capture{Status: resp.StatusCode, Header: resp.Header, Body: body}
			if resp.StatusCode == http.StatusOK {
				return coldRun{Total: at, Connect: time.Duration(connected.Load())}, c, nil
			}
			if resp.StatusCode != http.StatusServiceUnavailable {
				return coldRun{}, c, fmt.Errorf("%s answered %d: %.300s", url, resp.StatusCode, body)
			}
		} else if !errors.Is(err, syscall.ECONNREFUSED) {
			return coldRun{}, capture{}, fmt.Errorf("poll %s: %w", url, err)
		}
		time.Sleep(time.Millisecond)
	}
	return coldRun{}, capture{}, fmt.Errorf("%s gave no 200 within %s", url, timeout)
}

// stampWriter keeps a process's output and the time each line arrived,
// from began.
type stampWriter struct {
	began   time.Time
	mu      sync.Mutex
	all     bytes.Buffer
	partial []byte
	lines   []stampedLine
}

type stampedLine struct {
	at   time.Duration
	text string
}

func (w *stampWriter) Write(p []byte) (int, error) {
	at := time.Since(w.began)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.lines = append(w.lines, stampedLine{at: at, text: string(w.partial[:i])})
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

// marks returns when each of coldMarks' lines arrived.
func (w *stampWriter) marks() map[string]time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := map[string]time.Duration{}
	for _, l := range w.lines {
		for _, mk := range coldMarks {
			if _, seen := m[mk.key]; !seen && strings.HasPrefix(l.text, mk.prefix) {
				m[mk.key] = l.at
			}
		}
	}
	return m
}

func (w *stampWriter) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.all.Bytes()
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// waitFor polls cond every 5 ms until it holds, fails or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s within %s", what, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
