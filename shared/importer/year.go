package importer

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// yearWindow is how many years before and after the current one a sheet's
// year is looked for. Within five consecutive years a date never falls on
// the same weekday twice (a year moves it by one weekday, a leap day by
// two: at most five in four years), so one date with a correct weekday
// is enough to single out its year.
const yearWindow = 2

// sheetYear decides which year the dates without one fall in when the
// conference's days are unknown (a new conference created from the sheet).
//
// The rule: organisers write the weekday with the date ("Sat Aug 16"), and
// a date falls on a given weekday only in about one year of seven, so the
// sheet's year is the one in which the most rows' weekdays agree with their
// dates. Candidates are the years from yearWindow before to yearWindow
// after now, and the year in the conference id ("gamescom2025") if it
// names one. A tie, such as a sheet naming no weekday at all, goes to the
// conference id's year, then to the year nearest to now, then to the later
// one. It returns the year and the note that explains it.
func sheetYear(conferenceID string, rows []Row, now time.Time) (int, string) {
	idYear := 0
	if m := yearInID.FindString(conferenceID); m != "" {
		idYear, _ = strconv.Atoi(m)
	}
	candidates := make([]int, 0, 2*yearWindow+2)
	for y := now.Year() - yearWindow; y <= now.Year()+yearWindow; y++ {
		candidates = append(candidates, y)
	}
	if idYear != 0 && (idYear < now.Year()-yearWindow || idYear > now.Year()+yearWindow) {
		candidates = append(candidates, idYear)
	}

	named := 0
	agree := make(map[int]int, len(candidates))
	for _, d := range weekdayDates(rows) {
		named++
		for _, y := range candidates {
			t := time.Date(y, d.day.Month, d.day.Day, 0, 0, 0, 0, time.UTC)
			if t.Day() == d.day.Day && t.Weekday() == d.weekday {
				agree[y]++
			}
		}
	}

	best := candidates[0]
	for _, y := range candidates[1:] {
		if betterYear(y, best, agree, idYear, now.Year()) {
			best = y
		}
	}
	switch {
	case agree[best] > 0:
		note := fmt.Sprintf("dates without a year are read as %d, the year in which the weekdays of the most dates match (%d of %d dates that name one; years looked at: %s)",
			best, agree[best], named, yearsText(candidates))
		if idYear != 0 && idYear != best {
			note += fmt.Sprintf("; the conference id names %d, where %d match", idYear, agree[idYear])
		}
		return best, note
	case idYear != 0:
		return idYear, fmt.Sprintf("dates without a year are read as %d (from the conference id; %s)", idYear, noWeekday(named, candidates))
	}
	return best, fmt.Sprintf("dates without a year are read as %d (the current year; %s)", best, noWeekday(named, candidates))
}

// betterYear reports whether year y beats the best so far by sheetYear's rule.
func betterYear(y, best int, agree map[int]int, idYear, thisYear int) bool {
	if agree[y] != agree[best] {
		return agree[y] > agree[best]
	}
	if (y == idYear) != (best == idYear) {
		return y == idYear
	}
	dy, db := abs(y-thisYear), abs(best-thisYear)
	if dy != db {
		return dy < db
	}
	return y > best
}

// noWeekday says why the weekdays did not decide the year.
func noWeekday(named int, candidates []int) string {
	if named == 0 {
		return "no date names a weekday"
	}
	return fmt.Sprintf("the weekdays of the dates match them in none of %s", yearsText(candidates))
}

// yearsText writes the candidate years: "2024-2028", or "2029-2033, 2025"
// with the conference id's year.
func yearsText(candidates []int) string {
	s := fmt.Sprintf("%d-%d", candidates[0], candidates[2*yearWindow])
	for _, y := range candidates[2*yearWindow+1:] {
		s += fmt.Sprintf(", %d", y)
	}
	return s
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// weekdayDates reads the dates of the rows that name a weekday and no
// year. Rows that cannot be read are left out: they say nothing either way.
func weekdayDates(rows []Row) []parsedDate {
	// A leap year, so that 29 February is read; its weekday is not used.
	const leap = 2000
	var out []parsedDate
	for _, row := range rows {
		if len(row.Problems) > 0 {
			continue
		}
		text, _ := cleanText("date", row.Date)
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		d, err := parseDate(text, func(time.Month, int) int { return leap })
		if err == nil && d.named && d.yearless {
			out = append(out, d)
		}
	}
	return out
}
