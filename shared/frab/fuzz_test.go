package frab_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/partyfinder/partyfinder/shared/frab"
	"github.com/partyfinder/partyfinder/shared/party"
)

// FuzzText writes parties with arbitrary text and checks that both
// documents stay well-formed and that text a party may hold (valid UTF-8
// without control characters, as party.Validate requires) reads back
// exactly. xmllint is too slow to run per input; TestValidDocuments covers
// the schemas.
func FuzzText(f *testing.F) {
	for _, seed := range [][4]string{
		{"Beam & Avalanche", "Rheinloft", "Boat party.\nBring ID.", "Beam"},
		{`]]> "<&>" '`, `"Zum <Dom>"`, "\r\n\t", "O'Reilly & Sons"},
		{"🎮🍻", "Kölnmesse", "\u2028\u2029 \uFFFE", ""},
		{"\xff\x00\x1b", "", "\v\f", "\x01"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	f.Fuzz(func(t *testing.T, title, venue, desc, host string) {
		p := party.Party{ID: "fuzz", ConferenceID: "gamescom2025", Title: title, Venue: venue, Description: desc,
			Hosts: []string{host}, Start: at(berlin, "2025-08-20 18:00"), Status: party.Published}
		s, err := frab.New(gamescom(), []party.Party{p}, frab.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var x xSchedule
		if err := xml.Unmarshal(s.AppendXML(nil), &x); err != nil {
			t.Fatalf("the XML is not well-formed: %v", err)
		}
		j := s.AppendJSON(nil)
		if !json.Valid(j) {
			t.Fatalf("the JSON is not valid: %s", j)
		}
		var js jSchedule
		if err := json.Unmarshal(j, &js); err != nil {
			t.Fatal(err)
		}
		var xe xEvent
		var je jEvent
		for _, d := range x.Days {
			for _, r := range d.Rooms {
				xe = r.Events[0]
			}
		}
		for _, d := range js.Schedule.Conference.Days {
			for _, es := range d.Rooms {
				je = es[0]
			}
		}
		if xe.Title != je.Title {
			t.Errorf("the XML title %q and the JSON title %q differ", xe.Title, je.Title)
		}
		if utf8.ValidString(title) && strings.IndexFunc(title, unicode.IsControl) < 0 && !strings.ContainsAny(title, "\uFFFE\uFFFF") {
			if xe.Title != title || je.Title != title {
				t.Errorf("title %q reads back as %q (XML) and %q (JSON)", title, xe.Title, je.Title)
			}
		}
	})
}

// TestConcurrentWriters checks that one Schedule can be written by many
// goroutines at once (run with -race), each getting the same bytes.
func TestConcurrentWriters(t *testing.T) {
	var ps []party.Party
	for _, id := range []string{"a", "b", "c", "d"} {
		ps = append(ps, mk(t, id, "Party "+id, "Bar "+id, "2025-08-20 18:00", "2025-08-20 22:00"))
	}
	s, err := frab.New(gamescom(), ps, frab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantXML, wantJSON := s.AppendXML(nil), s.AppendJSON(nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				var x, j bytes.Buffer
				if s.WriteXML(&x) != nil || s.WriteJSON(&j) != nil || !bytes.Equal(x.Bytes(), wantXML) || !bytes.Equal(j.Bytes(), wantJSON) {
					t.Error("a concurrent writer got other bytes")
					return
				}
			}
		})
	}
	wg.Wait()
}
