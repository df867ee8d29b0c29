package frab

import (
	"cmp"
	"encoding/binary"
	"hash/fnv"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/fold"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Schedule is one frab document: a conference's parties laid out in days and
// rooms. Build it with New; it does not change afterwards, so any number of
// goroutines may write it at once. It points into the parties given to New,
// which must not change while it is in use (feed snapshots never do).
type Schedule struct {
	loc      *time.Location
	title    string
	timeZone string
	tzInJSON bool // timeZone matches the JSON schema's pattern
	acronym  string
	version  string
	baseURL  string // "" or an absolute http(s) URL without a trailing slash
	openEnd  time.Duration
	first    string // first and last day, YYYY-MM-DD
	last     string
	days     []day
	rooms    []named
	tracks   []named
	events   []event // by day, room, start, party id
	xmlHint  int     // about the size of the XML
	jsonHint int     // about the size of the JSON
}

// day is one conference day: a night, from DayChange to DayChange.
type day struct {
	start, end time.Time // local
	lo, hi     int       // its events are events[lo:hi]
}

// named is a room or a track: the spelling shown and the folded key that
// groups spellings.
type named struct {
	name string
	key  string
	guid [36]byte // rooms only
	last bool     // sorts after the rest (the room of parties without a venue)
}

// event is one party in the document.
type event struct {
	p     *party.Party
	guid  [36]byte
	id    uint32
	night civil
	day   int32
	room  int32
	track int32
	start time.Time     // local
	end   time.Time     // local; zero when open-ended
	shown time.Duration // the duration listed (see listed)
	link  string        // the party's link made safe to write, or ""
}

// civil is a calendar day, counted from 1970-01-01.
type civil int32

// at returns the wall clock time DayChange on day c in loc. It is built
// from the wall clock, not by adding hours to midnight, so that a night when
// clocks change still starts at 06:00.
func (c civil) at(loc *time.Location) time.Time {
	y, m, d := time.Unix(int64(c)*86400, 0).UTC().Date()
	return time.Date(y, m, d, int(DayChange/time.Hour), int(DayChange%time.Hour/time.Minute), 0, 0, loc)
}

// nightOf returns the conference day a party starting at t belongs to: the
// local day it starts, or the day before when it starts before DayChange.
// It reads the local wall clock as seconds, which is all it needs.
func nightOf(t time.Time) civil {
	_, offset := t.Zone()
	secs := t.Unix() + int64(offset) - int64(DayChange/time.Second)
	days := secs / 86400
	if secs%86400 < 0 {
		days--
	}
	return civil(days)
}

// zones caches loaded time zones: loading one parses the zone database
// every time, which would cost more than laying out the parties.
var zones sync.Map // name → *time.Location

func loadZone(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

// New lays out the public parties of conf (published and cancelled, with a
// start) as a frab schedule. The order of parties does not matter; a party id
// given twice is written once, the copy with the highest version.
//
// It returns an Invalid error when the conference has no valid IANA time
// zone or first and last day, spans more than a year, or when o.BaseURL is
// set but not an absolute http(s) URL.
func New(conf conference.Conference, parties []party.Party, o Options) (*Schedule, error) {
	loc, first, last, err := frame(conf)
	if err != nil {
		return nil, err
	}
	s := &Schedule{loc: loc, title: conf.Name, timeZone: conf.TimeZone, acronym: acronym(conf.ID),
		version: o.Version, openEnd: o.OpenEnd}
	// The schema's pattern for time_zone_name admits most IANA names
	// ("Europe/Berlin", "America/New_York") but not all ("EST5EDT",
	// "Etc/GMT-14"); the JSON leaves those out, as every date carries its
	// offset anyway.
	s.tzInJSON = timeZonePattern.MatchString(conf.TimeZone)
	if s.openEnd <= 0 {
		s.openEnd = DefaultOpenEnd
	}
	if o.BaseURL != "" {
		u := safeLink(o.BaseURL)
		if u == "" {
			return nil, apperr.Field("baseUrl", "format", "frab: the base URL must be an absolute http or https URL")
		}
		s.baseURL = strings.TrimRight(u, "/")
	}

	ps := make([]*party.Party, 0, len(parties))
	for i := range parties {
		if p := &parties[i]; p.Status.Public() && !p.Start.IsZero() {
			ps = append(ps, p)
		}
	}
	// By id, the highest version first, so that duplicates are adjacent and
	// ids are handed out in an order that does not depend on the input's.
	slices.SortStableFunc(ps, func(a, b *party.Party) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(b.Version, a.Version), b.UpdatedAt.Compare(a.UpdatedAt), a.Start.Compare(b.Start))
	})
	ps = slices.CompactFunc(ps, func(a, b *party.Party) bool { return a.ID == b.ID })

	s.events = make([]event, len(ps))
	used := make(map[uint32]struct{}, len(ps))
	// Venues that differ only in case, accents or spacing are one room
	// ("STARTPLATZ" and "Startplatz"; "Kölnmesse" and "Kolnmesse"): apps
	// would show two columns for one place. Categories group by their key,
	// as everywhere in Partyfinder ("Exec Social" and "exec-social").
	rooms := newGrouper(fold.String, NoVenueRoom)
	tracks := newGrouper(conference.CategoryKey, "")
	for i, p := range ps {
		e := &s.events[i]
		e.p = p
		g := uuidV5(partyNamespace, p.ID)
		e.guid = g.text()
		for k := 0; ; k++ {
			v := candidateID(g, p.ID, k)
			if _, taken := used[v]; v != 0 && !taken {
				used[v] = struct{}{}
				e.id = v
				break
			}
		}
		e.start = p.Start.In(loc)
		if p.End.After(p.Start) {
			e.end = p.End.In(loc)
		}
		e.night = nightOf(e.start)
		e.link = safeLink(p.Link)
		// A party with an address and no venue is in a room named after
		// the address ("to be announced" would be untrue); one with
		// neither is in NoVenueRoom.
		e.room = rooms.add(p.Place(), e.start)
		label := p.Category.Label
		if strings.TrimSpace(label) == "" {
			label = party.NewCategory("").Label
		}
		e.track = tracks.add(label, e.start)
	}
	s.rooms, s.tracks = rooms.finish(), tracks.finish()
	for i := range s.rooms {
		s.rooms[i].guid = uuidV5(roomNamespace, conf.ID+"\x00"+s.rooms[i].key).text()
	}
	for i := range s.events {
		s.events[i].room = rooms.order[s.events[i].room]
		s.events[i].track = tracks.order[s.events[i].track]
	}

	s.layDays(first, last)
	for i := range s.events {
		e := &s.events[i]
		e.shown = listed(e, s.openEnd, s.days[e.day].end)
	}
	s.first = s.days[0].start.Format(conference.DateLayout)
	s.last = s.days[len(s.days)-1].start.Format(conference.DateLayout)
	if s.version == "" {
		s.version = digest(conf, ps)
	}
	s.estimate()
	return s, nil
}

