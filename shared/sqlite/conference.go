package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
)

const conferenceColumns = `id, name, city, time_zone, first_day, last_day, categories, sync_url, created_at, updated_at`

// Conference returns the conference with the id, or a NotFound error.
func (s *Store) Conference(ctx context.Context, id string) (conference.Conference, error) {
	row := s.read.QueryRowContext(ctx, `SELECT `+conferenceColumns+` FROM conferences WHERE id = ?`, id)
	c, err := scanConference(row)
	if errors.Is(err, sql.ErrNoRows) {
		return conference.Conference{}, fmt.Errorf("conference: %w", apperr.New(apperr.NotFound, "conference %q not found", id))
	}
	if err != nil {
		return conference.Conference{}, fmt.Errorf("conference %s: %w", id, busy(ctx, err))
	}
	return c, nil
}

// Conferences returns every conference, ordered by first day then id.
func (s *Store) Conferences(ctx context.Context) ([]conference.Conference, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+conferenceColumns+` FROM conferences ORDER BY first_day, id`)
	if err != nil {
		return nil, fmt.Errorf("conferences: %w", busy(ctx, err))
	}
	defer rows.Close()
	var out []conference.Conference
	for rows.Next() {
		c, err := scanConference(rows)
		if err != nil {
			return nil, fmt.Errorf("conferences: %w", busy(ctx, err))
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("conferences: %w", busy(ctx, err))
	}
	return out, nil
}

// CreateConference stores a new conference with both timestamps set to now.
// It returns Invalid if the conference breaks an invariant and Conflict if
// the id exists.
func (s *Store) CreateConference(ctx context.Context, c conference.Conference) (conference.Conference, error) {
	if err := c.Validate(); err != nil {
		return conference.Conference{}, fmt.Errorf("create conference: %w", err)
	}
	now := s.nowUTC()
	c.CreatedAt, c.UpdatedAt = now, now
	ts, _ := nanos("createdAt", now) // now is always in range
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO conferences (`+conferenceColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			c.ID, c.Name, c.City, c.TimeZone, c.FirstDay, c.LastDay, categoriesJSON(c.Categories), c.SyncURL, ts, ts)
		if err != nil {
			return fmt.Errorf("create conference %s: %w", c.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("create conference %s: %w", c.ID, err)
		} else if n == 0 {
			return fmt.Errorf("create conference: %w", apperr.New(apperr.Conflict, "conference %q already exists", c.ID))
		}
		return nil
	})
	if err != nil {
		return conference.Conference{}, err
	}
	return c, nil
}

// UpdateConference loads the conference, applies fn and stores the result
// in one transaction (conference.ApplyUpdate decides what changed).
func (s *Store) UpdateConference(ctx context.Context, id string, fn func(*conference.Conference) error) (conference.Conference, error) {
	var out conference.Conference
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanConference(tx.QueryRowContext(ctx, `SELECT `+conferenceColumns+` FROM conferences WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("update conference: %w", apperr.New(apperr.NotFound, "conference %q not found", id))
		}
		if err != nil {
			return fmt.Errorf("update conference %s: %w", id, err)
		}
		c := old.Clone()
		if err := fn(&c); err != nil {
			return err
		}
		c, changed, err := conference.ApplyUpdate(old, c, s.nowUTC())
		if err != nil {
			return fmt.Errorf("update conference %s: %w", id, err)
		}
		out = c
		if !changed {
			return errUnchanged
		}
		ts, _ := nanos("updatedAt", c.UpdatedAt)
		_, err = tx.ExecContext(ctx, `UPDATE conferences SET name = ?, city = ?, time_zone = ?, first_day = ?, last_day = ?,
			categories = ?, sync_url = ?, updated_at = ? WHERE id = ?`,
			c.Name, c.City, c.TimeZone, c.FirstDay, c.LastDay, categoriesJSON(c.Categories), c.SyncURL, ts, id)
		if err != nil {
			return fmt.Errorf("update conference %s: %w", id, err)
		}
		return nil
	})
	return out, err
}

type scanner interface{ Scan(dest ...any) error }

func scanConference(r scanner) (conference.Conference, error) {
	var c conference.Conference
	var created, updated sql.NullInt64
	var categories string
	if err := r.Scan(&c.ID, &c.Name, &c.City, &c.TimeZone, &c.FirstDay, &c.LastDay, &categories, &c.SyncURL, &created, &updated); err != nil {
		return conference.Conference{}, err
	}
	if err := json.Unmarshal([]byte(categories), &c.Categories); err != nil {
		return conference.Conference{}, fmt.Errorf("conference %s: categories: %w", c.ID, err)
	}
	if len(c.Categories) == 0 {
		c.Categories = nil
	}
	c.CreatedAt, c.UpdatedAt = fromNanos(created), fromNanos(updated)
	return c, nil
}

// categoriesJSON is a category list as the categories column holds it.
func categoriesJSON(labels []string) string {
	if len(labels) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(labels) // strings always marshal
	return string(b)
}
