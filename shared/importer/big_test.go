package importer_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/inproc"
	"github.com/partyfinder/partyfinder/shared/party"
)

// bigStore is what these tests read back besides what an import needs.
type bigStore interface {
	importer.Store
	ChangeLog(ctx context.Context, conferenceID string) (party.Log, error)
	AuditEntries(ctx context.Context, q audit.Query) ([]audit.Entry, bool, error)
	Conferences(ctx context.Context) ([]conference.Conference, error)
}

// bigStores returns a fresh store of each kind: SQLite always, Firestore
// when its emulator runs (FIRESTORE_EMULATOR_HOST), whose steps are what
// makes an interruption leave part of an import stored.
func bigStores(t *testing.T) map[string]func(t *testing.T) bigStore {
	stores := map[string]func(t *testing.T) bigStore{
		"sqlite": func(t *testing.T) bigStore { return openStore(t) },
	}
	if os.Getenv("FIRESTORE_EMULATOR_HOST") == "" {
		t.Log("FIRESTORE_EMULATOR_HOST is not set: the Firestore cases are skipped (scripts/test starts the emulator)")
		return stores
	}
	stores["firestore"] = func(t *testing.T) bigStore {
		c, err := firestore.NewClient(context.Background(), "demo-party")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		b := make([]byte, 6)
		rand.Read(b)
		return firestore.New(c, firestore.WithCollectionPrefix("imp"+hex.EncodeToString(b)+"_"))
	}
	return stores
}

// bigSheet returns a CSV of the numbered parties, in order; venue names
// each party's hall, and "moved" ones (by number) take another.
func bigSheet(numbers []int, moved func(int) bool) importer.Input {
	var b strings.Builder
	b.WriteString("Event Name,Date,Start Time,Venue\n")
	for _, i := range numbers {
		venue := fmt.Sprintf("Hall %d", i)
		if moved != nil && moved(i) {
			venue += " (moved)"
		}
		fmt.Fprintf(&b, "Side Event %d,2025-08-%d,%02d:%02d,%s\n", i, 20+i%5, 10+i%12, i%60, venue)
	}
	in, err := importer.Parse(strings.NewReader(b.String()), importer.CSV)
	if err != nil {
		panic(err)
	}
	return in
}

func numbers(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// byTitle indexes a conference's stored parties by title.
func byTitle(t *testing.T, s bigStore, conferenceID string) map[string]party.Party {
	t.Helper()
	ps, err := s.PartiesOf(context.Background(), conferenceID)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]party.Party, len(ps))
	for _, p := range ps {
		out[p.Title] = p
	}
	return out
}

func importsAudited(t *testing.T, s bigStore, actor string) int {
	t.Helper()
	es, _, err := s.AuditEntries(context.Background(), audit.Query{Actor: actor, Limit: audit.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Action == audit.ImportApplied {
			n++
		}
	}
	return n
}

func TestImportOfFiveThousandRowsInOneCall(t *testing.T) {
	for name, open := range bigStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			clk := &clock{time.Date(2025, 8, 1, 9, 0, 0, 0, time.UTC)}
			im := &importer.Importer{Store: s, Now: clk.now}
			const n = 5000
			rep, err := im.Run(ctx, importer.Request{ConferenceID: "sxsw2026", NewConference: gamescom, Input: bigSheet(numbers(0, n), nil), Actor: "admin-1"})
			if err != nil {
				t.Fatal(err)
			}
			stored := byTitle(t, s, "sxsw2026")
			if rep.Created != n || len(stored) != n {
				t.Fatalf("import of %d rows: created %d, stored %d", n, rep.Created, len(stored))
			}
			if l, err := s.ChangeLog(ctx, "sxsw2026"); err != nil || l.Last != n {
				t.Errorf("change log after the import: last %d, %v; want %d", l.Last, err, n)
			}

			// The next file lacks 300 of the parties: a prune cancels those
			// and only those, in the same one call.
			clk.t = clk.t.Add(time.Hour)
			missing := func(i int) bool { return i%17 == 3 && i < 17*300 }
			var kept []int
			for i := range n {
				if !missing(i) {
					kept = append(kept, i)
				}
			}
			pruned, err := im.Run(ctx, importer.Request{ConferenceID: "sxsw2026", Input: bigSheet(kept, nil), Options: importer.Options{Prune: true}, Actor: "admin-1"})
			if err != nil {
				t.Fatal(err)
			}
			if pruned.Cancelled != n-len(kept) || pruned.Unchanged != len(kept) || pruned.Created+pruned.Updated != 0 {
				t.Errorf("prune: %d cancelled, %d unchanged, %d created, %d updated; want %d cancelled, %d unchanged",
					pruned.Cancelled, pruned.Unchanged, pruned.Created, pruned.Updated, n-len(kept), len(kept))
			}
			for i := range n {
				p := stored[fmt.Sprintf("Side Event %d", i)]
				got := byTitleOne(t, s, p.ID)
				want := party.Published
				if missing(i) {
					want = party.Cancelled
				}
				if got.Status != want {
					t.Fatalf("party %d is %s after the prune, want %s", i, got.Status, want)
				}
			}
			if got := importsAudited(t, s, "admin-1"); got != 2 {
				t.Errorf("%d import entries in the audit trail, want 2 (one an import)", got)
			}
		})
	}
}

