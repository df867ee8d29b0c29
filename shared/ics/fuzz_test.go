package ics_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	ical "github.com/arran4/golang-ical"

	"github.com/partyfinder/partyfinder/shared/ics"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Whatever text a party holds, its calendar is one well-formed event whose
// lines are folded within 75 octets, and the text comes back as written.
func FuzzEncode(f *testing.F) {
	f.Add("Rhine Night Mixer", "Drinks by the river.\nSecond line", "Kachelbar")
	f.Add(`Beer, Bytes; and \Backslashes\`, "a;b,c\\d", "Hafen; Halle 7")
	f.Add("BEGIN:VEVENT", "END:VEVENT\r\nBEGIN:VALARM", "X:\r\n y")
	f.Add("🎉 東京ゲームナイト <script>x</script>", strings.Repeat("ü", 400), "\"quoted\"")
	conf := berlin(f)
	f.Fuzz(func(t *testing.T, title, description, venue string) {
		if !utf8.ValidString(title + description + venue) {
			t.Skip()
		}
		p, err := party.New(party.Party{ID: "fz", ConferenceID: conf.ID, Title: title, Description: description,
			Venue: venue, Start: mkParty(t, conf, "base", nil).Start, Status: party.Published})
		if err != nil {
			t.Skip() // the party refuses it: no calendar ever holds it
		}
		out, err := ics.Encode(ics.Calendar{Conference: conf, Parties: []party.Party{p}})
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n") {
			if len(line) > 75 {
				t.Fatalf("a line of %d octets: %q", len(line), line)
			}
		}
		cal, err := ical.ParseCalendar(strings.NewReader(string(out)))
		if err != nil {
			t.Fatalf("the calendar does not parse: %v\n%s", err, out)
		}
		events := cal.Events()
		if len(events) != 1 {
			t.Fatalf("%d events, want 1:\n%s", len(events), out)
		}
		if got := value(events[0], ical.ComponentPropertySummary); got != p.Title {
			t.Errorf("SUMMARY %q, want %q", got, p.Title)
		}
	})
}
