package firestore

import (
	"context"
	"fmt"
	"time"

	gfs "cloud.google.com/go/firestore"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// prebuiltCollection holds prebuiltSnapshots/{conferenceId}: the feed's
// prebuilt snapshot of the conference, when the store is the shared cache
// tier (deployments without Redis). Its revision is revisions/{conferenceId}.
const prebuiltCollection = "prebuiltSnapshots"

// maxPrebuilt is the largest prebuilt snapshot SavePrebuilt keeps: a
// Firestore document holds at most 1 MiB, field names and the timestamp
// included.
const maxPrebuilt = 1_000_000

// prebuiltDoc is prebuiltSnapshots/{conferenceId}.
type prebuiltDoc struct {
	Data    []byte    `firestore:"data"`
	SavedAt time.Time `firestore:"savedAt"`
}

func (s *Store) prebuiltRef(conferenceID string) *gfs.DocumentRef {
	return s.coll(prebuiltCollection).Doc(conferenceID)
}

// Prebuilt returns the conference's revision, as Revision does, and its
// prebuilt snapshot (nil when there is none), reading both documents in
// one round trip. A conference without a revision document costs the
// aggregation Revision falls back to. It returns Unavailable when
// Firestore is unreachable.
func (s *Store) Prebuilt(ctx context.Context, conferenceID string) (string, []byte, error) {
	if !validDocID(conferenceID) {
		// No document can be named after it: no snapshot, and Revision
		// aggregates.
		rev, err := s.Revision(ctx, conferenceID)
		return rev, nil, err
	}
	snaps, err := s.client.GetAll(ctx, []*gfs.DocumentRef{s.revisionRef(conferenceID), s.prebuiltRef(conferenceID)})
	if err != nil {
		return "", nil, fmt.Errorf("prebuilt of %s: %w", conferenceID, translate(err))
	}
	var data []byte
	if snaps[1].Exists() {
		var d prebuiltDoc
		if err := snaps[1].DataTo(&d); err != nil {
			return "", nil, fmt.Errorf("decode prebuilt of %s: %w", conferenceID, err)
		}
		data = d.Data
		if data == nil {
			data = []byte{} // a snapshot is there, if an empty one
		}
	}
	if !snaps[0].Exists() {
		rev, err := s.Revision(ctx, conferenceID)
		if err != nil {
			return "", nil, err
		}
		return rev, data, nil
	}
	var r revisionDoc
	if err := snaps[0].DataTo(&r); err != nil {
		return "", nil, fmt.Errorf("revision of %s: %w", conferenceID, err)
	}
	return fmt.Sprintf("r%d", r.N), data, nil
}

// SavePrebuilt keeps data as the conference's prebuilt snapshot, replacing
// any other. It returns Invalid when data is larger than maxPrebuilt (a
// Firestore document holds at most 1 MiB: cold instances then read the
// store instead) or the conference id cannot name a document, and
// Unavailable when Firestore is unreachable.
func (s *Store) SavePrebuilt(ctx context.Context, conferenceID string, data []byte) error {
	if len(data) > maxPrebuilt {
		return fmt.Errorf("save prebuilt of %s: %w", conferenceID, apperr.New(apperr.Invalid,
			"a prebuilt snapshot of %d bytes is larger than the %d a Firestore document can hold", len(data), maxPrebuilt))
	}
	if !validDocID(conferenceID) {
		return fmt.Errorf("save prebuilt: %w", apperr.New(apperr.Invalid, "conference id %q cannot name a document", conferenceID))
	}
	d := prebuiltDoc{Data: data, SavedAt: storedTime(s.now())}
	if _, err := s.prebuiltRef(conferenceID).Set(ctx, d); err != nil {
		return fmt.Errorf("save prebuilt of %s: %w", conferenceID, translate(err))
	}
	return nil
}

// Bump raises the conference's revision, as every write of its parties
// does, and drops its prebuilt snapshot, both in one transaction: every
// instance sees the change at its next check. It returns Invalid when the
// conference id cannot name a document and Unavailable when Firestore is
// unreachable.
func (s *Store) Bump(ctx context.Context, conferenceID string) error {
	if !validDocID(conferenceID) {
		return fmt.Errorf("bump: %w", apperr.New(apperr.Invalid, "conference id %q cannot name a document", conferenceID))
	}
	err := s.runTx(ctx, s.longTxBudget, func(ctx context.Context, tx *gfs.Transaction) error {
		if err := s.bumpRevision(tx, conferenceID); err != nil {
			return err
		}
		return tx.Delete(s.prebuiltRef(conferenceID))
	})
	if err != nil {
		return fmt.Errorf("bump %s: %w", conferenceID, translate(err))
	}
	return nil
}
