package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

// CreateShare stores a new share. Invalid if it breaks an invariant,
// Conflict if its code is taken.
func (s *Store) CreateShare(ctx context.Context, sh attendee.Share) error {
	if err := sh.Validate(); err != nil {
		return fmt.Errorf("create share: %w", err)
	}
	var ids sql.NullString
	if !sh.Live() {
		b, _ := json.Marshal(sh.PartyIDs)
		ids = sql.NullString{String: string(b), Valid: true}
	}
	created, err := nanos("createdAt", sh.CreatedAt)
	if err != nil {
		return fmt.Errorf("create share: %w", err)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO shares (code, uid, title, party_ids, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING`, sh.Code, sh.UID, sh.Title, ids, created)
		if err != nil {
			return fmt.Errorf("create share: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("create share: %w", err)
		} else if n == 0 {
			return apperr.New(apperr.Conflict, "the share code is taken")
		}
		return nil
	})
}

const shareColumns = `code, uid, title, party_ids, created_at`

func scanShare(row interface{ Scan(...any) error }) (attendee.Share, error) {
	var sh attendee.Share
	var ids sql.NullString
	var created sql.NullInt64
	if err := row.Scan(&sh.Code, &sh.UID, &sh.Title, &ids, &created); err != nil {
		return sh, err
	}
	if ids.Valid {
		if err := json.Unmarshal([]byte(ids.String), &sh.PartyIDs); err != nil {
			return sh, fmt.Errorf("share %s: party ids: %w", sh.Code, err)
		}
		if sh.PartyIDs == nil {
			sh.PartyIDs = []string{}
		}
	}
	sh.CreatedAt = fromNanos(created)
	return sh, nil
}

// Share returns the share with this code, or NotFound.
func (s *Store) Share(ctx context.Context, code string) (attendee.Share, error) {
	if !attendee.ValidShareCode(code) {
		return attendee.Share{}, apperr.New(apperr.NotFound, "no such share")
	}
	sh, err := scanShare(s.read.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM shares WHERE code = ?`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return attendee.Share{}, apperr.New(apperr.NotFound, "no such share")
	}
	if err != nil {
		return attendee.Share{}, fmt.Errorf("share: %w", err)
	}
	return sh, nil
}

// SharesOf returns the user's shares, newest first.
func (s *Store) SharesOf(ctx context.Context, uid string) ([]attendee.Share, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+shareColumns+` FROM shares WHERE uid = ? ORDER BY created_at DESC, code`, uid)
	if err != nil {
		return nil, fmt.Errorf("shares of %s: %w", uid, err)
	}
	defer rows.Close()
	out := []attendee.Share{}
	for rows.Next() {
		sh, err := scanShare(rows)
		if err != nil {
			return nil, fmt.Errorf("shares of %s: %w", uid, err)
		}
		out = append(out, sh)
	}
	return out, rows.Err()
}

// DeleteShare revokes one of the user's shares; NotFound when the user
// has no share with this code.
func (s *Store) DeleteShare(ctx context.Context, uid, code string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM shares WHERE code = ? AND uid = ?`, code, uid)
		if err != nil {
			return fmt.Errorf("delete share: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("delete share: %w", err)
		} else if n == 0 {
			return apperr.New(apperr.NotFound, "you have no share %q", code)
		}
		return nil
	})
}
