// Package demo holds Demo Games Week, a made-up conference in Cologne with
// about sixty made-up parties, used to seed an empty local store so that the
// app has something believable to show.
//
// Venues, hosts and links are fictional (links point at example.com); streets
// and coordinates are real places in Cologne so that maps and distance
// sorting behave as with real data. The week always starts on the Monday
// after "now", so the demo never looks stale, and everything else (ids,
// timestamps, order) is fixed, so that the same week always gives the same
// data.
package demo

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// The demo conference's fixed facts.
const (
	ConferenceID = "democon"
	Name         = "Demo Games Week"
	City         = "Cologne"
	TimeZone     = "Europe/Berlin"
	Days         = 5
	// Source marks demo parties, so that they can be told from imported
	// and submitted ones.
	Source = "demo"
)

// Data returns the demo conference, five days from the Monday after now
// (Cologne time), and its parties ordered by start, all valid and at
// Version 1. Calls with a now in the same week return equal values.
func Data(now time.Time) (conference.Conference, []party.Party) {
	c := Conference(now)
	return c, parties(c)
}

// Conference returns the demo conference for the week after now: Monday to
// Friday, starting on the first Monday strictly after now's local date.
func Conference(now time.Time) conference.Conference {
	loc := berlin()
	local := now.In(loc)
	ahead := (8 - int(local.Weekday())) % 7
	if ahead == 0 {
		ahead = 7
	}
	first := time.Date(local.Year(), local.Month(), local.Day()+ahead, 0, 0, 0, 0, loc)
	last := first.AddDate(0, 0, Days-1)
	c, err := conference.New(ConferenceID, Name, City, TimeZone,
		first.Format(conference.DateLayout), last.Format(conference.DateLayout))
	if err != nil {
		panic(fmt.Sprintf("demo: conference: %v", err)) // constant input: a bug here, not bad data
	}
	c.CreatedAt = stamp(first)
	c.UpdatedAt = c.CreatedAt
	return c
}

func berlin() *time.Location {
	loc, err := time.LoadLocation(TimeZone)
	if err != nil {
		panic(fmt.Sprintf("demo: %v", err)) // the conference package embeds the zone database
	}
	return loc
}

// stamp is the creation time of all demo data: noon two weeks before the
// first day, as if the organizers had entered it then. Derived from the week,
// not the wall clock, so that output built from it is reproducible.
func stamp(firstDay time.Time) time.Time {
	return firstDay.AddDate(0, 0, -14).Add(12 * time.Hour).UTC()
}

func parties(c conference.Conference) []party.Party {
	loc := c.Location()
	first, err := time.ParseInLocation(conference.DateLayout, c.FirstDay, loc)
	if err != nil {
		panic(fmt.Sprintf("demo: first day: %v", err))
	}
	created := stamp(first)
	out := make([]party.Party, 0, len(rows))
	for i, r := range rows {
		v := venues[r.venue]
		hosts := strings.Split(r.hosts, "|")
		slug := party.CategoryKey(r.title)
		start := clock(first, r.day, r.start)
		var end time.Time
		if r.end != "" {
			end = clock(first, r.day, r.end)
			if !end.After(start) {
				end = clock(first, r.day+1, r.end) // runs past midnight
			}
		}
		status := party.Published
		if r.cancelled {
			status = party.Cancelled
		}
		p, err := party.New(party.Party{
			ID:           party.ImportID(c.ID, Source, fmt.Sprintf("day%d/%s", r.day+1, slug)),
			ConferenceID: c.ID,
			Title:        r.title,
			Description:  describe(i, r, v, hosts),
			Venue:        v.name,
			Address:      v.address,
			Location:     &party.Point{Lat: v.lat, Lng: v.lng},
			Start:        start,
			End:          end,
			Category:     party.Category{Label: r.category},
			Hosts:        hosts,
			Price:        r.price,
			Link:         "https://example.com/democon/" + slug,
			Focus:        r.focus,
			Tags:         tags(r, v, end.IsZero() || end.In(loc).Day() != start.In(loc).Day()),
			Status:       status,
			Source:       Source,
			CreatedAt:    created,
			UpdatedAt:    created,
			Version:      1,
		})
		if err != nil {
			panic(fmt.Sprintf("demo: party %q: %v", r.title, err)) // the tables below are wrong
		}
		out = append(out, p)
	}
	slices.SortStableFunc(out, party.Chronological)
	return out
}

