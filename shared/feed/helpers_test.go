package feed_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/party"
)

var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}()

// Real places in Cologne, about 1.9 km apart.
var (
	dom        = party.Point{Lat: 50.9413, Lng: 6.9583}
	koelnmesse = party.Point{Lat: 50.9466, Lng: 6.9839}
)

func testConference(t testing.TB) conference.Conference {
	t.Helper()
	c, err := conference.New("testcon", "Test Con", "Köln", "Europe/Berlin", "2025-08-19", "2025-08-24")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// local returns the instant of a conference-local "YYYY-MM-DD HH:MM".
func local(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
	if err != nil {
		panic(err)
	}
	return t
}

// mkParty builds a valid party of testcon, published unless p says otherwise.
func mkParty(t testing.TB, p party.Party) party.Party {
	t.Helper()
	if p.ConferenceID == "" {
		p.ConferenceID = "testcon"
	}
	if p.Status == "" {
		p.Status = party.Published
	}
	if p.Title == "" {
		p.Title = "Party " + p.ID
	}
	out, err := party.New(p)
	if err != nil {
		t.Fatalf("party %s: %v", p.ID, err)
	}
	return out
}

// fixture is a conference week with every case the feed must get right.
// Visible, not cancelled, in feed order:
//
//	opening       Aug 20 18:00-20:00  Café Central, hosts Ubisoft+Devcom, free, at the Dom
//	koeln-nights  Aug 20 21:00-23:00  "Köln Nights", €20, at the Koelnmesse
//	late-a        Aug 20 23:00-02:00  runs past midnight, free entry, no location
//	midnight      Aug 21 00:30        open-ended, near the Dom
//	same-a        Aug 21 19:00        same start as same-b
//	same-b        Aug 21 19:00
//	brunch        Aug 22 12:00        "&" in the title
//
// plus cancelled-x (Aug 21 20:00, cancelled), draft-x and pending-x.
func fixture(t testing.TB) []party.Party {
	t.Helper()
	near := party.Point{Lat: 50.9420, Lng: 6.9570}
	return []party.Party{
		// Deliberately not in feed order.
		mkParty(t, party.Party{ID: "brunch", Title: "Brunch & Demos", Start: local("2025-08-22 12:00"),
			Venue: "Hotel Lobby", Price: "€5", Category: party.Category{Label: "Networking"}}),
		mkParty(t, party.Party{ID: "same-b", Start: local("2025-08-21 19:00"), End: local("2025-08-21 22:00"), Venue: "Hall B"}),
		mkParty(t, party.Party{ID: "same-a", Start: local("2025-08-21 19:00"), End: local("2025-08-21 21:00"), Venue: "Hall A"}),
		mkParty(t, party.Party{ID: "cancelled-x", Title: "Cancelled Rooftop", Status: party.Cancelled,
			Start: local("2025-08-21 20:00"), Venue: "Roof", Price: "Free"}),
		mkParty(t, party.Party{ID: "draft-x", Title: "Secret Köln Draft", Status: party.Draft, Start: local("2025-08-20 19:00")}),
		mkParty(t, party.Party{ID: "pending-x", Title: "Pending Köln Party", Status: party.Pending, Start: local("2025-08-20 19:30")}),
		mkParty(t, party.Party{ID: "midnight", Title: "Midnight Snack", Start: local("2025-08-21 00:30"),
			Hosts: []string{"Wargaming"}, Price: "10", Location: &near, Venue: "Imbiss"}),
		mkParty(t, party.Party{ID: "late-a", Title: "Late Show", Start: local("2025-08-20 23:00"), End: local("2025-08-21 02:00"),
			Venue: "Club Bahnhof Ehrenfeld", Description: "Rooftop DJ set in Köln", Price: "free entry"}),
		mkParty(t, party.Party{ID: "koeln-nights", Title: "Köln Nights", Start: local("2025-08-20 21:00"), End: local("2025-08-20 23:00"),
			Venue: "Bootshaus", Price: "€20", Location: &koelnmesse, Category: party.Category{Label: "Party"}}),
		mkParty(t, party.Party{ID: "opening", Title: "Opening Mixer", Start: local("2025-08-20 18:00"), End: local("2025-08-20 20:00"),
			Venue: "Café Central", Address: "Domkloster 4", Hosts: []string{"Ubisoft", "Devcom"}, Price: "Free",
			Location: &dom, Category: party.Category{Label: "Exec Social"}, Link: "https://example.com/opening?a=1&b=2",
			Description: "Drinks <b>&</b> talk"}),
	}
}

func fixtureSnapshot(t testing.TB) *feed.Snapshot {
	t.Helper()
	return feed.NewSnapshot(testConference(t), fixture(t), "rev-1", 1)
}

// parseQuery parses a raw query string for testcon, failing the test on error.
func parseQuery(t testing.TB, raw string) feed.Query {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("bad test query %q: %v", raw, err)
	}
	q, err := feed.ParseQuery(v, "testcon", berlin)
	if err != nil {
		t.Fatalf("ParseQuery(%q): %v", raw, err)
	}
	return q
}

func ids(entries []*feed.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Party.ID
	}
	return out
}
