package firestore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	gfs "cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

// sharesCollection holds shared lists, shares/{code}: top level, so a code
// is found without knowing its owner; clients have no access (the rules
// match nothing here), the functions read it for them.
const sharesCollection = "shares"

// shareDoc is a stored share. PartyIDs is absent for a live list.
type shareDoc struct {
	UID       string    `firestore:"uid"`
	Title     string    `firestore:"title"`
	Live      bool      `firestore:"live"`
	PartyIDs  []string  `firestore:"partyIds,omitempty"`
	CreatedAt time.Time `firestore:"createdAt"`
}

func (s *Store) shares() *gfs.CollectionRef { return s.client.Collection(s.prefix + sharesCollection) }

// CreateShare stores a new share. Invalid if it breaks an invariant,
// Conflict if its code is taken.
func (s *Store) CreateShare(ctx context.Context, sh attendee.Share) error {
	if err := sh.Validate(); err != nil {
		return fmt.Errorf("create share: %w", err)
	}
	d := shareDoc{UID: sh.UID, Title: sh.Title, Live: sh.Live(), PartyIDs: sh.PartyIDs, CreatedAt: storedTime(sh.CreatedAt)}
	if _, err := s.shares().Doc(sh.Code).Create(ctx, d); err != nil {
		if status.Code(err) == codes.AlreadyExists {
			return apperr.New(apperr.Conflict, "the share code is taken")
		}
		return fmt.Errorf("create share: %w", translate(err))
	}
	return nil
}

func shareOf(code string, d shareDoc) attendee.Share {
	sh := attendee.Share{Code: code, UID: d.UID, Title: d.Title, CreatedAt: d.CreatedAt.UTC()}
	if !d.Live {
		sh.PartyIDs = d.PartyIDs
		if sh.PartyIDs == nil {
			sh.PartyIDs = []string{}
		}
	}
	return sh
}

// Share returns the share with this code, or NotFound.
func (s *Store) Share(ctx context.Context, code string) (attendee.Share, error) {
	if !attendee.ValidShareCode(code) {
		return attendee.Share{}, apperr.New(apperr.NotFound, "no such share")
	}
	snap, err := s.shares().Doc(code).Get(ctx)
	if isNotFound(err) {
		return attendee.Share{}, apperr.New(apperr.NotFound, "no such share")
	}
	if err != nil {
		return attendee.Share{}, fmt.Errorf("share: %w", translate(err))
	}
	var d shareDoc
	if err := snap.DataTo(&d); err != nil {
		return attendee.Share{}, fmt.Errorf("decode share: %w", err)
	}
	return shareOf(code, d), nil
}

// SharesOf returns the user's shares, newest first (sorted here: see
// sharesByUser).
func (s *Store) SharesOf(ctx context.Context, uid string) ([]attendee.Share, error) {
	it := s.query(sharesByUser, uid).Documents(ctx)
	defer it.Stop()
	out := []attendee.Share{}
	for {
		snap, err := it.Next()
		if errors.Is(err, iterator.Done) {
			slices.SortFunc(out, func(a, b attendee.Share) int {
				if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
					return c
				}
				return strings.Compare(a.Code, b.Code)
			})
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("shares of %s: %w", uid, translate(err))
		}
		var d shareDoc
		if err := snap.DataTo(&d); err != nil {
			return nil, fmt.Errorf("decode share: %w", err)
		}
		out = append(out, shareOf(snap.Ref.ID, d))
	}
}

// DeleteShare revokes one of the user's shares; NotFound when the user
// has no share with this code.
func (s *Store) DeleteShare(ctx context.Context, uid, code string) error {
	notFound := apperr.New(apperr.NotFound, "you have no share %q", code)
	if !attendee.ValidShareCode(code) {
		return notFound
	}
	ref := s.shares().Doc(code)
	return s.runTx(ctx, s.txBudget, func(ctx context.Context, tx *gfs.Transaction) error {
		snap, err := tx.Get(ref)
		if isNotFound(err) {
			return notFound
		}
		if err != nil {
			return err
		}
		var d shareDoc
		if err := snap.DataTo(&d); err != nil {
			return fmt.Errorf("decode share: %w", err)
		}
		if d.UID != uid {
			return notFound
		}
		return tx.Delete(ref)
	})
}

// deleteSharesOf deletes every share of the user (an erasure).
func (s *Store) deleteSharesOf(ctx context.Context, uid string) error {
	refs, err := s.query(sharesByUser, uid).Documents(ctx).GetAll()
	if err != nil {
		return err
	}
	for _, snap := range refs {
		if _, err := snap.Ref.Delete(ctx); err != nil {
			return err
		}
	}
	return nil
}
