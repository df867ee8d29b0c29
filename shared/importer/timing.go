package importer

import (
	"fmt"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/party"
)

// timing works out start and end: from an exported instant, or from a local
// day and clock times as spreadsheets give them. Start and end stay zero
// when the row is rejected.
func (pl *planner) timing(r *rowResult) (start, end time.Time) {
	startText, w := cleanText("start", r.row.Start)
	r.warn(w...)
	startText = strings.TrimSpace(startText)
	if startText != "" {
		if t, local, ok := parseInstant(startText, pl.loc); ok {
			if local {
				r.warn(issuef(codeNoOffset, "start", "%q has no UTC offset; read as %s time", startText, pl.conf.TimeZone))
			}
			return t, pl.instantEnd(r, t)
		}
		if _, _, ok := parseClock(startText); !ok {
			r.fail(issuef("", "start", "%q is not a date and time", startText))
			return
		}
		// A "start" column holding a clock time: read it with the date.
	}

	// A bad date does not stop here: the clock times are still read, so the
	// report names every problem of the row at once.
	d := pl.date(r)
	ct := clockTextsOf(r, startText)
	sc, ok := startClock(r, ct.start)
	if !ok || !r.accepted() {
		return
	}
	start = at(d, sc, pl.loc)
	return start, pl.clockEnd(r, d, sc, start, ct)
}

// instantEnd reads an exported end; an unusable one is dropped with a warning.
func (pl *planner) instantEnd(r *rowResult, start time.Time) time.Time {
	endText, w := cleanText("end", r.row.End)
	r.warn(w...)
	endText = strings.TrimSpace(endText)
	if endText == "" {
		return time.Time{}
	}
	end, local, ok := parseInstant(endText, pl.loc)
	switch {
	case !ok:
		r.warn(issuef(codeEndDropped, "end", "%q is not a date and time; left open", endText))
		return time.Time{}
	case !end.After(start):
		r.warn(issuef(codeEndDropped, "end", "%q is not after the start; left open", endText))
		return time.Time{}
	case end.Sub(start) > party.MaxDuration:
		r.warn(issuef(codeEndDropped, "end", "%q is more than 7 days after the start; left open", endText))
		return time.Time{}
	}
	if local {
		r.warn(issuef(codeNoOffset, "end", "%q has no UTC offset; read as %s time", endText, pl.conf.TimeZone))
	}
	return end
}

// date reads the row's local day, failing the row when it is missing or
// unreadable. A weekday that does not match the date is only a warning: the
// date is the more specific of the two.
func (pl *planner) date(r *rowResult) day {
	dateText, w := cleanText("date", r.row.Date)
	r.warn(w...)
	dateText = strings.TrimSpace(dateText)
	if dateText == "" {
		r.fail(issuef("", "date", "is required"))
		return day{}
	}
	d, err := parseDate(dateText, pl.yearFor)
	if err != nil {
		r.fail(issuef("", "date", "%s", err.Error()))
		return day{}
	}
	r.yearless = d.yearless
	if wd := d.day.time().Weekday(); d.named && wd != d.weekday {
		r.warn(issuef(codeWeekday, "date", "%q: %s is a %s, not a %s; kept the date", dateText, d.day, wd, d.weekday))
	}
	return d.day
}

// clockTexts are a sheet row's clock times as text, once the "time" column
// has filled in what the start and end time columns leave empty.
type clockTexts struct {
	start, end string
	span       string        // the "time" column, trimmed
	dur        time.Duration // from a "time" column holding a duration ("3h")
}

// clockTextsOf collects the row's clock times. A "start" column holding a
// clock time stands in for an empty start time column.
func clockTextsOf(r *rowResult, startText string) clockTexts {
	sText, w := cleanText("start time", r.row.StartTime)
	r.warn(w...)
	if strings.TrimSpace(sText) == "" {
		sText = startText
	}
	eText, w := cleanText("end time", r.row.EndTime)
	r.warn(w...)
	tText, w := cleanText("time", r.row.Time)
	r.warn(w...)
	ct := clockTexts{start: sText, end: eText, span: strings.TrimSpace(tText)}
	if ct.span != "" {
		ct.readSpan(r)
	}
	ct.start, ct.end = strings.TrimSpace(ct.start), strings.TrimSpace(ct.end)
	return ct
}

