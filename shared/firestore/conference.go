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
	_, err := s.conferences.Doc(c.ID).Create(ctx, marshalConference(c))
	if status.Code(err) == codes.AlreadyExists {
		return conference.Conference{}, fmt.Errorf("create conference: %w",
			apperr.New(apperr.Conflict, "conference %q already exists", c.ID))
	}
	if err != nil {
		return conference.Conference{}, fmt.Errorf("create conference %s: %w", c.ID, translate(err))
	}
	return c, nil
}

func decodeConference(snap *gfs.DocumentSnapshot) (conference.Conference, error) {
	var d conferenceDoc
	if err := snap.DataTo(&d); err != nil {
		return conference.Conference{}, fmt.Errorf("decode conference %s: %w", snap.Ref.ID, err)
	}
	return unmarshalConference(snap.Ref.ID, d), nil
}
