package frab_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/frab"
	"github.com/partyfinder/partyfinder/shared/party"
)

// TestValidDocuments exports conferences whose parties have every shape the
// schemas have an opinion about, and validates both documents: what the apps
// read must be what the format says.
func TestValidDocuments(t *testing.T) {
	long := strings.Repeat("Drinks, demos & <networking> \"with\" developers 🎮. ", 100)[:party.MaxDescription]
	tests := []struct {
		name    string
		conf    conference.Conference
		parties []party.Party
		opts    frab.Options
	}{
		{name: "no parties", conf: gamescom()},
		{name: "one party", conf: gamescom(), parties: []party.Party{mk(t, "p1", "Mixer", "Startplatz", "2025-08-20 18:00", "2025-08-20 23:00")}},
		{name: "every field, base URL and version", conf: gamescom(), opts: frab.Options{Version: "rev 42 & <more>", BaseURL: "https://partyfinder.example/parties/"},
			parties: []party.Party{mk(t, "full", "Beam & Avalanche go Gamescom", "Rheinloft Cologne", "2025-08-20 18:00", "2025-08-21 02:00", func(p *party.Party) {
				p.Description, p.Address, p.Price, p.Focus = "Boat <b>party</b> on the Rhine.\nBring ID.", "Frankenwerft 35, 50667 Köln", "From £113.16", "Developers"
				p.Hosts, p.Tags, p.Link = []string{"Beam", "Avalanche", "O'Reilly & Söhne"}, []string{"boat", "drinks"}, "https://lu.ma/9icyxru0?utm=a&b=\"c\""
				p.Category = party.Category{Label: "Exec Social"}
			})}},
		{name: "past midnight, open end, no venue, cancelled", conf: gamescom(), parties: []party.Party{
			mk(t, "late", "After hours", "Bootshaus", "2025-08-21 01:00", "2025-08-21 05:30"),
			mk(t, "open", "Open end", "Bootshaus", "2025-08-20 21:00", ""),
			mk(t, "novenue", "Somewhere", "", "2025-08-19 19:00", "2025-08-19 22:00"),
			mk(t, "off", "Called off", "Bootshaus", "2025-08-22 20:00", "2025-08-22 23:00", func(p *party.Party) { p.Status, p.Note = party.Cancelled, "The venue closed." }),
		}},
		{name: "messy text", conf: gamescom(), parties: []party.Party{
			mk(t, "m1", `]]> & "quotes" 'single' <tag> &amp; 🎮🍻 Kölsch — ß`, `Bar & Grill "Zum <Dom>"`, "2025-08-20 18:00", "2025-08-20 20:00", func(p *party.Party) {
				p.Description = "line\r\nbreaks\tand\ttabs \u2028 separators \uFFFD and a long tail " + long[:4000]
				p.Hosts = []string{`"Quoted" <Host> & Co`}
				p.Price = "€0 — free & open"
			}),
			mk(t, "m2", strings.Repeat("Ü", party.MaxTitle), strings.Repeat("V", 500), "2025-08-20 18:00", "2025-08-20 20:00", func(p *party.Party) { p.Description = long }),
			mk(t, "m3", "🎉🎉🎉", "🍺", "2025-08-20 18:00", "2025-08-20 20:00", func(p *party.Party) { p.Category = party.Category{Label: "Après-Ski 🎿"} }),
		}},
		{name: "bytes XML cannot hold", conf: gamescom(), parties: []party.Party{
			// Stored parties never hold these (New refuses control
			// characters); the encoders must still write valid documents.
			{ID: "raw", ConferenceID: "gamescom2025", Title: "bell\a nul\x00 bad\xff utf8 \uFFFE", Venue: "esc\x1b[31m", Description: "vt\v ff\f",
				Start: at(berlin, "2025-08-20 18:00"), Status: party.Published, Hosts: []string{"\x01"}, Category: party.Category{Label: "\x02"}},
		}},
		{name: "a party of five days", conf: gamescom(), parties: []party.Party{mk(t, "festival", "Festival", "Park", "2025-08-17 10:00", "2025-08-22 18:00")}},
		{name: "parties outside the conference days", conf: gamescom(), parties: []party.Party{
			mk(t, "before", "Warm-up", "Bar", "2025-08-10 20:00", "2025-08-10 23:00"),
			mk(t, "after", "Hangover", "Bar", "2025-08-30 12:00", "2025-08-30 14:00"),
		}},
		{name: "clocks go back in the night", conf: mustConf(t, "fallback", "Europe/Berlin", "2025-10-24", "2025-10-26"),
			parties: []party.Party{{ID: "dst", ConferenceID: "fallback", Title: "Long night", Status: party.Published,
				Start: at(berlin, "2025-10-25 22:00"), End: at(berlin, "2025-10-26 04:00")}}},
		{name: "UTC conference", conf: mustConf(t, "utc-con", "UTC", "2025-08-20", "2025-08-21"),
			parties: []party.Party{{ID: "u", ConferenceID: "utc-con", Title: "Z", Status: party.Published, Start: time.Date(2025, 8, 20, 20, 0, 0, 0, time.UTC)}}},
		{name: "zone name the JSON schema refuses", conf: mustConf(t, "kiribati", "Etc/GMT-14", "2025-08-20", "2025-08-20"),
			parties: []party.Party{{ID: "k", ConferenceID: "kiribati", Title: "K", Status: party.Published, Start: time.Date(2025, 8, 20, 8, 0, 0, 0, time.UTC)}}},
		{name: "short conference id with dashes", conf: mustConf(t, "c-3", "America/Argentina/Buenos_Aires", "2025-08-20", "2025-08-20")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := export(t, tt.conf, tt.parties, tt.opts)
			if len(d.events) != len(tt.parties) {
				t.Errorf("%d events, want %d", len(d.events), len(tt.parties))
			}
		})
	}
}

