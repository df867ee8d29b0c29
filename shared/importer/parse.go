package importer

import (
	"bytes"
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
