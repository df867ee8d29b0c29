// Command bench measures the party feed end to end: it writes a 500-party
// conference into a fresh SQLite file, starts the real server binary on it,
// measures process start to first answer, then drives each request shape
// (full feed, filtered feed, the filtered feed as calendars, calendars, 304
// revalidation) to saturation with wrk and at a fixed rate with vegeta, and
// compares the full feed, the filtered feed and its calendar formats each
// with a ceiling of its own: a bare net/http server replaying the very
// same response. It prints a markdown report and rewrites the generated
// part of docs/PERFORMANCE.md.
//
//	go run ./scripts/bench                   # the full run, fifteen minutes or more on a busy machine
//	go run ./scripts/bench -duration 3s -rounds 4 -micro=false -write=false   # a quick look
//	go run ./scripts/bench -shapes feed-gzip -profile /tmp/prof                # plus CPU and allocation profiles
//	go run ./scripts/bench -shapes filtered-ics,ceiling-filtered-ics -micro=false -write=false   # one calendar format against its ceiling
//	go run ./scripts/bench coldstart         # process start to first full feed on the Firestore emulator (coldstart.go)
//	go run ./scripts/bench contention        # swipes on one hot document and on many on the Firestore emulator (contention.go)
//	go run ./scripts/bench import            # 5,000 and 20,000 rows imported in one call, SQLite and the Firestore emulator (imports.go)
//
// scripts/bench.sh does the same after installing wrk where it can. The
// machine is shared: the benchmark waits for other work to calm down and
// repeats runs it disturbed (see quiet.go). It only ever talks to
// 127.0.0.1 and stops by itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "ceiling" {
		if err := runCeiling(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench ceiling:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "importprobe" {
		if err := runImportProbe(os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench importprobe:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "coldprobe" {
		if err := runColdProbe(os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench coldprobe:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	runner := run
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "coldstart" {
		runner, args = runColdStart, args[1:]
	}
	if len(args) > 0 && args[0] == "contention" {
		runner, args = runContention, args[1:]
	}
	if len(args) > 0 && args[0] == "import" {
		runner, args = runImports, args[1:]
	}
	if err := runner(ctx, args, os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	load      loadOptions
	starts    int
	pin       bool
	micro     bool
	write     bool
	only      string        // comma-separated shape names; "" for all
	profile   string        // directory for CPU profiles of an in-process server; "" for none
	rounds    int           // alternating shape / ceiling saturation rounds
	roundTime time.Duration // length of each run in those rounds
	keep      bool          // keep the temporary directory (database, binary, captured response)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&c.load.Duration, "duration", 10*time.Second, "length of each saturation and fixed-rate run")
	fs.DurationVar(&c.load.Warmup, "warmup", 2*time.Second, "load before measuring each shape")
	fs.IntVar(&c.load.Rate, "rate", 1000, "requests per second of the latency runs")
	fs.IntVar(&c.load.Connections, "connections", 32, "busy connections of the saturation runs")
	fs.IntVar(&c.starts, "starts", 5, "server starts to take the median of")
	fs.IntVar(&c.rounds, "rounds", 10, "alternating shape / ceiling saturation rounds for the ceiling comparisons (each round runs every compared shape and its ceiling)")
	fs.DurationVar(&c.roundTime, "round-time", 2*time.Second, "length of each saturation run in the ceiling comparison")
	fs.BoolVar(&c.pin, "pin", true, "pin servers to CPU 0 and the load generators to CPU 1 (needs taskset and 2 CPUs)")
	wrkFlag := fs.Bool("wrk", true, "use wrk for saturation when it is installed (else vegeta)")
	fs.BoolVar(&c.micro, "micro", true, "also run the Go micro-benchmarks of shared/feed, shared/ics and shared/sqlite")
	fs.BoolVar(&c.write, "write", true, "rewrite the generated part of docs/PERFORMANCE.md")
	fs.StringVar(&c.only, "shapes", "", "measure only these shapes (comma-separated names)")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory with the database, the server binary and the captured feed response")
	fs.StringVar(&c.profile, "profile", "", "after the run, write CPU profiles of an in-process server under load, and an allocation profile of the full feed's handlers, into this directory")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if _, err := exec.LookPath("wrk"); err == nil && *wrkFlag {
		c.load.UseWrk = true
	}
	if c.pin {
		if _, err := exec.LookPath("taskset"); err != nil || runtime.NumCPU() < 2 {
			fmt.Fprintln(stderr, "bench: no taskset or fewer than 2 CPUs: running unpinned")
			c.pin = false
		}
	}
	return c, nil
}

// Pinning: the server (and the ceiling, equally) gets CPU 0, the load
// generators CPU 1, so that neither steals the other's core and the
// ceiling comparison is fair.
const (
	serverCPU = "0"
	loadCPU   = "1"
)

func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "partyfinder-bench-")
	if err != nil {
		return err
	}
	if cfg.keep {
		defer step(stdout, "kept %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}

	rep := report{Started: time.Now().UTC(), LoadStart: loadAverage(), Config: cfg}
	step(stdout, "building the server and writing %d parties into a fresh SQLite file", benchParties)
	bin, err := buildServer(ctx, root, tmp)
	if err != nil {
		return err
	}
	db := filepath.Join(tmp, "bench.db")
	ps, err := createDB(ctx, db)
	if err != nil {
		return err
	}
	rep.Parties = ps

	// Start-up first, before this process pins itself: the server starts
	// unpinned, as it would on any machine.
	step(stdout, "measuring start to first 200, %d starts", cfg.starts)
	if rep.Startup, err = measureStartups(root, bin, db, cfg.starts); err != nil {
		return err
	}

	serverCPUs := ""
	if cfg.pin {
		serverCPUs, cfg.load.LoadCPUs = serverCPU, loadCPU
		if err := pinSelf(loadCPU); err != nil {
			return err
		}
		runtime.GOMAXPROCS(1)
	}
	if rep.Results, err = measureShapes(ctx, stdout, root, bin, db, ps, serverCPUs, tmp, cfg); err != nil {
		return err
	}
	step(stdout, "measuring the handlers alone, in process")
	var feedResp capture
	if x, ok := rep.byName("feed-gzip"); ok {
		feedResp = x.Response
	}
	if rep.Handlers, err = measureHandlers(ctx, db, ps, feedResp, cfg.only); err != nil {
		return err
	}
	if cfg.profile != "" {
		step(stdout, "profiling an in-process server under load into %s", cfg.profile)
		if err := profileShapes(ctx, stdout, root, db, ps, cfg); err != nil {
			return err
		}
		if err := profileAllocs(ctx, stdout, root, db, ps, cfg.profile); err != nil {
			return err
		}
	}
	if cfg.micro {
		step(stdout, "running the Go micro-benchmarks")
		rep.Micro = microBenchmarks(ctx, root, fmt.Sprintf("0-%d", runtime.NumCPU()-1), cfg.pin)
	}
	rep.Machine = machineInfo(ctx, root)
	md := rep.markdown()
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, md)
	if cfg.write {
		path := filepath.Join(root, "docs", "PERFORMANCE.md")
		if err := writeDoc(path, md); err != nil {
			return err
		}
		step(stdout, "wrote %s", path)
	}
	return nil
}

func selected(only, name string) bool {
	if only == "" {
		return true
	}
	for _, n := range strings.Split(only, ",") {
		if strings.TrimSpace(n) == name {
			return true
		}
	}
	return false
}

// step prints a progress line, so a four-minute run shows where it is.
func step(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "bench: "+format+"\n", args...)
}

// repoRoot finds the module root from the working directory: the server
// reads firebase.json relative to it.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			strings.Contains(string(b), "module github.com/partyfinder/partyfinder\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the partyfinder repository")
		}
		dir = parent
	}
}
