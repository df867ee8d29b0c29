package frab_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/frab"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/testenv"
)

// The schemas are read-only fixtures in the data folder beside the
// repository; they are never copied into it.
const (
	xsdFile        = "frab/schedule.xml.xsd"
	jsonSchemaFile = "frab/schedule.schema.json"
)

// sharedData returns the path of rel in ../shared/data beside the
// repository, or skips (fails under CI=true) when it is not there.
func sharedData(t testing.TB, rel string) string {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "data", filepath.FromSlash(rel))
	if _, err := os.Stat(path); err != nil {
		testenv.Need(t, "the read-only data folder beside the repository is missing ("+err.Error()+")")
	}
	return path
}

// validXML validates doc against the frab XSD with xmllint.
func validXML(t testing.TB, doc []byte) {
	t.Helper()
	if err := xmlSchemaErr(t, doc); err != nil {
		t.Fatal(err)
	}
}

// xmlSchemaErr returns why doc does not validate against the frab XSD.
func xmlSchemaErr(t testing.TB, doc []byte) error {
	t.Helper()
	xsd := sharedData(t, xsdFile)
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		testenv.Need(t, "xmllint is not installed (Debian: apt-get install libxml2-utils)")
	}
	cmd := exec.Command(xmllint, "--noout", "--nonet", "--schema", xsd, "-")
	cmd.Stdin = bytes.NewReader(doc)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("the XML does not validate against %s: %v\n%s", xsd, err, clip(out))
	}
	return nil
}

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// validJSON validates doc against the frab JSON schema, in process.
func validJSON(t testing.TB, doc []byte) {
	t.Helper()
	if err := jsonSchemaErr(t, doc); err != nil {
		t.Fatal(err)
	}
}

// jsonSchemaErr returns why doc does not validate against the frab JSON
// schema (draft-06, whose formats the validator asserts).
func jsonSchemaErr(t testing.TB, doc []byte) error {
	t.Helper()
	path := sharedData(t, jsonSchemaFile)
	schemaOnce.Do(func() {
		schema, schemaErr = jsonschema.NewCompiler().Compile(path)
	})
	if schemaErr != nil {
		t.Fatalf("compile %s: %v", path, schemaErr)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("the JSON does not parse: %v\n%s", err, clip(doc))
	}
	if err := schema.Validate(inst); err != nil {
		return fmt.Errorf("the JSON does not validate against %s: %v", path, err)
	}
	return nil
}

func clip(b []byte) string {
	if len(b) > 4000 {
		return string(b[:4000]) + "…"
	}
	return string(b)
}

// The documents as a reader sees them.

type xSchedule struct {
	Generator struct {
		Name string `xml:"name,attr"`
	} `xml:"generator"`
	Version    string `xml:"version"`
	Conference struct {
		Acronym  string `xml:"acronym"`
		Title    string `xml:"title"`
		Start    string `xml:"start"`
		End      string `xml:"end"`
		Days     int    `xml:"days"`
		Timeslot string `xml:"timeslot_duration"`
		BaseURL  string `xml:"base_url"`
		TimeZone string `xml:"time_zone_name"`
		Tracks   []struct {
			Name string `xml:"name,attr"`
			Slug string `xml:"slug,attr"`
		} `xml:"track"`
	} `xml:"conference"`
	Days []struct {
		Index int    `xml:"index,attr"`
		Date  string `xml:"date,attr"`
		Start string `xml:"start,attr"`
		End   string `xml:"end,attr"`
		Rooms []struct {
			Name   string   `xml:"name,attr"`
			GUID   string   `xml:"guid,attr"`
			Events []xEvent `xml:"event"`
		} `xml:"room"`
	} `xml:"day"`
}

type xEvent struct {
	ID          uint32   `xml:"id,attr"`
	GUID        string   `xml:"guid,attr"`
	Date        string   `xml:"date"`
	Start       string   `xml:"start"`
	Duration    string   `xml:"duration"`
	Room        string   `xml:"room"`
	Slug        string   `xml:"slug"`
	URL         *string  `xml:"url"`
	Title       string   `xml:"title"`
	Subtitle    *string  `xml:"subtitle"`
	Track       string   `xml:"track"`
	Type        string   `xml:"type"`
	Language    *string  `xml:"language"`
	Abstract    string   `xml:"abstract"`
	Description *string  `xml:"description"`
	Persons     []string `xml:"persons>person"`
	Links       []struct {
		Href  string `xml:"href,attr"`
		Title string `xml:",chardata"`
	} `xml:"links>link"`
}

type jSchedule struct {
	Schema    string `json:"$schema"`
	Generator struct {
		Name string `json:"name"`
	} `json:"generator"`
	Schedule struct {
		Version    string `json:"version"`
		BaseURL    string `json:"base_url"`
		Conference struct {
			Acronym   string  `json:"acronym"`
			Title     string  `json:"title"`
			Start     string  `json:"start"`
			End       string  `json:"end"`
			DaysCount int     `json:"daysCount"`
			Timeslot  string  `json:"timeslot_duration"`
			TimeZone  *string `json:"time_zone_name"`
			Tracks    []struct {
				Name string `json:"name"`
				Slug string `json:"slug"`
			} `json:"tracks"`
			Rooms []struct {
				Name string `json:"name"`
				GUID string `json:"guid"`
			} `json:"rooms"`
			Days []struct {
				Index    int                 `json:"index"`
				Date     string              `json:"date"`
				DayStart string              `json:"day_start"`
				DayEnd   string              `json:"day_end"`
				Rooms    map[string][]jEvent `json:"rooms"`
			} `json:"days"`
		} `json:"conference"`
	} `json:"schedule"`
}

