package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

// The Store keeps attendee data in the same file as the parties they swipe.
// It only persists: the rules of swipes, saves, profiles and links are the
// attendee domain's, applied in the closures the use cases pass.
var _ attendee.Repository = (*Store)(nil)

const profileColumns = `uid, display_name, company, job_title, persona, visibility, created_at, updated_at`

// Profile returns the stored profile, or NotFound.
func (s *Store) Profile(ctx context.Context, uid string) (attendee.Profile, error) {
	p, err := getProfile(ctx, s.read, uid)
	if err != nil {
		return attendee.Profile{}, fmt.Errorf("profile: %w", busy(ctx, err))
	}
	return p, nil
}

// UpdateProfile loads the profile (a new one for a user who has none),
// applies fn and stores the result in one transaction. Invalid if the
// result breaks an invariant or changes the uid.
func (s *Store) UpdateProfile(ctx context.Context, uid string, fn func(*attendee.Profile) error) (attendee.Profile, error) {
	if uid == "" {
		return attendee.Profile{}, fmt.Errorf("update profile: %w", apperr.Field("uid", "required", "is required"))
	}
	var out attendee.Profile
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		p, err := getProfile(ctx, tx, uid)
		if apperr.Is(err, apperr.NotFound) {
			p, err = attendee.NewProfile(uid), nil
		}
		if err != nil {
			return err
		}
		if p, err = p.Update(fn); err != nil {
			return err
		}
		created, err := nanos("createdAt", p.CreatedAt)
		if err != nil {
			return err
		}
		updated, err := nanos("updatedAt", p.UpdatedAt)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO profiles (`+profileColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (uid) DO UPDATE SET
				display_name = excluded.display_name, company = excluded.company,
				job_title = excluded.job_title, persona = excluded.persona,
				visibility = excluded.visibility, created_at = excluded.created_at,
				updated_at = excluded.updated_at`,
			p.UID, p.DisplayName, p.Company, p.JobTitle, string(p.Persona), string(p.Visibility), created, updated)
		if err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return attendee.Profile{}, fmt.Errorf("update profile %s: %w", uid, err)
	}
	return out, nil
}

// UpdateDecision loads the user's swipe and save of the party, applies fn
// and stores what it leaves, in one transaction. Invalid if the uid is
// empty, the party id malformed or the result breaks an invariant.
func (s *Store) UpdateDecision(ctx context.Context, uid, partyID string, fn func(*attendee.Decision) error) (attendee.Decision, error) {
	if err := attendee.ValidateKey(uid, partyID); err != nil {
		return attendee.Decision{}, fmt.Errorf("update decision: %w", err)
	}
	var out attendee.Decision
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		before, err := getDecision(ctx, tx, uid, partyID)
		if err != nil {
			return err
		}
		d, err := before.Update(fn)
		if err != nil {
			return err
		}
		if err := putSwipe(ctx, tx, before.Swipe, d.Swipe); err != nil {
			return err
		}
		if err := putSave(ctx, tx, before.Save, d.Save); err != nil {
			return err
		}
		out = d
		return nil
	})
	if err != nil {
		return attendee.Decision{}, fmt.Errorf("update decision %s/%s: %w", uid, partyID, err)
	}
	return out, nil
}

// Decision returns the user's swipe and save of the party, read without a
// transaction. Invalid if the uid is empty or the party id malformed.
func (s *Store) Decision(ctx context.Context, uid, partyID string) (attendee.Decision, error) {
	if err := attendee.ValidateKey(uid, partyID); err != nil {
		return attendee.Decision{}, fmt.Errorf("decision: %w", err)
	}
	d, err := getDecision(ctx, s.read, uid, partyID)
	if err != nil {
		return attendee.Decision{}, fmt.Errorf("decision %s/%s: %w", uid, partyID, busy(ctx, err))
	}
	return d, nil
}

