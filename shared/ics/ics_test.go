package ics_test

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ical "github.com/arran4/golang-ical"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/ics"
	"github.com/partyfinder/partyfinder/shared/party"
)

func mustConf(t testing.TB, zone, first, last string) conference.Conference {
	t.Helper()
	c, err := conference.New("testcon", "Test Con", "Cologne", zone, first, last)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func berlin(t testing.TB) conference.Conference {
	return mustConf(t, "Europe/Berlin", "2025-08-19", "2025-08-24")
}

var (
	created = time.Date(2025, 8, 1, 9, 0, 0, 0, time.UTC)
	updated = time.Date(2025, 8, 6, 14, 22, 15, 0, time.UTC)
)

// mkParty returns a valid published party at 20:00-02:00 local on 20 August
// 2025 in the conference's zone, changed by edit.
func mkParty(t testing.TB, conf conference.Conference, id string, edit func(*party.Party)) party.Party {
	t.Helper()
	loc := conf.Location()
	p := party.Party{
		ID:           id,
		ConferenceID: conf.ID,
		Title:        "Rhine Night Mixer",
		Description:  "Drinks by the river.",
		Venue:        "Kachelbar",
		Address:      "Ehrenstraße 12, 50672 Köln",
		Location:     &party.Point{Lat: 50.9385, Lng: 6.941},
		Start:        time.Date(2025, 8, 20, 20, 0, 0, 0, loc),
		End:          time.Date(2025, 8, 21, 2, 0, 0, 0, loc),
		Category:     party.Category{Label: "Mixer"},
		Hosts:        []string{"Kobold Forge", "Paper Kite Games"},
		Price:        "€15",
		Link:         "https://example.com/democon/rhine-night",
		Focus:        "Indie",
		Status:       party.Published,
		Source:       "test",
		CreatedAt:    created,
		UpdatedAt:    updated,
		Version:      1,
	}
	if edit != nil {
		edit(&p)
	}
	p, err := party.New(p)
	if err != nil {
		t.Fatal(err)
	}
	// New does not touch the bookkeeping fields, but be explicit.
	return p
}

func encode(t testing.TB, cal ics.Calendar) string {
	t.Helper()
	b, err := ics.Encode(cal)
	if err != nil {
		t.Fatal(err)
	}
	checkLines(t, string(b))
	return string(b)
}

// checkLines holds the raw output to RFC 5545 section 3.1 without the
// library's help: CRLF after every line and nowhere else, at most 75 octets
// per line, and folds that never cut a UTF-8 sequence.
func checkLines(t testing.TB, s string) {
	t.Helper()
	if !strings.HasSuffix(s, "\r\n") {
		t.Errorf("output does not end with CRLF")
	}
	for i, l := range strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n") {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("line %d holds a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Errorf("line %d is %d octets long: %q", i+1, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d is not valid UTF-8 on its own (a fold split a character): %q", i+1, l)
		}
		if l == "" || l == " " {
			t.Errorf("line %d is empty", i+1)
		}
	}
}

// unfold returns the logical content lines of s.
func unfold(s string) []string {
	s = strings.ReplaceAll(s, "\r\n ", "")
	s = strings.ReplaceAll(s, "\r\n\t", "")
	return strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
}

// rawEvents returns, per VEVENT, its unfolded content lines by property name
// (parameters included in the key, e.g. "DTSTART;TZID=Europe/Berlin").
func rawEvents(s string) []map[string]string {
	var out []map[string]string
	var cur map[string]string
	for _, l := range unfold(s) {
		switch {
		case l == "BEGIN:VEVENT":
			cur = map[string]string{}
		case l == "END:VEVENT":
			out = append(out, cur)
			cur = nil
		case cur != nil:
			k, v, _ := strings.Cut(l, ":")
			cur[k] = v
		}
	}
	return out
}

func parse(t testing.TB, s string) *ical.Calendar {
	t.Helper()
	c, err := ical.ParseCalendar(strings.NewReader(s))
	if err != nil {
		t.Fatalf("golang-ical cannot parse the output: %v\n%s", err, s)
	}
	return c
}

