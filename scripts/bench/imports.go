package main

// The import bench: one file of a conference week's side events imported
// in one call through the importer, as `pf import` and the admin endpoint
// do, into a fresh SQLite file and into the Firestore emulator; then the
// next week's file, a tenth of the rows gone (pruned) and a tenth of the
// rest moved to another venue.
//
//	go run ./scripts/bench import                           # 5,000 and 20,000 rows, both stores
//	go run ./scripts/bench import -rows 5000 -stores sqlite  # one case
//
// Each case runs in a child process of its own, so its peak resident
// memory (VmHWM) is the case's alone. It starts the Firestore emulator
// unless FIRESTORE_EMULATOR_HOST names one, and talks only to 127.0.0.1.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// importResult is what one case measured.
type importResult struct {
	Store     string  `json:"store"`
	Rows      int     `json:"rows"`
	CSVBytes  int     `json:"csvBytes"`
	JSONBytes int     `json:"jsonBytes"`
	Parse     float64 `json:"parseSeconds"`
	First     float64 `json:"firstSeconds"` // every row created
	Prune     float64 `json:"pruneSeconds"` // the next file, with prune
	Again     float64 `json:"againSeconds"` // the same file again: nothing to write
	Writes    int     `json:"pruneWrites"`
	PeakRSS   int64   `json:"peakRSSKiB"`
}

func runImports(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	rows := fs.String("rows", "5000,20000", "comma-separated row counts")
	stores := fs.String("stores", "sqlite,firestore", "comma-separated stores: sqlite, firestore (the emulator)")
	project := fs.String("project", "demo-party", "Google Cloud project id on the emulator")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "bench-import-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if strings.Contains(*stores, "firestore") {
		stop, err := useFirestoreEmulator(stdout, tmp, *project)
		if err != nil {
			return err
		}
		defer stop()
	}
	var results []importResult
	for _, store := range strings.Split(*stores, ",") {
		for _, n := range strings.Split(*rows, ",") {
			step(stdout, "importing %s rows into %s", n, store)
			cmd := exec.CommandContext(ctx, os.Args[0], "importprobe", "-store", store, "-rows", n, "-dir", tmp, "-project", *project)
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			if err != nil {
				return fmt.Errorf("%s rows into %s: %w", n, store, err)
			}
			var r importResult
			if err := json.Unmarshal(out, &r); err != nil {
				return fmt.Errorf("%s rows into %s: %w (%q)", n, store, err, out)
			}
			results = append(results, r)
		}
	}
	fmt.Fprintln(stdout, "\n| store | rows | CSV | JSON | parse | first import | next file with prune (writes) | same file again | peak RSS |")
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		fmt.Fprintf(stdout, "| %s | %d | %.1f MiB | %.1f MiB | %.2f s | %.2f s | %.2f s (%d) | %.2f s | %d MiB |\n",
			r.Store, r.Rows, mib(r.CSVBytes), mib(r.JSONBytes), r.Parse, r.First, r.Prune, r.Writes, r.Again, r.PeakRSS>>10)
	}
	return nil
}

func mib(n int) float64 { return float64(n) / (1 << 20) }

