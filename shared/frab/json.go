package frab

import (
	"slices"
	"strconv"

	"golang.org/x/text/unicode/norm"
)

// jsonSchemaURL is the schema the JSON names in "$schema".
const jsonSchemaURL = "https://c3voc.de/schedule/schema.json"

// AppendJSON appends the schedule as frab JSON (schedule.json) to b and
// returns the extended buffer. It is compact, one line and a final newline.
//
// Besides what the XML holds, the JSON gives the conference's rooms (with
// guids) and every event's true end (events without an end have none; their
// duration is the default). Texts that the XML may leave out (subtitle,
// description, language) are null when absent; the abstract is always a
// string. An event with neither a page under the base URL nor a link of its
// own has the url urn:uuid:<guid>: the schema requires a URI, and this one
// names the event without pointing anywhere.
func (s *Schedule) AppendJSON(b []byte) []byte {
	b = slices.Grow(b, s.jsonHint)
	b = append(b, `{"$schema":"`+jsonSchemaURL+`","generator":{"name":"`+Generator+`"},"schedule":{"version":`...)
	b = appendJSON(b, s.version)
	var scratch []byte
	it := new(norm.Iter)
	if s.baseURL != "" {
		b = append(b, `,"base_url":`...)
		scratch = append(append(scratch[:0], s.baseURL...), '/')
		b = appendJSON(b, scratch)
	}
	b = append(b, `,"conference":{"acronym":"`...)
	b = append(b, s.acronym...)
	b = append(b, `","title":`...)
	b = appendJSON(b, s.title)
	b = append(b, `,"start":"`...)
	b = append(b, s.first...)
	b = append(b, `","end":"`...)
	b = append(b, s.last...)
	b = append(b, `","daysCount":`...)
	b = strconv.AppendInt(b, int64(len(s.days)), 10)
	b = append(b, `,"timeslot_duration":"`+TimeslotDuration+`"`...)
	if s.tzInJSON {
		b = append(b, `,"time_zone_name":`...)
		b = appendJSON(b, s.timeZone)
	}
	b = append(b, `,"tracks":[`...)
	for i := range s.tracks {
		t := &s.tracks[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendJSON(b, t.name)
		if slug := trackSlug(t.key); slug != "" {
			b = append(b, `,"slug":"`...)
			b = append(b, slug...)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, `],"rooms":[`...)
	for i := range s.rooms {
		r := &s.rooms[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendJSON(b, r.name)
		b = append(b, `,"guid":"`...)
		b = append(b, r.guid[:]...)
		b = append(b, `"}`...)
	}
	b = append(b, `],"days":[`...)
	for di := range s.days {
		d := &s.days[di]
		if di > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"index":`...)
		b = strconv.AppendInt(b, int64(di+1), 10)
		b = append(b, `,"date":"`...)
		b = d.start.AppendFormat(b, "2006-01-02")
		b = append(b, `","day_start":"`...)
		b = d.start.AppendFormat(b, dateTimeLayout)
		b = append(b, `","day_end":"`...)
		b = d.end.AppendFormat(b, dateTimeLayout)
		b = append(b, `","rooms":{`...)
		for i := d.lo; i < d.hi; {
			if i > d.lo {
				b = append(b, ',')
			}
			b = appendJSON(b, s.rooms[s.events[i].room].name)
			b = append(b, ":["...)
			for room, first := s.events[i].room, i; i < d.hi && s.events[i].room == room; i++ {
				if i > first {
					b = append(b, ',')
				}
				b, scratch = s.appendEventJSON(b, scratch, it, &s.events[i])
			}
			b = append(b, ']')
		}
		b = append(b, "}}"...)
	}
	return append(b, "]}}}\n"...)
}

func (s *Schedule) appendEventJSON(b, scratch []byte, it *norm.Iter, e *event) ([]byte, []byte) {
	p := e.p
	b = append(b, `{"guid":"`...)
	b = append(b, e.guid[:]...)
	b = append(b, `","id":`...)
	b = strconv.AppendUint(b, uint64(e.id), 10)
	b = append(b, `,"date":"`...)
	b = e.start.AppendFormat(b, dateTimeLayout)
	b = append(b, `","start":"`...)
	b = e.start.AppendFormat(b, clockLayout)
	if !e.end.IsZero() {
		b = append(b, `","end":"`...)
		b = e.end.AppendFormat(b, dateTimeLayout)
	}
	b = append(b, `","duration":"`...)
	b = appendClock(b, e.shown)
	b = append(b, `","room":`...)
	b = appendJSON(b, s.rooms[e.room].name)
	b = append(b, `,"slug":"`...)
	b = appendSlug(b, it, s.acronym, e.id, p.Title)
	b = append(b, `","url":`...)
	if scratch = s.appendURL(scratch[:0], e); len(scratch) == 0 {
		scratch = append(append(scratch, "urn:uuid:"...), e.guid[:]...)
	}
	b = appendJSON(b, scratch)
	b = append(b, `,"title":`...)
	scratch = appendTitle(scratch[:0], p)
	b = appendJSON(b, scratch)
	b = append(b, `,"subtitle":`...)
	b = appendJSONOrNull(b, p.Price)
	b = append(b, `,"track":`...)
	b = appendJSON(b, s.tracks[e.track].name)
	b = append(b, `,"type":"`+EventType+`","language":null,"abstract":`...)
	scratch = appendAbstract(scratch[:0], p)
	b = appendJSON(b, scratch)
	b = append(b, `,"description":`...)
	scratch = s.appendDescription(scratch[:0], e)
	b = appendJSONOrNull(b, scratch)
	b = append(b, `,"persons":[`...)
	for i, h := range p.Hosts {
		if i > 0 {
			b = append(b, ',')
		}
		// name for readers of pretalx's JSON, public_name for older
		// frab readers; without an id the schema reads it as a pretalx
		// person, as it must match exactly one of the two.
		b = append(b, `{"name":`...)
		b = appendJSON(b, h)
		b = append(b, `,"public_name":`...)
		b = appendJSON(b, h)
		b = append(b, '}')
	}
	b = append(b, `],"links":[`...)
	if e.link != "" {
		b = append(b, `{"url":`...)
		b = appendJSON(b, e.link)
		b = append(b, `,"title":"`+LinkTitle+`","type":"web"}`...)
	}
	return append(b, "]}"...), scratch
}

// appendJSONOrNull appends s as a JSON string, or null when it is empty.
func appendJSONOrNull[T text](b []byte, s T) []byte {
	if len(s) == 0 {
		return append(b, "null"...)
	}
	return appendJSON(b, s)
}
