package partytest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/party"
)

// A write that takes a public party (published or cancelled) out of public
// view leaves a tombstone at its position: unpublished back to pending or
// draft, rejected, by an update or an import's batch. A party shown again
// and hidden again has a tombstone for each time. Parties never public
// leave none, and neither does a cancellation or a take-down of a public
// party (party.Remove: it stays visible, as cancelled). The stores never
// delete a party: a take-down is their delete.
func testTombstones(t *testing.T, s Store, _ *Clock) {
	ctx := testContext(t)
	const conf = "gamescom2025"
	for _, p := range []party.Party{
		fullParty("pub", conf), // 1
		func() party.Party {
			p := minimalParty("gone", conf, at(21, 20, 0))
			p.Status = party.Cancelled
			return p
		}(), // 2
		func() party.Party {
			p := minimalParty("waiting", conf, at(21, 21, 0))
			p.Status = party.Pending
			return p
		}(), // 3
		func() party.Party {
			p := minimalParty("down", conf, at(21, 22, 0))
			p.Status = party.Published
			return p
		}(), // 4
		func() party.Party {
			p := minimalParty("down2", conf, at(21, 23, 0))
			p.Status = party.Pending
			return p
		}(), // 5
	} {
		mustCreate(t, ctx, s, p)
	}
	if l := mustLog(t, ctx, s, conf); len(l.Tombstones) != 0 {
		t.Fatalf("tombstones after creations only: %v, want none", tombstoneList(l.Tombstones))
	}
	mustUpdate(t, ctx, s, "pub", func(p *party.Party) { p.Status = party.Pending })                      // 6: moved back to pending
	mustUpdate(t, ctx, s, "gone", func(p *party.Party) { p.Status, p.Note = party.Rejected, "spam" })    // 7: rejected after it was public
	mustUpdate(t, ctx, s, "waiting", func(p *party.Party) { p.Status, p.Note = party.Rejected, "spam" }) // 8: never public
	mustUpdate(t, ctx, s, "down", func(p *party.Party) { p.Remove("") })                                 // 9: taken down, stays as cancelled
	mustUpdate(t, ctx, s, "down2", func(p *party.Party) { p.Remove("") })                                // 10: taken down, never public
	mustUpdate(t, ctx, s, "pub", func(p *party.Party) { p.Status = party.Published })                    // 11: shown again
	mustUpdate(t, ctx, s, "pub", func(p *party.Party) { p.Title = "Still public" })                      // 12
	mustUpdate(t, ctx, s, "pub", func(p *party.Party) { p.Status = party.Draft })                        // 13: unpublished again
	mustUpdate(t, ctx, s, "pub", func(p *party.Party) { p.Title = "A hidden edit" })                     // 14
	if got := mustGet(t, ctx, s, "down"); got.Status != party.Cancelled {
		t.Fatalf("a take-down of a public party left it %s, want cancelled", got.Status)
	}
	// An import unpublishes a party, and publishes the rejected one again.
	batch := []party.Party{mustGet(t, ctx, s, "down"), mustGet(t, ctx, s, "gone")}
	batch[0].Status, batch[0].Version = party.Pending, batch[0].Version+1   // 15
	batch[1].Status, batch[1].Version = party.Published, batch[1].Version+1 // 16
	if err := s.SaveParties(ctx, batch); err != nil {
		t.Fatal(err)
	}

	l := mustLog(t, ctx, s, conf)
	want := []string{"6:pub", "7:gone", "13:pub", "15:down"}
	if got := tombstoneList(l.Tombstones); !slices.Equal(got, want) {
		t.Errorf("tombstones = %v, want %v", got, want)
	}
	if l.Last != 16 {
		t.Errorf("last position %d, want 16", l.Last)
	}
	var hidden []string
	for _, c := range mustChanges(t, ctx, s, conf, 0, 0) {
		if c.Hidden {
			hidden = append(hidden, fmt.Sprintf("%d:%s", c.Seq, c.PartyID))
		}
		if ts, ok := c.TombstoneOf(); ok && (ts.PartyID != c.PartyID || ts.Seq != c.Seq || !ts.At.Equal(c.At)) {
			t.Errorf("change %d as a tombstone: %+v", c.Seq, ts)
		}
	}
	if !slices.Equal(hidden, want) {
		t.Errorf("changes marked hidden: %v, want the tombstones %v", hidden, want)
	}
	for _, ts := range l.Tombstones {
		if ts.At.IsZero() || ts.At.Location() != time.UTC {
			t.Errorf("tombstone %d written at %v, want a UTC time", ts.Seq, ts.At)
		}
	}
}

// Changes are kept for party.ChangeRetention and forgotten at the
// conference's next write after it: a prefix of the order, tombstones
// included. The horizon rises to the newest forgotten, so positions before
// it are expired; a position at or after it is not.
func testChangeRetention(t *testing.T, s Store, clock *Clock) {
	ctx := testContext(t)
	const conf = "gamescom2025"
	mustCreate(t, ctx, s, fullParty("p1", conf))                                       // 1
	mustUpdate(t, ctx, s, "p1", func(p *party.Party) { p.Status = party.Pending })     // 2: a tombstone
	mustCreate(t, ctx, s, minimalParty("p2", conf, at(21, 18, 0)))                     // 3
	clock.Advance(party.ChangeRetention - time.Hour)                                   //
	mustUpdate(t, ctx, s, "p2", func(p *party.Party) { p.Title = "Within retention" }) // 4: forgets nothing yet
	l := mustLog(t, ctx, s, conf)
	if l.Horizon != 0 || len(l.Tombstones) != 1 || l.Expired(0) {
		t.Fatalf("log just within retention = %+v, want nothing forgotten", l)
	}
	if got := positions(mustChanges(t, ctx, s, conf, 0, 0)); len(got) != 4 {
		t.Fatalf("changes just within retention = %v, want all 4", got)
	}

	clock.Advance(2 * time.Hour)
	mustUpdate(t, ctx, s, "p2", func(p *party.Party) { p.Title = "Past retention" }) // 5: forgets 1-3
	l = mustLog(t, ctx, s, conf)
	if l.Horizon != 3 || l.Last != 5 || len(l.Tombstones) != 0 {
		t.Errorf("log past retention = horizon %d last %d tombstones %v; want 3, 5, none", l.Horizon, l.Last, tombstoneList(l.Tombstones))
	}
	if got, want := positions(mustChanges(t, ctx, s, conf, 0, 0)), []string{"4:p2", "5:p2"}; !slices.Equal(got, want) {
		t.Errorf("changes past retention = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		seq     int64
		expired bool
	}{{0, true}, {2, true}, {3, false}, {4, false}, {5, false}} {
		if got := l.Expired(tc.seq); got != tc.expired {
			t.Errorf("Expired(%d) = %v, want %v (horizon %d)", tc.seq, got, tc.expired, l.Horizon)
		}
	}
	// A party forgotten changes keep their position.
	if got := mustGet(t, ctx, s, "p1").Seq; got != 2 {
		t.Errorf("p1 at position %d after its changes were forgotten, want 2", got)
	}
}
