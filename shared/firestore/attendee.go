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
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

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

// SaveProfile creates or replaces the profile in one transaction. CreatedAt
// is kept from the stored profile (now for a new one) and UpdatedAt set to
// now, never earlier than the stored UpdatedAt; the caller's values for both
// are ignored. The calendar link in the same document is left alone.
// Invalid if the profile breaks an invariant or its uid cannot be a
// document id.
func (s *Store) SaveProfile(ctx context.Context, p attendee.Profile) (attendee.Profile, error) {
	if err := p.Validate(); err != nil {
		return attendee.Profile{}, fmt.Errorf("save profile: %w", err)
	}
	if err := checkUID(p.UID); err != nil {
		return attendee.Profile{}, fmt.Errorf("save profile: %w", err)
	}
	ref := s.userRef(p.UID)
	var out attendee.Profile
	err := s.client.RunTransaction(ctx, func(ctx context.Context, tx *gfs.Transaction) error {
		d, _, err := getUser(tx.Get(ref))
		if err != nil {
			return err
		}
		now := storedTime(s.now())
		out = p
		out.CreatedAt, out.UpdatedAt = now, now
		if old, ok := unmarshalProfile(p.UID, d.profileDoc); ok {
			// A profile a client wrote itself has no timestamps.
			if !old.CreatedAt.IsZero() {
				out.CreatedAt = old.CreatedAt
			}
			// Clocks step back (NTP, another instance): UpdatedAt does not.
			if !old.UpdatedAt.IsZero() && !now.After(old.UpdatedAt) {
				out.UpdatedAt = old.UpdatedAt.Add(time.Microsecond)
			}
		}
		return tx.Set(ref, marshalProfile(out), profileMerge)
	}, gfs.MaxAttempts(txAttempts))
	if err != nil {
		return attendee.Profile{}, fmt.Errorf("save profile %s: %w", p.UID, translate(err))
	}
	return out, nil
}

