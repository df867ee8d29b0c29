package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/demo/realdata"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/inproc"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

var gamescom = importer.ConferenceSpec{Name: "Gamescom 2025", City: "Cologne", TimeZone: "Europe/Berlin"}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "partyfinder.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// clock is a settable Now for the importer.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func parse(t *testing.T, b []byte) importer.Input {
	t.Helper()
	in, err := importer.Parse(bytes.NewReader(b), importer.Auto)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// realSheet returns the real organiser export, or skips when the read-only
// data folder next to the repository is absent.
func realSheet(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(realdata.Path(t, "gamescom-2025/sheet-export-2025-08-06.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestImportRealSheetIntoSQLite(t *testing.T) {
	ctx := context.Background()
	data := realSheet(t)
	store := openStore(t)
	clk := &clock{time.Date(2025, 8, 6, 15, 0, 0, 0, time.UTC)}
	im := &importer.Importer{Store: store, Now: clk.now}
	req := importer.Request{ConferenceID: "gamescom2025", NewConference: gamescom, Input: parse(t, data)}

	// First import: every row accounted for, the conference created.
	rep, err := im.Run(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total != 65 || rep.Accepted+rep.Rejected != 65 || rep.Created != rep.Accepted || len(rep.Rows) != 65 {
		t.Fatalf("first import: total %d accepted %d rejected %d created %d rows %d", rep.Total, rep.Accepted, rep.Rejected, rep.Created, len(rep.Rows))
	}
	t.Logf("real sheet: %d accepted (%d with warnings), %d rejected; warnings by kind %v", rep.Accepted, rep.WithWarnings, rep.Rejected, rep.WarningKinds)
	c, err := store.Conference(ctx, "gamescom2025")
	if err != nil {
		t.Fatal(err)
	}
	if c.FirstDay != "2025-08-17" || c.LastDay != "2025-08-23" || c.TimeZone != "Europe/Berlin" {
		t.Errorf("conference %+v, want 17-23 August 2025 in Europe/Berlin", c)
	}
	stored, err := store.PartiesOf(ctx, "gamescom2025")
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != rep.Accepted {
		t.Errorf("stored %d parties, accepted %d", len(stored), rep.Accepted)
	}
	for _, p := range stored {
		if p.Version != 1 || p.Status != party.Published || p.Source != "gamescom-sheets" {
			t.Errorf("%s: version %d status %s source %s", p.ID, p.Version, p.Status, p.Source)
		}
	}

	// Second import of the same file: nothing changes, not even versions.
	clk.t = clk.t.Add(time.Hour)
	rep, err = im.Run(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 0 || rep.Updated != 0 || rep.Unchanged != rep.Accepted {
		t.Errorf("second import: created %d updated %d unchanged %d accepted %d", rep.Created, rep.Updated, rep.Unchanged, rep.Accepted)
	}
	again, _ := store.PartiesOf(ctx, "gamescom2025")
	for i := range again {
		if again[i].Version != 1 || !again[i].UpdatedAt.Equal(stored[i].UpdatedAt) {
			t.Errorf("%s was rewritten: version %d updated %v", again[i].ID, again[i].Version, again[i].UpdatedAt)
		}
	}

	// A row removed from the sheet is cancelled by --prune, never deleted.
	var rows []map[string]any
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatal(err)
	}
	removedID := rep.Rows[0].ID
	shorter, _ := json.Marshal(rows[1:])
	clk.t = clk.t.Add(time.Hour)
	pruneReq := req
	pruneReq.Input = parse(t, shorter)
	pruneReq.Options.Prune = true
	rep, err = im.Run(ctx, pruneReq)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cancelled != 1 || len(rep.Pruned) != 1 || rep.Pruned[0].ID != removedID || rep.Updated != 0 || rep.Created != 0 {
		t.Errorf("prune: cancelled %d pruned %+v updated %d created %d", rep.Cancelled, rep.Pruned, rep.Updated, rep.Created)
	}
	gone, err := store.Party(ctx, removedID)
	if err != nil {
		t.Fatal(err)
	}
	if gone.Status != party.Cancelled || gone.Version != 2 || !gone.UpdatedAt.Equal(clk.t) {
		t.Errorf("pruned party: status %s version %d updated %v", gone.Status, gone.Version, gone.UpdatedAt)
	}
	if all, _ := store.PartiesOf(ctx, "gamescom2025"); len(all) != len(stored) {
		t.Errorf("prune changed the number of parties: %d, was %d", len(all), len(stored))
	}

	// The row comes back: the party is published again.
	clk.t = clk.t.Add(time.Hour)
	rep, err = im.Run(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Updated != 1 || rep.Rows[0].Action != importer.ActionRepublished {
		t.Errorf("comeback: updated %d, row 1 action %q", rep.Updated, rep.Rows[0].Action)
	}
	back, _ := store.Party(ctx, removedID)
	if back.Status != party.Published || back.Version != 3 || !back.CreatedAt.Equal(gone.CreatedAt) {
		t.Errorf("republished party: status %s version %d created %v", back.Status, back.Version, back.CreatedAt)
	}
}

func TestExportReimportsUnchanged(t *testing.T) {
	// Parties exported as the API serves them re-import onto themselves.
	ctx := context.Background()
	store := openStore(t)
	im := &importer.Importer{Store: store, Now: (&clock{time.Date(2025, 8, 6, 15, 0, 0, 0, time.UTC)}).now}
	sheet, err := os.ReadFile("testdata/messy-sheet.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := im.Run(ctx, importer.Request{ConferenceID: "gamescom2025", NewConference: gamescom, Input: parse(t, sheet)}); err != nil {
		t.Fatal(err)
	}
	stored, err := store.PartiesOf(ctx, "gamescom2025")
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Berlin")
	var export struct {
		Data []feed.PartyJSON `json:"data"`
	}
	for _, p := range stored {
		export.Data = append(export.Data, feed.NewPartyJSON(p, loc))
	}
	rep, err := im.Run(ctx, importer.Request{ConferenceID: "gamescom2025", Input: parse(t, feed.Marshal(export))})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total != len(stored) || rep.Unchanged != len(stored) || rep.Rejected != 0 {
		for _, r := range rep.Rows {
			if r.Action != importer.ActionUnchanged {
				t.Logf("row %d %s %s: %v %v", r.Row, r.Status, r.Action, r.Warnings, r.Errors)
			}
		}
		t.Errorf("re-import of the export: total %d unchanged %d rejected %d, want all %d unchanged", rep.Total, rep.Unchanged, rep.Rejected, len(stored))
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	im := &importer.Importer{Store: store}
	sheet, _ := os.ReadFile("testdata/messy-sheet.json")
	req := importer.Request{ConferenceID: "gamescom2025", NewConference: gamescom, Input: parse(t, sheet), DryRun: true}
	dry, err := im.Run(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !dry.DryRun || dry.Created == 0 || !dry.ConferenceCreated {
		t.Errorf("dry run report: %+v", dry)
	}
	if _, err := store.Conference(ctx, "gamescom2025"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("dry run created the conference: %v", err)
	}
	req.DryRun = false
	real, err := im.Run(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	dry.DryRun = false
	dj, _ := json.Marshal(dry)
	rj, _ := json.Marshal(real)
	if !bytes.Equal(dj, rj) {
		t.Errorf("the dry run reported something else than the import:\n%s\n%s", dj, rj)
	}
}

func TestRunConferenceRules(t *testing.T) {
	ctx := context.Background()
	sheet, _ := os.ReadFile("testdata/messy-sheet.json")
	tests := []struct {
		name  string
		id    string
		spec  importer.ConferenceSpec
		field string // the field the Invalid error must name
	}{
		{"missing time zone", "gamescom2025", importer.ConferenceSpec{Name: "G", City: "Cologne"}, "timeZone"},
		{"missing name and city", "gamescom2025", importer.ConferenceSpec{TimeZone: "Europe/Berlin"}, "name"},
		{"invalid time zone", "gamescom2025", importer.ConferenceSpec{Name: "G", City: "Cologne", TimeZone: "Mars/Olympus"}, "timeZone"},
		{"bad conference id", "Gamescom 2025", gamescom, "conference"},
		{"last day before first", "gamescom2025", importer.ConferenceSpec{Name: "G", City: "C", TimeZone: "Europe/Berlin", FirstDay: "2025-08-23", LastDay: "2025-08-17"}, "lastDay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := openStore(t)
			im := &importer.Importer{Store: store}
			_, err := im.Run(ctx, importer.Request{ConferenceID: tt.id, NewConference: tt.spec, Input: parse(t, sheet)})
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid {
				t.Fatalf("err = %v, want Invalid", err)
			}
			var fields []string
			for _, f := range e.Fields {
				fields = append(fields, f.Field)
			}
			if !strings.Contains(strings.Join(fields, ","), tt.field) {
				t.Errorf("error %q names fields %v, want %s", err, fields, tt.field)
			}
			if cs, _ := store.Conferences(ctx); len(cs) != 0 {
				t.Errorf("conference written despite the error: %+v", cs)
			}
		})
	}
}

func TestRunKeepsExistingConference(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	c, _ := conference.New("gamescom2025", "Gamescom 2025", "Köln", "Europe/Berlin", "2025-08-20", "2025-08-24")
	if _, err := store.CreateConference(ctx, c); err != nil {
		t.Fatal(err)
	}
	sheet, _ := os.ReadFile("testdata/messy-sheet.json")
	im := &importer.Importer{Store: store}
	rep, err := im.Run(ctx, importer.Request{ConferenceID: "gamescom2025", Input: parse(t, sheet),
		NewConference: importer.ConferenceSpec{Name: "Gamescom 2025", City: "Cologne", TimeZone: "Europe/London"}})
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(rep.Notes, "\n")
	if !strings.Contains(notes, `time zone stays "Europe/Berlin"`) || !strings.Contains(notes, `city stays "Köln"`) || strings.Contains(notes, "name stays") {
		t.Errorf("notes %q should name exactly the settings that differ", notes)
	}
	got, _ := store.Conference(ctx, "gamescom2025")
	if got.TimeZone != "Europe/Berlin" || got.City != "Köln" {
		t.Errorf("conference changed: %+v", got)
	}
	if rep.ConferenceCreated || rep.WarningKinds["outside-conference"] == 0 {
		t.Errorf("created %v, outside warnings %d: parties on 18-19 August fall before the stored days", rep.ConferenceCreated, rep.WarningKinds["outside-conference"])
	}
}

func TestRunConflictWritesNothing(t *testing.T) {
	// A party changed by someone else between planning and saving makes the
	// whole batch fail; nothing is half-written.
	ctx := context.Background()
	store := openStore(t)
	sheet, _ := os.ReadFile("testdata/messy-sheet.json")
	im := &importer.Importer{Store: store}
	req := importer.Request{ConferenceID: "gamescom2025", NewConference: gamescom, Input: parse(t, sheet)}
	if _, err := im.Run(ctx, req); err != nil {
		t.Fatal(err)
	}
	before, _ := store.PartiesOf(ctx, "gamescom2025")
	racing := &racingStore{Store: store}
	im = &importer.Importer{Store: racing}
	changed := strings.Replace(string(sheet), "Clean Mixer", "Clean Mixer Renamed", 1)
	changed = strings.Replace(changed, "Range Only", "Range Only Renamed", 1)
	req.Input = parse(t, []byte(changed))
	_, err := im.Run(ctx, req)
	if !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("err = %v, want Conflict", err)
	}
	after, _ := store.PartiesOf(ctx, "gamescom2025")
	byID := map[string]party.Party{}
	for _, p := range before {
		byID[p.ID] = p
	}
	for _, p := range after {
		if p.ID == racing.touched {
			continue
		}
		if !p.Equal(byID[p.ID]) || p.Version != byID[p.ID].Version {
			t.Errorf("%s changed despite the failed batch", p.ID)
		}
	}
}

// racingStore bumps one party's version right after the importer loaded
// them, as a concurrent editor would.
type racingStore struct {
	*sqlite.Store
	touched string
}

func (r *racingStore) PartiesOf(ctx context.Context, id string) ([]party.Party, error) {
	ps, err := r.Store.PartiesOf(ctx, id)
	if err != nil || len(ps) == 0 {
		return ps, err
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Title < ps[j].Title })
	for _, p := range ps {
		if p.Title == "Clean Mixer" {
			r.touched = p.ID
			_, err = r.Store.UpdateParty(ctx, p.ID, func(q *party.Party) error { q.Focus = "Edited"; return nil })
			break
		}
	}
	return ps, err
}

func TestRunPublishesEventsAndRefreshesTheFeed(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	var bus inproc.Bus
	var heard []event.Event
	bus.Subscribe(func(_ context.Context, e event.Event) { heard = append(heard, e) })
	// A feed that would not look at the store again for an hour on its own.
	cache := feed.NewCache(store, feed.Options{Refresh: time.Hour})
	bus.Subscribe(cache.Apply)
	clk := &clock{time.Date(2025, 8, 6, 15, 0, 0, 0, time.UTC)}
	im := &importer.Importer{Store: store, Now: clk.now, Events: &bus}
	sheet, _ := os.ReadFile("testdata/messy-sheet.json")
	req := importer.Request{ConferenceID: "gamescom2025", NewConference: gamescom, Input: parse(t, sheet)}

	rep, err := im.Run(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	count := func(es []event.Event) map[string]int {
		m := map[string]int{}
		for _, e := range es {
			m[e.EventMeta().Type]++
			if m := e.EventMeta(); m.Conference != "gamescom2025" || m.Actor != event.System || m.ID == "" || m.Version != party.EventVersion {
				t.Errorf("event metadata %+v: want the conference, the system actor, an id and the version", m)
			}
		}
		return m
	}
	got := count(heard)
	if got[party.TypeCreated] != rep.Created || got[party.TypeImportApplied] != 1 || got[party.TypeUpdated] != 0 {
		t.Errorf("first import: events %v for %d created parties", got, rep.Created)
	}
	if len(rep.Events) != len(heard) {
		t.Errorf("the report lists %d events, %d were published", len(rep.Events), len(heard))
	}
	snap, err := cache.Snapshot(ctx, "gamescom2025")
	if err != nil {
		t.Fatal(err)
	}
	before := len(snap.Entries)
	countCancelled := func(s *feed.Snapshot) int {
		n := 0
		for _, e := range s.Entries {
			if e.Party.Status == party.Cancelled {
				n++
			}
		}
		return n
	}
	cancelledBefore := countCancelled(snap)

	// A re-import that changes nothing publishes nothing.
	heard = nil
	if _, err := im.Run(ctx, req); err != nil {
		t.Fatal(err)
	}
	if len(heard) != 0 {
		t.Errorf("an unchanged re-import published %v", count(heard))
	}

	// A prune cancels every party the file no longer has: the feed shows
	// it at once, through the event, not after its hour.
	heard = nil
	clk.t = clk.t.Add(time.Hour)
	short := parse(t, sheet)
	short.Rows = short.Rows[:1]
	pruned, err := im.Run(ctx, importer.Request{ConferenceID: "gamescom2025", Input: short, Options: importer.Options{Prune: true}})
	if err != nil {
		t.Fatal(err)
	}
	got = count(heard)
	if pruned.Cancelled == 0 || got[party.TypeCancelled] != pruned.Cancelled || got[party.TypeUpdated] != pruned.Cancelled {
		t.Errorf("prune of %d parties published %v", pruned.Cancelled, got)
	}
	snap, err = cache.Snapshot(ctx, "gamescom2025")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := countCancelled(snap), cancelledBefore+pruned.Cancelled; got != want || len(snap.Entries) != before {
		t.Errorf("feed after the prune: %d of %d parties cancelled, want %d of %d", got, len(snap.Entries), want, before)
	}
}

func TestImportOfMoreThan500Parties(t *testing.T) {
	// A conference week larger than Firestore's former 500-write commit:
	// one run, one transaction, every party there afterwards.
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("Event Name,Date,Start Time,Venue\n")
	const n = 730
	for i := range n {
		fmt.Fprintf(&b, "Party %d,2025-08-%d,%02d:%02d,Hall %d\n", i, 20+i%4, 12+i%10, i%60, i)
	}
	store := openStore(t)
	im := &importer.Importer{Store: store}
	rep, err := im.Run(ctx, importer.Request{ConferenceID: "gamescom2025", NewConference: gamescom, Input: parse(t, []byte(b.String()))})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := store.PartiesOf(ctx, "gamescom2025")
	if err != nil || rep.Created != n || len(ps) != n {
		t.Errorf("import of %d rows: created %d, stored %d (%v); want %d", n, rep.Created, len(ps), err, n)
	}
}

func TestDryRunFailsWhereTheImportFails(t *testing.T) {
	// A new conference whose days are the wrong way round: the import
	// fails as a whole before it writes, and so must its dry run, with the
	// same error.
	ctx := context.Background()
	csv := "Event Name,Date,Start Time\nParty,2025-08-20,18:00\n"
	spec := gamescom
	spec.FirstDay, spec.LastDay = "2025-08-24", "2025-08-20"
	store := openStore(t)
	im := &importer.Importer{Store: store}
	req := importer.Request{ConferenceID: "gamescom2025", NewConference: spec, Input: parse(t, []byte(csv)), DryRun: true}
	_, dryErr := im.Run(ctx, req)
	req.DryRun = false
	_, err := im.Run(ctx, req)
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("import err = %v, want Invalid", err)
	}
	if dryErr == nil || dryErr.Error() != err.Error() {
		t.Errorf("dry run err = %v, want the import's %v", dryErr, err)
	}
	if cs, _ := store.Conferences(ctx); len(cs) != 0 {
		t.Errorf("conference written despite the error: %+v", cs)
	}
}

func TestImportWarnsOfCategoriesTheConferenceDoesNotOffer(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	c, err := conference.New("gamescom2025", "Gamescom 2025", "Köln", "Europe/Berlin", "2025-08-20", "2025-08-24")
	if err != nil {
		t.Fatal(err)
	}
	c.Categories = []string{"Mixer", "Exec Social"}
	if _, err := store.CreateConference(ctx, c); err != nil {
		t.Fatal(err)
	}
	csv := "Event Name,Date,Start Time,Category\nA,2025-08-21,18:00,exec social\nB,2025-08-21,19:00,Rooftop\n"
	rep, err := (&importer.Importer{Store: store}).Run(ctx, importer.Request{ConferenceID: "gamescom2025", Input: parse(t, []byte(csv))})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 2 || rep.WarningKinds["category"] != 1 {
		t.Fatalf("created %d, category warnings %d; want both kept, one warned: %+v", rep.Created, rep.WarningKinds["category"], rep.Rows)
	}
	if w := rep.Rows[1].Warnings; len(w) != 1 || !strings.Contains(w[0], "Rooftop") {
		t.Errorf("row 2 warnings %q, want one naming Rooftop", w)
	}
}
