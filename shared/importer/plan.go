package importer

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/fold"
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
// NewConference), the parties to write in one atomic batch, and the report.
type Plan struct {
	Conference    conference.Conference
	NewConference bool
	Writes        []party.Party
	Report        Report
}

// rowResult is one row on its way to becoming a party.
type rowResult struct {
	row      *Row
	p        party.Party
	id       string
	title    string
	day      string // conference-local start day
	warns    []issue
	errs     []issue
	action   string
	source   string
	yearless bool
}

func (r *rowResult) warn(is ...issue) { r.warns = append(r.warns, is...) }
func (r *rowResult) fail(is ...issue) { r.errs = append(r.errs, is...) }
func (r *rowResult) accepted() bool   { return len(r.errs) == 0 }
func (r *rowResult) has(f field) bool { return r.row.present == nil || r.row.present[f] }
func (r *rowResult) hasAny(f ...field) bool {
	for _, x := range f {
		if r.has(x) {
			return true
		}
	}
	return false
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
	loc, err := loadZone(conf.TimeZone)
	if err != nil {
		return Plan{}, err
	}
	pl := planner{conf: conf, loc: loc, opts: opts}
	var notes []string
	var yearNote string
	if first, err := time.Parse(conference.DateLayout, conf.FirstDay); err == nil {
		pl.yearFor = yearNear(first)
	} else if conf.FirstDay != "" {
		return Plan{}, apperr.Field("firstDay", "format", fmt.Sprintf("%q must be a date YYYY-MM-DD", conf.FirstDay))
	} else {
		year, why := now.Year(), "the current year"
		if m := yearInID.FindString(conf.ID); m != "" {
			year, _ = strconv.Atoi(m)
			why = "from the conference id"
		}
		pl.yearFor = func(time.Month, int) int { return year }
		yearNote = fmt.Sprintf("dates without a year are read as %d (%s)", year, why)
	}
	if opts.Prune && len(in.Rows) == 0 {
		return Plan{}, apperr.New(apperr.Invalid, "refusing to prune: the file has no rows")
	}

	results := make([]*rowResult, len(in.Rows))
	anyYearless := false
	for i := range in.Rows {
		results[i] = pl.row(&in.Rows[i])
		anyYearless = anyYearless || results[i].yearless
	}
	if anyYearless && yearNote != "" {
		notes = append(notes, yearNote)
	}

	mine := make(map[string]party.Party, len(existing))
	foreign := map[string]string{}
	for _, p := range existing {
		if p.ConferenceID == conf.ID {
			mine[p.ID] = p
		} else {
			foreign[p.ID] = p.ConferenceID
		}
	}

	// Ids: the second row with an id already taken is a duplicate.
	firstWithID := map[string]int{}
	for _, r := range results {
		if !r.accepted() {
			continue
		}
		if other, ok := foreign[r.id]; ok {
			r.fail(issuef("", "id", "%s already belongs to conference %s", r.id, other))
			continue
		}
		if n, ok := firstWithID[r.id]; ok {
			r.fail(issuef("", "", "duplicate of row %d (same id %s)", n, r.id))
			continue
		}
		firstWithID[r.id] = r.row.Num
	}

	// A new conference spans its accepted parties unless its days were given.
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

	// Days outside the conference, and likely duplicates: same title, same day.
	firstWithTitle := map[string]int{}
	for _, r := range results {
		if !r.accepted() {
			continue
		}
		if r.day < conf.FirstDay || r.day > conf.LastDay {
			r.warn(issuef(codeOutsideDays, "date", "%s is outside the conference days (%s to %s)", r.day, conf.FirstDay, conf.LastDay))
		}
		k := fold.String(r.p.Title) + "\x00" + r.day
		if n, ok := firstWithTitle[k]; ok {
			r.warn(issuef(codeLikelyDup, "", "looks like a duplicate of row %d (same title and day, different time or place)", n))
		} else {
			firstWithTitle[k] = r.row.Num
		}
	}

	rep := &plan.Report
	rep.Conference = conf.ID
	rep.ConferenceCreated = isNew
	rep.Notes = append(append([]string{}, in.Notes...), notes...)
	rep.WarningKinds = map[string]int{}
	rep.Rows = make([]RowReport, 0, len(results))
	rep.Pruned = []PrunedParty{}
	for _, r := range results {
		if r.accepted() {
			plan.diff(r, mine, now)
		}
		rep.add(r)
	}

	if opts.Prune {
		if rep.Accepted == 0 {
			return Plan{}, apperr.New(apperr.Invalid, "refusing to prune: no row of the file was accepted")
		}
		plan.prune(results, existing, conf, loc, opts, now)
	}
	if len(plan.Writes) > party.MaxBatch {
		rep.Notes = append(rep.Notes, tooMany(len(plan.Writes)).Error())
	}
	return plan, nil
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

// diff compares an accepted row's party with the stored one and sets its
// bookkeeping: new parties get version 1, changed ones the next version and
// keep their creation time, unchanged ones are not written at all.
func (plan *Plan) diff(r *rowResult, mine map[string]party.Party, now time.Time) {
	old, ok := mine[r.id]
	if !ok {
		r.p.Version, r.p.CreatedAt, r.p.UpdatedAt = 1, now, now
		r.action = ActionCreated
		plan.Writes = append(plan.Writes, r.p)
		return
	}
	p := r.keepAbsent(old)
	if p.Equal(old) {
		r.p = old
		r.action = ActionUnchanged
		return
	}
	p.Version, p.CreatedAt, p.UpdatedAt = old.Version+1, old.CreatedAt, now
	r.p = p
	r.action = ActionUpdated
	if old.Status == party.Cancelled && p.Status == party.Published {
		r.action = ActionRepublished
	}
	plan.Writes = append(plan.Writes, p)
}

// keepAbsent fills the fields whose columns the file does not have from the
// stored party: the file is the authority for what it contains, not for
// what it cannot say.
func (r *rowResult) keepAbsent(old party.Party) party.Party {
	p := r.p
	if !r.has(fDescription) {
		p.Description = old.Description
	}
	if !r.hasAny(fVenue, fAddress, fLocation) {
		p.Venue = old.Venue
	}
	if !r.hasAny(fAddress, fLocation) {
		p.Address = old.Address
	}
	if !r.hasAny(fLat, fLng, fLocation) {
		p.Location = old.Location
	}
	if !r.has(fCategory) {
		p.Category = old.Category
	}
	if !r.has(fHosts) {
		p.Hosts = old.Hosts
	}
	if !r.has(fPrice) {
		p.Price, p.Free = old.Price, old.Free
	}
	if !r.has(fLink) {
		p.Link = old.Link
	}
	if !r.has(fFocus) {
		p.Focus = old.Focus
	}
	if !r.has(fTags) {
		p.Tags = old.Tags
	}
	return p
}

// prune cancels the published parties of the file's sources that no row
// names. Rows that were rejected still protect their party: a row that is
// broken today does not mean the party is gone.
func (plan *Plan) prune(results []*rowResult, existing []party.Party, conf conference.Conference, loc *time.Location, opts Options, now time.Time) {
	sources := map[string]bool{}
	inFile := map[string]bool{}
	for _, r := range results {
		if r.id != "" {
			inFile[r.id] = true
		}
		if r.source != "" {
			sources[r.source] = true
		}
	}
	if opts.Source != "" {
		sources = map[string]bool{strings.TrimSpace(opts.Source): true}
	}
	olds := append([]party.Party{}, existing...)
	sort.Slice(olds, func(i, j int) bool {
		if !olds[i].Start.Equal(olds[j].Start) {
			return olds[i].Start.Before(olds[j].Start)
		}
		return olds[i].ID < olds[j].ID
	})
	for _, old := range olds {
		if old.ConferenceID != conf.ID || !sources[old.Source] || inFile[old.ID] || old.Status != party.Published {
			continue
		}
		p := old
		p.Status = party.Cancelled
		p.Version, p.UpdatedAt = old.Version+1, now
		plan.Writes = append(plan.Writes, p)
		plan.Report.Cancelled++
		plan.Report.Pruned = append(plan.Report.Pruned, PrunedParty{ID: p.ID, Title: p.Title, Date: p.LocalDate(loc)})
	}
}

// add records a row's outcome in the report.
func (rep *Report) add(r *rowResult) {
	rr := RowReport{Row: r.row.Num, Line: r.row.Line, ID: r.id, Title: r.title, Warnings: []string{}, Kinds: []string{}, Errors: []string{}}
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

// row turns one input row into a validated party, repairing what it safely
// can and recording every repair.
func (pl *planner) row(row *Row) *rowResult {
	r := &rowResult{row: row}
	r.warn(row.notes...)
	for _, pr := range row.Problems {
		r.fail(issue{Text: pr})
	}
	if len(row.Problems) > 0 {
		return r
	}

	title, w := cleanText("title", row.Title)
	r.warn(w...)
	r.title = party.CleanText(title)
	if r.title == "" {
		r.fail(issuef("", "title", "is required"))
	}

	source := party.CleanText(pl.opts.Source)
	if source == "" {
		s, w := cleanText("source", row.Source)
		r.warn(w...)
		source = party.CleanText(s)
	}
	if source == "" {
		source = DefaultSource
	}
	r.source = source

	start, end := pl.timing(r)
	var key string
	if !start.IsZero() {
		r.day = start.In(pl.loc).Format(conference.DateLayout)
		key = fold.String(r.title) + "|" + start.In(pl.loc).Format("2006-01-02 15:04")
	}

	p := party.Party{
		ConferenceID: pl.conf.ID,
		Title:        title,
		Start:        start,
		End:          end,
		Source:       source,
	}
	p.Description = pl.text(r, "description", row.Description, party.MaxDescription)
	p.Address = pl.place(r, "address", row.Address)
	p.Venue = pl.place(r, "venue", row.Venue)
	if row.Layout != Export && p.Venue == "" && p.Address != "" {
		p.Venue = venueOf(p.Address)
	}
	p.Location = pl.location(r)
	category, w := cleanText("category", row.Category)
	r.warn(w...)
	p.Category = party.Category{Label: category}
	p.Hosts = pl.list(r, "hosts", row.Hosts, row.HostList, splitHosts, party.MaxHosts)
	p.Price = pl.text(r, "price", row.Price, party.MaxText)
	link, w := cleanLink(row.Link)
	r.warn(w...)
	p.Link = link
	p.Focus = pl.text(r, "focus", row.Focus, party.MaxText)
	p.Tags = pl.list(r, "tags", row.Tags, row.TagList, splitTags, party.MaxTags)
	p.Status = pl.status(r)

	r.id = pl.id(r, source, key)
	p.ID = r.id
	if !r.accepted() {
		return r
	}
	p, err := party.New(p)
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || len(e.Fields) == 0 {
			r.fail(issue{Text: err.Error()})
		}
		if ok {
			for _, f := range e.Fields {
				r.fail(issuef("", f.Field, "%s", f.Message))
			}
		}
		return r
	}
	r.p = p
	r.title = p.Title
	return r
}

// text cleans an optional free-text field and shortens it to its limit.
func (pl *planner) text(r *rowResult, field, s string, limit int) string {
	s, w := cleanText(field, s)
	r.warn(w...)
	s = strings.TrimSpace(s)
	if field != "description" {
		s = party.CleanText(s)
	}
	if t, cut := truncate(s, limit); cut {
		r.warn(issuef(codeTruncated, field, "shortened to %d characters", limit))
		s = t
	}
	return s
}

// place cleans an address or venue, restoring a lost "ß" in street names.
func (pl *planner) place(r *rowResult, field, s string) string {
	s = pl.text(r, field, s, party.MaxText)
	s, w := repairStreet(field, s)
	r.warn(w...)
	return s
}

// list reads a list: as given when it came as an array (exports carry both
// "hosts": "A, B" and "hostList": [...]; the array is exact), else split
// from text.
func (pl *planner) list(r *rowResult, field, text string, given []string, split func(string) []string, limit int) []string {
	var out []string
	for _, g := range given {
		g, w := cleanText(field, g)
		r.warn(w...)
		out = append(out, g)
	}
	if given == nil {
		text, w := cleanText(field, text)
		r.warn(w...)
		out = split(text)
	}
	var kept []string
	for _, s := range out {
		if s = party.CleanText(s); s != "" {
			if t, cut := truncate(s, party.MaxText); cut {
				r.warn(issuef(codeTruncated, field, "shortened %q to %d characters", t, party.MaxText))
				s = t
			}
			kept = append(kept, s)
		}
	}
	if len(kept) > limit {
		r.warn(issuef(codeTruncated, field, "kept the first %d of %d", limit, len(kept)))
		kept = kept[:limit]
	}
	return kept
}

// location reads coordinates; unusable ones are dropped, not fatal.
func (pl *planner) location(r *rowResult) *party.Point {
	lat, _ := cleanText("lat", r.row.Lat)
	lng, _ := cleanText("lng", r.row.Lng)
	lat, lng = strings.TrimSpace(lat), strings.TrimSpace(lng)
	if lat == "" && lng == "" {
		return nil
	}
	la, err1 := strconv.ParseFloat(strings.Replace(lat, ",", ".", 1), 64)
	ln, err2 := strconv.ParseFloat(strings.Replace(lng, ",", ".", 1), 64)
	pt := party.Point{Lat: la, Lng: ln}
	if err1 != nil || err2 != nil || !pt.Valid() {
		r.warn(issuef(codeLocation, "location", "dropped unusable coordinates %q, %q", lat, lng))
		return nil
	}
	return &pt
}

// status decides the party's status. Spreadsheet rows are published: they
// come from the organiser's list. A row marked inactive (active: false) is
// imported as cancelled rather than skipped or deleted: cancelled parties
// stay visible, so people who saved one learn it is off instead of seeing it
// vanish, and an import never deletes. Export rows keep their own status.
func (pl *planner) status(r *rowResult) party.Status {
	st := party.Published
	if r.row.Layout == Export {
		s, w := cleanText("status", r.row.Status)
		r.warn(w...)
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" {
			if party.Status(s).Valid() {
				return party.Status(s)
			}
			r.warn(issuef(codeStatus, "status", "unknown status %q; imported as published", s))
		}
	}
	a, _ := cleanText("active", r.row.Active)
	switch strings.ToLower(strings.TrimSpace(a)) {
	case "", "true", "yes", "y", "1", "ja", "x":
	case "false", "no", "n", "0", "nein":
		r.warn(issuef(codeInactive, "active", "the row is marked inactive; imported as cancelled"))
		st = party.Cancelled
	default:
		r.warn(issuef(codeActiveUnknown, "active", "%q is not true or false; treated as active", a))
	}
	return st
}

