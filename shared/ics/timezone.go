package ics

import (
	"fmt"
	"strconv"
	"time"

	ical "github.com/arran4/golang-ical"
)

// localLayout is the iCalendar DATE-TIME form without a zone designator: a
// wall-clock time read in the zone named by TZID.
const localLayout = "20060102T150405"

// transition is one change of a zone's offset or abbreviation.
type transition struct {
	at      time.Time // the instant of the change
	fromOff int       // offset in seconds before the change
	toOff   int       // offset in seconds from the change on
	name    string    // abbreviation from the change on, e.g. "CEST"
	dst     bool      // whether the new period is daylight saving time
}

// onset returns the wall-clock time of the change as read before it, which is
// how RFC 5545 expresses DTSTART of a STANDARD or DAYLIGHT observance.
func (t transition) onset() time.Time {
	return t.at.Add(time.Duration(t.fromOff) * time.Second).UTC()
}

// transitions lists the changes of loc in [from, to), read from Go's zone
// database (time.Time.ZoneBounds), so any IANA zone works, not only Berlin.
func transitions(loc *time.Location, from, to time.Time) []transition {
	var out []transition
	t := from
	for {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			return out
		}
		_, before := end.Add(-time.Second).In(loc).Zone()
		name, after := end.In(loc).Zone()
		out = append(out, transition{at: end, fromOff: before, toOff: after, name: name, dst: end.In(loc).IsDST()})
		t = end
	}
}

// vtimezone returns the VTIMEZONE for loc that is correct for every instant in
// the calendar years from fromYear to toYear.
//
// When the zone follows the same yearly rules throughout (and a year either
// side), each observance is written once with an RRULE, the form every client
// (Outlook included) understands. Otherwise, as when a country changed its
// rules in those years, every transition is written out explicitly.
func vtimezone(tzid string, loc *time.Location, fromYear, toYear int) *ical.VTimezone {
	tz := ical.NewTimezone(tzid)
	if rules, ok := yearlyRules(loc, fromYear-1, toYear+1); ok {
		for _, r := range rules {
			addObservance(tz, r.first, r.rrule)
		}
		return tz
	}
	start := time.Date(fromYear, time.January, 1, 0, 0, 0, 0, loc)
	end := time.Date(toYear+1, time.January, 1, 0, 0, 0, 0, loc)
	name, off := start.Zone()
	// The period already in force at the start of the range: no change
	// happens at its DTSTART, so both offsets are the same.
	addObservance(tz, transition{
		at: start, fromOff: off, toOff: off, name: name, dst: start.IsDST(),
	}, "")
	for _, tr := range transitions(loc, start, end) {
		addObservance(tz, tr, "")
	}
	return tz
}

// addObservance appends a STANDARD or DAYLIGHT sub-component.
func addObservance(tz *ical.VTimezone, tr transition, rrule string) {
	var cb *ical.ComponentBase
	if tr.dst {
		d := &ical.Daylight{}
		tz.Components = append(tz.Components, d)
		cb = &d.ComponentBase
	} else {
		s := ical.NewStandard()
		tz.Components = append(tz.Components, s)
		cb = &s.ComponentBase
	}
	cb.AddProperty(ical.ComponentPropertyDtStart, tr.onset().Format(localLayout))
	cb.AddProperty(ical.ComponentProperty(ical.PropertyTzoffsetfrom), utcOffset(tr.fromOff))
	cb.AddProperty(ical.ComponentProperty(ical.PropertyTzoffsetto), utcOffset(tr.toOff))
	if rrule != "" {
		cb.AddProperty(ical.ComponentPropertyRrule, rrule)
	}
	if tr.name != "" {
		cb.AddProperty(ical.ComponentProperty(ical.PropertyTzname), tr.name)
	}
}

// rule is one yearly observance: its first onset in the checked years and the
// RRULE that yields the later ones.
type rule struct {
	first transition
	rrule string
}

var weekdayCodes = [...]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// yearlyRules describes loc's changes in the years y0..y1 as yearly rules of
// the form "n-th (or last) weekday of a month at a wall-clock time". It
// reports false when the years do not all follow the same rules, and returns
// a single fixed observance for zones without changes.
func yearlyRules(loc *time.Location, y0, y1 int) ([]rule, bool) {
	years := make([][]transition, 0, y1-y0+1)
	for y := y0; y <= y1; y++ {
		years = append(years, transitions(loc,
			time.Date(y, time.January, 1, 0, 0, 0, 0, loc),
			time.Date(y+1, time.January, 1, 0, 0, 0, 0, loc)))
	}
	n := len(years[0])
	for _, trs := range years {
		if len(trs) != n {
			return nil, false
		}
	}
	if n == 0 {
		// No changes at all (Asia/Tokyo, UTC): one period since 1970.
		t := time.Date(y0, time.January, 1, 0, 0, 0, 0, loc)
		name, off := t.Zone()
		epoch := time.Date(1970, time.January, 1, 0, 0, 0, 0, time.UTC).Add(-time.Duration(off) * time.Second)
		return []rule{{first: transition{at: epoch, fromOff: off, toOff: off, name: name, dst: t.IsDST()}}}, true
	}
	rules := make([]rule, 0, n)
	for i := 0; i < n; i++ {
		first := years[0][i]
		o := first.onset()
		ordinal, last := true, true
		for _, trs := range years {
			tr := trs[i]
			w := tr.onset()
			if tr.fromOff != first.fromOff || tr.toOff != first.toOff || tr.name != first.name ||
				tr.dst != first.dst || w.Month() != o.Month() || w.Weekday() != o.Weekday() ||
				w.Hour() != o.Hour() || w.Minute() != o.Minute() || w.Second() != o.Second() {
				return nil, false
			}
			if nth(w) != nth(o) {
				ordinal = false
			}
			if !isLast(w) {
				last = false
			}
		}
		// "Last" wins over an ordinal that merely happened to hold in the
		// checked years (the last Sunday of March is the 5th in some years,
		// the 4th in others).
		var by string
		switch {
		case last:
			by = "-1"
		case ordinal:
			by = strconv.Itoa(nth(o))
		default:
			return nil, false
		}
		rules = append(rules, rule{first: first, rrule: fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=%s%s",
			int(o.Month()), by, weekdayCodes[o.Weekday()])})
	}
	return rules, true
}

// nth returns which occurrence of its weekday in the month t's day is (1-5).
func nth(t time.Time) int { return (t.Day()-1)/7 + 1 }

// isLast reports whether t's day is the last of its weekday in the month.
func isLast(t time.Time) bool {
	return t.AddDate(0, 0, 7).Month() != t.Month()
}

// utcOffset formats seconds east of UTC as RFC 5545 UTC-OFFSET (+HHMM, or
// +HHMMSS for the odd historical offset with seconds).
func utcOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	h, m, s := sec/3600, sec%3600/60, sec%60
	if s != 0 {
		return fmt.Sprintf("%s%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%s%02d%02d", sign, h, m)
}
