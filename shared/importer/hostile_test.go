package importer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/partyfinder/partyfinder/shared/party"
)

func TestStripControls(t *testing.T) {
	tests := []struct {
		name, in, want string
		removed        int
	}{
		{"plain text", "Beam & Avalanche", "Beam & Avalanche", 0},
		{"tab and newline stay", "a\tb\nc", "a\tb\nc", 0},
		{"CR LF and lone CR become newlines", "a\r\nb\rc", "a\nb\nc", 0},
		{"vertical tab, form feed and NEL become newlines", "a\vb\fc\u0085d", "a\nb\nc\nd", 0},
		{"bell", "Ding\a dong", "Ding dong", 1},
		{"NUL and DEL", "a\x00b\x7fc", "abc", 2},
		{"colour (CSI)", "\x1b[31;1mRed\x1b[0m", "Red", 2},
		{"clear screen and move the cursor", "\x1b[2J\x1b[HTitle", "Title", 2},
		{"CSI with a private parameter", "\x1b[?25lHidden cursor", "Hidden cursor", 1},
		{"window title (OSC ended by BEL)", "\x1b]0;owned\aParty", "Party", 1},
		{"hyperlink (OSC ended by ST)", "\x1b]8;;https://evil.example\x1b\\Click\x1b]8;;\x1b\\", "Click", 2},
		{"unterminated OSC swallows the rest, as a terminal would", "Party\x1b]0;owned", "Party", 1},
		{"device control string", "A\x1bP1$r\x1b\\B", "AB", 1},
		{"two-character escape", "A\x1bcB\x1b7C", "ABC", 2},
		{"escape with an intermediate", "A\x1b(0B", "AB", 1},
		{"lone escape at the end", "A\x1b", "A", 1},
		{"C1 CSI", "\u009b31mRed", "Red", 1},
		{"C1 OSC ended by C1 ST", "\u009d0;owned\u009cParty", "Party", 1},
		{"other C1 controls", "a\u0080b\u0099\u009cc", "abc", 3},
		{"non-ASCII text is untouched", "Köln – Café ☕", "Köln – Café ☕", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := stripControls(tt.in)
			if got != tt.want || n != tt.removed {
				t.Errorf("stripControls(%q) = %q, %d removed; want %q, %d", tt.in, got, n, tt.want, tt.removed)
			}
		})
	}
}

func TestCleanTextRemovesControls(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		codes    []string
	}{
		{"\x1b[31mRed\x1b[0m Party", "Red Party", []string{codeControl}},
		{"TBA\a", "", []string{codeControl, codePlaceholder}},
		{"\x1b[0m", "", []string{codeControl}},
		{"Rock &#27;[31m&amp; Roll", "Rock & Roll", []string{codeEntity, codeControl}},
		// UTF-8 read as Latin-1 holds C1 characters; the repair needs them.
		{"Happy Hour â\u0080\u0093 By Overwolf", "Happy Hour – By Overwolf", []string{codeEncoding}},
	} {
		got, issues := cleanText("title", tt.in)
		if party.CleanText(got) != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if c := codes(issues); tt.codes != nil && !slices.Equal(c, tt.codes) {
			t.Errorf("cleanText(%q) warnings %v, want %v", tt.in, c, tt.codes)
		}
	}
}

// hasControl reports whether s holds a control character other than the
// newlines (and tabs) a description may keep.
func hasControl(s string, multiline bool) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t'))
	})
}

func TestImportStoresNoControlCharacters(t *testing.T) {
	esc := "\x1b[31m"
	osc := "\x1b]0;owned\a"
	row := map[string]any{
		"id":          "p-1",
		"title":       esc + "Party" + osc,
		"description": "Line one\r\nLine two" + esc + "\n\x1b[2JLine three\u009b1m",
		"venue":       "Club" + osc,
		"address":     "Frankenwerft 35,\a Cologne",
		"category":    "Mixer\x1b[0m",
		"hosts":       []any{"Beam" + esc, "\u009dA\u009cAvalanche"},
		"price":       "Free\x00",
		"link":        "https://lu.ma/x" + esc,
		"focus":       "All\x7f",
		"tags":        "one\x1b[1m, two",
		"status":      "published\a",
		"source":      "sheet" + esc,
		"start":       "2025-08-20T18:00:00+02:00" + esc,
		"end":         "2025-08-20T23:00:00+02:00",
		"lat":         "50.94\a",
		"lng":         "6.96",
	}
	b, _ := json.Marshal([]any{row})
	in, err := Parse(strings.NewReader(string(b)), JSON)
	if err != nil {
		t.Fatal(err)
	}
	plan := prepare(t, gc2025, nil, in, Options{})
	if len(plan.Writes) != 1 {
		t.Fatalf("writes %d, report %+v", len(plan.Writes), plan.Report.Rows)
	}
	p := plan.Writes[0]
	for name, v := range map[string]string{
		"id": p.ID, "title": p.Title, "venue": p.Venue, "address": p.Address, "category": p.Category.Label,
		"category key": p.Category.Key, "price": p.Price, "link": p.Link, "focus": p.Focus, "source": p.Source,
		"hosts": strings.Join(p.Hosts, ","), "tags": strings.Join(p.Tags, ","), "status": string(p.Status),
	} {
		if hasControl(v, false) {
			t.Errorf("%s holds control characters: %q", name, v)
		}
	}
	if hasControl(p.Description, true) || p.Description != "Line one\nLine two\nLine three" {
		t.Errorf("description %q, want its lines without control characters", p.Description)
	}
	want(t, "title", p.Title, "Party")
	want(t, "hosts", strings.Join(p.Hosts, "|"), "Beam|Avalanche")
	want(t, "link", p.Link, "https://lu.ma/x")
	if p.Location == nil || p.Start.IsZero() || p.End.IsZero() {
		t.Errorf("location %v start %v end %v: cleaned values should still be read", p.Location, p.Start, p.End)
	}
	rr := plan.Report.Rows[0]
	if !slices.Contains(rr.Kinds, codeControl) || plan.Report.WarningKinds[codeControl] == 0 {
		t.Errorf("row kinds %v: removing control characters should be reported", rr.Kinds)
	}
	var text strings.Builder
	plan.Report.WriteText(&text)
	if hasControl(text.String(), true) {
		t.Errorf("the text report holds control characters:\n%q", text.String())
	}
}

