package partytest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// changeTests hold each conference's order of changes to its contract:
// positions, the changes recorded, tombstones and their retention. They
// get the store's clock.
var changeTests = []struct {
	name string
	fn   func(t *testing.T, s Store, clock *Clock)
}{
	{"ChangePositions", testChangePositions},
	{"ChangeRecords", testChangeRecords},
	{"ChangeTombstones", testTombstones},
	{"ChangesConcurrentNeverMissed", testChangesConcurrent},
	{"ChangeRetention", testChangeRetention},
}

func mustLog(t *testing.T, ctx context.Context, s Store, conferenceID string) party.Log {
	t.Helper()
	l, err := s.ChangeLog(ctx, conferenceID)
	if err != nil {
		t.Fatalf("ChangeLog(%s): %v", conferenceID, err)
	}
	return l
}

func mustChanges(t *testing.T, ctx context.Context, s Store, conferenceID string, after int64, limit int) []party.Change {
	t.Helper()
	cs, err := s.Changes(ctx, conferenceID, after, limit)
	if err != nil {
		t.Fatalf("Changes(%s, %d, %d): %v", conferenceID, after, limit, err)
	}
	return cs
}

func mustUpdate(t *testing.T, ctx context.Context, s Store, id string, fn func(*party.Party)) party.Party {
	t.Helper()
	p, err := s.UpdateParty(ctx, id, func(p *party.Party) error { fn(p); return nil })
	if err != nil {
		t.Fatalf("UpdateParty(%s): %v", id, err)
	}
	return p
}

// positions lists the positions and party ids of changes, "seq:id".
func positions(cs []party.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = fmt.Sprintf("%d:%s", c.Seq, c.PartyID)
	}
	return out
}

func tombstoneList(ts []party.Tombstone) []string {
	out := make([]string, len(ts))
	for i, x := range ts {
		out[i] = fmt.Sprintf("%d:%s", x.Seq, x.PartyID)
	}
	return out
}

