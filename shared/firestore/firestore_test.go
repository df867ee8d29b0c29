package firestore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"testing"
	"time"

	gfs "cloud.google.com/go/firestore"

	"github.com/partyfinder/partyfinder/shared/audit/audittest"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/party/partytest"
	"github.com/partyfinder/partyfinder/shared/testenv"
)

// emulatorHost returns FIRESTORE_EMULATOR_HOST, once something answers
// there. Without it the test is skipped, visibly, unless the emulators are
// required (testenv: CI, scripts/test), where it fails.
func emulatorHost(t *testing.T) string {
	t.Helper()
	host := os.Getenv("FIRESTORE_EMULATOR_HOST")
	if host == "" {
		testenv.Need(t, "FIRESTORE_EMULATOR_HOST is not set; start the emulator "+
			"(cloud_firestore_emulator --host=127.0.0.1 --port=8181 --project_id=demo-party) and set FIRESTORE_EMULATOR_HOST=127.0.0.1:8181")
	}
	// Fail fast with a clear message instead of timing out in every test.
	conn, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		t.Fatalf("FIRESTORE_EMULATOR_HOST=%s but nothing answers there: %v", host, err)
	}
	conn.Close()
	return host
}

// emulatorClient returns a client on the Firestore emulator (emulatorHost).
func emulatorClient(t *testing.T) *gfs.Client {
	t.Helper()
	emulatorHost(t)
	project := os.Getenv("FIRESTORE_PROJECT_ID")
	if project == "" {
		project = "demo-party"
	}
	c, err := firestore.NewClient(context.Background(), project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// emulatorTxBudget bounds the transactions of the stores the contract
// suites get: their concurrency tests make transactions collide, and the
// emulator stalls each collision for about two seconds, the production
// budget (TestContendedWritesFailFast holds the store to that one).
const emulatorTxBudget = 60 * time.Second

// createConference stores a conference of Gamescom's week in Köln with
// the id and name, for tests that need one to write parties to.
func createConference(t *testing.T, s *firestore.Store, id, name string) {
	t.Helper()
	conf, err := conference.New(id, name, "Köln", "Europe/Berlin", "2025-08-20", "2025-08-24")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateConference(t.Context(), conf); err != nil {
		t.Fatal(err)
	}
}

// night returns a published party of the conference, at 18:00 UTC on
// its first day, titled after its id.
func night(t *testing.T, id, conferenceID string) party.Party {
	t.Helper()
	p, err := party.New(party.Party{ID: id, ConferenceID: conferenceID, Title: "Night " + id,
		Start: time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC), Status: party.Published})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// isolated returns a store whose collections no other test uses.
func isolated(t *testing.T, c *gfs.Client) *firestore.Store {
	b := make([]byte, 6)
	rand.Read(b)
	s := firestore.New(c, firestore.WithCollectionPrefix("t"+hex.EncodeToString(b)+"_"))
	firestore.SetTransactionBudget(s, emulatorTxBudget)
	return s
}

func TestContract(t *testing.T) {
	c := emulatorClient(t)
	partytest.Run(t, func(t *testing.T, now func() time.Time) partytest.Store {
		s := isolated(t, c)
		firestore.SetClock(s, now)
		return s
	})
	audittest.Run(t, func(t *testing.T) audittest.Store {
		return isolated(t, c)
	})
}

func TestPing(t *testing.T) {
	c := emulatorClient(t)
	if err := isolated(t, c).Ping(t.Context()); err != nil {
		t.Errorf("Ping on a running emulator: %v", err)
	}
}

func TestNewClientNeedsProjectWithEmulator(t *testing.T) {
	t.Setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")
	if c, err := firestore.NewClient(context.Background(), ""); err == nil {
		c.Close()
		t.Error("NewClient without a project id succeeded against the emulator; want an error naming the problem")
	}
}
