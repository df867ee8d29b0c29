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
var _ attendee.Repository = (*Store)(nil)

const profileColumns = `uid, display_name, company, job_title, persona, visibility, created_at, updated_at`

// Profile returns the stored profile, or NotFound.
func (s *Store) Profile(ctx context.Context, uid string) (attendee.Profile, error) {
	p, err := getProfile(ctx, s.read, uid)
	if err != nil {
		return attendee.Profile{}, fmt.Errorf("profile: %w", err)
	}
	return p, nil
}

// SaveProfile creates or replaces the profile in one transaction. CreatedAt
// is kept from the stored profile (now for a new one) and UpdatedAt set to
// now, never earlier than the stored UpdatedAt; the caller's values for both
// are ignored. Invalid if the profile breaks an invariant.
func (s *Store) SaveProfile(ctx context.Context, p attendee.Profile) (attendee.Profile, error) {
	if err := p.Validate(); err != nil {
		return attendee.Profile{}, fmt.Errorf("save profile: %w", err)
	}
	var out attendee.Profile
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.nowUTC()
		p.CreatedAt, p.UpdatedAt = now, now
		old, err := getProfile(ctx, tx, p.UID)
		switch {
		case err == nil:
			p.CreatedAt = old.CreatedAt
			// Clocks step back (NTP, another instance): UpdatedAt does not.
			if !now.After(old.UpdatedAt) {
				p.UpdatedAt = old.UpdatedAt.Add(time.Microsecond)
			}
		case !apperr.Is(err, apperr.NotFound):
			return err
		}
		created, _ := nanos("createdAt", p.CreatedAt) // a time this store wrote
		updated, _ := nanos("updatedAt", p.UpdatedAt)
		_, err = tx.ExecContext(ctx, `INSERT INTO profiles (`+profileColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (uid) DO UPDATE SET
				display_name = excluded.display_name, company = excluded.company,
				job_title = excluded.job_title, persona = excluded.persona,
				visibility = excluded.visibility, updated_at = excluded.updated_at`,
			p.UID, p.DisplayName, p.Company, p.JobTitle, string(p.Persona), string(p.Visibility), created, updated)
		if err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return attendee.Profile{}, fmt.Errorf("save profile %s: %w", p.UID, err)
	}
	return out, nil
}

// RecordSwipe stores the swipe, replacing the user's earlier decision about
// the party, and in the same transaction saves the party (like, interested;
// a party saved already keeps its save time) or removes its save (pass). A
// swipe without a time is stamped now. Invalid if the uid is empty, the
// party id malformed or the action unknown.
func (s *Store) RecordSwipe(ctx context.Context, sw attendee.Swipe) (attendee.SwipeResult, error) {
	if err := sw.Validate(); err != nil {
		return attendee.SwipeResult{}, fmt.Errorf("record swipe: %w", err)
	}
	sw.At = s.stamp(sw.At)
	at, err := nanos("at", sw.At)
	if err != nil {
		return attendee.SwipeResult{}, fmt.Errorf("record swipe: %w", err)
	}
	res := attendee.SwipeResult{Swipe: sw, Saved: sw.Action.Saves()}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var prev string
		err := tx.QueryRowContext(ctx, `SELECT action FROM swipes WHERE uid = ? AND party_id = ?`, sw.UID, sw.PartyID).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res.Previous = attendee.Action(prev)
		if _, err := tx.ExecContext(ctx, `INSERT INTO swipes (uid, party_id, action, at) VALUES (?, ?, ?, ?)
			ON CONFLICT (uid, party_id) DO UPDATE SET action = excluded.action, at = excluded.at`,
			sw.UID, sw.PartyID, string(sw.Action), at); err != nil {
			return err
		}
		if res.Saved {
			_, err = tx.ExecContext(ctx, `INSERT INTO saves (uid, party_id, at) VALUES (?, ?, ?)
				ON CONFLICT (uid, party_id) DO NOTHING`, sw.UID, sw.PartyID, at)
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM saves WHERE uid = ? AND party_id = ?`, sw.UID, sw.PartyID)
		}
		return err
	})
	if err != nil {
		return attendee.SwipeResult{}, fmt.Errorf("record swipe %s/%s: %w", sw.UID, sw.PartyID, err)
	}
	return res, nil
}