func calProp(c *ical.Calendar, name string) (ical.CalendarProperty, bool) {
	for _, p := range c.CalendarProperties {
		if p.IANAToken == name {
			return p, true
		}
	}
	return ical.CalendarProperty{}, false
}

func value(e *ical.VEvent, p ical.ComponentProperty) string {
	if prop := e.GetProperty(p); prop != nil {
		return prop.Value
	}
	return ""
}

func TestEncodeWritesEveryField(t *testing.T) {
	conf := berlin(t)
	p := mkParty(t, conf, "p-1", func(p *party.Party) { p.Version = 3 })
	out := encode(t, ics.Calendar{Name: "Gamescom Parties", Conference: conf, Parties: []party.Party{p}, Refresh: time.Hour})
	c := parse(t, out)

	for name, want := range map[string]string{
		"VERSION": "2.0", "PRODID": ics.DefaultProdID, "CALSCALE": "GREGORIAN", "METHOD": "PUBLISH",
		"X-WR-CALNAME": "Gamescom Parties", "X-WR-TIMEZONE": "Europe/Berlin",
		"REFRESH-INTERVAL": "PT1H", "X-PUBLISHED-TTL": "PT1H",
	} {
		got, ok := calProp(c, name)
		if !ok || got.Value != want {
			t.Errorf("calendar %s = %q (present %v), want %q", name, got.Value, ok, want)
		}
	}
	if ri, _ := calProp(c, "REFRESH-INTERVAL"); !slices.Equal(ri.ICalParameters["VALUE"], []string{"DURATION"}) {
		t.Errorf("REFRESH-INTERVAL parameters = %v, want VALUE=DURATION", ri.ICalParameters)
	}

	evs := c.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	e := evs[0]
	for prop, want := range map[ical.ComponentProperty]string{
		ical.ComponentPropertyUniqueId:     "p-1@partyfinder",
		ical.ComponentPropertyDtstamp:      "20250806T142215Z",
		ical.ComponentPropertySummary:      "Rhine Night Mixer",
		ical.ComponentPropertyLocation:     "Kachelbar, Ehrenstraße 12, 50672 Köln",
		ical.ComponentPropertyGeo:          "50.9385;6.941",
		ical.ComponentPropertyUrl:          "https://example.com/democon/rhine-night",
		ical.ComponentPropertyCategories:   "Mixer",
		ical.ComponentPropertyStatus:       "CONFIRMED",
		ical.ComponentPropertySequence:     "2",
		ical.ComponentPropertyCreated:      "20250801T090000Z",
		ical.ComponentPropertyLastModified: "20250806T142215Z",
	} {
		if got := value(e, prop); got != want {
			t.Errorf("%s = %q, want %q", prop, got, want)
		}
	}
	desc := value(e, ical.ComponentPropertyDescription)
	for _, want := range []string{"Drinks by the river.", "Hosts: Kobold Forge, Paper Kite Games", "Price: €15",
		"Focus: Indie", "Link: https://example.com/democon/rhine-night"} {
		if !strings.Contains(desc, want) {
			t.Errorf("DESCRIPTION %q lacks %q", desc, want)
		}
	}

	// Wall-clock times in the conference zone, read back as the same instants.
	raw := rawEvents(out)[0]
	if got := raw["DTSTART;TZID=Europe/Berlin"]; got != "20250820T200000" {
		t.Errorf("DTSTART;TZID=Europe/Berlin = %q, want 20250820T200000 (raw %v)", got, raw)
	}
	if got := raw["DTEND;TZID=Europe/Berlin"]; got != "20250821T020000" {
		t.Errorf("DTEND;TZID=Europe/Berlin = %q, want 20250821T020000", got)
	}
	if start, err := e.GetStartAt(); err != nil || !start.Equal(p.Start) {
		t.Errorf("start reads back as %v (%v), want %v", start, err, p.Start)
	}
	if end, err := e.GetEndAt(); err != nil || !end.Equal(p.End) {
		t.Errorf("end reads back as %v (%v), want %v", end, err, p.End)
	}
	if tzs := c.Timezones(); len(tzs) != 1 || tzs[0].GetProperty(ical.ComponentPropertyTzid).Value != "Europe/Berlin" {
		t.Errorf("want exactly one VTIMEZONE for Europe/Berlin, got %d", len(tzs))
	}
}

