package firestore

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	gfs "cloud.google.com/go/firestore"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

// The Store keeps analytics too.
var _ analytics.Store = (*Store)(nil)

// The analytics collection ids, before any prefix. All are server-only.
const (
	partyStatsCollection = "partyStats"        // partyStats/{partyId}~{shard}: one shard of a party's counters
	appliedCollection    = "analyticsEvents"   // analyticsEvents/{eventId}: applied, so a redelivery is skipped
	personasCollection   = "analyticsPersonas" // analyticsPersonas/{uid}: the persona new saves count for
	saversCollection     = "analyticsSavers"   // analyticsSavers/{uid}~{partyId}: the persona a save was counted for
	daysCollection       = "conferenceDays"    // conferenceDays/{conferenceId}~{day}~{shard}: net changes of a day
	fieldPartyID         = "partyId"
	statShards           = 8   // a party's counters spread over this many documents
	applyChunk           = 100 // changes per transaction: well inside 500 writes
)

// statDoc is one shard of a party's stats. Firestore sustains about one
// write per second per document; a hot party's updates land on different
// shards, and reads add the shards up.
type statDoc struct {
	PartyID      string     `firestore:"partyId"`
	ConferenceID string     `firestore:"conferenceId"`
	Views        int64      `firestore:"views"`
	Likes        int64      `firestore:"likes"`
	Passes       int64      `firestore:"passes"`
	Saves        int64      `firestore:"saves"`
	CalendarAdds int64      `firestore:"calendarAdds"`
	Shares       int64      `firestore:"shares"`
	MixDev       int64      `firestore:"mixDev"`
	MixPub       int64      `firestore:"mixPub"`
	MixInv       int64      `firestore:"mixInv"`
	MixSP        int64      `firestore:"mixSp"`
	MixOther     int64      `firestore:"mixOther"`
	Trend        float64    `firestore:"trend"`
	TrendAt      *time.Time `firestore:"trendAt"`
	// SavesByHour is the shard's net saves per UTC hour (the hour's unix
	// seconds / 3600, in decimal) of the party's last
	// analytics.RecentHours hours, for velocity.
	SavesByHour map[string]int64 `firestore:"savesByHour,omitempty"`
}

func (d statDoc) stats() analytics.PartyStats {
	return analytics.PartyStats{
		PartyID: d.PartyID, Conference: d.ConferenceID,
		Counters: analytics.Counters{Views: d.Views, Likes: d.Likes, Passes: d.Passes, Saves: d.Saves, CalendarAdds: d.CalendarAdds, Shares: d.Shares},
		Savers:   analytics.Mix{Developer: d.MixDev, Publisher: d.MixPub, Investor: d.MixInv, ServiceProvider: d.MixSP, Other: d.MixOther},
		Trend:    analytics.Score{Value: d.Trend, At: fromPtr(d.TrendAt)},
		Recent:   hoursOf(d.SavesByHour),
	}
}

func hoursOf(m map[string]int64) analytics.Hours {
	if len(m) == 0 {
		return nil
	}
	h := make(analytics.Hours, len(m))
	for k, n := range m {
		if hour, err := strconv.ParseInt(k, 10, 64); err == nil {
			h[hour] += n
		}
	}
	return h
}

func hoursDoc(h analytics.Hours) map[string]int64 {
	if len(h) == 0 {
		return nil
	}
	m := make(map[string]int64, len(h))
	for hour, n := range h {
		m[strconv.FormatInt(hour, 10)] = n
	}
	return m
}

// mergeHours adds b's hours to a's, either of them nil.
func mergeHours(a, b analytics.Hours) analytics.Hours {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = analytics.Hours{}
	}
	a.Merge(b)
	return a
}

func statDocOf(s analytics.PartyStats) statDoc {
	c, m := s.Counters, s.Savers
	return statDoc{PartyID: s.PartyID, ConferenceID: s.Conference,
		Views: c.Views, Likes: c.Likes, Passes: c.Passes, Saves: c.Saves, CalendarAdds: c.CalendarAdds, Shares: c.Shares,
		MixDev: m.Developer, MixPub: m.Publisher, MixInv: m.Investor, MixSP: m.ServiceProvider, MixOther: m.Other,
		Trend: s.Trend.Value, TrendAt: timePtr(s.Trend.At), SavesByHour: hoursDoc(s.Recent)}
}

