package importer

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// Format is the syntax of an input file.
type Format string

// The formats Parse reads. Auto sniffs the content: JSON starts with '[' or '{'.
const (
	Auto Format = ""
	CSV  Format = "csv"
	JSON Format = "json"
)

// FormatOf returns the format a file name's extension implies, or Auto.
func FormatOf(name string) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".tsv", ".txt":
		return CSV
	case ".json":
		return JSON
	}
	return Auto
}

// Layout names the column vocabulary of a row.
type Layout string

// The layouts. A row is an Export row when it has a "start" column (an
// instant), as Partyfinder's own party JSON does; the organiser spreadsheet
// uses "Date" with "Start Time" instead.
const (
	Sheet  Layout = "sheet"
	Export Layout = "export"
)

// MaxRows bounds one input, so a runaway file cannot exhaust memory.
const MaxRows = 20000

// Row is one input record as read, before any repair. Text is kept as found;
// Prepare repairs it and reports what it changed.
type Row struct {
	// Num is the 1-based data row: the first element of a JSON array, or the
	// first record after a CSV header, is row 1.
	Num int
	// Line is the line of the file a CSV record starts on (the header is
	// line 1); 0 for JSON.
	Line   int
	Layout Layout

	ID          string
	Title       string
	Description string
	Venue       string
	Address     string

	// Spreadsheet timing: a local day and clock times, or a "18:00 - 23:00" range.
	Date      string
	StartTime string
	EndTime   string
	Time      string
	// Export timing: RFC 3339 instants.
	Start string
	End   string

	Lat, Lng string

	Category string
	Hosts    string   // free text, split on commas, "&" and " x "
	HostList []string // hosts given as a JSON array, taken as they are
	Price    string
	Link     string
	Focus    string
	Tags     string   // free text, split on commas
	TagList  []string // tags given as a JSON array
	Status   string
	Active   string // "true"/"false" as given; empty when absent
	Source   string

	// Problems are reading errors that make the row unusable.
	Problems []string
	// notes are reading observations that do not (a value of an odd type).
	notes []issue
	// present lists the columns the row had. A stored party keeps the values
	// of columns the file does not have at all (a spreadsheet has no
	// coordinates or description), so enrichment done elsewhere survives a
	// re-import. nil means every column is present.
	present map[field]bool
}

// Input is a parsed file: its rows in order plus notes about the file as a whole.
type Input struct {
	Format Format
	Rows   []Row
	// Notes are file-level observations: a re-decoded encoding, ignored
	// columns, skipped empty lines.
	Notes []string
}

// field names the Row field a column fills.
type field int

const (
	fNone field = iota
	fID
	fTitle
	fDescription
	fVenue
	fAddress
	fDate
	fStartTime
	fEndTime
	fTime
	fStart
	fEnd
	fLat
	fLng
	fLocation
	fCategory
	fHosts
	fPrice
	fLink
	fFocus
	fTags
	fStatus
	fActive
	fSource
	fIgnore // known columns that carry nothing to import
)

// columns maps normalized column names (lower case, letters and digits only)
// to fields. Sheet headers and export keys share one table.
var columns = map[string]field{
	"id": fID, "eventid": fID, "rowid": fID,
	"eventname": fTitle, "event": fTitle, "name": fTitle, "title": fTitle, "eventtitle": fTitle, "partyname": fTitle,
	"description": fDescription, "details": fDescription, "notes": fDescription,
	"venue": fVenue, "venuename": fVenue, "place": fVenue,
	"address": fAddress, "addr": fAddress, "venueaddress": fAddress,
	"date": fDate, "day": fDate, "eventdate": fDate,
	"starttime": fStartTime, "begin": fStartTime, "from": fStartTime,
	"endtime": fEndTime, "until": fEndTime, "to": fEndTime,
	"time": fTime, "times": fTime, "hours": fTime,
	"start": fStart, "startsat": fStart, "startat": fStart,
	"end": fEnd, "endsat": fEnd, "endat": fEnd,
	"lat": fLat, "latitude": fLat,
	"lng": fLng, "lon": fLng, "long": fLng, "longitude": fLng,
	"location": fLocation, "coordinates": fLocation,
	"category": fCategory, "type": fCategory,
	"hosts": fHosts, "host": fHosts, "hostedby": fHosts, "organizer": fHosts, "organizers": fHosts, "organiser": fHosts, "organisers": fHosts, "hostlist": fHosts,
	"price": fPrice, "cost": fPrice, "entry": fPrice,
	"link": fLink, "url": fLink, "website": fLink, "rsvp": fLink, "registration": fLink,
	"focus": fFocus, "audience": fFocus,
	"tags":       fTags,
	"status":     fStatus,
	"active":     fActive,
	"source":     fSource,
	"uploadedat": fIgnore, "createdat": fIgnore, "updatedat": fIgnore, "version": fIgnore,
	"free": fIgnore, "conferenceid": fIgnore, "conference": fIgnore, "categorykey": fIgnore,
	"localdate": fIgnore, "geocoding": fIgnore, "enddate": fIgnore,
}

