package firestore

import (
	"context"
	"errors"
	"fmt"
	"time"

	gfs "cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"

	"github.com/partyfinder/partyfinder/shared/party"
)

// Each conference's order of changes (party.Change). Firestore has no
// counter shared by transactions, but every write of a conference's
// parties already writes its revision document, revisions/{conferenceId}:
// the write now reads it first, in its transaction, takes the next
// positions from its seq field and writes the new last one back. Two
// writes of one conference therefore contend on that document and
// Firestore serializes them, so positions follow the order of commits: a
// reader that saw position N finds every later change above N.
//
// The document also names the order (epoch, made by the first write, so a
// position from before the document was lost, or from another database,
// is told apart), and holds its horizon and when changes were last
// forgotten. Each change is a document of partyChanges, named
// {conferenceId}-{epoch}-{seq}.

const partyChangesCollection = "partyChanges"

// Fields of partyChanges documents that queries use.
const (
	fieldEpoch  = "epoch"
	fieldSeq    = "seq"
	fieldHidden = "hidden"
)

// forgetEvery is how often a conference's writes look for changes older
// than party.ChangeRetention, and forgetBatch how many one write forgets
// at most (it reads and deletes them in its transaction); while expired
// changes remain, every write forgets another batch.
const (
	forgetEvery = time.Hour
	forgetBatch = 200
)

// revisionDoc is revisions/{conferenceId}. N is a counter every write of
// the conference's parties raises in its own transaction, so instances
// learn of a change by reading one document instead of aggregating the
// parties; conference updates and the InvalidateCache handler (Bump)
// raise it too, with a blind increment. The rest is the order of
// changes, written only by party writes, which read it first.
type revisionDoc struct {
	N        int64      `firestore:"n"`
	Seq      int64      `firestore:"seq"`      // the last position
	Epoch    string     `firestore:"epoch"`    // "" until the first party write that keeps positions
	Horizon  int64      `firestore:"horizon"`  // changes at or below it are forgotten
	PrunedAt *time.Time `firestore:"prunedAt"` // when expired changes were last looked for
}

// changeDoc is partyChanges/{conferenceId}-{epoch}-{seq}.
type changeDoc struct {
	ConferenceID string    `firestore:"conferenceId"`
	Epoch        string    `firestore:"epoch"`
	Seq          int64     `firestore:"seq"`
	PartyID      string    `firestore:"partyId"`
	At           time.Time `firestore:"at"`
	Created      bool      `firestore:"created"`
	Hidden       bool      `firestore:"hidden"`
	Changed      []string  `firestore:"changed"`
	Before       factsDoc  `firestore:"before"`
	After        factsDoc  `firestore:"after"`
}

// factsDoc is a party.Facts: only what is set.
type factsDoc struct {
	Start   *time.Time `firestore:"start,omitempty"`
	End     *time.Time `firestore:"end,omitempty"`
	Venue   string     `firestore:"venue,omitempty"`
	Address string     `firestore:"address,omitempty"`
	Status  string     `firestore:"status,omitempty"`
}

func marshalFacts(f party.Facts) factsDoc {
	return factsDoc{Start: timePtr(f.Start), End: timePtr(f.End), Venue: f.Venue, Address: f.Address, Status: string(f.Status)}
}

func unmarshalFacts(d factsDoc) party.Facts {
	return party.Facts{Start: fromPtr(d.Start), End: fromPtr(d.End), Venue: d.Venue, Address: d.Address, Status: party.Status(d.Status)}
}

func (s *Store) changeRef(conferenceID, epoch string, seq int64) *gfs.DocumentRef {
	return s.coll(partyChangesCollection).Doc(fmt.Sprintf("%s-%s-%019d", conferenceID, epoch, seq))
}

// sequence is one conference's order of changes within a write's
// transaction: read by readSequences before the transaction writes
// anything, advanced by assign, written by write.
type sequence struct {
	conference string
	doc        revisionDoc
	changes    []party.Change
	expired    []int64 // positions of changes to forget
	pruned     bool    // expired changes were looked for (and all found)
}

