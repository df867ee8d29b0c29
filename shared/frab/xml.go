package frab

import (
	"slices"
	"strconv"

	"golang.org/x/text/unicode/norm"
)

// AppendXML appends the schedule as frab XML (schedule.xml) to b and returns
// the extended buffer.
//
// The layout follows frab's own export: schedule, generator, version,
// conference, then each day with its rooms and their events, indented by two
// spaces. A day lists the rooms that have events on it.
func (s *Schedule) AppendXML(b []byte) []byte {
	b = slices.Grow(b, s.xmlHint)
	b = append(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<schedule>\n  <generator name=\""+Generator+"\"/>\n  <version>"...)
	b = appendXML(b, s.version, false)
	b = append(b, "</version>\n  <conference>\n    <acronym>"...)
	b = append(b, s.acronym...)
	b = append(b, "</acronym>\n    <title>"...)
	b = appendXML(b, s.title, false)
	b = append(b, "</title>\n    <start>"...)
	b = append(b, s.first...)
	b = append(b, "</start>\n    <end>"...)
	b = append(b, s.last...)
	b = append(b, "</end>\n    <days>"...)
	b = strconv.AppendInt(b, int64(len(s.days)), 10)
	b = append(b, "</days>\n    <timeslot_duration>"+TimeslotDuration+"</timeslot_duration>\n"...)
	if s.baseURL != "" {
		b = append(b, "    <base_url>"...)
		b = appendXML(b, s.baseURL, false)
		b = append(b, "/</base_url>\n"...)
	}
	b = append(b, "    <time_zone_name>"...)
	b = appendXML(b, s.timeZone, false)
	b = append(b, "</time_zone_name>\n"...)
	for i := range s.tracks {
		t := &s.tracks[i]
		b = append(b, "    <track name=\""...)
		b = appendXML(b, t.name, true)
		if slug := trackSlug(t.key); slug != "" {
			b = append(b, "\" slug=\""...)
			b = append(b, slug...)
		}
		b = append(b, "\"/>\n"...)
	}
	b = append(b, "  </conference>\n"...)

	var scratch []byte
	it := new(norm.Iter)
	for di := range s.days {
		d := &s.days[di]
		b = append(b, "  <day index=\""...)
		b = strconv.AppendInt(b, int64(di+1), 10)
		b = append(b, "\" date=\""...)
		b = d.start.AppendFormat(b, "2006-01-02")
		b = append(b, "\" start=\""...)
		b = d.start.AppendFormat(b, dateTimeLayout)
		b = append(b, "\" end=\""...)
		b = d.end.AppendFormat(b, dateTimeLayout)
		b = append(b, "\">\n"...)
		for i := d.lo; i < d.hi; {
			r := &s.rooms[s.events[i].room]
			b = append(b, "    <room name=\""...)
			b = appendXML(b, r.name, true)
			b = append(b, "\" guid=\""...)
			b = append(b, r.guid[:]...)
			b = append(b, "\">\n"...)
			for room := s.events[i].room; i < d.hi && s.events[i].room == room; i++ {
				b, scratch = s.appendEventXML(b, scratch, it, &s.events[i])
			}
			b = append(b, "    </room>\n"...)
		}
		b = append(b, "  </day>\n"...)
	}
	return append(b, "</schedule>\n"...)
}

func (s *Schedule) appendEventXML(b, scratch []byte, it *norm.Iter, e *event) ([]byte, []byte) {
	p := e.p
	b = append(b, "      <event guid=\""...)
	b = append(b, e.guid[:]...)
	b = append(b, "\" id=\""...)
	b = strconv.AppendUint(b, uint64(e.id), 10)
	b = append(b, "\">\n        <date>"...)
	b = e.start.AppendFormat(b, dateTimeLayout)
	b = append(b, "</date>\n        <start>"...)
	b = e.start.AppendFormat(b, clockLayout)
	b = append(b, "</start>\n        <duration>"...)
	b = appendClock(b, e.shown)
	b = append(b, "</duration>\n        <room>"...)
	b = appendXML(b, s.rooms[e.room].name, false)
	b = append(b, "</room>\n        <slug>"...)
	b = appendSlug(b, it, s.acronym, e.id, p.Title)
	b = append(b, "</slug>\n"...)
	if scratch = s.appendURL(scratch[:0], e); len(scratch) > 0 {
		b = append(b, "        <url>"...)
		b = appendXML(b, scratch, false)
		b = append(b, "</url>\n"...)
	}
	b = append(b, "        <title>"...)
	scratch = appendTitle(scratch[:0], p)
	b = appendXML(b, scratch, false)
	b = append(b, "</title>\n"...)
	if p.Price != "" {
		b = append(b, "        <subtitle>"...)
		b = appendXML(b, p.Price, false)
		b = append(b, "</subtitle>\n"...)
	}
	b = append(b, "        <track>"...)
	b = appendXML(b, s.tracks[e.track].name, false)
	b = append(b, "</track>\n        <type>"+EventType+"</type>\n        <abstract>"...)
	scratch = appendAbstract(scratch[:0], p)
	b = appendXML(b, scratch, false)
	b = append(b, "</abstract>\n"...)
	if scratch = s.appendDescription(scratch[:0], e); len(scratch) > 0 {
		b = append(b, "        <description>"...)
		b = appendXML(b, scratch, false)
		b = append(b, "</description>\n"...)
	}
	if len(p.Hosts) == 0 {
		b = append(b, "        <persons/>\n"...)
	} else {
		b = append(b, "        <persons>\n"...)
		for _, h := range p.Hosts {
			b = append(b, "          <person>"...)
			b = appendXML(b, h, false)
			b = append(b, "</person>\n"...)
		}
		b = append(b, "        </persons>\n"...)
	}
	if e.link == "" {
		b = append(b, "        <links/>\n"...)
	} else {
		b = append(b, "        <links>\n          <link href=\""...)
		b = appendXML(b, e.link, true)
		b = append(b, "\">"+LinkTitle+"</link>\n        </links>\n"...)
	}
	return append(b, "      </event>\n"...), scratch
}

// trackSlug returns a category key as a track slug when it is one that both
// schemas accept (a-z first, then a-z, 0-9 and dashes, not ending in a
// dash), else "": keys keep letters beyond ASCII.
func trackSlug(key string) string {
	if len(key) < 2 || key[0] < 'a' || key[0] > 'z' || key[len(key)-1] == '-' {
		return ""
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return ""
		}
	}
	return key
}
