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

// deleteBatch is how many documents DeleteUser deletes per commit:
// Firestore takes at most 500 writes in one.
const deleteBatch = 400

func (s *Store) userRef(uid string) *gfs.DocumentRef {
	return s.client.Collection(s.prefix + usersCollection).Doc(uid)
}

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

func (s *Store) tokenRef(hash string) *gfs.DocumentRef {
	return s.client.Collection(s.prefix + calendarTokensCollection).Doc(hash)
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

// checkStorable adds what Firestore cannot store to the domain's checks.
func checkStorable(d attendee.Decision) error {
	if d.Swipe != nil {
		if err := checkSwipe(*d.Swipe); err != nil {
			return err
		}
	}
	if d.Save != nil {
		return checkSave(*d.Save)
	}
	return nil
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

// validDocID reports whether id can name a Firestore document: not empty,
// no slash, not "." or "..", not of the reserved form __x__, and at most
// 1500 bytes.
func validDocID(id string) bool {
	return id != "" && len(id) <= 1500 && !strings.Contains(id, "/") && id != "." && id != ".." &&
		!(len(id) >= 4 && strings.HasPrefix(id, "__") && strings.HasSuffix(id, "__"))
}

func checkUID(uid string) error {
	if uid == "" {
		return apperr.Field("uid", "required", "is required")
	}
	if !validDocID(uid) {
		return apperr.Field("uid", "format", "cannot name a document")
	}
	return nil
}

// checkSwipe adds what Firestore cannot store to the domain's checks.
func checkSwipe(sw attendee.Swipe) error {
	return withStorable(sw.Validate(), sw.UID, sw.At)
}

// checkSave adds what Firestore cannot store to the domain's checks.
func checkSave(sv attendee.Save) error {
	return withStorable(sv.Validate(), sv.UID, sv.At)
}

// checkToken adds what Firestore cannot store to the domain's checks.
func checkToken(uid string, generation int64, hash string) error {
	err := attendee.ValidateToken(uid, generation, hash)
	if hash != "" && !validDocID(hash) {
		err = addField(err, apperr.FieldError{Field: "tokenHash", Code: "format", Message: "cannot name a document"})
	}
	return withStorable(err, uid, time.Time{})
}

// withStorable adds the problems of a uid that cannot name a document and
// a time past Firestore's range to err's field errors.
func withStorable(err error, uid string, at time.Time) error {
	if uid != "" {
		if uerr := checkUID(uid); uerr != nil {
			e, _ := apperr.As(uerr)
			for _, f := range e.Fields {
				err = addField(err, f)
			}
		}
	}
	if at.After(maxTimestamp) {
		err = addField(err, apperr.FieldError{Field: "at", Code: "range", Message: "must be before the year 10000"})
	}
	return err
}

func addField(err error, f apperr.FieldError) error {
	if e, ok := apperr.As(err); ok {
		return &apperr.Error{Kind: e.Kind, Message: e.Message, Fields: append(e.Fields, f)}
	}
	if err != nil {
		return err
	}
	return &apperr.Error{Kind: apperr.Invalid, Message: "invalid " + f.Field, Fields: []apperr.FieldError{f}}
}
