package main

// coldstart -functions: the party feed's function as Cloud Run runs it,
// built alone (scripts/build-function) and built over the whole root
// package (the shared binary every function used to be), started in turn
// on SQLite and on the Firestore emulator's prebuilt snapshot; and the
// size of every function built alone against the shared binary's.
//
//	go run ./scripts/bench coldstart -functions parties
//	go run ./scripts/bench coldstart -functions parties -starts 5 -sizes=false

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gfs "cloud.google.com/go/firestore"

	"github.com/partyfinder/partyfinder"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/party"
)

// feedFunction is the function that serves /api/parties: the only one
// the cold start to the first full feed can time.
const feedFunction = partyfinder.FnParties

// unwanted are the packages a function's binary should not link: the
// Firebase Admin SDK's Cloud Storage and the xDS stack gRPC brings with
// it (see "Without the Firebase Admin SDK" in docs/PERFORMANCE.md).
var unwanted = []string{"cloud.google.com/go/storage", "google.golang.org/grpc/xds", "github.com/envoyproxy/"}

// fnBinary is one built functions binary.
type fnBinary struct {
	Name string // the function built alone, or "" for the shared binary
	Path string
	Size int64
	// Unwanted lists the unwanted packages found in it (module list or
	// symbols); none is what is expected.
	Unwanted []string
	Text     map[string]int64 // text bytes by module
	TextPkg  map[string]int64 // text bytes by package
}

func (b fnBinary) label() string {
	if b.Name == "" {
		return "shared (`go build ./test/functionsmain`, whole root package)"
	}
	return "`" + b.Name + "` alone (`scripts/build-function " + b.Name + "`)"
}

// fnCell is one binary's starts on one store.
type fnCell struct {
	Binary    *fnBinary
	Store     string
	First     *coldRun // the binary's very first start on this store, before any warm-up (Firestore only)
	Discarded coldRun
	Runs      []coldRun
}

