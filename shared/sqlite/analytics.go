package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

// The Store keeps analytics in the same file.
var _ analytics.Store = (*Store)(nil)

const statsColumns = `party_id, conference_id, views, likes, passes, saves, calendar_adds, shares,
	mix_dev, mix_pub, mix_inv, mix_sp, mix_other, trend, trend_at`

// Apply applies the changes whose event ids are new, with those ids, in
// one transaction. The batch is added up first (analytics.Sum), so each
// party's row is written once per batch.
func (s *Store) Apply(ctx context.Context, changes []analytics.Change) (int, error) {
	n := 0
	applied := s.nowUTC().UnixNano()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var fresh []analytics.Change
		for _, c := range changes {
			// at is when the id was applied: the window of redeliveries runs
			// from there, whenever the event itself happened.
			res, err := tx.ExecContext(ctx, `INSERT INTO analytics_events (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, c.EventID, applied)
			if err != nil {
				return err
			}
			if k, err := res.RowsAffected(); err != nil || k == 0 {
				continue // applied before: a redelivery
			}
			fresh = append(fresh, c)
		}
		n = len(fresh)
		people, err := readPeople(ctx, tx, fresh)
		if err != nil {
			return err
		}
		sums := analytics.Sum(fresh, people)
		for _, p := range sums.Personas {
			if err := setPersona(ctx, tx, p.UID, p.Persona); err != nil {
				return err
			}
		}
		for _, a := range sums.Attributions {
			if err := setAttribution(ctx, tx, a); err != nil {
				return err
			}
		}
		for _, p := range sums.Parties {
			if err := addStats(ctx, tx, p); err != nil {
				return err
			}
		}
		// Forget ids older than any redelivery, a bounded slice per batch.
		if _, err := tx.ExecContext(ctx, `DELETE FROM analytics_events WHERE id IN
			(SELECT id FROM analytics_events WHERE at < ? LIMIT 1000)`, applied-int64(analytics.Remember)); err != nil {
			return err
		}
		for _, p := range sums.Parties {
			for h, n := range p.Recent {
				if n == 0 {
					continue
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO party_hours (party_id, hour, conference_id, saves) VALUES (?, ?, ?, ?)
					ON CONFLICT (party_id, hour) DO UPDATE SET saves = saves + excluded.saves`, p.PartyID, h, p.Conference, n); err != nil {
					return err
				}
			}
		}
		// Hours no velocity can use any more, by this batch's newest, a
		// bounded slice per batch like the event ids.
		if newest, ok := sums.NewestHour(); ok {
			if _, err := tx.ExecContext(ctx, `DELETE FROM party_hours WHERE (party_id, hour) IN
				(SELECT party_id, hour FROM party_hours WHERE hour <= ? LIMIT 1000)`, newest-analytics.RecentHours); err != nil {
				return err
			}
		}
		for _, d := range sums.Days {
			c := d.Counters
			if _, err := tx.ExecContext(ctx, `INSERT INTO conference_days
				(conference_id, day, views, likes, passes, saves, calendar_adds, shares) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (conference_id, day) DO UPDATE SET views = views + excluded.views,
					likes = likes + excluded.likes, passes = passes + excluded.passes, saves = saves + excluded.saves,
					calendar_adds = calendar_adds + excluded.calendar_adds, shares = shares + excluded.shares`,
				d.Conference, d.Date, c.Views, c.Likes, c.Passes, c.Saves, c.CalendarAdds, c.Shares); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("apply analytics: %w", err)
	}
	return n, nil
}

