package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
)

const conferenceColumns = `id, name, city, time_zone, first_day, last_day, created_at, updated_at`

// Conference returns the conference with the id, or a NotFound error.
func (s *Store) Conference(ctx context.Context, id string) (conference.Conference, error) {
	row := s.read.QueryRowContext(ctx, `SELECT `+conferenceColumns+` FROM conferences WHERE id = ?`, id)
	c, err := scanConference(row)
	if errors.Is(err, sql.ErrNoRows) {
		return conference.Conference{}, fmt.Errorf("conference: %w", apperr.New(apperr.NotFound, "conference %q not found", id))
	}
	if err != nil {
		return conference.Conference{}, fmt.Errorf("conference %s: %w", id, err)
	}
	return c, nil
}

// Conferences returns every conference, ordered by first day then id.
func (s *Store) Conferences(ctx context.Context) ([]conference.Conference, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+conferenceColumns+` FROM conferences ORDER BY first_day, id`)
	if err != nil {
		return nil, fmt.Errorf("conferences: %w", err)
	}
	defer rows.Close()
	var out []conference.Conference
	for rows.Next() {
		c, err := scanConference(rows)
		if err != nil {
			return nil, fmt.Errorf("conferences: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("conferences: %w", err)
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
	res, err := s.write.ExecContext(ctx, `INSERT INTO conferences (`+conferenceColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		c.ID, c.Name, c.City, c.TimeZone, c.FirstDay, c.LastDay, ts, ts)
	if err != nil {
		return conference.Conference{}, fmt.Errorf("create conference %s: %w", c.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return conference.Conference{}, fmt.Errorf("create conference %s: %w", c.ID, err)
	} else if n == 0 {
		return conference.Conference{}, fmt.Errorf("create conference: %w",
			apperr.New(apperr.Conflict, "conference %q already exists", c.ID))
	}
	return c, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanConference(r scanner) (conference.Conference, error) {
	var c conference.Conference
	var created, updated sql.NullInt64
	if err := r.Scan(&c.ID, &c.Name, &c.City, &c.TimeZone, &c.FirstDay, &c.LastDay, &created, &updated); err != nil {
		return conference.Conference{}, err
	}
	c.CreatedAt, c.UpdatedAt = fromNanos(created), fromNanos(updated)
	return c, nil
}
