package party

import (
	"github.com/partyfinder/partyfinder/shared/conference"
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
	return conf.OffersCategory(c.Key)
}

// CategoryKey returns the normalized key for a category label or key:
// conference.CategoryKey, the one rule for both.
func CategoryKey(label string) string { return conference.CategoryKey(label) }