func mustConf(t *testing.T, id, tz, first, last string) conference.Conference {
	t.Helper()
	c, err := conference.New(id, id, "City", tz, first, last)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConference checks what the apps show about the conference itself.
func TestConference(t *testing.T) {
	d := export(t, gamescom(), nil, frab.Options{Version: "snap-7", BaseURL: "https://partyfinder.example/parties"})
	x, j := d.x.Conference, d.j.Schedule.Conference
	if x.Acronym != "gamescom2025" || x.Title != "Gamescom 2025" || x.Start != "2025-08-17" || x.End != "2025-08-23" ||
		x.Days != 7 || x.TimeZone != "Europe/Berlin" || x.BaseURL != "https://partyfinder.example/parties/" || x.Timeslot != "00:15" {
		t.Errorf("XML conference %+v", x)
	}
	if j.Acronym != x.Acronym || j.Title != x.Title || j.Start != x.Start || j.End != x.End || j.DaysCount != 7 ||
		deref(j.TimeZone) != "Europe/Berlin" || d.j.Schedule.BaseURL != x.BaseURL || j.Timeslot != "00:15" {
		t.Errorf("JSON conference %+v", j)
	}
	if d.x.Version != "snap-7" || d.j.Schedule.Version != "snap-7" {
		t.Errorf("versions %q and %q, want the one given", d.x.Version, d.j.Schedule.Version)
	}
	if d.x.Generator.Name != "Partyfinder" || d.j.Generator.Name != "Partyfinder" {
		t.Errorf("generator %q, %q", d.x.Generator.Name, d.j.Generator.Name)
	}
	// Every conference day is there, even without parties, numbered from 1,
	// running from 06:00 to 06:00.
	for i, day := range d.x.Days {
		date := fmt.Sprintf("2025-08-%02d", 17+i)
		next := fmt.Sprintf("2025-08-%02d", 18+i)
		if day.Index != i+1 || day.Date != date || day.Start != date+"T06:00:00+02:00" || day.End != next+"T06:00:00+02:00" {
			t.Errorf("day %d: %+v", i, day)
		}
		jd := j.Days[i]
		if jd.Index != day.Index || jd.Date != day.Date || jd.DayStart != day.Start || jd.DayEnd != day.End {
			t.Errorf("JSON day %d: %+v", i, jd)
		}
	}

	for _, tt := range []struct{ id, acronym string }{{"gamescom-2025", "gamescom_2025"}, {"ab", "ab__"}, {"devcom", "devcom"}} {
		d := export(t, mustConf(t, tt.id, "Europe/Berlin", "2025-08-17", "2025-08-17"), nil, frab.Options{})
		if d.x.Conference.Acronym != tt.acronym || d.j.Schedule.Conference.Acronym != tt.acronym {
			t.Errorf("conference %s: acronyms %q and %q, want %q", tt.id, d.x.Conference.Acronym, d.j.Schedule.Conference.Acronym, tt.acronym)
		}
	}
}

// TestEvent checks one full party field by field, in both encodings.
func TestEvent(t *testing.T) {
	p := mk(t, "beam-avalanche-2025", "Beam & Avalanche go Gamescom", "Rheinloft Cologne", "2025-08-20 18:00", "2025-08-20 23:30", func(p *party.Party) {
		p.Description = "Boat party on the Rhine."
		p.Address = "Rheinloft Cologne, Frankenwerft 35, 50667, Germany"
		p.Hosts = []string{"Beam", "Avalanche"}
		p.Price, p.Focus, p.Link = "Free", "All", "https://lu.ma/9icyxru0"
		p.Category = party.Category{Label: "Exec Social"}
		p.Tags = []string{"boat"}
	})
	for _, tt := range []struct {
		name    string
		base    string
		wantURL string
	}{
		{"with a base URL the url is the party's page", "https://partyfinder.example/parties", "https://partyfinder.example/parties/beam-avalanche-2025"},
		{"without, the party's own link", "", "https://lu.ma/9icyxru0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := export(t, gamescom(), []party.Party{p}, frab.Options{BaseURL: tt.base})
			e := d.event(t, p.ID)
			x, j := e.x, e.j
			// The guid and id are pinned: they were computed independently
			// (Python: uuid5(uuid5(NAMESPACE_URL, "https://github.com/partyfinder/partyfinder/frab/party"), id))
			// and must never change, or every attendee's starred parties
			// are lost on the next update.
			const guid, id = "e63b0ffe-c1eb-5753-9d5a-d479902f2855", 1715146750
			if x.GUID != guid || x.ID != id || frab.EventID(p.ID) != id {
				t.Errorf("guid %s id %d, want %s %d", x.GUID, x.ID, guid, id)
			}
			checks := []struct{ field, got, want string }{
				{"day", e.day, "2025-08-20"},
				{"room element", e.room, "Rheinloft Cologne"},
				{"room", x.Room, "Rheinloft Cologne"},
				{"date", x.Date, "2025-08-20T18:00:00+02:00"},
				{"start", x.Start, "18:00"},
				{"duration", x.Duration, "05:30"},
				{"JSON end", deref(j.End), "2025-08-20T23:30:00+02:00"},
				{"title", x.Title, "Beam & Avalanche go Gamescom"},
				{"subtitle", deref(x.Subtitle), "Free"},
				{"track", x.Track, "Exec Social"},
				{"type", x.Type, "party"},
				{"slug", x.Slug, "gamescom2025-1715146750-beam-avalanche-go-gamescom"},
				{"url", deref(x.URL), tt.wantURL},
				{"JSON url", j.URL, tt.wantURL},
				{"abstract", x.Abstract, "Boat party on the Rhine."},
				{"description", deref(x.Description), "Where: Rheinloft Cologne, Frankenwerft 35, 50667, Germany\nAudience: All\nTags: boat"},
				{"persons", strings.Join(x.Persons, "|"), "Beam|Avalanche"},
				{"JSON language", fmt.Sprint(j.Language), "<nil>"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
				}
			}
			if len(x.Links) != 1 || x.Links[0].Href != p.Link || x.Links[0].Title != frab.LinkTitle {
				t.Errorf("XML links %+v", x.Links)
			}
			if len(j.Links) != 1 || j.Links[0].URL != p.Link || j.Links[0].Type != "web" {
				t.Errorf("JSON links %+v", j.Links)
			}
			if len(j.Persons) != 2 || j.Persons[0].Name != "Beam" || j.Persons[0].PublicName != "Beam" {
				t.Errorf("JSON persons %+v", j.Persons)
			}
			if tr := d.x.Conference.Tracks; len(tr) != 1 || tr[0].Name != "Exec Social" || tr[0].Slug != "exec-social" {
				t.Errorf("tracks %+v", tr)
			}
		})
	}
}