func getDecision(ctx context.Context, tx querier, uid, partyID string) (attendee.Decision, error) {
	d := attendee.Decision{UID: uid, PartyID: partyID}
	var action string
	var at sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT action, at FROM swipes WHERE uid = ? AND party_id = ?`, uid, partyID).Scan(&action, &at)
	switch {
	case err == nil:
		d.Swipe = &attendee.Swipe{UID: uid, PartyID: partyID, Action: attendee.Action(action), At: fromNanos(at)}
	case !errors.Is(err, sql.ErrNoRows):
		return d, err
	}
	err = tx.QueryRowContext(ctx, `SELECT at FROM saves WHERE uid = ? AND party_id = ?`, uid, partyID).Scan(&at)
	switch {
	case err == nil:
		d.Save = &attendee.Save{UID: uid, PartyID: partyID, At: fromNanos(at)}
	case !errors.Is(err, sql.ErrNoRows):
		return d, err
	}
	return d, nil
}

// putSwipe writes the swipe when it changed.
func putSwipe(ctx context.Context, tx *sql.Tx, before, after *attendee.Swipe) error {
	switch {
	case after == nil && before == nil, after != nil && before != nil && *after == *before:
		return nil
	case after == nil:
		_, err := tx.ExecContext(ctx, `DELETE FROM swipes WHERE uid = ? AND party_id = ?`, before.UID, before.PartyID)
		return err
	}
	at, err := nanos("at", after.At)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO swipes (uid, party_id, action, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (uid, party_id) DO UPDATE SET action = excluded.action, at = excluded.at`,
		after.UID, after.PartyID, string(after.Action), at)
	return err
}

// putSave writes or deletes the save when it changed.
func putSave(ctx context.Context, tx *sql.Tx, before, after *attendee.Save) error {
	switch {
	case after == nil && before == nil, after != nil && before != nil && *after == *before:
		return nil
	case after == nil:
		_, err := tx.ExecContext(ctx, `DELETE FROM saves WHERE uid = ? AND party_id = ?`, before.UID, before.PartyID)
		return err
	}
	at, err := nanos("at", after.At)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO saves (uid, party_id, at) VALUES (?, ?, ?)
		ON CONFLICT (uid, party_id) DO UPDATE SET at = excluded.at`, after.UID, after.PartyID, at)
	return err
}

// Swipes returns the user's decisions, oldest first; decisions made at the
// same instant come in party id order.
func (s *Store) Swipes(ctx context.Context, uid string) ([]attendee.Swipe, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT party_id, action, at FROM swipes
		WHERE uid = ? ORDER BY at, party_id`, uid)
	if err != nil {
		return nil, fmt.Errorf("swipes of %s: %w", uid, busy(ctx, err))
	}
	defer rows.Close()
	var out []attendee.Swipe
	for rows.Next() {
		sw := attendee.Swipe{UID: uid}
		var action string
		var at sql.NullInt64
		if err := rows.Scan(&sw.PartyID, &action, &at); err != nil {
			return nil, fmt.Errorf("swipes of %s: %w", uid, busy(ctx, err))
		}
		sw.Action, sw.At = attendee.Action(action), fromNanos(at)
		out = append(out, sw)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("swipes of %s: %w", uid, busy(ctx, err))
	}
	return out, nil
}

