package importer

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/event"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Store is what an import needs from storage. The sqlite and firestore
// stores implement it.
type Store interface {
	Conference(ctx context.Context, id string) (conference.Conference, error)
	CreateConference(ctx context.Context, c conference.Conference) (conference.Conference, error)
	Party(ctx context.Context, id string) (party.Party, error)
	PartiesOf(ctx context.Context, conferenceID string) ([]party.Party, error)
	SaveParties(ctx context.Context, ps []party.Party) error
}

// Importer runs imports against a store.
type Importer struct {
	Store Store
	// Now returns the current time; nil means time.Now. It stamps created
	// and updated parties.
	Now func() time.Time
	// Events hears of every party the import changed and of the import
	// itself; nil sends them nowhere (the report still lists them).
	Events event.Publisher
	// NewID makes event ids; nil means random ones.
	NewID func() string
	// Done, if set, hears of every import that ran to its report, dry runs
	// included (the rows' metrics).
	Done func(ctx context.Context, r Report)
}

// ConferenceSpec describes the conference to create when it does not exist
// yet. Name, City and TimeZone are required then; FirstDay and LastDay
// (YYYY-MM-DD) default to the days of the imported parties. For an existing
// conference, values that differ from the stored ones are reported in the
// notes and otherwise ignored: an import never changes a conference.
type ConferenceSpec struct {
	Name     string
	City     string
	TimeZone string
	FirstDay string
	LastDay  string
}

// Request is one import.
type Request struct {
	ConferenceID  string
	NewConference ConferenceSpec
	Input         Input
	Options       Options
	// DryRun computes the same report and writes nothing.
	DryRun bool
	// Actor is who runs the import, for its events: a uid, or event.System
	// (the default) for the command line.
	Actor string
}

// Run imports the request's rows, any number of them, in one call.
// Rejected rows are part of the report, not errors. Run returns an error
// only when the import as a whole cannot be done: Invalid for a bad
// request (unknown conference without its details, bad time zone),
// Conflict when parties changed while importing (run again), and store
// errors. In such a case no party was written, with two exceptions the
// next run completes: a new conference may already exist when saving its
// parties failed, and a store that writes a large batch in steps
// (Firestore) keeps the steps it committed before a later one failed. Run
// announces the events of those steps' parties; running the same import
// again writes the rest, so it ends where one uninterrupted run would
// (docs/adr/0006-imports-of-any-size.md). A dry run returns the same
// errors, except those only writing can meet (Conflict and store errors on
// save).
func (im *Importer) Run(ctx context.Context, req Request) (Report, error) {
	r, err := im.run(ctx, req)
	if err == nil && im.Done != nil {
		im.Done(ctx, r)
	}
	return r, err
}

