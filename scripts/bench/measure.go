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
}

// Other work on the server's CPU beyond this share makes a run count as
// disturbed; it is repeated, up to maxTries runs, and the least disturbed
// one is kept.
const (
	quietIntrusion = 0.05
	maxTries       = 3
)

// measureShapes starts the real server (and the ceiling) pinned, checks
// every shape once, then measures each in turn.
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
	// The ceiling replays the full feed's exact response.
	shapes, feedResp, err := withRevalidation(shapes)
	if err != nil {
		return nil, err
	}
	capFile := filepath.Join(tmp, "feed-response.json")
	if err := writeCapture(capFile, feedResp); err != nil {
		return nil, err
	}
	ceil, err := startCeiling(root, cpus, capFile)
	if err != nil {
		return nil, err
	}
	defer ceil.stop()
	cs := ceilingShape("http://"+ceil.addr, shapes[0])
	cs.PID = ceil.cmd.Process.Pid
	shapes = append(shapes, cs)

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
	if selected(cfg.only, shapes[0].Name) && selected(cfg.only, cs.Name) && cfg.rounds > 0 {
		cmp, err := compareCeiling(ctx, stdout, shapes[0], cs, cfg)
		if err != nil {
			return nil, err
		}
		results[0].Rounds, results[len(results)-1].Rounds = cmp[0], cmp[1]
	}
	return results, nil
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

// compareCeiling alternates short saturation runs of the full feed and the
// ceiling, in the order feed, ceiling, ceiling, feed, ... so that drift in
// the shared machine's speed falls on both alike. Each round pairs two
// neighbouring runs; the comparison uses the median of the pairs' ratios.
func compareCeiling(ctx context.Context, stdout io.Writer, feed, ceil shape, cfg config) ([2][]round, error) {
	var out [2][]round
	d := cfg.roundTime
	for i := range cfg.rounds {
		waitQuiet(stdout, "ceiling comparison")
		step(stdout, "ceiling comparison round %d of %d: %s each", i+1, cfg.rounds, d)
		order := []int{0, 1}
		if i%2 == 1 {
			order = []int{1, 0}
		}
		for _, j := range order {
			s := []shape{feed, ceil}[j]
			// A moment of load first: the first run after the idle quiet
			// check was measurably slower, for whichever server came first.
			if _, err := saturate(ctx, s, cfg.load, time.Second); err != nil {
				return out, err
			}
			sat, u, _, err := quietly(stdout, s, cfg.load, func() (saturation, error) { return saturate(ctx, s, cfg.load, d) })
			if err != nil {
				return out, err
			}
			out[j] = append(out[j], round{RPS: sat.RPS, CPUPerReq: perRequest(u.Server, sat.Requests)})
		}
	}
	return out, nil
}
