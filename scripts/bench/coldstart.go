package main

// The coldstart subcommand: process start to the first full feed of a
// 500-party conference on the Firestore emulator, with and without the
// prebuilt snapshot of the shared cache tier.
//
//	go run ./scripts/bench coldstart              # 15 starts per setup, with the breakdown
//	go run ./scripts/bench coldstart -starts 5 -floor 0 -probes 0
//	go run ./scripts/bench coldstart -functions parties   # the function built alone against the shared binary
//
// It starts the Firestore emulator itself unless FIRESTORE_EMULATOR_HOST
// is set, and always its own redis-server, both on free loopback ports,
// and stops them at the end. It prints a markdown report; it writes no
// file of the repository.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	gfs "cloud.google.com/go/firestore"
	goredis "github.com/redis/go-redis/v9"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/redis"
)

// prebuiltCollection is where the Firestore store keeps prebuilt
// snapshots when it is the shared cache tier (no Redis).
const prebuiltCollection = "prebuiltSnapshots"

// coldConfig is the coldstart subcommand's command line.
type coldConfig struct {
	starts  int
	project string
	only    string // setups to measure, comma-separated; "" for all
	floor   int    // runs of the process floor and init trace; 0 for none
	probes  int    // fresh processes timing the snapshot load's parts; 0 for none
	settle  time.Duration
	perf    string   // directory for perf profiles of one start per setup; "" for none
	env     []string // extra environment of the server, e.g. GOGC=400, for experiments
	keep    bool
	// functions names the function timed built alone against the shared
	// binary (coldstart_functions.go); "" for the runner's setups.
	functions string
	sizes     bool // with functions: the size of every function built alone
}

func parseColdFlags(args []string, stderr io.Writer) (coldConfig, error) {
	var c coldConfig
	fs := flag.NewFlagSet("bench coldstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.starts, "starts", 15, "measured starts per setup, after one discarded start each")
	fs.StringVar(&c.project, "project", "demo-party", "Google Cloud project id on the emulator")
	fs.StringVar(&c.only, "setups", "", "measure only these setups (comma-separated: every-party, prebuilt-firestore, prebuilt-redis)")
	fs.IntVar(&c.floor, "floor", 10, "runs of `partyfinder help`, an empty Go program and the init trace (the process floor); 0 to skip")
	fs.IntVar(&c.probes, "probes", 7, "fresh processes that time the parts of a snapshot load (first gRPC call, decode, render); 0 to skip")
	fs.DurationVar(&c.settle, "settle", 300*time.Millisecond, "time a started server is left running after its first 200, so that a write-through it began can land (and be caught)")
	fs.StringVar(&c.perf, "perf", "", "also record one start per setup with `perf record -g` into this directory (SETUP.perf.data), for perf report")
	fs.Func("env", "extra `KEY=VALUE` in the server's environment, for experiments (GOGC=400); repeatable", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("-env %q: want KEY=VALUE", v)
		}
		c.env = append(c.env, v)
		return nil
	})
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (server binary, emulator and Redis logs)")
	fs.StringVar(&c.functions, "functions", "", "instead of the setups, time this `function` built alone (scripts/build-function) against the shared "+
		"binary (go build ./test/functionsmain), on SQLite and on the Firestore emulator's prebuilt snapshot; only parties serves the feed")
	fs.BoolVar(&c.sizes, "sizes", true, "with -functions: also build every function and trigger alone and compare their sizes with the shared binary's")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.starts < 1 {
		return c, errors.New("-starts must be at least 1")
	}
	if c.functions != "" && c.functions != feedFunction {
		return c, fmt.Errorf("-functions %q: only %s serves the feed the cold start is timed to", c.functions, feedFunction)
	}
	return c, nil
}

// coldSetup is one way a fresh instance finds the conference.
type coldSetup struct {
	Name  string
	Label string
	env   []string
	// prepare makes the shared tier what the setup needs before a start
	// and returns the check that the start went the way it should.
	prepare func(ctx context.Context) (verify func(ctx context.Context) error, err error)
}

// coldRun is one start.
type coldRun struct {
	Total   time.Duration            // spawn to the first 200's last body byte
	Connect time.Duration            // spawn to the first TCP connection accepted (listening)
	Marks   map[string]time.Duration // spawn to the runner's output lines, by mark
	Parties int                      // in the first answer
	Size    int                      // bytes of the first answer, gzip
	CPU     time.Duration            // the server's user+system CPU time, spawn to exit
}

