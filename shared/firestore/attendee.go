package firestore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	gfs "cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

// The Store keeps attendee data too; see attendee_documents.go for the layout.
var _ attendee.Repository = (*Store)(nil)

func (s *Store) userRef(uid string) *gfs.DocumentRef {
	return s.client.Collection(s.prefix + usersCollection).Doc(uid)
}

// Profile returns the stored profile, or NotFound.
func (s *Store) Profile(ctx context.Context, uid string) (attendee.Profile, error) {
	notFound := fmt.Errorf("profile: %w", apperr.New(apperr.NotFound, "no profile for user %q", uid))
	if !validDocID(uid) {
		return attendee.Profile{}, notFound
	}
	d, exists, err := getUser(s.userRef(uid).Get(ctx))
	if err != nil {
		return attendee.Profile{}, fmt.Errorf("profile %s: %w", uid, translate(err))
	}
	p, ok := unmarshalProfile(uid, d.profileDoc)
	if !exists || !ok {
		return attendee.Profile{}, notFound
	}
	return p, nil
}

// UpdateProfile loads the profile (a new one for a user who has none, or
// whose document holds only a calendar link), applies fn and stores the
// result in one transaction. The calendar link in the same document is
// left alone. Times are stored to the microsecond. Invalid if the result
// breaks an invariant, changes the uid, or the uid cannot be a document id.
func (s *Store) UpdateProfile(ctx context.Context, uid string, fn func(*attendee.Profile) error) (attendee.Profile, error) {
	if err := checkUID(uid); err != nil {
		return attendee.Profile{}, fmt.Errorf("update profile: %w", err)
	}
	ref := s.userRef(uid)
	var out attendee.Profile
	err := s.runTx(ctx, s.txBudget, func(ctx context.Context, tx *gfs.Transaction) error {
		d, _, err := getUser(tx.Get(ref))
		if err != nil {
			return err
		}
		p, ok := unmarshalProfile(uid, d.profileDoc)
		if !ok {
			p = attendee.NewProfile(uid)
		}
		if p, err = p.Update(fn); err != nil {
			return err
		}
		p.CreatedAt, p.UpdatedAt = storedTime(p.CreatedAt), storedTime(p.UpdatedAt)
		out = p
		return tx.Set(ref, marshalProfile(p), profileMerge())
	})
	if err != nil {
		return attendee.Profile{}, fmt.Errorf("update profile %s: %w", uid, translate(err))
	}
	return out, nil
}

// UpdateDecision loads the user's swipe and save of the party, applies fn
// and writes what changed, in one transaction. Times are stored to the
// microsecond. Invalid if the uid is empty or not a document id, the party
// id malformed, or the result breaks an invariant.
func (s *Store) UpdateDecision(ctx context.Context, uid, partyID string, fn func(*attendee.Decision) error) (attendee.Decision, error) {
	if err := withStorable(attendee.ValidateKey(uid, partyID), uid, time.Time{}); err != nil {
		return attendee.Decision{}, fmt.Errorf("update decision: %w", err)
	}
	user := s.userRef(uid)
	swipeRef := user.Collection(swipesCollection).Doc(partyID)
	saveRef := user.Collection(savesCollection).Doc(partyID)
	var out attendee.Decision
	tp := traceparent(ctx)
	err := s.runTx(ctx, s.txBudget, func(ctx context.Context, tx *gfs.Transaction) error {
		snaps, err := tx.GetAll([]*gfs.DocumentRef{swipeRef, saveRef})
		if err != nil {
			return err
		}
		before, err := decodeDecision(uid, partyID, snaps[0], snaps[1])
		if err != nil {
			return err
		}
		d, err := before.Update(fn)
		if err != nil {
			return err
		}
		if err := checkStorable(d); err != nil {
			return err
		}
		if d.Swipe != nil {
			sw := *d.Swipe
			sw.At = storedTime(sw.At)
			d.Swipe = &sw
		}
		if d.Save != nil {
			sv := *d.Save
			sv.At = storedTime(sv.At)
			d.Save = &sv
		}
		out = d
		switch {
		case d.Swipe == nil && before.Swipe != nil:
			err = tx.Delete(swipeRef)
		case d.Swipe != nil && (before.Swipe == nil || *d.Swipe != *before.Swipe):
			err = tx.Set(swipeRef, marshalSwipe(*d.Swipe, tp))
		}
		if err != nil {
			return err
		}
		switch {
		case d.Save == nil && before.Save != nil:
			return tx.Delete(saveRef)
		case d.Save != nil && before.Save == nil:
			return tx.Create(saveRef, marshalSave(*d.Save, tp))
		case d.Save != nil && *d.Save != *before.Save:
			return tx.Set(saveRef, marshalSave(*d.Save, tp))
		}
		return nil
	})
	if err != nil {
		return attendee.Decision{}, fmt.Errorf("update decision %s/%s: %w", uid, partyID, translate(err))
	}
	return out, nil
}