// RecordSwipe stores the swipe, replacing the user's earlier decision about
// the party, and in the same transaction saves the party (like, interested;
// a party saved already keeps its save time) or removes its save (pass). A
// swipe without a time is stamped now. Invalid if the uid is empty or not a
// document id, the party id malformed or the action unknown.
func (s *Store) RecordSwipe(ctx context.Context, sw attendee.Swipe) (attendee.SwipeResult, error) {
	if err := checkSwipe(sw); err != nil {
		return attendee.SwipeResult{}, fmt.Errorf("record swipe: %w", err)
	}
	sw.At = s.stamp(sw.At)
	user := s.userRef(sw.UID)
	swipeRef := user.Collection(swipesCollection).Doc(sw.PartyID)
	saveRef := user.Collection(savesCollection).Doc(sw.PartyID)
	res := attendee.SwipeResult{Swipe: sw, Saved: sw.Action.Saves()}
	err := s.client.RunTransaction(ctx, func(ctx context.Context, tx *gfs.Transaction) error {
		snaps, err := tx.GetAll([]*gfs.DocumentRef{swipeRef, saveRef})
		if err != nil {
			return err
		}
		res.Previous = ""
		if snaps[0].Exists() {
			var prev swipeDoc
			if err := snaps[0].DataTo(&prev); err != nil {
				return fmt.Errorf("decode swipe: %w", err)
			}
			res.Previous = attendee.Action(prev.Action)
		}
		if err := tx.Set(swipeRef, marshalSwipe(sw)); err != nil {
			return err
		}
		saved := snaps[1].Exists()
		switch {
		case res.Saved && !saved:
			return tx.Create(saveRef, marshalSave(attendee.Save{UID: sw.UID, PartyID: sw.PartyID, At: sw.At}))
		case !res.Saved && saved:
			return tx.Delete(saveRef)
		}
		return nil
	}, gfs.MaxAttempts(txAttempts))
	if err != nil {
		return attendee.SwipeResult{}, fmt.Errorf("record swipe %s/%s: %w", sw.UID, sw.PartyID, translate(err))
	}
	return res, nil
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

// AddSave saves a party; it reports false when it was saved already (the
// original time is kept). A save without a time is stamped now. Invalid if
// the uid is empty or not a document id, or the party id malformed.
func (s *Store) AddSave(ctx context.Context, sv attendee.Save) (bool, error) {
	if err := checkSave(sv); err != nil {
		return false, fmt.Errorf("add save: %w", err)
	}
	sv.At = s.stamp(sv.At)
	_, err := s.userRef(sv.UID).Collection(savesCollection).Doc(sv.PartyID).Create(ctx, marshalSave(sv))
	if status.Code(err) == codes.AlreadyExists {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("add save %s/%s: %w", sv.UID, sv.PartyID, translate(err))
	}
	return true, nil
}

// RemoveSave removes a save; it reports false when there was none. The
// swipe that made the save, if any, stays.
func (s *Store) RemoveSave(ctx context.Context, uid, partyID string) (bool, error) {
	if !validDocID(uid) || !validDocID(partyID) {
		return false, nil
	}
	// The precondition makes the delete report a missing document, in the
	// same single write.
	_, err := s.userRef(uid).Collection(savesCollection).Doc(partyID).Delete(ctx, gfs.Exists)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("remove save %s/%s: %w", uid, partyID, translate(err))
	}
	return true, nil
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

// CalendarToken returns the generation of the user's personal calendar link
// and the hash of its token (0 and "" when none was issued).
func (s *Store) CalendarToken(ctx context.Context, uid string) (int64, string, error) {
	if !validDocID(uid) {
		return 0, "", nil
	}
	d, _, err := getUser(s.userRef(uid).Get(ctx))
	if err != nil {
		return 0, "", fmt.Errorf("calendar token of %s: %w", uid, translate(err))
	}
	return d.Generation, d.TokenHash, nil
}

// SetCalendarToken records a new generation and the hash of its token in
// one transaction: it deletes the previous token's document, writes the new
// one and updates the user's document (leaving the profile alone). Invalid
// if the uid or hash is empty or not a document id, or the generation not
// positive; Conflict if another user holds the hash.
func (s *Store) SetCalendarToken(ctx context.Context, uid string, generation int64, tokenHash string) error {
	if err := checkToken(uid, generation, tokenHash); err != nil {
		return fmt.Errorf("set calendar token: %w", err)
	}
	user, token := s.userRef(uid), s.tokenRef(tokenHash)
	err := s.client.RunTransaction(ctx, func(ctx context.Context, tx *gfs.Transaction) error {
		snaps, err := tx.GetAll([]*gfs.DocumentRef{user, token})
		if err != nil {
			return err
		}
		d, _, err := getUser(snaps[0], nil)
		if err != nil {
			return err
		}
		if snaps[1].Exists() {
			var holder tokenDoc
			if err := snaps[1].DataTo(&holder); err != nil {
				return fmt.Errorf("decode calendar token: %w", err)
			}
			if holder.UID != uid {
				return apperr.New(apperr.Conflict, "the calendar token is another user's")
			}
		}
		// Only this store writes token documents, and only for a hash no
		// other user holds: the previous hash's document is this user's.
		if d.TokenHash != "" && d.TokenHash != tokenHash && validDocID(d.TokenHash) {
			if err := tx.Delete(s.tokenRef(d.TokenHash)); err != nil {
				return err
			}
		}
		if err := tx.Set(token, tokenDoc{UID: uid}); err != nil {
			return err
		}
		return tx.Set(user, calendarDoc{Generation: generation, TokenHash: tokenHash}, calendarMerge)
	}, gfs.MaxAttempts(txAttempts))
	if err != nil {
		return fmt.Errorf("set calendar token of %s: %w", uid, translate(err))
	}
	return nil
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
	err := s.client.RunTransaction(ctx, func(ctx context.Context, tx *gfs.Transaction) error {
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
	}, gfs.MaxAttempts(txAttempts))
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
		err := s.client.RunTransaction(ctx, func(ctx context.Context, tx *gfs.Transaction) error {
			for _, ref := range refs {
				if err := tx.Delete(ref); err != nil {
					return err
				}
			}
			return nil
		}, gfs.MaxAttempts(txAttempts))
		if err != nil {
			return err
		}
		if len(refs) < deleteBatch {
			return nil
		}
	}
}

// readAll calls fn for every document of the collection.
func readAll(ctx context.Context, c *gfs.CollectionRef, fn func(*gfs.DocumentSnapshot) error) error {
	it := c.Documents(ctx)
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

// stamp returns t as stored, or now for the zero time.
func (s *Store) stamp(t time.Time) time.Time {
	if t.IsZero() {
		return storedTime(s.now())
	}
	return storedTime(t)
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