// readPeople reads the personas of the batch's savers and the attributions
// of the saves it gains or loses.
func readPeople(ctx context.Context, tx *sql.Tx, changes []analytics.Change) (analytics.People, error) {
	people := analytics.People{Personas: map[string]attendee.Persona{}, Savers: map[analytics.Saver]attendee.Persona{}}
	seen := map[string]bool{}
	seenSave := map[analytics.Saver]bool{}
	for _, c := range changes {
		if c.Saver == "" || c.SaveDelta == 0 {
			continue
		}
		if !seen[c.Saver] {
			seen[c.Saver] = true
			var persona string
			err := tx.QueryRowContext(ctx, `SELECT persona FROM analytics_personas WHERE uid = ?`, c.Saver).Scan(&persona)
			switch {
			case err == nil:
				people.Personas[c.Saver] = attendee.Persona(persona)
			case !errors.Is(err, sql.ErrNoRows):
				return people, err
			}
		}
		k := analytics.Saver{UID: c.Saver, PartyID: c.PartyID}
		if !seenSave[k] {
			seenSave[k] = true
			var persona string
			err := tx.QueryRowContext(ctx, `SELECT persona FROM analytics_savers WHERE uid = ? AND party_id = ?`, k.UID, k.PartyID).Scan(&persona)
			switch {
			case err == nil:
				people.Savers[k] = attendee.Persona(persona)
			case !errors.Is(err, sql.ErrNoRows):
				return people, err
			}
		}
	}
	return people, nil
}

func setPersona(ctx context.Context, tx *sql.Tx, uid string, p attendee.Persona) error {
	if p == "" {
		_, err := tx.ExecContext(ctx, `DELETE FROM analytics_personas WHERE uid = ?`, uid)
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO analytics_personas (uid, persona) VALUES (?, ?)
		ON CONFLICT (uid) DO UPDATE SET persona = excluded.persona`, uid, string(p))
	return err
}

// setAttribution stores the persona a save is counted for, or forgets it.
func setAttribution(ctx context.Context, tx *sql.Tx, a analytics.Attribution) error {
	if !a.Counted {
		_, err := tx.ExecContext(ctx, `DELETE FROM analytics_savers WHERE uid = ? AND party_id = ?`, a.UID, a.PartyID)
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO analytics_savers (uid, party_id, persona) VALUES (?, ?, ?)
		ON CONFLICT (uid, party_id) DO UPDATE SET persona = excluded.persona`, a.UID, a.PartyID, string(a.Persona))
	return err
}