// clock returns the local time hh:mm on the given day of the week.
func clock(first time.Time, day int, hhmm string) time.Time {
	var h, m int
	if _, err := fmt.Sscanf(hhmm, "%d:%d", &h, &m); err != nil {
		panic(fmt.Sprintf("demo: clock %q: %v", hhmm, err))
	}
	return time.Date(first.Year(), first.Month(), first.Day()+day, h, m, 0, 0, first.Location())
}

func tags(r row, v venue, late bool) []string {
	var ts []string
	if r.tags != "" {
		ts = strings.Split(r.tags, ",")
	}
	ts = append(ts, strings.ToLower(v.area))
	if late {
		ts = append(ts, "late night")
	}
	return ts
}

func describe(i int, r row, v venue, hosts []string) string {
	ts := templates[r.category]
	if len(ts) == 0 {
		panic(fmt.Sprintf("demo: no description for category %q", r.category))
	}
	aud, ok := audiences[r.focus]
	if !ok {
		aud = "everyone at " + Name
	}
	d := strings.NewReplacer(
		"{hosts}", joinHosts(hosts),
		"{venue}", v.name,
		"{area}", v.area,
		"{audience}", aud,
	).Replace(ts[i%len(ts)])
	if r.note != "" {
		d += "\n\n" + r.note
	}
	if r.cancelled {
		d += "\n\nUpdate: this event has been cancelled. The hosts hope to see you at another party this week."
	}
	return d
}

func joinHosts(hs []string) string {
	if len(hs) == 1 {
		return hs[0]
	}
	return strings.Join(hs[:len(hs)-1], ", ") + " and " + hs[len(hs)-1]
}

// venue is a made-up place at a real Cologne address.
type venue struct {
	name, address, area string
	lat, lng            float64
}

// Indexes into venues, so the party table reads as names.
const (
	rheinloft = iota
	kachelbar
	wohnzimmer
	ringlicht
	domblick
	kellerkind
	respawn
	zollpier
	kranhalle
	maschinenhalle
	speicherstand
	kiosk404
	atrium
	hansaSalon
	severinshof
	lindengarten
	pixelschmiede
	pavillon
	rheinpark
)

var venues = []venue{
	rheinloft:      {"Rheinloft Deutz", "Kennedy-Ufer 2, 50679 Köln", "Deutz", 50.94062, 6.97163},
	kachelbar:      {"Kachelbar", "Ehrenstraße 12, 50672 Köln", "Ehrenstraße", 50.93852, 6.94118},
	wohnzimmer:     {"Belgisches Wohnzimmer", "Brüsseler Platz 10, 50674 Köln", "Belgian Quarter", 50.93683, 6.93493},
	ringlicht:      {"Ringlicht Lounge", "Hohenzollernring 25, 50672 Köln", "Ring", 50.93812, 6.94041},
	domblick:       {"Domblick Dachterrasse", "Am Hof 20, 50667 Köln", "Old Town", 50.93958, 6.95851},
	kellerkind:     {"Kellerkind", "Heumarkt 20, 50667 Köln", "Old Town", 50.93601, 6.96043},
	respawn:        {"MS Respawn", "Frankenwerft 35, 50667 Köln", "Rhine Promenade", 50.93841, 6.96271},
	zollpier:       {"Zollpier Drei", "Im Zollhafen 18, 50678 Köln", "Rheinauhafen", 50.92291, 6.96882},
	kranhalle:      {"Kranhalle Süd", "Agrippinawerft 6, 50678 Köln", "Rheinauhafen", 50.92663, 6.96502},
	maschinenhalle: {"Maschinenhalle Mülheim", "Schanzenstraße 28, 51063 Köln", "Mülheim", 50.96612, 7.01458},
	speicherstand:  {"Speicherstand", "Bartholomäus-Schink-Straße 65, 50825 Köln", "Ehrenfeld", 50.95083, 6.91772},
	kiosk404:       {"Kiosk 404", "Venloer Straße 390, 50825 Köln", "Ehrenfeld", 50.94931, 6.91744},
	atrium:         {"Mediapark Atrium", "Im Mediapark 7, 50670 Köln", "Mediapark", 50.94781, 6.94402},
	hansaSalon:     {"Hansa Salon", "Hansaring 66, 50670 Köln", "Ring", 50.94822, 6.94913},
	severinshof:    {"Severinshof", "Severinstraße 15, 50678 Köln", "Südstadt", 50.92791, 6.95922},
	lindengarten:   {"Lindengarten", "Lindenstraße 20, 50674 Köln", "Kwartier Latäng", 50.93372, 6.93651},
	pixelschmiede:  {"Pixelschmiede", "Zülpicher Straße 9, 50674 Köln", "Kwartier Latäng", 50.93071, 6.93883},
	pavillon:       {"Ottoplatz Pavillon", "Ottoplatz 1, 50679 Köln", "Deutz", 50.94052, 6.97451},
	rheinpark:      {"Rheinpark Bühne", "Rheinparkweg 1, 50679 Köln", "Rheinpark", 50.94951, 6.97852},
}