// columnKey normalizes a column header: "Start Time", "start_time" and
// "startTime" all become "starttime".
func columnKey(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Parse reads a CSV or JSON file of party rows. Every record becomes a Row,
// even one that cannot be read properly (its Problems say why), so that an
// import accounts for all of them. It fails only when the file as a whole is
// unreadable; such errors are apperr Invalid.
func Parse(r io.Reader, f Format) (Input, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20+1))
	if err != nil {
		return Input{}, fmt.Errorf("read input: %w", err)
	}
	if len(data) > 64<<20 {
		return Input{}, apperr.New(apperr.Invalid, "input is larger than 64 MiB")
	}
	var in Input
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		// Spreadsheets saved "as CSV" on Windows are often Windows-1252.
		data = []byte(decodeCP1252(data))
		in.Notes = append(in.Notes, "the file is not valid UTF-8; read it as Windows-1252 (Latin-1)")
	}
	if f == Auto {
		f = CSV
		if t := bytes.TrimLeftFunc(data, unicode.IsSpace); len(t) > 0 && (t[0] == '[' || t[0] == '{') {
			f = JSON
		}
	}
	in.Format = f
	var unknown map[string]bool
	switch f {
	case JSON:
		unknown, err = parseJSON(data, &in)
	case CSV:
		unknown, err = parseCSV(data, &in)
	default:
		return Input{}, apperr.New(apperr.Invalid, "unknown format %q (want csv or json)", f)
	}
	if err != nil {
		return Input{}, err
	}
	if len(unknown) > 0 {
		names := make([]string, 0, len(unknown))
		for n := range unknown {
			names = append(names, n)
		}
		sort.Strings(names)
		// A few names are enough to recognise the columns; a header of
		// thousands must not make the report as long.
		const listed = 10
		more := ""
		if len(names) > listed {
			more = fmt.Sprintf(" and %d more", len(names)-listed)
			names = names[:listed]
		}
		for i, n := range names {
			names[i] = strconv.Quote(shorten(n))
		}
		in.Notes = append(in.Notes, "ignored unknown column(s): "+strings.Join(names, ", ")+more)
	}
	return in, nil
}

// setter fills a Row from column values, keeping the first non-empty value
// when two columns map to one field ("Title" and "Event Name").
type setter struct {
	row     *Row
	unknown map[string]bool
	keys    map[field]bool
}

func (s *setter) set(name string, v string) {
	fl, ok := columns[columnKey(name)]
	if !ok {
		if strings.TrimSpace(name) != "" {
			s.unknown[name] = true
		}
		return
	}
	s.keys[fl] = true
	r := s.row
	var dst *string
	switch fl {
	case fID:
		dst = &r.ID
	case fTitle:
		dst = &r.Title
	case fDescription:
		dst = &r.Description
	case fVenue:
		dst = &r.Venue
	case fAddress, fLocation: // a text "location" is an address
		dst = &r.Address
	case fDate:
		dst = &r.Date
	case fStartTime:
		dst = &r.StartTime
	case fEndTime:
		dst = &r.EndTime
	case fTime:
		dst = &r.Time
	case fStart:
		dst = &r.Start
	case fEnd:
		dst = &r.End
	case fLat:
		dst = &r.Lat
	case fLng:
		dst = &r.Lng
	case fCategory:
		dst = &r.Category
	case fHosts:
		dst = &r.Hosts
	case fPrice:
		dst = &r.Price
	case fLink:
		dst = &r.Link
	case fFocus:
		dst = &r.Focus
	case fTags:
		dst = &r.Tags
	case fStatus:
		dst = &r.Status
	case fActive:
		dst = &r.Active
	case fSource:
		dst = &r.Source
	default:
		return
	}
	if strings.TrimSpace(*dst) == "" {
		*dst = v
	}
}

func (s *setter) finish() {
	s.row.present = s.keys
	if s.keys[fStart] || s.keys[fEnd] {
		s.row.Layout = Export
	} else {
		s.row.Layout = Sheet
	}
}

