package analytics_test

import (
	"slices"
	"testing"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/importer/importertest"
	"github.com/partyfinder/partyfinder/shared/party"
)

// TestHotspotsRealSheet imports the real Gamescom 2025 sheet as production
// does and saves its first party, which gives an address ("STARTPLATZ, Im
// Mediapark 5, ...") and no venue, six times: the hotspots show it under
// its address.
func TestHotspotsRealSheet(t *testing.T) {
	_, writes := importertest.RealSheet(t, "../..")
	ps := slices.Clone(writes)
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