// dayDoc is one shard of a conference's net counter changes on one UTC day.
type dayDoc struct {
	ConferenceID string `firestore:"conferenceId"`
	Day          string `firestore:"day"`
	Views        int64  `firestore:"views"`
	Likes        int64  `firestore:"likes"`
	Passes       int64  `firestore:"passes"`
	Saves        int64  `firestore:"saves"`
	CalendarAdds int64  `firestore:"calendarAdds"`
	Shares       int64  `firestore:"shares"`
}

func (d *dayDoc) add(c analytics.Counters) {
	d.Views += c.Views
	d.Likes += c.Likes
	d.Passes += c.Passes
	d.Saves += c.Saves
	d.CalendarAdds += c.CalendarAdds
	d.Shares += c.Shares
}

// appliedDoc records an applied event id. Its expireAt is for a Firestore
// TTL policy (README: Deploy), which deletes it once no redelivery can
// come.
type appliedDoc struct {
	At       time.Time `firestore:"at"`
	ExpireAt time.Time `firestore:"expireAt"`
}

type personaDoc struct {
	Persona string `firestore:"persona"`
}

func (s *Store) coll(id string) *gfs.CollectionRef { return s.client.Collection(s.prefix + id) }

// shardOf spreads a party's batches over its shards by the first event
// id of the batch: deterministic, so a retried transaction writes the
// same shard.
func shardOf(partyID, eventID string) string {
	h := fnv.New32a()
	h.Write([]byte(eventID))
	return fmt.Sprintf("%s~%d", partyID, h.Sum32()%statShards)
}

// Apply applies the changes whose event ids are new, recording those ids
// in the same transaction, in chunks of applyChunk changes.
func (s *Store) Apply(ctx context.Context, changes []analytics.Change) (int, error) {
	total := 0
	for len(changes) > 0 {
		n := min(len(changes), applyChunk)
		applied, err := s.applyChunk(ctx, changes[:n])
		if err != nil {
			return total, fmt.Errorf("apply analytics: %w", translate(err))
		}
		total += applied
		changes = changes[n:]
	}
	return total, nil
}

func (s *Store) applyChunk(ctx context.Context, changes []analytics.Change) (int, error) {
	applied := 0
	err := s.runTx(ctx, s.longTxBudget, func(ctx context.Context, tx *gfs.Transaction) error {
		// Reads first, as Firestore transactions require: which events
		// are new, the personas and savers they need, the shards they add to.
		fresh, err := s.freshChanges(tx, changes)
		if err != nil {
			return err
		}
		applied = len(fresh)
		if len(fresh) == 0 {
			return nil
		}
		people, err := s.readPeople(tx, fresh)
		if err != nil {
			return err
		}
		sums := analytics.Sum(fresh, people)
		// The shards this batch adds to, read before any write: picked by
		// the batch's first event id, so a retried transaction picks the
		// same ones.
		first := fresh[0].EventID
		refs := make([]*gfs.DocumentRef, 0, len(sums.Parties)+len(sums.Days))
		for _, p := range sums.Parties {
			refs = append(refs, s.coll(partyStatsCollection).Doc(shardOf(p.PartyID, first)))
		}
		for _, d := range sums.Days {
			refs = append(refs, s.coll(daysCollection).Doc(shardOf(d.Conference+"~"+d.Date, first)))
		}
		snaps, err := tx.GetAll(refs)
		if err != nil {
			return err
		}
		for _, p := range sums.Personas {
			if err := s.writePersona(tx, p.UID, p.Persona); err != nil {
				return err
			}
		}
		for _, a := range sums.Attributions {
			ref := s.coll(saversCollection).Doc(a.UID + "~" + a.PartyID)
			if !a.Counted {
				err = tx.Delete(ref)
			} else {
				err = tx.Set(ref, personaDoc{Persona: string(a.Persona)})
			}
			if err != nil {
				return err
			}
		}
		for i, d := range sums.Days {
			i += len(sums.Parties)
			day := dayDoc{}
			if snaps[i].Exists() {
				if err := snaps[i].DataTo(&day); err != nil {
					return fmt.Errorf("decode day %s: %w", refs[i].ID, err)
				}
			}
			day.ConferenceID, day.Day = d.Conference, d.Date
			day.add(d.Counters)
			if err := tx.Set(refs[i], day); err != nil {
				return err
			}
		}
		for i, p := range sums.Parties {
			var cur statDoc
			if snaps[i].Exists() {
				if err := snaps[i].DataTo(&cur); err != nil {
					return fmt.Errorf("decode stats %s: %w", refs[i].ID, err)
				}
			}
			st := cur.stats()
			st.PartyID = p.PartyID
			st.Merge(p)
			if newest, ok := st.Recent.Newest(); ok {
				st.Recent.Prune(newest)
			}
			if err := tx.Set(refs[i], statDocOf(st)); err != nil {
				return err
			}
		}
		for _, c := range fresh {
			if err := tx.Create(s.coll(appliedCollection).Doc(c.EventID), appliedDoc{At: storedTime(c.At), ExpireAt: storedTime(s.now().Add(analytics.Remember))}); err != nil {
				return err
			}
		}
		return nil
	})
	return applied, err
}

