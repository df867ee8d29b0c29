package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/partyfinder/partyfinder/shared/party"
)

// Each conference's order of changes (party.Change): party_sequences
// holds its last position, epoch and horizon, party_changes one row per
// write. Writes go through record, in the write's own transaction; SQLite
// has one writer at a time, so positions follow the order of commits.

// factsJSON is a party.Facts as the before and after columns hold it:
// only what is set.
type factsJSON struct {
	Start   int64  `json:"start,omitempty"` // Unix nanoseconds
	End     int64  `json:"end,omitempty"`
	Venue   string `json:"venue,omitempty"`
	Address string `json:"address,omitempty"`
	Status  string `json:"status,omitempty"`
}

func encodeFacts(f party.Facts) (string, error) {
	var d factsJSON
	for _, t := range []struct {
		name string
		t    time.Time
		dst  *int64
	}{{"start", f.Start, &d.Start}, {"end", f.End, &d.End}} {
		n, err := nanos(t.name, t.t)
		if err != nil {
			return "", err
		}
		*t.dst = n.Int64
	}
	d.Venue, d.Address, d.Status = f.Venue, f.Address, string(f.Status)
	b, err := json.Marshal(d)
	return string(b), err
}

func decodeFacts(s string) (party.Facts, error) {
	var d factsJSON
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return party.Facts{}, err
	}
	f := party.Facts{Venue: d.Venue, Address: d.Address, Status: party.Status(d.Status)}
	if d.Start != 0 {
		f.Start = time.Unix(0, d.Start).UTC()
	}
	if d.End != 0 {
		f.End = time.Unix(0, d.End).UTC()
	}
	return f, nil
}

