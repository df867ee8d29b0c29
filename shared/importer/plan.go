package importer

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// DefaultSource is the source of rows that name none.
const DefaultSource = "import"

// Options tune an import.
type Options struct {
	// Source names where the parties come from. When set it overrides the
	// rows' own "source" values; it is part of every derived party id.
	Source string
	// Prune cancels (never deletes) the published parties of the conference
	// whose source is one of the file's sources but which the file no longer
	// lists. Draft and pending parties are left alone: cancelling would make
	// them public.
	Prune bool
}

// Plan is what an import will do: the conference (to create when
// NewConference), the parties to write in one SaveParties batch, and the
// report.
type Plan struct {
	Conference    conference.Conference
	NewConference bool
	Writes        []party.Party
	Report        Report
}

// planner holds what every row needs.
type planner struct {
	conf    conference.Conference
	loc     *time.Location
	yearFor func(time.Month, int) int
	opts    Options
}

var yearInID = regexp.MustCompile(`(?:19|20)\d{2}`)

// Prepare turns parsed rows into a plan against the conference's existing
// parties (which may also hold parties of other conferences that share an id
// with a row; such rows are rejected). It is pure: it reads no store and
// writes nothing, so an HTTP import endpoint and the command line share it.
//
// For a new conference (isNew), conf carries the id, name, city and time
// zone, and optionally the first and last day; missing days are derived
// from the accepted parties. Prepare fails only when the import as a whole
// cannot proceed (invalid time zone, no way to derive the days, refusing to
// prune); bad rows are reported, not returned as errors.
func Prepare(conf conference.Conference, isNew bool, existing []party.Party, in Input, opts Options, now time.Time) (Plan, error) {
	now = now.UTC()
	pl, yearNote, err := newPlanner(conf, in.Rows, opts, now)
	if err != nil {
		return Plan{}, err
	}
	if opts.Prune && len(in.Rows) == 0 {
		return Plan{}, apperr.New(apperr.Invalid, "refusing to prune: the file has no rows")
	}

	var notes []string
	results, yearless := pl.rows(in.Rows)
	if yearless && yearNote != "" {
		notes = append(notes, yearNote)
	}
	mine, foreign := byConference(existing, conf.ID)
	rejectTakenIDs(results, foreign)

	plan := Plan{Conference: conf, NewConference: isNew}
	if isNew {
		c, derived, err := newConferenceDays(conf, results)
		if err != nil {
			return Plan{}, err
		}
		if derived != "" {
			notes = append(notes, derived)
		}
		plan.Conference = c
	}
	conf = plan.Conference
	warnOutsideDays(results, conf)
	warnLikelyDuplicates(results)
	plan.account(results, mine, append(append([]string{}, in.Notes...), notes...), now)

	if opts.Prune {
		if plan.Report.Accepted == 0 {
			return Plan{}, apperr.New(apperr.Invalid, "refusing to prune: no row of the file was accepted")
		}
		plan.prune(results, existing, conf, pl.loc, opts, now)
	}
	return plan, nil
}

// newPlanner loads the conference's zone and decides which year a date
// without one falls in: the one nearest the conference's first day when it
// is known, else the one the rows' weekdays point to (sheetYear). It also
// returns the note explaining an inferred year, which the report carries
// only when some row needed it.
func newPlanner(conf conference.Conference, rows []Row, opts Options, now time.Time) (planner, string, error) {
	loc, err := loadZone(conf.TimeZone)
	if err != nil {
		return planner{}, "", err
	}
	pl := planner{conf: conf, loc: loc, opts: opts}
	if first, err := time.Parse(conference.DateLayout, conf.FirstDay); err == nil {
		pl.yearFor = yearNear(first)
		return pl, "", nil
	}
	if conf.FirstDay != "" {
		return planner{}, "", apperr.Field("firstDay", "format", fmt.Sprintf("%q must be a date YYYY-MM-DD", conf.FirstDay))
	}
	year, note := sheetYear(conf.ID, rows, now)
	pl.yearFor = func(time.Month, int) int { return year }
	return pl, note, nil
}