// Saves returns the user's saved parties, oldest first; parties saved at
// the same instant come in party id order.
func (s *Store) Saves(ctx context.Context, uid string) ([]attendee.Save, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT party_id, at FROM saves WHERE uid = ? ORDER BY at, party_id`, uid)
	if err != nil {
		return nil, fmt.Errorf("saves of %s: %w", uid, busy(ctx, err))
	}
	defer rows.Close()
	var out []attendee.Save
	for rows.Next() {
		sv := attendee.Save{UID: uid}
		var at sql.NullInt64
		if err := rows.Scan(&sv.PartyID, &at); err != nil {
			return nil, fmt.Errorf("saves of %s: %w", uid, busy(ctx, err))
		}
		sv.At = fromNanos(at)
		out = append(out, sv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("saves of %s: %w", uid, busy(ctx, err))
	}
	return out, nil
}

// CalendarLink returns the user's calendar link (generation 0 when none
// was issued).
func (s *Store) CalendarLink(ctx context.Context, uid string) (attendee.CalendarLink, error) {
	l, err := getLink(ctx, s.read, uid)
	if err != nil {
		return l, fmt.Errorf("calendar link of %s: %w", uid, busy(ctx, err))
	}
	return l, nil
}

func getLink(ctx context.Context, q querier, uid string) (attendee.CalendarLink, error) {
	l := attendee.CalendarLink{UID: uid}
	err := q.QueryRowContext(ctx, `SELECT generation, hash FROM calendar_tokens WHERE uid = ?`, uid).Scan(&l.Generation, &l.TokenHash)
	if errors.Is(err, sql.ErrNoRows) {
		return l, nil
	}
	return l, err
}

// UpdateCalendarLink loads the user's link, applies fn and stores the
// result in one transaction, forgetting the previous token hash. Invalid
// if the result breaks an invariant; Conflict if another user holds the
// new hash.
func (s *Store) UpdateCalendarLink(ctx context.Context, uid string, fn func(*attendee.CalendarLink) error) (attendee.CalendarLink, error) {
	var out attendee.CalendarLink
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		before, err := getLink(ctx, tx, uid)
		if err != nil {
			return err
		}
		l, changed, err := before.Update(fn)
		if err != nil || !changed {
			out = l
			return err
		}
		out = l
		var holder string
		err = tx.QueryRowContext(ctx, `SELECT uid FROM calendar_tokens WHERE hash = ?`, l.TokenHash).Scan(&holder)
		if err == nil && holder != uid {
			return apperr.New(apperr.Conflict, "the calendar token is another user's")
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_tokens WHERE uid = ?`, uid); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO calendar_tokens (hash, uid, generation) VALUES (?, ?, ?)`,
			l.TokenHash, uid, l.Generation)
		return err
	})
	if err != nil {
		return attendee.CalendarLink{}, fmt.Errorf("update calendar link of %s: %w", uid, err)
	}
	return out, nil
}

// UserByCalendarToken returns the user whose current token has this hash,
// or NotFound.
func (s *Store) UserByCalendarToken(ctx context.Context, tokenHash string) (string, error) {
	var uid string
	err := s.read.QueryRowContext(ctx, `SELECT uid FROM calendar_tokens WHERE hash = ?`, tokenHash).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("user by calendar token: %w", apperr.New(apperr.NotFound, "no calendar with this token"))
	}
	if err != nil {
		return "", fmt.Errorf("user by calendar token: %w", busy(ctx, err))
	}
	return uid, nil
}

// DeleteUser erases the profile, swipes, saves and calendar token of a user
// in one transaction. Deleting a user with no data is not an error; Invalid
// if the uid is empty.
func (s *Store) DeleteUser(ctx context.Context, uid string) error {
	if uid == "" {
		return fmt.Errorf("delete user: %w", apperr.Field("uid", "required", "is required"))
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, table := range []string{"profiles", "swipes", "saves", "calendar_tokens", "shares"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE uid = ?`, uid); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO erasures (uid, at) VALUES (?, ?)
			ON CONFLICT (uid) DO UPDATE SET at = excluded.at`, uid, s.nowUTC().UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("delete user %s: %w", uid, err)
	}
	return nil
}

func getProfile(ctx context.Context, q querier, uid string) (attendee.Profile, error) {
	var p attendee.Profile
	var persona, visibility string
	var created, updated sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT `+profileColumns+` FROM profiles WHERE uid = ?`, uid).
		Scan(&p.UID, &p.DisplayName, &p.Company, &p.JobTitle, &persona, &visibility, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return attendee.Profile{}, apperr.New(apperr.NotFound, "no profile for user %q", uid)
	}
	if err != nil {
		return attendee.Profile{}, fmt.Errorf("profile %s: %w", uid, err)
	}
	p.Persona, p.Visibility = attendee.Persona(persona), attendee.Visibility(visibility)
	p.CreatedAt, p.UpdatedAt = fromNanos(created), fromNanos(updated)
	return p, nil
}

// ErasedAt returns when the user's data was last erased, or the zero time.
func (s *Store) ErasedAt(ctx context.Context, uid string) (time.Time, error) {
	var at int64
	err := s.read.QueryRowContext(ctx, `SELECT at FROM erasures WHERE uid = ?`, uid).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("erased at %s: %w", uid, busy(ctx, err))
	}
	return time.Unix(0, at).UTC(), nil
}
