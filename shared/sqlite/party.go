package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/party"
)

const partyColumns = `id, conference_id, title, description, venue, address, lat, lng,
	start_at, end_at, category_key, category_label, hosts, price, free, link, focus, tags,
	status, source, created_at, updated_at, version, owner, note, seq`

// partyValues are the placeholders of partyColumns.
const partyValues = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const upsertParty = `INSERT INTO parties (` + partyColumns + `)
	VALUES ` + partyValues + `
	ON CONFLICT (id) DO UPDATE SET
		title = excluded.title, description = excluded.description, venue = excluded.venue,
		address = excluded.address, lat = excluded.lat, lng = excluded.lng,
		start_at = excluded.start_at, end_at = excluded.end_at,
		category_key = excluded.category_key, category_label = excluded.category_label,
		hosts = excluded.hosts, price = excluded.price, free = excluded.free, link = excluded.link,
		focus = excluded.focus, tags = excluded.tags, status = excluded.status, source = excluded.source,
		created_at = excluded.created_at, updated_at = excluded.updated_at, version = excluded.version,
		owner = excluded.owner, note = excluded.note, seq = excluded.seq`

// Party returns the party with the id, or a NotFound error.
func (s *Store) Party(ctx context.Context, id string) (party.Party, error) {
	p, err := getParty(ctx, s.read, id)
	if err != nil {
		return party.Party{}, fmt.Errorf("party: %w", busy(ctx, err))
	}
	return p, nil
}

// PartiesOf returns every party of the conference, whatever its status,
// ordered by start then id. An unknown conference has no parties.
func (s *Store) PartiesOf(ctx context.Context, conferenceID string) ([]party.Party, error) {
	return s.queryParties(ctx, "conference_id", conferenceID)
}

// queryParties returns the parties whose column equals value, by start
// then id.
func (s *Store) queryParties(ctx context.Context, column, value string) ([]party.Party, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+partyColumns+` FROM parties
		WHERE `+column+` = ? ORDER BY start_at, id`, value)
	if err != nil {
		return nil, fmt.Errorf("parties of %s: %w", value, busy(ctx, err))
	}
	defer rows.Close()
	var out []party.Party
	for rows.Next() {
		p, err := scanParty(rows)
		if err != nil {
			return nil, fmt.Errorf("parties of %s: %w", value, busy(ctx, err))
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("parties of %s: %w", value, busy(ctx, err))
	}
	return out, nil
}

// CreateParty stores a new party with version 1 and both timestamps set to
// now. It returns Invalid if the party breaks an invariant and Conflict if
// the id exists.
func (s *Store) CreateParty(ctx context.Context, p party.Party) (party.Party, error) {
	if err := p.Validate(); err != nil {
		return party.Party{}, fmt.Errorf("create party: %w", err)
	}
	p = inUTC(p)
	now := s.nowUTC()
	p.CreatedAt, p.UpdatedAt, p.Version = now, now, 1
	args, err := partyArgs(p)
	if err != nil {
		return party.Party{}, fmt.Errorf("create party: %w", err)
	}
	// In a transaction, so the change's position, record, events and
	// audit entry go with it.
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		written := []party.Party{p}
		if err := record(ctx, tx, []*party.Party{nil}, written, now); err != nil {
			return fmt.Errorf("create party %s: %w", p.ID, err)
		}
		p.Seq = written[0].Seq
		args[len(args)-1] = p.Seq
		res, err := tx.ExecContext(ctx, `INSERT INTO parties (`+partyColumns+`)
			VALUES `+partyValues+`
			ON CONFLICT (id) DO NOTHING`, args...)
		if err != nil {
			return fmt.Errorf("create party %s: %w", p.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("create party %s: %w", p.ID, err)
		} else if n == 0 {
			return fmt.Errorf("create party: %w", apperr.New(apperr.Conflict, "party %q already exists", p.ID))
		}
		return nil
	})
	if err != nil {
		return party.Party{}, err
	}
	return p, nil
}