func TestEncodeOmitsWhatIsUnknown(t *testing.T) {
	conf := berlin(t)
	p := mkParty(t, conf, "bare", func(p *party.Party) {
		p.Description, p.Venue, p.Address, p.Location, p.Link, p.Hosts, p.Price, p.Focus = "", "", "", nil, "", nil, "", ""
		p.CreatedAt, p.UpdatedAt = time.Time{}, time.Time{}
	})
	now := time.Date(2025, 8, 7, 8, 0, 0, 0, time.UTC)
	e := parse(t, encode(t, ics.Calendar{Conference: conf, Parties: []party.Party{p}, Now: now})).Events()[0]
	for _, prop := range []ical.ComponentProperty{ical.ComponentPropertyLocation, ical.ComponentPropertyGeo,
		ical.ComponentPropertyUrl, ical.ComponentPropertyCreated, ical.ComponentPropertyLastModified} {
		if v := e.GetProperty(prop); v != nil {
			t.Errorf("%s = %q, want it left out", prop, v.Value)
		}
	}
	if got := value(e, ical.ComponentPropertyDtstamp); got != "20250807T080000Z" {
		t.Errorf("DTSTAMP of a party without timestamps = %q, want Now (20250807T080000Z)", got)
	}
	if got := value(e, ical.ComponentPropertyDescription); got != "Category: Mixer" {
		t.Errorf("DESCRIPTION = %q, want just the category", got)
	}
}

func TestEncodeStatusAndSequence(t *testing.T) {
	conf := berlin(t)
	tests := []struct {
		name        string
		status      party.Status
		version     int64
		wantListed  bool
		wantStatus  string
		wantSeq     string
		wantSummary string
	}{
		{"new party", party.Published, 1, true, "CONFIRMED", "0", "Rhine Night Mixer"},
		{"edited twice", party.Published, 3, true, "CONFIRMED", "2", "Rhine Night Mixer"},
		{"edited often", party.Published, 12, true, "CONFIRMED", "11", "Rhine Night Mixer"},
		{"cancelled", party.Cancelled, 4, true, "CANCELLED", "3", "Cancelled: Rhine Night Mixer"},
		{"draft stays private", party.Draft, 1, false, "", "", ""},
		{"pending stays private", party.Pending, 2, false, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mkParty(t, conf, "p", func(p *party.Party) { p.Status, p.Version = tt.status, tt.version })
			evs := parse(t, encode(t, ics.Calendar{Conference: conf, Parties: []party.Party{p}})).Events()
			if !tt.wantListed {
				if len(evs) != 0 {
					t.Fatalf("a %s party is in the feed", tt.status)
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("%d events, want 1", len(evs))
			}
			e := evs[0]
			if got := value(e, ical.ComponentPropertyStatus); got != tt.wantStatus {
				t.Errorf("STATUS = %q, want %q", got, tt.wantStatus)
			}
			if got := value(e, ical.ComponentPropertySequence); got != tt.wantSeq {
				t.Errorf("SEQUENCE = %q, want %q", got, tt.wantSeq)
			}
			if got := value(e, ical.ComponentPropertySummary); got != tt.wantSummary {
				t.Errorf("SUMMARY = %q, want %q", got, tt.wantSummary)
			}
		})
	}
}