// row is one demo party. Days count from 0 (Monday); an end at or before the
// start is on the next day; an empty end means the party is open-ended.
type row struct {
	day        int
	start, end string
	title      string
	category   string
	venue      int
	hosts      string // "|"-separated
	price      string
	focus      string
	tags       string // ","-separated
	note       string // an extra line for the description
	cancelled  bool
}

var rows = []row{
	// Monday: arrivals.
	{0, "09:00", "10:30", "Riverside Run & Stretch", "Wellness", rheinpark, "Latency Zero", "Free", "Wellness", "running,outdoors", "5 km at an easy pace along the Rhine, a shorter loop for anyone still jet-lagged, then stretching on the lawn.", false},
	{0, "10:00", "13:00", "Old Town Brewery Walk", "Tour", kellerkind, "Spielwerk Akademie", "€15", "All", "walking tour,kölsch", "", false},
	{0, "12:00", "14:00", "Indie Founders Lunch", "Meetings", severinshof, "Eisvogel Ventures", "Request to Join", "Indie", "founders,funding", "", false},
	{0, "14:00", "17:30", "Localization Roundtable", "Meetings", atrium, "Brightdock Localization", "Free if approved", "Localization", "localization,qa", "", false},
	{0, "16:00", "19:00", "Press & Creators Warm-Up", "Mixer", hansaSalon, "Polygon Pals Podcast", "Free", "Press & Creators", "press,streaming", "", false},
	{0, "18:00", "22:00", "Opening Night Mixer", "Mixer", rheinloft, "Indie Kollektiv Köln|Rheinpixel Games", "Free", "All", "networking,drinks", "Badge pick-up for early arrivals at the entrance until 20:00.", false},
	{0, "18:30", "21:30", "Publisher Speed Dating", "Game Pitches", pixelschmiede, "Glasswing Publishing", "Request to Join", "Pitches", "publishing,pitching", "", false},
	{0, "19:00", "23:00", "Women in Play Welcome Drinks", "Mixer", wohnzimmer, "Women in Play Rhineland", "Free", "DEI", "community,drinks", "", false},
	{0, "19:30", "23:30", "Audio Folks Meetup", "Mixer", kiosk404, "Tessellate Audio", "Free", "Audio", "audio,music", "", false},
	{0, "20:00", "01:00", "Pixel Karaoke Night", "Party", kachelbar, "Pocket Comet|Tiny Meteor", "€10", "Fun", "karaoke,music", "", false},
	{0, "20:00", "", "Late Check-in Lounge", "Mixer", pavillon, "Level Up Talent", "Free", "All", "networking", "Open until the last guest leaves.", false},
	{0, "21:00", "03:00", "Ehrenfeld Warm-Up Rave", "Party", speicherstand, "Bitrauschen", "€15", "Fun", "dj,techno", "", false},

	// Tuesday.
	{1, "07:30", "08:30", "Morning Yoga with a Dome View", "Wellness", domblick, "Moonmoth Collective", "Free", "Wellness", "yoga,outdoors", "Mats and water provided.", false},
	{1, "08:30", "10:00", "Investor Breakfast", "Exec Social", ringlicht, "Lumen Ledger Capital", "Request to Join", "Business", "investors,breakfast", "", false},
	{1, "09:00", "21:00", "Rhine Jam: 12-Hour Hackathon", "Hackathon", maschinenhalle, "Kranich Cloud|Spielwerk Akademie", "Free if approved", "Developers", "game jam,prototyping", "Theme announced at 09:15. Teams of up to four.", false},
	{1, "11:00", "13:00", "Live Service Postmortems", "Meetings", lindengarten, "Nebelhorn Entertainment", "Free", "Live Service", "live ops,talks", "", false},
	{1, "13:00", "16:00", "Mobile Publishing Clinic", "Meetings", hansaSalon, "Firefly Porting Co.", "Free if approved", "Mobile", "mobile,publishing", "", false},
	{1, "15:00", "17:00", "Rheinauhafen Architecture Tour", "Tour", kranhalle, "Spielwerk Akademie", "€15", "All", "walking tour,architecture", "", false},
	{1, "17:00", "20:00", "QA & Tools Happy Hour", "Mixer", severinshof, "Northgate QA Labs", "Free", "Developers", "qa,tools", "", false},
	{1, "18:00", "22:00", "XR Showcase Evening", "Mixer", pixelschmiede, "Hexagon Otter", "Free", "AI / XR", "vr,xr,demos", "", false},
	{1, "19:00", "23:00", "Studio Heads Dinner", "Exec Social", rheinloft, "Quiet Giant Games|Eisvogel Ventures", "Request to Join", "Business", "dinner,leadership", "", true},
	{1, "20:00", "02:00", "Queer Pixels Party", "Party", kachelbar, "Queer Pixels Cologne", "Free", "DEI", "lgbtq+,dj", "", false},
	{1, "21:00", "00:30", "Boat Party on the MS Respawn", "Party", respawn, "Saltmarsh Interactive|Cinder & Moss", "Sold Out", "Fun", "boat,dj", "Boarding closes at 21:15 sharp; the boat will not wait.", false},
	{1, "22:00", "", "Night Owls Retro Arcade", "Party", kiosk404, "Copperbyte", "€5", "Fun", "retro,arcade", "", false},

	// Wednesday.
	{2, "08:00", "10:00", "Coffee & Careers", "Meetings", pavillon, "Level Up Talent", "Free", "Students", "careers,coffee", "", false},
	{2, "09:00", "12:00", "Pitch Practice Morning", "Game Pitches", lindengarten, "Indie Kollektiv Köln", "Free", "Pitches", "pitching,feedback", "", false},
	{2, "10:00", "11:30", "Cathedral Quarter Photo Walk", "Tour", domblick, "Polygon Pals Podcast", "Free", "Press & Creators", "photography,walking tour", "", false},
	{2, "12:00", "14:00", "Funding Lunch for Small Teams", "Meetings", ringlicht, "Eisvogel Ventures|Lumen Ledger Capital", "Free if approved", "Business", "funding,lunch", "", false},
	{2, "14:00", "17:00", "Accessibility in Games Workshop", "Workshop", atrium, "Quillfeather Studio", "Free", "Developers", "accessibility,design", "Bring a build on a laptop if you would like live feedback.", false},
	{2, "16:00", "18:00", "Sound Design Listening Session", "Mixer", speicherstand, "Tessellate Audio", "Free", "Audio", "audio,sound design", "", false},
	{2, "17:30", "20:30", "Nordic & Rhineland Indie Mixer", "Mixer", wohnzimmer, "Paper Kite Games|Kobold Forge", "Free", "Indie", "indie,networking", "", false},
	{2, "18:00", "21:00", "Demo Games Week Community Awards", "Awards Party", rheinpark, "Demo Games Week Team", "€25", "All", "awards,ceremony", "", false},
	{2, "19:00", "23:00", "Publishers' Terrace", "Exec Social", domblick, "Glasswing Publishing", "Request to Join", "Business", "publishing,rooftop", "", false},
	{2, "20:00", "01:30", "Synthwave Dev Night", "Party", maschinenhalle, "Bitrauschen|Latency Zero", "€15", "Fun", "synthwave,dj", "", false},
	{2, "21:00", "23:30", "Board Games & Bytes", "Mixer", kellerkind, "Moonmoth Collective", "Free", "All", "board games,drinks", "", false},
	{2, "22:00", "04:00", "Afterparty at the Pier", "Party", zollpier, "Rheinpixel Games", "Free if approved", "Fun", "afterparty,dj", "", false},

	// Thursday.
	{3, "07:00", "08:00", "Breathwork & Stretching", "Wellness", rheinpark, "Moonmoth Collective", "Free", "Wellness", "breathwork,outdoors", "", false},
	{3, "09:00", "13:00", "Web Games Hack Morning", "Hackathon", pixelschmiede, "Copperbyte", "Free", "Developers", "web games,prototyping", "", false},
	{3, "10:00", "12:00", "Live Ops Leaders Roundtable", "Meetings", ringlicht, "Nebelhorn Entertainment", "Request to Join", "Live Service", "live ops,leadership", "", false},
	{3, "11:00", "14:00", "Publisher Pitch Slam", "Game Pitches", atrium, "Glasswing Publishing|Eisvogel Ventures", "Free if approved", "Pitches", "pitching,publishing", "Ten slots of five minutes; apply with a trailer link.", false},
	{3, "13:00", "15:00", "Street Art Tour Ehrenfeld", "Tour", kiosk404, "Cinder & Moss", "€15", "All", "street art,walking tour", "", true},
	{3, "15:00", "18:00", "Porting Clinic: Handhelds", "Meetings", hansaSalon, "Firefly Porting Co.", "Free", "Developers", "porting,performance", "", false},
	{3, "17:00", "19:00", "Community Managers Meetup", "Mixer", severinshof, "Pocket Comet", "Free", "Community", "community,networking", "", false},
	{3, "18:00", "22:00", "Indie Arcade Night", "Mixer", speicherstand, "Indie Kollektiv Köln", "Free", "Indie", "indie,showcase", "Twenty playable games from studios across the Rhineland.", false},
	{3, "19:00", "23:00", "Investors' Rooftop Social", "Exec Social", domblick, "Lumen Ledger Capital", "Request to Join", "Business", "investors,rooftop", "", false},
	{3, "20:00", "02:00", "Mülheim Warehouse Party", "Party", maschinenhalle, "Iron Lantern Games|Hexagon Otter", "€15", "Fun", "dj,warehouse", "", false},
	{3, "20:30", "23:30", "Narrative Designers' Supper Club", "Exec Social", lindengarten, "Quillfeather Studio", "Sold Out", "Writers", "writing,dinner", "", false},
	{3, "22:00", "03:00", "Kölsch & Chiptunes", "Party", kellerkind, "Tessellate Audio|Copperbyte", "€10", "Fun", "chiptune,live music", "", false},

	// Friday: last day.
	{4, "08:00", "09:30", "Farewell Breakfast for Founders", "Exec Social", ringlicht, "Eisvogel Ventures", "Free if approved", "Business", "founders,breakfast", "", false},
	{4, "09:00", "17:00", "Game Jam: Cologne Edition", "Hackathon", maschinenhalle, "Spielwerk Akademie|Kranich Cloud", "Free", "Students", "game jam,students", "", false},
	{4, "10:00", "12:00", "Rhine Bridges Bike Tour", "Tour", pavillon, "Latency Zero", "€15", "All", "cycling,outdoors", "Bikes and helmets provided.", false},
	{4, "11:00", "13:00", "Esports Organizers Brunch", "Meetings", hansaSalon, "Nebelhorn Entertainment", "Request to Join", "Esports", "esports,brunch", "", false},
	{4, "12:00", "15:00", "Mental Health in Games Circle", "Wellness", lindengarten, "Women in Play Rhineland", "Free", "Wellness", "mental health,community", "", false},
	{4, "14:00", "16:00", "Student Portfolio Reviews", "Meetings", atrium, "Level Up Talent|Spielwerk Akademie", "Free", "Students", "portfolio,careers", "", false},
	{4, "16:00", "19:00", "Creators' Content Swap", "Mixer", kachelbar, "Polygon Pals Podcast", "Free", "Press & Creators", "creators,streaming", "", false},
	{4, "17:00", "20:00", "Mobile Mixer by the Harbour", "Mixer", zollpier, "Firefly Porting Co.|Pocket Comet", "Free", "Mobile", "mobile,networking", "", false},
	{4, "18:00", "21:00", "Golden Kobold Indie Awards", "Awards Party", rheinpark, "Kobold Forge", "€25", "Indie", "awards,indie", "", false},
	{4, "19:00", "23:00", "Week's End Exec Dinner", "Exec Social", rheinloft, "Quiet Giant Games", "Sold Out", "Business", "dinner,leadership", "", false},
	{4, "21:00", "04:00", "Closing Party: Last Save", "Party", speicherstand, "Rheinpixel Games|Bitrauschen|Saltmarsh Interactive", "€15", "Fun", "closing party,dj", "", false},
	{4, "22:00", "", "Last Kölsch at the Kiosk", "Mixer", kiosk404, "Indie Kollektiv Köln", "Free", "All", "kölsch,drinks", "", false},
}

