package firestore

import (
	"context"
	"fmt"

	gfs "cloud.google.com/go/firestore"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

func (s *Store) tokenRef(hash string) *gfs.DocumentRef {
	return s.client.Collection(s.prefix + calendarTokensCollection).Doc(hash)
}

// CalendarLink returns the user's calendar link (generation 0 when none
// was issued).
func (s *Store) CalendarLink(ctx context.Context, uid string) (attendee.CalendarLink, error) {
	if !validDocID(uid) {
		return attendee.CalendarLink{UID: uid}, nil
	}
	d, _, err := getUser(s.userRef(uid).Get(ctx))
	if err != nil {
		return attendee.CalendarLink{}, fmt.Errorf("calendar link of %s: %w", uid, translate(err))
	}
	return attendee.CalendarLink{UID: uid, Generation: d.Generation, TokenHash: d.TokenHash}, nil
}

// UpdateCalendarLink loads the user's link, applies fn and, when it
// changed, stores it in one transaction: it deletes the previous token's
// document, writes the new one and updates the user's document (leaving
// the profile alone). Invalid if the result breaks an invariant or cannot
// be stored; Conflict if another user holds the new hash.
func (s *Store) UpdateCalendarLink(ctx context.Context, uid string, fn func(*attendee.CalendarLink) error) (attendee.CalendarLink, error) {
	if err := checkUID(uid); err != nil {
		return attendee.CalendarLink{}, fmt.Errorf("update calendar link: %w", err)
	}
	user := s.userRef(uid)
	var out attendee.CalendarLink
	err := s.runTx(ctx, s.txBudget, func(ctx context.Context, tx *gfs.Transaction) error {
		d, _, err := getUser(tx.Get(user))
		if err != nil {
			return err
		}
		before := attendee.CalendarLink{UID: uid, Generation: d.Generation, TokenHash: d.TokenHash}
		l, changed, err := before.Update(fn)
		out = l
		if err != nil || !changed {
			return err
		}
		if err := checkToken(uid, l.Generation, l.TokenHash); err != nil {
			return err
		}
		token := s.tokenRef(l.TokenHash)
		snap, err := tx.Get(token)
		if err != nil && !isNotFound(err) {
			return err
		}
		if snap != nil && snap.Exists() {
			var holder tokenDoc
			if err := snap.DataTo(&holder); err != nil {
				return fmt.Errorf("decode calendar token: %w", err)
			}
			if holder.UID != uid {
				return apperr.New(apperr.Conflict, "the calendar token is another user's")
			}
		}
		// Only this store writes token documents, and only for a hash no
		// other user holds: the previous hash's document is this user's.
		if before.TokenHash != "" && before.TokenHash != l.TokenHash && validDocID(before.TokenHash) {
			if err := tx.Delete(s.tokenRef(before.TokenHash)); err != nil {
				return err
			}
		}
		if err := tx.Set(token, tokenDoc{UID: uid}); err != nil {
			return err
		}
		return tx.Set(user, calendarDoc{Generation: l.Generation, TokenHash: l.TokenHash}, calendarMerge())
	})
	if err != nil {
		return attendee.CalendarLink{}, fmt.Errorf("update calendar link of %s: %w", uid, translate(err))
	}
	return out, nil
}

// UserByCalendarToken returns the user whose current token has this hash,
// or NotFound. It reads one document by id.
func (s *Store) UserByCalendarToken(ctx context.Context, tokenHash string) (string, error) {
	notFound := fmt.Errorf("user by calendar token: %w", apperr.New(apperr.NotFound, "no calendar with this token"))
	if !validDocID(tokenHash) {
		return "", notFound
	}
	snap, err := s.tokenRef(tokenHash).Get(ctx)
	if isNotFound(err) {
		return "", notFound
	}
	if err != nil {
		return "", fmt.Errorf("user by calendar token: %w", translate(err))
	}
	var d tokenDoc
	if err := snap.DataTo(&d); err != nil {
		return "", fmt.Errorf("user by calendar token: decode: %w", err)
	}
	return d.UID, nil
}