// TestNights checks that every party sits on the day its evening belongs
// to, with its true local start.
func TestNights(t *testing.T) {
	ps := []party.Party{
		mk(t, "evening", "Evening", "Bar", "2025-08-20 20:00", "2025-08-21 03:00"),
		mk(t, "after", "After-party", "Club", "2025-08-21 01:00", "2025-08-21 05:00"),
		mk(t, "dawn", "Last call", "Club", "2025-08-21 05:59", "2025-08-21 07:00"),
		mk(t, "breakfast", "Breakfast", "Café", "2025-08-21 06:00", "2025-08-21 09:00"),
		mk(t, "before", "Warm-up week", "Bar", "2025-08-12 19:00", "2025-08-12 22:00"),
		mk(t, "after-con", "Sunday after", "Bar", "2025-08-25 02:00", "2025-08-25 04:00"),
	}
	d := export(t, gamescom(), ps, frab.Options{})
	for _, tt := range []struct{ id, day, date, start, duration string }{
		{"evening", "2025-08-20", "2025-08-20T20:00:00+02:00", "20:00", "07:00"},
		{"after", "2025-08-20", "2025-08-21T01:00:00+02:00", "01:00", "04:00"},
		{"dawn", "2025-08-20", "2025-08-21T05:59:00+02:00", "05:59", "00:01"}, // listed until the day ends
		{"breakfast", "2025-08-21", "2025-08-21T06:00:00+02:00", "06:00", "03:00"},
		{"before", "2025-08-12", "2025-08-12T19:00:00+02:00", "19:00", "03:00"},
		{"after-con", "2025-08-24", "2025-08-25T02:00:00+02:00", "02:00", "02:00"},
	} {
		e := d.event(t, tt.id)
		if e.day != tt.day || e.x.Date != tt.date || e.x.Start != tt.start || e.x.Duration != tt.duration {
			t.Errorf("%s: day %s date %s start %s duration %s, want %s %s %s %s", tt.id, e.day, e.x.Date, e.x.Start, e.x.Duration, tt.day, tt.date, tt.start, tt.duration)
		}
	}
	// Days outside the conference are added where parties need them, in
	// order, and the conference spans them: the apps show no event outside
	// its days.
	var dates []string
	for _, day := range d.x.Days {
		dates = append(dates, day.Date)
	}
	want := []string{"2025-08-12", "2025-08-17", "2025-08-18", "2025-08-19", "2025-08-20", "2025-08-21", "2025-08-22", "2025-08-23", "2025-08-24"}
	if !slices.Equal(dates, want) {
		t.Errorf("days %v, want %v", dates, want)
	}
	if c := d.x.Conference; c.Start != "2025-08-12" || c.End != "2025-08-24" || c.Days != len(want) {
		t.Errorf("conference %s to %s, %d days", c.Start, c.End, c.Days)
	}
	if d.x.Days[len(want)-1].Index != len(want) {
		t.Errorf("last day's index %d", d.x.Days[len(want)-1].Index)
	}

	// The night the clocks go back: the day still runs from 06:00 to 06:00
	// local, and the duration is the time that really passes.
	conf := mustConf(t, "fallback", "Europe/Berlin", "2025-10-25", "2025-10-25")
	d = export(t, conf, []party.Party{{ID: "dst", ConferenceID: "fallback", Title: "Long night", Status: party.Published,
		Start: at(berlin, "2025-10-25 22:00"), End: at(berlin, "2025-10-26 04:00")}}, frab.Options{})
	if day := d.x.Days[0]; day.Start != "2025-10-25T06:00:00+02:00" || day.End != "2025-10-26T06:00:00+01:00" {
		t.Errorf("the night clocks go back runs %s to %s", day.Start, day.End)
	}
	if e := d.event(t, "dst"); e.x.Duration != "07:00" || deref(e.j.End) != "2025-10-26T04:00:00+01:00" {
		t.Errorf("22:00 to 04:00 across the change: duration %s end %s, want 07:00", e.x.Duration, deref(e.j.End))
	}
}

