package party

import (
	"strings"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
)

// The rules a party keeps as one of its conference's: they need the
// conference, so New and Validate, which see the party alone, leave them
// to NewIn and ValidateIn. The organizers' use cases apply them to every
// submission and edit; an import keeps whatever days the sheet has.

// noCategory is the category of a party that names none.
var noCategory = NewCategory("")

// NewIn is New for a party of conference c: it normalizes p and reports,
// in one Invalid error, every invariant p breaks and every rule of c.
func NewIn(p Party, c conference.Conference) (Party, error) {
	p = p.normalized()
	return p, p.ValidateIn(c)
}

// ValidateIn is Validate and ConferenceProblems together: every problem
// of p as a party of c, in one Invalid error.
func (p Party) ValidateIn(c conference.Conference) error {
	fs, err := apperr.FieldsOf(p.Validate())
	if err != nil {
		return err
	}
	return apperr.Merge("invalid party", fs, p.ConferenceProblems(c))
}

// CheckDraft reports every problem of a new party as an organizer wrote
// it for c, before the use case gives it its id, owner and status: what
// Submit would refuse of it, so that a form can show every problem at
// once, its own input checks' among them.
func CheckDraft(p Party, c conference.Conference) error {
	p.ID, p.Status = "draft", Draft // the use case's to set, not the organizer's to get wrong
	_, err := NewIn(p, c)
	return err
}

// ConferenceProblems lists the rules of c that p breaks: it starts on
// one of c's days, as they fall in c's time zone (a party that runs past
// midnight of the last day is fine), and its category, unless it has
// none ("Other", what NewCategory makes of no label), is one c offers.
func (p Party) ConferenceProblems(c conference.Conference) []apperr.FieldError {
	var fs []apperr.FieldError
	if !p.Start.IsZero() && c.FirstDay != "" {
		if day := p.LocalDate(c.Location()); day < c.FirstDay || day > c.LastDay {
			fs = append(fs, apperr.FieldError{Field: "start", Code: "range",
				Message: "must be one of the conference's days, " + c.FirstDay + " to " + c.LastDay})
		}
	}
	if p.Category.Key != "" && p.Category.Key != noCategory.Key && !p.Category.OfferedBy(c) {
		fs = append(fs, apperr.FieldError{Field: "category", Code: "oneof",
			Message: "must be one of the conference's categories: " + strings.Join(c.Categories, ", ")})
	}
	return fs
}
