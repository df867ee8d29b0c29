package feed_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/party"
)

// benchSnapshot holds n published parties shaped like a real Gamescom week:
// five days, a few hosts each, a paragraph of description, most with a location.
func benchSnapshot(b *testing.B, n int) *feed.Snapshot {
	b.Helper()
	venues := []string{"Bootshaus", "Café Central", "Club Bahnhof Ehrenfeld", "Koelnmesse Hall 8", "Stadtgarten", "Gloria Theater"}
	hosts := []string{"Ubisoft", "Devcom", "Wargaming", "Xbox", "PlayStation", "Indie Arena Booth", "Nordic Game"}
	ps := make([]party.Party, 0, n)
	for i := range n {
		start := local("2025-08-19 10:00").Add(time.Duration(i%5)*24*time.Hour + time.Duration(i%24)*30*time.Minute)
		p := party.Party{
			ID:          fmt.Sprintf("bench-%04d", i),
			Title:       fmt.Sprintf("%s Köln Mixer #%d", hosts[i%len(hosts)], i),
			Description: strings.Repeat("Drinks, demos & networking with developers and publishers. ", 5),
			Venue:       venues[i%len(venues)],
			Address:     "Straße 1, 50667 Köln",
			Hosts:       []string{hosts[i%len(hosts)], hosts[(i+3)%len(hosts)]},
			Price:       []string{"Free", "€20", "Free if approved", ""}[i%4],
			Category:    party.Category{Label: []string{"Party", "Networking", "Exec Social"}[i%3]},
			Link:        fmt.Sprintf("https://example.com/events/%d?ref=partyfinder&x=1", i),
			Start:       start,
			End:         start.Add(3 * time.Hour),
		}
		if i%5 != 0 {
			p.Location = &party.Point{Lat: 50.93 + float64(i%17)*0.001, Lng: 6.95 + float64(i%13)*0.002}
		}
		ps = append(ps, mkParty(b, p))
	}
	return feed.NewSnapshot(testConference(b), ps, "bench", 1)
}

func BenchmarkSelectFull(b *testing.B) {
	s := benchSnapshot(b, 500)
	q := parseQuery(b, "limit=500")
	b.ReportAllocs()
	for b.Loop() {
		if pg := s.Select(q); len(pg.Entries) != 500 {
			b.Fatalf("%d entries", len(pg.Entries))
		}
	}
}

func BenchmarkSelectFiltered(b *testing.B) {
	s := benchSnapshot(b, 500)
	q := parseQuery(b, "q=koln+ubisoft&date=2025-08-20&limit=500")
	b.ReportAllocs()
	for b.Loop() {
		if pg := s.Select(q); len(pg.Entries) == 0 {
			b.Fatal("no entries")
		}
	}
}

func BenchmarkFeedResponse(b *testing.B) {
	s := benchSnapshot(b, 500)
	q := parseQuery(b, "limit=500")
	b.ReportAllocs()
	var size int
	for b.Loop() {
		r := s.FeedResponse(q)
		if r.Gzip == nil {
			b.Fatal("no gzip form")
		}
		size = len(r.Body)
	}
	b.ReportMetric(float64(size), "body-bytes")
}

// BenchmarkWithPopularity is what a popularity refresh that changed counts
// costs an instance: the conference's snapshot remade from the one in
// memory with new numbers (no store read), every tenth party popular.
func BenchmarkWithPopularity(b *testing.B) {
	s := benchSnapshot(b, 500)
	pop := feed.Popularity{}
	for i := 0; i < 500; i += 10 {
		pop[fmt.Sprintf("bench-%04d", i)] = int64(5 + i)
	}
	b.ReportAllocs()
	for b.Loop() {
		if n := s.WithPopularity(pop, 2); len(n.Entries) != 500 {
			b.Fatalf("%d entries", len(n.Entries))
		}
	}
}
