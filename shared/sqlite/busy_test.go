package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/attendee/attendeetest"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// busyBound is how long a write may take to give up on a lock another
// process holds: the store waits two seconds; the rest is margin for a
// loaded machine. Before, it waited ten seconds per write, one write after
// another, and then failed with an internal error.
const busyBound = 5 * time.Second

// lockFile takes the file's write lock from a connection of its own, as
// another process (an import from the command line) does, and returns the
// function that releases it.
func lockFile(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("take the write lock: %v", err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
				t.Errorf("release the write lock: %v", err)
			}
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// While another process holds the write lock, every kind of write fails
// with Unavailable (the HTTP edge's 503 with Retry-After) within the bound,
// also the writes queued behind each other in this process, and a clear
// message says why; reads go on. Once the lock is released, writes succeed.
func TestWritesWhileAnotherProcessHoldsTheLock(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	c, err := conference.New("gamescom2025", "Gamescom 2025", "Köln", "Europe/Berlin", "2025-08-20", "2025-08-24")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateConference(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateParty(ctx, sampleParty("p1")); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	like := attendee.Swipe{UID: "ada", PartyID: "p1", Action: attendee.Like, At: at}
	writes := map[string]func() error{
		"swipe": func() error { _, err := attendeetest.RecordSwipe(ctx, s, like); return err },
		"profile": func() error {
			_, err := s.UpdateProfile(ctx, "ada", func(p *attendee.Profile) error { p.DisplayName = "Ada"; p.Touch(at); return nil })
			return err
		},
		"calendar link":     func() error { return attendeetest.SetToken(ctx, s, "ada", 1, strings.Repeat("a", 64)) },
		"erasure":           func() error { return s.DeleteUser(ctx, "ada") },
		"create conference": func() error { _, err := s.CreateConference(ctx, mustConference(t, "devcom2025")); return err },
		"update conference": func() error {
			_, err := s.UpdateConference(ctx, "gamescom2025", func(c *conference.Conference) error { c.City = "Cologne"; return nil })
			return err
		},
		"create party": func() error { _, err := s.CreateParty(ctx, sampleParty("p2")); return err },
		"update party": func() error {
			_, err := s.UpdateParty(ctx, "p1", func(p *party.Party) error { p.Title = "Renamed"; return nil })
			return err
		},
		"import": func() error {
			p := sampleParty("p3")
			p.Version, p.CreatedAt, p.UpdatedAt = 1, at, at
			return s.SaveParties(ctx, []party.Party{p})
		},
		"analytics": func() error {
			_, err := s.Apply(ctx, []analytics.Change{{EventID: "e1", Conference: "gamescom2025", PartyID: "p1", At: at, Delta: analytics.Counters{Views: 1}}})
			return err
		},
		"outbox append": func() error {
			meta := event.Meta{ID: "e2", Type: attendee.TypeUserErased, Version: attendee.EventVersion, At: at, Actor: "ada"}
			return s.Append(ctx, attendee.UserErased{Meta: meta, UID: "ada"})
		},
		"outbox delivery": func() error { return s.Delivered(ctx, 1) },
	}

	release := lockFile(t, path)
	var wg sync.WaitGroup
	for name, write := range writes {
		wg.Go(func() {
			began := time.Now()
			err := write()
			took := time.Since(began)
			if !apperr.Is(err, apperr.Unavailable) {
				t.Errorf("%s while another process writes: %v (kind %q), want Unavailable", name, err, apperr.KindOf(err))
				return
			}
			if e, _ := apperr.As(err); !strings.Contains(e.Message, "busy") {
				t.Errorf("%s: message %q does not say the database is busy", name, e.Message)
			}
			if took > busyBound {
				t.Errorf("%s gave up after %v, want within %v", name, took, busyBound)
			}
		})
	}
	// Reads are not blocked by a writer (WAL).
	if _, err := s.Party(ctx, "p1"); err != nil {
		t.Errorf("read while another process writes: %v", err)
	}
	wg.Wait()

	release()
	for _, name := range []string{"swipe", "profile", "update party"} {
		if err := writes[name](); err != nil {
			t.Errorf("%s after the lock was released: %v", name, err)
		}
	}
	if p, err := s.Party(ctx, "p1"); err != nil || p.Title != "Renamed" {
		t.Errorf("party after the lock was released: %+v, %v", p, err)
	}
}

// A request whose deadline comes before the store's own bound gets
// Unavailable too, not an internal error.
func TestWriteDeadlineWhileLocked(t *testing.T) {
	s, path := openTemp(t)
	lockFile(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := attendeetest.RecordSwipe(ctx, s, attendee.Swipe{UID: "ada", PartyID: "p1", Action: attendee.Like, At: time.Now()})
	if !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("swipe with a short deadline while locked: %v (kind %q), want Unavailable", err, apperr.KindOf(err))
	}
}

// The file, its -wal and -shm companions and the folders Open creates
// hold users' data: only their owner may read them.
func TestFilesAreOwnerOnly(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "state", ".partyfinder", "partyfinder.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A write, so that the write-ahead log exists.
	if _, err := s.CreateParty(t.Context(), sampleParty("p1")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm", filepath.Dir(path), filepath.Dir(filepath.Dir(path))} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 || perm&want != want {
			t.Errorf("%s has mode %v, want %v (the owner's alone)", strings.TrimPrefix(f, root), perm, want)
		}
	}
}

func mustConference(t *testing.T, id string) conference.Conference {
	t.Helper()
	c, err := conference.New(id, "Devcom 2025", "Köln", "Europe/Berlin", "2025-08-18", "2025-08-19")
	if err != nil {
		t.Fatal(err)
	}
	return c
}
