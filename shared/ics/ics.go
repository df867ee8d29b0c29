// Package ics writes parties as an iCalendar (RFC 5545) feed that calendar
// apps can import or subscribe to.
//
// Output is deterministic: the same calendar always gives the same bytes, so
// HTTP ETags computed over it stay stable. That is why DTSTAMP comes from the
// party's UpdatedAt rather than the wall clock, and why events are sorted.
//
// Times are written as wall-clock times in the conference's zone (DTSTART;
// TZID=Europe/Berlin:...) together with a VTIMEZONE derived from Go's zone
// database, so a party at 20:00 in Cologne shows at 20:00 Cologne time in every
// app, whatever the zone of the device.
package ics

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	ical "github.com/arran4/golang-ical"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// DefaultProdID is the PRODID written when Calendar.ProdID is empty.
const DefaultProdID = "-//Partyfinder//Partyfinder Calendar//EN"

// UIDDomain is the right-hand side of every event UID. A party's UID never
// changes, so re-importing a feed updates events instead of duplicating them.
const UIDDomain = "partyfinder"

// maxLine is the RFC 5545 line limit in octets, excluding the CRLF.
const maxLine = 75

// Calendar is what goes into one feed.
type Calendar struct {
	// Name is the calendar's display name (X-WR-CALNAME); the conference
	// name when empty.
	Name string
	// Conference gives the time zone every time is written in.
	Conference conference.Conference
	// Parties are the events. Parties that are not public (draft, pending)
	// are left out, so a caller cannot leak them by accident.
	Parties []party.Party
	// Now is the DTSTAMP of parties that carry neither UpdatedAt nor
	// CreatedAt. Stored parties always carry both; keep Now fixed (or zero)
	// if output must be reproducible.
	Now time.Time
	// ProdID identifies the producer (PRODID); DefaultProdID when empty.
	ProdID string
	// BaseURL, when set, gives parties without a Link a URL of BaseURL/<id>,
	// e.g. "https://partyfinder.example/parties".
	BaseURL string
	// Refresh, when positive, asks subscribing apps to poll at this interval
	// (REFRESH-INTERVAL and the X-PUBLISHED-TTL that Outlook and Google read).
	Refresh time.Duration
	// OpenEnd, when positive, is the duration given to parties without an
	// end. When zero such parties get no DTEND: RFC 5545 then treats them as
	// points in time, which is the truth (the organizer gave no end) and how
	// the rest of Partyfinder treats them; their description says "End: open".
	OpenEnd time.Duration
}

// Encode returns the calendar as iCalendar bytes with CRLF line endings and
// lines folded at 75 octets. It returns an Invalid error when the conference
// has no valid time zone.
func Encode(cal Calendar) ([]byte, error) {
	var b bytes.Buffer
	if err := write(&b, cal); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write writes the calendar to w like Encode.
func Write(w io.Writer, cal Calendar) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	if err := write(bw, cal); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("ics: write: %w", err)
	}
	return nil
}

func write(w io.Writer, cal Calendar) error {
	c, err := build(cal)
	if err != nil {
		return err
	}
	if err := c.SerializeTo(w, ical.WithNewLineWindows, ical.WithLineLength(maxLine)); err != nil {
		return fmt.Errorf("ics: write: %w", err)
	}
	return nil
}