// record gives each party of a write the next position of its
// conference, in the order given, and sets its Seq; records the change
// from befores[i] (nil for a new party) to it; and forgets the changes of
// those conferences older than party.ChangeRetention, raising their
// horizons. All of it in tx, the write's own transaction.
func record(ctx context.Context, tx *sql.Tx, befores []*party.Party, ps []party.Party, now time.Time) error {
	counts := map[string]int64{}
	var confs []string
	for _, p := range ps {
		if counts[p.ConferenceID] == 0 {
			confs = append(confs, p.ConferenceID)
		}
		counts[p.ConferenceID]++
	}
	next := make(map[string]int64, len(confs))
	for _, c := range confs {
		var last int64
		err := tx.QueryRowContext(ctx, `INSERT INTO party_sequences (conference_id, epoch, last, horizon)
			VALUES (?, ?, ?, 0)
			ON CONFLICT (conference_id) DO UPDATE SET last = last + excluded.last
			RETURNING last`, c, party.NewEpoch(), counts[c]).Scan(&last)
		if err != nil {
			return fmt.Errorf("positions of %s: %w", c, err)
		}
		next[c] = last - counts[c] + 1
	}
	insert, err := tx.PrepareContext(ctx, `INSERT INTO party_changes
		(conference_id, seq, party_id, at, created, hidden, changed, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("record changes: %w", err)
	}
	defer insert.Close()
	at := now.UTC().Round(0)
	for i := range ps {
		p := &ps[i]
		p.Seq = next[p.ConferenceID]
		next[p.ConferenceID]++
		c := party.NewChange(befores[i], *p, p.Seq, at)
		changed, err := jsonList(c.Changed)
		if err != nil {
			return fmt.Errorf("record change of %s: %w", p.ID, err)
		}
		before, err := encodeFacts(c.Before)
		if err != nil {
			return fmt.Errorf("record change of %s: %w", p.ID, err)
		}
		after, err := encodeFacts(c.After)
		if err != nil {
			return fmt.Errorf("record change of %s: %w", p.ID, err)
		}
		if _, err := insert.ExecContext(ctx, c.ConferenceID, c.Seq, c.PartyID, at.UnixNano(), c.Created, c.Hidden,
			changed, before, after); err != nil {
			return fmt.Errorf("record change of %s: %w", p.ID, err)
		}
	}
	for _, c := range confs {
		if err := forget(ctx, tx, c, at.Add(-party.ChangeRetention)); err != nil {
			return err
		}
	}
	return nil
}

// forget deletes the conference's changes up to the newest one written
// before cutoff (a prefix of its order, so every change after the
// horizon stays) and raises its horizon to that one.
func forget(ctx context.Context, tx *sql.Tx, conferenceID string, cutoff time.Time) error {
	var upTo sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT max(seq) FROM party_changes WHERE conference_id = ? AND at < ?`,
		conferenceID, cutoff.UnixNano()).Scan(&upTo)
	if err != nil || !upTo.Valid {
		return wrapForget(conferenceID, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM party_changes WHERE conference_id = ? AND seq <= ?`, conferenceID, upTo.Int64); err != nil {
		return wrapForget(conferenceID, err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE party_sequences SET horizon = max(horizon, ?) WHERE conference_id = ?`, upTo.Int64, conferenceID)
	return wrapForget(conferenceID, err)
}

func wrapForget(conferenceID string, err error) error {
	if err != nil {
		return fmt.Errorf("forget changes of %s: %w", conferenceID, err)
	}
	return nil
}

// ChangeLog returns the state of the conference's order of changes, read
// in one transaction: its epoch, last position and horizon, and the
// tombstones after the horizon. A conference never written has the zero
// Log.
func (s *Store) ChangeLog(ctx context.Context, conferenceID string) (party.Log, error) {
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return party.Log{}, fmt.Errorf("change log of %s: %w", conferenceID, busy(ctx, err))
	}
	defer tx.Rollback()
	var l party.Log
	err = tx.QueryRowContext(ctx, `SELECT epoch, last, horizon FROM party_sequences WHERE conference_id = ?`, conferenceID).
		Scan(&l.Epoch, &l.Last, &l.Horizon)
	if errors.Is(err, sql.ErrNoRows) {
		return party.Log{}, nil
	}
	if err != nil {
		return party.Log{}, fmt.Errorf("change log of %s: %w", conferenceID, busy(ctx, err))
	}
	rows, err := tx.QueryContext(ctx, `SELECT party_id, seq, at FROM party_changes
		WHERE conference_id = ? AND hidden = 1 ORDER BY seq`, conferenceID)
	if err != nil {
		return party.Log{}, fmt.Errorf("tombstones of %s: %w", conferenceID, busy(ctx, err))
	}
	defer rows.Close()
	for rows.Next() {
		var ts party.Tombstone
		var at int64
		if err := rows.Scan(&ts.PartyID, &ts.Seq, &at); err != nil {
			return party.Log{}, fmt.Errorf("tombstones of %s: %w", conferenceID, busy(ctx, err))
		}
		ts.At = time.Unix(0, at).UTC()
		l.Tombstones = append(l.Tombstones, ts)
	}
	if err := rows.Err(); err != nil {
		return party.Log{}, fmt.Errorf("tombstones of %s: %w", conferenceID, busy(ctx, err))
	}
	return l, nil
}

// Changes returns the recorded changes of the conference after position
// after, by position, at most limit of them (all for limit <= 0).
func (s *Store) Changes(ctx context.Context, conferenceID string, after int64, limit int) ([]party.Change, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.read.QueryContext(ctx, `SELECT seq, party_id, at, created, hidden, changed, before, after
		FROM party_changes WHERE conference_id = ? AND seq > ? ORDER BY seq LIMIT ?`, conferenceID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("changes of %s: %w", conferenceID, busy(ctx, err))
	}
	defer rows.Close()
	var out []party.Change
	for rows.Next() {
		c := party.Change{ConferenceID: conferenceID}
		var at int64
		var changed, before, after string
		if err := rows.Scan(&c.Seq, &c.PartyID, &at, &c.Created, &c.Hidden, &changed, &before, &after); err != nil {
			return nil, fmt.Errorf("changes of %s: %w", conferenceID, busy(ctx, err))
		}
		c.At = time.Unix(0, at).UTC()
		if c.Changed, err = parseList(changed); err != nil {
			return nil, fmt.Errorf("change %d of %s: %w", c.Seq, conferenceID, err)
		}
		if c.Before, err = decodeFacts(before); err != nil {
			return nil, fmt.Errorf("change %d of %s: %w", c.Seq, conferenceID, err)
		}
		if c.After, err = decodeFacts(after); err != nil {
			return nil, fmt.Errorf("change %d of %s: %w", c.Seq, conferenceID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("changes of %s: %w", conferenceID, busy(ctx, err))
	}
	return out, nil
}