// loadZone returns the conference's zone or an Invalid error; it never falls
// back to UTC, which would shift every party silently.
func loadZone(tz string) (*time.Location, error) {
	tz = strings.TrimSpace(tz)
	if tz == "" {
		return nil, apperr.Field("timeZone", "required", "is required (an IANA zone such as Europe/Berlin)")
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" {
		return nil, apperr.Field("timeZone", "format", fmt.Sprintf("%q is not an IANA time zone such as Europe/Berlin", tz))
	}
	return loc, nil
}

// rows turns every input row into a result, in file order. yearless is true
// when some row's date had no year, so the plan must say which year it took.
func (pl *planner) rows(rows []Row) (results []*rowResult, yearless bool) {
	results = make([]*rowResult, len(rows))
	for i := range rows {
		results[i] = pl.row(&rows[i])
		yearless = yearless || results[i].yearless
	}
	return results, yearless
}

// byConference indexes the stored parties: those of the conference by id,
// and for the others only which conference holds the id, since a row may
// not take it over.
func byConference(existing []party.Party, conferenceID string) (mine map[string]party.Party, foreign map[string]string) {
	mine = make(map[string]party.Party, len(existing))
	foreign = map[string]string{}
	for _, p := range existing {
		if p.ConferenceID == conferenceID {
			mine[p.ID] = p
		} else {
			foreign[p.ID] = p.ConferenceID
		}
	}
	return mine, foreign
}

// account decides what to write for every accepted row and records every
// row, accepted or not, in the report, which starts with the given notes.
func (plan *Plan) account(results []*rowResult, mine map[string]party.Party, notes []string, now time.Time) {
	rep := &plan.Report
	rep.Conference = plan.Conference.ID
	rep.ConferenceCreated = plan.NewConference
	rep.Notes = notes
	rep.WarningKinds = map[string]int{}
	rep.Rows = make([]RowReport, 0, len(results))
	rep.Pruned = []PrunedParty{}
	for _, r := range results {
		if r.accepted() {
			plan.diff(r, mine, now)
		}
		rep.add(r)
	}
}

// add records a row's outcome in the report.
func (rep *Report) add(r *rowResult) {
	rr := RowReport{Row: r.row.Num, Line: r.row.Line, ID: r.id, Title: r.title, Warnings: []string{}, Kinds: []string{}, Errors: []string{}}
	if !r.accepted() {
		// Not a party's title but a cell, which may be of any length.
		rr.Title = shorten(rr.Title)
	}
	for _, w := range r.warns {
		rr.Warnings = append(rr.Warnings, w.Text)
		rr.Kinds = append(rr.Kinds, w.Code)
		rep.WarningKinds[w.Code]++
	}
	for _, e := range r.errs {
		rr.Errors = append(rr.Errors, e.Text)
	}
	rep.Total++
	switch {
	case !r.accepted():
		rr.Status = StatusRejected
		rep.Rejected++
	case len(r.warns) > 0:
		rr.Status = StatusWarning
		rep.Accepted++
		rep.WithWarnings++
	default:
		rr.Status = StatusAccepted
		rep.Accepted++
	}
	if r.accepted() {
		rr.Action = r.action
		switch r.action {
		case ActionCreated:
			rep.Created++
		case ActionUpdated, ActionRepublished:
			rep.Updated++
		case ActionUnchanged:
			rep.Unchanged++
		}
	}
	rep.Rows = append(rep.Rows, rr)
}

// Check applies the checks the store makes before it writes the plan that
// depend on nothing stored: a new conference is valid, and the writes are
// valid parties and name each party once. A plan may hold any number of
// writes (SaveParties takes a batch of any size). The store's own checks
// against what it holds (versions, ids of other conferences) remain for
// the write. A dry run calls Check, so it fails where the import would.
func (plan Plan) Check() error {
	if plan.NewConference {
		if err := plan.Conference.Validate(); err != nil {
			return fmt.Errorf("new conference: %w", err)
		}
	}
	if err := party.CheckBatch(plan.Writes, nil); err != nil {
		return fmt.Errorf("save parties: %w", err)
	}
	return nil
}
