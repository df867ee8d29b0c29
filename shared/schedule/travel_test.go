package schedule

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/testenv"
)

// venues reads real Gamescom 2025 venues from the organisers' geocoding
// export, by a fragment of their row id.
func venues(t *testing.T) map[string]party.Point {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "data", "gamescom-2025", "geocoded-2025-08-06.json")
	f, err := os.Open(path)
	if err != nil {
		testenv.Need(t, "the real venues are missing: "+err.Error())
	}
	defer f.Close()
	geo, err := importer.ParseGeocodes(f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]party.Point{}
	for _, name := range []string{"rheinloft-cologne", "gorzenich-koln", "carlswerk-victoria", "cologne-fair--messeplatz-1"} {
		for id, ll := range geo {
			if strings.Contains(id, name) {
				out[name] = party.Point{Lat: ll[0], Lng: ll[1]}
				break
			}
		}
		if _, ok := out[name]; !ok {
			t.Fatalf("no venue %q in %s", name, path)
		}
	}
	return out
}

// Two saved parties are tight when leaving the first at its end gets one
// to the next one late: walking within 2 km, by tram or taxi beyond.
func TestTightPairsOnRealVenues(t *testing.T) {
	v := venues(t)
	in := func(venue string, id string, start, end time.Time) party.Party {
		pt := p(id, start, end, party.Published)
		if venue != "" {
			loc := v[venue]
			pt.Location = &loc
		}
		return pt
	}
	tests := []struct {
		name      string
		parties   []party.Party
		want      []string // "from>to mode minutes"
		wantTight map[string][]string
	}{
		{"five minutes for a seven-minute walk across the old town",
			[]party.Party{in("gorzenich-koln", "awards", at(20, 18, 0), at(20, 20, 0)), in("rheinloft-cologne", "rooftop", at(20, 20, 5), at(20, 23, 0))},
			[]string{"awards>rooftop walk 7"}, map[string][]string{"awards": {"rooftop"}, "rooftop": {"awards"}}},
		{"a quarter of an hour is enough for it",
			[]party.Party{in("gorzenich-koln", "awards", at(20, 18, 0), at(20, 20, 0)), in("rheinloft-cologne", "rooftop", at(20, 20, 15), at(20, 23, 0))},
			nil, nil},
		{"the Rhine to the fair is a 24-minute walk",
			[]party.Party{in("rheinloft-cologne", "rooftop", at(20, 18, 0), at(20, 20, 0)), in("cologne-fair--messeplatz-1", "fair", at(20, 20, 15), at(20, 22, 0))},
			[]string{"rooftop>fair walk 24"}, nil},
		{"Mülheim is a ride: 25 minutes with the wait",
			[]party.Party{in("rheinloft-cologne", "rooftop", at(23, 15, 0), at(23, 16, 40)), in("carlswerk-victoria", "pubg", at(23, 17, 0), at(23, 23, 0))},
			[]string{"rooftop>pubg transit 25"}, nil},
		{"half an hour is enough for the ride",
			[]party.Party{in("rheinloft-cologne", "rooftop", at(23, 15, 0), at(23, 16, 30)), in("carlswerk-victoria", "pubg", at(23, 17, 0), at(23, 23, 0))},
			nil, nil},
		{"without coordinates nothing is tight",
			[]party.Party{in("", "secret", at(20, 18, 0), at(20, 20, 0)), in("carlswerk-victoria", "pubg", at(20, 20, 0), at(20, 23, 0))},
			nil, nil},
		{"a clash is a clash, not tight",
			[]party.Party{in("gorzenich-koln", "awards", at(20, 18, 0), at(20, 20, 30)), in("carlswerk-victoria", "pubg", at(20, 20, 0), at(20, 23, 0))},
			nil, nil},
		{"a cancelled party in between is skipped",
			[]party.Party{in("gorzenich-koln", "awards", at(20, 18, 0), at(20, 20, 0)), func() party.Party {
				c := in("carlswerk-victoria", "gone", at(20, 20, 1), at(20, 20, 2))
				c.Status = party.Cancelled
				return c
			}(), in("rheinloft-cologne", "rooftop", at(20, 20, 5), at(20, 23, 0))},
			[]string{"awards>rooftop walk 7"}, nil},
		{"the way starts at whichever ends later",
			[]party.Party{in("gorzenich-koln", "long", at(20, 17, 0), at(20, 21, 0)), in("gorzenich-koln", "short", at(20, 18, 0), at(20, 19, 0)),
				in("cologne-fair--messeplatz-1", "fair", at(20, 21, 10), at(20, 23, 0))},
			[]string{"long>fair walk 30"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			days := Build(tc.parties, berlin, DefaultTravel)
			var got []string
			tightWith := map[string][]string{}
			for _, d := range days {
				for _, tp := range d.Tight {
					got = append(got, tp.From+">"+tp.To+" "+tp.Leg.Mode+" "+strconv.Itoa(tp.Leg.Minutes))
					if tp.GapMinutes >= tp.Leg.Minutes {
						t.Errorf("%s>%s: gap %d min is not shorter than the way, %d min", tp.From, tp.To, tp.GapMinutes, tp.Leg.Minutes)
					}
				}
				for _, it := range d.Items {
					if it.TightWith != nil {
						tightWith[it.Party.ID] = it.TightWith
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("tight pairs %q, want %q", got, tc.want)
			}
			for id, want := range tc.wantTight {
				if !slices.Equal(tightWith[id], want) {
					t.Errorf("%s is tight with %v, want %v", id, tightWith[id], want)
				}
			}
		})
	}
}
