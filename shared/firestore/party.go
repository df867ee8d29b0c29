package firestore

import (
	"context"
	"errors"
	"fmt"

	gfs "cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Party returns the party with the id, or a NotFound error.
func (s *Store) Party(ctx context.Context, id string) (party.Party, error) {
	if !party.ValidID(id) {
		// Not a possible document id (it might contain a slash): it cannot exist.
		return party.Party{}, fmt.Errorf("party: %w", apperr.New(apperr.NotFound, "party %q not found", id))
	}
	snap, err := s.parties.Doc(id).Get(ctx)
	if isNotFound(err) {
		return party.Party{}, fmt.Errorf("party: %w", apperr.New(apperr.NotFound, "party %q not found", id))
	}
	if err != nil {
		return party.Party{}, fmt.Errorf("party %s: %w", id, translate(err))
	}
	return decodeParty(snap)
}

// PartiesOf returns every party of the conference, whatever its status,
// ordered by start then id. An unknown conference has no parties.
func (s *Store) PartiesOf(ctx context.Context, conferenceID string) ([]party.Party, error) {
	return readParties(s.query(partiesByStart, conferenceID).Documents(ctx), conferenceID)
}

// PartiesOwnedBy returns the parties the organizer submitted, in every
// conference, by start then id.
func (s *Store) PartiesOwnedBy(ctx context.Context, uid string) ([]party.Party, error) {
	if uid == "" {
		return nil, nil
	}
	return readParties(s.query(partiesByOwner, uid).Documents(ctx), uid)
}

// readParties decodes every party a query returns; of names what they
// are the parties of, for errors.
func readParties(it *gfs.DocumentIterator, of string) ([]party.Party, error) {
	defer it.Stop()
	var out []party.Party
	for {
		snap, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parties of %s: %w", of, translate(err))
		}
		p, err := decodeParty(snap)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
}

// CreateParty stores a new party with version 1 and both timestamps set to
// now. It returns Invalid if the party breaks an invariant and Conflict if
// the id exists.
func (s *Store) CreateParty(ctx context.Context, p party.Party) (party.Party, error) {
	if err := checkParty(p); err != nil {
		return party.Party{}, fmt.Errorf("create party: %w", err)
	}
	now := storedTime(s.now())
	p = asStored(p)
	p.CreatedAt, p.UpdatedAt, p.Version = now, now, 1
	var out party.Party
	err := s.runTx(ctx, s.txBudget, func(ctx context.Context, tx *gfs.Transaction) error {
		written := []party.Party{p}
		if err := s.record(tx, []*party.Party{nil}, written); err != nil {
			return err
		}
		out = written[0]
		if err := tx.Create(s.parties.Doc(p.ID), marshalParty(out)); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx)
	})
	if status.Code(err) == codes.AlreadyExists {
		return party.Party{}, fmt.Errorf("create party: %w", apperr.New(apperr.Conflict, "party %q already exists", p.ID))
	}
	if err != nil {
		return party.Party{}, fmt.Errorf("create party %s: %w", p.ID, translate(err))
	}
	return out, nil
}

// UpdateParty loads the party, applies fn and stores the result in one
// transaction. When fn changes anything the version grows by one and
// UpdatedAt is set; when it changes nothing, nothing is written. Errors from
// fn are returned unchanged and nothing is written. It returns NotFound if
// the party does not exist and Invalid if the result breaks an invariant or
// fn changed the id or conference. Changes fn makes to CreatedAt, UpdatedAt
// and Version are ignored: they belong to the store.
//
// fn runs again, on a freshly read party, when a concurrent write makes
// Firestore retry the transaction: it must do nothing but change the party.
func (s *Store) UpdateParty(ctx context.Context, id string, fn func(*party.Party) error) (party.Party, error) {
	if !party.ValidID(id) {
		return party.Party{}, fmt.Errorf("update party: %w", apperr.New(apperr.NotFound, "party %q not found", id))
	}
	ref := s.parties.Doc(id)
	var out party.Party
	var fnErr error
	err := s.runTx(ctx, s.txBudget, func(ctx context.Context, tx *gfs.Transaction) error {
		fnErr = nil
		snap, err := tx.Get(ref)
		if isNotFound(err) {
			return apperr.New(apperr.NotFound, "party %q not found", id)
		}
		if err != nil {
			return err
		}
		old, err := decodeParty(snap)
		if err != nil {
			return err
		}
		p := old.Clone()
		if err := fn(&p); err != nil {
			fnErr = err
			return err
		}
		p, changed, err := party.ApplyUpdate(old, asStored(p), storedTime(s.now()), checkParty)
		if err != nil {
			return err
		}
		out = p
		if !changed {
			return nil
		}
		written := []party.Party{p}
		if err := s.record(tx, []*party.Party{&old}, written); err != nil {
			return err
		}
		out = written[0]
		if err := tx.Set(ref, marshalParty(out)); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx)
	})
	if fnErr != nil && errors.Is(err, fnErr) {
		return party.Party{}, fnErr
	}
	if err != nil {
		return party.Party{}, fmt.Errorf("update party %s: %w", id, translate(err))
	}
	return out, nil
}