func runColdFunctions(ctx context.Context, cfg coldConfig, stdout io.Writer) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "partyfinder-coldfn-")
	if err != nil {
		return err
	}
	if cfg.keep {
		defer step(stdout, "kept %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	loadStart := loadAverage()

	names := []string{cfg.functions}
	if cfg.sizes {
		names = nil
		for _, n := range partyfinder.FunctionNames() {
			names = append(names, n)
		}
		for _, t := range partyfinder.Triggers {
			names = append(names, t.Name)
		}
	}
	step(stdout, "building the shared binary and %d function(s) alone, two at a time", len(names))
	shared, alone, err := buildFunctionBinaries(ctx, root, tmp, names)
	if err != nil {
		return err
	}
	timed := alone[slices.Index(names, cfg.functions)]

	ownEmulator := os.Getenv("FIRESTORE_EMULATOR_HOST") == ""
	stopEmulator, err := useFirestoreEmulator(stdout, tmp, cfg.project)
	if err != nil {
		return err
	}
	defer stopEmulator()
	emulator := os.Getenv("FIRESTORE_EMULATOR_HOST")
	client, err := gfs.NewClient(ctx, cfg.project)
	if err != nil {
		return err
	}
	defer client.Close()
	store := firestore.New(client)
	step(stdout, "writing %d parties into Firestore at %s (project %s) and into a fresh SQLite file", benchParties, emulator, cfg.project)
	// A fresh emulator on a busy machine can miss the store's deadline
	// on its first writes; seeding again is harmless.
	var ps []party.Party
	for try := 1; ; try++ {
		if ps, err = seed(ctx, store); err == nil {
			break
		}
		if try == 3 {
			return fmt.Errorf("seed firestore: %w", err)
		}
		step(stdout, "seeding Firestore again after: %v", err)
	}
	db := filepath.Join(tmp, "bench.db")
	if _, err := createDB(ctx, db); err != nil {
		return fmt.Errorf("seed sqlite: %w", err)
	}
	published := 0
	for _, p := range ps {
		if p.Status == party.Published {
			published++
		}
	}
	for range 5 { // the emulator's JVM warm-up, charged to no start
		if _, err := store.PartiesOf(ctx, benchConference); err != nil {
			return err
		}
	}
	// The prebuilt snapshot, made the way the InvalidateCache trigger
	// makes it, so that no start of either binary comes before their
	// first ones.
	prebuiltDoc := client.Collection(prebuiltCollection).Doc(benchConference)
	if _, err := prebuiltDoc.Delete(ctx); err != nil {
		return err
	}
	if err := feed.NewCache(store, feed.Options{Shared: store}).Prebuild(ctx, benchConference); err != nil {
		return fmt.Errorf("prebuild the snapshot: %w", err)
	}
	before, err := prebuiltDoc.Get(ctx)
	if err != nil {
		return fmt.Errorf("no prebuilt snapshot in Firestore after the prebuild: %w", err)
	}
	// A start that loaded it writes nothing; one that rebuilt would
	// write it through again.
	untouched := func(ctx context.Context) error {
		after, err := prebuiltDoc.Get(ctx)
		if err != nil {
			return err
		}
		if !after.UpdateTime.Equal(before.UpdateTime) {
			return errors.New("the prebuilt snapshot in Firestore was written again: the function rebuilt it instead of loading it")
		}
		return nil
	}

	base := append(serverEnv(), "FUNCTION_TARGET="+cfg.functions, "LOCAL_ONLY=true", "K_SERVICE=", "K_REVISION=",
		"PARTYFINDER_EVENTS=inproc", "REDIS_ADDR=", "FIREBASE_AUTH_EMULATOR_HOST=", "GODEBUG=")
	base = append(base, cfg.env...)
	stores := []struct {
		name   string
		env    []string
		verify func(context.Context) error
	}{
		{"Firestore emulator, prebuilt snapshot", append(slices.Clone(base), "PARTYFINDER_STORE=firestore",
			"FIRESTORE_EMULATOR_HOST="+emulator, "GOOGLE_CLOUD_PROJECT="+cfg.project), untouched},
		{"SQLite, 500 parties in the file", append(slices.Clone(base), "PARTYFINDER_STORE=sqlite", "PARTYFINDER_DB="+db,
			"GOOGLE_CLOUD_PROJECT="), nil},
	}
	var cells []*fnCell
	for si, st := range stores {
		pair := []*fnCell{{Binary: &shared, Store: st.name}, {Binary: &timed, Store: st.name}}
		cells = append(cells, pair...)
		start := func(c *fnCell) (coldRun, error) {
			r, err := functionStartOnce(ctx, root, c.Binary.Path, st.env, published, cfg.settle, st.verify)
			if err != nil {
				return r, fmt.Errorf("%s on %s: %w", c.Binary.Path, st.name, err)
			}
			return r, nil
		}
		if si == 0 {
			// Firestore comes first: each binary's first start ever.
			for _, c := range pair {
				r, err := start(c)
				if err != nil {
					return err
				}
				c.First = &r
				step(stdout, "%s, %s: first start %s", filepath.Base(c.Binary.Path), st.name, ms(r.Total))
			}
		}
		for _, c := range pair {
			if c.Discarded, err = start(c); err != nil {
				return err
			}
			step(stdout, "%s, %s: discarded warm-up start %s", filepath.Base(c.Binary.Path), st.name, ms(c.Discarded.Total))
		}
		for round := range cfg.starts {
			if err := ctx.Err(); err != nil {
				return err
			}
			line := make([]string, 0, len(pair))
			for _, c := range pair {
				r, err := start(c)
				if err != nil {
					return err
				}
				c.Runs = append(c.Runs, r)
				line = append(line, filepath.Base(c.Binary.Path)+" "+ms(r.Total))
			}
			step(stdout, "%s, round %d of %d: %s", st.name, round+1, cfg.starts, strings.Join(line, ", "))
		}
	}

	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, coldFunctionsMarkdown(coldFunctionsReport{
		Cells: cells, Shared: shared, Alone: alone, Timed: timed, Config: cfg, Published: published,
		OwnEmulator: ownEmulator, Machine: machineInfo(ctx, root), LoadStart: loadStart,
	}))
	return nil
}

// buildFunctionBinaries builds the shared binary and each named function
// alone into dir, two builds at a time, and measures them.
func buildFunctionBinaries(ctx context.Context, root, dir string, names []string) (fnBinary, []fnBinary, error) {
	shared := fnBinary{Path: filepath.Join(dir, "shared")}
	alone := make([]fnBinary, len(names))
	jobs := []*fnBinary{&shared}
	for i, n := range names {
		alone[i] = fnBinary{Name: n, Path: filepath.Join(dir, "fn-"+n)}
		jobs = append(jobs, &alone[i])
	}
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, b := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			argv := []string{"go", "build", "-o", b.Path, "./test/functionsmain"}
			if b.Name != "" {
				argv = []string{filepath.Join(root, "scripts", "build-function"), b.Name, b.Path}
			}
			cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, out)
				return
			}
			errs[i] = measureBinary(ctx, b)
		}()
	}
	wg.Wait()
	return shared, alone, errors.Join(errs...)
}