// runImportProbe is one case, in its own process: it prints an
// importResult as JSON.
func runImportProbe(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("importprobe", flag.ContinueOnError)
	storeKind := fs.String("store", "sqlite", "sqlite or firestore")
	rows := fs.Int("rows", 5000, "rows in the file")
	dir := fs.String("dir", os.TempDir(), "where the SQLite file goes")
	project := fs.String("project", "demo-party", "Google Cloud project id on the emulator")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	var store importer.Store
	switch *storeKind {
	case "sqlite":
		s, err := sqlite.Open(filepath.Join(*dir, fmt.Sprintf("import-%d.db", *rows)))
		if err != nil {
			return err
		}
		defer s.Close()
		store = s
	case "firestore":
		if err := loopbackHost(os.Getenv("FIRESTORE_EMULATOR_HOST")); err != nil {
			return fmt.Errorf("FIRESTORE_EMULATOR_HOST: %w", err)
		}
		c, err := firestore.NewClient(ctx, *project)
		if err != nil {
			return err
		}
		defer c.Close()
		b := make([]byte, 6)
		rand.Read(b)
		store = firestore.New(c, firestore.WithCollectionPrefix("benchimport"+hex.EncodeToString(b)+"_"))
	default:
		return fmt.Errorf("unknown store %q", *storeKind)
	}

	r := importResult{Store: *storeKind, Rows: *rows}
	first, jsonBody := sideEventSheet(*rows, nil)
	r.CSVBytes, r.JSONBytes = len(first), len(jsonBody)
	gone := func(i int) bool { return i%10 == 3 }
	next, _ := sideEventSheet(*rows, func(i int) (keep, moved bool) { return !gone(i), i%10 == 6 })

	start := time.Now()
	in, err := importer.Parse(bytes.NewReader(first), importer.CSV)
	if err != nil {
		return err
	}
	r.Parse = time.Since(start).Seconds()
	im := &importer.Importer{Store: store}
	spec := importer.ConferenceSpec{Name: "Bench Festival Week", City: "Austin", TimeZone: "America/Chicago"}
	start = time.Now()
	rep, err := im.Run(ctx, importer.Request{ConferenceID: "benchimport", NewConference: spec, Input: in})
	if err != nil {
		return fmt.Errorf("first import: %w", err)
	}
	r.First = time.Since(start).Seconds()
	if rep.Created != *rows {
		return fmt.Errorf("first import created %d of %d rows: %v", rep.Created, *rows, rep.WarningKinds)
	}
	nextIn, err := importer.Parse(bytes.NewReader(next), importer.CSV)
	if err != nil {
		return err
	}
	req := importer.Request{ConferenceID: "benchimport", Input: nextIn, Options: importer.Options{Prune: true}}
	start = time.Now()
	if rep, err = im.Run(ctx, req); err != nil {
		return fmt.Errorf("pruning import: %w", err)
	}
	r.Prune = time.Since(start).Seconds()
	r.Writes = rep.Created + rep.Updated + rep.Cancelled
	start = time.Now()
	if rep, err = im.Run(ctx, req); err != nil || rep.Unchanged != rep.Accepted {
		return fmt.Errorf("the same file again: %d of %d unchanged, %v", rep.Unchanged, rep.Accepted, err)
	}
	r.Again = time.Since(start).Seconds()
	r.PeakRSS = peakRSS()
	return json.NewEncoder(stdout).Encode(r)
}

// sideEventSheet returns a CSV of n side events drawn like the bench
// conference's parties (data.go), and the same rows as JSON; sel, if set,
// leaves rows out and moves some to another venue.
func sideEventSheet(n int, sel func(i int) (keep, moved bool)) (csvBody, jsonBody []byte) {
	rng := mrand.New(mrand.NewPCG(2026, 3))
	first := time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC)
	header := []string{"Event Name", "Date", "Start Time", "End Time", "Venue", "Address", "Description", "Category", "Hosts", "Price", "Link", "Focus", "Tags"}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	var objs []map[string]string
	for i := range n {
		p := randomParty(rng, i, first, time.UTC, first)
		keep, moved := true, false
		if sel != nil {
			keep, moved = sel(i)
		}
		if !keep {
			continue
		}
		if moved {
			p.Venue += " Annex"
		}
		end := ""
		if !p.End.IsZero() {
			end = p.End.Format("15:04")
		}
		// The row number keeps titles apart: every row is its own party.
		rec := []string{fmt.Sprintf("%s #%d", p.Title, i), p.Start.Format("2006-01-02"), p.Start.Format("15:04"), end,
			p.Venue, p.Address, p.Description, p.Category.Label, strings.Join(p.Hosts, "; "), p.Price, p.Link, p.Focus, strings.Join(p.Tags, "; ")}
		w.Write(rec)
		obj := make(map[string]string, len(header))
		for j, h := range header {
			obj[h] = rec[j]
		}
		objs = append(objs, obj)
	}
	w.Flush()
	jsonBody, _ = json.Marshal(objs)
	return b.Bytes(), jsonBody
}

// peakRSS returns the process's peak resident memory in KiB (Linux), or 0.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
