package partytest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/party"
)

func testSaveParties(t *testing.T, s Store) {
	ctx := testContext(t)
	t0 := time.Date(2025, 7, 1, 10, 0, 0, 123456000, time.UTC)
	t1 := t0.Add(36 * time.Hour)

	batch := []party.Party{
		stamped(fullParty("s1", "gamescom2025"), 1, t0, t0),
		stamped(minimalParty("s2", "gamescom2025", at(21, 19, 0)), 1, t0, t0),
	}
	if err := s.SaveParties(ctx, batch); err != nil {
		t.Fatalf("SaveParties(new): %v", err)
	}
	for _, want := range batch {
		assertSame(t, "saved "+want.ID, want, mustGet(t, ctx, s, want.ID))
	}

	next := stamped(batch[0], 2, t0, t1)
	next.Title = "Renamed"
	newer := stamped(minimalParty("s3", "gamescom2025", at(22, 19, 0)), 1, t1, t1)
	if err := s.SaveParties(ctx, []party.Party{next, newer}); err != nil {
		t.Fatalf("SaveParties(update + new): %v", err)
	}
	assertSame(t, "updated s1", next, mustGet(t, ctx, s, "s1"))
	assertSame(t, "new s3", newer, mustGet(t, ctx, s, "s3"))
	assertSame(t, "untouched s2", batch[1], mustGet(t, ctx, s, "s2"))

	if err := s.SaveParties(ctx, nil); err != nil {
		t.Errorf("SaveParties(empty) = %v, want nil", err)
	}

	// Parties saved in a batch keep working with the closure update.
	up, err := s.UpdateParty(ctx, "s2", func(p *party.Party) error { p.Venue = "Gloria"; return nil })
	if err != nil || up.Version != 2 || !up.CreatedAt.Equal(t0) {
		t.Errorf("UpdateParty after SaveParties = v%d created %v, %v; want v2 created %v", up.Version, up.CreatedAt, err, t0)
	}

	// A batch of any size is saved in one call: a conference week of
	// side events does not fit one transaction's limits.
	big := bigBatch("m", "bigcon2025", 2*party.MaxBatch+500, t0)
	if err := s.SaveParties(ctx, big); err != nil {
		t.Fatalf("SaveParties(%d parties): %v", len(big), err)
	}
	if ps, err := s.PartiesOf(ctx, "bigcon2025"); err != nil || len(ps) != len(big) {
		t.Errorf("PartiesOf after a big batch = %d parties, %v; want %d", len(ps), err, len(big))
	}
	if l, err := s.ChangeLog(ctx, "bigcon2025"); err != nil || l.Last != int64(len(big)) {
		t.Errorf("ChangeLog after a big batch: last %d, %v; want %d, one position per party", l.Last, err, len(big))
	}

	// More bytes than one transaction's request may hold.
	heavy := heavyBatch("h", "heavycon2025", t0)
	if err := s.SaveParties(ctx, heavy); err != nil {
		t.Fatalf("SaveParties(%d parties of %d bytes each): %v", len(heavy), party.MaxDescription, err)
	}
	if ps, err := s.PartiesOf(ctx, "heavycon2025"); err != nil || len(ps) != len(heavy) {
		t.Errorf("PartiesOf after a heavy batch = %d parties, %v; want %d", len(ps), err, len(heavy))
	}
	assertSame(t, "a heavy party", heavy[len(heavy)-1], mustGet(t, ctx, s, heavy[len(heavy)-1].ID))
}

func testSavePartiesAtomic(t *testing.T, s Store) {
	ctx := testContext(t)
	t0 := time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	base := []party.Party{
		stamped(fullParty("a1", "gamescom2025"), 1, t0, t0),
		stamped(minimalParty("a2", "gamescom2025", at(21, 19, 0)), 1, t0, t0),
	}
	if err := s.SaveParties(ctx, base); err != nil {
		t.Fatal(err)
	}
	rev := mustRevision(t, ctx, s, "gamescom2025")

	good := stamped(base[0], 2, t0, t1)
	good.Title = "Should not be stored"
	fresh := stamped(minimalParty("a3", "gamescom2025", at(22, 19, 0)), 1, t1, t1)
	stale := stamped(base[1], 1, t0, t1) // exists already: version 1 is a create
	skipped := stamped(base[1], 3, t0, t1)
	ghost := stamped(minimalParty("ghost", "gamescom2025", at(22, 19, 0)), 2, t0, t1)
	moved := stamped(base[1], 2, t0, t1)
	moved.ConferenceID = "devcom2025"
	invalid := stamped(base[1], 2, t0, t1)
	invalid.Title = ""
	zero := stamped(base[1], 0, t0, t1)
	// Larger than one transaction holds, conflicting only at its end: it
	// still fails whole, before anything is written.
	tooMany := append(bigBatch("x", "gamescom2025", party.MaxBatch+600, t1), stale)
	heavy := append(heavyBatch("h", "gamescom2025", t1), skipped)

	tests := []struct {
		name  string
		batch []party.Party
		kind  apperr.Kind
	}{
		{"create of an existing party", []party.Party{good, fresh, stale}, apperr.Conflict},
		{"version skips one", []party.Party{good, skipped, fresh}, apperr.Conflict},
		{"update of a missing party", []party.Party{fresh, good, ghost}, apperr.Conflict},
		{"party moves conference", []party.Party{good, fresh, moved}, apperr.Invalid},
		{"invalid party", []party.Party{good, fresh, invalid}, apperr.Invalid},
		{"version zero", []party.Party{good, fresh, zero}, apperr.Invalid},
		{"same id twice", []party.Party{good, fresh, fresh}, apperr.Invalid},
		{"more than MaxBatch, conflicting at the end", tooMany, apperr.Conflict},
		{"more than MaxBatchBytes, conflicting at the end", heavy, apperr.Conflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.SaveParties(ctx, tc.batch)
			assertKind(t, "SaveParties", err, tc.kind)
			assertSame(t, "a1 after failed batch", base[0], mustGet(t, ctx, s, "a1"))
			assertSame(t, "a2 after failed batch", base[1], mustGet(t, ctx, s, "a2"))
			for _, id := range []string{"a3", "ghost", "x00000", "x02500", "h00000"} {
				_, err := s.Party(ctx, id)
				assertKind(t, id+" after failed batch", err, apperr.NotFound)
			}
			if got := mustRevision(t, ctx, s, "gamescom2025"); got != rev {
				t.Errorf("revision changed from %q to %q by a failed batch", rev, got)
			}
		})
	}
}

