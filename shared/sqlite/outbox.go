package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/eventwire"
)

// appendOutbox writes events into the outbox within tx; an event already
// there (the same id) is not written twice.
func appendOutbox(ctx context.Context, tx *sql.Tx, events []event.Event, now time.Time) error {
	for _, e := range events {
		data, err := eventwire.Marshal(e)
		if err != nil {
			return err
		}
		m := e.EventMeta()
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, type, data, created) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, m.ID, m.Type, data, now.UnixNano()); err != nil {
			return err
		}
	}
	return nil
}

// Append writes events into the outbox on their own: for events no
// stored change causes (the interactions clients report).
func (s *Store) Append(ctx context.Context, events ...event.Event) error {
	if len(events) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error { return appendOutbox(ctx, tx, events, s.nowUTC()) })
	if err != nil {
		return fmt.Errorf("append to the outbox: %w", err)
	}
	return nil
}

// Undelivered returns up to n events of the outbox, oldest first, and the
// position to pass to Delivered once they are. A row that can no longer be
// read (a type or schema version this program does not know) is logged
// and skipped: retrying cannot help.
func (s *Store) Undelivered(ctx context.Context, n int) ([]event.Event, int64, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT seq, type, data FROM outbox ORDER BY seq LIMIT ?`, n)
	if err != nil {
		return nil, 0, fmt.Errorf("read the outbox: %w", busy(ctx, err))
	}
	defer rows.Close()
	var out []event.Event
	var last int64
	for rows.Next() {
		var typ string
		var data []byte
		if err := rows.Scan(&last, &typ, &data); err != nil {
			return nil, 0, fmt.Errorf("read the outbox: %w", busy(ctx, err))
		}
		e, err := eventwire.Unmarshal(typ, data)
		if err != nil {
			slog.ErrorContext(ctx, "outbox: undecodable event skipped", "seq", last, "type", typ, "error", err)
			continue
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read the outbox: %w", busy(ctx, err))
	}
	return out, last, nil
}

// Delivered removes the outbox's events up to position seq.
func (s *Store) Delivered(ctx context.Context, seq int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE seq <= ?`, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("clear the outbox: %w", err)
	}
	return nil
}
