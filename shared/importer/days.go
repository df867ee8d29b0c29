package importer

import (
	"fmt"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
)

// newConferenceDays completes a new conference's first and last day from the
// accepted parties when they were not given, and validates it.
func newConferenceDays(c conference.Conference, results []*rowResult) (conference.Conference, string, error) {
	var lo, hi, note string
	for _, r := range results {
		if !r.accepted() {
			continue
		}
		if lo == "" || r.day < lo {
			lo = r.day
		}
		if r.day > hi {
			hi = r.day
		}
	}
	if c.FirstDay == "" || c.LastDay == "" {
		if lo == "" {
			return c, "", apperr.New(apperr.Invalid, "cannot derive the days of new conference %s: no row was accepted; give its first and last day", c.ID)
		}
		if c.FirstDay == "" {
			c.FirstDay = lo
		}
		if c.LastDay == "" {
			c.LastDay = hi
		}
		note = fmt.Sprintf("conference days %s to %s derived from the parties", c.FirstDay, c.LastDay)
	}
	c, err := conference.New(c.ID, c.Name, c.City, c.TimeZone, c.FirstDay, c.LastDay)
	if err != nil {
		return c, "", fmt.Errorf("new conference: %w", err)
	}
	return c, note, nil
}

// warnOutsideDays flags accepted parties that start on no day of the
// conference; they are imported all the same.
func warnOutsideDays(results []*rowResult, conf conference.Conference) {
	for _, r := range results {
		if r.accepted() && (r.day < conf.FirstDay || r.day > conf.LastDay) {
			r.warn(issuef(codeOutsideDays, "date", "%s is outside the conference days (%s to %s)", r.day, conf.FirstDay, conf.LastDay))
		}
	}
}