// measureBinary fills in b's size, the unwanted packages it links and its
// text bytes by module and package.
func measureBinary(ctx context.Context, b *fnBinary) error {
	st, err := os.Stat(b.Path)
	if err != nil {
		return err
	}
	b.Size = st.Size()
	mods := moduleList(ctx, b.Path)
	if len(mods) == 0 {
		return fmt.Errorf("go version -m %s: no modules", b.Path)
	}
	nm, err := exec.CommandContext(ctx, "go", "tool", "nm", "-size", b.Path).Output()
	if err != nil {
		return fmt.Errorf("go tool nm -size %s: %w", b.Path, err)
	}
	found := map[string]bool{}
	for _, m := range mods {
		for _, u := range unwanted {
			if strings.HasPrefix(m+"/", u) || strings.HasPrefix(m, u) {
				found[m+" (module)"] = true
			}
		}
	}
	b.Text, b.TextPkg = map[string]int64{}, map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(nm))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		sym, size, kind, ok := parseNMLine(sc.Text())
		if !ok {
			continue
		}
		pkg := symbolPackage(sym)
		for _, u := range unwanted {
			if pkg != "" && (strings.HasPrefix(pkg+"/", u) || strings.HasPrefix(pkg, u)) {
				found[pkg] = true
			}
		}
		if kind != 'T' && kind != 't' {
			continue
		}
		b.Text[moduleOf(pkg, mods)] += size
		if pkg == "" {
			pkg = "(runtime tables)"
		}
		b.TextPkg[pkg] += size
	}
	if err := sc.Err(); err != nil {
		return err
	}
	for k := range found {
		b.Unwanted = append(b.Unwanted, k)
	}
	slices.Sort(b.Unwanted)
	return nil
}

// parseNMLine reads one line of `go tool nm -size`: address, size, kind
// and name, the address missing for undefined symbols.
func parseNMLine(line string) (sym string, size int64, kind byte, ok bool) {
	f := strings.Fields(line)
	if len(f) >= 4 && len(f[2]) == 1 { // address size kind name
		f = f[1:]
	}
	if len(f) < 3 || len(f[1]) != 1 {
		return "", 0, 0, false
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return "", 0, 0, false
	}
	return strings.Join(f[2:], " "), n, f[1][0], true
}

// symbolPackage returns the import path of the package a linker symbol
// belongs to ("" for the linker's own, go:…, and generated functions of
// unnamed types): what comes
// before the first dot after the last slash, with the type: prefixes of
// generated equality and hash functions and the type arguments of
// generic instances left out.
func symbolPackage(sym string) string {
	for _, p := range []string{"type:.eq.", "type:.hash.", "type:"} {
		if s, ok := strings.CutPrefix(sym, p); ok {
			sym = strings.TrimLeft(s, "*[]")
			break
		}
	}
	if strings.HasPrefix(sym, "go:") {
		return ""
	}
	if p, ok := strings.CutSuffix(sym, "(.text)"); ok { // a package's assembly or C, as one symbol
		return p
	}
	if i := strings.IndexAny(sym, "[("); i >= 0 {
		sym = sym[:i]
	}
	slash := strings.LastIndexByte(sym, '/')
	dot := strings.IndexByte(sym[slash+1:], '.')
	if dot < 0 {
		return ""
	}
	return strings.TrimSuffix(sym[:slash+1+dot], ".")
}

// functionStartOnce starts a functions binary on a free loopback port
// with env and times it to the first full feed, as coldStartOnce does
// the runner.
func functionStartOnce(ctx context.Context, root, bin string, env []string, published int, settle time.Duration, verify func(context.Context) error) (coldRun, error) {
	addr, err := freeAddr()
	if err != nil {
		return coldRun{}, err
	}
	_, port, _ := strings.Cut(addr, ":")
	return spawnAndPoll(ctx, root, []string{bin}, append(slices.Clone(env), "PORT="+port), addr, published, settle, verify)
}
