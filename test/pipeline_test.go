package blackbox_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gfs "cloud.google.com/go/firestore"
)

// spanLine matches a span as the stdout trace exporter prints it: its
// name, then its trace id.
var spanLine = regexp.MustCompile(`"Name":\s*"([^"]+)",\s*"SpanContext":\s*\{\s*"TraceID":\s*"([0-9a-f]{32})"`)

// spansOf returns the names of the spans of one trace in the output.
func spansOf(output, traceID string) map[string]bool {
	names := map[string]bool{}
	for _, m := range spanLine.FindAllStringSubmatch(output, -1) {
		if m[2] == traceID {
			names[m[1]] = true
		}
	}
	return names
}

// On the emulators, the cloud's asynchronous route end to end:
//   - a request's trace continues through the Firestore trigger its write
//     fires and on to the Pub/Sub handler that counts it;
//   - a party edited straight in Firestore (no API, no revision raised by
//     a store) reaches both Pub/Sub handlers through OnPartyWritten: the
//     analytics handler takes it, and the cache handler raises the
//     revision, which is the only way the serving instance can learn of
//     the edit; and the trigger gives the edit its place in the order of
//     changes, so a device's delta sync brings it.
func TestPipelineOnTheEmulators(t *testing.T) {
	skipOn(t, "it starts a runner of its own with --events pubsub on its own emulators, the same whatever the target: the runner target's run covers it", targetFirestore, targetFunctions)
	psHost := os.Getenv("PUBSUB_EMULATOR_HOST")
	if psHost == "" {
		requireEmulator(t, "PUBSUB_EMULATOR_HOST is not set: start the Pub/Sub emulator (scripts/test does)")
	}
	serveAddr := "127.0.0.1:" + freePort(t)
	fsHost := startFirestoreEmulator(t, serveAddr)
	s, err := startServerEnv(filepath.Join(t.TempDir(), "pf.db"),
		[]string{"FIRESTORE_EMULATOR_HOST=" + fsHost, "PUBSUB_EMULATOR_HOST=" + psHost,
			"PARTYFINDER_EVENTS_TOPIC=events-" + strings.ToLower(rand.Text()[:8]),
			"PARTYFINDER_TRACE_EXPORTER=stdout", "LOG_LEVEL=debug", "PARTYFINDER_FEED_REFRESH=1s"},
		"--store", "firestore", "--events", "pubsub", "--addr", serveAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	ps := partiesOf(t, s).published

	t.Run("trace continues from the request through the trigger to the handler", func(t *testing.T) {
		tid := make([]byte, 16)
		rand.Read(tid)
		traceID := hex.EncodeToString(tid)
		u := signIn(t, s, `{"uid":"traced-swiper"}`)
		r := s.as(t, u, http.MethodPost, "/api/swipe", `{"partyId":"`+ps[2].ID+`","action":"pass"}`,
			"traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
		wantStatus(t, r, http.StatusOK, "POST /api/swipe")
		want := []string{"POST /api/swipe", "OnDecisionWritten", "AggregateAnalytics"}
		deadline := time.Now().Add(triggerDeadline)
		for {
			got := spansOf(s.output(), traceID)
			missing := []string{}
			for _, name := range want {
				if !got[name] {
					missing = append(missing, name)
				}
			}
			if len(missing) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("trace %s has spans %v; missing %v\nserver output:\n%s", traceID, got, missing, s.output())
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("a party edit reaches both handlers", func(t *testing.T) {
		p := ps[0]
		t.Setenv("FIRESTORE_EMULATOR_HOST", fsHost)
		fs, err := gfs.NewClient(t.Context(), "demo-party")
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close()
		device := &syncCopy{conference: p.ConferenceID}
		device.sync(t, s)
		title := "Edited in the console " + strings.ToLower(rand.Text()[:6])
		if _, err := fs.Doc("parties/"+p.ID).Update(t.Context(), []gfs.Update{
			{Path: "title", Value: title}, {Path: "version", Value: gfs.Increment(1)},
		}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(triggerDeadline)
		for {
			out := s.output()
			handled := func(handler string) bool {
				for _, line := range strings.Split(out, "\n") {
					if strings.Contains(line, handler+": handled") && strings.Contains(line, `"eventType":"party.updated"`) {
						return true
					}
				}
				return false
			}
			r := s.get(t, "/api/parties/"+p.ID)
			if handled("AggregateAnalytics") && handled("InvalidateCache") && r.Status == http.StatusOK && strings.Contains(string(r.Body), title) {
				// The serving instance shows the edit: its delta sync
				// brings it, once, as the only change, when the trigger
				// has recorded it (right after it published its events).
				before := device.token
				items := device.sync(t, s)
				for len(items) == 0 && time.Now().Before(deadline) {
					time.Sleep(200 * time.Millisecond)
					items = device.sync(t, s)
				}
				if len(items) != 1 || items[0].ID != p.ID || items[0].Title != title {
					t.Fatalf("delta sync after the console's edit brings %+v, want %s titled %q\nserver output:\n%s", items, p.ID, title, s.output())
				}
				if again := device.sync(t, s); len(again) != 0 || device.token == before {
					t.Errorf("a second sync brings %+v (token %s, was %s)", again, device.token, before)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %s: AggregateAnalytics handled it: %v, InvalidateCache: %v, the party serves %.200s\nserver output:\n%s",
					triggerDeadline, handled("AggregateAnalytics"), handled("InvalidateCache"), r.Body, out)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}