func (im *Importer) run(ctx context.Context, req Request) (Report, error) {
	now := time.Now
	if im.Now != nil {
		now = im.Now
	}
	id := strings.TrimSpace(req.ConferenceID)
	if !conference.ValidID(id) {
		return Report{}, apperr.Field("conference", "format", fmt.Sprintf("%q must be 2-63 lowercase letters, digits or dashes", id))
	}
	conf, isNew, notes, err := im.conference(ctx, id, req.NewConference)
	if err != nil {
		return Report{}, err
	}
	var existing []party.Party
	if !isNew {
		if existing, err = im.Store.PartiesOf(ctx, id); err != nil {
			return Report{}, fmt.Errorf("load parties of %s: %w", id, err)
		}
	}
	if existing, err = im.withForeign(ctx, existing, req.Input); err != nil {
		return Report{}, err
	}
	plan, err := Prepare(conf, isNew, existing, req.Input, req.Options, now())
	if err != nil {
		return Report{}, err
	}
	plan.Report.Notes = append(append([]string{}, notes...), plan.Report.Notes...)
	plan.Report.DryRun = req.DryRun
	// A dry run fails wherever the import would fail before it reaches
	// the store's own state, so "it passed the dry run" means something.
	if err := plan.Check(); err != nil {
		return Report{}, err
	}
	if req.DryRun {
		return plan.Report, nil
	}
	if isNew {
		ctx, trail := audit.WithPending(ctx)
		entry := audit.New(now(), req.Actor, audit.ConferenceCreated, id, "")
		entry.After, entry.Note = audit.OfConference(plan.Conference), "created by an import"
		trail.Set(entry)
		if _, err := im.Store.CreateConference(ctx, plan.Conference); err != nil {
			return Report{}, fmt.Errorf("create conference %s: %w", id, err)
		}
	}
	if len(plan.Writes) > 0 {
		var ofParty map[string][]event.Event
		plan.Report.Events, ofParty = im.events(req, plan, existing, now)
		// A store with an outbox keeps the events in the same transaction
		// as the parties: none is lost if the process dies right after.
		ctx, pending := event.WithPending(ctx)
		pending.Set(plan.Report.Events...)
		// One audit entry for the import: its rows are in the report, and
		// every party's own history is in its versions.
		ctx, trail := audit.WithPending(ctx)
		entry := audit.New(now(), req.Actor, audit.ImportApplied, id, "")
		rep := plan.Report
		entry.Note = fmt.Sprintf("%d created, %d updated, %d cancelled, %d unchanged, %d rejected",
			rep.Created, rep.Updated, rep.Cancelled, rep.Unchanged, rep.Rejected)
		if req.Options.Source != "" {
			entry.Note = fmt.Sprintf("source %q: %s", req.Options.Source, entry.Note)
		}
		trail.Set(entry)
		// The parties of the steps a store committed, when a later step
		// fails: they are stored, so their events are due.
		var stored []event.Event
		ctx = party.WithStepFunc(ctx, func(written []party.Party) error {
			for _, p := range written {
				stored = append(stored, ofParty[p.ID]...)
			}
			return nil
		})
		if err := im.Store.SaveParties(ctx, plan.Writes); err != nil {
			return Report{}, im.failed(ctx, id, stored, err)
		}
	}
	if len(plan.Writes) == 0 {
		return plan.Report, nil // nothing changed: nothing to tell
	}
	if im.Events != nil {
		if err := im.Events.Publish(ctx, plan.Report.Events...); err != nil {
			// The parties are stored; listeners catch up by their own refresh.
			slog.ErrorContext(ctx, "publish import events", "conference", id, "error", err)
		}
	}
	return plan.Report, nil
}

// failed explains a failed save. When steps of it were stored (stored
// holds their parties' events) it announces them, and the error says that
// running the import again completes it; else nothing was written.
func (im *Importer) failed(ctx context.Context, id string, stored []event.Event, err error) error {
	if len(stored) == 0 {
		if apperr.Is(err, apperr.Conflict) {
			return fmt.Errorf("save parties: parties of %s changed during the import; nothing was written, run it again: %w", id, err)
		}
		return fmt.Errorf("save parties: %w", err)
	}
	if im.Events != nil {
		if perr := im.Events.Publish(ctx, stored...); perr != nil {
			slog.ErrorContext(ctx, "publish import events", "conference", id, "error", perr)
		}
	}
	return fmt.Errorf("save parties: the import of %s stopped part way; run it again to complete it: %w", id, err)
}

