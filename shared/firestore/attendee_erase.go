package firestore

import (
	"context"
	"errors"
	"fmt"
	"time"

	gfs "cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// deleteBatch is how many documents DeleteUser deletes per commit:
// Firestore takes at most 500 writes in one.
const deleteBatch = 400

func (s *Store) erasureRef(uid string) *gfs.DocumentRef {
	return s.client.Collection(s.prefix + erasuresCollection).Doc(uid)
}

// ErasedAt returns when the user's data was last erased, or the zero time.
func (s *Store) ErasedAt(ctx context.Context, uid string) (time.Time, error) {
	if !validDocID(uid) {
		return time.Time{}, nil
	}
	snap, err := s.erasureRef(uid).Get(ctx)
	if isNotFound(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("erased at %s: %w", uid, translate(err))
	}
	var d erasureDoc
	if err := snap.DataTo(&d); err != nil {
		return time.Time{}, fmt.Errorf("decode erasure of %s: %w", uid, err)
	}
	return d.At.UTC(), nil
}

// DeleteUser erases the profile, swipes, saves and calendar token of a
// user. Deleting a user with no data is not an error; Invalid if the uid is
// empty.
//
// The swipes and saves go first, deleteBatch documents per commit; the
// token's and the user's documents go last, together, so a DeleteUser that
// fails halfway can be repeated and still finds the token to delete. A
// swipe recorded while DeleteUser runs may survive it.
func (s *Store) DeleteUser(ctx context.Context, uid string) error {
	if uid == "" {
		return fmt.Errorf("delete user: %w", apperr.Field("uid", "required", "is required"))
	}
	if !validDocID(uid) {
		return nil // no document can have this id
	}
	// The erasure is recorded first: should a later step fail, tokens from
	// before it are already refused and the retry finishes the job.
	if _, err := s.erasureRef(uid).Set(ctx, erasureDoc{At: storedTime(s.now())}); err != nil {
		return fmt.Errorf("delete user %s: %w", uid, translate(err))
	}
	user := s.userRef(uid)
	for _, sub := range []string{swipesCollection, savesCollection} {
		if err := s.deleteCollection(ctx, user.Collection(sub)); err != nil {
			return fmt.Errorf("delete user %s: %s: %w", uid, sub, translate(err))
		}
	}
	if err := s.deleteSharesOf(ctx, uid); err != nil {
		return fmt.Errorf("delete user %s: shares: %w", uid, translate(err))
	}
	err := s.runTx(ctx, s.txBudget, func(ctx context.Context, tx *gfs.Transaction) error {
		d, exists, err := getUser(tx.Get(user))
		if err != nil || !exists {
			return err
		}
		if d.TokenHash != "" && validDocID(d.TokenHash) {
			token := s.tokenRef(d.TokenHash)
			snap, err := tx.Get(token)
			if err != nil && !isNotFound(err) {
				return err
			}
			var holder tokenDoc
			if snap != nil && snap.Exists() {
				if err := snap.DataTo(&holder); err != nil {
					return fmt.Errorf("decode calendar token: %w", err)
				}
			}
			if holder.UID == uid {
				if err := tx.Delete(token); err != nil {
					return err
				}
			}
		}
		return tx.Delete(user)
	})
	if err != nil {
		return fmt.Errorf("delete user %s: %w", uid, translate(err))
	}
	return nil
}

// deleteCollection deletes every document of the collection, deleteBatch
// per commit.
func (s *Store) deleteCollection(ctx context.Context, c *gfs.CollectionRef) error {
	for {
		it := c.DocumentRefs(ctx)
		var refs []*gfs.DocumentRef
		for len(refs) < deleteBatch {
			ref, err := it.Next()
			if errors.Is(err, iterator.Done) {
				break
			}
			if err != nil {
				return err
			}
			refs = append(refs, ref)
		}
		if len(refs) == 0 {
			return nil
		}
		err := s.runTx(ctx, s.longTxBudget, func(ctx context.Context, tx *gfs.Transaction) error {
			for _, ref := range refs {
				if err := tx.Delete(ref); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(refs) < deleteBatch {
			return nil
		}
	}
}
