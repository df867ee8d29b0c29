package importer

import (
	"strings"
	"unicode"
)

// field names the Row field a column fills.
type field int

const (
	fNone field = iota
	fID
	fTitle
	fDescription
	fVenue
	fAddress
	fDate
	fStartTime
	fEndTime
	fTime
	fStart
	fEnd
	fLat
	fLng
	fLocation
	fCategory
	fHosts
	fPrice
	fLink
	fFocus
	fTags
	fStatus
	fActive
	fSource
	fIgnore // known columns that carry nothing to import
)

// columns maps normalized column names (lower case, letters and digits only)
// to fields. Sheet headers and export keys share one table.
var columns = map[string]field{
	"id": fID, "eventid": fID, "rowid": fID,
	"eventname": fTitle, "event": fTitle, "name": fTitle, "title": fTitle, "eventtitle": fTitle, "partyname": fTitle,
	"description": fDescription, "details": fDescription, "notes": fDescription,
	"venue": fVenue, "venuename": fVenue, "place": fVenue,
	"address": fAddress, "addr": fAddress, "venueaddress": fAddress,
	"date": fDate, "day": fDate, "eventdate": fDate,
	"starttime": fStartTime, "begin": fStartTime, "from": fStartTime,
	"endtime": fEndTime, "until": fEndTime, "to": fEndTime,
	"time": fTime, "times": fTime, "hours": fTime,
	"start": fStart, "startsat": fStart, "startat": fStart,
	"end": fEnd, "endsat": fEnd, "endat": fEnd,
	"lat": fLat, "latitude": fLat,
	"lng": fLng, "lon": fLng, "long": fLng, "longitude": fLng,
	"location": fLocation, "coordinates": fLocation,
	"category": fCategory, "type": fCategory,
	"hosts": fHosts, "host": fHosts, "hostedby": fHosts, "organizer": fHosts, "organizers": fHosts, "organiser": fHosts, "organisers": fHosts, "hostlist": fHosts,
	"price": fPrice, "cost": fPrice, "entry": fPrice,
	"link": fLink, "url": fLink, "website": fLink, "rsvp": fLink, "registration": fLink,
	"focus": fFocus, "audience": fFocus,
	"tags":       fTags,
	"status":     fStatus,
	"active":     fActive,
	"source":     fSource,
	"uploadedat": fIgnore, "createdat": fIgnore, "updatedat": fIgnore, "version": fIgnore,
	"free": fIgnore, "conferenceid": fIgnore, "conference": fIgnore, "categorykey": fIgnore,
	"localdate": fIgnore, "geocoding": fIgnore, "enddate": fIgnore,
}

// columnKey normalizes a column header: "Start Time", "start_time" and
// "startTime" all become "starttime".
func columnKey(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// setter fills a Row from column values, keeping the first non-empty value
// when two columns map to one field ("Title" and "Event Name").
type setter struct {
	row     *Row
	unknown map[string]bool
	keys    map[field]bool
}

func (s *setter) set(name string, v string) {
	fl, ok := columns[columnKey(name)]
	if !ok {
		if strings.TrimSpace(name) != "" {
			s.unknown[name] = true
		}
		return
	}
	s.keys[fl] = true
	r := s.row
	var dst *string
	switch fl {
	case fID:
		dst = &r.ID
	case fTitle:
		dst = &r.Title
	case fDescription:
		dst = &r.Description
	case fVenue:
		dst = &r.Venue
	case fAddress, fLocation: // a text "location" is an address
		dst = &r.Address
	case fDate:
		dst = &r.Date
	case fStartTime:
		dst = &r.StartTime
	case fEndTime:
		dst = &r.EndTime
	case fTime:
		dst = &r.Time
	case fStart:
		dst = &r.Start
	case fEnd:
		dst = &r.End
	case fLat:
		dst = &r.Lat
	case fLng:
		dst = &r.Lng
	case fCategory:
		dst = &r.Category
	case fHosts:
		dst = &r.Hosts
	case fPrice:
		dst = &r.Price
	case fLink:
		dst = &r.Link
	case fFocus:
		dst = &r.Focus
	case fTags:
		dst = &r.Tags
	case fStatus:
		dst = &r.Status
	case fActive:
		dst = &r.Active
	case fSource:
		dst = &r.Source
	default:
		return
	}
	if strings.TrimSpace(*dst) == "" {
		*dst = v
	}
}

func (s *setter) finish() {
	s.row.present = s.keys
	if s.keys[fStart] || s.keys[fEnd] {
		s.row.Layout = Export
	} else {
		s.row.Layout = Sheet
	}
}