// id returns the party id. Export rows keep their id, so an export can be
// re-imported without duplicating parties; other rows get a deterministic
// id from their own id column or, failing that, from title, day and start.
func (pl *planner) id(r *rowResult, source, key string) string {
	rowID := strings.TrimSpace(r.row.ID)
	if isPlaceholder(rowID) {
		rowID = ""
	}
	if r.row.Layout == Export && rowID != "" {
		if party.ValidID(rowID) {
			return rowID
		}
		r.warn(issuef(codeIDDerived, "id", "%q is not a valid party id; derived a new one from it", rowID))
	}
	if rowID == "" {
		if key == "" {
			return ""
		}
		rowID = key
	}
	return party.ImportID(pl.conf.ID, source, rowID)
}

// timing works out start and end: from an exported instant, or from a local
// day and clock times as spreadsheets give them.
func (pl *planner) timing(r *rowResult) (start, end time.Time) {
	row := r.row
	startText, w := cleanText("start", row.Start)
	r.warn(w...)
	startText = strings.TrimSpace(startText)
	if startText != "" {
		if t, local, ok := parseInstant(startText, pl.loc); ok {
			if local {
				r.warn(issuef(codeNoOffset, "start", "%q has no UTC offset; read as %s time", startText, pl.conf.TimeZone))
			}
			return t, pl.instantEnd(r, t)
		}
		if _, _, ok := parseClock(startText); !ok {
			r.fail(issuef("", "start", "%q is not a date and time", startText))
			return
		}
		// A "start" column holding a clock time: read it with the date.
	}

	dateText, w := cleanText("date", row.Date)
	r.warn(w...)
	dateText = strings.TrimSpace(dateText)
	var d parsedDate
	if dateText == "" {
		r.fail(issuef("", "date", "is required"))
	} else {
		var err error
		d, err = parseDate(dateText, pl.yearFor)
		if err != nil {
			r.fail(issuef("", "date", "%s", err.Error()))
		} else {
			r.yearless = d.yearless
			if wd := d.day.time().Weekday(); d.named && wd != d.weekday {
				r.warn(issuef(codeWeekday, "date", "%q: %s is a %s, not a %s; kept the date", dateText, d.day, wd, d.weekday))
			}
		}
	}

	sText, w := cleanText("start time", row.StartTime)
	r.warn(w...)
	if strings.TrimSpace(sText) == "" {
		sText = startText
	}
	eText, w := cleanText("end time", row.EndTime)
	r.warn(w...)
	var dur time.Duration
	tText, w := cleanText("time", row.Time)
	r.warn(w...)
	if tText = strings.TrimSpace(tText); tText != "" {
		if from, to, ok := splitRange(tText); ok {
			fc, _, fok := parseClock(from)
			tc, _, tok := parseClock(to)
			sc, _, sok := parseClock(sText)
			ec, _, eok := parseClock(eText)
			switch {
			case strings.TrimSpace(sText) == "" && fok:
				sText = from
			case sok && fok && sc != fc:
				r.warn(issuef(codeTimeMismatch, "time", "%q disagrees with start time %s; used the start time", tText, sc))
			}
			switch {
			case strings.TrimSpace(eText) == "" && tok:
				eText = to
			case eok && tok && ec != tc:
				r.warn(issuef(codeTimeMismatch, "time", "%q disagrees with end time %s; used the end time", tText, ec))
			}
		} else if dd, ok := parseDuration(tText); ok {
			dur = dd
		} else if _, _, ok := parseClock(tText); ok && strings.TrimSpace(sText) == "" {
			sText = tText
		}
	}

	sText, eText = strings.TrimSpace(sText), strings.TrimSpace(eText)
	if sText == "" {
		r.fail(issuef("", "start time", "is required"))
		return
	}
	sc, exact, ok := parseClock(sText)
	if !ok || sc >= 24*60 {
		r.fail(issuef("", "start time", "%q is not a time of day", sText))
		return
	}
	if !exact {
		r.warn(issuef(codeClockFormat, "start time", "read %q as %s", sText, sc))
	}
	if !r.accepted() {
		return
	}
	start = at(d.day, sc, pl.loc)

	if eText == "" {
		if dur > 0 {
			end = start.Add(dur)
			r.warn(issuef(codeDuration, "end time", "set to %s from the duration %q", end.In(pl.loc).Format("15:04"), tText))
		}
		return start, end
	}
	ec, exact, ok := parseClock(eText)
	if !ok {
		r.warn(issuef(codeEndDropped, "end time", "%q is not a time of day; left open", eText))
		return start, time.Time{}
	}
	if !exact {
		r.warn(issuef(codeClockFormat, "end time", "read %q as %s", eText, ec))
	}
	if ec == 23*60+59 {
		// Sheets write 23:59 for "until midnight".
		r.warn(issuef(codeMidnight, "end time", "23:59 read as midnight"))
		ec = 24 * 60
	}
	switch {
	case ec == sc:
		r.warn(issuef(codeEndDropped, "end time", "%s is the start time; left open", ec))
		return start, time.Time{}
	case ec < sc:
		// Past midnight. Evening parties ending at 2am are normal; a long
		// span (12:30 - 2:00) is more likely a 12-hour clock mistake, so
		// say so.
		ec += 24 * 60
		if time.Duration(ec-sc)*time.Minute > 12*time.Hour {
			r.warn(issuef(codeLongNight, "end time", "%s is before the start %s: taken as %s the next day (%s long; check)", clock(ec-24*60), sc, clock(ec-24*60), fmtDur(time.Duration(ec-sc)*time.Minute)))
		}
	}
	return start, at(d.day, ec, pl.loc)
}