// audiences phrases each focus for the descriptions.
var audiences = map[string]string{
	"All":              "everyone at " + Name,
	"Indie":            "indie developers",
	"DEI":              "women, non-binary and queer people in games and their allies",
	"Audio":            "composers and sound designers",
	"Fun":              "anyone with energy left after the show",
	"Pitches":          "developers looking for a publisher",
	"Business":         "studio leads, publishers and investors",
	"Developers":       "developers of every discipline",
	"Press & Creators": "press, streamers and content creators",
	"AI / XR":          "XR and AI developers",
	"Mobile":           "mobile developers and publishers",
	"Live Service":     "live-ops and live-service teams",
	"Students":         "students and career changers",
	"Wellness":         "anyone who needs a breather",
	"Localization":     "localization and QA teams",
	"Community":        "community managers",
	"Writers":          "writers and narrative designers",
	"Esports":          "esports organizers and teams",
}

// templates are the description texts per category; rows take them in turn.
var templates = map[string][]string{
	"Mixer": {
		"{hosts} invite {audience} to an easy-going evening at {venue}. No talks, no badge checks at the door: just good people, cold Kölsch and room to talk shop.",
		"Meet the people behind the games over drinks and snacks. {hosts} keep the first round on the house at {venue} in {area}; bring business cards or just bring yourself.",
		"A relaxed get-together in {area} for {audience}. Drop by after the halls close and stay as long as you like. Hosted by {hosts}.",
	},
	"Party": {
		"{hosts} take over {venue} for a night of DJs, lights and questionable dance moves. Wristbands at the door; bring your badge.",
		"The {area} night everyone talks about the next morning: music until late, drinks at the bar and games on every screen. Brought to you by {hosts}.",
	},
	"Exec Social": {
		"A small, seated evening for {audience}, hosted by {hosts}. Places are limited and confirmed by email.",
		"Quiet tables, good food and honest conversations about the business of games at {venue}. By invitation of {hosts}.",
	},
	"Meetings": {
		"Book a table with {hosts} at {venue}: short, focused meetings for {audience}, no slides needed.",
		"An open round of conversations in {area} for {audience}. {hosts} bring the coffee; you bring the questions.",
	},
	"Wellness": {
		"Time out from the show floor: {hosts} host a calm session for {audience} at {venue}. All levels welcome.",
		"Step away from the crowds. {hosts} hold a quiet hour for {audience} at {venue} in {area}.",
	},
	"Tour": {
		"Discover {area} with a local guide from {hosts}. We meet at {venue}; comfortable shoes recommended.",
		"A small-group tour of Cologne's {area} with stories, snacks and a stop for a Kölsch. Starts at {venue}, led by {hosts}.",
	},
	"Hackathon": {
		"Form a team, get a theme and build something playable before the deadline. {hosts} provide power, Wi-Fi, pizza and mentors at {venue}.",
		"A jam for {audience}: any engine, any skill level. Demos and a small prize at the end, courtesy of {hosts}.",
	},
	"Awards Party": {
		"Celebrate the standout games of the year with {hosts}. Ceremony first, party right after, at {venue}.",
	},
	"Game Pitches": {
		"Pitch your game in five minutes to publishers and investors. {hosts} give every team feedback on the spot.",
		"Bring a build and a deck: {hosts} match {audience} with publishers for short pitch slots at {venue}.",
	},
	"Workshop": {
		"A hands-on session for {audience} led by {hosts}. Bring a laptop; you will leave with notes and a checklist.",
	},
}