func parseCSV(data []byte, in *Input) (map[string]bool, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sniffDelimiter(data)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, apperr.New(apperr.Invalid, "the CSV file is empty")
	}
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "the CSV header cannot be read: %v", err)
	}
	known := 0
	for _, h := range header {
		if _, ok := columns[columnKey(h)]; ok {
			known++
		}
	}
	if known == 0 {
		return nil, apperr.New(apperr.Invalid, "the CSV header names no known column (want e.g. \"Event Name\", \"Date\", \"Start Time\" or title, start)")
	}
	unknown := map[string]bool{}
	empty := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			// A broken record is reported as a row, not a fatal error: the
			// rest of the file may be fine.
			row := Row{Num: len(in.Rows) + 1, Line: line, Layout: Sheet}
			row.Problems = append(row.Problems, fmt.Sprintf("the CSV record cannot be read: %v", err))
			in.Rows = append(in.Rows, row)
			continue
		}
		if blank(rec) {
			empty++
			continue
		}
		if len(in.Rows) >= MaxRows {
			return nil, apperr.New(apperr.Invalid, "the file has more than %d rows", MaxRows)
		}
		row := Row{Num: len(in.Rows) + 1, Line: line}
		s := setter{row: &row, unknown: unknown, keys: map[field]bool{}}
		var beyond []string
		for i, v := range rec {
			if i < len(header) {
				s.set(header[i], v)
			} else if strings.TrimSpace(v) != "" {
				beyond = append(beyond, v)
			}
		}
		switch len(beyond) {
		case 0:
		case 1:
			row.notes = append(row.notes, issuef(codeReading, "", "ignored value %q beyond the last column", beyond[0]))
		default:
			row.notes = append(row.notes, issuef(codeReading, "", "ignored %d values beyond the last column, the first %q", len(beyond), beyond[0]))
		}
		s.finish()
		in.Rows = append(in.Rows, row)
	}
	if empty > 0 {
		in.Notes = append(in.Notes, fmt.Sprintf("skipped %d empty line(s)", empty))
	}
	return unknown, nil
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// sniffDelimiter picks the separator of the header line: comma, semicolon
// (German spreadsheet exports) or tab.
func sniffDelimiter(data []byte) rune {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	best, n := ',', bytes.Count(line, []byte(","))
	for _, c := range []rune{';', '\t'} {
		if k := bytes.Count(line, []byte(string(c))); k > n {
			best, n = c, k
		}
	}
	return best
}

func parseJSON(data []byte, in *Input) (map[string]bool, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return nil, apperr.New(apperr.Invalid, "the JSON cannot be read: %v", err)
	}
	if err := endOfJSON(dec); err != nil {
		return nil, apperr.New(apperr.Invalid, "%v", err)
	}
	var items []any
	switch t := top.(type) {
	case []any:
		items = t
	case map[string]any:
		for _, k := range []string{"data", "parties", "rows", "events", "items"} {
			if a, ok := t[k].([]any); ok {
				items = a
				break
			}
		}
		if items == nil {
			return nil, apperr.New(apperr.Invalid, `the JSON object has no "data" array of rows`)
		}
	default:
		return nil, apperr.New(apperr.Invalid, `the JSON must be an array of rows or {"data": [...]}`)
	}
	if len(items) > MaxRows {
		return nil, apperr.New(apperr.Invalid, "the file has more than %d rows", MaxRows)
	}
	unknown := map[string]bool{}
	for i, it := range items {
		row := Row{Num: i + 1, Layout: Sheet}
		obj, ok := it.(map[string]any)
		if !ok {
			row.Problems = append(row.Problems, fmt.Sprintf("the row is a JSON %s, not an object", jsonKind(it)))
			in.Rows = append(in.Rows, row)
			continue
		}
		s := setter{row: &row, unknown: unknown, keys: map[field]bool{}}
		// Sorted keys make the first-non-empty rule deterministic.
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			setJSON(&s, k, obj[k])
		}
		s.finish()
		in.Rows = append(in.Rows, row)
	}
	return unknown, nil
}

// endOfJSON fails when anything but white space follows the document dec
// has read: a second document, or text after it. Such a file is broken or
// was put together by mistake, and importing only its first part would
// lose the rest without a word.
func endOfJSON(dec *json.Decoder) error {
	off := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("the file has more data after the JSON document (at byte %d); give one array of rows or one {\"data\": [...]} object", off)
	}
	return nil
}

// setJSON fills one field from a JSON value of any type.
func setJSON(s *setter, key string, v any) {
	fl := columns[columnKey(key)]
	switch t := v.(type) {
	case nil:
		s.set(key, "")
	case string:
		s.set(key, t)
	case json.Number:
		s.set(key, t.String())
	case bool:
		s.set(key, strconv.FormatBool(t))
	case []any:
		list := make([]string, 0, len(t))
		for _, e := range t {
			if str, ok := scalar(e); ok {
				list = append(list, str)
			}
		}
		switch fl {
		case fHosts:
			s.keys[fHosts] = true
			s.row.HostList = append(s.row.HostList, list...)
		case fTags:
			s.keys[fTags] = true
			s.row.TagList = append(s.row.TagList, list...)
		default:
			s.set(key, strings.Join(list, ", "))
		}
	case map[string]any:
		switch fl {
		case fCategory: // {"key": "exec-social", "label": "Exec Social"}
			label, _ := scalar(t["label"])
			if label == "" {
				label, _ = scalar(t["key"])
			}
			s.set(key, label)
		case fLocation: // {"lat": 50.9, "lng": 6.9}
			s.keys[fLocation] = true
			for k, e := range t {
				if str, ok := scalar(e); ok {
					switch columns[columnKey(k)] {
					case fLat:
						s.set("lat", str)
					case fLng:
						s.set("lng", str)
					}
				}
			}
		case fNone:
			s.set(key, "") // records the unknown column
		case fIgnore:
		default:
			s.row.notes = append(s.row.notes, issuef(codeReading, key, "ignored an object where text was expected"))
		}
	}
}

func scalar(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return "value"
}
