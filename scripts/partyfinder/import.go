package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/partyfinder/partyfinder"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

const importUsage = `usage: partyfinder import --conference ID [flags] FILE

Imports parties from an organiser spreadsheet (CSV, or the sheet's JSON
export) or from a Partyfinder party export (JSON) into the SQLite store (or Firestore with --store firestore).
FILE may be "-" for standard input. Every row is reported as accepted,
accepted with warnings, or rejected with reasons; rows are numbered from 1
for the first data row (CSV rows also show their line in the file).
Rejected rows are not fatal: the exit code is non-zero only when the import
as a whole fails (bad flags, unreadable file, more parties than one batch
holds, store error), and then no party was written and no new database file
is left behind. --dry-run fails the same way, except for store errors.

flags:`

// runImport runs "partyfinder import".
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), importUsage)
		fs.PrintDefaults()
	}
	defaultDB := os.Getenv(partyfinder.EnvDB)
	if defaultDB == "" {
		defaultDB = partyfinder.DefaultDBPath
	}
	db := fs.String("db", defaultDB, "SQLite database file")
	storeKind := fs.String("store", partyfinder.StoreSQLite, "store: sqlite or firestore (FIRESTORE_EMULATOR_HOST and GOOGLE_CLOUD_PROJECT are honoured)")
	confID := fs.String("conference", "", "conference id, e.g. gamescom2025 (required)")
	var spec importer.ConferenceSpec
	fs.StringVar(&spec.Name, "name", "", "conference name (to create a new conference)")
	fs.StringVar(&spec.City, "city", "", "conference city (to create a new conference)")
	fs.StringVar(&spec.TimeZone, "tz", "", "conference IANA time zone, e.g. Europe/Berlin (to create a new conference)")
	fs.StringVar(&spec.FirstDay, "from", "", "first day YYYY-MM-DD of a new conference (default: the earliest party)")
	fs.StringVar(&spec.LastDay, "to", "", "last day YYYY-MM-DD of a new conference (default: the latest party)")
	var opts importer.Options
	fs.StringVar(&opts.Source, "source", "", `source of the parties (default: each row's "source", else "import")`)
	fs.BoolVar(&opts.Prune, "prune", false, "cancel published parties of this conference and source that the file no longer lists")
	format := fs.String("format", "", "csv or json (default: from the file name, else from the content)")
	dryRun := fs.Bool("dry-run", false, "report what would happen and write nothing")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	geocodes := fs.String("geocode", "", "geocoding export (JSON keyed by row id) giving rows without coordinates their lat/lng")

	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(files) != 1:
		fs.Usage()
		return fmt.Errorf("import: want exactly one FILE, got %d", len(files))
	case strings.TrimSpace(*confID) == "":
		return errors.New("import: --conference is required (e.g. --conference gamescom2025)")
	}
	for flagName, v := range map[string]string{"from": spec.FirstDay, "to": spec.LastDay} {
		if _, err := time.Parse(conference.DateLayout, v); v != "" && err != nil {
			return fmt.Errorf("import: --%s %q must be a date YYYY-MM-DD", flagName, v)
		}
	}
	f := importer.FormatOf(files[0])
	switch strings.ToLower(*format) {
	case "":
	case "csv":
		f = importer.CSV
	case "json":
		f = importer.JSON
	default:
		return fmt.Errorf("import: --format %q: want csv or json", *format)
	}

	in, err := readInput(files[0], f)
	if err != nil {
		return err
	}
	if *geocodes != "" {
		gf, err := os.Open(*geocodes)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		g, err := importer.ParseGeocodes(gf)
		gf.Close()
		if err != nil {
			return fmt.Errorf("import: --geocode %s: %w", *geocodes, err)
		}
		n := in.ApplyGeocodes(g)
		in.Notes = append(in.Notes, fmt.Sprintf("coordinates for %d rows from %s", n, filepath.Base(*geocodes)))
	}
	// The import tells the servers through the configured events, so a
	// dry run checks the configuration too: it fails where the import would.
	cfg, err := partyfinder.ConfigFromEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	store, closeStore, discard, err := openImportStore(ctx, *storeKind, *db, *dryRun)
	if err != nil {
		return err
	}
	im := &importer.Importer{Store: store}
	if s, ok := store.(partyfinder.Storage); ok && !*dryRun {
		// The servers learn of the import through its events: the shared
		// cache tier's revision is raised, and with PARTYFINDER_EVENTS=pubsub
		// the events go to the topic.
		cfg.Store, cfg.DBPath = *storeKind, *db
		a := partyfinder.New(cfg, s, partyfinder.Auth{})
		im.Events = a.ImportEvents()
		closeStore = sync.OnceFunc(func() { a.Close() }) // sends what is buffered, then closes the store
	}
	defer closeStore()

	rep, err := im.Run(ctx, importer.Request{
		ConferenceID:  strings.TrimSpace(*confID),
		NewConference: spec,
		Input:         in,
		Options:       opts,
		DryRun:        *dryRun,
	})
	if err != nil {
		// A failed import leaves no database it created: nothing was
		// written to it but its empty tables.
		closeStore()
		discard()
		return fmt.Errorf("import: %w", withFlagNames(err))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(stdout)
}

