package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// shape is one kind of request the benchmark repeats.
type shape struct {
	Name   string // short key, e.g. "feed-gzip"
	Label  string // what the table shows
	URL    string
	Header http.Header
	Want   int // the status every answer must have
	PID    int // the server process, for CPU accounting
	// Compare: measured against a ceiling replaying this shape's own
	// response, in alternating rounds (compareCeilings).
	Compare bool
	Of      string // for a ceiling, the name of the shape whose response it replays
}

// saturation is a shape's throughput with a fixed number of connections
// kept busy: the most the server can answer on its core.
type saturation struct {
	RPS       float64
	Requests  uint64
	Tool      string
	Errors    string        // non-2xx/3xx answers or socket errors; "" when none
	CPUPerReq time.Duration // the server's CPU time per answer: its speed on a core of its own
}

// fixedRate is a shape's latency at a constant request rate: what a user
// sees when the server is loaded but not overloaded.
type fixedRate struct {
	Rate                float64 // achieved request rate
	Requests            uint64
	P50, P90, P99, Max  time.Duration
	Success             float64 // share of answers with the wanted status
	UnexpectedStatusSum string  // e.g. "500:3"; "" when every answer was as wanted
}

// loadOptions are the knobs shared by every shape.
type loadOptions struct {
	Duration    time.Duration // of each measurement
	Warmup      time.Duration
	Rate        int    // requests per second of the latency run
	Connections int    // busy connections of the saturation run
	LoadCPUs    string // taskset list for wrk; "" to leave it unpinned
	UseWrk      bool
}

// saturate measures maximum throughput, with wrk when it is installed (a C
// client costs the shared machine far less per request than a Go one) and
// with vegeta otherwise.
func saturate(ctx context.Context, s shape, o loadOptions, d time.Duration) (saturation, error) {
	if err := loopbackOnly(s); err != nil {
		return saturation{}, err
	}
	if o.UseWrk {
		return wrk(ctx, s, o, d)
	}
	m := attack(s, vegeta.Rate{Freq: 0}, d, vegeta.Workers(uint64(o.Connections)), vegeta.MaxWorkers(uint64(o.Connections)))
	return saturation{RPS: m.Throughput, Requests: m.Requests, Tool: fmt.Sprintf("vegeta, %d workers", o.Connections),
		Errors: statusErrors(m, s.Want)}, nil
}

// loopbackOnly refuses a shape whose URL leaves this machine: the
// benchmark's load must only ever reach our own servers on 127.0.0.1.
func loopbackOnly(s shape) error {
	u, err := url.Parse(s.URL)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	if u.Hostname() != "127.0.0.1" {
		return fmt.Errorf("%s: %s is not on 127.0.0.1; the benchmark only loads local servers", s.Name, s.URL)
	}
	return nil
}

// wrk runs the wrk binary against the shape for d and parses its summary.
func wrk(ctx context.Context, s shape, o loadOptions, d time.Duration) (saturation, error) {
	argv := []string{"wrk", "-t1", fmt.Sprintf("-c%d", o.Connections), fmt.Sprintf("-d%ds", max(1, int(d.Seconds()))), "--timeout", "2s"}
	for k, vs := range s.Header {
		for _, v := range vs {
			argv = append(argv, "-H", k+": "+v)
		}
	}
	argv = append(argv, s.URL)
	if o.LoadCPUs != "" {
		argv = append([]string{"taskset", "-c", o.LoadCPUs}, argv...)
	}
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return saturation{}, fmt.Errorf("wrk %s: %w\n%s", s.Name, err, out)
	}
	sat := saturation{Tool: fmt.Sprintf("wrk -t1 -c%d", o.Connections)}
	var problems []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "Requests/sec:"):
			sat.RPS, err = strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, "Requests/sec:")), 64)
			if err != nil {
				return sat, fmt.Errorf("wrk %s: %q: %w", s.Name, line, err)
			}
		case strings.Contains(line, " requests in "):
			// "123456 requests in 10.00s, 5.90GB read"
			sat.Requests, _ = strconv.ParseUint(strings.Fields(line)[0], 10, 64)
		case strings.HasPrefix(line, "Non-2xx"), strings.HasPrefix(line, "Socket errors"):
			problems = append(problems, line)
		}
	}
	if sat.RPS == 0 {
		return sat, fmt.Errorf("wrk %s: no Requests/sec in its output:\n%s", s.Name, out)
	}
	sat.Errors = strings.Join(problems, "; ")
	return sat, nil
}

// latency runs the shape at a fixed rate and reports the latency quantiles
// as vegeta's Go client sees them (request written to body read).
func latency(s shape, o loadOptions) fixedRate {
	if loopbackOnly(s) != nil {
		panic("bench: latency run against " + s.URL) // measure fetched the shape first, which checks
	}
	m := attack(s, vegeta.Rate{Freq: o.Rate, Per: time.Second}, o.Duration, vegeta.Workers(16))
	want := m.StatusCodes[strconv.Itoa(s.Want)]
	return fixedRate{
		Rate: m.Rate, Requests: m.Requests,
		P50: m.Latencies.P50, P90: m.Latencies.P90, P99: m.Latencies.P99, Max: m.Latencies.Max,
		Success:             float64(want) / float64(max(m.Requests, 1)),
		UnexpectedStatusSum: statusErrors(m, s.Want),
	}
}

// attack runs vegeta against one shape and returns its metrics. Bodies are
// read to the end and dropped (MaxBody 0), so the client does the network
// work without keeping hundreds of megabytes of responses.
func attack(s shape, rate vegeta.Rate, d time.Duration, opts ...func(*vegeta.Attacker)) vegeta.Metrics {
	opts = append(opts, vegeta.MaxBody(0), vegeta.KeepAlive(true), vegeta.Timeout(5*time.Second))
	atk := vegeta.NewAttacker(opts...)
	targeter := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: s.URL, Header: s.Header})
	var m vegeta.Metrics
	for res := range atk.Attack(targeter, rate, d, s.Name) {
		m.Add(res)
	}
	m.Close()
	return m
}

// statusErrors summarises answers other than the wanted status, and
// transport errors, as "code:count" pairs; "" when there were none.
func statusErrors(m vegeta.Metrics, want int) string {
	var parts []string
	for code, n := range m.StatusCodes {
		if code != strconv.Itoa(want) {
			parts = append(parts, fmt.Sprintf("%s:%d", code, n))
		}
	}
	sort.Strings(parts)
	if len(m.Errors) > 0 {
		parts = append(parts, fmt.Sprintf("errors: %s", strings.Join(m.Errors[:min(3, len(m.Errors))], "; ")))
	}
	return strings.Join(parts, " ")
}
