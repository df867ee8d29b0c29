package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// capture is one real response, replayed byte for byte by the ceiling.
type capture struct {
	Status int         `json:"status"`
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// rawClient sends requests exactly as given: no transparent gzip, so the
// captured body is the compressed bytes the server sent.
var rawClient = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{DisableCompression: true, Proxy: nil},
}

// fetch performs one request of a shape and returns the response as sent.
func fetch(s shape) (capture, error) {
	if err := loopbackOnly(s); err != nil {
		return capture{}, err
	}
	req, err := http.NewRequest(http.MethodGet, s.URL, nil)
	if err != nil {
		return capture{}, err
	}
	req.Header = s.Header.Clone()
	resp, err := rawClient.Do(req)
	if err != nil {
		return capture{}, fmt.Errorf("%s: %w", s.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return capture{}, fmt.Errorf("%s: %w", s.Name, err)
	}
	h := resp.Header.Clone()
	h.Del("Date") // net/http adds a fresh one to every response, the ceiling's too
	return capture{Status: resp.StatusCode, Header: h, Body: body}, nil
}

// writeCapture stores c for the ceiling process.
func writeCapture(path string, c capture) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// runCeiling is the "ceiling" subcommand: a plain net/http server that
// answers every request with the captured status, headers and bytes. It is
// what the feed could at best be: the same response with no routing, no
// middleware and no cache lookup.
func runCeiling(args []string) error {
	fs := flag.NewFlagSet("ceiling", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	file := fs.String("capture", "", "captured response (JSON)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	var c capture
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("capture %s: %w", *file, err)
	}
	handler := replay(c)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	// The same timeouts as the real server, so connection handling matches.
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	return srv.Serve(ln)
}

// replay answers every request with the captured status, headers and bytes.
func replay(c capture) http.Handler {
	header := c.Header.Clone()
	header.Set("Content-Length", strconv.Itoa(len(c.Body)))
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		for k, v := range header {
			h[k] = v // shared read-only slices, as the real server's static headers are
		}
		w.WriteHeader(c.Status)
		_, _ = w.Write(c.Body)
	})
}

// startCeiling runs this program's ceiling subcommand as a separate process,
// pinned like the real server, replaying the capture in file.
func startCeiling(root, cpus, file string) (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p, err := startProcess(root, cpus, nil, self, "ceiling", "-addr", addr, "-capture", file)
	if err != nil {
		return nil, err
	}
	p.addr = addr
	if err := waitOK(p, "http://"+addr+"/", 10*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}
