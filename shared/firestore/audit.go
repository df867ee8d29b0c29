package firestore

import (
	"context"
	"errors"
	"fmt"
	"time"

	gfs "cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"

	"github.com/partyfinder/partyfinder/shared/audit"
)

// auditCollection holds the audit trail: auditLog/{entryId}. Clients can
// neither read nor write it (firestore.rules).
const auditCollection = "auditLog"

const (
	fieldAuditParty = "partyId"
	fieldAuditActor = "actor"
	fieldAuditKey   = "key"
)

// auditDoc is one audit entry as stored.
type auditDoc struct {
	Key        string            `firestore:"key"` // the document id
	At         time.Time         `firestore:"at"`
	Actor      string            `firestore:"actor"`
	Action     string            `firestore:"action"`
	Conference string            `firestore:"conferenceId"`
	Party      string            `firestore:"partyId"`
	Before     map[string]string `firestore:"before"`
	After      map[string]string `firestore:"after"`
	Forced     bool              `firestore:"forced"`
	Note       string            `firestore:"note"`
}

// writeAudit adds the audit entries pending in ctx to the transaction of
// the change they record.
func (s *Store) writeAudit(ctx context.Context, tx *gfs.Transaction) error {
	for _, e := range audit.PendingFrom(ctx).Items() {
		d := auditDoc{Key: e.ID, At: storedTime(e.At), Actor: e.Actor, Action: e.Action, Conference: e.Conference,
			Party: e.Party, Before: e.Before, After: e.After, Forced: e.Forced, Note: e.Note}
		if err := tx.Create(s.coll(auditCollection).Doc(e.ID), d); err != nil {
			return fmt.Errorf("audit entry %s: %w", e.ID, err)
		}
	}
	return nil
}

// AuditEntries returns the entries q selects, newest first, and whether
// more follow.
func (s *Store) AuditEntries(ctx context.Context, q audit.Query) ([]audit.Entry, bool, error) {
	lo, hi := "", ""
	if !q.From.IsZero() {
		lo = audit.IDBound(q.From)
	}
	if !q.To.IsZero() {
		hi = audit.IDBound(q.To)
	}
	if q.After != "" && (hi == "" || q.After < hi) {
		hi = q.After
	}
	var query gfs.Query
	switch {
	case q.Party != "" && q.Actor != "":
		query = s.ranged(auditByPartyActor, lo, hi, q.Party, q.Actor)
	case q.Party != "":
		query = s.ranged(auditByParty, lo, hi, q.Party)
	case q.Actor != "":
		query = s.ranged(auditByActor, lo, hi, q.Actor)
	default:
		query = s.ranged(auditAll, lo, hi)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = audit.DefaultLimit
	}
	it := query.Limit(limit + 1).Documents(ctx)
	defer it.Stop()
	var out []audit.Entry
	for {
		snap, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("audit entries: %w", translate(err))
		}
		var d auditDoc
		if err := snap.DataTo(&d); err != nil {
			return nil, false, fmt.Errorf("audit entry %s: %w", snap.Ref.ID, err)
		}
		out = append(out, audit.Entry{ID: snap.Ref.ID, At: d.At.UTC(), Actor: d.Actor, Action: d.Action,
			Conference: d.Conference, Party: d.Party, Before: d.Before, After: d.After, Forced: d.Forced, Note: d.Note})
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}