// events derives the domain events of an applied import: one set per
// party written (created, updated, published, cancelled, by the party
// domain's rule), then ImportAppliedEvent with the report's counts. It
// also returns each written party's events by id.
func (im *Importer) events(req Request, plan Plan, existing []party.Party, now func() time.Time) ([]event.Event, map[string][]event.Event) {
	stamp := event.Stamper{Now: now, NewID: im.NewID}
	actor := req.Actor
	if actor == "" {
		actor = event.System
	}
	meta := func(typ string) event.Meta { return stamp.Meta(typ, party.EventVersion, actor, plan.Conference.ID) }
	before := make(map[string]party.Party, len(existing))
	for _, p := range existing {
		before[p.ID] = p
	}
	var out []event.Event
	ofParty := make(map[string][]event.Event, len(plan.Writes))
	for _, p := range plan.Writes {
		var was *party.Party
		if old, ok := before[p.ID]; ok {
			was = &old
		}
		evs := party.Events(was, p, meta)
		ofParty[p.ID] = evs
		out = append(out, evs...)
	}
	rep := plan.Report
	return append(out, party.ImportAppliedEvent{
		Meta:    meta(party.TypeImportApplied),
		Source:  req.Options.Source,
		Created: rep.Created, Updated: rep.Updated, Cancelled: rep.Cancelled,
		Unchanged: rep.Unchanged, Rejected: rep.Rejected,
	}), ofParty
}

// conference loads the conference, or prepares a new one from spec.
func (im *Importer) conference(ctx context.Context, id string, spec ConferenceSpec) (conference.Conference, bool, []string, error) {
	c, err := im.Store.Conference(ctx, id)
	switch {
	case err == nil:
		var notes []string
		for _, d := range []struct{ what, given, kept string }{
			{"name", spec.Name, c.Name},
			{"city", spec.City, c.City},
			{"time zone", spec.TimeZone, c.TimeZone},
			{"first day", spec.FirstDay, c.FirstDay},
			{"last day", spec.LastDay, c.LastDay},
		} {
			if g := strings.TrimSpace(d.given); g != "" && g != d.kept {
				notes = append(notes, fmt.Sprintf("conference %s exists: its %s stays %q (given %q)", id, d.what, d.kept, g))
			}
		}
		return c, false, notes, nil
	case apperr.Is(err, apperr.NotFound):
	default:
		return c, false, nil, fmt.Errorf("load conference %s: %w", id, err)
	}
	var fs []apperr.FieldError
	for _, f := range []struct{ field, value, msg string }{
		{"name", spec.Name, "is required to create the conference"},
		{"city", spec.City, "is required to create the conference"},
		{"timeZone", spec.TimeZone, "is required to create the conference (an IANA zone such as Europe/Berlin)"},
	} {
		if strings.TrimSpace(f.value) == "" {
			fs = append(fs, apperr.FieldError{Field: f.field, Code: "required", Message: f.msg})
		}
	}
	if err := apperr.Fields(fmt.Sprintf("conference %s does not exist; give its name, city and time zone to create it", id), fs); err != nil {
		return c, false, nil, err
	}
	if _, err := loadZone(spec.TimeZone); err != nil {
		return c, false, nil, err
	}
	c = conference.Conference{
		ID:       id,
		Name:     strings.TrimSpace(spec.Name),
		City:     strings.TrimSpace(spec.City),
		TimeZone: strings.TrimSpace(spec.TimeZone),
		FirstDay: strings.TrimSpace(spec.FirstDay),
		LastDay:  strings.TrimSpace(spec.LastDay),
	}
	return c, true, nil, nil
}

// withForeign adds the stored parties that export rows name by id but that
// belong to another conference, so Prepare can reject those rows instead of
// the whole batch failing on the clash.
func (im *Importer) withForeign(ctx context.Context, existing []party.Party, in Input) ([]party.Party, error) {
	known := make(map[string]bool, len(existing))
	for _, p := range existing {
		known[p.ID] = true
	}
	for _, row := range in.Rows {
		id := strings.TrimSpace(row.ID)
		if row.Layout != Export || !party.ValidID(id) || known[id] {
			continue
		}
		known[id] = true
		p, err := im.Store.Party(ctx, id)
		switch {
		case err == nil:
			existing = append(existing, p)
		case apperr.Is(err, apperr.NotFound):
		default:
			return nil, fmt.Errorf("look up party %s: %w", id, err)
		}
	}
	return existing, nil
}
