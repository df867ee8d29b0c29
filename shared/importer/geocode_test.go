package importer_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/demo/realdata"
	"github.com/partyfinder/partyfinder/shared/importer"
)

const geocodeExport = `{"events":{
 "row-a":{"fields":{"geocoding":{"mapValue":{"fields":{"lat":{"doubleValue":50.9392807},"lng":{"doubleValue":6.9621832}}}}}},
 "row-b":{"fields":{"geocoding":{"mapValue":{"fields":{"lat":{"doubleValue":50.94},"lng":{"integerValue":"7"}}}}}},
 "row-failed":{"fields":{"error":{"stringValue":"ZERO_RESULTS"}}}
}}`

func TestParseGeocodes(t *testing.T) {
	g, err := importer.ParseGeocodes(strings.NewReader(geocodeExport))
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != 2 || g["row-a"] != [2]float64{50.9392807, 6.9621832} || g["row-b"] != [2]float64{50.94, 7} {
		t.Errorf("geocodes = %v", g)
	}
	if _, err := importer.ParseGeocodes(strings.NewReader("[1,2")); err == nil {
		t.Error("a broken file parsed")
	}
}

// Coordinates join rows by id, never overwrite coordinates the file has,
// and the rows that got none keep "no coordinate column" so a re-import
// keeps coordinates stored earlier.
func TestApplyGeocodes(t *testing.T) {
	sheet := `[
 {"id":"row-a","Event Name":"A","Date":"Wed Aug 20","Start Time":"18:00"},
 {"id":"row-failed","Event Name":"B","Date":"Wed Aug 20","Start Time":"19:00"},
 {"id":"row-b","Event Name":"C","Date":"Wed Aug 20","Start Time":"20:00"}]`
	in := parse(t, []byte(sheet))
	g, _ := importer.ParseGeocodes(strings.NewReader(geocodeExport))
	if n := in.ApplyGeocodes(g); n != 2 {
		t.Fatalf("completed %d rows, want 2", n)
	}
	if in.Rows[0].Lat != "50.9392807" || in.Rows[0].Lng != "6.9621832" || in.Rows[1].Lat != "" || in.Rows[2].Lng != "7" {
		t.Errorf("rows = %+v", in.Rows)
	}

	store := openStore(t)
	im := &importer.Importer{Store: store, Now: (&clock{time.Date(2025, 8, 6, 15, 0, 0, 0, time.UTC)}).now}
	ctx := context.Background()
	if _, err := im.Run(ctx, importer.Request{ConferenceID: "gamescom2025", NewConference: gamescom, Input: in}); err != nil {
		t.Fatal(err)
	}
	// The same sheet without geocodes changes nothing: coordinates stay.
	rep, err := im.Run(ctx, importer.Request{ConferenceID: "gamescom2025", Input: parse(t, []byte(sheet))})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unchanged != 3 {
		t.Errorf("re-import without geocodes: %d unchanged, want 3", rep.Unchanged)
	}
	ps, _ := store.PartiesOf(ctx, "gamescom2025")
	located := 0
	for _, p := range ps {
		if p.Location != nil {
			located++
		}
	}
	if located != 2 {
		t.Errorf("%d parties have coordinates, want 2", located)
	}
}

func TestGeocodeRealExport(t *testing.T) {
	f, err := os.Open(realdata.Path(t, "gamescom-2025/geocoded-2025-08-06.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := importer.ParseGeocodes(f)
	if err != nil {
		t.Fatal(err)
	}
	in := parse(t, realSheet(t))
	n := in.ApplyGeocodes(g)
	// Some of the real lookups failed: most rows, not all, get coordinates.
	if n < 50 || n >= len(in.Rows) {
		t.Errorf("%d of %d real rows got coordinates", n, len(in.Rows))
	}
	t.Logf("real geocodes: %d of %d rows", n, len(in.Rows))
}