// TestOpenEnd checks parties without an end: both formats need a duration,
// so they get the default, and say that the end is open.
func TestOpenEnd(t *testing.T) {
	p := mk(t, "open", "Open end", "Bar", "2025-08-20 21:00", "")
	for _, tt := range []struct {
		openEnd        time.Duration
		duration, says string
	}{
		{0, "02:00", "End: open (shown as 2 hours)"},
		{90 * time.Minute, "01:30", "End: open (shown as 1 hour 30 minutes)"},
	} {
		d := export(t, gamescom(), []party.Party{p}, frab.Options{OpenEnd: tt.openEnd})
		e := d.event(t, "open")
		if e.x.Duration != tt.duration || e.j.End != nil || !strings.Contains(deref(e.x.Description), tt.says) {
			t.Errorf("open end %v: duration %s, JSON end %v, description %q", tt.openEnd, e.x.Duration, e.j.End, deref(e.x.Description))
		}
	}
}

// TestRooms checks that each venue is one room, whatever its spelling, and
// where parties without a venue go.
func TestRooms(t *testing.T) {
	ps := []party.Party{
		mk(t, "s1", "A", "Startplatz", "2025-08-20 18:00", "2025-08-20 20:00"),
		mk(t, "s2", "B", "STARTPLATZ", "2025-08-20 19:00", "2025-08-20 21:00"),
		mk(t, "s3", "C", "  Startplatz ", "2025-08-21 18:00", "2025-08-21 20:00"),
		mk(t, "s4", "D", "startplatz", "2025-08-19 18:00", "2025-08-19 20:00"),
		mk(t, "k1", "E", "Kölnmesse Confex", "2025-08-20 17:00", "2025-08-20 20:00"),
		mk(t, "k2", "F", "Kolnmesse  Confex", "2025-08-20 18:00", "2025-08-20 20:00"),
		mk(t, "m1", "G", "Startplatz Mediapark", "2025-08-20 18:00", "2025-08-20 20:00"),
		mk(t, "n1", "H", "", "2025-08-20 18:00", "2025-08-20 20:00"),
		mk(t, "n2", "I", "venue to be announced", "2025-08-20 18:00", "2025-08-20 20:00"),
		mk(t, "addr", "K", "", "2025-08-20 18:00", "2025-08-20 20:00", func(p *party.Party) { p.Address = "Bolzengasse 7, Köln" }),
		mk(t, "a1", "J", "Aachener Weiher", "2025-08-20 18:00", "2025-08-20 20:00"),
	}
	d := export(t, gamescom(), ps, frab.Options{})
	for id, room := range map[string]string{
		// The spelling most parties use; between equals, the one used first.
		"s1": "Startplatz", "s2": "Startplatz", "s3": "Startplatz", "s4": "Startplatz",
		"k1": "Kölnmesse Confex", "k2": "Kölnmesse Confex",
		"m1": "Startplatz Mediapark",
		"n1": frab.NoVenueRoom, "n2": frab.NoVenueRoom,
		// No venue, but the address says where it is.
		"addr": "Bolzengasse 7, Köln",
		"a1":   "Aachener Weiher",
	} {
		if e := d.event(t, id); e.room != room || e.x.Room != room || e.j.Room != room {
			t.Errorf("%s is in room %q (says %q, JSON %q), want %q", id, e.room, e.x.Room, e.j.Room, room)
		}
	}
	// Conference rooms: one per place, by name, the unknown venue last; a
	// room's guid is the same on every day.
	var names []string
	guids := map[string]string{}
	for _, r := range d.j.Schedule.Conference.Rooms {
		names = append(names, r.Name)
		guids[r.Name] = r.GUID
	}
	want := []string{"Aachener Weiher", "Bolzengasse 7, Köln", "Kölnmesse Confex", "Startplatz", "Startplatz Mediapark", frab.NoVenueRoom}
	if !slices.Equal(names, want) {
		t.Errorf("rooms %q, want %q", names, want)
	}
	for _, day := range d.x.Days {
		for _, r := range day.Rooms {
			if r.GUID != guids[r.Name] {
				t.Errorf("room %q on %s has guid %s, the conference lists %s", r.Name, day.Date, r.GUID, guids[r.Name])
			}
		}
	}
}

