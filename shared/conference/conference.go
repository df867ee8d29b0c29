// Package conference holds the Conference: the event week that parties belong to.
package conference

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	_ "time/tzdata" // the zone database must be there even on minimal images

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/fold"
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
	// Categories are the party categories organizers choose from, as
	// labels ("Mixer", "Exec Social"); none lets them name any.
	Categories []string
	// SyncURL is an https link to a published CSV export of a sheet that a
	// scheduled re-sync imports again; "" for none.
	SyncURL string
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

// CategoryKey returns the normalized key of a category label: folded
// (case, accents), letters and digits kept, every run of anything else one
// dash. "Exec Social", "exec-social" and "EXEC  SOCIAL" share a key.
func CategoryKey(label string) string {
	var b strings.Builder
	dash := false
	for _, r := range fold.String(label) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// OffersCategory reports whether the category with the key is one of the
// conference's; any is, when it names none.
func (c Conference) OffersCategory(key string) bool {
	if len(c.Categories) == 0 {
		return true
	}
	for _, label := range c.Categories {
		if CategoryKey(label) == key {
			return true
		}
	}
	return false
}

// Limits on a conference's lists.
const (
	MaxCategories   = 50
	MaxCategoryText = 60
	MaxSyncURL      = 2000
)

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
	if len(c.Categories) > MaxCategories {
		add("categories", "max", fmt.Sprintf("must hold at most %d categories", MaxCategories))
	}
	seen := map[string]bool{}
	for i, label := range c.Categories {
		field := fmt.Sprintf("categories[%d]", i)
		key := CategoryKey(label)
		switch {
		case label == "" || label != strings.TrimSpace(label):
			add(field, "format", "must be a label without surrounding spaces")
		case len(label) > MaxCategoryText:
			add(field, "max", fmt.Sprintf("must be at most %d bytes", MaxCategoryText))
		case strings.IndexFunc(label, unicode.IsControl) >= 0:
			add(field, "format", "must not hold control characters")
		case seen[key]:
			add(field, "conflict", "names a category twice (spelling, case and punctuation aside)")
		}
		seen[key] = true
	}
	for _, t := range []struct{ field, v string }{{"name", c.Name}, {"city", c.City}} {
		if strings.IndexFunc(t.v, unicode.IsControl) >= 0 {
			add(t.field, "format", "must not hold control characters")
		}
	}
	if c.SyncURL != "" {
		if u, err := url.Parse(c.SyncURL); err != nil || u.Scheme != "https" || u.Host == "" || len(c.SyncURL) > MaxSyncURL {
			add("syncUrl", "format", "must be an https URL of at most 2000 bytes")
		}
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

// Clone returns a deep copy of c, so an update closure cannot reach the
// stored copy.
func (c Conference) Clone() Conference {
	c.Categories = slices.Clip(slices.Clone(c.Categories))
	return c
}

// Equal reports whether a and b hold the same values, timestamps aside.
func (c Conference) Equal(o Conference) bool {
	return c.ID == o.ID && c.Name == o.Name && c.City == o.City && c.TimeZone == o.TimeZone &&
		c.FirstDay == o.FirstDay && c.LastDay == o.LastDay && c.SyncURL == o.SyncURL &&
		slices.Equal(c.Categories, o.Categories)
}

// Repository stores conferences.
type Repository interface {
	// Conference returns the conference with the id, or a NotFound error.
	Conference(ctx context.Context, id string) (Conference, error)
	// Conferences returns every conference, ordered by first day then id.
	Conferences(ctx context.Context) ([]Conference, error)
	// CreateConference stores a new conference; Conflict if the id exists.
	CreateConference(ctx context.Context, c Conference) (Conference, error)
	// UpdateConference loads the conference, applies fn and stores the
	// result in one transaction; UpdatedAt moves to now when anything
	// changed, and nothing is written when nothing did. Errors from fn are
	// returned unchanged. NotFound if it does not exist; Invalid if the
	// result breaks an invariant or fn changed the id.
	UpdateConference(ctx context.Context, id string, fn func(*Conference) error) (Conference, error)
}

// ApplyUpdate checks the result c of an UpdateConference closure against
// the stored conference old, for every store alike: the id stays, the
// result is valid, and UpdatedAt moves to now (never backwards) when
// anything changed. It reports whether anything changed.
func ApplyUpdate(old, c Conference, now time.Time) (Conference, bool, error) {
	if c.ID != old.ID {
		return Conference{}, false, apperr.New(apperr.Invalid, "an update may not change a conference's id")
	}
	c.CreatedAt, c.UpdatedAt = old.CreatedAt, old.UpdatedAt
	if len(c.Categories) == 0 {
		c.Categories = nil
	}
	if err := c.Validate(); err != nil {
		return Conference{}, false, err
	}
	if c.Equal(old) {
		return old, false, nil
	}
	if !now.After(old.UpdatedAt) {
		now = old.UpdatedAt.Add(time.Microsecond)
	}
	c.UpdatedAt = now
	return c, true, nil
}
