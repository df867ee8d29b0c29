package importer

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// clock is a local time of day in minutes after midnight; 1440 is the
// "24:00" that ends a day.
type clock int

func (c clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

var (
	clockHM    = regexp.MustCompile(`^(\d{1,2})\s*[:.h]\s*(\d{2})$`)
	clockHHMM  = regexp.MustCompile(`^(\d{1,2})(\d{2})$`)
	clockH     = regexp.MustCompile(`^(\d{1,2})$`)
	clockAMPM  = regexp.MustCompile(`^(\d{1,2})(?:\s*[:.]\s*(\d{2}))?\s*([ap])\.?\s*m\.?$`)
	clockUnits = regexp.MustCompile(`\s*(uhr|hrs|hr|h|o'?clock)$`)
	canonical  = regexp.MustCompile(`^\d{1,2}:\d{2}$`)
)

// parseClock reads a clock time as organisers write it: "9:00", "19:30",
// "1900", "7pm", "7.30 p.m.", "19.30", "19:30 Uhr", "19h30", "noon".
// exact is false when the text was not plain H:MM, so callers can say how it
// was read.
func parseClock(s string) (c clock, exact bool, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	exact = canonical.MatchString(s)
	switch s {
	case "noon", "mittag", "midday":
		return 12 * 60, false, true
	case "midnight", "mitternacht":
		return 0, false, true
	}
	if m := clockAMPM.FindStringSubmatch(s); m != nil {
		h, _ := strconv.Atoi(m[1])
		mi := 0
		if m[2] != "" {
			mi, _ = strconv.Atoi(m[2])
		}
		if h < 1 || h > 12 || mi > 59 {
			return 0, false, false
		}
		h %= 12
		if m[3] == "p" {
			h += 12
		}
		return clock(h*60 + mi), false, true
	}
	s = clockUnits.ReplaceAllString(s, "")
	var h, mi int
	switch {
	case clockHM.MatchString(s):
		m := clockHM.FindStringSubmatch(s)
		h, _ = strconv.Atoi(m[1])
		mi, _ = strconv.Atoi(m[2])
	case clockHHMM.MatchString(s):
		m := clockHHMM.FindStringSubmatch(s)
		h, _ = strconv.Atoi(m[1])
		mi, _ = strconv.Atoi(m[2])
	case clockH.MatchString(s):
		h, _ = strconv.Atoi(s)
	default:
		return 0, false, false
	}
	if mi > 59 || h > 24 || h == 24 && mi != 0 {
		return 0, false, false
	}
	return clock(h*60 + mi), exact, true
}

// rangeSep splits "18:00 - 23:00", "7pm to 2am", "19 bis 23 Uhr".
var rangeSep = regexp.MustCompile(`^(.+?)\s*(?:-|–|—|\bto\b|\bbis\b|\buntil\b)\s*(.+)$`)

// splitRange splits a time range into its two sides.
func splitRange(s string) (from, to string, ok bool) {
	m := rangeSep.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

var durationPattern = regexp.MustCompile(`^(?i)(\d+(?:[.,]\d+)?)\s*(h|hrs?|hours?|std|stunden|min|mins|minutes?)$`)

// parseDuration reads a length such as "2h", "1.5h" or "90 min", the way some
// sheets fill their "Time" column.
func parseDuration(s string) (time.Duration, bool) {
	m := durationPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.Replace(m[1], ",", ".", 1), 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	unit := time.Hour
	if strings.HasPrefix(strings.ToLower(m[2]), "min") {
		unit = time.Minute
	}
	d := time.Duration(v * float64(unit)).Round(time.Minute)
	return d, d > 0 && d <= 24*time.Hour
}

// day is a calendar day without a zone.
type day struct {
	Year  int
	Month time.Month
	Day   int
}

func (d day) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

func (d day) time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// valid reports whether the day exists (no 30 February).
func (d day) valid() bool {
	t := d.time()
	return t.Year() == d.Year && t.Month() == d.Month && t.Day() == d.Day
}

var months = map[string]time.Month{
	"jan": 1, "january": 1, "januar": 1, "jän": 1, "jänner": 1,
	"feb": 2, "february": 2, "februar": 2,
	"mar": 3, "march": 3, "mär": 3, "märz": 3, "maerz": 3, "mrz": 3,
	"apr": 4, "april": 4,
	"may": 5, "mai": 5,
	"jun": 6, "june": 6, "juni": 6,
	"jul": 7, "july": 7, "juli": 7,
	"aug": 8, "august": 8,
	"sep": 9, "sept": 9, "september": 9,
	"oct": 10, "october": 10, "okt": 10, "oktober": 10,
	"nov": 11, "november": 11,
	"dec": 12, "december": 12, "dez": 12, "dezember": 12,
}

var weekdays = map[string]time.Weekday{
	"sun": 0, "sunday": 0, "so": 0, "sonntag": 0,
	"mon": 1, "monday": 1, "mo": 1, "montag": 1,
	"tue": 2, "tues": 2, "tuesday": 2, "di": 2, "dienstag": 2,
	"wed": 3, "wednesday": 3, "mi": 3, "mittwoch": 3,
	"thu": 4, "thur": 4, "thurs": 4, "thursday": 4, "do": 4, "donnerstag": 4,
	"fri": 5, "friday": 5, "fr": 5, "freitag": 5,
	"sat": 6, "saturday": 6, "sa": 6, "samstag": 6, "sonnabend": 6,
}

var (
	isoDate     = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$`)
	dottedDate  = regexp.MustCompile(`^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})?$`)
	slashedDate = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?$`)
	dateToken   = regexp.MustCompile(`[\p{L}]+|\d+`)
	ordinal     = regexp.MustCompile(`^(\d{1,2})(?:st|nd|rd|th)$`)
)