// TestCancelled checks that a cancelled party stays, plainly marked, so an
// attendee who starred it learns it is off; and that parties not public at
// all never get out.
func TestCancelled(t *testing.T) {
	off := mk(t, "off", "Beam & Avalanche go Gamescom", "Rheinloft", "2025-08-20 18:00", "2025-08-20 23:00", func(p *party.Party) {
		p.Status, p.Note, p.Description = party.Cancelled, "The boat is broken.", "Boat party."
	})
	on := off
	on.Status, on.Note = party.Published, ""
	hidden := []party.Party{
		mk(t, "draft", "Draft", "Bar", "2025-08-20 18:00", "", func(p *party.Party) { p.Status = party.Draft }),
		mk(t, "pending", "Pending", "Bar", "2025-08-20 18:00", "", func(p *party.Party) { p.Status = party.Pending }),
		mk(t, "rejected", "Rejected", "Bar", "2025-08-20 18:00", "", func(p *party.Party) { p.Status = party.Rejected }),
	}
	d := export(t, gamescom(), append([]party.Party{off}, hidden...), frab.Options{})
	e := d.event(t, "off")
	if e.x.Title != "Cancelled: Beam & Avalanche go Gamescom" || e.j.Title != e.x.Title {
		t.Errorf("title %q", e.x.Title)
	}
	if e.x.Abstract != "This party is cancelled. The boat is broken.\n\nBoat party." {
		t.Errorf("abstract %q", e.x.Abstract)
	}
	if len(d.events) != 1 {
		t.Errorf("%d events: draft, pending and rejected parties must be left out", len(d.events))
	}
	// Cancelling changes neither the id, the guid nor the slug.
	before := export(t, gamescom(), []party.Party{on}, frab.Options{}).event(t, "off")
	if before.x.ID != e.x.ID || before.x.Slug != e.x.Slug || before.x.Title != "Beam & Avalanche go Gamescom" {
		t.Errorf("published %d %s %q, cancelled %d %s %q", before.x.ID, before.x.Slug, before.x.Title, e.x.ID, e.x.Slug, e.x.Title)
	}
}