func byTitleOne(t *testing.T, s bigStore, id string) party.Party {
	t.Helper()
	p, err := s.Party(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// interrupting stops the first SaveParties after its first committed
// step, as a crash would, after letting the importer hear of that step.
type interrupting struct {
	bigStore
	done bool
}

var errCrash = errors.New("the process died")

func (s *interrupting) SaveParties(ctx context.Context, ps []party.Party) error {
	if s.done {
		return s.bigStore.SaveParties(ctx, ps)
	}
	s.done = true
	outer := ctx
	return s.bigStore.SaveParties(party.WithStepFunc(ctx, func(written []party.Party) error {
		if err := party.Stepped(outer, written); err != nil {
			return err
		}
		return errCrash
	}), ps)
}

func TestInterruptedImportRunAgainEndsLikeOneRun(t *testing.T) {
	// An import with prune that updates, creates and cancels more parties
	// than one step holds, interrupted after its first step and run again,
	// against the same import run once.
	first := numbers(0, 3000)
	second := append(numbers(500, 3000), numbers(3000, 5000)...) // 0-499 gone, 2000 new
	moved := func(i int) bool { return i < 3000 && i%2 == 0 }
	for name, open := range bigStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			type outcome struct {
				parties map[string]party.Party
				events  []string
				audited int
				last    int64
			}
			run := func(s bigStore, interrupt bool) outcome {
				clk := &clock{time.Date(2025, 8, 1, 9, 0, 0, 0, time.UTC)}
				var bus inproc.Bus
				var heard []string
				bus.Subscribe(func(_ context.Context, e event.Event) {
					if m := e.EventMeta(); m.Type != party.TypeImportApplied {
						heard = append(heard, m.Type+" "+partyOf(e))
					}
				})
				im := &importer.Importer{Store: s, Now: clk.now, Events: &bus}
				if _, err := im.Run(ctx, importer.Request{ConferenceID: "sxsw2026", NewConference: gamescom, Input: bigSheet(first, nil), Actor: "admin-1"}); err != nil {
					t.Fatal(err)
				}
				clk.t = clk.t.Add(time.Hour)
				heard = nil
				req := importer.Request{ConferenceID: "sxsw2026", Input: bigSheet(second, moved), Options: importer.Options{Prune: true}, Actor: "admin-1"}
				if interrupt {
					im.Store = &interrupting{bigStore: s}
					_, err := im.Run(ctx, req)
					if !errors.Is(err, errCrash) || !strings.Contains(err.Error(), "run it again") {
						t.Fatalf("interrupted import = %v, want the interruption and to run it again", err)
					}
				}
				rep, err := im.Run(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if !interrupt && (rep.Created != 2000 || rep.Updated != 1250 || rep.Cancelled != 500) {
					t.Fatalf("the import: %d created, %d updated, %d cancelled; want 2000, 1250, 500", rep.Created, rep.Updated, rep.Cancelled)
				}
				l, err := s.ChangeLog(ctx, "sxsw2026")
				if err != nil {
					t.Fatal(err)
				}
				slices.Sort(heard)
				return outcome{parties: byTitle(t, s, "sxsw2026"), events: heard, audited: importsAudited(t, s, "admin-1"), last: l.Last}
			}
			want := run(open(t), false)
			got := run(open(t), true)

			if len(got.parties) != len(want.parties) {
				t.Fatalf("%d parties after the interrupted import ran again, %d after one run", len(got.parties), len(want.parties))
			}
			for title, w := range want.parties {
				g := got.parties[title]
				if g.ID != w.ID || g.Status != w.Status || g.Venue != w.Venue || g.Version != w.Version ||
					!g.CreatedAt.Equal(w.CreatedAt) || !g.UpdatedAt.Equal(w.UpdatedAt) {
					t.Fatalf("%s: %s %s %q v%d after the interrupted import ran again; one run: %s %s %q v%d",
						title, g.ID, g.Status, g.Venue, g.Version, w.ID, w.Status, w.Venue, w.Version)
				}
			}
			if !slices.Equal(got.events, want.events) {
				t.Errorf("the interrupted import and its second run announced %d party events, one run %d: each changed party's events once",
					len(got.events), len(want.events))
			}
			if got.last != want.last {
				t.Errorf("last position %d after the interrupted import ran again, %d after one run: one change per write", got.last, want.last)
			}
			if got.audited != want.audited {
				t.Errorf("%d import entries in the audit trail, one run leaves %d", got.audited, want.audited)
			}
		})
	}
}

// partyOf returns the id of the party a party event is about.
func partyOf(e event.Event) string {
	switch e := e.(type) {
	case party.CreatedEvent:
		return e.PartyID
	case party.UpdatedEvent:
		return e.PartyID + " " + strings.Join(e.Changed, ",")
	case party.PublishedEvent:
		return e.PartyID
	case party.CancelledEvent:
		return e.PartyID
	}
	return fmt.Sprintf("%T", e)
}