// UpdateParty loads the party, applies fn and stores the result in one
// transaction. When fn changes anything the version grows by one and
// UpdatedAt is set; when it changes nothing, nothing is written. Errors from
// fn are returned unchanged and nothing is written. It returns NotFound if
// the party does not exist and Invalid if the result breaks an invariant or
// fn changed the id or conference. Changes fn makes to CreatedAt, UpdatedAt
// and Version are ignored: they belong to the store.
func (s *Store) UpdateParty(ctx context.Context, id string, fn func(*party.Party) error) (party.Party, error) {
	var out party.Party
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := getParty(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("update party: %w", err)
		}
		p := old.Clone()
		if err := fn(&p); err != nil {
			return err
		}
		p, changed, err := party.ApplyUpdate(old, inUTC(p), s.nowUTC(), nil)
		if err != nil {
			return fmt.Errorf("update party %s: %w", id, err)
		}
		if !changed {
			out = old
			return errUnchanged
		}
		written := []party.Party{p}
		if err := record(ctx, tx, []*party.Party{&old}, written, s.nowUTC()); err != nil {
			return fmt.Errorf("update party %s: %w", id, err)
		}
		p = written[0]
		args, err := partyArgs(p)
		if err != nil {
			return fmt.Errorf("update party %s: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, upsertParty, args...); err != nil {
			return fmt.Errorf("update party %s: %w", id, err)
		}
		out = p
		return nil
	})
	if err != nil {
		return party.Party{}, err
	}
	return out, nil
}

// SaveParties writes a batch of any size atomically, in one transaction:
// all of it or none of it. A party with Version 1 must not exist yet; any
// other party must be stored with Version-1, else the whole batch fails
// with Conflict; a party already stored exactly as given is skipped
// (party.Saved), and a batch with nothing else writes nothing. Versions
// and timestamps are kept as given. Invalid if a party breaks an
// invariant, an id appears twice or a party would move to another
// conference.
//
// SQLite is one file with one writer: a transaction of 20,000 parties
// takes about a second (docs/PERFORMANCE.md) and holds the write lock that
// long, so an import needs no steps here and readers never see half of
// one (docs/adr/0006-imports-of-any-size.md).
func (s *Store) SaveParties(ctx context.Context, ps []party.Party) error {
	if err := party.CheckBatch(ps, nil); err != nil {
		return fmt.Errorf("save parties: %w", err)
	}
	if len(ps) == 0 {
		return nil
	}
	ps = slices.Clone(ps)
	rows := make([][]any, len(ps))
	for i := range ps {
		ps[i] = inUTC(ps[i])
		args, err := partyArgs(ps[i])
		if err != nil {
			return fmt.Errorf("save parties: party %s: %w", ps[i].ID, err)
		}
		rows[i] = args
	}
	var written []party.Party
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		check, err := tx.PrepareContext(ctx, `SELECT `+partyColumns+` FROM parties WHERE id = ?`)
		if err != nil {
			return fmt.Errorf("save parties: %w", err)
		}
		defer check.Close()
		written = make([]party.Party, 0, len(ps))
		var befores []*party.Party
		var args [][]any
		for i, p := range ps {
			old, err := scanParty(check.QueryRowContext(ctx, p.ID))
			exists := err == nil
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("save parties: %w", err)
			}
			if exists && party.Saved(p, old) {
				continue
			}
			if err := party.CheckStored(p, exists, old.ConferenceID, old.Version); err != nil {
				return fmt.Errorf("save parties: %w", err)
			}
			var before *party.Party
			if exists {
				before = &old
			}
			befores = append(befores, before)
			written = append(written, p)
			args = append(args, rows[i])
		}
		if len(written) == 0 {
			return errUnchanged // saved before: no events, no audit entry again
		}
		if err := record(ctx, tx, befores, written, s.nowUTC()); err != nil {
			return fmt.Errorf("save parties: %w", err)
		}
		upsert, err := tx.PrepareContext(ctx, upsertParty)
		if err != nil {
			return fmt.Errorf("save parties: %w", err)
		}
		defer upsert.Close()
		for i, p := range written {
			args[i][len(args[i])-1] = p.Seq
			if _, err := upsert.ExecContext(ctx, args[i]...); err != nil {
				return fmt.Errorf("save parties: party %s: %w", p.ID, err)
			}
		}
		return nil
	})
	if err != nil || len(written) == 0 {
		return err
	}
	return party.Stepped(ctx, written)
}

// PartiesOwnedBy returns the parties the organizer submitted, in every
// conference, by start then id.
func (s *Store) PartiesOwnedBy(ctx context.Context, uid string) ([]party.Party, error) {
	if uid == "" {
		return nil, nil
	}
	return s.queryParties(ctx, "owner", uid)
}

