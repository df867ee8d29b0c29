// Package conference holds the Conference: the event week that parties belong to.
package conference

import (
	"context"
	"regexp"
	"strings"
	"time"

	_ "time/tzdata" // the zone database must be there even on minimal images

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// DateLayout is the layout of conference-local calendar days.
const DateLayout = "2006-01-02"

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// Conference is an event week, such as Gamescom 2025 in Cologne. Its time zone
// decides which local day and clock time every party is shown at.
type Conference struct {
	ID       string // e.g. "gamescom2025"
	Name     string
	City     string
	TimeZone string // IANA zone, e.g. "Europe/Berlin"
	FirstDay string // local YYYY-MM-DD
	LastDay  string // local YYYY-MM-DD
	// CreatedAt and UpdatedAt are set by the repository.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// New returns a validated conference. It returns an Invalid error naming every
// offending field.
func New(id, name, city, timeZone, firstDay, lastDay string) (Conference, error) {
	c := Conference{
		ID:       strings.TrimSpace(id),
		Name:     strings.TrimSpace(name),
		City:     strings.TrimSpace(city),
		TimeZone: strings.TrimSpace(timeZone),
		FirstDay: strings.TrimSpace(firstDay),
		LastDay:  strings.TrimSpace(lastDay),
	}
	return c, c.Validate()
}

// Validate checks the conference's invariants.
func (c Conference) Validate() error {
	var fs []apperr.FieldError
	add := func(field, code, msg string) {
		fs = append(fs, apperr.FieldError{Field: field, Code: code, Message: msg})
	}
	if !ValidID(c.ID) {
		add("id", "format", "must be 2-63 lowercase letters, digits or dashes")
	}
	if c.Name == "" {
		add("name", "required", "is required")
	}
	if c.City == "" {
		add("city", "required", "is required")
	}
	if c.TimeZone == "" {
		add("timeZone", "required", "is required (an IANA zone such as Europe/Berlin)")
	} else if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "Local" {
		add("timeZone", "format", "must be an IANA time zone such as Europe/Berlin")
	}
	first, err1 := time.Parse(DateLayout, c.FirstDay)
	if err1 != nil {
		add("firstDay", "format", "must be a date YYYY-MM-DD")
	}
	last, err2 := time.Parse(DateLayout, c.LastDay)
	if err2 != nil {
		add("lastDay", "format", "must be a date YYYY-MM-DD")
	}
	if err1 == nil && err2 == nil && last.Before(first) {
		add("lastDay", "range", "must not be before firstDay")
	}
	return apperr.Fields("invalid conference", fs)
}

// ValidID reports whether id is a well-formed conference id.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Location returns the conference's time zone. It falls back to UTC only for
// a conference that was never validated.
func (c Conference) Location() *time.Location {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Year returns the calendar year of the conference's first day, used to
// complete dates given without a year.
func (c Conference) Year() int {
	t, err := time.Parse(DateLayout, c.FirstDay)
	if err != nil {
		return 0
	}
	return t.Year()
}

// Repository stores conferences.
type Repository interface {
	// Conference returns the conference with the id, or a NotFound error.
	Conference(ctx context.Context, id string) (Conference, error)
	// Conferences returns every conference, ordered by first day then id.
	Conferences(ctx context.Context) ([]Conference, error)
	// CreateConference stores a new conference; Conflict if the id exists.
	CreateConference(ctx context.Context, c Conference) (Conference, error)
}