func build(cal Calendar) (*ical.Calendar, error) {
	tzid := cal.Conference.TimeZone
	loc, err := time.LoadLocation(tzid)
	if tzid == "" || tzid == "Local" || err != nil {
		return nil, fmt.Errorf("ics: %w", apperr.Field("timeZone", "format",
			"the conference needs an IANA time zone such as Europe/Berlin"))
	}

	parties := make([]*party.Party, 0, len(cal.Parties))
	for i := range cal.Parties {
		if p := &cal.Parties[i]; p.Status.Public() && !p.Start.IsZero() {
			parties = append(parties, p)
		}
	}
	// Sorted so that the same set of parties always gives the same bytes.
	slices.SortFunc(parties, func(a, b *party.Party) int { return party.Chronological(*a, *b) })

	c := ical.NewCalendarFor("Partyfinder")
	prodID := cal.ProdID
	if prodID == "" {
		prodID = DefaultProdID
	}
	c.SetProductId(text(prodID))
	c.SetCalscale("GREGORIAN")
	c.SetMethod(ical.MethodPublish)
	name := cal.Name
	if name == "" {
		name = cal.Conference.Name
	}
	if name != "" {
		c.SetXWRCalName(text(name))
	}
	c.SetXWRTimezone(tzid)
	if d := duration(cal.Refresh); d != "" {
		c.CalendarProperties = append(c.CalendarProperties, ical.CalendarProperty{BaseProperty: ical.BaseProperty{
			IANAToken: "REFRESH-INTERVAL", Value: d,
			ICalParameters: map[string][]string{string(ical.ParameterValue): {string(ical.ValueDataTypeDuration)}},
		}})
		c.SetXPublishedTTL(d)
	}

	if from, to, ok := span(cal.Conference, parties, loc); ok {
		c.AddVTimezone(vtimezone(tzid, loc, from, to))
	}
	for _, p := range parties {
		c.AddVEvent(event(cal, p, loc, tzid))
	}
	return c, nil
}

// span returns the calendar years that the conference and the parties touch,
// which the VTIMEZONE must cover.
func span(conf conference.Conference, ps []*party.Party, loc *time.Location) (from, to int, ok bool) {
	see := func(t time.Time) {
		y := t.In(loc).Year()
		if !ok || y < from {
			from = y
		}
		if !ok || y > to {
			to = y
		}
		ok = true
	}
	for _, d := range []string{conf.FirstDay, conf.LastDay} {
		if t, err := time.ParseInLocation(conference.DateLayout, d, loc); err == nil {
			see(t)
		}
	}
	for _, p := range ps {
		see(p.Start)
		if !p.End.IsZero() {
			see(p.End)
		}
	}
	return from, to, ok
}

func event(cal Calendar, p *party.Party, loc *time.Location, tzid string) *ical.VEvent {
	e := ical.NewEvent(p.ID + "@" + UIDDomain)
	e.SetDtStampTime(stamp(cal, p))
	setTime(e, ical.ComponentPropertyDtStart, p.Start, loc, tzid)
	switch {
	case !p.End.IsZero():
		setTime(e, ical.ComponentPropertyDtEnd, p.End, loc, tzid)
	case cal.OpenEnd > 0:
		setTime(e, ical.ComponentPropertyDtEnd, p.Start.Add(cal.OpenEnd), loc, tzid)
	}

	summary := text(p.Title)
	status := ical.ObjectStatusConfirmed
	if p.Status == party.Cancelled {
		// Many apps ignore STATUS in subscribed feeds; the title must say it.
		summary = "Cancelled: " + summary
		status = ical.ObjectStatusCancelled
	}
	e.SetSummary(summary)
	link := eventURL(cal.BaseURL, p)
	if d := description(p, link); d != "" {
		e.SetDescription(d)
	}
	if l := location(p); l != "" {
		e.SetLocation(l)
	}
	if p.Location != nil && p.Location.Valid() {
		e.SetProperty(ical.ComponentPropertyGeo,
			strconv.FormatFloat(p.Location.Lat, 'f', -1, 64)+";"+strconv.FormatFloat(p.Location.Lng, 'f', -1, 64))
	}
	if link != "" {
		e.SetURL(link)
	}
	if label := text(p.Category.Label); label != "" {
		e.AddCategory(label)
	}
	e.SetStatus(status)
	seq := p.Version - 1
	if seq < 0 {
		seq = 0
	}
	e.SetSequence(int(seq))
	if !p.CreatedAt.IsZero() {
		e.SetCreatedTime(p.CreatedAt)
	}
	if !p.UpdatedAt.IsZero() {
		e.SetLastModifiedAt(p.UpdatedAt)
	}
	return e
}

