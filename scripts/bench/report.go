package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/party"
)

// The targets the feed is held to.
const (
	targetCeilingShare = 0.70
	targetP99          = 5 * time.Millisecond
	targetStartup      = 100 * time.Millisecond
)

// report is one run's findings.
type report struct {
	Started   time.Time
	LoadStart string
	Config    config
	Machine   machine
	Parties   []party.Party
	Startup   startupStats
	Results   []result
	Handlers  []handlerCost
	Micro     string
}

// machine describes where the numbers were taken.
type machine struct {
	CPUs              int
	CPUModel, Memory  string
	GoVersion, Kernel string
	DateUTC           string
	LoadEnd           string // load average when the run ended
	Commit            string // the measured code: HEAD, and whether server code had uncommitted changes
}

func machineInfo(ctx context.Context, root string) machine {
	m := machine{CPUs: runtime.NumCPU(), CPUModel: procField("/proc/cpuinfo", "model name"),
		Memory: procField("/proc/meminfo", "MemTotal"), GoVersion: runtime.Version(), LoadEnd: loadAverage()}
	if out, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		m.GoVersion = strings.TrimSpace(string(out))
	}
	if out, err := exec.CommandContext(ctx, "uname", "-sr").Output(); err == nil {
		m.Kernel = strings.TrimSpace(string(out))
	}
	if out, err := exec.CommandContext(ctx, "date", "-u").Output(); err == nil {
		m.DateUTC = strings.TrimSpace(string(out))
	}
	m.Commit = commitOf(ctx, root)
	return m
}

// commitOf names the code that was measured. The server is built from the
// working tree, so uncommitted changes to what it is built from are noted.
func commitOf(ctx context.Context, root string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	dirty, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--",
		"shared", "functions", "scripts/partyfinder", "go.mod").Output()
	if err == nil && len(bytes.TrimSpace(dirty)) > 0 {
		c += " with uncommitted changes to the server's code"
	}
	return c
}

// procField returns the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// microBenchmarks runs the packages' Go benchmarks on every CPU and returns
// their result lines (or the failure).
func microBenchmarks(ctx context.Context, root, allCPUs string, pinned bool) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	argv := []string{"go", "test", "-run", "x", "-bench", ".", "./shared/feed", "./shared/ics", "./shared/sqlite"}
	if pinned {
		// This process is pinned to one CPU and children inherit that.
		argv = append([]string{"taskset", "-c", allCPUs}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	var keep []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, "pkg:") || strings.HasPrefix(line, "cpu:") ||
			strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "---") {
			keep = append(keep, line)
		}
	}
	if err != nil {
		keep = append(keep, fmt.Sprintf("(go test failed: %v)", err))
		if len(keep) == 1 {
			keep = append(keep, lastLines(string(out), 20))
		}
	}
	return strings.Join(keep, "\n")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ratios pairs the feed's and the ceiling's rounds and returns the median,
// lowest and highest feed/ceiling ratio of f (ceiling/feed when inverse,
// for costs), skipping pairs where either is unknown.
func ratios(feed, ceil []round, f func(round) float64, inverse bool) (med, lo, hi float64) {
	var rs []float64
	for i := range min(len(feed), len(ceil)) {
		a, b := f(feed[i]), f(ceil[i])
		if a <= 0 || b <= 0 {
			continue
		}
		if inverse {
			a, b = b, a
		}
		rs = append(rs, a/b)
	}
	if len(rs) == 0 {
		return 0, 0, 0
	}
	return median(rs), slices.Min(rs), slices.Max(rs)
}

func rps(rs []round) []float64 {
	out := make([]float64, len(rs))
	for i, x := range rs {
		out[i] = x.RPS
	}
	return out
}

// cpuPerReq lists the rounds' server CPU time per request in microseconds.
func cpuPerReq(rs []round) []float64 {
	out := make([]float64, len(rs))
	for i, x := range rs {
		out[i] = float64(x.CPUPerReq) / float64(time.Microsecond)
	}
	return out
}

