// Package party holds the Party, the heart of Partyfinder: one side event of a
// conference, with its time, place, category and publication status.
//
// The package imports only the standard library and the error vocabulary; the
// stores that keep parties live in adapter packages named after their technology.
package party

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
)

// Status is where a party stands in its life: only published and cancelled
// parties are visible to the public.
type Status string

// The statuses of a party.
const (
	Draft     Status = "draft"
	Pending   Status = "pending" // submitted, waiting for moderation
	Published Status = "published"
	Cancelled Status = "cancelled"
	Rejected  Status = "rejected" // refused by moderation; never public
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case Draft, Pending, Published, Cancelled, Rejected:
		return true
	}
	return false
}

// Public reports whether parties with this status are shown to everyone.
func (s Status) Public() bool { return s == Published || s == Cancelled }

// Limits on free text, so one bad row cannot bloat every feed response.
const (
	MaxTitle       = 200
	MaxDescription = 5000
	MaxText        = 500 // venue, address, price, focus, each host
	MaxHosts       = 20
	MaxTags        = 20
	MaxDuration    = 7 * 24 * time.Hour
	MaxOwner       = 128 // bytes of a uid
)

// Point is a WGS 84 position.
type Point struct {
	Lat float64
	Lng float64
}

// Valid reports whether p is a position on Earth (and not the 0,0 placeholder).
func (p Point) Valid() bool {
	return p.Lat >= -90 && p.Lat <= 90 && p.Lng >= -180 && p.Lng <= 180 &&
		!(p.Lat == 0 && p.Lng == 0) && !math.IsNaN(p.Lat) && !math.IsNaN(p.Lng)
}

