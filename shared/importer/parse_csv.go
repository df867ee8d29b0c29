package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

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
