package command_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/inproc"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

var now = time.Date(2025, 8, 20, 12, 0, 0, 0, time.UTC)

// fixture is the attendee use cases over a real embedded store holding the
// demo week, with a bus that records what they publish.
type fixture struct {
	uc      *command.Attendees
	store   *sqlite.Store
	path    string // the store's file
	heard   []event.Event
	open    party.Party // a published party
	conf    string
	ids     int
	private party.Party // a draft: not public
	gone    party.Party // cancelled
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pf.db")
	store, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ctx := t.Context()
	conf, ps := demo.Data(now)
	if _, err := store.CreateConference(ctx, conf); err != nil {
		t.Fatal(err)
	}
	ps[1].Status = party.Draft
	ps[2].Status = party.Cancelled
	if err := store.SaveParties(ctx, ps); err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: store, path: path, open: ps[0], private: ps[1], gone: ps[2], conf: conf.ID}
	var bus inproc.Bus
	bus.Subscribe(func(_ context.Context, e event.Event) { f.heard = append(f.heard, e) })
	f.uc = &command.Attendees{
		Parties: store, Store: store, Events: &bus,
		Stamp:          event.Stamper{Now: func() time.Time { return now }, NewID: func() string { f.ids++; return fmt.Sprint("e", f.ids) }},
		CalendarSecret: []byte("0123456789abcdef0123456789abcdef"),
	}
	return f
}

func types(es []event.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.EventMeta().Type)
	}
	return out
}

func TestRecordSwipe(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	steps := []struct {
		action    attendee.Action
		wantTypes []string
		wantPrev  attendee.Action
		wantSaved bool
	}{
		{attendee.Like, []string{attendee.TypeSwipeRecorded, attendee.TypeSaveAdded}, "", true},
		{attendee.Like, nil, attendee.Like, true}, // repeated: nothing changes, nothing is published
		{attendee.Pass, []string{attendee.TypeSwipeRecorded, attendee.TypeSaveRemoved}, attendee.Like, false},
		{attendee.Interested, []string{attendee.TypeSwipeRecorded, attendee.TypeSaveAdded}, attendee.Pass, true},
	}
	for i, st := range steps {
		f.heard = nil
		res, events, err := f.uc.RecordSwipe(ctx, "ada", f.open.ID, st.action)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := types(events); !slices.Equal(got, st.wantTypes) {
			t.Errorf("step %d (%s): events %v, want %v", i, st.action, got, st.wantTypes)
		}
		if !slices.Equal(types(f.heard), types(events)) {
			t.Errorf("step %d: published %v, returned %v", i, types(f.heard), types(events))
		}
		if res.Previous != st.wantPrev || res.Saved != st.wantSaved || res.Unchanged != (st.wantTypes == nil) {
			t.Errorf("step %d: previous %q saved %v unchanged %v, want %q %v %v", i, res.Previous, res.Saved, res.Unchanged,
				st.wantPrev, st.wantSaved, st.wantTypes == nil)
		}
		if len(events) == 0 {
			continue
		}
		sw := events[0].(attendee.SwipeRecorded)
		if sw.Previous != st.wantPrev || sw.Action != st.action || sw.PartyID != f.open.ID {
			t.Errorf("step %d: event %+v", i, sw)
		}
		if m := sw.EventMeta(); m.Actor != "ada" || m.Conference != f.conf || !m.At.Equal(now) || m.Version != attendee.EventVersion || m.ID == "" {
			t.Errorf("step %d: metadata %+v", i, m)
		}
	}
	saves, _ := f.store.Saves(ctx, "ada")
	if len(saves) != 1 || saves[0].PartyID != f.open.ID {
		t.Errorf("saves after the steps: %v", saves)
	}
}