// parseInterspersed parses flags that may come after the file name too:
// "import FILE --dry-run" works like "import --dry-run FILE".
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func readInput(name string, f importer.Format) (importer.Input, error) {
	var r io.Reader = os.Stdin
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return importer.Input{}, fmt.Errorf("import: %w", err)
		}
		defer file.Close()
		r = file
	}
	in, err := importer.Parse(r, f)
	if err != nil {
		return importer.Input{}, fmt.Errorf("import: %s: %w", name, err)
	}
	return in, nil
}

// openImportStore opens the store. It returns a close function (safe to call
// twice) and a discard function that, once the store is closed, removes the
// SQLite database and the folders that opening it created, so a failed
// import leaves no new file behind. A dry run against a database that does
// not exist yet uses a throwaway one, so that "writes nothing" includes not
// creating the file.
func openImportStore(ctx context.Context, kind, path string, dryRun bool) (store importer.Store, closeStore, discard func(), err error) {
	nothing := func() {}
	if kind != partyfinder.StoreSQLite {
		cfg, err := partyfinder.ConfigFromEnv(os.Getenv)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("import: %w", err)
		}
		cfg.Store = kind
		if cfg.ProjectID == "" && os.Getenv("FIRESTORE_EMULATOR_HOST") != "" {
			cfg.ProjectID = "demo-party"
		}
		s, err := partyfinder.OpenStore(ctx, cfg)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("import: %w", err)
		}
		return s, sync.OnceFunc(func() { s.Close() }), nothing, nil
	}
	if dryRun {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			dir, err := os.MkdirTemp("", "partyfinder-dry-run-")
			if err != nil {
				return nil, nil, nil, fmt.Errorf("import: %w", err)
			}
			s, err := sqlite.Open(filepath.Join(dir, "dry-run.db"))
			if err != nil {
				os.RemoveAll(dir)
				return nil, nil, nil, fmt.Errorf("import: %w", err)
			}
			return s, sync.OnceFunc(func() { s.Close(); os.RemoveAll(dir) }), nothing, nil
		}
	}
	discard = newDatabaseRemover(path)
	s, err := sqlite.Open(path)
	if err != nil {
		discard()
		return nil, nil, nil, fmt.Errorf("import: %w", err)
	}
	return s, sync.OnceFunc(func() { s.Close() }), discard, nil
}

// newDatabaseRemover returns a function that removes the SQLite database at
// path with its journal files, and the folders above it that do not exist
// yet, once something created them; it does nothing when the database
// exists already. Folders are removed only while empty.
func newDatabaseRemover(path string) func() {
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		return func() {}
	}
	var dirs []string // deepest first
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
			break
		}
		dirs = append(dirs, dir)
		if filepath.Dir(dir) == dir {
			break
		}
	}
	return func() {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(path + suffix)
		}
		for _, dir := range dirs {
			os.Remove(dir)
		}
	}
}

// flagOf names the command-line flag behind an importer field.
var flagOf = map[string]string{
	"conference": "--conference", "name": "--name", "city": "--city", "timeZone": "--tz",
	"firstDay": "--from", "lastDay": "--to",
}

// withFlagNames rewrites an Invalid error about conference fields in terms
// of the flags that set them. Errors about other fields, such as a party's
// that the store refused, stay as they are.
func withFlagNames(err error) error {
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.Invalid || len(e.Fields) == 0 {
		return err
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		fl, ok := flagOf[f.Field]
		if !ok {
			return err
		}
		parts[i] = fl + " " + f.Message
	}
	msg := e.Message
	if strings.HasPrefix(msg, "invalid ") { // apperr.Field repeats the field in the message
		msg = "invalid flags"
	}
	return apperr.New(apperr.Invalid, "%s: %s", msg, strings.Join(parts, "; "))
}
