package importer

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/demo/realdata"
)

// sheetOf returns a sheet whose rows have the given dates, each at 19:00.
func sheetOf(t *testing.T, dates ...string) Input {
	t.Helper()
	var b strings.Builder
	b.WriteString("Event Name,Date,Start Time\n")
	for i, d := range dates {
		fmt.Fprintf(&b, "Party %d,%q,19:00\n", i+1, d)
	}
	in, err := Parse(strings.NewReader(b.String()), CSV)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestYearOfANewConferenceFromItsWeekdays(t *testing.T) {
	now := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		id    string
		dates []string
		year  int
		note  string // text the year's note must contain
	}{
		{"the year the weekdays agree with", "gamescom", []string{"Sat Aug 16", "Sun Aug 17", "Wed Aug 20"}, 2025, "3 of 3"},
		{"the current year when it fits", "gamescom", []string{"Sun Aug 16", "Mon Aug 17"}, 2026, "2 of 2"},
		{"a coming year", "gamescom", []string{"Mon Aug 16 ", "Tuesday, 17 August"}, 2027, "2 of 2"},
		{"most rows win over a typo", "gamescom", []string{"Sat Aug 16", "Sun Aug 17", "Thu Aug 20"}, 2025, "2 of 3"},
		{"German weekdays and dotted dates", "gamescom", []string{"Sa, 16. August", "So, 17. August"}, 2025, "2 of 2"},
		{"29 February only exists in a leap year", "gamescom", []string{"Thu Feb 29"}, 2024, "1 of 1"},
		{"the weekdays win over the conference id", "gamescom2026", []string{"Sat Aug 16", "Sun Aug 17"}, 2025, "the conference id names 2026, where 0 match"},
		{"no weekday: the conference id", "gamescom2025", []string{"Aug 16", "17.08."}, 2025, "from the conference id"},
		{"no weekday and no year in the id: the current year", "gamescom", []string{"Aug 16"}, 2026, "the current year"},
		{"the id's year breaks a tie", "devcon2028", []string{"Aug 16", "17.08."}, 2028, "from the conference id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := conference.Conference{ID: tt.id, Name: "G", City: "Cologne", TimeZone: "Europe/Berlin"}
			plan, err := Prepare(c, true, nil, sheetOf(t, tt.dates...), Options{}, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := plan.Conference.FirstDay[:4]; got != fmt.Sprint(tt.year) {
				t.Errorf("first day %s, want a day of %d", plan.Conference.FirstDay, tt.year)
			}
			notes := strings.Join(plan.Report.Notes, "\n")
			if !strings.Contains(notes, fmt.Sprintf("read as %d", tt.year)) || !strings.Contains(notes, tt.note) {
				t.Errorf("notes %q, want the year %d explained with %q", notes, tt.year, tt.note)
			}
		})
	}
}

func TestYearOfAnExistingConferenceComesFromItsDays(t *testing.T) {
	// The conference's own days decide, even against the sheet's weekdays.
	c := conference.Conference{ID: "gamescom", Name: "G", City: "Cologne", TimeZone: "Europe/Berlin", FirstDay: "2026-08-15", LastDay: "2026-08-20"}
	plan, err := Prepare(c, false, nil, sheetOf(t, "Sat Aug 16"), Options{}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if p := plan.Writes[0]; p.LocalDate(berlin) != "2026-08-16" || plan.Report.WarningKinds[codeWeekday] != 1 {
		t.Errorf("read as %s with warnings %v, want 2026-08-16 with a weekday warning", p.LocalDate(berlin), plan.Report.WarningKinds)
	}
}

func TestYearOfTheRealSheet(t *testing.T) {
	// The real Gamescom sheet names its days "Wed Aug 20" without a year.
	// Imported as a new conference without a year in its id, long after
	// the event, the weekdays still place it in 2025.
	in := parseFile(t, realdata.Path(t, "gamescom-2025/sheet-export-2025-08-06.json"))
	c := conference.Conference{ID: "gamescom", Name: "Gamescom", City: "Cologne", TimeZone: "Europe/Berlin"}
	plan, err := Prepare(c, true, nil, in, Options{}, time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, plan.Report)
	if plan.Conference.FirstDay != "2025-08-17" || plan.Conference.LastDay != "2025-08-23" {
		t.Errorf("conference days %s to %s, want 2025-08-17 to 2025-08-23", plan.Conference.FirstDay, plan.Conference.LastDay)
	}
	if n := plan.Report.WarningKinds[codeWeekday]; n != 0 {
		t.Errorf("%d weekday warnings, want none", n)
	}
	if notes := strings.Join(plan.Report.Notes, "\n"); !strings.Contains(notes, "read as 2025") {
		t.Errorf("notes %q should explain the year", notes)
	}
}
