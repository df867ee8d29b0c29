package feed_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/party"
)

var allVisible = []string{"opening", "koeln-nights", "late-a", "midnight", "same-a", "same-b", "brunch"}

func TestSnapshotVisibility(t *testing.T) {
	s := fixtureSnapshot(t)
	var got []string
	for _, e := range s.Entries {
		got = append(got, e.Party.ID)
	}
	want := []string{"opening", "koeln-nights", "late-a", "midnight", "same-a", "same-b", "cancelled-x", "brunch"}
	if !slices.Equal(got, want) {
		t.Errorf("entries = %q, want %q (public parties by start then id)", got, want)
	}
	for _, tt := range []struct {
		id      string
		visible bool
	}{
		{"opening", true}, {"cancelled-x", true}, {"draft-x", false}, {"pending-x", false}, {"unknown", false},
	} {
		e, ok := s.Entry(tt.id)
		if ok != tt.visible {
			t.Errorf("Entry(%q) found = %v, want %v", tt.id, ok, tt.visible)
		}
		if ok && e.Party.ID != tt.id {
			t.Errorf("Entry(%q) returned %q", tt.id, e.Party.ID)
		}
	}

	// The order does not depend on the order the store returned.
	ps := fixture(t)
	for range 20 {
		rand.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		var got []string
		for _, e := range feed.NewSnapshot(testConference(t), ps, "r", 2).Entries {
			got = append(got, e.Party.ID)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("entries after shuffle = %q, want %q", got, want)
		}
	}
}

func TestSnapshotLocalDates(t *testing.T) {
	s := fixtureSnapshot(t)
	for id, want := range map[string]string{
		"opening":  "2025-08-20",
		"late-a":   "2025-08-20", // 23:00 until 02:00: belongs to the day it starts
		"midnight": "2025-08-21", // 00:30 local is 22:30 UTC the day before
		"brunch":   "2025-08-22",
	} {
		e, _ := s.Entry(id)
		if e == nil || e.Date != want {
			t.Errorf("%s: date = %v, want %s", id, e, want)
		}
	}
}

