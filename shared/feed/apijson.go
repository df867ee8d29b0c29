package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// PartyJSON is a party as the API serves it. Field names are the ones the
// existing frontend reads; date and time are local to the conference.
type PartyJSON struct {
	ID           string       `json:"id"`
	ConferenceID string       `json:"conferenceId"`
	Title        string       `json:"title"`
	Description  string       `json:"description"`
	Venue        string       `json:"venue"`
	Address      string       `json:"address"`
	Date         string       `json:"date"`
	Time         string       `json:"time"`
	EndDate      string       `json:"endDate,omitempty"`
	EndTime      string       `json:"endTime,omitempty"`
	Start        string       `json:"start"`
	End          *string      `json:"end"`
	Price        string       `json:"price"`
	Free         bool         `json:"free"`
	Category     string       `json:"category"`
	CategoryKey  string       `json:"categoryKey"`
	Hosts        string       `json:"hosts"`
	HostList     []string     `json:"hostList"`
	Link         string       `json:"link"`
	Focus        string       `json:"focus"`
	Tags         []string     `json:"tags"`
	Lat          *float64     `json:"lat"`
	Lng          *float64     `json:"lng"`
	Coordinates  *Coordinates `json:"coordinates"`
	Status       party.Status `json:"status"`
	Source       string       `json:"source"`
	CreatedAt    string       `json:"createdAt"`
	UpdatedAt    string       `json:"updatedAt"`
	Version      int64        `json:"version"`
}

// PopularityJSON is how many people saved a party.
type PopularityJSON struct {
	Saves int64 `json:"saves"`
}

// FeedPartyJSON is a party as the public feed shows it: with its
// popularity, null unless enough people saved it to show (the snapshot's
// Popularity says which).
type FeedPartyJSON struct {
	PartyJSON
	Popularity *PopularityJSON `json:"popularity"`
}

// Coordinates is a position in the shape older clients read.
type Coordinates struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// NewPartyJSON converts a party for the API, showing times in loc.
func NewPartyJSON(p party.Party, loc *time.Location) PartyJSON {
	start := p.Start.In(loc)
	out := PartyJSON{
		ID: p.ID, ConferenceID: p.ConferenceID, Title: p.Title, Description: p.Description,
		Venue: p.Venue, Address: p.Address,
		Date:  start.Format(conference.DateLayout),
		Time:  start.Format("15:04"),
		Start: start.Format(time.RFC3339),
		Price: p.Price, Free: p.Free,
		Category: p.Category.Label, CategoryKey: p.Category.Key,
		Hosts: strings.Join(p.Hosts, ", "), HostList: nonNil(p.Hosts),
		Link: p.Link, Focus: p.Focus, Tags: nonNil(p.Tags),
		Status: p.Status, Source: p.Source,
		CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339),
		UpdatedAt: p.UpdatedAt.UTC().Format(time.RFC3339),
		Version:   p.Version,
	}
	if !p.End.IsZero() {
		end := p.End.In(loc)
		s := end.Format(time.RFC3339)
		out.End = &s
		out.EndDate = end.Format(conference.DateLayout)
		out.EndTime = end.Format("15:04")
	}
	if p.Location != nil {
		lat, lng := p.Location.Lat, p.Location.Lng
		out.Lat, out.Lng = &lat, &lng
		out.Coordinates = &Coordinates{Lat: lat, Lng: lng}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ConferenceJSON is a conference as the API serves it.
type ConferenceJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	City       string `json:"city"`
	Timezone   string `json:"timezone"`
	FirstDay   string `json:"firstDay"`
	LastDay    string `json:"lastDay"`
	PartyCount *int   `json:"partyCount,omitempty"`
	// Categories are those organizers choose from; none: any.
	Categories []string `json:"categories,omitempty"`
}

// NewConferenceJSON converts a conference for the API.
func NewConferenceJSON(c conference.Conference) ConferenceJSON {
	return ConferenceJSON{ID: c.ID, Name: c.Name, City: c.City, Timezone: c.TimeZone, FirstDay: c.FirstDay, LastDay: c.LastDay, Categories: c.Categories}
}

// DayJSON is one conference day with its number of (not cancelled) parties.
type DayJSON struct {
	Date    string `json:"date"`
	Weekday string `json:"weekday"`
	Label   string `json:"label"`
	Count   int    `json:"count"`
}

// Marshal encodes v as compact JSON without HTML escaping ("&" stays "&").
func Marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("feed: encoding a wire type cannot fail: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// OwnedPartyJSON is a party as its organizer sees it, whatever its status:
// as the feed shows it, with its version (the ETag of its writes is
// "v<version>"), its organizer and why it was cancelled or rejected.
type OwnedPartyJSON struct {
	PartyJSON
	Version int64  `json:"version"`
	Owner   string `json:"owner"`
	Note    string `json:"note"`
}

// NewOwnedPartyJSON returns p as its organizer sees it.
func NewOwnedPartyJSON(p party.Party, loc *time.Location) OwnedPartyJSON {
	return OwnedPartyJSON{PartyJSON: NewPartyJSON(p, loc), Version: p.Version, Owner: p.Owner, Note: p.Note}
}

// CandidateJSON is an existing party a submission likely repeats.
type CandidateJSON struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Venue      string   `json:"venue"`
	Date       string   `json:"date"`
	Time       string   `json:"time"`
	Status     string   `json:"status"`
	Similarity float64  `json:"similarity"`
	Reasons    []string `json:"reasons"`
}

// CandidatesOf returns the likely duplicates a write was refused for
// (party.DuplicateError), as every write answers them in its 409: the
// problem's "candidates". ok is false for any other error.
func CandidatesOf(err error, loc *time.Location) (candidates []CandidateJSON, ok bool) {
	var dup *party.DuplicateError
	if !errors.As(err, &dup) {
		return nil, false
	}
	return NewCandidatesJSON(dup.Matches, loc), true
}

// NewCandidatesJSON converts likely duplicates for the API, with local
// dates and times and the similarity to two decimals.
func NewCandidatesJSON(ms []party.Match, loc *time.Location) []CandidateJSON {
	out := make([]CandidateJSON, 0, len(ms))
	for _, m := range ms {
		start := m.Party.Start.In(loc)
		out = append(out, CandidateJSON{ID: m.Party.ID, Title: m.Party.Title, Venue: m.Party.Venue,
			Date: start.Format(conference.DateLayout), Time: start.Format("15:04"), Status: string(m.Party.Status),
			Similarity: math.Round(m.Similarity*100) / 100, Reasons: m.Reasons})
	}
	return out
}
