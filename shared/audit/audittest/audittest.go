// Package audittest is the contract suite of the audit trail that every
// store keeping one must pass: each write through a party or conference
// store records the entry pending in its context, in the same transaction,
// and AuditEntries reads them back newest first. Each store's tests call Run
// with a constructor for a fresh, empty store, as they do partytest.Run.
package audittest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Store is what the suite writes through and reads back: parties and
// conferences, and the audit trail their writes leave.
type Store interface {
	party.Repository
	conference.Repository
	audit.Repository
}

// opTimeout bounds every test. It is generous because transactions that
// contend on one document are slow on the Firestore emulator.
const opTimeout = 90 * time.Second

// Run runs the contract suite. newStore must return a fresh, empty store
// (or one isolated from every other call, e.g. by a collection prefix);
// it is called once per subtest, and subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"AuditTrail", testAuditTrail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

// audited returns ctx carrying e as the pending audit entry of a write.
func audited(ctx context.Context, e audit.Entry) context.Context {
	ctx, p := audit.WithPending(ctx)
	p.Set(e)
	return ctx
}

func testAuditTrail(t *testing.T, s Store) {
	ctx := testContext(t)
	c, err := conference.New("gamescom2025", "Gamescom 2025", "Köln", "Europe/Berlin", "2025-08-20", "2025-08-24")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)
	entry := func(minute int, actor, action, partyID string) audit.Entry {
		e := audit.New(t0.Add(time.Duration(minute)*time.Minute), actor, action, "gamescom2025", partyID)
		return e
	}
	var want []audit.Entry // in the order written
	write := func(what string, e audit.Entry, fn func(ctx context.Context) error) {
		t.Helper()
		if err := fn(audited(ctx, e)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		want = append(want, e)
	}

	e := entry(0, "admin-1", audit.ConferenceCreated, "")
	e.After = audit.OfConference(c)
	write("CreateConference", e, func(ctx context.Context) error { _, err := s.CreateConference(ctx, c); return err })

	p := fullParty("p1", "gamescom2025")
	e = entry(1, "org-1", audit.PartySubmitted, "p1")
	e.After, e.Forced = audit.OfParty(p), true
	write("CreateParty", e, func(ctx context.Context) error { _, err := s.CreateParty(ctx, p); return err })

	// A use case sets the entry inside its closure, where it sees both
	// states; a retried transaction sets it again.
	e = entry(2, "org-1", audit.PartyEdited, "p1")
	e.Before = audit.OfParty(p)
	editCtx, pending := audit.WithPending(ctx)
	if _, err := s.UpdateParty(editCtx, "p1", func(p *party.Party) error {
		p.Title = "Renamed"
		e.After = audit.OfParty(*p)
		pending.Set(e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want = append(want, e)

	e = entry(3, "admin-1", audit.ConferenceUpdated, "")
	e.Note = "days"
	write("UpdateConference", e, func(ctx context.Context) error {
		_, err := s.UpdateConference(ctx, "gamescom2025", func(c *conference.Conference) error { c.LastDay = "2025-08-25"; return nil })
		return err
	})

	batch := stamped(minimalParty("p2", "gamescom2025", at(21, 19, 0)), 1, t0, t0)
	e = entry(4, audit.SystemActor, audit.ImportApplied, "")
	e.Note = "created 1"
	write("SaveParties", e, func(ctx context.Context) error { return s.SaveParties(ctx, []party.Party{batch}) })

	// Writes that change nothing or fail leave no entry.
	if _, err := s.UpdateParty(audited(ctx, entry(5, "org-1", audit.PartyEdited, "p1")), "p1", func(*party.Party) error { return nil }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if _, err := s.UpdateParty(audited(ctx, entry(6, "org-1", audit.PartyEdited, "p1")), "p1", func(p *party.Party) error { p.Title = "x"; return boom }); !errors.Is(err, boom) {
		t.Fatalf("failing update = %v", err)
	}
	if _, err := s.CreateParty(audited(ctx, entry(7, "org-2", audit.PartySubmitted, "p1")), p); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("create of an existing party = %v, want Conflict", err)
	}
	if err := s.SaveParties(audited(ctx, entry(8, audit.SystemActor, audit.ImportApplied, "")), []party.Party{stamped(batch, 1, t0, t0.Add(time.Hour))}); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("conflicting batch = %v, want Conflict", err)
	}
	// The same batch again was saved already: it writes nothing, so it
	// records nothing either.
	if err := s.SaveParties(audited(ctx, entry(9, audit.SystemActor, audit.ImportApplied, "")), []party.Party{batch}); err != nil {
		t.Fatalf("batch saved again = %v, want nil", err)
	}

	ids := func(es []audit.Entry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	newestFirst := func(es ...audit.Entry) []string {
		out := ids(es)
		slices.Reverse(out)
		return out
	}
	all, more, err := s.AuditEntries(ctx, audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if got, w := ids(all), newestFirst(want...); !slices.Equal(got, w) || more {
		t.Fatalf("AuditEntries() = %v (more %v), want %v: a failed or empty write left an entry, or one is missing", got, more, w)
	}
	got := all[len(all)-2] // the submission
	if got.Actor != "org-1" || got.Action != audit.PartySubmitted || got.Party != "p1" || got.Conference != "gamescom2025" ||
		!got.Forced || got.Before != nil || !maps.Equal(got.After, want[1].After) || !got.At.Equal(want[1].At) {
		t.Errorf("stored entry = %+v, want %+v", got, want[1])
	}
	if edit := all[len(all)-3]; !maps.Equal(edit.Before, want[2].Before) || edit.After["title"] != "Renamed" {
		t.Errorf("edit entry before/after = %v / %v", edit.Before, edit.After)
	}

	for _, tc := range []struct {
		name string
		q    audit.Query
		want []string
	}{
		{"by party", audit.Query{Party: "p1"}, newestFirst(want[1], want[2])},
		{"by actor", audit.Query{Actor: "admin-1"}, newestFirst(want[0], want[3])},
		{"by party and actor", audit.Query{Party: "p1", Actor: "admin-1"}, nil},
		{"from, inclusive", audit.Query{From: want[2].At}, newestFirst(want[2:]...)},
		{"to, exclusive", audit.Query{To: want[2].At}, newestFirst(want[:2]...)},
		{"a page", audit.Query{Limit: 2}, newestFirst(want[3:]...)},
		{"the page after", audit.Query{Limit: 2, After: want[3].ID}, newestFirst(want[1:3]...)},
	} {
		es, _, err := s.AuditEntries(ctx, tc.q)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := ids(es); !slices.Equal(got, tc.want) {
			t.Errorf("%s: AuditEntries = %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, more, _ := s.AuditEntries(ctx, audit.Query{Limit: 2}); !more {
		t.Error("a full first page says no more follow")
	}
}