// maxListed is the longest duration an event lists. Apps read the duration
// as a clock time: Giggity refuses a whole schedule over a duration of
// 26:00 and reads 24:00 as no time at all.
const maxListed = 23*time.Hour + 59*time.Minute

// listed returns the duration e lists: its own (or openEnd without an
// end), cut so that the event ends by dayEnd, the end of its day at
// DayChange the next morning, and at most maxListed. Apps show an event on the day tabs
// it lies in, so a party running past 06:00, or for days, would be on
// none; the description then gives its true end (the JSON end and the
// calendar export keep it too). It counts from the start as listed, in
// whole minutes, and lists at least a minute.
func listed(e *event, openEnd time.Duration, dayEnd time.Time) time.Duration {
	d := openEnd
	if !e.end.IsZero() {
		d = e.end.Sub(e.start)
	}
	limit := dayEnd.Sub(e.start.Truncate(time.Minute))
	return max(min(d, limit, maxListed), min(d, time.Minute))
}

// frame returns the conference's zone and its first and last day.
func frame(conf conference.Conference) (*time.Location, civil, civil, error) {
	if conf.TimeZone == "" || conf.TimeZone == "Local" {
		return nil, 0, 0, apperr.Field("timeZone", "format", "frab: the conference needs an IANA time zone such as Europe/Berlin")
	}
	loc, err := loadZone(conf.TimeZone)
	if err != nil {
		return nil, 0, 0, apperr.Field("timeZone", "format", "frab: the conference needs an IANA time zone such as Europe/Berlin")
	}
	f, err1 := time.Parse(conference.DateLayout, conf.FirstDay)
	l, err2 := time.Parse(conference.DateLayout, conf.LastDay)
	if err1 != nil || err2 != nil || l.Before(f) {
		return nil, 0, 0, apperr.Field("firstDay", "format", "frab: the conference needs a first and a last day, YYYY-MM-DD, in order")
	}
	first, last := civil(f.Unix()/86400), civil(l.Unix()/86400)
	if last-first >= maxDays {
		return nil, 0, 0, apperr.Field("lastDay", "range", "frab: a conference spans at most "+strconv.Itoa(maxDays)+" days")
	}
	return loc, first, last, nil
}

