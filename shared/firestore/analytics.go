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
		applied = 0
		// Reads first, as Firestore transactions require: which events
		// are new, the personas and savers they need, the shards they add to.
		fresh, err := s.freshChanges(tx, changes)
		if err != nil {
			return err
		}
		personas, savers, err := s.readPeople(tx, fresh)
		if err != nil {
			return err
		}
		// The shards this batch adds to, read before any write.
		shard := map[string]string{}
		var order []string
		for _, c := range fresh {
			if c.PartyID != "" && shard[c.PartyID] == "" {
				shard[c.PartyID] = shardOf(c.PartyID, c.EventID)
				order = append(order, c.PartyID)
			}
		}
		// And the day shards, likewise.
		dayShard := map[string]string{}
		var dayOrder []string
		for _, c := range fresh {
			if c.PartyID == "" || c.Conference == "" || c.Delta.Zero() {
				continue
			}
			k := c.Conference + "~" + analytics.DayOf(c)
			if dayShard[k] == "" {
				dayShard[k] = shardOf(k, c.EventID)
				dayOrder = append(dayOrder, k)
			}
		}
		refs := make([]*gfs.DocumentRef, 0, len(order)+len(dayOrder))
		for _, id := range order {
			refs = append(refs, s.coll(partyStatsCollection).Doc(shard[id]))
		}
		for _, k := range dayOrder {
			refs = append(refs, s.coll(daysCollection).Doc(dayShard[k]))
		}
		snaps, err := tx.GetAll(refs)
		if err != nil {
			return err
		}
		days := make(map[string]*dayDoc, len(dayOrder))
		for i, k := range dayOrder {
			d := &dayDoc{}
			if snap := snaps[len(order)+i]; snap.Exists() {
				if err := snap.DataTo(d); err != nil {
					return fmt.Errorf("decode day %s: %w", snap.Ref.ID, err)
				}
			}
			d.ConferenceID, d.Day, _ = strings.Cut(k, "~")
			days[k] = d
		}
		sums := map[string]*analytics.PartyStats{}
		for _, c := range fresh {
			applied++
			if c.PersonaOf != "" {
				personas[c.PersonaOf] = c.Persona
				if err := s.writePersona(tx, c.PersonaOf, c.Persona); err != nil {
					return err
				}
			}
			if c.PartyID == "" {
				continue
			}
			sum := sums[c.PartyID]
			if sum == nil {
				sum = &analytics.PartyStats{PartyID: c.PartyID, Conference: c.Conference}
				sums[c.PartyID] = sum
			}
			sum.Counters.Add(c.Delta)
			sum.Trend = sum.Trend.Add(c.Trend, c.At)
			if c.Delta.Saves != 0 {
				sum.Recent = mergeHours(sum.Recent, analytics.Hours{analytics.HourOf(c.At): c.Delta.Saves})
			}
			if err := s.countSaver(tx, c, personas, savers, &sum.Savers); err != nil {
				return err
			}
			if d := days[c.Conference+"~"+analytics.DayOf(c)]; d != nil {
				d.add(c.Delta)
			}
		}
		for i, k := range dayOrder {
			if err := tx.Set(refs[len(order)+i], *days[k]); err != nil {
				return err
			}
		}
		for i, id := range order {
			var cur statDoc
			if snaps[i].Exists() {
				if err := snaps[i].DataTo(&cur); err != nil {
					return fmt.Errorf("decode stats %s: %w", refs[i].ID, err)
				}
			}
			st := cur.stats()
			st.PartyID = id
			if st.Conference == "" {
				st.Conference = sums[id].Conference
			}
			st.Counters.Add(sums[id].Counters)
			st.Savers.Merge(sums[id].Savers)
			st.Trend = st.Trend.Merge(sums[id].Trend)
			st.Recent = mergeHours(st.Recent, sums[id].Recent)
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
// before, each id once.
func (s *Store) freshChanges(tx *gfs.Transaction, changes []analytics.Change) ([]analytics.Change, error) {
	seen := map[string]bool{}
	var refs []*gfs.DocumentRef
	var uniq []analytics.Change
	for _, c := range changes {
		if seen[c.EventID] || !validDocID(c.EventID) {
			continue
		}
		seen[c.EventID] = true
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
func (s *Store) readPeople(tx *gfs.Transaction, changes []analytics.Change) (map[string]attendee.Persona, map[string]*attendee.Persona, error) {
	personas := map[string]attendee.Persona{}
	savers := map[string]*attendee.Persona{}
	var refs []*gfs.DocumentRef
	var keys []string
	for _, c := range changes {
		if c.Saver == "" || !validDocID(c.Saver) {
			continue
		}
		if _, ok := personas[c.Saver]; !ok {
			personas[c.Saver] = ""
			refs = append(refs, s.coll(personasCollection).Doc(c.Saver))
			keys = append(keys, "p:"+c.Saver)
		}
		k := c.Saver + "~" + c.PartyID
		if _, ok := savers[k]; !ok {
			savers[k] = nil
			refs = append(refs, s.coll(saversCollection).Doc(k))
			keys = append(keys, "s:"+k)
		}
	}
	if len(refs) == 0 {
		return personas, savers, nil
	}
	snaps, err := tx.GetAll(refs)
	if err != nil {
		return nil, nil, err
	}
	for i, snap := range snaps {
		if !snap.Exists() {
			continue
		}
		var d personaDoc
		if err := snap.DataTo(&d); err != nil {
			return nil, nil, fmt.Errorf("decode %s: %w", snap.Ref.ID, err)
		}
		p := attendee.Persona(d.Persona)
		if k := keys[i]; k[0] == 'p' {
			personas[k[2:]] = p
		} else {
			savers[k[2:]] = &p
		}
	}
	return personas, savers, nil
}

func (s *Store) writePersona(tx *gfs.Transaction, uid string, p attendee.Persona) error {
	if !validDocID(uid) {
		return nil
	}
	ref := s.coll(personasCollection).Doc(uid)
	if p == "" {
		return tx.Delete(ref)
	}
	return tx.Set(ref, personaDoc{Persona: string(p)})
}

// countSaver attributes a gained save to the saver's current persona, and
// takes a lost one back from the persona it was attributed to.
func (s *Store) countSaver(tx *gfs.Transaction, c analytics.Change, personas map[string]attendee.Persona, savers map[string]*attendee.Persona, mix *analytics.Mix) error {
	if c.SaveDelta == 0 || !validDocID(c.Saver) {
		return nil
	}
	k := c.Saver + "~" + c.PartyID
	ref := s.coll(saversCollection).Doc(k)
	switch {
	case c.SaveDelta > 0 && savers[k] == nil:
		p := personas[c.Saver]
		savers[k] = &p
		mix.Add(p, 1)
		return tx.Set(ref, personaDoc{Persona: string(p)})
	case c.SaveDelta < 0 && savers[k] != nil:
		mix.Add(*savers[k], -1)
		savers[k] = nil
		return tx.Delete(ref)
	}
	return nil
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
