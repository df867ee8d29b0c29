// Package frab writes a conference's parties in the frab schedule format, as
// XML (schedule.xml) and as JSON (schedule.json): the format that attendees'
// schedule apps such as Giggity, EventFahrplan and ConfClerk read, and that
// pretalx and frab export. The schemas are C3VOC's (https://c3voc.de/schedule/schema.xsd
// and https://c3voc.de/schedule/schema.json); the tests validate against both.
//
// Build the document once with New, then write it with AppendXML/WriteXML or
// AppendJSON/WriteJSON. Output is deterministic: the same conference, parties
// and options give the same bytes whatever the order of the parties, so HTTP
// ETags computed over them stay stable. Nothing depends on the wall clock.
//
// The mapping:
//
//   - conference → conference: acronym from the conference id, title, first
//     and last day, the number of days, the time zone name and the base URL.
//   - each conference day → day, numbered from 1. A day runs from DayChange
//     (06:00 local) to 06:00 the next morning, so a party night that runs past
//     midnight, or an after-party starting at 01:00, sits on the evening it
//     belongs to. Days outside the conference that hold parties are added.
//   - each venue → room, named after the venue, or after the address when
//     the party names no venue; names that differ only in case, accents or
//     spacing are one room. Parties with neither share the room NoVenueRoom.
//   - each public party → event, with a stable id and guid derived from the
//     party id (see EventGUID and EventID); date (with the conference's
//     offset), start and duration, cut so that the event ends by the end of
//     its day and lasts at most 23:59, as the apps need (the JSON's end
//     stays true); title; subtitle = the price; track = the category; type =
//     EventType; abstract = the organizer's description; description =
//     where exactly, the audience, the tags, and an open end or the true end
//     of a cut duration;
//     persons = the hosts; links = the party's link; url = its page under
//     Options.BaseURL, else its link. No language: parties do not say.
//
// Text is written exactly as given, escaped for each encoding; what XML 1.0
// cannot hold (control characters, invalid UTF-8) becomes U+FFFD in both.
//
// Draft, pending and rejected parties are left out, so a caller cannot leak
// them by accident; cancelled parties stay, marked (see CancelledPrefix).
package frab

import (
	"time"

	"github.com/partyfinder/partyfinder/shared/schedule"
)

// DayChange is the local clock time at which one conference day ends and the
// next begins. Party nights in Cologne end by 05:00 and daytime events
// (breakfasts, conference talks) start after 07:00, so 06:00 separates last
// night from this morning. frab apps show a day tab from its start to its
// end; a party starting at 01:00 on Thursday belongs to Wednesday's tab.
const DayChange = 6 * time.Hour

// NoVenueRoom is the room of the parties that give neither a venue nor an
// address yet. It sorts after every other room.
const NoVenueRoom = "Venue to be announced"

// CancelledPrefix starts the title of a cancelled party. Neither schema has a
// field for an event's status (both close the event to extra fields), and the
// apps show the title everywhere, in lists, grids and reminders; the abstract
// says it again, with the organizer's reason. The wording is the calendar
// export's, so both read the same. Cancelled parties stay in the schedule so
// that attendees who starred one see that it is off, rather than have it
// silently vanish from their plan.
const CancelledPrefix = "Cancelled: "

// EventType is every event's type. The category goes into track, where apps
// group and filter by it; the type says what kind of thing this is, as "talk"
// or "workshop" do at a conference.
const EventType = "party"

// TimeslotDuration is the conference's timeslot: party start times fall on
// quarter hours (18:00, 19:30, 20:45 in the real sheets).
const TimeslotDuration = "00:15"

// DefaultOpenEnd is the duration given to a party without an end: the two
// hours the attendee's plan assumes (schedule.AssumedDuration), so the
// schedule app and the plan agree on what clashes. Both formats require a
// duration; the description says the end is open.
const DefaultOpenEnd = schedule.AssumedDuration

// Generator is the generator name written into both formats.
const Generator = "Partyfinder"

// LinkTitle is the title of the party's own link in links.
const LinkTitle = "Event page"

// maxDays bounds a document: a conference spanning more days than this is
// refused rather than written as thousands of empty days.
const maxDays = 366

// Options tune a schedule.
type Options struct {
	// Version is the schedule's version, which apps compare to notice an
	// update: the feed's snapshot revision. When empty, a digest of the
	// conference and of every party's id, version and update time is used,
	// which changes whenever one of them does.
	Version string
	// BaseURL, an absolute http(s) URL such as
	// "https://partyfinder.example/parties", makes every event's url
	// BaseURL/<party id> (the party's page) and is the conference's base_url.
	// Without it an event's url is the party's own link.
	BaseURL string
	// OpenEnd is the duration given to parties without an end;
	// DefaultOpenEnd when zero.
	OpenEnd time.Duration
}