// readSpan reads the "time" column: a range ("18:00 - 23:00"), a duration
// ("3h"), or a single clock time taken as the start when none is given.
func (ct *clockTexts) readSpan(r *rowResult) {
	if from, to, ok := splitRange(ct.span); ok {
		ct.start = fromRange(r, "start time", ct.start, from, ct.span)
		ct.end = fromRange(r, "end time", ct.end, to, ct.span)
	} else if dd, ok := parseDuration(ct.span); ok {
		ct.dur = dd
	} else if _, _, ok := parseClock(ct.span); ok && strings.TrimSpace(ct.start) == "" {
		ct.start = ct.span
	}
}

// fromRange returns the clock time for one side of a "time" range: the
// column's own value wins, the range only fills an empty column, and a
// disagreement between the two is reported.
func fromRange(r *rowResult, what, own, side, span string) string {
	oc, _, ook := parseClock(own)
	sc, _, sok := parseClock(side)
	switch {
	case strings.TrimSpace(own) == "" && sok:
		return side
	case ook && sok && oc != sc:
		r.warn(issuef(codeTimeMismatch, "time", "%q disagrees with %s %s; used the %s", span, what, oc, what))
	}
	return own
}

// startClock reads the required start time of day.
func startClock(r *rowResult, s string) (clock, bool) {
	if s == "" {
		r.fail(issuef("", "start time", "is required"))
		return 0, false
	}
	sc, exact, ok := parseClock(s)
	if !ok || sc >= 24*60 {
		r.fail(issuef("", "start time", "%q is not a time of day", s))
		return 0, false
	}
	if !exact {
		r.warn(issuef(codeClockFormat, "start time", "read %q as %s", s, sc))
	}
	return sc, true
}

// clockEnd works out the end from the end time, or from a duration when
// there is none. An end that cannot be used leaves the party open-ended
// rather than rejecting it.
func (pl *planner) clockEnd(r *rowResult, d day, sc clock, start time.Time, ct clockTexts) time.Time {
	if ct.end == "" {
		if ct.dur <= 0 {
			return time.Time{}
		}
		end := start.Add(ct.dur)
		r.warn(issuef(codeDuration, "end time", "set to %s from the duration %q", end.In(pl.loc).Format("15:04"), ct.span))
		return end
	}
	ec, ok := endClock(r, sc, ct.end)
	if !ok {
		return time.Time{}
	}
	return at(d, ec, pl.loc)
}

// endClock reads the end time of day relative to the start time sc. The
// result is past 24:00 when the party ends after midnight.
func endClock(r *rowResult, sc clock, s string) (clock, bool) {
	ec, exact, ok := parseClock(s)
	if !ok {
		r.warn(issuef(codeEndDropped, "end time", "%q is not a time of day; left open", s))
		return 0, false
	}
	if !exact {
		r.warn(issuef(codeClockFormat, "end time", "read %q as %s", s, ec))
	}
	if ec == 23*60+59 {
		// Sheets write 23:59 for "until midnight".
		r.warn(issuef(codeMidnight, "end time", "23:59 read as midnight"))
		ec = 24 * 60
	}
	switch {
	case ec == sc:
		r.warn(issuef(codeEndDropped, "end time", "%s is the start time; left open", ec))
		return 0, false
	case ec < sc:
		// Past midnight. Evening parties ending at 2am are normal; a long
		// span (12:30 - 2:00) is more likely a 12-hour clock mistake, so
		// say so.
		ec += 24 * 60
		if time.Duration(ec-sc)*time.Minute > 12*time.Hour {
			r.warn(issuef(codeLongNight, "end time", "%s is before the start %s: taken as %s the next day (%s long; check)", clock(ec-24*60), sc, clock(ec-24*60), fmtDur(time.Duration(ec-sc)*time.Minute)))
		}
	}
	return ec, true
}

// fmtDur writes a duration the way the warnings read: 13h, 13h30.
func fmtDur(d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	if m == 0 {
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%02d", h, m)
}