func micros(d time.Duration) string {
	if d <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

// otherWork renders a result's disturbance by other processes.
func otherWork(x result) string {
	s := percent(x.Other[0]) + " / " + percent(x.Other[1])
	if x.Retries > 0 {
		s += fmt.Sprintf(" (%d re-runs)", x.Retries)
	}
	return s
}

func percent(x float64) string {
	if x < 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f%%", x*100)
}

func joinFloats(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(parts, ", ")
}

// ms formats a duration in milliseconds, precise enough for sub-millisecond latencies.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func metMark(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// byName returns the result of the named shape, if it was measured.
func (r report) byName(name string) (result, bool) {
	for _, x := range r.Results {
		if x.Shape.Name == name {
			return x, true
		}
	}
	return result{}, false
}

// markdown renders the generated part of docs/PERFORMANCE.md.
func (r report) markdown() string {
	var b strings.Builder
	r.writeSetup(&b)
	r.writeResults(&b)
	r.writeCeilings(&b)
	r.writeTargets(&b)
	r.writeHandlers(&b)
	if r.Micro != "" {
		fmt.Fprintf(&b, "\n### Go micro-benchmarks\n\n`go test -run x -bench . ./shared/feed ./shared/ics ./shared/sqlite`, on both CPUs:\n\n```\n%s\n```\n", r.Micro)
	}
	return b.String()
}

func (r report) writeSetup(b *strings.Builder) {
	m, c := r.Machine, r.Config
	published := 0
	for _, p := range r.Parties {
		if p.Status == party.Published {
			published++
		}
	}
	fmt.Fprintf(b, "## Latest run\n\n")
	fmt.Fprintf(b, "- Date: %s\n", m.DateUTC)
	fmt.Fprintf(b, "- Machine: %d CPUs (%s), %s memory, %s, %s; load average %s at the start, %s at the end\n",
		m.CPUs, m.CPUModel, m.Memory, m.Kernel, m.GoVersion, r.LoadStart, m.LoadEnd)
	fmt.Fprintf(b, "- Code: %s\n", m.Commit)
	fmt.Fprintf(b, "- Data: conference `%s`, %d synthetic parties over %d days in Cologne (%d published, %d cancelled), SQLite store\n",
		benchConference, len(r.Parties), benchDays, published, len(r.Parties)-published)
	pin := "unpinned: the load generators share both CPUs with the server"
	if c.pin {
		pin = fmt.Sprintf("server and ceiling pinned to CPU %s (so GOMAXPROCS=1), load generators to CPU %s", serverCPU, loadCPU)
	}
	satTool := "vegeta at an unlimited rate"
	if c.load.UseWrk {
		satTool = "wrk"
	}
	fmt.Fprintf(b, "- Method: `go run ./scripts/bench`; the real server binary (`partyfinder serve --no-seed`) on that file; %s. "+
		"Each shape is checked once, warmed up for %s, driven to saturation for %s with %s and %d connections, "+
		"then held at a fixed %d req/s for %s with vegeta (Go client, keep-alive, bodies read and dropped), whose latencies "+
		"run from the request's start to the last body byte read and include the client's own cost. "+
		"Each ceiling (e) is a bare net/http server in a separate process, pinned like the server, replaying one shape's captured status, headers and gzip bytes: "+
		"the full feed's, the filtered feed's and each of its calendar formats', so every shape is compared with the same bytes sent by nothing else.\n",
		pin, c.load.Warmup, c.load.Duration, satTool, c.load.Connections, c.load.Rate, c.load.Duration)
}

func (r report) writeResults(b *strings.Builder) {
	fmt.Fprintf(b, "\n| Shape | Response | Max req/s | CPU/req | p50 | p90 | p99 | max | at req/s | Errors | Other work |\n")
	fmt.Fprintf(b, "|---|---|--:|--:|--:|--:|--:|--:|--:|---|--:|\n")
	for _, x := range r.Results {
		f := x.Fixed
		errs := strings.TrimSpace(strings.Join([]string{x.Sat.Errors, f.UnexpectedStatusSum}, " "))
		if errs == "" {
			errs = "none"
		}
		fmt.Fprintf(b, "| %s | %s | %.0f | %s | %s | %s | %s | %s | %.0f | %s | %s |\n", x.Shape.Label, describeResponse(x.Response),
			x.Sat.RPS, micros(x.Sat.CPUPerReq), ms(f.P50), ms(f.P90), ms(f.P99), ms(f.Max), f.Rate, errs, otherWork(x))
	}
	fmt.Fprintf(b, "\n\"CPU/req\": the server process's user and system CPU time during the saturation run (from /proc, in 10 ms ticks) "+
		"divided by the answers it gave: the cost of one answer, whatever else ran; one core of its own would give about 1 s / CPU/req. "+
		"Kernel work in softirq context (much of loopback TCP) is charged to no process and is left out, for the ceiling alike.\n")
	fmt.Fprintf(b, "\n\"Other work\": the machine is shared with builds and test runs, so before each shape the bench waits (up to %s) "+
		"for it to be less than %.0f%% busy, and during each run it counts how much of the server's CPU other processes took "+
		"(saturation / fixed rate). A run disturbed by more than %.0f%% is repeated, up to %d times, keeping the least disturbed; "+
		"a row still showing more is pessimistic.\n", quietWait, quietBusy*100, quietIntrusion*100, maxTries)
	for _, x := range r.Results {
		if len(x.Rounds) > 0 {
			fmt.Fprintf(b, "Alternating saturation rounds, %s: %s req/s; server CPU per request %s µs.\n",
				x.Shape.Name, joinFloats(rps(x.Rounds)), joinFloats(cpuPerReq(x.Rounds)))
		}
	}
	st := r.Startup
	fmt.Fprintf(b, "\nProcess start to first 200 on `/api/parties` (spawn, poll every 1 ms; the first request builds the snapshot from SQLite): "+
		"median %s over %d starts (min %s, max %s); a first, discarded start with a cold page cache took %s.\n",
		ms(st.Median), len(st.Runs), ms(st.Min), ms(st.Max), ms(st.Cold))
}

// comparison is one shape against the ceiling replaying its response.
type comparison struct {
	Shape, Ceiling       result
	How                  string  // "median of N paired rounds" or "one run each"
	Share, Lo, Hi        float64 // throughput, shape / ceiling
	ByCPU, CPULo, CPUHi  float64 // server CPU per request, ceiling / shape
	ShapeRPS, CeilingRPS float64 // medians of the rounds (or the single runs)
	ShapeCPU, CeilingCPU float64 // µs per request, medians likewise
	Other                float64 // the most of the server's CPU other work took in any of its runs; -1 if unknown
}

// comparisons pairs every measured shape with its measured ceiling, in the
// order of the results.
func (r report) comparisons() []comparison {
	var out []comparison
	for _, x := range r.Results {
		for _, c := range r.Results {
			if c.Shape.Of != x.Shape.Name || c.Sat.RPS <= 0 {
				continue
			}
			fr, cr := []round{{x.Sat.RPS, x.Sat.CPUPerReq, x.Other[0]}}, []round{{c.Sat.RPS, c.Sat.CPUPerReq, c.Other[0]}}
			how := "one run each"
			if len(x.Rounds) > 0 && len(x.Rounds) == len(c.Rounds) {
				fr, cr, how = x.Rounds, c.Rounds, fmt.Sprintf("median of %d paired rounds", len(x.Rounds))
			}
			k := comparison{Shape: x, Ceiling: c, How: how,
				ShapeRPS: median(rps(fr)), CeilingRPS: median(rps(cr)), ShapeCPU: median(cpuPerReq(fr)), CeilingCPU: median(cpuPerReq(cr))}
			k.Share, k.Lo, k.Hi = ratios(fr, cr, func(x round) float64 { return x.RPS }, false)
			k.ByCPU, k.CPULo, k.CPUHi = ratios(fr, cr, func(x round) float64 { return float64(x.CPUPerReq) }, true)
			k.Other = -1
			for _, x := range append(fr, cr...) {
				k.Other = max(k.Other, x.Other)
			}
			out = append(out, k)
		}
	}
	return out
}

// targetName is how the targets table names a shape's ceiling comparison;
// the full feed's keeps its old wording, so runs compare.
func targetName(name string) string {
	if name == "feed-gzip" {
		return "full feed throughput vs ceiling"
	}
	return name + " throughput vs its ceiling"
}

// writeCeilings renders the ceiling comparisons side by side.
func (r report) writeCeilings(b *strings.Builder) {
	cs := r.comparisons()
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(b, "\n| Against its own ceiling | Response | req/s | ceiling req/s | Throughput ratio | CPU/req | ceiling CPU/req | Ratio by CPU/req | Other work, at most |\n")
	fmt.Fprintf(b, "|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, k := range cs {
		fmt.Fprintf(b, "| %s | %s | %.0f | %.0f | %.0f%% (%.0f–%.0f%%) | %.0f µs | %.0f µs | %.0f%% (%.0f–%.0f%%) | %s |\n",
			k.Shape.Shape.Label, describeResponse(k.Shape.Response), k.ShapeRPS, k.CeilingRPS, k.Share*100, k.Lo*100, k.Hi*100,
			k.ShapeCPU, k.CeilingCPU, k.ByCPU*100, k.CPULo*100, k.CPUHi*100, percent(k.Other))
	}
	fmt.Fprintf(b, "\nEach shape against a ceiling replaying its own response (%s; req/s and CPU/req are medians of the rounds, "+
		"the ratios medians of the paired rounds' ratios with their range; \"by CPU/req\" is the ceiling's server CPU time per request "+
		"over the shape's; \"other work\" the largest share of the server's CPU other processes took in any of the pair's runs, "+
		"after the re-runs). Every round runs every pair, shape and ceiling back to back, in alternating order, each after a second of load.\n",
		cs[0].How)
}

func (r report) writeTargets(b *strings.Builder) {
	fmt.Fprintf(b, "\n| Target | Goal | Measured | |\n|---|---|---|---|\n")
	for _, k := range r.comparisons() {
		fmt.Fprintf(b, "| %s | ≥ %.0f%% | %.0f%% (%s, range %.0f–%.0f%%; by server CPU time per request %.0f%%, range %.0f–%.0f%%) | %s |\n",
			targetName(k.Shape.Shape.Name), targetCeilingShare*100, k.Share*100, k.How, k.Lo*100, k.Hi*100,
			k.ByCPU*100, k.CPULo*100, k.CPUHi*100, metMark(k.Share >= targetCeilingShare))
	}
	for _, x := range r.Results {
		ok := x.Fixed.P99 <= targetP99 && x.Fixed.Success == 1
		fmt.Fprintf(b, "| p99 at %d req/s: %s | ≤ %s | %s | %s |\n", r.Config.load.Rate, x.Shape.Name, ms(targetP99), ms(x.Fixed.P99), metMark(ok))
	}
	fmt.Fprintf(b, "| process start to first 200 | ≤ %s | %s (median) | %s |\n", ms(targetStartup), ms(r.Startup.Median),
		metMark(r.Startup.Median <= targetStartup))
}

// Markers around the generated part of docs/PERFORMANCE.md: everything
// outside them (the analysis) is written by hand and kept.
const (
	beginMarker = "<!-- bench:begin: generated by go run ./scripts/bench; edits here are overwritten -->"
	endMarker   = "<!-- bench:end -->"
)

// writeDoc replaces the generated part of the document at path, or
// creates the document around it.
func writeDoc(path, generated string) error {
	block := beginMarker + "\n" + generated + "\n" + endMarker
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	i, j := strings.Index(text, beginMarker), strings.Index(text, endMarker)
	switch {
	case i >= 0 && j > i:
		text = text[:i] + block + text[j+len(endMarker):]
	case len(old) == 0:
		text = "# Performance\n\nMeasured with `go run ./scripts/bench` (see its doc comment); re-run it after changes to the feed.\n\n" + block + "\n"
	default:
		text = strings.TrimRight(text, "\n") + "\n\n" + block + "\n"
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