// Swipes returns the user's decisions, oldest first; decisions made at the
// same instant come in party id order.
func (s *Store) Swipes(ctx context.Context, uid string) ([]attendee.Swipe, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT party_id, action, at FROM swipes
		WHERE uid = ? ORDER BY at, party_id`, uid)
	if err != nil {
		return nil, fmt.Errorf("swipes of %s: %w", uid, err)
	}
	defer rows.Close()
	var out []attendee.Swipe
	for rows.Next() {
		sw := attendee.Swipe{UID: uid}
		var action string
		var at sql.NullInt64
		if err := rows.Scan(&sw.PartyID, &action, &at); err != nil {
			return nil, fmt.Errorf("swipes of %s: %w", uid, err)
		}
		sw.Action, sw.At = attendee.Action(action), fromNanos(at)
		out = append(out, sw)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("swipes of %s: %w", uid, err)
	}
	return out, nil
}

// AddSave saves a party; it reports false when it was saved already (the
// original time is kept). A save without a time is stamped now. Invalid if
// the uid is empty or the party id malformed.
func (s *Store) AddSave(ctx context.Context, sv attendee.Save) (bool, error) {
	if err := sv.Validate(); err != nil {
		return false, fmt.Errorf("add save: %w", err)
	}
	at, err := nanos("at", s.stamp(sv.At))
	if err != nil {
		return false, fmt.Errorf("add save: %w", err)
	}
	res, err := s.write.ExecContext(ctx, `INSERT INTO saves (uid, party_id, at) VALUES (?, ?, ?)
		ON CONFLICT (uid, party_id) DO NOTHING`, sv.UID, sv.PartyID, at)
	if err != nil {
		return false, fmt.Errorf("add save %s/%s: %w", sv.UID, sv.PartyID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("add save %s/%s: %w", sv.UID, sv.PartyID, err)
	}
	return n == 1, nil
}

// RemoveSave removes a save; it reports false when there was none. The
// swipe that made the save, if any, stays.
func (s *Store) RemoveSave(ctx context.Context, uid, partyID string) (bool, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM saves WHERE uid = ? AND party_id = ?`, uid, partyID)
	if err != nil {
		return false, fmt.Errorf("remove save %s/%s: %w", uid, partyID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("remove save %s/%s: %w", uid, partyID, err)
	}
	return n > 0, nil
}

// Saves returns the user's saved parties, oldest first; parties saved at
// the same instant come in party id order.
func (s *Store) Saves(ctx context.Context, uid string) ([]attendee.Save, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT party_id, at FROM saves WHERE uid = ? ORDER BY at, party_id`, uid)
	if err != nil {
		return nil, fmt.Errorf("saves of %s: %w", uid, err)
	}
	defer rows.Close()
	var out []attendee.Save
	for rows.Next() {
		sv := attendee.Save{UID: uid}
		var at sql.NullInt64
		if err := rows.Scan(&sv.PartyID, &at); err != nil {
			return nil, fmt.Errorf("saves of %s: %w", uid, err)
		}
		sv.At = fromNanos(at)
		out = append(out, sv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("saves of %s: %w", uid, err)
	}
	return out, nil
}

// CalendarToken returns the generation of the user's personal calendar link
// and the hash of its token (0 and "" when none was issued).
func (s *Store) CalendarToken(ctx context.Context, uid string) (int64, string, error) {
	var gen int64
	var hash string
	err := s.read.QueryRowContext(ctx, `SELECT generation, hash FROM calendar_tokens WHERE uid = ?`, uid).Scan(&gen, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("calendar token of %s: %w", uid, err)
	}
	return gen, hash, nil
}

// SetCalendarToken records a new generation and the hash of its token,
// forgetting the previous hash in the same transaction. Invalid if the uid
// or hash is empty or the generation not positive; Conflict if another user
// holds the hash.
func (s *Store) SetCalendarToken(ctx context.Context, uid string, generation int64, tokenHash string) error {
	if err := attendee.ValidateToken(uid, generation, tokenHash); err != nil {
		return fmt.Errorf("set calendar token: %w", err)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var holder string
		err := tx.QueryRowContext(ctx, `SELECT uid FROM calendar_tokens WHERE hash = ?`, tokenHash).Scan(&holder)
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
			tokenHash, uid, generation)
		return err
	})
	if err != nil {
		return fmt.Errorf("set calendar token of %s: %w", uid, err)
	}
	return nil
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
		return "", fmt.Errorf("user by calendar token: %w", err)
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
		for _, table := range []string{"profiles", "swipes", "saves", "calendar_tokens"} {
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

// stamp returns t in UTC as stored, or now for the zero time.
func (s *Store) stamp(t time.Time) time.Time {
	if t.IsZero() {
		return s.nowUTC()
	}
	return t.UTC().Round(0)
}

// ErasedAt returns when the user's data was last erased, or the zero time.
func (s *Store) ErasedAt(ctx context.Context, uid string) (time.Time, error) {
	var at int64
	err := s.read.QueryRowContext(ctx, `SELECT at FROM erasures WHERE uid = ?`, uid).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("erased at %s: %w", uid, err)
	}
	return time.Unix(0, at).UTC(), nil
}