func TestEncodeSequenceGrowsWithVersion(t *testing.T) {
	conf := berlin(t)
	prev := -1
	for v := int64(1); v <= 5; v++ {
		p := mkParty(t, conf, "p", func(p *party.Party) { p.Version = v })
		seq, err := strconv.Atoi(value(parse(t, encode(t, ics.Calendar{Conference: conf, Parties: []party.Party{p}})).Events()[0], ical.ComponentPropertySequence))
		if err != nil || seq <= prev {
			t.Fatalf("version %d: SEQUENCE %d (%v) does not grow past %d; apps would ignore the change", v, seq, err, prev)
		}
		prev = seq
	}
}

func TestEncodeFoldsLongUnicodeText(t *testing.T) {
	conf := berlin(t)
	desc := strings.Repeat("Grüße aus Köln 🎮🍻 — 夜のパーティー, Rheinufer; ", 12) +
		strings.Repeat("日本語テキストÄÖÜ🎲", 20) // a long run without spaces forces folds inside a word
	p := mkParty(t, conf, "long", func(p *party.Party) { p.Description = desc; p.Title = strings.Repeat("Überlänge ", 19) + "🎉" })
	out := encode(t, ics.Calendar{Conference: conf, Parties: []party.Party{p}})

	folded := 0
	for _, l := range strings.Split(out, "\r\n") {
		if strings.HasPrefix(l, " ") {
			folded++
		}
	}
	if folded < 20 {
		t.Errorf("only %d continuation lines; the long description was not folded", folded)
	}
	e := parse(t, out).Events()[0]
	if got := value(e, ical.ComponentPropertyDescription); !strings.HasPrefix(got, desc+"\n\n") {
		t.Errorf("description did not survive folding:\n got %q\nwant prefix %q", got, desc)
	}
	if got := value(e, ical.ComponentPropertySummary); got != p.Title {
		t.Errorf("SUMMARY = %q, want %q", got, p.Title)
	}
}

