package firestore

import (
	"time"

	"google.golang.org/genproto/googleapis/type/latlng"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Field names that queries use. They must match the firestore tags below;
// a test checks that every queried field is one of the document's fields.
const (
	fieldConferenceID = "conferenceId"
	fieldStart        = "start"
	fieldVersion      = "version"
	fieldFirstDay     = "firstDay"
	fieldOwner        = "owner"
)

// partyDoc is a party as stored in the parties collection; the document id
// is the party id. Times are UTC timestamps, null when zero.
type partyDoc struct {
	ConferenceID  string         `firestore:"conferenceId"`
	Title         string         `firestore:"title"`
	Description   string         `firestore:"description"`
	Venue         string         `firestore:"venue"`
	Address       string         `firestore:"address"`
	Location      *latlng.LatLng `firestore:"location"` // a geopoint; null when unknown
	Start         time.Time      `firestore:"start"`
	End           *time.Time     `firestore:"end"` // null when open-ended
	CategoryKey   string         `firestore:"categoryKey"`
	CategoryLabel string         `firestore:"categoryLabel"`
	Hosts         []string       `firestore:"hosts"`
	Price         string         `firestore:"price"`
	Free          bool           `firestore:"free"`
	Link          string         `firestore:"link"`
	Focus         string         `firestore:"focus"`
	Tags          []string       `firestore:"tags"`
	Status        string         `firestore:"status"`
	Source        string         `firestore:"source"`
	Owner         string         `firestore:"owner,omitempty"` // "" for imported parties
	Note          string         `firestore:"note,omitempty"`
	CreatedAt     *time.Time     `firestore:"createdAt"`
	UpdatedAt     *time.Time     `firestore:"updatedAt"`
	Version       int64          `firestore:"version"`
	Seq           int64          `firestore:"seq"` // position of its last write (changes.go); absent before positions were kept
}

// conferenceDoc is a conference as stored in the conferences collection;
// the document id is the conference id.
type conferenceDoc struct {
	Name     string `firestore:"name"`
	City     string `firestore:"city"`
	TimeZone string `firestore:"timeZone"`
	FirstDay string `firestore:"firstDay"`
	LastDay  string `firestore:"lastDay"`
	// Categories and SyncURL are left out when empty, so documents
	// written before they existed read the same.
	Categories []string   `firestore:"categories,omitempty"`
	SyncURL    string     `firestore:"syncUrl,omitempty"`
	CreatedAt  *time.Time `firestore:"createdAt"`
	UpdatedAt  *time.Time `firestore:"updatedAt"`
}

// storedTime returns t as Firestore keeps it: UTC, whole microseconds, no
// monotonic reading.
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = storedTime(t)
	return &t
}

func fromPtr(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return storedTime(*t)
}

// asStored returns p as it reads back after a write: times in UTC to the
// microsecond.
func asStored(p party.Party) party.Party {
	p.Start, p.End = storedTime(p.Start), storedTime(p.End)
	p.CreatedAt, p.UpdatedAt = storedTime(p.CreatedAt), storedTime(p.UpdatedAt)
	return p
}

// list stores a missing list as an empty array, so rules and array
// queries always find an array.
func list(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// unlist reads an empty or missing array back as nil.
func unlist(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l
}

func marshalParty(p party.Party) partyDoc {
	d := partyDoc{
		ConferenceID:  p.ConferenceID,
		Title:         p.Title,
		Description:   p.Description,
		Venue:         p.Venue,
		Address:       p.Address,
		Start:         storedTime(p.Start),
		End:           timePtr(p.End),
		CategoryKey:   p.Category.Key,
		CategoryLabel: p.Category.Label,
		Hosts:         list(p.Hosts),
		Price:         p.Price,
		Free:          p.Free,
		Link:          p.Link,
		Focus:         p.Focus,
		Tags:          list(p.Tags),
		Status:        string(p.Status),
		Source:        p.Source,
		Owner:         p.Owner,
		Note:          p.Note,
		CreatedAt:     timePtr(p.CreatedAt),
		UpdatedAt:     timePtr(p.UpdatedAt),
		Version:       p.Version,
		Seq:           p.Seq,
	}
	if p.Location != nil {
		d.Location = &latlng.LatLng{Latitude: p.Location.Lat, Longitude: p.Location.Lng}
	}
	return d
}

func unmarshalParty(id string, d partyDoc) party.Party {
	p := party.Party{
		ID:           id,
		ConferenceID: d.ConferenceID,
		Title:        d.Title,
		Description:  d.Description,
		Venue:        d.Venue,
		Address:      d.Address,
		Start:        storedTime(d.Start),
		End:          fromPtr(d.End),
		Category:     party.Category{Key: d.CategoryKey, Label: d.CategoryLabel},
		Hosts:        unlist(d.Hosts),
		Price:        d.Price,
		Free:         d.Free,
		Link:         d.Link,
		Focus:        d.Focus,
		Tags:         unlist(d.Tags),
		Status:       party.Status(d.Status),
		Source:       d.Source,
		Owner:        d.Owner,
		Note:         d.Note,
		CreatedAt:    fromPtr(d.CreatedAt),
		UpdatedAt:    fromPtr(d.UpdatedAt),
		Version:      d.Version,
		Seq:          d.Seq,
	}
	if d.Location != nil {
		p.Location = &party.Point{Lat: d.Location.Latitude, Lng: d.Location.Longitude}
	}
	return p
}

func marshalConference(c conference.Conference) conferenceDoc {
	return conferenceDoc{
		Name:       c.Name,
		City:       c.City,
		TimeZone:   c.TimeZone,
		FirstDay:   c.FirstDay,
		LastDay:    c.LastDay,
		Categories: c.Categories,
		SyncURL:    c.SyncURL,
		CreatedAt:  timePtr(c.CreatedAt),
		UpdatedAt:  timePtr(c.UpdatedAt),
	}
}

func unmarshalConference(id string, d conferenceDoc) conference.Conference {
	return conference.Conference{
		ID:         id,
		Name:       d.Name,
		City:       d.City,
		TimeZone:   d.TimeZone,
		FirstDay:   d.FirstDay,
		LastDay:    d.LastDay,
		Categories: d.Categories,
		SyncURL:    d.SyncURL,
		CreatedAt:  fromPtr(d.CreatedAt),
		UpdatedAt:  fromPtr(d.UpdatedAt),
	}
}
