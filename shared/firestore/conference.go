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
	"github.com/partyfinder/partyfinder/shared/conference"
)

// Conference returns the conference with the id, or a NotFound error.
func (s *Store) Conference(ctx context.Context, id string) (conference.Conference, error) {
	if !conference.ValidID(id) {
		return conference.Conference{}, fmt.Errorf("conference: %w", apperr.New(apperr.NotFound, "conference %q not found", id))
	}
	snap, err := s.conferences.Doc(id).Get(ctx)
	if isNotFound(err) {
		return conference.Conference{}, fmt.Errorf("conference: %w", apperr.New(apperr.NotFound, "conference %q not found", id))
	}
	if err != nil {
		return conference.Conference{}, fmt.Errorf("conference %s: %w", id, translate(err))
	}
	return decodeConference(snap)
}

// Conferences returns every conference, ordered by first day then id.
func (s *Store) Conferences(ctx context.Context) ([]conference.Conference, error) {
	it := s.query(conferencesByFirstDay).Documents(ctx)
	defer it.Stop()
	var out []conference.Conference
	for {
		snap, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("conferences: %w", translate(err))
		}
		c, err := decodeConference(snap)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
}

// CreateConference stores a new conference with both timestamps set to now.
// It returns Invalid if the conference breaks an invariant and Conflict if
// the id exists.
func (s *Store) CreateConference(ctx context.Context, c conference.Conference) (conference.Conference, error) {
	if err := c.Validate(); err != nil {
		return conference.Conference{}, fmt.Errorf("create conference: %w", err)
	}
	now := storedTime(s.now())
	c.CreatedAt, c.UpdatedAt = now, now
	err := s.runTx(ctx, s.txBudget, func(ctx context.Context, tx *gfs.Transaction) error {
		if err := tx.Create(s.conferences.Doc(c.ID), marshalConference(c)); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx)
	})
	if status.Code(err) == codes.AlreadyExists {
		return conference.Conference{}, fmt.Errorf("create conference: %w",
			apperr.New(apperr.Conflict, "conference %q already exists", c.ID))
	}
	if err != nil {
		return conference.Conference{}, fmt.Errorf("create conference %s: %w", c.ID, translate(err))
	}
	return c, nil
}

// UpdateConference loads the conference, applies fn and stores the result
// in one transaction (conference.ApplyUpdate decides what changed).
func (s *Store) UpdateConference(ctx context.Context, id string, fn func(*conference.Conference) error) (conference.Conference, error) {
	if !conference.ValidID(id) {
		return conference.Conference{}, fmt.Errorf("update conference: %w", apperr.New(apperr.NotFound, "conference %q not found", id))
	}
	ref := s.conferences.Doc(id)
	var out conference.Conference
	var fnErr error
	err := s.runTx(ctx, s.txBudget, func(ctx context.Context, tx *gfs.Transaction) error {
		fnErr = nil
		snap, err := tx.Get(ref)
		if isNotFound(err) {
			return apperr.New(apperr.NotFound, "conference %q not found", id)
		}
		if err != nil {
			return err
		}
		old, err := decodeConference(snap)
		if err != nil {
			return err
		}
		c := old.Clone()
		if err := fn(&c); err != nil {
			fnErr = err
			return err
		}
		c, changed, err := conference.ApplyUpdate(old, c, storedTime(s.now()))
		if err != nil {
			return err
		}
		out = c
		if !changed {
			return nil
		}
		if err := tx.Set(ref, marshalConference(c)); err != nil {
			return err
		}
		// The feed's days and zone come from the conference: instances
		// that watch the revision rebuild.
		if err := s.bumpRevision(tx, id); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx)
	})
	if fnErr != nil && errors.Is(err, fnErr) {
		return conference.Conference{}, fnErr
	}
	if err != nil {
		return conference.Conference{}, fmt.Errorf("update conference %s: %w", id, translate(err))
	}
	return out, nil
}

func decodeConference(snap *gfs.DocumentSnapshot) (conference.Conference, error) {
	var d conferenceDoc
	if err := snap.DataTo(&d); err != nil {
		return conference.Conference{}, fmt.Errorf("decode conference %s: %w", snap.Ref.ID, err)
	}
	return unmarshalConference(snap.Ref.ID, d), nil
}