// addStats adds one party's batch sums to its row.
func addStats(ctx context.Context, tx *sql.Tx, d analytics.PartyStats) error {
	cur, err := getStats(ctx, tx, d.PartyID)
	if err != nil {
		return err
	}
	d.Recent = nil // kept by the hour in party_hours
	cur.Merge(d)
	trendAt, err := nanos("trendAt", cur.Trend.At)
	if err != nil {
		return err
	}
	c, m := cur.Counters, cur.Savers
	_, err = tx.ExecContext(ctx, `INSERT INTO party_stats (`+statsColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (party_id) DO UPDATE SET conference_id = excluded.conference_id,
			views = excluded.views, likes = excluded.likes, passes = excluded.passes, saves = excluded.saves,
			calendar_adds = excluded.calendar_adds, shares = excluded.shares,
			mix_dev = excluded.mix_dev, mix_pub = excluded.mix_pub, mix_inv = excluded.mix_inv,
			mix_sp = excluded.mix_sp, mix_other = excluded.mix_other,
			trend = excluded.trend, trend_at = excluded.trend_at`,
		cur.PartyID, cur.Conference, c.Views, c.Likes, c.Passes, c.Saves, c.CalendarAdds, c.Shares,
		m.Developer, m.Publisher, m.Investor, m.ServiceProvider, m.Other, cur.Trend.Value, trendAt)
	return err
}

func getStats(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, partyID string) (analytics.PartyStats, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+statsColumns+` FROM party_stats WHERE party_id = ?`, partyID)
	if err != nil {
		return analytics.PartyStats{}, err
	}
	out, err := scanStats(rows)
	if err != nil || len(out) == 0 {
		return analytics.PartyStats{PartyID: partyID}, err
	}
	return out[0], nil
}

func scanStats(rows *sql.Rows) ([]analytics.PartyStats, error) {
	defer rows.Close()
	var out []analytics.PartyStats
	for rows.Next() {
		var s analytics.PartyStats
		c, m := &s.Counters, &s.Savers
		var trendAt sql.NullInt64
		if err := rows.Scan(&s.PartyID, &s.Conference, &c.Views, &c.Likes, &c.Passes, &c.Saves, &c.CalendarAdds, &c.Shares,
			&m.Developer, &m.Publisher, &m.Investor, &m.ServiceProvider, &m.Other, &s.Trend.Value, &trendAt); err != nil {
			return nil, err
		}
		s.Trend.At = fromNanos(trendAt)
		out = append(out, s)
	}
	return out, rows.Err()
}

// Stats returns a party's stats; zero counters when nothing was counted.
func (s *Store) Stats(ctx context.Context, partyID string) (analytics.PartyStats, error) {
	st, err := getStats(ctx, s.read, partyID)
	one := []analytics.PartyStats{st}
	if err == nil {
		err = s.recentHours(ctx, one, `party_id = ?`, partyID)
	}
	if err != nil {
		return st, fmt.Errorf("stats of %s: %w", partyID, busy(ctx, err))
	}
	return one[0], nil
}

// ConferenceStats returns the stats of every party of the conference that
// has any, in party id order.
func (s *Store) ConferenceStats(ctx context.Context, conference string) ([]analytics.PartyStats, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+statsColumns+` FROM party_stats WHERE conference_id = ? ORDER BY party_id`, conference)
	if err != nil {
		return nil, fmt.Errorf("stats of %s: %w", conference, busy(ctx, err))
	}
	out, err := scanStats(rows)
	if err == nil {
		err = s.recentHours(ctx, out, `conference_id = ?`, conference)
	}
	if err != nil {
		return nil, fmt.Errorf("stats of %s: %w", conference, busy(ctx, err))
	}
	return out, nil
}

// recentHours fills in the Recent hours of stats from the party_hours rows
// matching where.
func (s *Store) recentHours(ctx context.Context, stats []analytics.PartyStats, where string, args ...any) error {
	rows, err := s.read.QueryContext(ctx, `SELECT party_id, hour, saves FROM party_hours WHERE `+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	byParty := make(map[string]int, len(stats))
	for i, st := range stats {
		byParty[st.PartyID] = i
	}
	for rows.Next() {
		var (
			id          string
			hour, saves int64
		)
		if err := rows.Scan(&id, &hour, &saves); err != nil {
			return err
		}
		i, ok := byParty[id]
		if !ok {
			continue
		}
		if stats[i].Recent == nil {
			stats[i].Recent = analytics.Hours{}
		}
		stats[i].Recent[hour] += saves
	}
	return rows.Err()
}

// ConferenceDays returns the conference's net counter changes per UTC day
// between from and to (both included, "" for no bound).
func (s *Store) ConferenceDays(ctx context.Context, conference, from, to string) ([]analytics.Day, error) {
	if to == "" {
		to = "9999-12-31"
	}
	rows, err := s.read.QueryContext(ctx, `SELECT day, views, likes, passes, saves, calendar_adds, shares
		FROM conference_days WHERE conference_id = ? AND day >= ? AND day <= ? ORDER BY day`, conference, from, to)
	if err != nil {
		return nil, fmt.Errorf("days of %s: %w", conference, busy(ctx, err))
	}
	defer rows.Close()
	var out []analytics.Day
	for rows.Next() {
		var d analytics.Day
		c := &d.Counters
		if err := rows.Scan(&d.Date, &c.Views, &c.Likes, &c.Passes, &c.Saves, &c.CalendarAdds, &c.Shares); err != nil {
			return nil, fmt.Errorf("days of %s: %w", conference, busy(ctx, err))
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("days of %s: %w", conference, busy(ctx, err))
	}
	return out, nil
}
