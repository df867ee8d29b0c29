// Package feed serves the public party feed: an immutable, pre-encoded
// snapshot of each conference's visible parties, queried in memory and
// cached as finished responses. Stores are read only to build snapshots.
package feed

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/fold"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Entry is one visible party with everything a query needs precomputed.
type Entry struct {
	Party  party.Party
	JSON   []byte // the party as the API serves it
	Date   string // local start day
	search string // folded title, hosts, venue, description
	end    time.Time
}

// Snapshot is the immutable public view of one conference at one revision.
type Snapshot struct {
	Conference conference.Conference
	Location   *time.Location
	Revision   string // the store's revision it was built at
	// SharedRevision is the shared tier's revision it was built at; ""
	// when built without one.
	SharedRevision string
	Seq            uint64  // distinguishes snapshots in response cache keys
	Entries        []Entry // published and cancelled parties, by start then id
	Missing        bool    // the conference does not exist (cached to spare the store)
	Days           []DayJSON

	// Where the snapshot stands in its conference's order of changes
	// (party.Log): every change up to Position is in it. Entries carry
	// the position of their party's last write (Party.Seq).
	Epoch    string
	Position int64
	Horizon  int64

	// Popularity is the saves of the parties that show them (Popularity).
	Popularity Popularity

	log        party.Log         // as read, for the prebuilt copy
	tombstones []party.Tombstone // of parties not in the snapshot: the last of each, by position
	synced     []int64           // the positions of entries and tombstones, ascending
	token      string            // Position as a sync token

	byID   map[string]int
	memoMu sync.Mutex
	memo   map[string]any // lazily built per-snapshot artefacts (ICS, details)
}

// NewSnapshot builds a snapshot from a conference and all its parties (any
// status, any order): only public parties are kept. It stands at the
// start of the conference's order of changes; see NewSnapshotAt.
func NewSnapshot(c conference.Conference, parties []party.Party, revision string, seq uint64) *Snapshot {
	return NewSnapshotAt(c, parties, party.Log{}, revision, seq)
}

// NewSnapshotAt builds a snapshot as NewSnapshot does, at the position of
// log in the conference's order of changes. log must be read before the
// parties: whatever the parties show of later changes, the snapshot then
// holds every change up to log.Last, and a delta sync from it misses
// nothing (its tombstones are those of the log, of parties not public in
// parties).
func NewSnapshotAt(c conference.Conference, parties []party.Party, log party.Log, revision string, seq uint64) *Snapshot {
	return newSnapshot(c, parties, log, revision, seq, nil)
}

// Popularity is the saves of each party whose saves may be shown, by
// party id; a party not in it shows none (null). Who may be shown is the
// analytics rule (analytics.Popularity), applied by whatever fills it.
type Popularity map[string]int64

// WithPopularity returns a snapshot like s but for its parties'
// popularity, numbered seq: what a popularity refresh makes, with no read
// of the store. Only the parties whose count changed are encoded again;
// everything else is shared with s, which no one mutates.
func (s *Snapshot) WithPopularity(pop Popularity, seq uint64) *Snapshot {
	n := &Snapshot{Conference: s.Conference, Location: s.Location, Revision: s.Revision, SharedRevision: s.SharedRevision,
		Seq: seq, Days: s.Days, Epoch: s.Epoch, Position: s.Position, Horizon: s.Horizon, Popularity: pop,
		log: s.log, tombstones: s.tombstones, synced: s.synced, token: s.token, byID: s.byID, memo: make(map[string]any)}
	n.Entries = slices.Clone(s.Entries)
	for i := range n.Entries {
		e := &n.Entries[i]
		was, had := s.Popularity[e.Party.ID]
		now, has := pop[e.Party.ID]
		if had != has || was != now {
			e.JSON = Marshal(n.PartyJSON(e.Party))
		}
	}
	return n
}

// PartyJSON returns a party as the snapshot shows it, with the
// popularity it has in the snapshot.
func (s *Snapshot) PartyJSON(p party.Party) FeedPartyJSON {
	out := FeedPartyJSON{PartyJSON: NewPartyJSON(p, s.Location)}
	if n, ok := s.Popularity[p.ID]; ok {
		out.Popularity = &PopularityJSON{Saves: n}
	}
	return out
}

