package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/redis"
)

// floorResult is what a process of the server binary costs before it
// does anything: exec, the Go runtime and every package's init.
type floorResult struct {
	Help, HelpCPU []time.Duration // `partyfinder help`: spawn to exit, and its user+system CPU time
	Empty         []time.Duration // an empty Go program: spawn to exit
	InitSum       []time.Duration // the init trace: clock time of every package init, summed
	MainAt        []time.Duration // the init trace: end of the last init, from the runtime's start
	Inits         int             // package inits in the trace
	Modules       []namedTime     // init clock by module, medians, largest first
	Packages      []namedTime     // init clock by package, medians, largest first
}

type namedTime struct {
	Name string
	D    time.Duration
}

// initLine is one line of GODEBUG=inittrace=1.
var initLine = regexp.MustCompile(`^init (\S+) @([0-9.]+) ms, ([0-9.]+) ms clock`)

// measureFloor times `partyfinder help` (which returns right after
// init), an empty Go program, and the server's package inits.
func measureFloor(ctx context.Context, root, bin, tmp string, n int) (*floorResult, error) {
	f := &floorResult{}
	empty, err := buildEmpty(ctx, tmp)
	if err != nil {
		return nil, err
	}
	for i := range n + 1 {
		d, cpu, _, err := timeProcess(root, nil, bin, "help")
		if err != nil {
			return nil, err
		}
		e, _, _, err := timeProcess(root, nil, empty)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			continue // page cache
		}
		f.Help, f.HelpCPU, f.Empty = append(f.Help, d), append(f.HelpCPU, cpu), append(f.Empty, e)
	}
	modules := moduleList(ctx, bin)
	byModule, byPackage := map[string][]time.Duration{}, map[string][]time.Duration{}
	for range n {
		_, _, stderr, err := timeProcess(root, []string{"GODEBUG=inittrace=1"}, bin, "help")
		if err != nil {
			return nil, err
		}
		var sum, mainAt time.Duration
		mods, pkgs := map[string]time.Duration{}, map[string]time.Duration{}
		inits := 0
		sc := bufio.NewScanner(bytes.NewReader(stderr))
		for sc.Scan() {
			m := initLine.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			at, clock := msDuration(m[2]), msDuration(m[3])
			inits++
			sum += clock
			mainAt = max(mainAt, at+clock)
			mods[moduleOf(m[1], modules)] += clock
			pkgs[m[1]] += clock
		}
		if inits == 0 {
			return nil, fmt.Errorf("GODEBUG=inittrace=1 printed no init lines:\n%.500s", stderr)
		}
		f.Inits = inits
		f.InitSum, f.MainAt = append(f.InitSum, sum), append(f.MainAt, mainAt)
		for k, v := range mods {
			byModule[k] = append(byModule[k], v)
		}
		for k, v := range pkgs {
			byPackage[k] = append(byPackage[k], v)
		}
	}
	f.Modules, f.Packages = medians(byModule, n), medians(byPackage, n)
	return f, nil
}

// medians returns each name's median over n runs (a run without the name
// counts as zero), largest first.
func medians(m map[string][]time.Duration, n int) []namedTime {
	out := make([]namedTime, 0, len(m))
	for k, v := range m {
		for len(v) < n {
			v = append(v, 0)
		}
		med, _, _ := spread(v)
		out = append(out, namedTime{k, med})
	}
	slices.SortFunc(out, func(a, b namedTime) int {
		if a.D != b.D {
			return int(b.D - a.D)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

func msDuration(s string) time.Duration {
	f, _ := strconv.ParseFloat(s, 64)
	return time.Duration(f * float64(time.Millisecond))
}

// timeProcess runs argv to its end and returns the time from spawn to
// exit, its user+system CPU time and its standard error.
func timeProcess(root string, env []string, argv ...string) (time.Duration, time.Duration, []byte, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	began := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, nil, fmt.Errorf("%s: %w: %.500s", strings.Join(argv, " "), err, stderr.Bytes())
	}
	d := time.Since(began)
	return d, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), stderr.Bytes(), nil
}

// buildEmpty builds a Go program whose main does nothing: the floor of
// any Go process on this machine.
func buildEmpty(ctx context.Context, tmp string) (string, error) {
	dir := filepath.Join(tmp, "empty")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module empty\n\ngo 1.22\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "empty")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build an empty Go program: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleList returns the modules built into bin, from `go version -m`.
func moduleList(ctx context.Context, bin string) []string {
	out, err := exec.CommandContext(ctx, "go", "version", "-m", bin).Output()
	if err != nil {
		return nil
	}
	var mods []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "dep" || f[0] == "mod") {
			mods = append(mods, f[1])
		}
	}
	// Longest first, so that nested modules win.
	slices.SortFunc(mods, func(a, b string) int { return len(b) - len(a) })
	return mods
}

