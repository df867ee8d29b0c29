package frab_test

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/partyfinder/partyfinder/shared/frab"
	"github.com/partyfinder/partyfinder/shared/party"
)

// TestValidatorsRefuse checks the checks: documents broken the ways an
// encoder could break them must fail validation, or the validity tests
// prove nothing.
func TestValidatorsRefuse(t *testing.T) {
	ps := []party.Party{
		mk(t, "a", "A", "Bar", "2025-08-20 18:00", "2025-08-20 20:00"),
		mk(t, "b", "B", "Bar", "2025-08-20 19:00", "2025-08-20 21:00"),
	}
	s, err := frab.New(gamescom(), ps, frab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x, j := s.AppendXML(nil), s.AppendJSON(nil)
	idA, idB := []byte(`id="`+itoa(frab.EventID("a"))+`"`), []byte(`id="`+itoa(frab.EventID("b"))+`"`)
	xmlCases := []struct{ name, from, to string }{
		{"two events with one id", string(idB), string(idA)},
		{"an id of 0", string(idA), `id="0"`},
		{"a date without offset", "<date>2025-08-20T18:00:00+02:00</date>", "<date>2025-08-20T18:00:00</date>"},
		{"a duration of hours and words", "<duration>02:00</duration>", "<duration>2 hours</duration>"},
		{"an event without a room", "<room>Bar</room>", ""},
		{"a slug whose first part is short", "<slug>gamescom2025-", "<slug>gc-"},
		{"an unknown element", "<type>party</type>", "<type>party</type><status>cancelled</status>"},
	}
	for _, tt := range xmlCases {
		t.Run("xml/"+tt.name, func(t *testing.T) {
			broken := bytes.Replace(x, []byte(tt.from), []byte(tt.to), 1)
			if bytes.Equal(broken, x) {
				t.Fatalf("%q is not in the document", tt.from)
			}
			if xmlSchemaErr(t, broken) == nil {
				t.Error("validates")
			}
		})
	}
	jsonCases := []struct{ name, from, to string }{
		{"an id of 0", `"id":` + itoa(frab.EventID("a")), `"id":0`},
		{"a date that is no date-time", `"date":"2025-08-20T18:00:00+02:00"`, `"date":"2025-08-20 18:00"`},
		{"an event without a guid", `"guid":"` + frab.EventGUID("a") + `",`, ""},
		{"a url that is not absolute", `"url":"urn:uuid:` + frab.EventGUID("a") + `"`, `"url":"/parties/a"`},
		{"an acronym with a dash", `"acronym":"gamescom2025"`, `"acronym":"gamescom-2025"`},
		{"a status field", `"type":"party",`, `"type":"party","status":"cancelled",`},
		{"a person with both shapes", `"persons":[]`, `"persons":[{"name":"X","public_name":"X","id":1}]`},
	}
	for _, tt := range jsonCases {
		t.Run("json/"+tt.name, func(t *testing.T) {
			broken := bytes.Replace(j, []byte(tt.from), []byte(tt.to), 1)
			if bytes.Equal(broken, j) {
				t.Fatalf("%q is not in the document", tt.from)
			}
			if jsonSchemaErr(t, broken) == nil {
				t.Error("validates")
			}
		})
	}
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
