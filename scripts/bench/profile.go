package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/partyfinder/partyfinder"
	"github.com/partyfinder/partyfinder/shared/party"
)

// profileShapes serves the feed from this process, wired by the root package as
// the real server is, and writes one CPU profile per shape while wrk
// saturates it. The real server has no profiling endpoint; this is the
// same handler code under the same load.
func profileShapes(ctx context.Context, stdout io.Writer, root, db string, ps []party.Party, cfg config) error {
	if err := os.MkdirAll(cfg.profile, 0o755); err != nil {
		return err
	}
	_, h, err := inProcessApp(ctx, db)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	shapes, err := serverShapes("http://"+ln.Addr().String(), ps)
	if err != nil {
		return err
	}
	if shapes, _, err = withRevalidation(shapes); err != nil {
		return err
	}
	o := cfg.load
	if cfg.pin {
		// This process (now the server) sits on the load CPU: give wrk the other.
		o.LoadCPUs = serverCPU
	}
	for _, s := range shapes {
		if !selected(cfg.only, s.Name) {
			continue
		}
		path := filepath.Join(cfg.profile, s.Name+".pprof")
		sat, err := profileOne(ctx, s, o, path)
		if err != nil {
			return err
		}
		step(stdout, "%s: %.0f req/s in process (%s), profile %s", s.Name, sat.RPS, sat.Tool, path)
		printTop(ctx, stdout, root, path)
	}
	return nil
}

// inProcessApp wires the functions from the root package over the database as
// the server does, behind a plain ServeMux standing in for the server's
// firebase.json router. The app lives as long as the process.
func inProcessApp(ctx context.Context, db string) (*partyfinder.App, http.Handler, error) {
	store, err := partyfinder.OpenStore(ctx, partyfinder.Config{Store: partyfinder.StoreSQLite, DBPath: db})
	if err != nil {
		return nil, nil, err
	}
	a := partyfinder.New(partyfinder.Config{Store: partyfinder.StoreSQLite, DBPath: db, DefaultConference: benchConference,
		FeedRefresh: 5 * time.Second, Local: true, Version: "bench"}, store, partyfinder.Auth{})
	mux := http.NewServeMux()
	mux.Handle("/api/parties", a.Handler(partyfinder.FnParties))
	mux.Handle("/api/parties/", a.Handler(partyfinder.FnParties))
	mux.Handle("/api/conferences/", a.Handler(partyfinder.FnConferences))
	return a, mux, nil
}

// profileAllocs records every allocation of the full feed's handlers for
// a fixed number of requests and prints where they come from.
func profileAllocs(ctx context.Context, stdout io.Writer, root, db string, ps []party.Party, dir string) error {
	_, h, err := inProcessApp(ctx, db)
	if err != nil {
		return err
	}
	shapes, err := serverShapes("http://127.0.0.1", ps)
	if err != nil {
		return err
	}
	req, w := request(shapes[0]), &discardWriter{h: http.Header{}}
	h.ServeHTTP(w, req) // fill the caches first: steady state, not the first answer
	const requests = 10000
	// The allocs profile is cumulative: the profile from before the loop is
	// subtracted, leaving exactly the loop's allocations.
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	base, path := filepath.Join(dir, "feed-gzip.allocs-base.pprof"), filepath.Join(dir, "feed-gzip.allocs.pprof")
	if err := writeAllocs(base); err != nil {
		return err
	}
	for range requests {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
	err = writeAllocs(path)
	runtime.MemProfileRate = old
	if err != nil {
		return err
	}
	step(stdout, "feed-gzip: allocations of %d requests through the handlers, profile %s (base %s)", requests, path, base)
	printTop(ctx, stdout, root, path, "-sample_index=alloc_objects", "-base", base)
	return nil
}

// writeAllocs writes the allocations so far, as of a fresh GC (the profile
// reports allocations up to the last one).
func writeAllocs(path string) error {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

// profileOne warms the shape up, then records a CPU profile while
// saturating it.
func profileOne(ctx context.Context, s shape, o loadOptions, path string) (saturation, error) {
	if _, err := saturate(ctx, s, o, o.Warmup); err != nil {
		return saturation{}, err
	}
	f, err := os.Create(path)
	if err != nil {
		return saturation{}, err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return saturation{}, err
	}
	sat, err := saturate(ctx, s, o, o.Duration)
	pprof.StopCPUProfile()
	return sat, err
}

// printTop shows the hottest functions of a profile, as `go tool pprof -top`.
func printTop(ctx context.Context, w io.Writer, root, path string, args ...string) {
	args = append([]string{"tool", "pprof", "-top", "-nodecount=25"}, append(args, path)...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		fmt.Fprintf(w, "go tool pprof: %v\n%s\n", err, out)
		return
	}
	fmt.Fprintf(w, "%s\n", out)
}