func newSnapshot(c conference.Conference, parties []party.Party, log party.Log, revision string, seq uint64, pop Popularity) *Snapshot {
	s := &Snapshot{Conference: c, Location: c.Location(), Revision: revision, Seq: seq,
		Epoch: log.Epoch, Position: log.Last, Horizon: log.Horizon, log: log.Clone(), Popularity: pop,
		byID: make(map[string]int), memo: make(map[string]any)}
	for _, p := range parties {
		if !p.Status.Public() {
			continue
		}
		e := Entry{Party: p, end: p.EndOrStart()}
		e.Date = p.LocalDate(s.Location)
		e.JSON = Marshal(s.PartyJSON(p))
		e.search = fold.String(strings.Join([]string{p.Title, strings.Join(p.Hosts, " "), p.Venue, p.Description, p.Address, p.Category.Label}, " \x00 "))
		s.Entries = append(s.Entries, e)
	}
	slices.SortFunc(s.Entries, func(a, b Entry) int { return party.Chronological(a.Party, b.Party) })
	counts := map[string]int{}
	var days []string
	for i, e := range s.Entries {
		s.byID[e.Party.ID] = i
		if _, seen := counts[e.Date]; !seen {
			days = append(days, e.Date)
			counts[e.Date] = 0
		}
		if e.Party.Status != party.Cancelled {
			counts[e.Date]++
		}
	}
	for _, d := range days { // entries are chronological, so days are too
		if counts[d] == 0 {
			continue // only cancelled parties: nothing to go to that day
		}
		t, _ := time.ParseInLocation(conference.DateLayout, d, s.Location)
		s.Days = append(s.Days, DayJSON{Date: d, Weekday: t.Weekday().String(), Label: t.Format("Mon Jan 2"), Count: counts[d]})
	}
	s.indexSync()
	return s
}

// indexSync keeps the last tombstone of each party the snapshot does not
// show, and the positions a delta sync selects by.
func (s *Snapshot) indexSync() {
	latest := map[string]party.Tombstone{}
	for _, ts := range s.log.Tombstones {
		if _, shown := s.byID[ts.PartyID]; shown {
			continue // public again since
		}
		if cur, ok := latest[ts.PartyID]; !ok || ts.Seq > cur.Seq {
			latest[ts.PartyID] = ts
		}
	}
	s.tombstones = slices.SortedFunc(maps.Values(latest), func(a, b party.Tombstone) int { return cmp.Compare(a.Seq, b.Seq) })
	s.synced = make([]int64, 0, len(s.Entries)+len(s.tombstones))
	for _, e := range s.Entries {
		s.synced = append(s.synced, e.Party.Seq)
	}
	for _, ts := range s.tombstones {
		s.synced = append(s.synced, ts.Seq)
	}
	slices.Sort(s.synced)
	s.token = SyncToken{Conference: s.Conference.ID, Epoch: s.Epoch, Position: s.Position, Zone: zoneMark(s.Conference.TimeZone)}.Encode()
}

// Entry returns the visible party with the id.
func (s *Snapshot) Entry(id string) (*Entry, bool) {
	i, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	return &s.Entries[i], true
}

// Memo returns the artefact stored under key, building it once per
// snapshot. Snapshots are replaced, never mutated, when data changes, so a
// memoized artefact can never be stale.
func (s *Snapshot) Memo(key string, build func() any) any {
	s.memoMu.Lock()
	defer s.memoMu.Unlock()
	if v, ok := s.memo[key]; ok {
		return v
	}
	v := build()
	s.memo[key] = v
	return v
}

// Key identifies this snapshot in response cache keys: a new snapshot never
// serves an older one's bytes.
func (s *Snapshot) Key() string { return s.Conference.ID + "@" + strconv.FormatUint(s.Seq, 36) }

// Parties returns the visible parties (published and cancelled), in order.
func (s *Snapshot) Parties() []party.Party {
	ps := make([]party.Party, len(s.Entries))
	for i, e := range s.Entries {
		ps[i] = e.Party
	}
	return ps
}