// freshChanges returns the changes whose event ids were not applied
// before, each id once. A user id that cannot name a document keeps its
// counters but no persona or save attribution.
func (s *Store) freshChanges(tx *gfs.Transaction, changes []analytics.Change) ([]analytics.Change, error) {
	seen := map[string]bool{}
	var refs []*gfs.DocumentRef
	var uniq []analytics.Change
	for _, c := range changes {
		if seen[c.EventID] || !validDocID(c.EventID) {
			continue
		}
		seen[c.EventID] = true
		if c.Saver != "" && !validDocID(c.Saver) {
			c.Saver, c.SaveDelta = "", 0
		}
		if c.PersonaOf != "" && !validDocID(c.PersonaOf) {
			c.PersonaOf, c.Persona = "", ""
		}
		uniq = append(uniq, c)
		refs = append(refs, s.coll(appliedCollection).Doc(c.EventID))
	}
	if len(refs) == 0 {
		return nil, nil
	}
	snaps, err := tx.GetAll(refs)
	if err != nil {
		return nil, err
	}
	var out []analytics.Change
	for i, c := range uniq {
		if !snaps[i].Exists() {
			out = append(out, c)
		}
	}
	return out, nil
}

// readPeople reads the personas of the savers and the save attributions
// the changes touch.
func (s *Store) readPeople(tx *gfs.Transaction, changes []analytics.Change) (analytics.People, error) {
	people := analytics.People{Personas: map[string]attendee.Persona{}, Savers: map[analytics.Saver]attendee.Persona{}}
	// Each ref reads a persona (saver.PartyID == "") or an attribution.
	var refs []*gfs.DocumentRef
	var keys []analytics.Saver
	seen := map[analytics.Saver]bool{}
	for _, c := range changes {
		if c.Saver == "" || c.SaveDelta == 0 {
			continue
		}
		for _, k := range []analytics.Saver{{UID: c.Saver}, {UID: c.Saver, PartyID: c.PartyID}} {
			if seen[k] {
				continue
			}
			seen[k] = true
			keys = append(keys, k)
			if k.PartyID == "" {
				refs = append(refs, s.coll(personasCollection).Doc(k.UID))
			} else {
				refs = append(refs, s.coll(saversCollection).Doc(k.UID+"~"+k.PartyID))
			}
		}
	}
	if len(refs) == 0 {
		return people, nil
	}
	snaps, err := tx.GetAll(refs)
	if err != nil {
		return people, err
	}
	for i, snap := range snaps {
		if !snap.Exists() {
			continue
		}
		var d personaDoc
		if err := snap.DataTo(&d); err != nil {
			return people, fmt.Errorf("decode %s: %w", snap.Ref.ID, err)
		}
		if k := keys[i]; k.PartyID == "" {
			people.Personas[k.UID] = attendee.Persona(d.Persona)
		} else {
			people.Savers[k] = attendee.Persona(d.Persona)
		}
	}
	return people, nil
}

