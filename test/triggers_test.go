package blackbox_test

import (
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/testenv"

	gfs "cloud.google.com/go/firestore"
)

// triggerDeadline bounds how long a write takes to be counted by the
// cloud's route on the emulators: Firestore calls the trigger, which
// publishes to Pub/Sub, which pushes to the counting trigger.
const triggerDeadline = 60 * time.Second

// requireEmulator skips the test when an emulator it needs is missing,
// and fails it where the emulators must be there (CI=true,
// PARTYFINDER_REQUIRE_EMULATORS=1).
func requireEmulator(t *testing.T, why string) {
	t.Helper()
	testenv.Need(t, why)
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// startFirestoreEmulator starts a Firestore emulator of the test's own,
// calling its Firestore triggers at functionsAddr, and returns its
// host:port. It is killed (its whole process group: the launcher forks a
// JVM) when the test ends.
func startFirestoreEmulator(t *testing.T, functionsAddr string) string {
	t.Helper()
	bin := firestoreEmulatorBinary()
	if _, err := exec.LookPath(bin); err != nil {
		requireEmulator(t, "the Firestore emulator is not installed at "+bin+" (gcloud components install cloud-firestore-emulator)")
	}
	if _, err := exec.LookPath("java"); err != nil {
		requireEmulator(t, "the Firestore emulator needs java, which is not installed")
	}
	host, stop, err := launchFirestoreEmulator(functionsAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return host
}

// pollStats polls a party's stats until they are want, for up to
// triggerDeadline.
func (s *server) pollStats(t *testing.T, admin user, partyID string, want countersJSON) {
	t.Helper()
	deadline := time.Now().Add(triggerDeadline)
	for {
		got := s.stats(t, admin, partyID)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats of %s = %+v after %s, want %+v\nserver output:\n%s", partyID, got, triggerDeadline, want, s.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// With --store firestore --events pubsub the runner wires the cloud's
// route by itself: it registers its Firestore triggers with the emulator,
// bridges the emulator's calls to them, and subscribes its Pub/Sub
// triggers to the events topic. A swipe written straight to Firestore is
// counted, and one made through the API is counted once, not once by the
// API and once more by the trigger.
func TestTriggersCountFirestoreWrites(t *testing.T) {
	skipOn(t, "it starts a runner of its own with --events pubsub on its own emulators, the same whatever the target: the runner target's run covers it", targetFirestore, targetFunctions)
	psHost := os.Getenv("PUBSUB_EMULATOR_HOST")
	if psHost == "" {
		requireEmulator(t, "PUBSUB_EMULATOR_HOST is not set: start the Pub/Sub emulator (scripts/test does)")
	}
	serveAddr := "127.0.0.1:" + freePort(t)
	fsHost := startFirestoreEmulator(t, serveAddr)
	s, err := startServerEnv(filepath.Join(t.TempDir(), "pf.db"),
		[]string{"FIRESTORE_EMULATOR_HOST=" + fsHost, "PUBSUB_EMULATOR_HOST=" + psHost,
			"PARTYFINDER_EVENTS_TOPIC=events-" + strings.ToLower(rand.Text()[:8])},
		"--store", "firestore", "--events", "pubsub", "--addr", serveAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	for _, want := range []string{
		"firestore triggers: OnDecisionWritten on users/{uid}/swipes/{partyId} calls http://" + serveAddr + "/functions/projects/demo-party/triggers/OnDecisionWritten-1",
		"firestore triggers: OnDecisionWritten on users/{uid}/saves/{partyId} calls",
		"events: partyfinder-aggregate-analytics-events-",
	} {
		if !strings.Contains(s.output(), want) {
			t.Errorf("the runner did not print %q:\n%s", want, s.output())
		}
	}
	ps := partiesOf(t, s).published
	direct, viaAPI := ps[0], ps[1]
	admin := signIn(t, s, `{"uid":"triggers-admin","roles":["admin"]}`)

	// A client writes its swipe document itself, as firestore.rules allow.
	t.Setenv("FIRESTORE_EMULATOR_HOST", fsHost)
	fs, err := gfs.NewClient(t.Context(), "demo-party")
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if _, err := fs.Doc("users/direct-swiper/swipes/"+direct.ID).Set(t.Context(), map[string]any{
		"partyId": direct.ID, "action": "like", "at": time.Now().UTC(),
	}); err != nil {
		t.Fatal(err)
	}
	s.pollStats(t, admin, direct.ID, countersJSON{Likes: 1})

	// A like through the API saves the party too; its document writes are
	// counted by the trigger alone.
	u := signIn(t, s, `{"uid":"api-swiper"}`)
	s.swipe(t, u, `{"partyId":"`+viaAPI.ID+`","action":"like"}`)
	s.pollStats(t, admin, viaAPI.ID, countersJSON{Likes: 1, Saves: 1})
	// A later pass travels the trigger's route, the slower one: once it
	// is counted, a second count of the like would have arrived too.
	other := signIn(t, s, `{"uid":"api-passer"}`)
	s.swipe(t, other, `{"partyId":"`+viaAPI.ID+`","action":"pass"}`)
	s.pollStats(t, admin, viaAPI.ID, countersJSON{Likes: 1, Saves: 1, Passes: 1})
	if got := s.stats(t, admin, direct.ID); got != (countersJSON{Likes: 1}) {
		t.Errorf("the direct swipe's party now counts %+v, want one like", got)
	}

	// The runner checked that the emulator calls it.
	deadline := time.Now().Add(triggerDeadline)
	for !strings.Contains(s.output(), "the emulator at "+fsHost+" calls this run") {
		if strings.Contains(s.output(), "WARNING") || time.Now().After(deadline) {
			t.Fatalf("the runner did not confirm the emulator's calls:\n%s", s.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