func TestSelect(t *testing.T) {
	s := fixtureSnapshot(t)
	tests := []struct {
		raw  string
		want []string
	}{
		{"", allVisible},
		{"include=cancelled", []string{"opening", "koeln-nights", "late-a", "midnight", "same-a", "same-b", "cancelled-x", "brunch"}},

		// Dates are conference-local start days.
		{"date=2025-08-20", []string{"opening", "koeln-nights", "late-a"}},
		{"date=2025-08-21", []string{"midnight", "same-a", "same-b"}},
		{"date=2025-08-21&include=cancelled", []string{"midnight", "same-a", "same-b", "cancelled-x"}},
		{"date=2025-08-22,2025-08-20", []string{"opening", "koeln-nights", "late-a", "brunch"}},
		{"date=2025-08-22&date=2025-08-20", []string{"opening", "koeln-nights", "late-a", "brunch"}},
		{"date=2025-08-25", nil},

		// Text: title, hosts, venue, description; accents and case do not matter.
		{"q=koln", []string{"koeln-nights", "late-a"}},
		{"q=K%C3%B6ln", []string{"koeln-nights", "late-a"}},
		{"q=KOLN", []string{"koeln-nights", "late-a"}},
		{"q=CAFE", []string{"opening"}},
		{"q=caf%C3%A9+central", []string{"opening"}},
		{"q=ubisoft", []string{"opening"}},
		{"q=devcom", []string{"opening"}},
		{"q=wargaming", []string{"midnight"}},
		{"q=bahnhof", []string{"late-a"}},
		{"q=rooftop", []string{"late-a"}},
		{"q=rooftop&include=cancelled", []string{"late-a", "cancelled-x"}},
		{"q=rooftop+koln", []string{"late-a"}},
		{"q=koln+rooftop+dj", []string{"late-a"}},
		{"q=koln+zzz", nil},
		{"q=mixer+bootshaus", nil}, // words from two different parties
		{"q=secret", nil},          // drafts are never found
		{"q=pending", nil},
		{"q=nights&date=2025-08-20", []string{"koeln-nights"}},
		{"q=nights&date=2025-08-21", nil},

		{"category=Exec+Social", []string{"opening"}},
		{"category=party,exec-social", []string{"opening", "koeln-nights"}},
		{"category=other", []string{"late-a", "midnight", "same-a", "same-b"}},

		{"free=true", []string{"opening", "late-a"}},
		{"free=true&include=cancelled", []string{"opening", "late-a", "cancelled-x"}},
		{"free=false", allVisible},

		// Dom to Koelnmesse is about 1.9 km; parties without a location never match near.
		{"near=50.9413,6.9583&radius=1", []string{"opening", "midnight"}},
		{"near=50.9413,6.9583", []string{"opening", "koeln-nights", "midnight"}},
		{"near=50.9413,6.9583&radius=1.8", []string{"opening", "midnight"}},
		{"near=50.9413,6.9583&radius=2.0", []string{"opening", "koeln-nights", "midnight"}},
		{"near=50.9466,6.9839&radius=0.1", []string{"koeln-nights"}},
		{"near=50.9466,6.9839&radius=100", []string{"opening", "koeln-nights", "midnight"}},
		{"near=52.52,13.405&radius=100", nil}, // Berlin

		// from/to select parties overlapping [from, to).
		{"from=2025-08-20T20:30&to=2025-08-20T23:30", []string{"koeln-nights", "late-a"}},
		{"from=2025-08-20T18:30:00Z&to=2025-08-20T21:30:00Z", []string{"koeln-nights", "late-a"}},
		{"from=2025-08-21T01:00", []string{"late-a", "same-a", "same-b", "brunch"}},
		{"from=2025-08-21T00:30", []string{"late-a", "midnight", "same-a", "same-b", "brunch"}},
		{"from=2025-08-21T00:31", []string{"late-a", "same-a", "same-b", "brunch"}},
		{"to=2025-08-20T21:00", []string{"opening"}},
		{"to=2025-08-20T21:01", []string{"opening", "koeln-nights"}},
		{"from=2025-08-21T21:30&to=2025-08-22T12:00", []string{"same-b"}},
		{"from=2025-08-23T00:00", nil},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			pg := s.Select(parseQuery(t, tt.raw))
			if got := ids(pg.Entries); !slices.Equal(got, tt.want) {
				t.Errorf("Select = %q, want %q", got, tt.want)
			}
			if pg.Total != len(tt.want) || pg.HasMore || pg.NextCursor != "" {
				t.Errorf("Total %d HasMore %v NextCursor %q, want %d, false, empty", pg.Total, pg.HasMore, pg.NextCursor, len(tt.want))
			}
		})
	}
}

// pagingParties returns n published parties with many equal start times.
func pagingParties(t testing.TB, n int) []party.Party {
	var ps []party.Party
	for i := range n {
		start := local("2025-08-20 18:00").Add(time.Duration(i/4) * 30 * time.Minute) // groups of 4 share a start
		status := party.Published
		if i%7 == 3 {
			status = party.Cancelled
		}
		ps = append(ps, mkParty(t, party.Party{ID: fmt.Sprintf("p%02d", (i*7)%n), Start: start, Status: status,
			Description: map[bool]string{true: "even", false: "odd"}[i%2 == 0]}))
	}
	return ps
}

