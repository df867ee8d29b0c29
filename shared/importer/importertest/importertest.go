// Package importertest gives tests the real Gamescom 2025 sheet export as
// the parties an import of it would write.
package importertest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/testenv"
)

// RealSheet parses the real sheet export in the read-only data folder
// beside the repository (rel is the caller's path to the repository's
// root, e.g. "../.."), and returns the conference an import of it creates
// and the parties it would write, in the importer's order. Where the
// folder is missing the test is skipped, or failed where the suite must
// run whole (testenv).
func RealSheet(tb testing.TB, root string) (conference.Conference, []party.Party) {
	tb.Helper()
	path := filepath.Join(root, "..", "shared", "data", "gamescom-2025", "sheet-export-2025-08-06.json")
	f, err := os.Open(path)
	if err != nil {
		testenv.Need(tb, "the read-only data folder beside the repository is missing ("+err.Error()+")")
	}
	defer f.Close()
	in, err := importer.Parse(f, importer.Auto)
	if err != nil {
		tb.Fatal(err)
	}
	conf := conference.Conference{ID: "gamescom2025", Name: "Gamescom 2025", City: "Cologne", TimeZone: "Europe/Berlin"}
	plan, err := importer.Prepare(conf, true, nil, in, importer.Options{}, time.Date(2025, 8, 6, 15, 0, 0, 0, time.UTC))
	if err != nil {
		tb.Fatal(err)
	}
	return plan.Conference, plan.Writes
}