// moduleOf names the module of a package: one of mods, or "standard
// library".
func moduleOf(pkg string, mods []string) string {
	for _, m := range mods {
		if pkg == m || strings.HasPrefix(pkg, m+"/") {
			return m
		}
	}
	if first, _, _ := strings.Cut(pkg, "/"); !strings.Contains(first, ".") {
		return "standard library"
	}
	return pkg
}

// probeStep is one timed part of a snapshot load.
type probeStep struct {
	Name string        `json:"name"`
	D    time.Duration `json:"d"`
}

// probeOutput is what one coldprobe process reports.
type probeOutput struct {
	Steps         []probeStep `json:"steps"`
	PrebuiltBytes int         `json:"prebuiltBytes"`
	PageBytes     int         `json:"pageBytes"` // gzip
	Parties       int         `json:"parties"`
}

// probeResult is the probes' steps with their medians.
type probeResult struct {
	Steps []string
	Runs  map[string][]time.Duration
	Last  probeOutput
	N     int
}

// runProbes runs the coldprobe subcommand in n fresh processes.
func runProbes(ctx context.Context, cfg coldConfig, redisAddr, redisPrefix string) (*probeResult, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	res := &probeResult{Runs: map[string][]time.Duration{}, N: cfg.probes}
	for i := range cfg.probes + 1 {
		cmd := exec.CommandContext(ctx, self, "coldprobe", "-project", cfg.project, "-redis", redisAddr, "-prefix", redisPrefix)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("coldprobe: %w: %s", err, stderr.Bytes())
		}
		var po probeOutput
		if err := json.Unmarshal(out, &po); err != nil {
			return nil, fmt.Errorf("coldprobe output: %w", err)
		}
		if i == 0 {
			continue // page cache
		}
		res.Last = po
		for _, s := range po.Steps {
			if _, ok := res.Runs[s.Name]; !ok {
				res.Steps = append(res.Steps, s.Name)
			}
			res.Runs[s.Name] = append(res.Runs[s.Name], s.D)
		}
	}
	return res, nil
}

// runColdProbe is the coldprobe subcommand: in this fresh process, the
// parts of what a cold instance does before its first full feed, timed
// one by one, as JSON on stdout.
func runColdProbe(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench coldprobe", flag.ContinueOnError)
	project := fs.String("project", "demo-party", "Google Cloud project id on the emulator")
	redisAddr := fs.String("redis", "", "redis-server address")
	prefix := fs.String("prefix", "", "Redis key prefix")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	var out probeOutput
	t := time.Now()
	lap := func(name string) {
		now := time.Now()
		out.Steps = append(out.Steps, probeStep{name, now.Sub(t)})
		t = now
	}
	client, err := firestore.NewClient(ctx, *project)
	if err != nil {
		return err
	}
	defer client.Close()
	store := firestore.New(client)
	lap("Firestore client created (not dialled)")
	_, data, err := store.Prebuilt(ctx, benchConference)
	if err != nil || data == nil {
		return fmt.Errorf("no prebuilt snapshot in Firestore (%v)", err)
	}
	lap("first Firestore call: gRPC connect + revision and prebuilt snapshot documents")
	if _, _, err := store.Prebuilt(ctx, benchConference); err != nil {
		return err
	}
	lap("the same call again, connected")
	p, err := feed.DecodePrebuilt(data)
	if err != nil {
		return err
	}
	out.PrebuiltBytes = len(data)
	lap("decode the prebuilt snapshot: gunzip + gob, 500 parties")
	s := feed.NewSnapshot(p.Conference, p.Parties, p.Revision, 1)
	lap("index the snapshot")
	q, err := feed.ParseQuery(url.Values{"limit": {"500"}}, benchConference, s.Conference.Location())
	if err != nil {
		return err
	}
	page := s.FeedResponse(q)
	out.PageBytes, out.Parties = len(page.Gzip), len(s.Entries)
	lap("render the full page: JSON + gzip")
	conf, err := store.Conference(ctx, benchConference)
	if err != nil {
		return err
	}
	rev, err := store.Revision(ctx, benchConference)
	if err != nil {
		return err
	}
	ps, err := store.PartiesOf(ctx, benchConference)
	if err != nil {
		return err
	}
	lap("read the conference, its revision and every party (connected)")
	s2 := feed.NewSnapshot(conf, ps, rev, 2)
	lap("index a snapshot of them")
	if _, err := feed.EncodePrebuilt(s2); err != nil {
		return err
	}
	lap("encode a prebuilt snapshot (the write-through's CPU)")
	if *redisAddr != "" {
		tier, err := redis.Open(*redisAddr, redis.Options{Prefix: *prefix})
		if err != nil {
			return err
		}
		defer tier.Close()
		lap("Redis client created (not dialled)")
		if _, d, err := tier.Prebuilt(ctx, benchConference); err != nil || d == nil {
			return fmt.Errorf("no prebuilt snapshot in Redis (%v)", err)
		}
		lap("first Redis call: connect + MGET of revision and snapshot")
		if _, _, err := tier.Prebuilt(ctx, benchConference); err != nil {
			return err
		}
		lap("the same call again, connected")
	}
	return json.NewEncoder(stdout).Encode(out)
}