// instantEnd reads an exported end; an unusable one is dropped with a warning.
func (pl *planner) instantEnd(r *rowResult, start time.Time) time.Time {
	endText, w := cleanText("end", r.row.End)
	r.warn(w...)
	endText = strings.TrimSpace(endText)
	if endText == "" {
		return time.Time{}
	}
	end, local, ok := parseInstant(endText, pl.loc)
	switch {
	case !ok:
		r.warn(issuef(codeEndDropped, "end", "%q is not a date and time; left open", endText))
		return time.Time{}
	case !end.After(start):
		r.warn(issuef(codeEndDropped, "end", "%q is not after the start; left open", endText))
		return time.Time{}
	case end.Sub(start) > party.MaxDuration:
		r.warn(issuef(codeEndDropped, "end", "%q is more than 7 days after the start; left open", endText))
		return time.Time{}
	}
	if local {
		r.warn(issuef(codeNoOffset, "end", "%q has no UTC offset; read as %s time", endText, pl.conf.TimeZone))
	}
	return end
}

func fmtDur(d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	if m == 0 {
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%02d", h, m)
}

// tooMany is the error for a plan that cannot be written in one atomic batch.
func tooMany(n int) error {
	return apperr.New(apperr.Invalid, "this import would write %d parties, more than the %d one atomic batch can hold; split the file", n, party.MaxBatch)
}