// SaveParties writes a batch of any size. A party with Version 1 must not
// exist yet; any other party must be stored with Version-1, else the batch
// fails with Conflict; a party already stored exactly as given is skipped
// (party.Saved). Versions and timestamps are kept as given (to the
// microsecond). Invalid if a party breaks an invariant, an id appears
// twice or a party would move to another conference.
//
// A batch that fits one step (party.Steps: party.MaxBatch parties,
// party.MaxBatchBytes, under Firestore's 10 MiB request) is one
// transaction: all of it or none of it. A larger one cannot be: it is
// checked whole first, so a batch that conflicts with what is stored
// writes nothing, and then written step by step, each step a transaction
// that checks its parties again, takes their positions and raises the
// revision. Readers see the steps arrive one by one. An interrupted batch
// leaves its first steps stored; saving it again skips them, and the
// audit entries, written with the last step, are written once
// (docs/adr/0006-imports-of-any-size.md).
func (s *Store) SaveParties(ctx context.Context, ps []party.Party) error {
	if err := party.CheckBatch(ps, checkParty); err != nil {
		return fmt.Errorf("save parties: %w", err)
	}
	stored := make([]party.Party, len(ps))
	for i, p := range ps {
		stored[i] = asStored(p)
	}
	steps := party.Steps(stored)
	if len(steps) > 1 {
		pending, err := s.unsaved(ctx, stored)
		if err != nil {
			return fmt.Errorf("save parties: %w", translate(err))
		}
		steps = party.Steps(pending)
	}
	for i, step := range steps {
		written, err := s.saveStep(ctx, step, i == len(steps)-1)
		if err != nil {
			if i > 0 {
				return fmt.Errorf("save parties: step %d of %d (%d parties stored before it): %w", i+1, len(steps), stepsLen(steps[:i]), translate(err))
			}
			return fmt.Errorf("save parties: %w", translate(err))
		}
		if len(written) > 0 {
			if err := party.Stepped(ctx, written); err != nil {
				return fmt.Errorf("save parties: after step %d of %d: %w", i+1, len(steps), err)
			}
		}
	}
	return nil
}

// stepsLen counts the parties of the steps.
func stepsLen(steps [][]party.Party) int {
	n := 0
	for _, st := range steps {
		n += len(st)
	}
	return n
}

// unsaved checks a batch too large for one transaction against what is
// stored, reading a step's worth of parties at a time outside any
// transaction, and returns the parties still to write: Conflict (nothing
// written) when one does not follow its stored version. Each step checks
// its parties again in its transaction; this only keeps a batch that
// conflicts from the start from being written in part.
func (s *Store) unsaved(ctx context.Context, ps []party.Party) ([]party.Party, error) {
	var out []party.Party
	for lo := 0; lo < len(ps); lo += party.MaxBatch {
		chunk := ps[lo:min(lo+party.MaxBatch, len(ps))]
		refs := make([]*gfs.DocumentRef, len(chunk))
		for i, p := range chunk {
			refs[i] = s.parties.Doc(p.ID)
		}
		snaps, err := s.client.GetAll(ctx, refs)
		if err != nil {
			return nil, err
		}
		for i, snap := range snaps {
			todo, _, err := checkSaved(chunk[i], snap)
			if err != nil {
				return nil, err
			}
			if todo {
				out = append(out, chunk[i])
			}
		}
	}
	return out, nil
}

