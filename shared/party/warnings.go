package party

import (
	"strconv"
	"time"
)

// LongDuration is the length from which a party is unusually long. Party
// nights end by the next morning and the longest real ones (boat parties,
// all-nighters) stay well under a day; 24 hours or more is most often an
// end on the wrong day, and when it is not (a festival, a weekend-long
// jam) it is still worth a second look, because schedule apps show a day
// at a time.
const LongDuration = 24 * time.Hour

// WarnLong is the code of the warning for a party of LongDuration or more.
const WarnLong = "unusually_long"

// Warning is something about a valid party that it may hold but that
// looks like a mistake: the write goes through, and whoever made it is
// told. Field and Code are as in a field error.
type Warning struct {
	Field   string
	Code    string
	Message string
}

// Long reports whether the party runs LongDuration or more. An open-ended
// party is not long.
func (p Party) Long() bool {
	return !p.End.IsZero() && !p.Start.IsZero() && p.End.Sub(p.Start) >= LongDuration
}

// Warnings returns what looks wrong about the party though it is valid,
// in a fixed order; nil when nothing does. Every path that writes a
// party from someone's input (the importer's report, the organizers'
// answers) reports these.
func (p Party) Warnings() []Warning {
	var out []Warning
	if p.Long() {
		out = append(out, Warning{Field: "end", Code: WarnLong,
			Message: "the party runs " + spanText(p.End.Sub(p.Start)) + "; 24 hours or more is unusually long: check the end date"})
	}
	return out
}

// spanText writes a duration the way warnings read: "26 hours",
// "24 hours 30 minutes".
func spanText(d time.Duration) string {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	s := strconv.Itoa(h) + " hour"
	if h != 1 {
		s += "s"
	}
	if m > 0 {
		s += " " + strconv.Itoa(m) + " minute"
		if m != 1 {
			s += "s"
		}
	}
	return s
}
