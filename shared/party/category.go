package party

import (
	"strings"
	"unicode"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/fold"
)

// Category is a party's kind: a normalized key for filtering and the label
// shown to people.
type Category struct {
	Key   string // e.g. "exec-social"
	Label string // e.g. "Exec Social"
}

// NewCategory derives the category from a label as organizers write it.
// Spelling variants ("exec social", "Exec  Social") share one key; an empty
// label becomes "Other".
func NewCategory(label string) Category {
	label = CleanText(label)
	if label == "" {
		label = "Other"
	}
	return Category{Key: CategoryKey(label), Label: label}
}

// OfferedBy reports whether c is one of the conference's categories,
// compared by key ("exec social" is "Exec Social"); any is, when the
// conference names none.
func (c Category) OfferedBy(conf conference.Conference) bool {
	if len(conf.Categories) == 0 {
		return true
	}
	for _, label := range conf.Categories {
		if CategoryKey(label) == c.Key {
			return true
		}
	}
	return false
}

// CategoryKey returns the normalized key for a category label or key.
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
