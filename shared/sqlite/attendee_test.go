package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/attendee/attendeetest"
)

func openAttendeeStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "partyfinder.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestAttendeeContract(t *testing.T) {
	attendeetest.Run(t, func(t *testing.T) attendee.Repository { return openAttendeeStore(t) })
}

// A file written before attendees existed is migrated in place on open:
// its conferences stay, and attendee data can be stored next to them.
func TestMigratesFileWithoutAttendees(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		migrations[0],
		`PRAGMA user_version = 1`,
		`INSERT INTO conferences (id, name, city, time_zone, first_day, last_day)
			VALUES ('gamescom2025', 'Gamescom 2025', 'Köln', 'Europe/Berlin', '2025-08-20', '2025-08-24')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("build a version 1 file: %v", err)
		}
	}
	db.Close()

	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open of a version 1 file: %v", err)
	}
	defer s.Close()
	if _, err := s.Conference(ctx, "gamescom2025"); err != nil {
		t.Errorf("conference lost in the migration: %v", err)
	}
	if _, err := attendeetest.RecordSwipe(ctx, s, attendee.Swipe{UID: "ada", PartyID: "p1", Action: attendee.Like, At: time.Now()}); err != nil {
		t.Errorf("RecordSwipe after the migration: %v", err)
	}
	var version int
	if err := s.read.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != len(migrations) {
		t.Errorf("user_version = %d, %v; want %d", version, err, len(migrations))
	}
}