// A repeated decision (the same swipe again, a save of a party saved
// already, an unsave of one that is not) is answered from a plain read:
// it needs no write transaction, so it is answered even while another
// process holds the store's write lock, where a change is refused as
// Unavailable. It answers what the transaction would, publishes nothing
// and leaves the stored decision as it was, its time too.
func TestRepeatedDecisionsNeedNoWrite(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	first, _, err := f.uc.RecordSwipe(ctx, "ada", f.open.ID, attendee.Like)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.uc.RecordSwipe(ctx, "ada", f.other(t).ID, attendee.Pass); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Hour)
	f.uc.Stamp.Now = func() time.Time { return later }

	f.lockStore(t)
	f.heard = nil
	res, events, err := f.uc.RecordSwipe(ctx, "ada", f.open.ID, attendee.Like)
	if err != nil || !res.Unchanged || res.Previous != attendee.Like || !res.Saved || res.Changed() || res.Swipe != first.Swipe || len(events) != 0 {
		t.Errorf("repeated like while the store is locked: %+v, events %v, %v; want the stored like, unchanged, no events", res, types(events), err)
	}
	if res, events, err := f.uc.RecordSwipe(ctx, "ada", f.other(t).ID, attendee.Pass); err != nil || !res.Unchanged || res.Saved || len(events) != 0 {
		t.Errorf("repeated pass while the store is locked: %+v, events %v, %v; want unchanged, no events", res, types(events), err)
	}
	if added, events, err := f.uc.AddSave(ctx, "ada", f.open.ID); err != nil || added || len(events) != 0 {
		t.Errorf("save of a saved party while the store is locked: %v, %v, %v; want false, no events", added, types(events), err)
	}
	if removed, events, err := f.uc.RemoveSave(ctx, "ada", f.other(t).ID); err != nil || removed || len(events) != 0 {
		t.Errorf("unsave of a party not saved while the store is locked: %v, %v, %v; want false, no events", removed, types(events), err)
	}
	if _, events, err := f.uc.RecordSwipe(ctx, "ada", f.open.ID, attendee.Pass); !apperr.Is(err, apperr.Unavailable) || len(events) != 0 {
		t.Errorf("a changed decision while the store is locked: %v, %v; want Unavailable and no events", types(events), err)
	}
	if len(f.heard) != 0 {
		t.Errorf("published %v", types(f.heard))
	}
	swipes, err := f.store.Swipes(ctx, "ada")
	if err != nil || len(swipes) != 2 || !swipes[0].At.Equal(now) || !swipes[1].At.Equal(now) {
		t.Errorf("swipes after the repeats: %+v, %v; want both still at %v", swipes, err, now)
	}
}

// other returns a published party other than f.open.
func (f *fixture) other(t *testing.T) party.Party {
	t.Helper()
	_, ps := demo.Data(now)
	for _, p := range ps[3:] {
		if p.Status == party.Published && p.ID != f.open.ID {
			return p
		}
	}
	t.Fatal("the demo data has no second published party")
	return party.Party{}
}

// lockStore takes the store's write lock from a connection of its own, as
// another process writing to the file would, until the test ends.
func (f *fixture) lockStore(t *testing.T) {
	t.Helper()
	db, err := sql.Open("sqlite", f.path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("take the write lock: %v", err)
	}
	t.Cleanup(func() {
		conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		db.Close()
	})
}

// Parties attendees cannot go to are refused before anything is written.
func TestSwipeAndSaveRefuseClosedParties(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		id   string
		kind apperr.Kind
	}{
		{"unknown", "no-such-party", apperr.NotFound},
		{"malformed", "a/b", apperr.NotFound},
		{"draft", f.private.ID, apperr.NotFound},
		{"cancelled", f.gone.ID, apperr.Conflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, events, err := f.uc.RecordSwipe(ctx, "ada", tc.id, attendee.Like)
			if !apperr.Is(err, tc.kind) || events != nil {
				t.Errorf("RecordSwipe = %v, %v; want %s and no events", events, err, tc.kind)
			}
			_, _, err = f.uc.AddSave(ctx, "ada", tc.id)
			if !apperr.Is(err, tc.kind) {
				t.Errorf("AddSave = %v, want %s", err, tc.kind)
			}
		})
	}
	swipes, _ := f.store.Swipes(ctx, "ada")
	saves, _ := f.store.Saves(ctx, "ada")
	if len(swipes)+len(saves)+len(f.heard) != 0 {
		t.Errorf("refused writes left %v, %v and published %v", swipes, saves, types(f.heard))
	}
}

func TestSaves(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	added, events, err := f.uc.AddSave(ctx, "ada", f.open.ID)
	if err != nil || !added || !slices.Equal(types(events), []string{attendee.TypeSaveAdded}) {
		t.Fatalf("first save: %v %v %v", added, types(events), err)
	}
	added, events, err = f.uc.AddSave(ctx, "ada", f.open.ID)
	if err != nil || added || len(events) != 0 {
		t.Errorf("repeated save: added %v events %v err %v; want no change and no event", added, types(events), err)
	}
	removed, events, err := f.uc.RemoveSave(ctx, "ada", f.open.ID)
	if err != nil || !removed || !slices.Equal(types(events), []string{attendee.TypeSaveRemoved}) || events[0].EventMeta().Conference != f.conf {
		t.Errorf("unsave: %v %v %v", removed, events, err)
	}
	removed, events, err = f.uc.RemoveSave(ctx, "ada", f.open.ID)
	if err != nil || removed || len(events) != 0 {
		t.Errorf("unsave of a party not saved: %v %v %v", removed, types(events), err)
	}
	if _, _, err := f.uc.RemoveSave(ctx, "ada", "a/b"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unsave of a malformed id = %v, want NotFound", err)
	}
}

