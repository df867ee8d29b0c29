package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	msqlite "modernc.org/sqlite"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// lockWait bounds how long a write waits for the file's write lock: queued
// behind this process's other writes and waiting for a lock another
// process holds (an import from the command line), together. After it the
// write fails with Unavailable, which the HTTP edge answers with 503 and
// Retry-After.
//
// Two seconds: the longest lock this program takes, a 1,500-party import in
// one transaction, is held for 0.1–0.2 s (docs/PERFORMANCE.md), and a swipe
// for about a millisecond, so ordinary contention is ridden out ten times
// over; a longer hold is something else (a stuck process, a manual session
// in the sqlite3 shell), and the client learns it while the request's own
// deadline (15 s, set by the HTTP middleware) is far away, instead of
// hanging most of that time and then failing.
const lockWait = 2 * time.Second

// SQLite's primary result codes for a lock another connection holds; the
// extended codes (SQLITE_BUSY_RECOVERY, SQLITE_BUSY_SNAPSHOT,
// SQLITE_BUSY_TIMEOUT…) carry them in their low byte.
const (
	codeBusy   = 5 // SQLITE_BUSY: "database is locked"
	codeLocked = 6 // SQLITE_LOCKED: a table is locked within a shared cache
)

// errBusy is the client-safe message of a store that could not get its lock.
var errBusy = apperr.New(apperr.Unavailable, "the database is busy: another process is writing to it; try again shortly")

// begin starts a write transaction on the write connection, waiting at
// most lockWait in all for the connection and the file's write lock. The
// caller closes the connection after the transaction ends. Unavailable
// when the wait runs out.
func (s *Store) begin(ctx context.Context) (*sql.Conn, *sql.Tx, error) {
	deadline := time.Now().Add(lockWait)
	waitCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	conn, err := s.write.Conn(waitCtx)
	if err != nil {
		return nil, nil, busy(ctx, err)
	}
	// The rest of the wait is for the file lock: busy_timeout is how long
	// SQLite retries BEGIN IMMEDIATE while another process holds it.
	left := time.Until(deadline).Milliseconds()
	if left < 1 {
		conn.Close()
		return nil, nil, fmt.Errorf("begin: %w", errBusy)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", left)); err != nil {
		conn.Close()
		return nil, nil, busy(ctx, err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, nil, busy(ctx, err)
	}
	return conn, tx, nil
}

// busy translates what a wait for a lock ends with into Unavailable: SQLite's
// "database is locked" (its busy timeout included) and a deadline that ran
// out while waiting. A cancelled ctx (the caller gave up) and every other
// error pass unchanged; nil stays nil.
func busy(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	if isBusy(err) || errors.Is(err, context.DeadlineExceeded) && !errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("%w: %w", errBusy, err)
	}
	return err
}

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED, in
// any of their extended forms.
func isBusy(err error) bool {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	code := e.Code() & 0xff
	return code == codeBusy || code == codeLocked
}