// Every write that stores something takes the next position of its
// conference's order, in the order of the writes (a batch one per party,
// in its order); writes that store nothing take none, and a party written
// without change keeps its position. Each conference has an order of its
// own, named by an epoch.
func testChangePositions(t *testing.T, s Store, _ *Clock) {
	ctx := testContext(t)
	const conf, other = "gamescom2025", "devcom2025"
	if l := mustLog(t, ctx, s, conf); l.Epoch != "" || l.Last != 0 || l.Horizon != 0 || len(l.Tombstones) != 0 {
		t.Fatalf("ChangeLog of a conference never written = %+v, want the zero Log", l)
	}
	if cs := mustChanges(t, ctx, s, conf, 0, 0); len(cs) != 0 {
		t.Fatalf("Changes of a conference never written = %v, want none", positions(cs))
	}
	seqOf := map[string]int64{} // what each write answered
	step := func(what string, wantLast int64, write func() error) {
		t.Helper()
		if err := write(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := mustLog(t, ctx, s, conf).Last; got != wantLast {
			t.Errorf("after %s: last position %d, want %d", what, got, wantLast)
		}
	}
	refused := func(what string, kind apperr.Kind, write func() error) {
		t.Helper()
		before := mustLog(t, ctx, s, conf)
		err := write()
		if kind == "" && !errors.Is(err, errVeto) || kind != "" && !apperr.Is(err, kind) {
			t.Fatalf("%s: %v, want it refused (%q)", what, err, kind)
		}
		if got := mustLog(t, ctx, s, conf); got.Last != before.Last || got.Epoch != before.Epoch {
			t.Errorf("%s took a position: last %d (epoch %q), was %d (%q)", what, got.Last, got.Epoch, before.Last, before.Epoch)
		}
	}

	step("CreateParty a", 1, func() error {
		p, err := s.CreateParty(ctx, fullParty("a", conf))
		seqOf["a"] = p.Seq
		return err
	})
	epoch := mustLog(t, ctx, s, conf).Epoch
	if epoch == "" {
		t.Fatal("a conference written has no epoch")
	}
	step("CreateParty b", 2, func() error {
		p, err := s.CreateParty(ctx, minimalParty("b", conf, at(21, 19, 0)))
		seqOf["b"] = p.Seq
		return err
	})
	step("UpdateParty a", 3, func() error {
		p, err := s.UpdateParty(ctx, "a", func(p *party.Party) error { p.Title = "Renamed"; return nil })
		seqOf["a"] = p.Seq
		return err
	})
	step("UpdateParty a without change", 3, func() error {
		p, err := s.UpdateParty(ctx, "a", func(p *party.Party) error {
			p.Seq = 99 // bookkeeping: ignored
			p.Title = "Renamed"
			return nil
		})
		if err == nil && p.Seq != 3 {
			t.Errorf("a party written without change answered position %d, want it kept at 3", p.Seq)
		}
		return err
	})
	refused("an update whose fn fails", "", func() error {
		_, err := s.UpdateParty(ctx, "a", func(p *party.Party) error { p.Title = "x"; return errVeto })
		return err
	})
	refused("an invalid update", apperr.Invalid, func() error {
		_, err := s.UpdateParty(ctx, "a", func(p *party.Party) error { p.Title = ""; return nil })
		return err
	})
	refused("a create of an existing id", apperr.Conflict, func() error {
		_, err := s.CreateParty(ctx, minimalParty("b", conf, at(22, 19, 0)))
		return err
	})
	t0 := time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)
	bv2 := mustGet(t, ctx, s, "b")
	bv2.Venue, bv2.Version, bv2.Seq = "Gloria", bv2.Version+1, 77 // a caller's Seq is ignored
	step("SaveParties c, b, d", 6, func() error {
		return s.SaveParties(ctx, []party.Party{
			stamped(minimalParty("c", conf, at(22, 20, 0)), 1, t0, t0), bv2,
			stamped(minimalParty("d", conf, at(20, 20, 0)), 1, t0, t0),
		})
	})
	stale := bv2
	stale.Venue = "Stadtgarten" // another change from the same version: stored is newer
	refused("a batch with a stale party", apperr.Conflict, func() error {
		return s.SaveParties(ctx, []party.Party{stamped(minimalParty("e", conf, at(22, 20, 0)), 1, t0, t0), stale})
	})

	// Another conference: an order of its own.
	x, err := s.CreateParty(ctx, minimalParty("x", other, at(19, 10, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if ol := mustLog(t, ctx, s, other); x.Seq != 1 || ol.Last != 1 || ol.Epoch == "" || ol.Epoch == epoch {
		t.Errorf("first party of %s at position %d, its log %+v; want 1, in an epoch of its own (not %q)", other, x.Seq, ol, epoch)
	}
	// The conference's own record moves no party.
	c, err := conference.New(conf, "Gamescom 2025", "Köln", "Europe/Berlin", "2025-08-19", "2025-08-24")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateConference(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateConference(ctx, conf, func(c *conference.Conference) error { c.Name = "Gamescom"; return nil }); err != nil {
		t.Fatal(err)
	}

	l := mustLog(t, ctx, s, conf)
	if l.Last != 6 || l.Epoch != epoch || l.Horizon != 0 {
		t.Errorf("log after every write = last %d epoch %q horizon %d; want 6, %q (unchanged), 0", l.Last, l.Epoch, l.Horizon, epoch)
	}
	want := map[string]int64{"a": 3, "b": 5, "c": 4, "d": 6}
	if seqOf["a"] != 3 || seqOf["b"] != 2 {
		t.Errorf("writes answered positions %v, want a at 3 and b at 2", seqOf)
	}
	ps, err := s.PartiesOf(ctx, conf)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Seq != want[p.ID] {
			t.Errorf("PartiesOf: %s at position %d, want %d", p.ID, p.Seq, want[p.ID])
		}
		if got := mustGet(t, ctx, s, p.ID).Seq; got != want[p.ID] {
			t.Errorf("Party(%s) at position %d, want %d", p.ID, got, want[p.ID])
		}
	}
	if len(ps) != len(want) {
		t.Errorf("PartiesOf(%s) = %d parties, want %d", conf, len(ps), len(want))
	}
	tests := []struct {
		after int64
		limit int
		want  []string
	}{
		{0, 0, []string{"1:a", "2:b", "3:a", "4:c", "5:b", "6:d"}},
		{2, 2, []string{"3:a", "4:c"}},
		{4, 0, []string{"5:b", "6:d"}},
		{6, 0, nil},
		{99, 0, nil},
	}
	for _, tc := range tests {
		if got := positions(mustChanges(t, ctx, s, conf, tc.after, tc.limit)); !slices.Equal(got, tc.want) {
			t.Errorf("Changes(after %d, limit %d) = %v, want %v", tc.after, tc.limit, got, tc.want)
		}
	}
}

// diffChange lists the fields in which got differs from want; times must
// be the same instant and in UTC.
func diffChange(want, got party.Change) []string {
	var d []string
	add := func(f string, w, g any) { d = append(d, fmt.Sprintf("%s: got %v, want %v", f, g, w)) }
	if got.Seq != want.Seq || got.PartyID != want.PartyID || got.ConferenceID != want.ConferenceID {
		add("position", fmt.Sprintf("%d %s/%s", want.Seq, want.ConferenceID, want.PartyID), fmt.Sprintf("%d %s/%s", got.Seq, got.ConferenceID, got.PartyID))
	}
	if got.Created != want.Created || got.Hidden != want.Hidden {
		add("created/hidden", [2]bool{want.Created, want.Hidden}, [2]bool{got.Created, got.Hidden})
	}
	if !slices.Equal(got.Changed, want.Changed) {
		add("Changed", want.Changed, got.Changed)
	}
	if got.At.IsZero() || got.At.Location() != time.UTC {
		add("At", "a UTC time", got.At)
	}
	for _, f := range []struct {
		name string
		w, g party.Facts
	}{{"Before", want.Before, got.Before}, {"After", want.After, got.After}} {
		if !f.g.Start.Equal(f.w.Start) || !f.g.End.Equal(f.w.End) || f.g.Venue != f.w.Venue || f.g.Address != f.w.Address || f.g.Status != f.w.Status {
			add(f.name, f.w, f.g)
		}
		for _, tm := range []time.Time{f.g.Start, f.g.End} {
			if !tm.IsZero() && tm.Location() != time.UTC {
				add(f.name+" zone", time.UTC, tm.Location())
			}
		}
	}
	return d
}

// Each change says what it did to the party: created (with its facts),
// which fields an update changed (as UpdatedEvent names them), and the
// start, end, venue, address and status before and after among those.
func testChangeRecords(t *testing.T, s Store, _ *Clock) {
	ctx := testContext(t)
	const conf = "gamescom2025"
	p := fullParty("r", conf)
	mustCreate(t, ctx, s, p)
	moved := mustUpdate(t, ctx, s, "r", func(q *party.Party) {
		q.Title, q.Venue, q.Start = "Kölner Nacht (moved)", "Gloria", at(20, 22, 0)
	})
	mustUpdate(t, ctx, s, "r", func(q *party.Party) { q.Status, q.Note = party.Cancelled, "Venue flooded" })
	mustUpdate(t, ctx, s, "r", func(q *party.Party) { q.End = time.Time{}; q.Address = "" })
	mustUpdate(t, ctx, s, "r", func(q *party.Party) { q.Hosts = append(q.Hosts, "Devcom") })

	want := []party.Change{
		{Seq: 1, ConferenceID: conf, PartyID: "r", Created: true,
			After: party.Facts{Start: p.Start, End: p.End, Venue: p.Venue, Address: p.Address, Status: party.Published}},
		{Seq: 2, ConferenceID: conf, PartyID: "r", Changed: []string{"title", "venue", "start"},
			Before: party.Facts{Start: p.Start, Venue: p.Venue}, After: party.Facts{Start: moved.Start, Venue: "Gloria"}},
		{Seq: 3, ConferenceID: conf, PartyID: "r", Changed: []string{"status", "note"},
			Before: party.Facts{Status: party.Published}, After: party.Facts{Status: party.Cancelled}},
		{Seq: 4, ConferenceID: conf, PartyID: "r", Changed: []string{"address", "end"},
			Before: party.Facts{End: p.End, Address: p.Address}, After: party.Facts{}},
		{Seq: 5, ConferenceID: conf, PartyID: "r", Changed: []string{"hosts"}},
	}
	got := mustChanges(t, ctx, s, conf, 0, 0)
	if len(got) != len(want) {
		t.Fatalf("Changes = %v, want %d changes", positions(got), len(want))
	}
	for i := range want {
		if d := diffChange(want[i], got[i]); len(d) > 0 {
			t.Errorf("change %d differs:\n  %s", i+1, strings.Join(d, "\n  "))
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i].At.Before(got[i-1].At) {
			t.Errorf("change %d written at %v, before change %d at %v", got[i].Seq, got[i].At, got[i-1].Seq, got[i-1].At)
		}
	}
}

// Concurrent writers of one conference never produce a change a reader
// can miss: positions are handed out once each, with no gaps, in the
// order the writes commit. A reader that saw the log at position N finds
// every change up to N already in place (in the parties it reads after,
// and in the changes), and one that read the changes up to N and asks
// again after N gets every change committed since: no write can commit
// below a position a reader already saw.
func testChangesConcurrent(t *testing.T, s Store, _ *Clock) {
	ctx := testContext(t)
	const conf = "gamescom2025"
	const writers, updates = 4, 2
	total := writers * (1 + updates)

	type sample struct {
		last int64
		seqs map[string]int64 // each party's position as read after the log
	}
	var (
		mu      sync.Mutex
		written = map[int64]string{} // position -> party, as the writes answered
		samples []sample
		gaps    []string
	)
	answered := func(seq int64, id string) {
		mu.Lock()
		defer mu.Unlock()
		if prev, dup := written[seq]; dup {
			gaps = append(gaps, fmt.Sprintf("position %d handed to %s and to %s", seq, prev, id))
		}
		written[seq] = id
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			id := fmt.Sprintf("w%d", w)
			p, err := s.CreateParty(ctx, minimalParty(id, conf, at(20+w, 20, 0)))
			if err != nil {
				errs <- err
				return
			}
			answered(p.Seq, id)
			for u := range updates {
				p, err := s.UpdateParty(ctx, id, func(p *party.Party) error { p.Title = fmt.Sprintf("%s, take %d", id, u); return nil })
				if err != nil {
					errs <- err
					return
				}
				answered(p.Seq, id)
			}
		})
	}
	reader := make(chan struct{})
	go func() {
		defer close(reader)
		var seen int64
		read := func() bool {
			l, err := s.ChangeLog(ctx, conf)
			if err != nil {
				t.Errorf("ChangeLog: %v", err)
				return false
			}
			ps, err := s.PartiesOf(ctx, conf)
			if err != nil {
				t.Errorf("PartiesOf: %v", err)
				return false
			}
			smp := sample{last: l.Last, seqs: map[string]int64{}}
			for _, p := range ps {
				smp.seqs[p.ID] = p.Seq
			}
			cs, err := s.Changes(ctx, conf, seen, 0)
			if err != nil {
				t.Errorf("Changes: %v", err)
				return false
			}
			mu.Lock()
			defer mu.Unlock()
			samples = append(samples, smp)
			for i, c := range cs {
				if c.Seq != seen+int64(i)+1 {
					gaps = append(gaps, fmt.Sprintf("after position %d the changes read were %v: one below a position already seen may still commit", seen, positions(cs)))
					return false
				}
			}
			if n := int64(len(cs)); n > 0 {
				seen += n
			}
			if seen < l.Last {
				gaps = append(gaps, fmt.Sprintf("the log said position %d, but the changes read after it end at %d", l.Last, seen))
				return false
			}
			return true
		}
		for {
			select {
			case <-done:
				read()
				return
			default:
				if !read() {
					return
				}
			}
		}
	}()
	wg.Wait()
	close(done)
	<-reader
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	for _, g := range gaps {
		t.Error(g)
	}
	if t.Failed() {
		return
	}
	for seq := int64(1); seq <= int64(total); seq++ {
		if _, ok := written[seq]; !ok {
			t.Errorf("no write answered position %d of %d: %v", seq, total, written)
		}
	}
	all := mustChanges(t, ctx, s, conf, 0, 0)
	if len(all) != total {
		t.Fatalf("Changes = %v, want %d", positions(all), total)
	}
	for _, c := range all {
		if written[c.Seq] != c.PartyID {
			t.Errorf("change %d is of %s, but the write that answered it was of %s", c.Seq, c.PartyID, written[c.Seq])
		}
	}
	// Every change up to a position the reader saw was in the parties it
	// read after.
	for _, smp := range samples {
		for _, c := range all {
			if c.Seq <= smp.last && smp.seqs[c.PartyID] < c.Seq {
				t.Errorf("a reader saw position %d, then read %s at position %d: change %d was missing", smp.last, c.PartyID, smp.seqs[c.PartyID], c.Seq)
			}
		}
	}
	t.Logf("%d writes by %d writers, %d reads in between", total, writers, len(samples))
}