// parsedDate is a date as read: the day, whether the text gave a year, and
// the weekday it named (if any) so callers can check it.
type parsedDate struct {
	day      day
	hasYear  bool
	weekday  time.Weekday
	named    bool // a weekday was named
	yearless bool // the year was filled in
}

// parseDate reads a calendar date: "2025-08-21", "Wed Aug 20",
// "Wednesday, 20 August 2025", "20.08.2025", "20.08.", "Aug 20th", "8/20".
// Dates without a year get the year from yearFor.
func parseDate(s string, yearFor func(time.Month, int) int) (parsedDate, error) {
	s = strings.TrimSpace(s)
	var p parsedDate
	year := func(y string) int {
		n, _ := strconv.Atoi(y)
		if len(y) == 2 {
			n += 2000
		}
		return n
	}
	switch {
	case isoDate.MatchString(s):
		m := isoDate.FindStringSubmatch(s)
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		p.day, p.hasYear = day{year(m[1]), time.Month(mo), d}, true
	case dottedDate.MatchString(s):
		m := dottedDate.FindStringSubmatch(s)
		d, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		p.day.Month, p.day.Day = time.Month(mo), d
		if m[3] != "" {
			p.day.Year, p.hasYear = year(m[3]), true
		}
	case slashedDate.MatchString(s):
		// Europe writes day/month, the US month/day: only accept what is
		// unambiguous rather than guess.
		m := slashedDate.FindStringSubmatch(s)
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		switch {
		case a > 12 && b <= 12:
			p.day.Day, p.day.Month = a, time.Month(b)
		case b > 12 && a <= 12:
			p.day.Day, p.day.Month = b, time.Month(a)
		case a == b:
			p.day.Day, p.day.Month = a, time.Month(a)
		default:
			return p, fmt.Errorf("%q is ambiguous (day/month or month/day?)", shorten(s))
		}
		if m[3] != "" {
			p.day.Year, p.hasYear = year(m[3]), true
		}
	default:
		if err := parseWordDate(s, &p); err != nil {
			return p, err
		}
	}
	if p.day.Month < 1 || p.day.Month > 12 || p.day.Day < 1 || p.day.Day > 31 {
		return p, fmt.Errorf("%q is not a date", shorten(s))
	}
	if !p.hasYear {
		p.day.Year = yearFor(p.day.Month, p.day.Day)
		p.yearless = true
	}
	if !p.day.valid() {
		return p, fmt.Errorf("%q is not a day of %d", shorten(s), p.day.Year)
	}
	return p, nil
}

// parseWordDate reads dates with month names, in any order of weekday, day,
// month and year.
func parseWordDate(s string, p *parsedDate) error {
	var gotMonth, gotDay bool
	for _, tok := range dateToken.FindAllString(strings.ToLower(s), -1) {
		if mo, ok := months[tok]; ok && !gotMonth {
			p.day.Month, gotMonth = mo, true
			continue
		}
		if wd, ok := weekdays[tok]; ok && !p.named {
			p.weekday, p.named = wd, true
			continue
		}
		if m := ordinal.FindStringSubmatch(tok); m != nil {
			tok = m[1]
		}
		if tok == "st" || tok == "nd" || tok == "rd" || tok == "th" || tok == "of" || tok == "den" {
			continue
		}
		n, err := strconv.Atoi(tok)
		switch {
		case err != nil:
			return fmt.Errorf("%q is not a date", shorten(s))
		case len(tok) == 4 && !p.hasYear:
			p.day.Year, p.hasYear = n, true
		case len(tok) <= 2 && !gotDay:
			p.day.Day, gotDay = n, true
		default:
			return fmt.Errorf("%q is not a date", shorten(s))
		}
	}
	if !gotMonth || !gotDay {
		return fmt.Errorf("%q is not a date", shorten(s))
	}
	return nil
}

// yearNear returns a function that completes dates without a year with the
// year that puts them closest to ref, so "Jan 2" for a conference starting
// on 30 December lands in the next year.
func yearNear(ref time.Time) func(time.Month, int) int {
	return func(m time.Month, d int) int {
		best, bestDist := ref.Year(), time.Duration(1<<62)
		for _, y := range []int{ref.Year() - 1, ref.Year(), ref.Year() + 1} {
			dist := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(ref)
			if dist < 0 {
				dist = -dist
			}
			if dist < bestDist {
				best, bestDist = y, dist
			}
		}
		return best
	}
}

// instantLayouts are the date-time forms accepted for exported start/end
// values; the first ones carry an offset.
var instantLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02 15:04:05Z07:00"}

var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"}

// parseInstant reads an exported date-time. Values without an offset are
// read in loc; local reports that, so callers can warn.
func parseInstant(s string, loc *time.Location) (t time.Time, local bool, ok bool) {
	s = strings.TrimSpace(s)
	for _, l := range instantLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, false, true
		}
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true, true
		}
	}
	return time.Time{}, false, false
}

// at returns the instant of a local clock time on a day; 24:00 is midnight
// at the end of the day.
func at(d day, c clock, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, int(c)/60, int(c)%60, 0, 0, loc)
}
