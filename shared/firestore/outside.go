package firestore

import (
	"context"
	"fmt"

	gfs "cloud.google.com/go/firestore"

	"github.com/partyfinder/partyfinder/shared/party"
)

// RecordOutsideWrite gives a write of a party made past the store (in
// the Firestore console, or by a script with the Admin SDK), which took
// no position in its conference's order of changes (party.Unrecorded),
// the next one, as the OnPartyWritten trigger sees it: before and after
// are the party around that write, after nil for a deletion. Delta sync
// and the change digest then see it as they see the API's writes.
//
// The party's current document is read in the transaction: a write since
// (recorded by the store, or this one recorded by an earlier delivery of
// the same trigger) leaves everything as it is. The position is written
// back into the document's seq field alone; the trigger that write fires
// finds the position moved and records nothing more. A deletion is
// recorded as a tombstone, and so is a public party's move to another
// conference, in the conference it left; a redelivered deletion records
// it again, which readers take as the same tombstone.
func (s *Store) RecordOutsideWrite(ctx context.Context, before, after *party.Party) error {
	if !party.Unrecorded(before, after) {
		return nil
	}
	doc := after
	if doc == nil {
		doc = before
	}
	if !party.ValidID(doc.ID) || !validDocID(doc.ConferenceID) {
		return nil
	}
	ref := s.parties.Doc(doc.ID)
	err := s.runTx(ctx, s.txBudget, func(ctx context.Context, tx *gfs.Transaction) error {
		snap, err := tx.Get(ref)
		exists := err == nil
		if err != nil && !isNotFound(err) {
			return err
		}
		now := storedTime(s.now())
		if after == nil {
			if exists {
				return nil // created again since: that write is recorded on its own
			}
			seqs, err := s.readSequences(tx, []string{before.ConferenceID}, now)
			if err != nil {
				return err
			}
			q := seqs[before.ConferenceID]
			q.remove(*before, now)
			return s.write(tx, q, now)
		}
		if !exists {
			return nil // deleted since: the deletion is recorded on its own
		}
		cur, err := decodeParty(snap)
		if err != nil {
			return err
		}
		if cur.Seq != after.Seq || cur.ConferenceID != after.ConferenceID {
			return nil // written since, through the store or by this very recording
		}
		// A party moved to another conference leaves the old one: readers
		// of that one get a tombstone.
		confs := []string{cur.ConferenceID}
		moved := before != nil && before.ConferenceID != cur.ConferenceID && before.Status.Public() && validDocID(before.ConferenceID)
		if moved {
			confs = append(confs, before.ConferenceID)
		}
		seqs, err := s.readSequences(tx, confs, now)
		if err != nil {
			return err
		}
		seqs[cur.ConferenceID].assign(before, &cur, now)
		if moved {
			seqs[before.ConferenceID].remove(*before, now)
		}
		for _, c := range confs {
			if err := s.write(tx, seqs[c], now); err != nil {
				return err
			}
		}
		return tx.Update(ref, []gfs.Update{{Path: "seq", Value: cur.Seq}})
	})
	if err != nil {
		return fmt.Errorf("record the outside write of %s: %w", doc.ID, translate(err))
	}
	return nil
}