func (s *Store) writePersona(tx *gfs.Transaction, uid string, p attendee.Persona) error {
	ref := s.coll(personasCollection).Doc(uid)
	if p == "" {
		return tx.Delete(ref)
	}
	return tx.Set(ref, personaDoc{Persona: string(p)})
}

// Stats adds up a party's shards; zero counters when nothing was counted.
func (s *Store) Stats(ctx context.Context, partyID string) (analytics.PartyStats, error) {
	out := analytics.PartyStats{PartyID: partyID}
	err := s.eachStat(ctx, s.query(statsByParty, partyID), func(st analytics.PartyStats) {
		out.Conference = st.Conference
		out.Counters.Add(st.Counters)
		out.Savers.Merge(st.Savers)
		out.Trend = out.Trend.Merge(st.Trend)
		out.Recent = mergeHours(out.Recent, st.Recent)
	})
	if err != nil {
		return out, fmt.Errorf("stats of %s: %w", partyID, err)
	}
	return out, nil
}

// ConferenceStats adds up the shards of every party of the conference.
func (s *Store) ConferenceStats(ctx context.Context, conference string) ([]analytics.PartyStats, error) {
	byParty := map[string]*analytics.PartyStats{}
	var order []string
	err := s.eachStat(ctx, s.query(statsByConference, conference), func(st analytics.PartyStats) {
		cur := byParty[st.PartyID]
		if cur == nil {
			cur = &analytics.PartyStats{PartyID: st.PartyID, Conference: st.Conference}
			byParty[st.PartyID] = cur
			order = append(order, st.PartyID)
		}
		cur.Counters.Add(st.Counters)
		cur.Savers.Merge(st.Savers)
		cur.Trend = cur.Trend.Merge(st.Trend)
		cur.Recent = mergeHours(cur.Recent, st.Recent)
	})
	if err != nil {
		return nil, fmt.Errorf("stats of %s: %w", conference, err)
	}
	out := make([]analytics.PartyStats, len(order))
	for i, id := range order {
		out[i] = *byParty[id]
	}
	return out, nil
}

func (s *Store) eachStat(ctx context.Context, q gfs.Query, fn func(analytics.PartyStats)) error {
	return readAll(ctx, q, func(snap *gfs.DocumentSnapshot) error {
		var d statDoc
		if err := snap.DataTo(&d); err != nil {
			return fmt.Errorf("decode stats %s: %w", snap.Ref.ID, err)
		}
		fn(d.stats())
		return nil
	})
}

// ConferenceDays adds up the day shards of the conference between from
// and to (both included, "" for no bound).
func (s *Store) ConferenceDays(ctx context.Context, conference, from, to string) ([]analytics.Day, error) {
	byDay := map[string]*analytics.Day{}
	err := readAll(ctx, s.query(daysByConference, conference), func(snap *gfs.DocumentSnapshot) error {
		var d dayDoc
		if err := snap.DataTo(&d); err != nil {
			return fmt.Errorf("decode day %s: %w", snap.Ref.ID, err)
		}
		if d.Day < from || to != "" && d.Day > to {
			return nil
		}
		cur := byDay[d.Day]
		if cur == nil {
			cur = &analytics.Day{Date: d.Day}
			byDay[d.Day] = cur
		}
		cur.Counters.Add(analytics.Counters{Views: d.Views, Likes: d.Likes, Passes: d.Passes, Saves: d.Saves, CalendarAdds: d.CalendarAdds, Shares: d.Shares})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("days of %s: %w", conference, err)
	}
	out := make([]analytics.Day, 0, len(byDay))
	for _, d := range byDay {
		out = append(out, *d)
	}
	slices.SortFunc(out, func(a, b analytics.Day) int { return strings.Compare(a.Date, b.Date) })
	return out, nil
}