// Revision returns the count and version sum of the conference's parties
// and the time of its conference's last update. Parties are never deleted
// and every write raises a version, so it changes with every write and
// only then.
func (s *Store) Revision(ctx context.Context, conferenceID string) (string, error) {
	// The conference's own last change counts too: its days and zone are
	// part of every snapshot.
	var n, sum, conf int64
	err := s.read.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(version), 0),
		(SELECT coalesce(max(updated_at), 0) FROM conferences WHERE id = ?1)
		FROM parties WHERE conference_id = ?1`, conferenceID).Scan(&n, &sum, &conf)
	if err != nil {
		return "", fmt.Errorf("revision of %s: %w", conferenceID, busy(ctx, err))
	}
	return fmt.Sprintf("%d.%d.%d", n, sum, conf), nil
}

// querier is what reads need from *sql.DB and *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getParty(ctx context.Context, q querier, id string) (party.Party, error) {
	p, err := scanParty(q.QueryRowContext(ctx, `SELECT `+partyColumns+` FROM parties WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return party.Party{}, apperr.New(apperr.NotFound, "party %q not found", id)
	}
	if err != nil {
		return party.Party{}, fmt.Errorf("party %s: %w", id, err)
	}
	return p, nil
}

// partyArgs returns the column values of p in partyColumns order.
func partyArgs(p party.Party) ([]any, error) {
	var lat, lng sql.NullFloat64
	if p.Location != nil {
		lat = sql.NullFloat64{Float64: p.Location.Lat, Valid: true}
		lng = sql.NullFloat64{Float64: p.Location.Lng, Valid: true}
	}
	var times [4]sql.NullInt64
	for i, f := range []struct {
		name string
		t    time.Time
	}{{"start", p.Start}, {"end", p.End}, {"createdAt", p.CreatedAt}, {"updatedAt", p.UpdatedAt}} {
		n, err := nanos(f.name, f.t)
		if err != nil {
			return nil, err
		}
		times[i] = n
	}
	hosts, err := jsonList(p.Hosts)
	if err != nil {
		return nil, err
	}
	tags, err := jsonList(p.Tags)
	if err != nil {
		return nil, err
	}
	return []any{p.ID, p.ConferenceID, p.Title, p.Description, p.Venue, p.Address, lat, lng,
		times[0], times[1], p.Category.Key, p.Category.Label, hosts, p.Price, p.Free, p.Link, p.Focus, tags,
		string(p.Status), p.Source, times[2], times[3], p.Version, p.Owner, p.Note, p.Seq}, nil
}

func scanParty(r scanner) (party.Party, error) {
	var (
		p                        party.Party
		lat, lng                 sql.NullFloat64
		start, end, created, upd sql.NullInt64
		hosts, tags, status      string
	)
	err := r.Scan(&p.ID, &p.ConferenceID, &p.Title, &p.Description, &p.Venue, &p.Address, &lat, &lng,
		&start, &end, &p.Category.Key, &p.Category.Label, &hosts, &p.Price, &p.Free, &p.Link, &p.Focus, &tags,
		&status, &p.Source, &created, &upd, &p.Version, &p.Owner, &p.Note, &p.Seq)
	if err != nil {
		return party.Party{}, err
	}
	if lat.Valid && lng.Valid {
		p.Location = &party.Point{Lat: lat.Float64, Lng: lng.Float64}
	}
	p.Start, p.End, p.CreatedAt, p.UpdatedAt = fromNanos(start), fromNanos(end), fromNanos(created), fromNanos(upd)
	p.Status = party.Status(status)
	if p.Hosts, err = parseList(hosts); err != nil {
		return party.Party{}, fmt.Errorf("party %s hosts: %w", p.ID, err)
	}
	if p.Tags, err = parseList(tags); err != nil {
		return party.Party{}, fmt.Errorf("party %s tags: %w", p.ID, err)
	}
	return p, nil
}

func jsonList(l []string) (string, error) {
	if len(l) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(l)
	return string(b), err
}

// parseList decodes a JSON list; an empty list comes back as nil, like a
// list that was never set.
func parseList(s string) ([]string, error) {
	if s == "[]" {
		return nil, nil
	}
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
}

// inUTC returns p with every time in UTC, as stored.
func inUTC(p party.Party) party.Party {
	for _, t := range []*time.Time{&p.Start, &p.End, &p.CreatedAt, &p.UpdatedAt} {
		if !t.IsZero() {
			*t = t.UTC().Round(0)
		}
	}
	return p
}
