package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/partyfinder/partyfinder/shared/audit"
)

// appendAudit writes a change's audit entries in its transaction.
func appendAudit(ctx context.Context, tx *sql.Tx, entries []audit.Entry) error {
	for _, e := range entries {
		at, err := nanos("at", e.At)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (id, at, actor, action, conference_id, party_id, before, after, forced, note)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, at, e.Actor, e.Action, e.Conference, e.Party, stateJSON(e.Before), stateJSON(e.After), e.Forced, e.Note)
		if err != nil {
			return fmt.Errorf("entry %s: %w", e.ID, err)
		}
	}
	return nil
}

func stateJSON(s audit.State) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	b, _ := json.Marshal(s) // a map of strings always marshals
	return sql.NullString{String: string(b), Valid: true}
}

// AuditEntries returns the entries q selects, newest first, and whether
// more follow.
func (s *Store) AuditEntries(ctx context.Context, q audit.Query) ([]audit.Entry, bool, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if q.Party != "" {
		add("party_id = ?", q.Party)
	}
	if q.Actor != "" {
		add("actor = ?", q.Actor)
	}
	if !q.From.IsZero() {
		add("id >= ?", audit.IDBound(q.From))
	}
	if !q.To.IsZero() {
		add("id < ?", audit.IDBound(q.To))
	}
	if q.After != "" {
		add("id < ?", q.After)
	}
	query := `SELECT id, at, actor, action, conference_id, party_id, before, after, forced, note FROM audit_log`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = audit.DefaultLimit
	}
	rows, err := s.read.QueryContext(ctx, query+" ORDER BY id DESC LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("audit entries: %w", busy(ctx, err))
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		var e audit.Entry
		var at sql.NullInt64
		var before, after sql.NullString
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Conference, &e.Party, &before, &after, &e.Forced, &e.Note); err != nil {
			return nil, false, fmt.Errorf("audit entries: %w", busy(ctx, err))
		}
		e.At = fromNanos(at)
		for _, st := range []struct {
			src sql.NullString
			dst *audit.State
		}{{before, &e.Before}, {after, &e.After}} {
			if st.src.Valid {
				if err := json.Unmarshal([]byte(st.src.String), st.dst); err != nil {
					return nil, false, fmt.Errorf("audit entry %s: %w", e.ID, err)
				}
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("audit entries: %w", busy(ctx, err))
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}
