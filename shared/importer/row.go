package importer

import (
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/fold"
	"github.com/partyfinder/partyfinder/shared/party"
)

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

	title := pl.title(r)
	r.source = pl.source(r)
	start, end := pl.timing(r)
	key := pl.placeInTime(r, start)
	p := party.Party{
		ConferenceID: pl.conf.ID,
		Title:        title,
		Start:        start,
		End:          end,
		Source:       r.source,
	}
	pl.details(r, &p)

	r.id = pl.id(r, r.source, key)
	p.ID = r.id
	if r.accepted() {
		r.validate(p)
	}
	return r
}

// title cleans the required title. The report shows it normalised; the
// party keeps it as cleaned until validation normalises it too.
func (pl *planner) title(r *rowResult) string {
	title, w := cleanText("title", r.row.Title)
	r.warn(w...)
	r.title = party.CleanText(title)
	if r.title == "" {
		r.fail(issuef("", "title", "is required"))
	}
	return title
}

// source names where the row comes from: the import's own source wins over
// the row's, and a row without either gets DefaultSource.
func (pl *planner) source(r *rowResult) string {
	source := party.CleanText(pl.opts.Source)
	if source == "" {
		s, w := cleanText("source", r.row.Source)
		r.warn(w...)
		source = party.CleanText(s)
	}
	if source == "" {
		source = DefaultSource
	}
	return source
}

// placeInTime sets the row's conference-local day and returns the key a
// row without an id of its own derives one from: the title and the local
// start. Both stay empty when the row has no start.
func (pl *planner) placeInTime(r *rowResult, start time.Time) string {
	if start.IsZero() {
		return ""
	}
	r.day = start.In(pl.loc).Format(conference.DateLayout)
	return fold.String(r.title) + "|" + start.In(pl.loc).Format("2006-01-02 15:04")
}

// details fills the party's optional fields. They are read in a fixed
// order, so a row's warnings always come in the same order.
func (pl *planner) details(r *rowResult, p *party.Party) {
	row := r.row
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
	if category != "" && !pl.conf.OffersCategory(party.CategoryKey(category)) {
		// The sheet is the organizers'; its party is kept, and the admin
		// told which label to add to the conference or fix in the sheet.
		r.warn(issuef("category", "category", "%q is not one of the conference's categories (%s); kept as given", category, strings.Join(pl.conf.Categories, ", ")))
	}
	p.Hosts = pl.list(r, "hosts", row.Hosts, row.HostList, splitHosts, party.MaxHosts)
	p.Price = pl.text(r, "price", row.Price, party.MaxText)
	link, w := cleanLink(row.Link)
	r.warn(w...)
	p.Link = link
	p.Focus = pl.text(r, "focus", row.Focus, party.MaxText)
	p.Tags = pl.list(r, "tags", row.Tags, row.TagList, splitTags, party.MaxTags)
	p.Status = pl.status(r)
}

// validate runs the party model's own checks. On success the row holds the
// normalised party; otherwise each invalid field becomes one error of the
// row, so the report names them all.
func (r *rowResult) validate(p party.Party) {
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
		return
	}
	r.p = p
	r.title = p.Title
	// What the party model finds unusual (a party of a day or more) is
	// kept, and the admin told to check it.
	for _, w := range p.Warnings() {
		code := w.Code
		if w.Code == party.WarnLong {
			code = codeLong
		}
		r.warn(issuef(code, w.Field, "%s", w.Message))
	}
}