func TestSelectPaging(t *testing.T) {
	s := feed.NewSnapshot(testConference(t), pagingParties(t, 23), "r", 1)
	for _, filter := range []string{"", "include=cancelled", "q=even", "date=2025-08-20&q=odd"} {
		full := s.Select(parseQuery(t, filter+"&limit=500"))
		if len(full.Entries) < 5 {
			t.Fatalf("%q: fixture too small: %d entries", filter, len(full.Entries))
		}
		want := ids(full.Entries)
		for limit := 1; limit <= len(want)+1; limit++ {
			name := fmt.Sprintf("%s limit=%d", filter, limit)
			t.Run(name, func(t *testing.T) {
				// Walk with cursors.
				var walked []string
				cursor := ""
				for pages := 0; ; pages++ {
					if pages > len(want)+1 {
						t.Fatalf("cursor walk does not end: %q", walked)
					}
					raw := fmt.Sprintf("%s&limit=%d", filter, limit)
					if cursor != "" {
						raw += "&cursor=" + cursor
					}
					pg := s.Select(parseQuery(t, raw))
					if pg.Total != len(want) {
						t.Errorf("page %d: Total = %d, want %d", pages, pg.Total, len(want))
					}
					walked = append(walked, ids(pg.Entries)...)
					if pg.HasMore != (len(walked) < len(want)) {
						t.Fatalf("page %d: HasMore = %v with %d of %d walked", pages, pg.HasMore, len(walked), len(want))
					}
					if !pg.HasMore {
						if pg.NextCursor != "" {
							t.Errorf("last page has NextCursor %q", pg.NextCursor)
						}
						break
					}
					if pg.NextCursor == "" || len(pg.Entries) != limit {
						t.Fatalf("page %d: %d entries, NextCursor %q", pages, len(pg.Entries), pg.NextCursor)
					}
					cursor = pg.NextCursor
				}
				if !slices.Equal(walked, want) {
					t.Errorf("cursor walk = %q, want %q", walked, want)
				}

				// Walk with page numbers: the same pages.
				var paged []string
				for page := 1; ; page++ {
					pg := s.Select(parseQuery(t, fmt.Sprintf("%s&limit=%d&page=%d", filter, limit, page)))
					paged = append(paged, ids(pg.Entries)...)
					if !pg.HasMore {
						break
					}
				}
				if !slices.Equal(paged, want) {
					t.Errorf("page walk = %q, want %q", paged, want)
				}
			})
		}
	}
}

func TestSelectPageBeyondEnd(t *testing.T) {
	s := fixtureSnapshot(t)
	pg := s.Select(parseQuery(t, "limit=5&page=3"))
	if len(pg.Entries) != 0 || pg.HasMore || pg.NextCursor != "" || pg.Total != len(allVisible) {
		t.Errorf("page past the end = %q HasMore %v NextCursor %q Total %d", ids(pg.Entries), pg.HasMore, pg.NextCursor, pg.Total)
	}
	last := s.Select(parseQuery(t, "limit=5&page=2"))
	if got := ids(last.Entries); !slices.Equal(got, allVisible[5:]) || last.HasMore {
		t.Errorf("last page = %q HasMore %v", got, last.HasMore)
	}
}

// A cursor stays good when the party it points at disappears between pages
// (cancelled or unpublished): the walk continues right after its position.
func TestSelectCursorSurvivesChanges(t *testing.T) {
	ps := fixture(t)
	s1 := feed.NewSnapshot(testConference(t), ps, "r1", 1)
	pg := s1.Select(parseQuery(t, "limit=4"))
	if got := ids(pg.Entries); !slices.Equal(got, allVisible[:4]) {
		t.Fatalf("first page = %q", got)
	}
	for i := range ps {
		if ps[i].ID == "midnight" { // the cursor's party
			ps[i].Status = party.Draft
		}
	}
	s2 := feed.NewSnapshot(testConference(t), ps, "r2", 2)
	next := s2.Select(parseQuery(t, "limit=4&cursor="+pg.NextCursor))
	if got := ids(next.Entries); !slices.Equal(got, allVisible[4:]) {
		t.Errorf("next page after the cursor's party vanished = %q, want %q", got, allVisible[4:])
	}
}