func TestParseRejectsTrailingJSON(t *testing.T) {
	for name, body := range map[string]string{
		"garbage after the array":   `[{"Event Name": "A", "Date": "2025-08-20", "Start Time": "18:00"}] garbage`,
		"two arrays":                `[] []`,
		"two objects":               `{"data": []} {"data": []}`,
		"a second value on a line":  "[]\n1",
		"a stray closing bracket":   `[{"Event Name": "A"}]]`,
		"an object after an object": `{"data": [{"Event Name": "A"}]}{"x": 1}`,
	} {
		if _, err := Parse(strings.NewReader(body), JSON); err == nil || !strings.Contains(err.Error(), "after the JSON") {
			t.Errorf("%s: err = %v, want it refused for data after the JSON", name, err)
		}
	}
	for name, body := range map[string]string{
		"trailing white space": "[{\"Event Name\": \"A\"}]\n\r\n\t ",
		"a BOM and a newline":  "\ufeff[]\n",
	} {
		if _, err := Parse(strings.NewReader(body), JSON); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ParseGeocodes(strings.NewReader(`{"events": {}} {"events": {}}`)); err == nil {
		t.Error("geocodes with a second document were accepted")
	}
}

func TestReportShortensEchoedCells(t *testing.T) {
	long := strings.Repeat("x", 10000)
	var b strings.Builder
	b.WriteString("Event Name,Date,Start Time,Link\n")
	fmt.Fprintf(&b, "A,%s,18:00,\n", long)                                     // unreadable date
	fmt.Fprintf(&b, "%s,2025-08-20,18:00,\n", strings.Repeat("Long ", 2000))   // title too long
	fmt.Fprintf(&b, "C,2025-08-20,%s,\n", long)                                // unreadable start time
	fmt.Fprintf(&b, "D,2025-08-20,18:00,%s\n", "not a link "+long)             // dropped link (a warning)
	fmt.Fprintf(&b, "E,2025-08-20,18:00,,%s\n", strings.Repeat(long+",", 100)) // values beyond the last column
	in, err := Parse(strings.NewReader(b.String()), CSV)
	if err != nil {
		t.Fatal(err)
	}
	plan := prepare(t, gc2025, nil, in, Options{})
	for _, rr := range plan.Report.Rows {
		if n := utf8.RuneCountInString(rr.Title); n > maxEcho {
			t.Errorf("row %d: title of %d characters in the report", rr.Row, n)
		}
		for _, m := range append(append([]string{}, rr.Errors...), rr.Warnings...) {
			if n := utf8.RuneCountInString(m); n > 2*maxEcho {
				t.Errorf("row %d: message of %d characters: %.120q…", rr.Row, n, m)
			}
		}
		if len(rr.Warnings) > 5 {
			t.Errorf("row %d: %d warnings", rr.Row, len(rr.Warnings))
		}
	}
	if rr := plan.Report.Rows[1]; rr.Status != StatusRejected || !strings.HasSuffix(rr.Title, "…") || !strings.HasPrefix(rr.Title, "Long Long") {
		t.Errorf("row 2: status %s, title %q: want it rejected with its title cut", rr.Status, rr.Title)
	}
	if e := strings.Join(plan.Report.Rows[0].Errors, ";"); !strings.Contains(e, `"xxxx`) || !strings.Contains(e, `…" is not a date`) {
		t.Errorf("row 1 errors %q: want the date cut with an ellipsis", e)
	}
	var text strings.Builder
	plan.Report.WriteText(&text)
	if text.Len() > 4000 {
		t.Errorf("the text report has %d bytes:\n%.2000s", text.Len(), text.String())
	}
}

func TestParseShortensUnknownColumns(t *testing.T) {
	var header []string
	for i := range 1000 {
		header = append(header, fmt.Sprintf("unknown %d %s", i, strings.Repeat("y", 200)))
	}
	in, err := Parse(strings.NewReader("Event Name,"+strings.Join(header, ",")+"\nA"+strings.Repeat(",x", len(header))+"\n"), CSV)
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(in.Notes, "\n")
	if len(notes) > 2000 || !strings.Contains(notes, "more") {
		t.Errorf("notes of %d bytes: %.300q…", len(notes), notes)
	}
}