// stamp returns the DTSTAMP: the last change of the party, so that the bytes
// only change when the party does.
func stamp(cal Calendar, p *party.Party) time.Time {
	for _, t := range []time.Time{p.UpdatedAt, p.CreatedAt, cal.Now} {
		if !t.IsZero() {
			return t
		}
	}
	return p.Start
}

// setTime writes t as wall-clock time in the conference zone. In the hour a
// year when the wall clock repeats (the night clocks go back), such a time is
// ambiguous: RFC 5545 reads it as the first occurrence but some readers (Go's
// time package among them) take the second, so those instants go out in UTC.
func setTime(e *ical.VEvent, prop ical.ComponentProperty, t time.Time, loc *time.Location, tzid string) {
	lt := t.In(loc)
	if !repeatedWallClock(lt) {
		e.SetProperty(prop, lt.Format(localLayout), ical.WithTZID(tzid))
		return
	}
	e.SetProperty(prop, t.UTC().Format(localLayout+"Z"))
}

// repeatedWallClock reports whether t's wall clock in its zone also names
// another instant, which is only possible next to a change of offset.
func repeatedWallClock(t time.Time) bool {
	start, end := t.ZoneBounds()
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	for _, edge := range []time.Time{start.Add(-time.Second), end} {
		if edge.Year() <= 1 { // ZoneBounds gives zero times for endless periods
			continue
		}
		_, o := edge.In(t.Location()).Zone()
		u := wall.Add(-time.Duration(o) * time.Second)
		if _, uo := u.In(t.Location()).Zone(); uo == o && !u.Equal(t) {
			return true
		}
	}
	return false
}

// description is the party's own text followed by the facts people look for
// in a calendar entry: hosts, price, audience and the link.
func description(p *party.Party, link string) string {
	var b strings.Builder
	if d := text(p.Description); d != "" {
		b.WriteString(d)
		b.WriteString("\n\n")
	}
	line := func(label, v string) {
		if v = text(v); v != "" {
			b.WriteString(label + ": " + v + "\n")
		}
	}
	line("Hosts", strings.Join(p.Hosts, ", "))
	line("Price", p.Price)
	line("Category", p.Category.Label)
	line("Focus", p.Focus)
	if p.End.IsZero() {
		line("End", "open")
	}
	line("Link", link)
	return strings.TrimRight(b.String(), "\n")
}

// location joins venue and address, leaving out an address that only
// repeats the venue (or a venue already named in the address).
func location(p *party.Party) string {
	venue, addr := text(p.Venue), text(p.Address)
	switch {
	case venue == "":
		return addr
	case addr == "" || strings.Contains(strings.ToLower(venue), strings.ToLower(addr)):
		return venue
	case strings.Contains(strings.ToLower(addr), strings.ToLower(venue)):
		return addr
	}
	return venue + ", " + addr
}

// eventURL returns the party's link, or one built from base, or "" when
// neither is an absolute http(s) URL.
func eventURL(base string, p *party.Party) string {
	link := p.Link
	if link == "" && base != "" {
		link = strings.TrimRight(base, "/") + "/" + url.PathEscape(p.ID)
	}
	if !party.ValidLink(link) {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	// String re-encodes what a URI value may not hold raw, such as spaces.
	return u.String()
}

// text prepares free text for a TEXT value: the library escapes backslashes,
// commas, semicolons and newlines, but a raw CR or other control character
// would break the line structure, so line breaks become LF and other controls
// go.
func text(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\n' || r == '\t':
			return r
		case isControl(r):
			return -1
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// duration formats d as an RFC 5545 DURATION such as PT1H or PT1H30M, or ""
// for a non-positive d.
func duration(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		return ""
	}
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	out := "PT"
	if h > 0 {
		out += strconv.Itoa(h) + "H"
	}
	if m > 0 {
		out += strconv.Itoa(m) + "M"
	}
	if s > 0 {
		out += strconv.Itoa(s) + "S"
	}
	return out
}
