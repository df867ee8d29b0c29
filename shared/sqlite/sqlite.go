// Package sqlite is the embedded default store: conferences, parties,
// attendees, the analytics counters, the audit trail and the outbox of
// domain events in one SQLite file (modernc.org/sqlite, pure Go, no cgo),
// so a local run or a small deployment needs no cloud services and keeps
// its data across restarts. The outbox holds each write's events in the
// write's own transaction until inproc.Relay delivers them.
//
// The file is opened twice: one connection writes and every write runs in a
// BEGIN IMMEDIATE transaction, so concurrent writers queue on the write lock
// (for at most lockWait, then Unavailable) instead of failing at once with
// SQLITE_BUSY; a pool of read-only connections serves reads concurrently
// thanks to WAL mode.
//
// The file, its -wal and -shm companions and the folders Open creates for
// it are the owner's alone (0600 and 0700): they hold every user's profile
// and decisions.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/event"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// Store keeps conferences and parties in a SQLite file. It implements
// conference.Repository, party.Repository and party.Revisioner, and is safe
// for concurrent use.
type Store struct {
	write *sql.DB // exactly one connection: SQLite has one writer anyway
	read  *sql.DB // read-only connections, concurrent under WAL

	// now returns the current time; a field so tests can pin it.
	now func() time.Time
}

