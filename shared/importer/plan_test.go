package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/demo/realdata"
	"github.com/partyfinder/partyfinder/shared/party"
)

var (
	berlin  = mustZone("Europe/Berlin")
	testNow = time.Date(2025, 8, 6, 12, 0, 0, 0, time.UTC)
	gc2025  = conference.Conference{ID: "gamescom2025", Name: "Gamescom 2025", City: "Cologne", TimeZone: "Europe/Berlin", FirstDay: "2025-08-17", LastDay: "2025-08-23"}
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// local returns a Europe/Berlin wall-clock instant.
func local(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
	if err != nil {
		panic(err)
	}
	return t
}

func parseFile(t *testing.T, path string) Input {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := Parse(f, FormatOf(path))
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	return in
}

func prepare(t *testing.T, conf conference.Conference, existing []party.Party, in Input, opts Options) Plan {
	t.Helper()
	plan, err := Prepare(conf, false, existing, in, opts, testNow)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	checkAccounting(t, plan.Report)
	return plan
}

// checkAccounting asserts that every row is accounted for exactly once.
func checkAccounting(t *testing.T, r Report) {
	t.Helper()
	if r.Total != len(r.Rows) || r.Total != r.Accepted+r.Rejected || r.Accepted != r.Created+r.Updated+r.Unchanged {
		t.Errorf("report does not add up: total %d, rows %d, accepted %d, rejected %d, created %d, updated %d, unchanged %d",
			r.Total, len(r.Rows), r.Accepted, r.Rejected, r.Created, r.Updated, r.Unchanged)
	}
	warn := 0
	for i, row := range r.Rows {
		if row.Row != i+1 {
			t.Errorf("report row %d has number %d", i+1, row.Row)
		}
		if row.Status == StatusWarning {
			warn++
		}
		if (row.Status == StatusRejected) != (len(row.Errors) > 0) {
			t.Errorf("row %d: status %s with errors %v", row.Row, row.Status, row.Errors)
		}
		if row.Status == StatusWarning && len(row.Warnings) == 0 || row.Status == StatusAccepted && len(row.Warnings) > 0 {
			t.Errorf("row %d: status %s with warnings %v", row.Row, row.Status, row.Warnings)
		}
	}
	if warn != r.WithWarnings {
		t.Errorf("withWarnings = %d, rows with warnings %d", r.WithWarnings, warn)
	}
}

// partyOf returns the party written for a report row.
func partyOf(plan Plan, row RowReport) (party.Party, bool) {
	for _, p := range plan.Writes {
		if p.ID == row.ID {
			return p, true
		}
	}
	return party.Party{}, false
}

func TestPrepareMessySheet(t *testing.T) {
	plan := prepare(t, gc2025, nil, parseFile(t, "testdata/messy-sheet.json"), Options{})
	sheetID := func(key string) string { return party.ImportID("gamescom2025", "gamescom-sheets", key) }

	tests := []struct {
		row    int
		name   string
		status string
		kinds  []string // warning kinds the row must have (all of them, in any order)
		err    string   // text one error must contain
		check  func(t *testing.T, p party.Party)
	}{
		{1, "clean row", StatusAccepted, nil, "", func(t *testing.T, p party.Party) {
			want(t, "id", p.ID, sheetID("clean-1"))
			wantTime(t, "start", p.Start, local("2025-08-20 18:00"))
			wantTime(t, "end", p.End, local("2025-08-20 23:00"))
			want(t, "venue", p.Venue, "Rheinloft Cologne")
			want(t, "address", p.Address, "Rheinloft Cologne, Frankenwerft 35, 50667, Germany")
			want(t, "hosts", strings.Join(p.Hosts, "|"), "Beam|Avalanche")
			want(t, "status", string(p.Status), "published")
			want(t, "source", p.Source, "gamescom-sheets")
			want(t, "category", p.Category.Key, "mixer")
			if !p.Free || p.Version != 1 || !p.CreatedAt.Equal(testNow) || !p.UpdatedAt.Equal(testNow) {
				t.Errorf("new party bookkeeping: free %v version %d created %v updated %v", p.Free, p.Version, p.CreatedAt, p.UpdatedAt)
			}
		}},
		{2, "times only in the Time column, 1900", StatusWarning, []string{codeClockFormat}, "", func(t *testing.T, p party.Party) {
			wantTime(t, "start", p.Start, local("2025-08-20 09:00"))
			wantTime(t, "end", p.End, local("2025-08-20 19:00"))
		}},
		{3, "7pm and 10:30 pm", StatusWarning, []string{codeClockFormat}, "", func(t *testing.T, p party.Party) {
			wantTime(t, "start", p.Start, local("2025-08-20 19:00"))
			wantTime(t, "end", p.End, local("2025-08-20 22:30"))
		}},
		{4, "19:30 Uhr and 2300", StatusWarning, []string{codeClockFormat}, "", func(t *testing.T, p party.Party) {
			wantTime(t, "start", p.Start, local("2025-08-20 19:30"))
			wantTime(t, "end", p.End, local("2025-08-20 23:00"))
		}},
		{5, "evening party past midnight is normal", StatusAccepted, nil, "", func(t *testing.T, p party.Party) {
			wantTime(t, "end", p.End, local("2025-08-22 02:00"))
		}},
		{6, "12:30 - 2:00 ends next day, with a warning", StatusWarning, []string{codeLongNight}, "", func(t *testing.T, p party.Party) {
			wantTime(t, "start", p.Start, local("2025-08-22 12:30"))
			wantTime(t, "end", p.End, local("2025-08-23 02:00"))
		}},
		{7, "20:00 - 00:00 ends at midnight", StatusAccepted, nil, "", func(t *testing.T, p party.Party) {
			wantTime(t, "end", p.End, local("2025-08-20 00:00"))
		}},
		{8, "23:59 means midnight", StatusWarning, []string{codeMidnight}, "", func(t *testing.T, p party.Party) {
			wantTime(t, "end", p.End, local("2025-08-21 00:00"))
		}},
		{9, "placeholders become empty", StatusWarning, []string{codePlaceholder}, "", func(t *testing.T, p party.Party) {
			want(t, "address", p.Address, "")
			want(t, "venue", p.Venue, "")
			want(t, "price", p.Price, "")
			want(t, "focus", p.Focus, "")
			want(t, "link", p.Link, "")
			want(t, "category", p.Category.Label, "Other")
		}},
		{10, "mojibake repaired", StatusWarning, []string{codeEncoding}, "", func(t *testing.T, p party.Party) {
			want(t, "title", p.Title, "Köln Kick-Off – Day 1")
			want(t, "address", p.Address, "Löwenbräu, Frankenwerft 21, 50667 Köln")
			want(t, "venue", p.Venue, "Löwenbräu")
		}},
		{11, "ambiguous mojibake left alone", StatusWarning, []string{codeEncodingLeft}, "", func(t *testing.T, p party.Party) {
			want(t, "title", p.Title, "Café Ã¶ Night")
		}},
		{12, "stray white space is cleaned silently", StatusAccepted, nil, "", func(t *testing.T, p party.Party) {
			want(t, "title", p.Title, "Spacey Party")
			want(t, "hosts", strings.Join(p.Hosts, "|"), "Alpha|Beta")
			want(t, "price", p.Price, "From £5")
			wantTime(t, "start", p.Start, local("2025-08-20 18:00"))
		}},
		{13, "hosts split on , & x ;", StatusAccepted, nil, "", func(t *testing.T, p party.Party) {
			want(t, "hosts", strings.Join(p.Hosts, "|"), "Meta|HTC|Valve|Sony|Nintendo")
		}},
		{14, "link without scheme", StatusWarning, []string{codeLinkScheme}, "", func(t *testing.T, p party.Party) {
			want(t, "link", p.Link, "https://lu.ma/x")
		}},
		{15, "mailto link dropped", StatusWarning, []string{codeLinkDropped}, "", func(t *testing.T, p party.Party) {
			want(t, "link", p.Link, "")
		}},
		{16, "javascript link dropped", StatusWarning, []string{codeLinkDropped}, "", func(t *testing.T, p party.Party) {
			want(t, "link", p.Link, "")
		}},
		{17, "multi-day event, day 1", StatusAccepted, nil, "", func(t *testing.T, p party.Party) {
			want(t, "id", p.ID, sheetID("hack-mon"))
			want(t, "day", p.LocalDate(berlin), "2025-08-18")
		}},
		{18, "multi-day event, day 2 is its own party", StatusAccepted, nil, "", func(t *testing.T, p party.Party) {
			want(t, "id", p.ID, sheetID("hack-tue"))
			want(t, "day", p.LocalDate(berlin), "2025-08-19")
		}},
		{19, "weekday does not match the year", StatusWarning, []string{codeWeekday}, "", func(t *testing.T, p party.Party) {
			want(t, "day", p.LocalDate(berlin), "2025-08-20")
		}},
		{20, "no title", StatusRejected, nil, "title: is required", nil},
		{21, "placeholder title", StatusRejected, []string{codePlaceholder}, "title: is required", nil},
		{22, "unparseable date", StatusRejected, nil, "date:", nil},
		{23, "no start time", StatusRejected, nil, "start time: is required", nil},
		{24, "unparseable start", StatusRejected, nil, `start time: "late"`, nil},
		{25, "second row with the same id", StatusRejected, nil, "duplicate of row 1", nil},
		{26, "same title and day as row 1", StatusWarning, []string{codeLikelyDup}, "", func(t *testing.T, p party.Party) {
			want(t, "venue", p.Venue, "") // the address starts with a street
		}},
		{27, "inactive row is imported as cancelled", StatusWarning, []string{codeInactive}, "", func(t *testing.T, p party.Party) {
			want(t, "status", string(p.Status), "cancelled")
		}},
		{28, "unparseable end is left open", StatusWarning, []string{codeEndDropped}, "", func(t *testing.T, p party.Party) {
			if !p.End.IsZero() {
				t.Errorf("end = %v, want open", p.End)
			}
		}},
		{29, "Time column disagrees with Start Time", StatusWarning, []string{codeTimeMismatch}, "", func(t *testing.T, p party.Party) {
			wantTime(t, "start", p.Start, local("2025-08-20 18:00"))
		}},
		{30, "HTML entities decoded", StatusWarning, []string{codeEntity}, "", func(t *testing.T, p party.Party) {
			want(t, "title", p.Title, "Rock & Roll")
		}},
		{31, "not an object", StatusRejected, nil, "not an object", nil},
		{32, "no id: key from title, day and start", StatusAccepted, nil, "", func(t *testing.T, p party.Party) {
			want(t, "id", p.ID, sheetID("no id party|2025-08-22 18:00"))
		}},
		{33, "damaged ß in a street", StatusWarning, []string{codeStreet}, "", func(t *testing.T, p party.Party) {
			want(t, "address", p.Address, "Turiner Straße 9, cologne, germany")
		}},
	}
	if len(plan.Report.Rows) != len(tests) {
		t.Fatalf("report has %d rows, the fixture %d", len(plan.Report.Rows), len(tests))
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("row %d %s", tt.row, tt.name), func(t *testing.T) {
			row := plan.Report.Rows[tt.row-1]
			if row.Status != tt.status {
				t.Errorf("status %s, want %s (warnings %v, errors %v)", row.Status, tt.status, row.Warnings, row.Errors)
			}
			for _, k := range tt.kinds {
				if !slices.Contains(row.Kinds, k) {
					t.Errorf("warning kinds %v lack %s (%v)", row.Kinds, k, row.Warnings)
				}
			}
			if tt.err != "" && !slices.ContainsFunc(row.Errors, func(e string) bool { return strings.Contains(e, tt.err) }) {
				t.Errorf("errors %v, want one containing %q", row.Errors, tt.err)
			}
			p, written := partyOf(plan, row)
			if tt.status == StatusRejected {
				// A duplicate shares its id with the row that was written.
				if written && p.Title == row.Title {
					t.Fatalf("a rejected row was written: %+v", p)
				}
				return
			}
			if !written {
				t.Fatalf("the %s row was not written", tt.status)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
	r := plan.Report
	if r.Total != 33 || r.Rejected != 7 || r.Created != 26 || len(plan.Writes) != 26 {
		t.Errorf("total %d rejected %d created %d writes %d; want 33, 7, 26, 26", r.Total, r.Rejected, r.Created, len(plan.Writes))
	}
}

func TestPrepareMessyCSV(t *testing.T) {
	in := parseFile(t, "testdata/messy-sheet.csv")
	if !slices.ContainsFunc(in.Notes, func(n string) bool { return strings.Contains(n, "skipped 1 empty line") }) {
		t.Errorf("notes %v should mention the skipped empty line", in.Notes)
	}
	plan := prepare(t, gc2025, nil, in, Options{})
	rows := plan.Report.Rows
	if len(rows) != 7 {
		t.Fatalf("got %d rows, want 7", len(rows))
	}
	wantLines := []int{2, 3, 5, 6, 7, 8, 10}
	for i, r := range rows {
		if r.Line != wantLines[i] {
			t.Errorf("row %d is on line %d, want %d", r.Row, r.Line, wantLines[i])
		}
	}
	get := func(i int) party.Party {
		t.Helper()
		p, ok := partyOf(plan, rows[i-1])
		if !ok {
			t.Fatalf("row %d not written: %+v", i, rows[i-1])
		}
		return p
	}
	// Row 1: ISO date; "2h" in Time is a duration and the end is given anyway.
	wantTime(t, "row 1 end", get(1).End, local("2025-08-21 12:00"))
	if rows[0].Status != StatusAccepted {
		t.Errorf("row 1: %s %v", rows[0].Status, rows[0].Warnings)
	}
	// Row 2: dotted date; no end, so the "1.5h" duration gives one.
	wantTime(t, "row 2 end", get(2).End, local("2025-08-21 15:30"))
	want(t, "row 2 price", get(2).Price, "€25")
	// Row 3: "22.08." without a year, 19.30, quoted comma title, link without scheme.
	p3 := get(3)
	want(t, "row 3 title", p3.Title, "Quoted, Title")
	wantTime(t, "row 3 start", p3.Start, local("2025-08-22 19:30"))
	want(t, "row 3 link", p3.Link, "https://www.example.com/x")
	want(t, "row 3 hosts", strings.Join(p3.Hosts, "|"), "A|B")
	want(t, "row 3 venue", p3.Venue, "Hall 2")
	// Row 4: unambiguous US date.
	want(t, "row 4 day", get(4).LocalDate(berlin), "2025-08-23")
	// Row 5: 08/07 could be either order.
	if rows[4].Status != StatusRejected || !strings.Contains(strings.Join(rows[4].Errors, ";"), "ambiguous") {
		t.Errorf("row 5: %s %v, want rejected as ambiguous", rows[4].Status, rows[4].Errors)
	}
	// Row 6: a quoted line break inside the title.
	want(t, "row 6 title", get(6).Title, "Multi Line Title")
	// Row 7: a value beyond the header is reported, the row kept.
	if rows[6].Status != StatusWarning || !slices.Contains(rows[6].Kinds, codeReading) {
		t.Errorf("row 7: %s %v, want a warning about the extra value", rows[6].Status, rows[6].Warnings)
	}
}

func TestParseWindows1252(t *testing.T) {
	in := parseFile(t, "testdata/latin1.csv")
	if len(in.Notes) == 0 || !strings.Contains(in.Notes[0], "Windows-1252") {
		t.Errorf("notes %v should say the file was re-decoded", in.Notes)
	}
	plan := prepare(t, gc2025, nil, in, Options{})
	if len(plan.Writes) != 1 {
		t.Fatalf("writes %d, report %+v", len(plan.Writes), plan.Report.Rows)
	}
	p := plan.Writes[0]
	want(t, "title", p.Title, "Köln Party")
	want(t, "price", p.Price, "€20")
	want(t, "address", p.Address, "Straße 1, Köln")
	want(t, "source", p.Source, DefaultSource)
}

func TestParseRejectsUnreadableFiles(t *testing.T) {
	for name, body := range map[string]string{
		"broken JSON":               `[{"Event Name": "x"`,
		"JSON scalar":               `"hello"`,
		"JSON object without rows":  `{"meta": 1}`,
		"CSV without known columns": "foo,bar\n1,2\n",
		"empty CSV":                 "",
	} {
		if _, err := Parse(strings.NewReader(body), Auto); err == nil {
			t.Errorf("%s: Parse succeeded", name)
		}
	}
}

func TestPrepareIsIdempotent(t *testing.T) {
	in := parseFile(t, "testdata/messy-sheet.json")
	first := prepare(t, gc2025, nil, in, Options{})
	later := testNow.Add(time.Hour)
	second, err := Prepare(gc2025, false, first.Writes, in, Options{Prune: true}, later)
	if err != nil {
		t.Fatal(err)
	}
	r := second.Report
	if len(second.Writes) != 0 || r.Created != 0 || r.Updated != 0 || r.Cancelled != 0 || r.Unchanged != first.Report.Accepted {
		t.Errorf("second import: writes %d, created %d, updated %d, cancelled %d, unchanged %d (accepted %d)",
			len(second.Writes), r.Created, r.Updated, r.Cancelled, r.Unchanged, first.Report.Accepted)
	}
}

func TestPrepareUpdatesChangedParty(t *testing.T) {
	in := parseFile(t, "testdata/messy-sheet.json")
	first := prepare(t, gc2025, nil, in, Options{})
	stored := slices.Clone(first.Writes)
	stored[0].Title = "Old Title"
	stored[0].Version = 4
	created := testNow.Add(-48 * time.Hour)
	stored[0].CreatedAt = created
	later := testNow.Add(time.Hour)
	plan, err := Prepare(gc2025, false, stored, in, Options{}, later)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Writes) != 1 || plan.Report.Updated != 1 {
		t.Fatalf("writes %d, updated %d; want just the changed party", len(plan.Writes), plan.Report.Updated)
	}
	p := plan.Writes[0]
	if p.Title != "Clean Mixer" || p.Version != 5 || !p.CreatedAt.Equal(created) || !p.UpdatedAt.Equal(later) {
		t.Errorf("updated party: title %q version %d created %v updated %v", p.Title, p.Version, p.CreatedAt, p.UpdatedAt)
	}
	if plan.Report.Rows[0].Action != ActionUpdated {
		t.Errorf("action %q", plan.Report.Rows[0].Action)
	}
}

func TestPrepareKeepsWhatTheFileCannotSay(t *testing.T) {
	// The spreadsheet has no coordinates, description or tags: values set
	// elsewhere (geocoding, an editor) survive a re-import.
	in := parseFile(t, "testdata/messy-sheet.json")
	first := prepare(t, gc2025, nil, in, Options{})
	stored := slices.Clone(first.Writes)
	stored[0].Location = &party.Point{Lat: 50.9392807, Lng: 6.9621832}
	stored[0].Description = "Rooftop with a view."
	stored[0].Tags = []string{"rooftop"}
	plan, err := Prepare(gc2025, false, stored, in, Options{}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Writes) != 0 {
		t.Errorf("re-import rewrote %d parties: %+v", len(plan.Writes), plan.Writes[0])
	}
}

func TestPruneCancelsMissingAndRepublishes(t *testing.T) {
	in := parseFile(t, "testdata/messy-sheet.json")
	first := prepare(t, gc2025, nil, in, Options{})
	stored := slices.Clone(first.Writes)
	gone := stored[1]
	gone.ID, gone.Title = "gamescom2025-gone", "Gone Party"
	draft := gone
	draft.ID, draft.Status = "gamescom2025-draft", party.Draft
	other := gone
	other.ID, other.Source = "gamescom2025-other", "organizer"
	stored[0].Status, stored[0].Version = party.Cancelled, 2 // cancelled by an earlier prune, back in the file
	stored = append(stored, gone, draft, other)

	plan, err := Prepare(gc2025, false, stored, in, Options{Prune: true}, testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	r := plan.Report
	if r.Cancelled != 1 || len(r.Pruned) != 1 || r.Pruned[0].ID != gone.ID {
		t.Errorf("cancelled %d, pruned %+v; want only %s", r.Cancelled, r.Pruned, gone.ID)
	}
	if r.Updated != 1 || r.Rows[0].Action != ActionRepublished {
		t.Errorf("updated %d, row 1 action %q; want the cancelled party republished", r.Updated, r.Rows[0].Action)
	}
	byID := map[string]party.Party{}
	for _, p := range plan.Writes {
		byID[p.ID] = p
	}
	if p := byID[gone.ID]; p.Status != party.Cancelled || p.Version != gone.Version+1 {
		t.Errorf("pruned party: status %s version %d", p.Status, p.Version)
	}
	if p := byID[stored[0].ID]; p.Status != party.Published || p.Version != 3 {
		t.Errorf("republished party: status %s version %d", p.Status, p.Version)
	}
	if _, ok := byID[draft.ID]; ok {
		t.Error("prune touched a draft")
	}
	if _, ok := byID[other.ID]; ok {
		t.Error("prune touched a party of another source")
	}
	if len(plan.Writes) != 2 {
		t.Errorf("writes %d, want 2", len(plan.Writes))
	}

	// Without --prune nothing is cancelled.
	plan, _ = Prepare(gc2025, false, stored, in, Options{}, testNow)
	if plan.Report.Cancelled != 0 {
		t.Errorf("cancelled %d without prune", plan.Report.Cancelled)
	}
}

func TestPruneKeepsPartiesOfRejectedRows(t *testing.T) {
	// A party whose row is broken today is not gone: prune leaves it alone.
	in := parseFile(t, "testdata/messy-sheet.json")
	first := prepare(t, gc2025, nil, in, Options{})
	stored := slices.Clone(first.Writes)
	broken := stored[0]
	broken.ID = party.ImportID("gamescom2025", "gamescom-sheets", "bad-date") // row 22 fails to parse
	stored = append(stored, broken)
	plan, err := Prepare(gc2025, false, stored, in, Options{Prune: true}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Report.Cancelled != 0 {
		t.Errorf("pruned %+v", plan.Report.Pruned)
	}
}

func TestPruneRefusesAFileWithoutAcceptedRows(t *testing.T) {
	for name, body := range map[string]string{
		"no rows":            `[]`,
		"only rejected rows": `[{"Event Name": "", "Date": "Wed Aug 20", "Start Time": "18:00"}]`,
	} {
		in, err := Parse(strings.NewReader(body), JSON)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Prepare(gc2025, false, nil, in, Options{Prune: true}, testNow); err == nil {
			t.Errorf("%s: prune was not refused", name)
		}
	}
}

func TestSourceOption(t *testing.T) {
	in := parseFile(t, "testdata/messy-sheet.json")
	plan := prepare(t, gc2025, nil, in, Options{Source: "manual"})
	p := plan.Writes[0]
	if p.Source != "manual" || p.ID != party.ImportID("gamescom2025", "manual", "clean-1") {
		t.Errorf("source %q id %q", p.Source, p.ID)
	}
}

func TestPrepareNewConference(t *testing.T) {
	in := parseFile(t, "testdata/messy-sheet.json")
	c := conference.Conference{ID: "gamescom2025", Name: "Gamescom 2025", City: "Cologne", TimeZone: "Europe/Berlin"}
	plan, err := Prepare(c, true, nil, in, Options{}, time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !plan.NewConference || plan.Conference.FirstDay != "2025-08-18" || plan.Conference.LastDay != "2025-08-22" {
		t.Errorf("conference %+v, want days 2025-08-18 to 2025-08-22 from the parties", plan.Conference)
	}
	notes := strings.Join(plan.Report.Notes, "\n")
	// Years ago, the weekdays (and the conference id) still say 2025.
	if !strings.Contains(notes, "read as 2025, the year in which the weekdays of the most dates match (29 of 30") || !strings.Contains(notes, "derived from the parties") {
		t.Errorf("notes %q", notes)
	}

	// Given days win, and the year comes from them.
	c.ID, c.FirstDay, c.LastDay = "gc-next", "2026-08-25", "2026-08-30"
	plan, err = Prepare(c, true, nil, in, Options{}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Conference.FirstDay != "2026-08-25" {
		t.Errorf("first day %s", plan.Conference.FirstDay)
	}
	if p := plan.Writes[0]; p.LocalDate(berlin) != "2026-08-20" {
		t.Errorf("Wed Aug 20 near 2026-08-25 read as %s", p.LocalDate(berlin))
	}
	if plan.Report.WarningKinds[codeOutsideDays] == 0 || plan.Report.WarningKinds[codeWeekday] == 0 {
		t.Errorf("dates before the given days and wrong weekdays for 2026 should warn: %v", plan.Report.WarningKinds)
	}
}

func TestPrepareRejectsBadConferenceSetup(t *testing.T) {
	in := parseFile(t, "testdata/messy-sheet.json")
	for name, c := range map[string]conference.Conference{
		"no time zone":      {ID: "x2025", Name: "X", City: "Y"},
		"invalid time zone": {ID: "x2025", Name: "X", City: "Y", TimeZone: "Europe/Cologne"},
		"bad first day":     {ID: "x2025", Name: "X", City: "Y", TimeZone: "Europe/Berlin", FirstDay: "20.08.2025"},
	} {
		if _, err := Prepare(c, true, nil, in, Options{}, testNow); err == nil {
			t.Errorf("%s: Prepare succeeded", name)
		}
	}
	none, _ := Parse(strings.NewReader(`[{"Event Name": ""}]`), JSON)
	c := conference.Conference{ID: "x2025", Name: "X", City: "Y", TimeZone: "Europe/Berlin"}
	if _, err := Prepare(c, true, nil, none, Options{}, testNow); err == nil {
		t.Error("a new conference without days and without accepted rows was accepted")
	}
}

func TestPrepareExport(t *testing.T) {
	plan := prepare(t, gc2025, nil, parseFile(t, "testdata/export.json"), Options{})
	rows := plan.Report.Rows
	get := func(i int) party.Party {
		t.Helper()
		p, ok := partyOf(plan, rows[i-1])
		if !ok {
			t.Fatalf("row %d not written: %+v", i, rows[i-1])
		}
		return p
	}
	p := get(1)
	want(t, "id", p.ID, "rooftop-launch") // export ids are kept
	want(t, "hosts", strings.Join(p.Hosts, "|"), "Singular|Johnson & Johnson")
	want(t, "tags", strings.Join(p.Tags, "|"), "rooftop|drinks")
	want(t, "description", p.Description, "Drinks on the roof.\nBring your badge.")
	want(t, "venue", p.Venue, "rooftop58")
	want(t, "source", p.Source, "organizer")
	wantTime(t, "end", p.End, local("2025-08-20 00:00"))
	if p.Location == nil || p.Location.Lat != 50.9384 {
		t.Errorf("location %v", p.Location)
	}
	if rows[0].Status != StatusAccepted {
		t.Errorf("row 1: %s %v", rows[0].Status, rows[0].Warnings)
	}
	want(t, "status", string(get(2).Status), "cancelled")
	if rows[2].Status != StatusWarning || get(3).ID != party.ImportID("gamescom2025", "organizer", "bad id!") {
		t.Errorf("row 3: %s %v id %s", rows[2].Status, rows[2].Warnings, get(3).ID)
	}
	wantTime(t, "no offset start", get(4).Start, local("2025-08-22 18:00"))
	if !slices.Contains(rows[3].Kinds, codeNoOffset) {
		t.Errorf("row 4 kinds %v", rows[3].Kinds)
	}
	if !get(5).End.IsZero() || !slices.Contains(rows[4].Kinds, codeEndDropped) {
		t.Errorf("row 5: end %v kinds %v", get(5).End, rows[4].Kinds)
	}
	if get(6).Location != nil || !slices.Contains(rows[5].Kinds, codeLocation) {
		t.Errorf("row 6: location %v kinds %v", get(6).Location, rows[5].Kinds)
	}
}

func TestPrepareRejectsIDsOfOtherConferences(t *testing.T) {
	in := parseFile(t, "testdata/export.json")
	first := prepare(t, gc2025, nil, in, Options{})
	elsewhere := first.Writes[0]
	elsewhere.ConferenceID = "gamescom2024"
	plan := prepare(t, gc2025, []party.Party{elsewhere}, in, Options{})
	row := plan.Report.Rows[0]
	if row.Status != StatusRejected || !strings.Contains(strings.Join(row.Errors, ";"), "gamescom2024") {
		t.Errorf("row 1: %s %v", row.Status, row.Errors)
	}
}

func TestSampleCSV(t *testing.T) {
	path := filepath.Join(realData(t), "gamescom-2025", "sheet-sample.csv")
	plan := prepare(t, gc2025, nil, parseFile(t, path), Options{})
	r := plan.Report
	if r.Total != 10 || r.Accepted != 10 {
		t.Errorf("sample: %d rows, %d accepted: %+v", r.Total, r.Accepted, r.Rows)
	}
	// "20:00 - 02:00" on 22 Aug ends on the 23rd.
	for _, p := range plan.Writes {
		if p.Title == "After Party - Club Night" {
			wantTime(t, "after party end", p.End, local("2025-08-23 02:00"))
		}
	}
}

func TestPlanOfMoreWritesThanOneStepHolds(t *testing.T) {
	// A store takes a batch of any size, so a plan says nothing of one
	// step's limit and passes Check.
	var b strings.Builder
	b.WriteString("Event Name,Date,Start Time\n")
	for i := range party.MaxBatch + 1 {
		fmt.Fprintf(&b, "Party %d,2025-08-20,18:00\n", i)
	}
	in, err := Parse(strings.NewReader(b.String()), CSV)
	if err != nil {
		t.Fatal(err)
	}
	plan := prepare(t, gc2025, nil, in, Options{})
	if len(plan.Writes) != party.MaxBatch+1 || len(plan.Report.Notes) != 0 {
		t.Errorf("plan of %d rows: %d writes, notes %v; want every row written, no note", party.MaxBatch+1, len(plan.Writes), plan.Report.Notes)
	}
	if err := plan.Check(); err != nil {
		t.Errorf("Check() = %v, want nil", err)
	}
}

// realData returns the shared data folder next to the repository, or skips.
func realData(t *testing.T) string {
	t.Helper()
	return realdata.Dir(t)
}

func want(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got.In(berlin), want.In(berlin))
	}
}

// TestLongParties checks that a party of 24 hours or more is imported with
// a warning that says so, and that ordinary nights are not flagged.
func TestLongParties(t *testing.T) {
	tests := []struct {
		name, format, file string
		long               bool
	}{
		{"26 hours, exported", "json", `[{"id":"long","title":"Long Party","venue":"Bar","start":"2025-08-20T18:00:00+02:00","end":"2025-08-21T20:00:00+02:00"}]`, true},
		{"exactly 24 hours, a duration in the sheet", "csv", "Date,Start Time,Time,Event Name,Address\n2025-08-20,18:00,24h,Day Long,Bar\n", true},
		{"until 07:00 the next day", "csv", "Date,Start Time,End Time,Event Name,Address\n2025-08-20,20:00,07:00,All Nighter,Bar\n", false},
		{"an evening", "csv", "Date,Start Time,End Time,Event Name,Address\n2025-08-20,18:00,23:00,Mixer,Bar\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Parse(strings.NewReader(tt.file), Format(tt.format))
			if err != nil {
				t.Fatal(err)
			}
			plan := prepare(t, gc2025, nil, in, Options{})
			row := plan.Report.Rows[0]
			if _, ok := partyOf(plan, row); !ok {
				t.Fatalf("not imported: %s %v", row.Status, row.Errors)
			}
			got := slices.Contains(row.Kinds, codeLong)
			said := strings.Contains(strings.Join(row.Warnings, ";"), "24 hours or more is unusually long")
			if got != tt.long || said != tt.long || tt.long && (row.Status != StatusWarning || plan.Report.WarningKinds[codeLong] != 1) {
				t.Errorf("status %s, kinds %v, warnings %v; want a long-party warning: %v", row.Status, row.Kinds, row.Warnings, tt.long)
			}
		})
	}
}