// TestText checks that real, messy text arrives exactly as written, in
// both encodings.
func TestText(t *testing.T) {
	title := `]]> Drinks & "Games" <Live> 'n' Fun 🎮 — Köln &amp; ß`
	desc := "First line\r\nsecond line\n\ttabbed \u2028 and <b>bold</b> & done"
	p := mk(t, "messy", title, `Bar & Grill "Zum <Dom>"`, "2025-08-20 18:00", "2025-08-20 20:00", func(p *party.Party) {
		p.Description, p.Hosts, p.Price = desc, []string{`O'Reilly & "Sons"`}, "€5 <cash>"
		p.Link = "https://example.com/e?a=1&b=<2>"
	})
	d := export(t, gamescom(), []party.Party{p}, frab.Options{})
	e := d.event(t, "messy")
	for _, c := range []struct{ field, got, want string }{
		{"XML title", e.x.Title, title},
		{"JSON title", e.j.Title, title},
		{"XML abstract", e.x.Abstract, desc},
		{"JSON abstract", deref(e.j.Abstract), desc},
		{"XML room", e.room, `Bar & Grill "Zum <Dom>"`},
		{"XML person", strings.Join(e.x.Persons, ""), `O'Reilly & "Sons"`},
		{"XML subtitle", deref(e.x.Subtitle), "€5 <cash>"},
		{"slug", e.x.Slug, "gamescom2025-" + fmt.Sprint(e.x.ID) + "-drinks-games-live-n-fun-koln-amp-ss"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	// A valid link with characters a URI may not hold raw is escaped.
	if len(e.j.Links) != 1 || e.j.Links[0].URL != "https://example.com/e?a=1&b=%3C2%3E" {
		t.Errorf("JSON links %+v", e.j.Links)
	}

	// Slugs: unique, in the shape both schemas want, at most 48 characters
	// from the title.
	slug := regexp.MustCompile(`^[a-z0-9_]{4,}-[0-9]+-[a-z0-9-]{1,48}$`)
	for _, title := range []string{"🎉🎉🎉", strings.Repeat("Very long title words ", 9), "Ünïcödé Äpfel", "---", "A"} {
		d := export(t, gamescom(), []party.Party{mk(t, "s", title, "Bar", "2025-08-20 18:00", "")}, frab.Options{})
		if s := d.event(t, "s").x.Slug; !slug.MatchString(s) || strings.HasSuffix(s, "-") {
			t.Errorf("title %q: slug %q", title, s)
		}
	}
}

// TestStable checks what apps and caches rely on: a party keeps its id and
// guid across exports, whatever else is in them, and the same input always
// gives the same bytes.
func TestStable(t *testing.T) {
	var ps []party.Party
	for i := range 40 {
		ps = append(ps, mk(t, fmt.Sprintf("p%02d", i), fmt.Sprintf("Party %d", i), []string{"Bar", "Club", "", "Café"}[i%4],
			fmt.Sprintf("2025-08-%02d %02d:00", 17+i%7, 12+i%12), ""))
	}
	a := export(t, gamescom(), ps[:25], frab.Options{})
	b := export(t, gamescom(), ps[15:], frab.Options{})
	for _, p := range ps[15:25] {
		ea, eb := a.event(t, p.ID), b.event(t, p.ID)
		if ea.x.ID != eb.x.ID || ea.x.GUID != eb.x.GUID || ea.x.ID != frab.EventID(p.ID) || ea.x.GUID != frab.EventGUID(p.ID) {
			t.Errorf("%s: id %d guid %s in one export, %d %s in the other", p.ID, ea.x.ID, ea.x.GUID, eb.x.ID, eb.x.GUID)
		}
	}

	s, err := frab.New(gamescom(), ps, frab.Options{Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	wantXML, wantJSON := s.AppendXML(nil), s.AppendJSON(nil)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		shuffled := slices.Clone(ps)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		gotXML, err := frab.EncodeXML(gamescom(), shuffled, frab.Options{Version: "v1"})
		if err != nil {
			t.Fatal(err)
		}
		gotJSON, _ := frab.EncodeJSON(gamescom(), shuffled, frab.Options{Version: "v1"})
		if !bytes.Equal(gotXML, wantXML) || !bytes.Equal(gotJSON, wantJSON) {
			t.Fatal("the same parties in another order give other bytes")
		}
	}
	var w bytes.Buffer
	if err := s.WriteXML(&w); err != nil || !bytes.Equal(w.Bytes(), wantXML) {
		t.Errorf("WriteXML wrote other bytes than AppendXML (%v)", err)
	}
	w.Reset()
	if err := s.WriteJSON(&w); err != nil || !bytes.Equal(w.Bytes(), wantJSON) {
		t.Errorf("WriteJSON wrote other bytes than AppendJSON (%v)", err)
	}

	// Without a version given, the version follows the content: it stays
	// while nothing changes and moves when a party does.
	v := func(ps []party.Party) string {
		return export(t, gamescom(), ps, frab.Options{}).x.Version
	}
	v1 := v(ps)
	changed := slices.Clone(ps)
	changed[3].Version++
	if v1 == "" || v(slices.Clone(ps)) != v1 || v(changed) == v1 || v(ps[1:]) == v1 {
		t.Errorf("default version %q does not follow the content", v1)
	}

	// A party given twice is written once, as its newest version.
	newer := ps[0]
	newer.Title, newer.Version = "Renamed", 2
	d := export(t, gamescom(), []party.Party{ps[0], newer, ps[0]}, frab.Options{})
	if e := d.event(t, ps[0].ID); e.x.Title != "Renamed" {
		t.Errorf("duplicate party: title %q, want the newest version's", e.x.Title)
	}
}

// TestIDCollision finds two party ids whose event ids collide and checks
// that both get distinct ids, the first by party id keeping its own.
func TestIDCollision(t *testing.T) {
	seen := map[uint32]string{}
	var a, b string
	for i := 0; b == ""; i++ {
		id := fmt.Sprintf("party-%d", i)
		n := frab.EventID(id)
		if other, ok := seen[n]; ok {
			a, b = other, id
		}
		seen[n] = id
	}
	if b < a {
		a, b = b, a
	}
	t.Logf("%s and %s both hash to %d", a, b, frab.EventID(a))
	d := export(t, gamescom(), []party.Party{
		mk(t, b, "Same id, second", "Bar", "2025-08-20 18:00", ""),
		mk(t, a, "Same id, first", "Bar", "2025-08-20 18:00", ""),
	}, frab.Options{})
	ea, eb := d.event(t, a), d.event(t, b)
	if ea.x.ID != frab.EventID(a) || eb.x.ID == ea.x.ID || eb.x.ID == 0 || ea.x.Slug == eb.x.Slug {
		t.Errorf("%s got %d (%s), %s got %d (%s)", a, ea.x.ID, ea.x.Slug, b, eb.x.ID, eb.x.Slug)
	}
	// Alone, the second keeps its own id.
	if e := export(t, gamescom(), []party.Party{mk(t, b, "Alone", "Bar", "2025-08-20 18:00", "")}, frab.Options{}).event(t, b); e.x.ID != frab.EventID(b) {
		t.Errorf("alone, %s got %d, want %d", b, e.x.ID, frab.EventID(b))
	}
}

// TestInvalid checks what New refuses.
func TestInvalid(t *testing.T) {
	good := gamescom()
	for _, tt := range []struct {
		name string
		conf func(*conference.Conference)
		opts frab.Options
	}{
		{"no time zone", func(c *conference.Conference) { c.TimeZone = "" }, frab.Options{}},
		{"unknown time zone", func(c *conference.Conference) { c.TimeZone = "Mars/Olympus" }, frab.Options{}},
		{"Local", func(c *conference.Conference) { c.TimeZone = "Local" }, frab.Options{}},
		{"no first day", func(c *conference.Conference) { c.FirstDay = "" }, frab.Options{}},
		{"days out of order", func(c *conference.Conference) { c.FirstDay, c.LastDay = c.LastDay, c.FirstDay }, frab.Options{}},
		{"over a year", func(c *conference.Conference) { c.FirstDay, c.LastDay = "2025-01-01", "2026-01-02" }, frab.Options{}},
		{"relative base URL", func(*conference.Conference) {}, frab.Options{BaseURL: "/parties"}},
		{"ftp base URL", func(*conference.Conference) {}, frab.Options{BaseURL: "ftp://example.com/parties"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.conf(&c)
			if _, err := frab.New(c, nil, tt.opts); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("New: %v, want an Invalid error", err)
			}
		})
	}
}

// TestLongParties checks how parties that run past the end of their day
// are listed: schedule apps read a duration of 24:00 or more as nothing or
// refuse the whole schedule, and show an event only on a day it lies in.
// So the listed duration ends the event by the end of its day (06:00 the
// next morning), at most 23:59, and the description gives the true end,
// which the JSON keeps.
func TestLongParties(t *testing.T) {
	tests := []struct {
		name, from, to string
		day, duration  string
		says           string // in the description; "" when it mentions no end
		jsonEnd        string // "" when none
	}{
		{"26 hours", "2025-08-20 18:00", "2025-08-21 20:00", "2025-08-20", "12:00", "End: Thu 21 Aug 2025 20:00 (shown as 12 hours)", "2025-08-21T20:00:00+02:00"},
		{"exactly 24 hours", "2025-08-20 18:00", "2025-08-21 18:00", "2025-08-20", "12:00", "End: Thu 21 Aug 2025 18:00 (shown as 12 hours)", "2025-08-21T18:00:00+02:00"},
		{"until 07:00 the next day", "2025-08-20 20:00", "2025-08-21 07:00", "2025-08-20", "10:00", "End: Thu 21 Aug 2025 07:00 (shown as 10 hours)", "2025-08-21T07:00:00+02:00"},
		{"from 06:00, a day and more", "2025-08-20 06:00", "2025-08-21 12:00", "2025-08-20", "23:59", "End: Thu 21 Aug 2025 12:00 (shown as 23 hours 59 minutes)", "2025-08-21T12:00:00+02:00"},
		{"a week", "2025-08-17 10:00", "2025-08-23 10:00", "2025-08-17", "20:00", "End: Sat 23 Aug 2025 10:00 (shown as 20 hours)", "2025-08-23T10:00:00+02:00"},
		{"until 06:00 the next day", "2025-08-20 22:00", "2025-08-21 06:00", "2025-08-20", "08:00", "", "2025-08-21T06:00:00+02:00"},
		{"an evening", "2025-08-20 18:00", "2025-08-20 23:00", "2025-08-20", "05:00", "", "2025-08-20T23:00:00+02:00"},
		{"after midnight", "2025-08-21 01:00", "2025-08-21 05:00", "2025-08-20", "04:00", "", "2025-08-21T05:00:00+02:00"},
		{"open end, late", "2025-08-21 05:00", "", "2025-08-20", "01:00", "End: open (shown as 1 hour)", ""},
	}
	var ps []party.Party
	for i, tt := range tests {
		ps = append(ps, mk(t, fmt.Sprint("long", i), tt.name, "Park", tt.from, tt.to))
	}
	d := export(t, gamescom(), ps, frab.Options{})
	days := map[string][2]time.Time{}
	for _, day := range d.x.Days {
		s, _ := time.Parse(time.RFC3339, day.Start)
		e, _ := time.Parse(time.RFC3339, day.End)
		days[day.Date] = [2]time.Time{s, e}
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := d.event(t, fmt.Sprint("long", i))
			desc := deref(e.x.Description)
			if e.day != tt.day || e.x.Duration != tt.duration || e.j.Duration != tt.duration || deref(e.j.End) != tt.jsonEnd {
				t.Errorf("day %s duration %s (JSON %s) JSON end %s, want %s %s %s", e.day, e.x.Duration, e.j.Duration, deref(e.j.End), tt.day, tt.duration, tt.jsonEnd)
			}
			if tt.says != "" && !strings.Contains(desc, tt.says) || tt.says == "" && strings.Contains(desc, "End:") || desc != deref(e.j.Description) {
				t.Errorf("description %q (JSON %q), want it to say %q", desc, deref(e.j.Description), tt.says)
			}
			// What an app works out from the listed start and duration
			// lies in the day the event is listed in.
			start, _ := time.Parse(time.RFC3339, e.x.Date)
			var h, m int
			fmt.Sscanf(e.x.Duration, "%d:%d", &h, &m)
			end := start.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
			if day := days[e.day]; h >= 24 || start.Before(day[0]) || end.After(day[1]) {
				t.Errorf("listed %s to %s, outside its day %s to %s", start, end, day[0], day[1])
			}
		})
	}

	// Nights when clocks change: the day from 06:00 to 06:00 lasts 23 or
	// 25 hours, and the listed duration is real time.
	for _, tt := range []struct{ first, from, to, duration string }{
		{"2025-03-29", "2025-03-29 06:00", "2025-03-30 12:00", "23:00"},
		{"2025-10-25", "2025-10-25 06:00", "2025-10-26 12:00", "23:59"},
		{"2025-10-25", "2025-10-25 22:00", "2025-10-26 08:00", "09:00"},
	} {
		conf := mustConf(t, "dst", "Europe/Berlin", tt.first, tt.first)
		d := export(t, conf, []party.Party{{ID: "dst", ConferenceID: "dst", Title: "Long night", Status: party.Published,
			Start: at(berlin, tt.from), End: at(berlin, tt.to)}}, frab.Options{})
		if e := d.event(t, "dst"); e.x.Duration != tt.duration || e.day != tt.first {
			t.Errorf("%s to %s: day %s duration %s, want %s %s", tt.from, tt.to, e.day, e.x.Duration, tt.first, tt.duration)
		}
	}
}
