package analytics_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/testenv"
)

// TestHotspotsRealSheet imports the real Gamescom 2025 sheet as production
// does and saves its first party, which gives an address ("STARTPLATZ, Im
// Mediapark 5, ...") and no venue, six times: the hotspots show it under
// its address.
func TestHotspotsRealSheet(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "data", "gamescom-2025", "sheet-export-2025-08-06.json")
	f, err := os.Open(path)
	if err != nil {
		testenv.Need(t, "the read-only data folder beside the repository is missing ("+err.Error()+")")
	}
	defer f.Close()
	in, err := importer.Parse(f, importer.Auto)
	if err != nil {
		t.Fatal(err)
	}
	conf := conference.Conference{ID: "gamescom2025", Name: "Gamescom 2025", City: "Cologne", TimeZone: "Europe/Berlin"}
	plan, err := importer.Prepare(conf, true, nil, in, importer.Options{}, time.Date(2025, 8, 6, 15, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	ps := slices.Clone(plan.Writes)
	slices.SortFunc(ps, party.Chronological)
	first := ps[0]
	if first.Venue != "" || first.Address == "" {
		t.Fatalf("the sheet's first party %q has venue %q and address %q; this test wants one with an address only", first.Title, first.Venue, first.Address)
	}
	stats := []analytics.PartyStats{{PartyID: first.ID, Counters: analytics.Counters{Saves: 6}, Savers: analytics.Mix{Developer: 4, Investor: 2}}}
	hs := analytics.Hotspots(ps, stats)
	if len(hs) != 1 || hs[0].Venue != first.Address || hs[0].Total != 6 || hs[0].Sample.ID != first.ID {
		t.Fatalf("hotspots %+v, want %q with 6 saves of %s", hs, first.Address, first.ID)
	}
}