// Open opens the database file at path, creating it, its parent
// directories and the schema as needed, and migrates an older schema to the
// current one. It fails if the file was written by a newer schema version.
func Open(path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.Contains(path, "?") {
		return nil, fmt.Errorf("sqlite: open %q: need a plain file path", path)
	}
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	common := url.Values{}
	common.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", lockWait.Milliseconds()))
	common.Add("_pragma", "foreign_keys(1)")

	w := cloneValues(common)
	w.Add("_pragma", "journal_mode(WAL)")
	// NORMAL is durable in WAL mode except for the last commits on power
	// loss, and avoids an fsync per write.
	w.Add("_pragma", "synchronous(NORMAL)")
	w.Set("_txlock", "immediate")
	write, err := sql.Open("sqlite", path+"?"+w.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)

	if err := migrate(context.Background(), write); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	r := cloneValues(common)
	r.Add("_pragma", "query_only(1)")
	read, err := sql.Open("sqlite", path+"?"+r.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)

	s := &Store{write: write, read: read, now: time.Now}
	if err := s.Ping(context.Background()); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// createPrivate creates the database file, empty, readable and writable by
// its owner only, and the folders above it that are missing, likewise
// (0700). SQLite gives the -wal and -shm files it creates the permissions
// of the database file, so they are private too. An existing file is left
// as it is.
func createPrivate(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Close closes the database. The WAL is checkpointed into the main file
// when the last connection closes.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

// Ping checks that both the reader and the writer can reach the file.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// migrations are applied in order; PRAGMA user_version records how many
// have run. Never edit a released migration: append a new one.
var migrations = []string{
	// 1: conferences and parties. Times are Unix nanoseconds in UTC (NULL
	// for the zero time), lists are JSON arrays, the location is two nullable
	// REAL columns.
	`
CREATE TABLE conferences (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	city       TEXT NOT NULL,
	time_zone  TEXT NOT NULL,
	first_day  TEXT NOT NULL,
	last_day   TEXT NOT NULL,
	created_at INTEGER,
	updated_at INTEGER
) STRICT;

CREATE TABLE parties (
	id             TEXT PRIMARY KEY,
	conference_id  TEXT NOT NULL,
	title          TEXT NOT NULL,
	description    TEXT NOT NULL,
	venue          TEXT NOT NULL,
	address        TEXT NOT NULL,
	lat            REAL,
	lng            REAL,
	start_at       INTEGER NOT NULL,
	end_at         INTEGER,
	category_key   TEXT NOT NULL,
	category_label TEXT NOT NULL,
	hosts          TEXT NOT NULL,
	price          TEXT NOT NULL,
	free           INTEGER NOT NULL,
	link           TEXT NOT NULL,
	focus          TEXT NOT NULL,
	tags           TEXT NOT NULL,
	status         TEXT NOT NULL,
	source         TEXT NOT NULL,
	created_at     INTEGER,
	updated_at     INTEGER,
	version        INTEGER NOT NULL,
	CHECK ((lat IS NULL) = (lng IS NULL))
) STRICT;

-- PartiesOf reads a conference's parties in (start, id) order straight
-- from this index; Revision sums versions over the same prefix.
CREATE INDEX parties_by_conference_start ON parties (conference_id, start_at, id);
`,
	// 2: attendees. A user's rows are keyed by their uid first, so every
	// read of one user is a prefix scan and DeleteUser a range delete.
	// calendar_tokens holds at most one row per user (the current link):
	// the old hash is gone the moment a new one is recorded.
	`
CREATE TABLE profiles (
	uid          TEXT PRIMARY KEY,
	display_name TEXT NOT NULL,
	company      TEXT NOT NULL,
	job_title    TEXT NOT NULL,
	persona      TEXT NOT NULL,
	visibility   TEXT NOT NULL,
	created_at   INTEGER,
	updated_at   INTEGER
) STRICT;

CREATE TABLE swipes (
	uid      TEXT NOT NULL,
	party_id TEXT NOT NULL,
	action   TEXT NOT NULL CHECK (action IN ('like', 'pass', 'interested')),
	at       INTEGER NOT NULL,
	PRIMARY KEY (uid, party_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE saves (
	uid      TEXT NOT NULL,
	party_id TEXT NOT NULL,
	at       INTEGER NOT NULL,
	PRIMARY KEY (uid, party_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE calendar_tokens (
	hash       TEXT PRIMARY KEY,
	uid        TEXT NOT NULL UNIQUE,
	generation INTEGER NOT NULL CHECK (generation > 0)
) STRICT;
`,
	// 3: when each user's data was last erased.
	`
CREATE TABLE erasures (
	uid TEXT PRIMARY KEY,
	at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
`,
	// 4: analytics. analytics_events remembers the ids of the events
	// applied, so a redelivered one changes nothing; party_stats holds
	// the counters, the savers' persona mix and the trending score;
	// analytics_personas and analytics_savers let a save be taken back
	// from the persona it was counted for.
	`
CREATE TABLE analytics_events (
	id TEXT PRIMARY KEY,
	at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE party_stats (
	party_id      TEXT PRIMARY KEY,
	conference_id TEXT NOT NULL,
	views         INTEGER NOT NULL,
	likes         INTEGER NOT NULL,
	passes        INTEGER NOT NULL,
	saves         INTEGER NOT NULL,
	calendar_adds INTEGER NOT NULL,
	shares        INTEGER NOT NULL,
	mix_dev       INTEGER NOT NULL,
	mix_pub       INTEGER NOT NULL,
	mix_inv       INTEGER NOT NULL,
	mix_sp        INTEGER NOT NULL,
	mix_other     INTEGER NOT NULL,
	trend         REAL NOT NULL,
	trend_at      INTEGER
) STRICT;

CREATE INDEX party_stats_by_conference ON party_stats (conference_id);

CREATE TABLE analytics_personas (
	uid     TEXT PRIMARY KEY,
	persona TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE analytics_savers (
	uid      TEXT NOT NULL,
	party_id TEXT NOT NULL,
	persona  TEXT NOT NULL,
	PRIMARY KEY (uid, party_id)
) STRICT, WITHOUT ROWID;
`,
	// 5: the net change of each conference's counters per UTC day, for
	// the admins' dashboard.
	`
CREATE TABLE conference_days (
	conference_id TEXT NOT NULL,
	day           TEXT NOT NULL,
	views         INTEGER NOT NULL,
	likes         INTEGER NOT NULL,
	passes        INTEGER NOT NULL,
	saves         INTEGER NOT NULL,
	calendar_adds INTEGER NOT NULL,
	shares        INTEGER NOT NULL,
	PRIMARY KEY (conference_id, day)
) STRICT, WITHOUT ROWID;
`,
	// 6: the outbox: domain events written in the same transaction as the
	// change that caused them, until the relay has delivered them.
	`
CREATE TABLE outbox (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	id      TEXT NOT NULL UNIQUE,
	type    TEXT NOT NULL,
	data    BLOB NOT NULL,
	created INTEGER NOT NULL
) STRICT;
`,
	// 7: applied event ids are forgotten analytics.Remember after they
	// were applied (analytics_events.at), oldest first, from this index.
	`
CREATE INDEX analytics_events_by_at ON analytics_events (at);
`,
	// 8: who submitted a party (organizers' own lists) and why it was
	// cancelled or rejected.
	`
ALTER TABLE parties ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE parties ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE INDEX parties_by_owner ON parties (owner, conference_id) WHERE owner <> '';
`,
	// 9: a conference's category list (a JSON array of labels) and the
	// sheet a scheduled re-sync imports.
	`
ALTER TABLE conferences ADD COLUMN categories TEXT NOT NULL DEFAULT '[]';
ALTER TABLE conferences ADD COLUMN sync_url TEXT NOT NULL DEFAULT '';
`,
	// 10: the audit trail of organizer and admin writes. Ids sort by time
	// (audit.New), so pages and time ranges are id ranges.
	`
CREATE TABLE audit_log (
	id            TEXT PRIMARY KEY,
	at            INTEGER NOT NULL,
	actor         TEXT NOT NULL,
	action        TEXT NOT NULL,
	conference_id TEXT NOT NULL,
	party_id      TEXT NOT NULL,
	before        TEXT,
	after         TEXT,
	forced        INTEGER NOT NULL,
	note          TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX audit_by_party ON audit_log (party_id, id) WHERE party_id <> '';
CREATE INDEX audit_by_actor ON audit_log (actor, id);
`,
	// 11: read-only links to attendees' saved parties. party_ids is NULL for
	// a live list (the owner's saves when read), else a JSON array.
	`
CREATE TABLE shares (
	code       TEXT PRIMARY KEY,
	uid        TEXT NOT NULL,
	title      TEXT NOT NULL,
	party_ids  TEXT,
	created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX shares_by_user ON shares (uid, created_at);
`,
	// 12: each conference's order of changes (party.Change). parties.seq is
	// the position of a party's last write (0 for one not written since);
	// party_sequences holds a conference's last position, the epoch that
	// names its order and the horizon at and below which changes were
	// forgotten; party_changes one row per write, kept for
	// party.ChangeRetention (at: Unix nanoseconds; changed: a JSON array;
	// before, after: JSON objects of the facts that changed). Tombstones
	// are read from the partial index, expired changes found by the other.
	`
ALTER TABLE parties ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE party_sequences (
	conference_id TEXT PRIMARY KEY,
	epoch         TEXT NOT NULL,
	last          INTEGER NOT NULL CHECK (last >= 0),
	horizon       INTEGER NOT NULL CHECK (horizon >= 0 AND horizon <= last)
) STRICT, WITHOUT ROWID;

CREATE TABLE party_changes (
	conference_id TEXT NOT NULL,
	seq           INTEGER NOT NULL CHECK (seq > 0),
	party_id      TEXT NOT NULL,
	at            INTEGER NOT NULL,
	created       INTEGER NOT NULL,
	hidden        INTEGER NOT NULL,
	changed       TEXT NOT NULL,
	before        TEXT NOT NULL,
	after         TEXT NOT NULL,
	PRIMARY KEY (conference_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX party_changes_by_at ON party_changes (conference_id, at);
CREATE INDEX party_changes_hidden ON party_changes (conference_id, seq) WHERE hidden = 1;
`,
	// 13: each party's net saves per UTC hour (unix seconds / 3600) of its
	// last analytics.RecentHours, for velocity; older hours are deleted
	// by hour.
	`
CREATE TABLE party_hours (
	party_id      TEXT NOT NULL,
	hour          INTEGER NOT NULL,
	conference_id TEXT NOT NULL,
	saves         INTEGER NOT NULL,
	PRIMARY KEY (party_id, hour)
) STRICT, WITHOUT ROWID;
CREATE INDEX party_hours_by_conference ON party_hours (conference_id, hour);
CREATE INDEX party_hours_by_hour ON party_hours (hour);
`,
}

func migrate(ctx context.Context, db *sql.DB) error {
	// One transaction for the check and every step, so two processes opening
	// a fresh file at once do not both create the tables.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("migrate: the file has schema version %d, newer than this program's %d", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
	}
	if version < len(migrations) {
		// PRAGMA takes no bound parameters; the value is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
			return fmt.Errorf("migrate: set version: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// errUnchanged, returned by an inTx function, says it found nothing to
// write: the transaction is rolled back, so the change's pending events and
// audit entries are not written either, and inTx returns nil.
var errUnchanged = errors.New("nothing changed")

// inTx runs fn in a write transaction (BEGIN IMMEDIATE, see Open) and
// commits when it returns nil. Unavailable when the write lock stays taken
// for lockWait (see begin).
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	conn, tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := fn(tx); err != nil {
		tx.Rollback()
		if errors.Is(err, errUnchanged) {
			return nil
		}
		return busy(ctx, err)
	}
	// The events of the change go into the outbox with it, or not at all;
	// so does its audit entry.
	if err := appendOutbox(ctx, tx, event.PendingFrom(ctx).Items(), s.nowUTC()); err != nil {
		tx.Rollback()
		return fmt.Errorf("outbox: %w", busy(ctx, err))
	}
	if err := appendAudit(ctx, tx, audit.PendingFrom(ctx).Items()); err != nil {
		tx.Rollback()
		return fmt.Errorf("audit: %w", busy(ctx, err))
	}
	return busy(ctx, tx.Commit())
}

// nowUTC returns the current time in UTC without a monotonic reading, so it
// compares equal to itself after a round trip through the file.
func (s *Store) nowUTC() time.Time { return s.now().UTC().Round(0) }

// Unix nanoseconds cover the years 1678 to 2262.
var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// nanos encodes t as Unix nanoseconds; the zero time becomes NULL.
func nanos(field string, t time.Time) (sql.NullInt64, error) {
	if t.IsZero() {
		return sql.NullInt64{}, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return sql.NullInt64{}, apperr.Field(field, "range", "must be between the years 1678 and 2262")
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}, nil
}

// fromNanos decodes what nanos encoded, in UTC.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}