// layDays makes the days (every conference day, and any other night that has
// a party), sorts the events by day, room, start and id, and gives each day
// its run of events.
func (s *Schedule) layDays(first, last civil) {
	var extra []civil
	for i := range s.events {
		if n := s.events[i].night; n < first || n > last {
			extra = append(extra, n)
		}
	}
	slices.Sort(extra)
	extra = slices.Compact(extra)
	before, _ := slices.BinarySearch(extra, first)
	nights := make([]civil, 0, int(last-first)+1+len(extra))
	nights = append(nights, extra[:before]...)
	for c := first; c <= last; c++ {
		nights = append(nights, c)
	}
	nights = append(nights, extra[before:]...)

	s.days = make([]day, len(nights))
	for i, n := range nights {
		s.days[i] = day{start: n.at(s.loc), end: (n + 1).at(s.loc)}
	}
	// Sort keys without pointers, then move the events into their order:
	// sorting the events themselves would move large structs with
	// pointers, which costs write barriers. Events are in order of party
	// id, so idx breaks ties by party id.
	keys := make([]sortKey, len(s.events))
	for i := range s.events {
		e := &s.events[i]
		d, _ := slices.BinarySearch(nights, e.night)
		e.day = int32(d)
		keys[i] = sortKey{day: e.day, room: e.room, start: e.start.UnixNano(), idx: int32(i)}
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		switch {
		case a.day != b.day:
			return cmp.Compare(a.day, b.day)
		case a.room != b.room:
			return cmp.Compare(a.room, b.room)
		case a.start != b.start:
			return cmp.Compare(a.start, b.start)
		}
		return cmp.Compare(a.idx, b.idx)
	})
	// Position i takes the event at keys[i].idx: follow each cycle of the
	// permutation once, marking done positions with -1.
	for i := range keys {
		if keys[i].idx < 0 {
			continue
		}
		tmp, j := s.events[i], i
		for {
			k := int(keys[j].idx)
			keys[j].idx = -1
			if k == i {
				s.events[j] = tmp
				break
			}
			s.events[j] = s.events[k]
			j = k
		}
	}
	lo := 0
	for i := range s.days {
		hi := lo
		for hi < len(s.events) && int(s.events[hi].day) == i {
			hi++
		}
		s.days[i].lo, s.days[i].hi = lo, hi
		lo = hi
	}
}

type sortKey struct {
	day, room int32
	start     int64
	idx       int32
}

// acronym derives the conference acronym from its id. Both schemas want at
// least four of a-z, 0-9 and _, and the JSON schema allows a dash only in a
// year suffix ("-2025-koeln"), so dashes become underscores ("gamescom-2025"
// → "gamescom_2025") and a shorter id is padded with underscores. Slugs
// start with it: the XML schema wants a slug to start with four or more of
// those characters before its first dash.
func acronym(id string) string {
	b := make([]byte, 0, max(len(id), 4))
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			b = append(b, '_')
		}
	}
	for len(b) < 4 {
		b = append(b, '_')
	}
	return string(b)
}

// digest is the default version: it changes when the conference's identity
// or days, or any party's id, version or update time, do.
func digest(conf conference.Conference, ps []*party.Party) string {
	h := fnv.New64a()
	for _, s := range []string{conf.ID, conf.Name, conf.TimeZone, conf.FirstDay, conf.LastDay} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var buf [16]byte
	for _, p := range ps {
		h.Write([]byte(p.ID))
		binary.BigEndian.PutUint64(buf[:8], uint64(p.Version))
		binary.BigEndian.PutUint64(buf[8:], uint64(p.UpdatedAt.UnixNano()))
		h.Write(buf[:])
	}
	return strconv.FormatUint(h.Sum64(), 16)
}

// timeZonePattern is the JSON schema's pattern for time_zone_name.
var timeZonePattern = regexp.MustCompile(`^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$`)

// estimate sets about the size of each encoding, a little over rather than
// under, so that writers grow their buffer once: what the parties' texts
// take (some written twice), plus the markup of each event, day, room and
// track.
func (s *Schedule) estimate() {
	content := 0
	for i := range s.events {
		p := s.events[i].p
		content += len(p.Title) + min(len(p.Title), maxSlugTitle) + len(p.Description) + 2*len(p.Venue) + len(p.Address) +
			2*len(p.Link) + len(s.baseURL) + len(p.ID) + len(p.Price) + len(p.Focus) + len(p.Note) + len(CancelledPrefix)
		for _, h := range p.Hosts {
			content += 2 * len(h)
		}
		for _, t := range p.Tags {
			content += len(t) + 2
		}
	}
	content += content / 16 // escaping
	fixed := 1024 + 200*len(s.days) + 120*(len(s.rooms)+len(s.tracks))
	s.xmlHint = content + fixed + 640*len(s.events)
	s.jsonHint = content + fixed + 450*len(s.events)
}