func TestEncodeEscapesText(t *testing.T) {
	conf := berlin(t)
	p := mkParty(t, conf, "esc", func(p *party.Party) {
		p.Title = `Beer, Bytes; and \Backslashes\`
		p.Venue = "Hafen; Halle 7"
		p.Category = party.Category{Label: "Exec Social, Invite"}
	})
	// Parties refuse control characters, but one stored before they did
	// must still come out as harmless text.
	p.Description = "Line one\r\nLine two\rLine three\nTab\there, bell\a gone"
	out := encode(t, ics.Calendar{Conference: conf, Parties: []party.Party{p}})
	raw := rawEvents(out)[0]
	if got, want := raw["SUMMARY"], `Beer\, Bytes\; and \\Backslashes\\`; got != want {
		t.Errorf("raw SUMMARY = %q, want %q", got, want)
	}
	if got := raw["DESCRIPTION"]; !strings.HasPrefix(got, `Line one\nLine two\nLine three\nTab`+"\t"+`here\, bell gone\n\n`) {
		t.Errorf("raw DESCRIPTION = %q: line breaks must become \\n and controls must go", got)
	}
	if got, want := raw["CATEGORIES"], `Exec Social\, Invite`; got != want {
		t.Errorf("raw CATEGORIES = %q, want %q", got, want)
	}
	e := parse(t, out).Events()[0]
	for prop, want := range map[ical.ComponentProperty]string{
		ical.ComponentPropertySummary:  p.Title,
		ical.ComponentPropertyLocation: "Hafen; Halle 7, Ehrenstraße 12, 50672 Köln",
	} {
		if got := value(e, prop); got != want {
			t.Errorf("%s reads back as %q, want %q", prop, got, want)
		}
	}
}

func TestEncodeOpenEnded(t *testing.T) {
	conf := berlin(t)
	p := mkParty(t, conf, "open", func(p *party.Party) { p.End = time.Time{} })
	tests := []struct {
		name    string
		openEnd time.Duration
		wantEnd string // raw DTEND;TZID=Europe/Berlin, "" for none
	}{
		{"no end is a point in time", 0, ""},
		{"configured default duration", 3 * time.Hour, "20250820T230000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := encode(t, ics.Calendar{Conference: conf, Parties: []party.Party{p}, OpenEnd: tt.openEnd})
			raw := rawEvents(out)[0]
			if got := raw["DTEND;TZID=Europe/Berlin"]; got != tt.wantEnd {
				t.Errorf("DTEND = %q, want %q", got, tt.wantEnd)
			}
			if !strings.Contains(value(parse(t, out).Events()[0], ical.ComponentPropertyDescription), "End: open") {
				t.Errorf("the description does not say the end is open")
			}
		})
	}
}

func TestEncodeURL(t *testing.T) {
	conf := berlin(t)
	tests := []struct {
		name, link, base, want string
	}{
		{"own link", "https://example.com/a", "https://pf.example/parties", "https://example.com/a"},
		{"link from base", "", "https://pf.example/parties/", "https://pf.example/parties/u1"},
		{"no link, no base", "", "", ""},
		{"base that is not http", "", "javascript:alert(1)", ""},
		{"space re-encoded", "https://example.com/a b", "", "https://example.com/a%20b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mkParty(t, conf, "u1", func(p *party.Party) { p.Link = tt.link })
			e := parse(t, encode(t, ics.Calendar{Conference: conf, Parties: []party.Party{p}, BaseURL: tt.base})).Events()[0]
			if got := value(e, ical.ComponentPropertyUrl); got != tt.want {
				t.Errorf("URL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEncodeIsDeterministic(t *testing.T) {
	conf := berlin(t)
	var ps []party.Party
	for i := range 5 {
		ps = append(ps, mkParty(t, conf, fmt.Sprintf("p%d", i), func(p *party.Party) {
			p.Start = p.Start.Add(time.Duration(i%3) * time.Hour)
			p.End = p.End.Add(time.Duration(i%3) * time.Hour)
		}))
	}
	cal := ics.Calendar{Conference: conf, Parties: ps, Refresh: time.Hour}
	first := encode(t, cal)
	time.Sleep(2 * time.Millisecond) // the wall clock must not matter
	shuffled := slices.Clone(ps)
	slices.Reverse(shuffled)
	cal.Parties = shuffled
	if second := encode(t, cal); second != first {
		t.Errorf("same parties in another order give different bytes")
	}
	var buf bytes.Buffer
	if err := ics.Write(&buf, cal); err != nil || buf.String() != first {
		t.Errorf("Write differs from Encode (err %v)", err)
	}

	ps[2].UpdatedAt = ps[2].UpdatedAt.Add(time.Hour)
	ps[2].Version++
	cal.Parties = ps
	if third := encode(t, cal); third == first {
		t.Errorf("an updated party gives the same bytes; ETags would not change")
	}
}

func TestEncodeRejectsConferenceWithoutZone(t *testing.T) {
	for _, zone := range []string{"", "Local", "Mars/Olympus_Mons"} {
		_, err := ics.Encode(ics.Calendar{Conference: conference.Conference{ID: "x1", TimeZone: zone}})
		if !apperr.Is(err, apperr.Invalid) {
			t.Errorf("zone %q: err = %v, want Invalid", zone, err)
		}
	}
}

func TestEncodeRepeatedWallClockHour(t *testing.T) {
	conf := mustConf(t, "Europe/Berlin", "2025-10-25", "2025-10-26")
	tests := []struct {
		name     string
		startUTC time.Time
		wantKey  string
		wantVal  string
	}{
		// 02:30 happens twice on 26 October 2025 in Berlin; readers disagree
		// on which one a local 02:30 means, so both go out in UTC.
		{"first 02:30 (CEST)", time.Date(2025, 10, 26, 0, 30, 0, 0, time.UTC), "DTSTART", "20251026T003000Z"},
		{"second 02:30 (CET)", time.Date(2025, 10, 26, 1, 30, 0, 0, time.UTC), "DTSTART", "20251026T013000Z"},
		{"03:00 right after the change", time.Date(2025, 10, 26, 2, 0, 0, 0, time.UTC), "DTSTART;TZID=Europe/Berlin", "20251026T030000"},
		{"01:59 right before the repeated hour", time.Date(2025, 10, 25, 23, 59, 0, 0, time.UTC), "DTSTART;TZID=Europe/Berlin", "20251026T015900"},
		{"ordinary time", time.Date(2025, 10, 26, 19, 0, 0, 0, time.UTC), "DTSTART;TZID=Europe/Berlin", "20251026T200000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mkParty(t, conf, "dst", func(p *party.Party) { p.Start, p.End = tt.startUTC, time.Time{} })
			out := encode(t, ics.Calendar{Conference: conf, Parties: []party.Party{p}})
			if got := rawEvents(out)[0][tt.wantKey]; got != tt.wantVal {
				t.Errorf("%s = %q, want %q", tt.wantKey, got, tt.wantVal)
			}
			if start, err := parse(t, out).Events()[0].GetStartAt(); err != nil || !start.Equal(tt.startUTC) {
				t.Errorf("start reads back as %v (%v), want %v", start, err, tt.startUTC)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	conf := berlin(t)
	for d, want := range map[time.Duration]string{
		time.Hour: "PT1H", 90 * time.Minute: "PT1H30M", 15 * time.Minute: "PT15M", 24 * time.Hour: "PT24H", 0: "",
	} {
		c := parse(t, encode(t, ics.Calendar{Conference: conf, Refresh: d}))
		got, _ := calProp(c, "X-PUBLISHED-TTL")
		if got.Value != want {
			t.Errorf("Refresh %v: X-PUBLISHED-TTL = %q, want %q", d, got.Value, want)
		}
	}
}

func TestEncodeDemoWeek(t *testing.T) {
	conf, ps := demo.Data(time.Date(2026, 8, 12, 10, 0, 0, 0, time.UTC))
	c := parse(t, encode(t, ics.Calendar{Conference: conf, Parties: ps, Refresh: time.Hour}))
	evs := c.Events()
	if len(evs) != len(ps) {
		t.Fatalf("%d events for %d parties", len(evs), len(ps))
	}
	byUID := map[string]party.Party{}
	for _, p := range ps {
		byUID[p.ID+"@partyfinder"] = p
	}
	cancelled := 0
	for _, e := range evs {
		p, ok := byUID[e.Id()]
		if !ok {
			t.Fatalf("event %q matches no party", e.Id())
		}
		delete(byUID, e.Id())
		if start, err := e.GetStartAt(); err != nil || !start.Equal(p.Start) {
			t.Errorf("%q starts at %v (%v), want %v", p.Title, start, err, p.Start)
		}
		if value(e, ical.ComponentPropertyStatus) == "CANCELLED" {
			cancelled++
		}
	}
	if want := countStatus(ps, party.Cancelled); cancelled != want || want == 0 {
		t.Errorf("%d cancelled events, want %d", cancelled, want)
	}
}

func countStatus(ps []party.Party, s party.Status) int {
	n := 0
	for _, p := range ps {
		if p.Status == s {
			n++
		}
	}
	return n
}

// BenchmarkEncode500 encodes a feed the size of a busy Gamescom week.
func BenchmarkEncode500(b *testing.B) {
	conf := berlin(b)
	ps := make([]party.Party, 500)
	for i := range ps {
		ps[i] = mkParty(b, conf, fmt.Sprintf("p%03d", i), func(p *party.Party) {
			p.Start = p.Start.Add(time.Duration(i%96) * time.Hour)
			p.End = p.End.Add(time.Duration(i%96) * time.Hour)
			p.Title = fmt.Sprintf("Party number %d: Indies, Investors & Friends", i)
			p.Description = strings.Repeat("Meet developers, publishers and press by the Rhine; drinks on us. ", 4)
		})
	}
	cal := ics.Calendar{Name: "Gamescom 2025", Conference: conf, Parties: ps, Refresh: time.Hour, BaseURL: "https://pf.example/p"}
	var size int
	b.ReportAllocs()
	for b.Loop() {
		out, err := ics.Encode(cal)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "bytes")
}