// DistanceKm returns the great-circle distance between p and q in kilometres.
func (p Point) DistanceKm(q Point) float64 {
	const earthRadiusKm = 6371.0088
	rad := math.Pi / 180
	dLat := (q.Lat - p.Lat) * rad
	dLng := (q.Lng - p.Lng) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(p.Lat*rad)*math.Cos(q.Lat*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

// Party is one side event of a conference.
//
// Build new parties with New, which normalizes and validates; stores rebuild
// stored parties field by field and the repository validates on every write.
type Party struct {
	ID           string
	ConferenceID string
	Title        string
	Description  string
	Venue        string
	Address      string
	Location     *Point // nil when unknown

	Start time.Time // instant, stored in UTC
	End   time.Time // zero when open-ended; may fall on the next local day

	Category Category
	Hosts    []string
	Price    string // as given, e.g. "From £113.16" or "Free if approved"
	Free     bool   // derived from Price
	Link     string // http or https only
	Focus    string // the audience as given, e.g. "Developers"
	Tags     []string

	Status Status
	Source string // where the party came from: "gamescom-sheets", "organizer", ...
	// Owner is the uid of the organizer who submitted the party; "" for
	// imported ones, which only admins change.
	Owner string
	// Note says why the party was cancelled or rejected, as its organizer
	// or the moderator wrote it.
	Note string

	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64 // 1 on creation, +1 on every change
	// Seq is the position of the party's last write in its conference's
	// order of changes (see Change): the store sets it on every write,
	// whatever a caller gave. 0 for a party not written since positions
	// were kept.
	Seq int64
}

// New normalizes p (trims text, derives the category key and the free flag,
// converts times to UTC, defaults the status to draft) and validates it.
// It returns an Invalid error naming every offending field.
func New(p Party) (Party, error) {
	p = p.normalized()
	return p, p.Validate()
}

func (p Party) normalized() Party {
	p.ID = strings.TrimSpace(p.ID)
	p.ConferenceID = strings.TrimSpace(p.ConferenceID)
	p.Title = CleanText(p.Title)
	p.Description = strings.TrimSpace(p.Description)
	p.Venue = CleanText(p.Venue)
	p.Address = CleanText(p.Address)
	p.Price = CleanText(p.Price)
	p.Focus = CleanText(p.Focus)
	p.Link = strings.TrimSpace(p.Link)
	p.Source = strings.TrimSpace(p.Source)
	p.Owner = strings.TrimSpace(p.Owner)
	p.Note = CleanText(p.Note)
	p.Category = NewCategory(p.Category.Label)
	p.Hosts = cleanList(p.Hosts)
	p.Tags = cleanList(p.Tags)
	p.Free = IsFree(p.Price)
	if p.Status == "" {
		p.Status = Draft
	}
	if !p.Start.IsZero() {
		p.Start = p.Start.UTC()
	}
	if !p.End.IsZero() {
		p.End = p.End.UTC()
	}
	return p
}

// Validate checks the party's invariants.
func (p Party) Validate() error {
	var fs []apperr.FieldError
	add := func(field, code, msg string) {
		fs = append(fs, apperr.FieldError{Field: field, Code: code, Message: msg})
	}
	if !ValidID(p.ID) {
		add("id", "format", "must be 1-128 letters, digits, '-' or '_'")
	}
	if !conference.ValidID(p.ConferenceID) {
		add("conference", "format", "must be a conference id")
	}
	switch {
	case p.Title == "":
		add("title", "required", "is required")
	case utf8.RuneCountInString(p.Title) > MaxTitle:
		add("title", "too_long", "must be at most 200 characters")
	}
	if utf8.RuneCountInString(p.Description) > MaxDescription {
		add("description", "too_long", "must be at most 5000 characters")
	}
	for field, v := range map[string]string{"venue": p.Venue, "address": p.Address, "price": p.Price, "focus": p.Focus} {
		if utf8.RuneCountInString(v) > MaxText {
			add(field, "too_long", "must be at most 500 characters")
		}
	}
	if len(p.Hosts) > MaxHosts {
		add("hosts", "too_many", "must list at most 20 hosts")
	}
	if len(p.Tags) > MaxTags {
		add("tags", "too_many", "must list at most 20 tags")
	}
	if p.Start.IsZero() {
		add("start", "required", "is required")
	}
	if !p.End.IsZero() && !p.Start.IsZero() {
		if !p.End.After(p.Start) {
			add("end", "range", "must be after start")
		} else if p.End.Sub(p.Start) > MaxDuration {
			add("end", "range", "must be within 7 days of start")
		}
	}
	if p.Location != nil && !p.Location.Valid() {
		add("location", "range", "must be a valid latitude/longitude")
	}
	if p.Link != "" && !ValidLink(p.Link) {
		add("link", "format", "must be an absolute http or https URL")
	}
	if !p.Status.Valid() {
		add("status", "enum", "must be one of draft, pending, published, cancelled, rejected")
	}
	if len(p.Owner) > MaxOwner {
		add("owner", "too_long", "must be at most 128 bytes")
	}
	if utf8.RuneCountInString(p.Note) > MaxText {
		add("note", "too_long", "must be at most 500 characters")
	}
	// Control characters (escape sequences, bells, NULs) have no place in
	// a party and would reach terminals and calendar apps raw; a
	// description keeps its line breaks and tabs.
	texts := []struct{ field, v string }{{"title", p.Title}, {"venue", p.Venue}, {"address", p.Address},
		{"price", p.Price}, {"focus", p.Focus}, {"link", p.Link}, {"note", p.Note}, {"category", p.Category.Label}}
	for i, h := range p.Hosts {
		texts = append(texts, struct{ field, v string }{"hosts[" + strconv.Itoa(i) + "]", h})
	}
	for i, tag := range p.Tags {
		texts = append(texts, struct{ field, v string }{"tags[" + strconv.Itoa(i) + "]", tag})
	}
	for _, t := range texts {
		if strings.IndexFunc(t.v, unicode.IsControl) >= 0 {
			add(t.field, "format", "must not hold control characters")
		}
	}
	if strings.IndexFunc(p.Description, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0 {
		add("description", "format", "must not hold control characters but line breaks and tabs")
	}
	return apperr.Fields("invalid party", fs)
}

// ValidID reports whether id is a well-formed party id.
func ValidID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// ValidLink reports whether s is an absolute http(s) URL with a host.
func ValidLink(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// EndOrStart returns the end, or the start for an open-ended party, so that
// overlap checks treat an open-ended party as a point in time.
func (p Party) EndOrStart() time.Time {
	if p.End.IsZero() {
		return p.Start
	}
	return p.End
}

// LocalDate returns the conference-local day the party starts on (YYYY-MM-DD).
// A party that runs past midnight belongs to the day it starts.
func (p Party) LocalDate(loc *time.Location) string {
	return p.Start.In(loc).Format(conference.DateLayout)
}

// Equal reports whether p and q have the same content, ignoring the
// bookkeeping fields (created/updated times, version and position).
// Importers use it to leave unchanged parties untouched.
func (p Party) Equal(q Party) bool { return p.ID == q.ID && len(p.Changes(q)) == 0 }

// CleanText trims s and folds runs of white space into single spaces.
func CleanText(s string) string { return strings.Join(strings.Fields(s), " ") }

func cleanList(in []string) []string {
	var out []string
	seen := make(map[string]bool, len(in))
	for _, s := range in {
		s = CleanText(s)
		k := strings.ToLower(s)
		if s == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, s)
	}
	return out
}

// IsFree derives the free flag from a free-text price: "Free", "free entry",
// "Free if approved", "0", "€0" count as free; anything with a positive amount does not.
func IsFree(price string) bool {
	p := strings.ToLower(strings.TrimSpace(price))
	if p == "" {
		return false
	}
	if strings.HasPrefix(p, "free") || strings.Contains(p, "kostenlos") || strings.Contains(p, "no charge") {
		return true
	}
	digits := strings.TrimLeft(p, "€$£ ")
	digits = strings.TrimRight(digits, "€$£ ")
	switch digits {
	case "0", "0.00", "0,00", "0.0":
		return true
	}
	return false
}

// Chronological orders parties the way every list shows them: by start,
// then by id, so parties starting together keep a stable order. It is a
// comparison function for slices.SortFunc.
func Chronological(a, b Party) int {
	if c := a.Start.Compare(b.Start); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// Place returns the name the party's place is shown and grouped under:
// its venue, else its address, which is where it is all the same (a
// third of the real Gamescom sheet gives a street address and no venue
// name); "" when it gives neither.
func (p Party) Place() string {
	if p.Venue != "" {
		return p.Venue
	}
	return p.Address
}