// testSavePartiesResumes interrupts a batch larger than one step after its
// first step, saves it again, and compares the result with the same batch
// saved without interruption: the same parties, versions and positions,
// one change per party, and the batch's audit entry once. (SQLite writes
// any batch in one transaction, so its interruption comes after the
// commit; Firestore's leaves the later steps unwritten.)
func testSavePartiesResumes(t *testing.T, s Store) {
	ctx := testContext(t)
	t0 := time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	const seeded = 300
	// An import's batch: the stored parties updated or cancelled (as a
	// prune does), then the new ones.
	batchOf := func(conferenceID string) []party.Party {
		seed := bigBatch("s"+conferenceID[:1], conferenceID, seeded, t0)
		if err := s.SaveParties(ctx, seed); err != nil {
			t.Fatalf("seed %s: %v", conferenceID, err)
		}
		var out []party.Party
		for i, p := range seed {
			p = stamped(p, 2, t0, t1)
			if p.Title = fmt.Sprintf("Renamed %d", i); i%2 == 1 {
				p.Status = party.Cancelled
			}
			out = append(out, p)
		}
		for i, p := range bigBatch("n"+conferenceID[:1], conferenceID, party.MaxBatch+700, t1) {
			p.Title = fmt.Sprintf("New %d", i) // the same in both conferences
			out = append(out, p)
		}
		return out
	}
	entry := func(actor, conferenceID string) audit.Entry {
		e := audit.New(t1, actor, audit.ImportApplied, conferenceID, "")
		e.Note = "a big import"
		return e
	}

	straight := batchOf("straight2025")
	if err := s.SaveParties(audited(ctx, entry("importer-s", "straight2025")), straight); err != nil {
		t.Fatalf("SaveParties(uninterrupted): %v", err)
	}

	resumed := batchOf("resumed2025")
	stop := errors.New("interrupted")
	steps := 0
	e := entry("importer-r", "resumed2025")
	cut := party.WithStepFunc(audited(ctx, e), func(written []party.Party) error {
		steps++
		if len(written) == 0 {
			t.Error("a step wrote no party, but its StepFunc heard of it")
		}
		return stop
	})
	if err := s.SaveParties(cut, resumed); !errors.Is(err, stop) {
		t.Fatalf("SaveParties(interrupted) = %v, want the interruption", err)
	}
	if steps != 1 {
		t.Errorf("the interrupted batch heard of %d steps, want 1", steps)
	}
	// Run again with the same audit entry (one import's), then once more
	// with another: there is nothing left to write, so it records nothing.
	if err := s.SaveParties(audited(ctx, e), resumed); err != nil {
		t.Fatalf("SaveParties(again): %v", err)
	}
	if err := s.SaveParties(audited(ctx, entry("importer-r", "resumed2025")), resumed); err != nil {
		t.Fatalf("SaveParties(once more): %v", err)
	}

	want, err := s.PartiesOf(ctx, "straight2025")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.PartiesOf(ctx, "resumed2025")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(got) != len(resumed) {
		t.Fatalf("resumed batch left %d parties, uninterrupted %d; want %d", len(got), len(want), len(resumed))
	}
	for i := range want {
		g := got[i]
		g.ID, g.ConferenceID = want[i].ID, want[i].ConferenceID
		assertSame(t, "resumed party "+got[i].ID, want[i], g)
		if g.Seq != want[i].Seq {
			t.Errorf("resumed party %s at position %d, uninterrupted at %d", got[i].ID, g.Seq, want[i].Seq)
		}
	}
	for _, c := range []string{"straight2025", "resumed2025"} {
		changes, err := s.Changes(ctx, c, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		per := map[string]int{}
		for _, ch := range changes {
			per[ch.PartyID]++
		}
		if len(changes) != seeded+len(resumed) || len(per) != len(resumed) {
			t.Errorf("%s: %d changes of %d parties; want %d of %d (the seed's and the batch's, each once)",
				c, len(changes), len(per), seeded+len(resumed), len(resumed))
		}
	}
	for _, actor := range []string{"importer-s", "importer-r"} {
		entries, _, err := s.AuditEntries(ctx, audit.Query{Actor: actor})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Errorf("%s: %d audit entries, want the batch's one", actor, len(entries))
		}
	}
}