// Decision returns the user's swipe and save of the party, read without a
// transaction: one batch read of the two documents. Invalid if the uid is
// empty or not a document id, or the party id malformed.
func (s *Store) Decision(ctx context.Context, uid, partyID string) (attendee.Decision, error) {
	if err := withStorable(attendee.ValidateKey(uid, partyID), uid, time.Time{}); err != nil {
		return attendee.Decision{}, fmt.Errorf("decision: %w", err)
	}
	user := s.userRef(uid)
	snaps, err := s.client.GetAll(ctx, []*gfs.DocumentRef{user.Collection(swipesCollection).Doc(partyID), user.Collection(savesCollection).Doc(partyID)})
	if err != nil {
		return attendee.Decision{}, fmt.Errorf("decision %s/%s: %w", uid, partyID, translate(err))
	}
	d, err := decodeDecision(uid, partyID, snaps[0], snaps[1])
	if err != nil {
		return attendee.Decision{}, fmt.Errorf("decision %s/%s: %w", uid, partyID, err)
	}
	return d, nil
}

// decodeDecision builds a decision from the swipe and save documents.
func decodeDecision(uid, partyID string, swipe, save *gfs.DocumentSnapshot) (attendee.Decision, error) {
	d := attendee.Decision{UID: uid, PartyID: partyID}
	if swipe.Exists() {
		var sd swipeDoc
		if err := swipe.DataTo(&sd); err != nil {
			return d, fmt.Errorf("decode swipe: %w", err)
		}
		sw := unmarshalSwipe(uid, partyID, sd)
		d.Swipe = &sw
	}
	if save.Exists() {
		var sd saveDoc
		if err := save.DataTo(&sd); err != nil {
			return d, fmt.Errorf("decode save: %w", err)
		}
		sv := unmarshalSave(uid, partyID, sd)
		d.Save = &sv
	}
	return d, nil
}

// Swipes returns the user's decisions, oldest first; decisions made at the
// same instant come in party id order.
//
// It reads the user's whole swipes collection and sorts it here: one user
// swipes at most the parties of a few conferences, and a collection read
// needs no index.
func (s *Store) Swipes(ctx context.Context, uid string) ([]attendee.Swipe, error) {
	if !validDocID(uid) {
		return nil, nil
	}
	var out []attendee.Swipe
	err := readAll(ctx, s.userRef(uid).Collection(swipesCollection), func(snap *gfs.DocumentSnapshot) error {
		var d swipeDoc
		if err := snap.DataTo(&d); err != nil {
			return fmt.Errorf("decode swipe %s: %w", snap.Ref.ID, err)
		}
		out = append(out, unmarshalSwipe(uid, snap.Ref.ID, d))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("swipes of %s: %w", uid, err)
	}
	slices.SortFunc(out, func(a, b attendee.Swipe) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.PartyID, b.PartyID))
	})
	return out, nil
}

// Saves returns the user's saved parties, oldest first; parties saved at
// the same instant come in party id order. Like Swipes, it sorts here.
func (s *Store) Saves(ctx context.Context, uid string) ([]attendee.Save, error) {
	if !validDocID(uid) {
		return nil, nil
	}
	var out []attendee.Save
	err := readAll(ctx, s.userRef(uid).Collection(savesCollection), func(snap *gfs.DocumentSnapshot) error {
		var d saveDoc
		if err := snap.DataTo(&d); err != nil {
			return fmt.Errorf("decode save %s: %w", snap.Ref.ID, err)
		}
		out = append(out, unmarshalSave(uid, snap.Ref.ID, d))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("saves of %s: %w", uid, err)
	}
	slices.SortFunc(out, func(a, b attendee.Save) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.PartyID, b.PartyID))
	})
	return out, nil
}

// readAll calls fn for every document of the collection or query.
func readAll(ctx context.Context, q interface {
	Documents(context.Context) *gfs.DocumentIterator
}, fn func(*gfs.DocumentSnapshot) error) error {
	it := q.Documents(ctx)
	defer it.Stop()
	for {
		snap, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return nil
		}
		if err != nil {
			return translate(err)
		}
		if err := fn(snap); err != nil {
			return err
		}
	}
}

// getUser decodes the result of reading users/{uid}: a missing document is
// an empty one, not an error.
func getUser(snap *gfs.DocumentSnapshot, err error) (userDoc, bool, error) {
	if err != nil && !isNotFound(err) {
		return userDoc{}, false, err
	}
	if snap == nil || !snap.Exists() {
		return userDoc{}, false, nil
	}
	var d userDoc
	if err := snap.DataTo(&d); err != nil {
		return userDoc{}, false, fmt.Errorf("decode user %s: %w", snap.Ref.ID, err)
	}
	return d, true, nil
}