type jEvent struct {
	GUID        string  `json:"guid"`
	ID          uint32  `json:"id"`
	Date        string  `json:"date"`
	Start       string  `json:"start"`
	End         *string `json:"end"`
	Duration    string  `json:"duration"`
	Room        string  `json:"room"`
	Slug        string  `json:"slug"`
	URL         string  `json:"url"`
	Title       string  `json:"title"`
	Subtitle    *string `json:"subtitle"`
	Track       *string `json:"track"`
	Type        string  `json:"type"`
	Language    *string `json:"language"`
	Abstract    *string `json:"abstract"`
	Description *string `json:"description"`
	Persons     []struct {
		Name       string `json:"name"`
		PublicName string `json:"public_name"`
	} `json:"persons"`
	Links []struct {
		URL   string `json:"url"`
		Title string `json:"title"`
		Type  string `json:"type"`
	} `json:"links"`
}

// doc is one export in both encodings, as bytes and as read back.
type doc struct {
	xml, json []byte
	x         xSchedule
	j         jSchedule
	events    map[string]found // by guid, from the XML
	jevents   map[string]found // by guid, from the JSON
}

// found is an event with where it sits.
type found struct {
	day    string // the date of its day
	index  int    // the index of its day
	room   string // the name of the room element (XML) or key (JSON) it is in
	x      xEvent
	j      jEvent
	copies int
}

// export encodes the parties both ways, validates both documents against
// their schemas (each a subtest, which skips when the schemas or xmllint are
// missing, so the rest of a test still runs), reads both back, and checks
// that they hold the same events.
func export(t *testing.T, conf conference.Conference, ps []party.Party, o frab.Options) doc {
	t.Helper()
	s, err := frab.New(conf, ps, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var d doc
	d.xml = s.AppendXML(nil)
	d.json = s.AppendJSON(nil)
	t.Run("xsd", func(t *testing.T) { validXML(t, d.xml) })
	t.Run("json-schema", func(t *testing.T) { validJSON(t, d.json) })

	if err := xml.Unmarshal(d.xml, &d.x); err != nil {
		t.Fatalf("read the XML back: %v\n%s", err, clip(d.xml))
	}
	if err := json.Unmarshal(d.json, &d.j); err != nil {
		t.Fatalf("read the JSON back: %v\n%s", err, clip(d.json))
	}
	d.events, d.jevents = map[string]found{}, map[string]found{}
	for _, day := range d.x.Days {
		for _, r := range day.Rooms {
			for _, e := range r.Events {
				f := d.events[e.GUID]
				d.events[e.GUID] = found{day: day.Date, index: day.Index, room: r.Name, x: e, copies: f.copies + 1}
			}
		}
	}
	for _, day := range d.j.Schedule.Conference.Days {
		for room, es := range day.Rooms {
			for _, e := range es {
				f := d.jevents[e.GUID]
				d.jevents[e.GUID] = found{day: day.Date, index: day.Index, room: room, j: e, copies: f.copies + 1}
			}
		}
	}
	// Both encodings say the same thing.
	if len(d.events) != len(d.jevents) {
		t.Fatalf("%d events in the XML, %d in the JSON", len(d.events), len(d.jevents))
	}
	for guid, x := range d.events {
		j, ok := d.jevents[guid]
		switch {
		case !ok:
			t.Errorf("event %s is in the XML only", guid)
		case x.day != j.day || x.room != j.room || x.x.ID != j.j.ID || x.x.Title != j.j.Title ||
			x.x.Date != j.j.Date || x.x.Start != j.j.Start || x.x.Duration != j.j.Duration ||
			x.x.Slug != j.j.Slug || x.x.Room != j.j.Room || x.x.Abstract != deref(j.j.Abstract):
			t.Errorf("event %s differs:\nXML  %s %s %+v\nJSON %s %s %+v", guid, x.day, x.room, x.x, j.day, j.room, j.j)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return d
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// event returns the party's event from both encodings, failing unless it
// is there exactly once in each.
func (d doc) event(t *testing.T, partyID string) found {
	t.Helper()
	guid := frab.EventGUID(partyID)
	x, j := d.events[guid], d.jevents[guid]
	if x.copies != 1 || j.copies != 1 {
		t.Fatalf("party %s (guid %s) is in the XML %d times and in the JSON %d times, want once each", partyID, guid, x.copies, j.copies)
	}
	x.j = j.j
	return x
}

// Test data: Gamescom 2025 in Cologne, Sunday 17 to Saturday 23 August.

var berlin = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func gamescom() conference.Conference {
	c, err := conference.New("gamescom2025", "Gamescom 2025", "Cologne", "Europe/Berlin", "2025-08-17", "2025-08-23")
	if err != nil {
		panic(err)
	}
	return c
}

// at parses a local "2006-01-02 15:04" in loc.
func at(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// mk returns a published party of the conference through party.New, as the
// stores hold them: from (and to, unless "") are local times in Cologne.
func mk(t testing.TB, id, title, venue, from, to string, edit ...func(*party.Party)) party.Party {
	t.Helper()
	p := party.Party{ID: id, ConferenceID: "gamescom2025", Title: title, Venue: venue,
		Start: at(berlin, from), Status: party.Published, Category: party.Category{Label: "Mixer"}, Version: 1}
	if to != "" {
		p.End = at(berlin, to)
	}
	for _, f := range edit {
		f(&p)
	}
	p, err := party.New(p)
	if err != nil {
		t.Fatalf("party %s: %v", id, err)
	}
	return p
}