// checkSaved applies SaveParties' rules to a party of a batch and its
// stored document: todo is false for a party stored exactly as given
// already; before is the stored party, nil for none.
func checkSaved(p party.Party, snap *gfs.DocumentSnapshot) (todo bool, before *party.Party, err error) {
	var stored party.Party
	if snap.Exists() {
		if stored, err = decodeParty(snap); err != nil {
			return false, nil, err
		}
		if party.Saved(p, stored) {
			return false, nil, nil
		}
		before = &stored
	}
	if err := party.CheckStored(p, snap.Exists(), stored.ConferenceID, stored.Version); err != nil {
		return false, nil, err
	}
	return true, before, nil
}

// saveStep writes one step of a batch in one transaction and returns the
// parties it wrote (those not stored as given already); the last step
// also writes the pending audit entries.
func (s *Store) saveStep(ctx context.Context, ps []party.Party, last bool) ([]party.Party, error) {
	refs := make([]*gfs.DocumentRef, len(ps))
	for i, p := range ps {
		refs[i] = s.parties.Doc(p.ID)
	}
	var written []party.Party
	err := s.runTx(ctx, s.longTxBudget, func(ctx context.Context, tx *gfs.Transaction) error {
		snaps, err := tx.GetAll(refs)
		if err != nil {
			return err
		}
		written = written[:0]
		var befores []*party.Party
		var wrefs []*gfs.DocumentRef
		for i, snap := range snaps {
			todo, before, err := checkSaved(ps[i], snap)
			if err != nil {
				return err
			}
			if todo {
				written = append(written, ps[i])
				befores = append(befores, before)
				wrefs = append(wrefs, refs[i])
			}
		}
		if len(written) == 0 {
			return nil // saved before, audit entries included
		}
		// Positions, one per party in the batch's order, and each
		// conference's revision raised once.
		if err := s.record(tx, befores, written); err != nil {
			return err
		}
		for i, p := range written {
			if err := tx.Set(wrefs[i], marshalParty(p)); err != nil {
				return err
			}
		}
		if !last {
			return nil
		}
		return s.writeAudit(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return written, nil
}

func (s *Store) revisionRef(conferenceID string) *gfs.DocumentRef {
	return s.coll(revisionsCollection).Doc(conferenceID)
}

// bumpRevision raises the conference's revision within tx (a write only:
// it needs no read, so it never makes the transaction contend on reads).
func (s *Store) bumpRevision(tx *gfs.Transaction, conferenceID string) error {
	if !validDocID(conferenceID) {
		return nil
	}
	return tx.Set(s.revisionRef(conferenceID), map[string]any{"n": gfs.Increment(1)}, gfs.MergeAll)
}

// Revision returns a value that changes with every write of the
// conference's parties: its revision document, one read. A conference
// whose parties were all written before revisions existed has none; for
// it the count and version sum of its parties stand in (one aggregation
// query: parties are never deleted and every write raises a version).
func (s *Store) Revision(ctx context.Context, conferenceID string) (string, error) {
	if validDocID(conferenceID) {
		snap, err := s.revisionRef(conferenceID).Get(ctx)
		switch {
		case err == nil:
			var d revisionDoc
			if err := snap.DataTo(&d); err != nil {
				return "", fmt.Errorf("revision of %s: %w", conferenceID, err)
			}
			return fmt.Sprintf("r%d", d.N), nil
		case !isNotFound(err):
			return "", fmt.Errorf("revision of %s: %w", conferenceID, translate(err))
		}
	}
	res, err := s.aggregate(partiesRevision, conferenceID).Get(ctx)
	if err != nil {
		return "", fmt.Errorf("revision of %s: %w", conferenceID, translate(err))
	}
	var r struct {
		Count int64 `firestore:"count"`
		Sum   int64 `firestore:"sum_version"`
	}
	if err := res.DataTo(&r); err != nil {
		return "", fmt.Errorf("revision of %s: %w", conferenceID, err)
	}
	return fmt.Sprintf("%d.%d", r.Count, r.Sum), nil
}

func decodeParty(snap *gfs.DocumentSnapshot) (party.Party, error) {
	var d partyDoc
	if err := snap.DataTo(&d); err != nil {
		return party.Party{}, fmt.Errorf("decode party %s: %w", snap.Ref.ID, err)
	}
	return unmarshalParty(snap.Ref.ID, d), nil
}