func TestChangeProfile(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	p, events, err := f.uc.ChangeProfile(ctx, "ada", func(p *attendee.Profile) { p.DisplayName, p.Persona = "Ada", attendee.Developer })
	if err != nil {
		t.Fatal(err)
	}
	pc, ok := events[0].(attendee.ProfileChanged)
	if len(events) != 1 || !ok || !slices.Equal(pc.Changed, []string{"displayName", "persona"}) || pc.Persona != attendee.Developer {
		t.Errorf("events %+v, want one ProfileChanged naming displayName and persona", events)
	}
	if !p.CreatedAt.Equal(now) || !p.UpdatedAt.Equal(now) {
		t.Errorf("stamps %v / %v, want %v", p.CreatedAt, p.UpdatedAt, now)
	}
	_, events, err = f.uc.ChangeProfile(ctx, "ada", func(p *attendee.Profile) { p.DisplayName = "Ada" })
	if err != nil || len(events) != 0 {
		t.Errorf("a change to the same values published %v (%v)", types(events), err)
	}
	_, events, err = f.uc.ChangeProfile(ctx, "ada", func(p *attendee.Profile) { p.Company = strings.Repeat("x", 101) })
	if !apperr.Is(err, apperr.Invalid) || events != nil {
		t.Errorf("an invalid change: %v %v", events, err)
	}
	stored, _ := f.store.Profile(ctx, "ada")
	if stored.Company != "" || stored.DisplayName != "Ada" {
		t.Errorf("stored after a refused change: %+v", stored)
	}
}

func TestCalendarLinkAndErasure(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	first, l1, err := f.uc.CalendarLink(ctx, "ada", false)
	if err != nil || l1.Generation != 1 {
		t.Fatalf("first link: %+v %v", l1, err)
	}
	again, _, _ := f.uc.CalendarLink(ctx, "ada", false)
	rotated, l2, _ := f.uc.CalendarLink(ctx, "ada", true)
	if again != first || rotated == first || l2.Generation != 2 {
		t.Errorf("showing again must keep the token, rotating must change it: %v %v %d", again == first, rotated == first, l2.Generation)
	}
	if uid, err := f.store.UserByCalendarToken(ctx, attendee.HashToken(rotated)); err != nil || uid != "ada" {
		t.Errorf("the rotated token finds %q, %v", uid, err)
	}
	if _, err := f.store.UserByCalendarToken(ctx, attendee.HashToken(first)); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("the old token still works: %v", err)
	}
	events, err := f.uc.EraseUser(ctx, "ada")
	if err != nil || !slices.Equal(types(events), []string{attendee.TypeUserErased}) || events[0].(attendee.UserErased).UID != "ada" {
		t.Errorf("erasure: %v %v", events, err)
	}
	if _, err := f.store.UserByCalendarToken(ctx, attendee.HashToken(rotated)); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("the token survives the erasure: %v", err)
	}
	noSecret := *f.uc
	noSecret.CalendarSecret = nil
	if _, _, err := noSecret.CalendarLink(ctx, "ada", false); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("without a secret = %v, want Unavailable", err)
	}
}

// failing is a publisher that always fails: failure injection.
type failing struct{}

func (failing) Publish(context.Context, ...event.Event) error { return errors.New("the bus is down") }

// A stored write stays stored and is reported as done when its events
// cannot be sent; the failure is logged.
func TestPublishFailureDoesNotFailTheWrite(t *testing.T) {
	f := newFixture(t)
	var logs strings.Builder
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	f.uc.Events = failing{}
	added, events, err := f.uc.AddSave(t.Context(), "ada", f.open.ID)
	if err != nil || !added || len(events) != 1 {
		t.Fatalf("AddSave with a failing publisher = %v, %v, %v", added, events, err)
	}
	if saves, _ := f.store.Saves(t.Context(), "ada"); len(saves) != 1 {
		t.Errorf("the save was not kept: %v", saves)
	}
	if !strings.Contains(logs.String(), "the bus is down") {
		t.Errorf("the publish failure was not logged: %q", logs.String())
	}
}

// An erasure takes the user's current decisions and saves off the counts:
// counted together with the writes before it, nothing of the user remains.
func TestErasureTakesDecisionsOffTheCounts(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	var all []event.Event
	_, es, err := f.uc.RecordSwipe(ctx, "ada", f.open.ID, attendee.Like)
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, es...)
	es, err = f.uc.EraseUser(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := types(es), []string{attendee.TypeSwipeRemoved, attendee.TypeSaveRemoved, attendee.TypeUserErased}; !slices.Equal(got, want) {
		t.Errorf("erasure events %v, want %v", got, want)
	}
	all = append(all, es...)
	counter := &command.Analytics{Store: f.store}
	if _, err := counter.Aggregate(ctx, all); err != nil {
		t.Fatal(err)
	}
	st, err := f.store.Stats(ctx, f.open.ID)
	if err != nil || !st.Counters.Zero() || st.Savers.Total() != 0 {
		t.Errorf("after the erasure: counters %+v savers %+v (%v), want nothing left", st.Counters, st.Savers, err)
	}
}
