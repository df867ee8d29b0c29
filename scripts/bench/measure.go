package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/partyfinder/partyfinder/shared/party"
)

// result is everything measured about one shape.
type result struct {
	Shape      shape
	Response   capture
	Sat        saturation
	Fixed      fixedRate
	Background float64    // machine busy share just before, with our processes idle
	Other      [2]float64 // other work's share of the server's CPU during saturation and latency runs; -1 if unknown
	Retries    int        // runs repeated because other work took the server's CPU
	Rounds     []round    // the alternating ceiling comparison
}

// round is one saturation run of the ceiling comparison.
type round struct {
	RPS       float64
	CPUPerReq time.Duration
	Other     float64 // other work's share of the server's CPU during the run; -1 if unknown
}

// Other work on the server's CPU beyond this share makes a run count as
// disturbed; it is repeated, up to maxTries runs, and the least disturbed
// one is kept.
const (
	quietIntrusion = 0.05
	maxTries       = 3
)

// measureShapes starts the real server (and the ceilings) pinned, checks
// every shape once, then measures each in turn, and then each compared
// shape against its ceiling.
func measureShapes(ctx context.Context, stdout io.Writer, root, bin, db string, ps []party.Party, cpus, tmp string, cfg config) ([]result, error) {
	srv, _, err := startServer(root, bin, db, cpus)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	shapes, err := serverShapes("http://"+srv.addr, ps)
	if err != nil {
		return nil, err
	}
	for i := range shapes {
		shapes[i].PID = srv.cmd.Process.Pid
	}
	shapes, _, err = withRevalidation(shapes)
	if err != nil {
		return nil, err
	}
	ceilings, stop, err := startCeilings(root, cpus, tmp, shapes, cfg.only)
	defer stop()
	if err != nil {
		return nil, err
	}
	shapes = append(shapes, ceilings...)

	var results []result
	for _, s := range shapes {
		if !selected(cfg.only, s.Name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		bg := waitQuiet(stdout, s.Name)
		step(stdout, "%s: warm-up %s, saturation %s, %d req/s for %s", s.Name, cfg.load.Warmup, cfg.load.Duration, cfg.load.Rate, cfg.load.Duration)
		r, err := measure(ctx, stdout, s, cfg.load)
		if err != nil {
			return nil, err
		}
		r.Background = bg
		results = append(results, r)
	}
	// Each compared shape and its ceiling, when both were measured.
	var pairs [][2]int
	for i, x := range results {
		for j, c := range results {
			if c.Shape.Of == x.Shape.Name {
				pairs = append(pairs, [2]int{i, j})
			}
		}
	}
	if len(pairs) > 0 && cfg.rounds > 0 {
		cmp, err := compareCeilings(ctx, stdout, results, pairs, cfg)
		if err != nil {
			return nil, err
		}
		for k, p := range pairs {
			results[p[0]].Rounds, results[p[1]].Rounds = cmp[k][0], cmp[k][1]
		}
	}
	return results, nil
}

// startCeilings starts one ceiling process per compared shape whose
// ceiling is selected, each replaying that shape's exact response (status,
// headers, gzip bytes) as captured now, pinned like the real server. It
// returns the ceilings' shapes and a function that stops them all.
func startCeilings(root, cpus, tmp string, shapes []shape, only string) ([]shape, func(), error) {
	var (
		out   []shape
		procs []*process
	)
	stop := func() {
		for _, p := range procs {
			p.stop()
		}
	}
	for _, s := range shapes {
		if !s.Compare || !selected(only, ceilingName(s)) {
			continue
		}
		resp, err := fetch(s)
		if err != nil {
			return nil, stop, err
		}
		if resp.Status != s.Want {
			return nil, stop, fmt.Errorf("%s: status %d, want %d: %.300s", s.Name, resp.Status, s.Want, resp.Body)
		}
		file := filepath.Join(tmp, s.Name+"-response.json")
		if err := writeCapture(file, resp); err != nil {
			return nil, stop, err
		}
		p, err := startCeiling(root, cpus, file)
		if err != nil {
			return nil, stop, fmt.Errorf("ceiling of %s: %w", s.Name, err)
		}
		procs = append(procs, p)
		c := ceilingShape("http://"+p.addr, s)
		c.PID = p.cmd.Process.Pid
		out = append(out, c)
	}
	return out, stop, nil
}

// measure checks the shape's answer, warms it up, then measures its
// saturation throughput and its latency at the fixed rate.
func measure(ctx context.Context, stdout io.Writer, s shape, o loadOptions) (result, error) {
	resp, err := fetch(s)
	if err != nil {
		return result{}, err
	}
	if resp.Status != s.Want {
		return result{}, fmt.Errorf("%s: status %d, want %d: %.300s", s.Name, resp.Status, s.Want, resp.Body)
	}
	if o.Warmup > 0 {
		if _, err := saturate(ctx, s, o, o.Warmup); err != nil {
			return result{}, err
		}
	}
	r := result{Shape: s, Response: resp}
	var (
		u     usage
		tries int
	)
	r.Sat, u, tries, err = quietly(stdout, s, o, func() (saturation, error) { return saturate(ctx, s, o, o.Duration) })
	if err != nil {
		return r, err
	}
	r.Sat.CPUPerReq = perRequest(u.Server, r.Sat.Requests)
	r.Other[0], r.Retries = u.Other, tries-1
	// A short pause lets the saturation run's connections go idle before
	// the latency run opens its own.
	time.Sleep(500 * time.Millisecond)
	r.Fixed, u, tries, _ = quietly(stdout, s, o, func() (fixedRate, error) { return latency(s, o), nil })
	r.Other[1], r.Retries = u.Other, r.Retries+tries-1
	return r, nil
}

// perRequest divides the server's CPU time over the requests it answered.
func perRequest(cpu time.Duration, requests uint64) time.Duration {
	if requests == 0 {
		return 0
	}
	return cpu / time.Duration(requests)
}

// quietly runs one measurement, and again (after waiting for the machine
// to calm down) while other processes took more than quietIntrusion of the
// server's CPU during it. It keeps the least disturbed run and returns it,
// the server's CPU usage during it and how many runs it took. Unpinned,
// it runs once.
func quietly[T any](stdout io.Writer, s shape, o loadOptions, run func() (T, error)) (T, usage, int, error) {
	var (
		best  T
		bestU usage
	)
	for try := 1; ; try++ {
		meter := startMeter(pinnedCPU(o), s.PID)
		v, err := run()
		if err != nil {
			return v, usage{}, try, err
		}
		u := meter.stop()
		if try == 1 || u.Other < bestU.Other {
			best, bestU = v, u
		}
		if u.Other <= quietIntrusion || try == maxTries {
			return best, bestU, try, nil
		}
		step(stdout, "%s: other work took %.0f%% of the server's CPU; measuring again", s.Name, u.Other*100)
		waitQuiet(stdout, s.Name)
	}
}

// pinnedCPU is the server's CPU when servers are pinned, else "".
func pinnedCPU(o loadOptions) string {
	if o.LoadCPUs == "" {
		return ""
	}
	return serverCPU
}

// compareCeilings alternates short saturation runs of each compared shape
// and its ceiling (results[pair[0]] and results[pair[1]]), in the order
// shape, ceiling, ceiling, shape, ... so that drift in the shared
// machine's speed falls on both alike. Every round visits every pair, so
// the pairs share the same stretch of the machine's time too. Each round
// pairs two neighbouring runs; the comparison uses the median of the
// pairs' ratios. It returns, per pair, the shape's and the ceiling's rounds.
func compareCeilings(ctx context.Context, stdout io.Writer, results []result, pairs [][2]int, cfg config) ([][2][]round, error) {
	out := make([][2][]round, len(pairs))
	d := cfg.roundTime
	for i := range cfg.rounds {
		waitQuiet(stdout, "ceiling comparison")
		step(stdout, "ceiling comparison round %d of %d: %d pairs, %s each", i+1, cfg.rounds, len(pairs), d)
		order := []int{0, 1}
		if i%2 == 1 {
			order = []int{1, 0}
		}
		for k, p := range pairs {
			for _, j := range order {
				s := results[p[j]].Shape
				// A moment of load first: the first run after the idle quiet
				// check was measurably slower, for whichever server came first.
				if _, err := saturate(ctx, s, cfg.load, time.Second); err != nil {
					return out, err
				}
				sat, u, _, err := quietly(stdout, s, cfg.load, func() (saturation, error) { return saturate(ctx, s, cfg.load, d) })
				if err != nil {
					return out, err
				}
				out[k][j] = append(out[k][j], round{RPS: sat.RPS, CPUPerReq: perRequest(u.Server, sat.Requests), Other: u.Other})
			}
		}
	}
	return out, nil
}
