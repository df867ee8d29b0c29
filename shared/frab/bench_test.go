package frab_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/frab"
	"github.com/partyfinder/partyfinder/shared/party"
)

// benchParties returns n published parties shaped like the feed's benchmark
// (shared/feed): a Gamescom week, a few hosts each, a paragraph of
// description, six venues, a link with a query.
func benchParties(b *testing.B, n int) []party.Party {
	b.Helper()
	venues := []string{"Bootshaus", "Café Central", "Club Bahnhof Ehrenfeld", "Koelnmesse Hall 8", "Stadtgarten", "Gloria Theater"}
	hosts := []string{"Ubisoft", "Devcom", "Wargaming", "Xbox", "PlayStation", "Indie Arena Booth", "Nordic Game"}
	ps := make([]party.Party, 0, n)
	for i := range n {
		start := at(berlin, "2025-08-19 10:00").Add(time.Duration(i%5)*24*time.Hour + time.Duration(i%24)*30*time.Minute)
		p, err := party.New(party.Party{
			ID:           fmt.Sprintf("bench-%04d", i),
			ConferenceID: "gamescom2025",
			Title:        fmt.Sprintf("%s Köln Mixer #%d", hosts[i%len(hosts)], i),
			Description:  strings.Repeat("Drinks, demos & networking with developers and publishers. ", 5),
			Venue:        venues[i%len(venues)],
			Address:      "Straße 1, 50667 Köln",
			Hosts:        []string{hosts[i%len(hosts)], hosts[(i+3)%len(hosts)]},
			Price:        []string{"Free", "€20", "Free if approved", ""}[i%4],
			Category:     party.Category{Label: []string{"Party", "Networking", "Exec Social"}[i%3]},
			Link:         fmt.Sprintf("https://example.com/events/%d?ref=partyfinder&x=1", i),
			Start:        start,
			End:          start.Add(3 * time.Hour),
			Status:       party.Published,
			Version:      1,
		})
		if err != nil {
			b.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// BenchmarkEncode500 measures a feed query for 500 parties in each
// encoding: New (layout) plus the encoding, written once through the pooled
// buffer (xml, json), or into a fresh slice of its own (xml-bytes,
// json-bytes), as a cache entry would keep it; build is New alone.
func BenchmarkEncode500(b *testing.B) {
	ps := benchParties(b, 500)
	conf := gamescom()
	o := frab.Options{Version: "snap-1", BaseURL: "https://partyfinder.example/parties"}
	s, err := frab.New(conf, ps, o)
	if err != nil {
		b.Fatal(err)
	}
	xmlSize, jsonSize := len(s.AppendXML(nil)), len(s.AppendJSON(nil))
	b.Logf("500 parties: %d KB XML, %d KB JSON", xmlSize/1024, jsonSize/1024)

	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := frab.New(conf, ps, o); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, enc := range []struct {
		name  string
		size  int
		write func(*frab.Schedule, io.Writer) error
		bytes func() ([]byte, error)
	}{
		{"xml", xmlSize, (*frab.Schedule).WriteXML, func() ([]byte, error) { return frab.EncodeXML(conf, ps, o) }},
		{"json", jsonSize, (*frab.Schedule).WriteJSON, func() ([]byte, error) { return frab.EncodeJSON(conf, ps, o) }},
	} {
		b.Run(enc.name, func(b *testing.B) {
			b.SetBytes(int64(enc.size))
			b.ReportAllocs()
			for b.Loop() {
				s, err := frab.New(conf, ps, o)
				if err != nil {
					b.Fatal(err)
				}
				if err := enc.write(s, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(enc.name+"-bytes", func(b *testing.B) {
			b.SetBytes(int64(enc.size))
			b.ReportAllocs()
			for b.Loop() {
				if out, err := enc.bytes(); err != nil || len(out) != enc.size {
					b.Fatal(len(out), err)
				}
			}
		})
	}
}