// The runner's output lines the breakdown keys on, in the order it prints
// them (scripts/partyfinder/serve.go).
var coldMarks = []struct{ key, prefix, meaning string }{
	{"auth", "sign-in:", "exec, Go runtime and package init, config, logger, Firestore client (not yet dialled), local sign-in keys"},
	{"listening", "partyfinder serving", "app wired, router built from firebase.json, listening"},
	{"snapshot", "try:", "the default conference's snapshot built before serving: first round trips to the tier or store, decode, index"},
}

// coldResult is what one setup measured.
type coldResult struct {
	Setup     coldSetup
	Discarded coldRun
	Runs      []coldRun
}

// runColdStart is the coldstart subcommand.
func runColdStart(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseColdFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	if cfg.functions != "" {
		return runColdFunctions(ctx, cfg, stdout)
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "partyfinder-coldstart-")
	if err != nil {
		return err
	}
	if cfg.keep {
		defer step(stdout, "kept %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	loadStart := loadAverage()

	step(stdout, "building the server")
	bin, err := buildServer(ctx, root, tmp)
	if err != nil {
		return err
	}

	ownEmulator := os.Getenv("FIRESTORE_EMULATOR_HOST") == ""
	stopEmulator, err := useFirestoreEmulator(stdout, tmp, cfg.project)
	if err != nil {
		return err
	}
	defer stopEmulator()
	emulator := os.Getenv("FIRESTORE_EMULATOR_HOST")
	step(stdout, "starting redis-server")
	rs, err := startRedis(tmp)
	if err != nil {
		return err
	}
	defer rs.stop()
	redisPrefix := fmt.Sprintf("pf-coldstart-%d:", os.Getpid())

	client, err := gfs.NewClient(ctx, cfg.project)
	if err != nil {
		return err
	}
	defer client.Close()
	store := firestore.New(client)
	step(stdout, "writing %d parties into Firestore at %s (project %s)", benchParties, emulator, cfg.project)
	ps, err := seed(ctx, store)
	if err != nil {
		return fmt.Errorf("seed firestore: %w", err)
	}
	published := 0
	for _, p := range ps {
		if p.Status == party.Published {
			published++
		}
	}
	// The emulator is a JVM: a few reads first, so that its warm-up is not
	// charged to whichever setup comes first.
	for range 5 {
		if _, err := store.PartiesOf(ctx, benchConference); err != nil {
			return err
		}
	}

	rdb := goredis.NewClient(&goredis.Options{Addr: rs.addr, DisableIdentity: true})
	defer rdb.Close()
	tier, err := redis.Open(rs.addr, redis.Options{Prefix: redisPrefix})
	if err != nil {
		return err
	}
	defer tier.Close()

	prebuiltDoc := client.Collection(prebuiltCollection).Doc(benchConference)
	base := append(serverEnv(), "FIRESTORE_EMULATOR_HOST="+emulator, "GOOGLE_CLOUD_PROJECT="+cfg.project,
		"PARTYFINDER_STORE=firestore", "PARTYFINDER_EVENTS=inproc", "FIREBASE_AUTH_EMULATOR_HOST=", "GODEBUG=")
	base = append(base, cfg.env...)
	noRedis := append(slices.Clone(base), "REDIS_ADDR=")
	withRedis := append(slices.Clone(base), "REDIS_ADDR="+rs.addr, "PARTYFINDER_REDIS_PREFIX="+redisPrefix)

	setups := []coldSetup{
		{
			Name:  "every-party",
			Label: "(a) no prebuilt snapshot: every party read from Firestore",
			env:   noRedis,
			prepare: func(ctx context.Context) (func(context.Context) error, error) {
				if _, err := prebuiltDoc.Delete(ctx); err != nil {
					return nil, fmt.Errorf("delete the prebuilt snapshot: %w", err)
				}
				if _, err := prebuiltDoc.Get(ctx); status.Code(err) != codes.NotFound {
					return nil, fmt.Errorf("the prebuilt snapshot is still there after its deletion (%v)", err)
				}
				// The start read every party if it wrote the snapshot
				// through: only a build from the store does.
				return func(ctx context.Context) error {
					return waitFor(ctx, 10*time.Second, "the write-through of the prebuilt snapshot to Firestore", func() (bool, error) {
						_, err := prebuiltDoc.Get(ctx)
						if status.Code(err) == codes.NotFound {
							return false, nil
						}
						return err == nil, err
					})
				}, nil
			},
		},
		{
			Name:  "prebuilt-firestore",
			Label: "(b) prebuilt snapshot in Firestore, one read",
			env:   noRedis,
			prepare: func(ctx context.Context) (func(context.Context) error, error) {
				before, err := prebuiltDoc.Get(ctx)
				if err != nil {
					return nil, fmt.Errorf("no prebuilt snapshot in Firestore: %w", err)
				}
				// A start that loaded it writes nothing; one that rebuilt
				// would write it through again.
				return func(ctx context.Context) error {
					after, err := prebuiltDoc.Get(ctx)
					if err != nil {
						return err
					}
					if !after.UpdateTime.Equal(before.UpdateTime) {
						return errors.New("the prebuilt snapshot in Firestore was written again: the server rebuilt it instead of loading it")
					}
					return nil
				}, nil
			},
		},
		{
			Name:  "prebuilt-redis",
			Label: "(c) prebuilt snapshot in Redis, one MGET",
			env:   withRedis,
			prepare: func(ctx context.Context) (func(context.Context) error, error) {
				if _, data, err := tier.Prebuilt(ctx, benchConference); err != nil || data == nil {
					return nil, fmt.Errorf("no prebuilt snapshot in Redis (%v)", err)
				}
				before, err := commandCalls(ctx, rdb)
				if err != nil {
					return nil, err
				}
				return func(ctx context.Context) error {
					after, err := commandCalls(ctx, rdb)
					if err != nil {
						return err
					}
					if after["set"] != before["set"] {
						return errors.New("the prebuilt snapshot in Redis was written again: the server rebuilt it instead of loading it")
					}
					if after["mget"] <= before["mget"] {
						return errors.New("the server did not read Redis")
					}
					return nil
				}, nil
			},
		},
	}
	setups = slices.DeleteFunc(setups, func(s coldSetup) bool { return !selected(cfg.only, s.Name) })
	if len(setups) == 0 {
		return fmt.Errorf("-setups %q names no setup", cfg.only)
	}
	runnerDir := filepath.Join(tmp, "runner") // its local sign-in and calendar keys
	start := func(s coldSetup) (coldRun, error) {
		verify, err := s.prepare(ctx)
		if err != nil {
			return coldRun{}, fmt.Errorf("%s: %w", s.Name, err)
		}
		r, err := coldStartOnce(ctx, root, nil, bin, runnerDir, s.env, published, cfg.settle, verify)
		if err != nil {
			return r, fmt.Errorf("%s: %w", s.Name, err)
		}
		return r, nil
	}

	// Redis starts empty: one start that reads every party and writes the
	// snapshot through to Redis, as the first instance after a deployment
	// would. It also brings the binary into the page cache.
	step(stdout, "warm-up start: fills Redis through the server's own write-through")
	warm, err := coldStartOnce(ctx, root, nil, bin, runnerDir, withRedis, published, 0, func(ctx context.Context) error {
		return waitFor(ctx, 10*time.Second, "the write-through of the prebuilt snapshot to Redis", func() (bool, error) {
			_, data, err := tier.Prebuilt(ctx, benchConference)
			return data != nil, err
		})
	})
	if err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	step(stdout, "warm-up start (Redis): %s", ms(warm.Total))
	// The same for Firestore as the tier: the snapshot (b) loads is the one
	// a start that read every party wrote through; each (a) start writes
	// it again.
	step(stdout, "warm-up start: fills the Firestore snapshot through the server's own write-through")
	if _, err := prebuiltDoc.Delete(ctx); err != nil {
		return err
	}
	warm, err = coldStartOnce(ctx, root, nil, bin, runnerDir, noRedis, published, 0, func(ctx context.Context) error {
		return waitFor(ctx, 10*time.Second, "the write-through of the prebuilt snapshot to Firestore", func() (bool, error) {
			_, data, err := store.Prebuilt(ctx, benchConference)
			return data != nil, err
		})
	})
	if err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	step(stdout, "warm-up start (Firestore): %s", ms(warm.Total))
	results := make([]coldResult, len(setups))
	for i, s := range setups {
		results[i].Setup = s
		if results[i].Discarded, err = start(s); err != nil {
			return err
		}
		step(stdout, "%s: discarded first start %s", s.Name, ms(results[i].Discarded.Total))
	}
	// Rounds of one start per setup, so that drift in the shared machine's
	// speed falls on every setup alike.
	for round := range cfg.starts {
		if err := ctx.Err(); err != nil {
			return err
		}
		line := make([]string, 0, len(setups))
		for i, s := range setups {
			r, err := start(s)
			if err != nil {
				return err
			}
			results[i].Runs = append(results[i].Runs, r)
			line = append(line, s.Name+" "+ms(r.Total))
		}
		step(stdout, "round %d of %d: %s", round+1, cfg.starts, strings.Join(line, ", "))
	}

	if cfg.perf != "" {
		if err := os.MkdirAll(cfg.perf, 0o755); err != nil {
			return err
		}
		for _, s := range setups {
			verify, err := s.prepare(ctx)
			if err != nil {
				return err
			}
			data := filepath.Join(cfg.perf, s.Name+".perf.data")
			wrap := []string{"perf", "record", "-q", "-F", "10000", "-g", "-o", data, "--"}
			r, err := coldStartOnce(ctx, root, wrap, bin, runnerDir, s.env, published, cfg.settle, verify)
			if err != nil {
				return fmt.Errorf("%s under perf: %w", s.Name, err)
			}
			step(stdout, "%s: one start under perf record (%s): %s", s.Name, data, ms(r.Total))
		}
	}

	var fl *floorResult
	if cfg.floor > 0 {
		step(stdout, "process floor: `partyfinder help`, an empty Go program and the init trace, %d runs each", cfg.floor)
		if fl, err = measureFloor(ctx, root, bin, tmp, cfg.floor); err != nil {
			return err
		}
	}
	var pr *probeResult
	if cfg.probes > 0 {
		step(stdout, "timing the parts of a snapshot load in %d fresh processes", cfg.probes)
		if pr, err = runProbes(ctx, cfg, rs.addr, redisPrefix); err != nil {
			return err
		}
	}

	md := coldMarkdown(coldReport{
		Results: results, Floor: fl, Probe: pr, Config: cfg, Published: published, OwnEmulator: ownEmulator,
		Machine: machineInfo(ctx, root), LoadStart: loadStart,
	})
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, md)
	return nil
}

// coldStartOnce spawns the runner on Firestore with env (under the
// command wrap, when given), polls the full
// feed every millisecond until it answers 200, checks the answer, runs
// verify (after settle) and stops the runner.
func coldStartOnce(ctx context.Context, root string, wrap []string, bin, dir string, env []string, published int, settle time.Duration, verify func(context.Context) error) (coldRun, error) {
	addr, err := freeAddr()
	if err != nil {
		return coldRun{}, err
	}
	argv := append(slices.Clone(wrap), bin, "serve", "--store", "firestore", "--no-seed", "--addr", addr,
		"--db", filepath.Join(dir, "partyfinder.db"))
	return spawnAndPoll(ctx, root, argv, env, addr, published, settle, verify)
}

// commandCalls returns how often Redis ran each command, from INFO
// commandstats.
func commandCalls(ctx context.Context, c *goredis.Client) (map[string]int64, error) {
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, fmt.Errorf("redis INFO: %w", err)
	}
	calls := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(kv, "calls="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				calls[strings.TrimPrefix(name, "cmdstat_")] = n
			}
		}
	}
	return calls, nil
}

// spread returns the median (the upper one of an even count, as the feed
// bench does), the minimum and the maximum.
func spread(ds []time.Duration) (med, lo, hi time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2], s[0], s[len(s)-1]
}

// useFirestoreEmulator points the process at the Firestore emulator of
// FIRESTORE_EMULATOR_HOST, or starts one in tmp; the returned function
// stops an emulator it started. The emulator must be on this machine.
func useFirestoreEmulator(stdout io.Writer, tmp, project string) (stop func(), err error) {
	stop = func() {}
	emulator := os.Getenv("FIRESTORE_EMULATOR_HOST")
	if emulator == "" {
		step(stdout, "starting the Firestore emulator")
		em, err := startFirestoreEmulator(tmp, project)
		if err != nil {
			return stop, err
		}
		stop = em.stop
		emulator = em.addr
		if err := os.Setenv("FIRESTORE_EMULATOR_HOST", emulator); err != nil {
			em.stop()
			return func() {}, err
		}
	}
	if err := loopbackHost(emulator); err != nil {
		stop()
		return func() {}, fmt.Errorf("FIRESTORE_EMULATOR_HOST: %w", err)
	}
	return stop, nil
}