// readSequences reads, in tx, the revision documents of the conferences
// and, where it is due, their changes older than party.ChangeRetention
// (before now): all reads a write of parties makes for its order of
// changes, done before it writes anything, as Firestore demands.
func (s *Store) readSequences(tx *gfs.Transaction, conferences []string, now time.Time) (map[string]*sequence, error) {
	refs := make([]*gfs.DocumentRef, len(conferences))
	for i, c := range conferences {
		refs[i] = s.revisionRef(c)
	}
	snaps, err := tx.GetAll(refs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*sequence, len(conferences))
	for i, snap := range snaps {
		q := &sequence{conference: conferences[i]}
		out[conferences[i]] = q
		if snap.Exists() {
			if err := snap.DataTo(&q.doc); err != nil {
				return nil, fmt.Errorf("revision of %s: %w", conferences[i], err)
			}
		}
		if q.doc.Epoch == "" {
			// The first write that keeps positions: a new order, with
			// nothing to forget yet.
			q.doc = revisionDoc{N: q.doc.N, Epoch: party.NewEpoch()}
			q.pruned = true
			continue
		}
		if q.doc.PrunedAt != nil && now.Sub(*q.doc.PrunedAt) < forgetEvery {
			continue
		}
		if err := s.readExpired(tx, q, now.Add(-party.ChangeRetention)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readExpired reads, in tx, the oldest of q's changes and keeps the
// positions of those written before cutoff, up to the first that was not:
// a prefix of the order, so every change after the horizon stays.
func (s *Store) readExpired(tx *gfs.Transaction, q *sequence, cutoff time.Time) error {
	it := tx.Documents(s.query(changesBySeq, q.conference, q.doc.Epoch).Limit(forgetBatch))
	defer it.Stop()
	n := 0
	for {
		snap, err := it.Next()
		if errors.Is(err, iterator.Done) {
			q.pruned = n < forgetBatch
			return nil
		}
		if err != nil {
			return err
		}
		n++
		var d changeDoc
		if err := snap.DataTo(&d); err != nil {
			return fmt.Errorf("change %s: %w", snap.Ref.ID, err)
		}
		if !d.At.Before(cutoff) {
			q.pruned = true
			return nil
		}
		q.expired = append(q.expired, d.Seq)
	}
}

// assign gives p the next position of q's order and records the change
// from before (nil for a new party) to it.
func (q *sequence) assign(before *party.Party, p *party.Party, at time.Time) {
	q.doc.Seq++
	p.Seq = q.doc.Seq
	q.changes = append(q.changes, party.NewChange(before, *p, p.Seq, at))
}

// remove records the deletion of before at the next position of q's
// order: a tombstone, where before was public.
func (q *sequence) remove(before party.Party, at time.Time) {
	q.doc.Seq++
	q.changes = append(q.changes, party.RemovalChange(before, q.doc.Seq, at))
}

// write writes, in tx, what q recorded: its changes, the deletion of the
// expired ones, and the revision document, raised.
func (s *Store) write(tx *gfs.Transaction, q *sequence, now time.Time) error {
	for _, c := range q.changes {
		d := changeDoc{ConferenceID: c.ConferenceID, Epoch: q.doc.Epoch, Seq: c.Seq, PartyID: c.PartyID, At: storedTime(c.At),
			Created: c.Created, Hidden: c.Hidden, Changed: list(c.Changed), Before: marshalFacts(c.Before), After: marshalFacts(c.After)}
		if err := tx.Set(s.changeRef(q.conference, q.doc.Epoch, c.Seq), d); err != nil {
			return err
		}
	}
	for _, seq := range q.expired {
		if err := tx.Delete(s.changeRef(q.conference, q.doc.Epoch, seq)); err != nil {
			return err
		}
		q.doc.Horizon = max(q.doc.Horizon, seq)
	}
	update := map[string]any{"n": gfs.Increment(1), "seq": q.doc.Seq, "epoch": q.doc.Epoch, "horizon": q.doc.Horizon}
	if q.pruned {
		update["prunedAt"] = storedTime(now)
	}
	return tx.Set(s.revisionRef(q.conference), update, gfs.MergeAll)
}

// record gives each party of a write, in tx, the next position of its
// conference's order (befores[i] is the stored party, nil for a new one;
// ps[i].Seq is set) and writes the changes and the raised revision
// documents. It reads first: tx must not have written anything yet, and
// must write the parties after it returns.
func (s *Store) record(tx *gfs.Transaction, befores []*party.Party, ps []party.Party) error {
	var confs []string
	seen := map[string]bool{}
	for _, p := range ps {
		if !seen[p.ConferenceID] {
			seen[p.ConferenceID] = true
			confs = append(confs, p.ConferenceID)
		}
	}
	now := storedTime(s.now())
	seqs, err := s.readSequences(tx, confs, now)
	if err != nil {
		return err
	}
	for i := range ps {
		seqs[ps[i].ConferenceID].assign(befores[i], &ps[i], now)
	}
	for _, c := range confs {
		if err := s.write(tx, seqs[c], now); err != nil {
			return err
		}
	}
	return nil
}

// ChangeLog returns the state of the conference's order of changes, read
// at one moment: its epoch, last position and horizon from its revision
// document, and the tombstones after the horizon, queried at the time the
// document was read (two round trips, where a read-only transaction takes
// four). A conference never written has the zero Log.
func (s *Store) ChangeLog(ctx context.Context, conferenceID string) (party.Log, error) {
	if !validDocID(conferenceID) {
		return party.Log{}, nil
	}
	snap, err := s.revisionRef(conferenceID).Get(ctx)
	if isNotFound(err) {
		return party.Log{}, nil
	}
	if err != nil {
		return party.Log{}, fmt.Errorf("change log of %s: %w", conferenceID, translate(err))
	}
	var d revisionDoc
	if err := snap.DataTo(&d); err != nil {
		return party.Log{}, fmt.Errorf("revision of %s: %w", conferenceID, err)
	}
	if d.Epoch == "" {
		return party.Log{}, nil
	}
	l := party.Log{Epoch: d.Epoch, Last: d.Seq, Horizon: d.Horizon}
	// WithReadOptions changes the read settings the query shares with its
	// collection reference: s.query makes both afresh for this read alone.
	q := s.query(tombstonesBySeq, conferenceID, d.Epoch, true)
	it := q.WithReadOptions(gfs.ReadTime(snap.ReadTime)).Documents(ctx)
	defer it.Stop()
	for {
		snap, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return l, nil
		}
		if err != nil {
			return party.Log{}, fmt.Errorf("tombstones of %s: %w", conferenceID, translate(err))
		}
		var c changeDoc
		if err := snap.DataTo(&c); err != nil {
			return party.Log{}, fmt.Errorf("change %s: %w", snap.Ref.ID, err)
		}
		l.Tombstones = append(l.Tombstones, party.Tombstone{PartyID: c.PartyID, Seq: c.Seq, At: storedTime(c.At)})
	}
}

// Changes returns the recorded changes of the conference after position
// after, by position, at most limit of them (all for limit <= 0).
func (s *Store) Changes(ctx context.Context, conferenceID string, after int64, limit int) ([]party.Change, error) {
	if !validDocID(conferenceID) {
		return nil, nil
	}
	snap, err := s.revisionRef(conferenceID).Get(ctx)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("changes of %s: %w", conferenceID, translate(err))
	}
	var d revisionDoc
	if err := snap.DataTo(&d); err != nil {
		return nil, fmt.Errorf("revision of %s: %w", conferenceID, err)
	}
	if d.Epoch == "" {
		return nil, nil
	}
	q := s.ranged(changesBySeq, after+1, nil, conferenceID, d.Epoch)
	if limit > 0 {
		q = q.Limit(limit)
	}
	it := q.Documents(ctx)
	defer it.Stop()
	var out []party.Change
	for {
		snap, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("changes of %s: %w", conferenceID, translate(err))
		}
		var c changeDoc
		if err := snap.DataTo(&c); err != nil {
			return nil, fmt.Errorf("change %s: %w", snap.Ref.ID, err)
		}
		out = append(out, party.Change{Seq: c.Seq, ConferenceID: c.ConferenceID, PartyID: c.PartyID, At: storedTime(c.At),
			Created: c.Created, Hidden: c.Hidden, Changed: unlist(c.Changed),
			Before: unmarshalFacts(c.Before), After: unmarshalFacts(c.After)})
	}
}
