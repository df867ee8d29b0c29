package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"

	"github.com/partyfinder/partyfinder"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/firestore"
)

// capturedBody is what the Firestore emulator (1.19.9) POSTed for a like
// written to users/u1/swipes/p1: base64 text of the DocumentEventData.
const capturedBody = "CpcBCkRwcm9qZWN0cy9kZW1vLXBhcnR5L2RhdGFiYXNlcy8oZGVmYXVsdCkvZG9jdW1lbnRzL3VzZXJzL3UxL3N3aXBlcy9wMRIQCgdwYXJ0eUlkEgWKAQJwMRIRCgZhY3Rpb24SB4oBBGxpa2USDgoCYXQSCFIGCIDy1soGGgwIkpek2AYQoKCb4wEiDAiSl6TYBhCgoJvjARoA"

// capturedCall is that call as the bridge receives it, headers and all.
func capturedCall(t *testing.T, id string, body string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/functions/projects/demo-party/triggers/"+id, strings.NewReader(body))
	for k, v := range map[string]string{
		"Accept-Encoding":     "gzip",
		"User-Agent":          "Google-HTTP-Java-Client/unknown-version (gzip)",
		"ce-specversion":      "1.0",
		"ce-type":             "google.cloud.firestore.document.v1.written",
		"ce-source":           "//firestore.googleapis.com/projects/projects/demo-party/databases/(default)",
		"ce-id":               "92f47e5d-b2a8-42ee-8efd-5c50c23c1ff4",
		"ce-subject":          "documents/users/u1/swipes/p1",
		"ce-time":             "2026-11-27T04:48:18Z",
		"ce-datacontenttype":  "application/protobuf",
		"ce-dataschema":       "https://github.com/googleapis/google-cloudevents/blob/main/proto/google/events/cloud/firestore/v1/data.proto",
		"ce-location":         "us-central1",
		"ce-project":          "demo-party",
		"ce-database":         "(default)",
		"ce-namespace":        "(default)",
		"ce-document":         "users/u1/swipes/p1",
		"Content-Type":        "application/protobuf",
		"Accept":              "text/html, image/gif, image/jpeg, */*; q=0.2",
		"X-Unrelated-Header":  "ignored",
		"ce-not_an_extension": "a name CloudEvents refuses is left out",
	} {
		r.Header.Set(k, v)
	}
	return r
}

// recorder is a trigger handler that keeps what it was given and fails
// as often as told first.
type recorder struct {
	events []cloudevent.Event
	fail   int
}

func (rec *recorder) handle(_ context.Context, e cloudevent.Event) error {
	rec.events = append(rec.events, e)
	if len(rec.events) <= rec.fail {
		return errors.New("the topic is unavailable")
	}
	return nil
}

func newTestBridge(rec *recorder) *bridge {
	b := newBridge([]firestoreRegistration{{ID: "OnDecisionWritten-1", Trigger: "OnDecisionWritten", Document: "users/{uid}/swipes/{partyId}"}},
		func(name string) partyfinder.CloudEventHandler {
			if name != "OnDecisionWritten" {
				return nil
			}
			return rec.handle
		})
	b.retries = []time.Duration{0, 0, 0}
	return b
}

// The emulator's call becomes the CloudEvent production delivers: the
// protobuf bytes as application/protobuf data, the source without the
// doubled projects/, the ce-* attributes and Firestore's extensions.
func TestBridgeDeliversTheEmulatorsCall(t *testing.T) {
	raw, err := base64.StdEncoding.DecodeString(capturedBody)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"base64 text, as the emulator sends": capturedBody, "bytes, as production sends": string(raw)} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			w := httptest.NewRecorder()
			newTestBridge(rec).ServeHTTP(w, capturedCall(t, "OnDecisionWritten-1", body))
			if w.Code != http.StatusNoContent || len(rec.events) != 1 {
				t.Fatalf("status %d, %d events; want 204 and one event: %s", w.Code, len(rec.events), w.Body)
			}
			e := rec.events[0]
			if err := e.Validate(); err != nil {
				t.Error(err)
			}
			wantAt := time.Date(2026, 11, 27, 4, 48, 18, 0, time.UTC)
			if e.ID() != "92f47e5d-b2a8-42ee-8efd-5c50c23c1ff4" || e.Type() != firestoreWritten ||
				e.Source() != "//firestore.googleapis.com/projects/demo-party/databases/(default)" ||
				e.Subject() != "documents/users/u1/swipes/p1" || !e.Time().Equal(wantAt) ||
				e.DataContentType() != "application/protobuf" || !strings.HasSuffix(e.DataSchema(), "/firestore/v1/data.proto") {
				t.Errorf("event attributes: %s", e.Context)
			}
			ext := e.Extensions()
			if ext["document"] != "users/u1/swipes/p1" || ext["database"] != "(default)" || ext["project"] != "demo-party" || ext["location"] != "us-central1" {
				t.Errorf("extensions %v", ext)
			}
			for _, k := range []string{"datacontenttype", "not_an_extension"} {
				if _, ok := ext[k]; ok {
					t.Errorf("extension %s kept", k)
				}
			}
			if !slices.Equal(e.Data(), raw) {
				t.Fatalf("data is not the DocumentEventData bytes: %q", e.Data())
			}
			c, err := firestore.DecodeDecisionChange(e.Data())
			if err != nil {
				t.Fatal(err)
			}
			if c.UID != "u1" || c.PartyID != "p1" || c.Swipe[0] != nil || c.Swipe[1] == nil || c.Swipe[1].Action != attendee.Like {
				t.Errorf("decoded change %+v", c)
			}
		})
	}
}

// The emulator calls a trigger once, whatever it answers: the bridge
// tries a failing handler again before it answers 503.
func TestBridgeRetriesAFailingTrigger(t *testing.T) {
	for _, tt := range []struct {
		fail, wantCalls, wantStatus int
	}{
		{fail: 0, wantCalls: 1, wantStatus: http.StatusNoContent},
		{fail: 2, wantCalls: 3, wantStatus: http.StatusNoContent},
		{fail: 99, wantCalls: 4, wantStatus: http.StatusServiceUnavailable},
	} {
		rec := &recorder{fail: tt.fail}
		w := httptest.NewRecorder()
		newTestBridge(rec).ServeHTTP(w, capturedCall(t, "OnDecisionWritten-1", capturedBody))
		if w.Code != tt.wantStatus || len(rec.events) != tt.wantCalls {
			t.Errorf("failing %d times: status %d after %d calls, want %d after %d", tt.fail, w.Code, len(rec.events), tt.wantStatus, tt.wantCalls)
		}
		for _, e := range rec.events {
			if e.ID() != rec.events[0].ID() {
				t.Errorf("a retry has another event id: %s", e.ID())
			}
		}
	}
}

func TestBridgeRefuses(t *testing.T) {
	noID := capturedCall(t, "OnDecisionWritten-1", capturedBody)
	noID.Header.Del("Ce-Id")
	badTime := capturedCall(t, "OnDecisionWritten-1", capturedBody)
	badTime.Header.Set("Ce-Time", "yesterday")
	get := capturedCall(t, "OnDecisionWritten-1", "")
	get.Method = http.MethodGet
	for name, tt := range map[string]struct {
		r    *http.Request
		want int
	}{
		"an unknown registration": {capturedCall(t, "OnPartyWritten-7", capturedBody), http.StatusNotFound},
		"no trigger id":           {capturedCall(t, "", capturedBody), http.StatusNotFound},
		"a GET":                   {get, http.StatusNotFound},
		"no ce-id":                {noID, http.StatusBadRequest},
		"an unreadable ce-time":   {badTime, http.StatusBadRequest},
	} {
		rec := &recorder{}
		w := httptest.NewRecorder()
		newTestBridge(rec).ServeHTTP(w, tt.r)
		if w.Code != tt.want || len(rec.events) != 0 {
			t.Errorf("%s: status %d with %d calls, want %d and none", name, w.Code, len(rec.events), tt.want)
		}
	}
}

// Every trigger of a table is wired one way: a Firestore trigger gets one
// registration per document pattern, a Pub/Sub trigger a push
// subscription.
func TestTriggerWiringFromTheTable(t *testing.T) {
	table := []partyfinder.Trigger{
		{Name: "AggregateAnalytics"},
		{Name: "OnDecisionWritten", Documents: []string{"users/{uid}/swipes/{partyId}", "users/{uid}/saves/{partyId}"}},
		{Name: "OnPartyWritten", Documents: []string{"parties/{partyId}"}},
		{Name: "InvalidateCache"},
		{Name: "ResyncSheets", Scheduled: true}, // not fed by the events topic
	}
	wantRegs := []firestoreRegistration{
		{"OnDecisionWritten-1", "OnDecisionWritten", "users/{uid}/swipes/{partyId}"},
		{"OnDecisionWritten-2", "OnDecisionWritten", "users/{uid}/saves/{partyId}"},
		{"OnPartyWritten-1", "OnPartyWritten", "parties/{partyId}"},
	}
	if got := firestoreRegistrations(table); !slices.Equal(got, wantRegs) {
		t.Errorf("registrations %v, want %v", got, wantRegs)
	}
	wantSubs := []pushSubscription{
		{"partyfinder-aggregate-analytics", "AggregateAnalytics"},
		{"partyfinder-invalidate-cache", "InvalidateCache"},
	}
	if got := pushSubscriptions(table, "partyfinder-events"); !slices.Equal(got, wantSubs) {
		t.Errorf("subscriptions %v, want %v", got, wantSubs)
	}
	if got := pushSubscriptions(table, "events-x1"); got[0].ID != "partyfinder-aggregate-analytics-events-x1" {
		t.Errorf("on another topic: %v", got)
	}

	// The real table: each trigger wired exactly once; a scheduled one by
	// the runner's own timer (App.SyncSheets).
	wired := map[string]int{}
	for _, tr := range partyfinder.Triggers {
		if tr.Scheduled {
			wired[tr.Name]++
		}
	}
	for _, r := range firestoreRegistrations(partyfinder.Triggers) {
		wired[r.Trigger]++
	}
	for _, s := range pushSubscriptions(partyfinder.Triggers, defaultEventsTopic) {
		wired[s.Trigger]++
	}
	for _, tr := range partyfinder.Triggers {
		want := max(len(tr.Documents), 1)
		if wired[tr.Name] != want {
			t.Errorf("%s is wired %d times, want %d", tr.Name, wired[tr.Name], want)
		}
	}
}

func TestTriggerNamesInKebabCase(t *testing.T) {
	for in, want := range map[string]string{
		"AggregateAnalytics": "aggregate-analytics",
		"InvalidateCache":    "invalidate-cache",
		"OnHTTPCall":         "on-http-call",
		"Sync2Calendar":      "sync2-calendar",
		"x":                  "x",
	} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%q) = %q, want %q", in, got, want)
		}
	}
}

// The registration is the emulator's REST call, as EMULATORS.md shows it.
func TestRegisterFirestoreTrigger(t *testing.T) {
	var got struct {
		method, path, query, contentType string
		body                             map[string]any
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path, got.query, got.contentType = r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Content-Type")
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &got.body); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
		w.Write(b) // the emulator echoes the registration
	}))
	defer srv.Close()
	reg := firestoreRegistration{ID: "OnDecisionWritten-2", Trigger: "OnDecisionWritten", Document: "users/{uid}/saves/{partyId}"}
	if err := registerFirestoreTrigger(t.Context(), srv.Client(), strings.TrimPrefix(srv.URL, "http://"), "demo-party", reg); err != nil {
		t.Fatal(err)
	}
	if got.method != http.MethodPost || got.path != "/emulator/v1/projects/demo-party/eventarcTrigger" ||
		got.query != "eventarcTriggerId=OnDecisionWritten-2" || got.contentType != "application/json" {
		t.Errorf("request %s %s?%s (%s)", got.method, got.path, got.query, got.contentType)
	}
	want := `{"database":"(default)","document":{"matchType":"PATH_PATTERN","value":"users/{uid}/saves/{partyId}"},"eventType":"google.cloud.firestore.document.v1.written","namespace":"(default)"}`
	if b, _ := json.Marshal(got.body); string(b) != want {
		t.Errorf("body %s\nwant %s", b, want)
	}

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"code":500,"status":"UNKNOWN"}}`, http.StatusInternalServerError)
	}))
	defer failing.Close()
	if err := registerFirestoreTrigger(t.Context(), failing.Client(), strings.TrimPrefix(failing.URL, "http://"), "demo-party", reg); err == nil || !strings.Contains(err.Error(), "OnDecisionWritten-2") {
		t.Errorf("a refused registration: %v", err)
	}
}

// Without an emulator nothing is registered, and the run says why.
func TestSetupFirestoreTriggersWithoutEmulator(t *testing.T) {
	t.Setenv("FIRESTORE_EMULATOR_HOST", "")
	var out strings.Builder
	b := newTestBridge(&recorder{})
	if err := setupFirestoreTriggers(t.Context(), partyfinder.Config{ProjectID: "demo-party"}, b, "127.0.0.1:8080", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "NOT registered") || !strings.Contains(out.String(), "FIRESTORE_EMULATOR_HOST is not set") {
		t.Errorf("output %q", out.String())
	}
}

// The delivery check confirms an emulator that calls the run, and says
// how to start one that does not.
func TestBridgeChecksDelivery(t *testing.T) {
	for _, calls := range []bool{true, false} {
		b := newTestBridge(&recorder{})
		var writes []string
		emulator := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writes = append(writes, r.Method+" "+r.URL.EscapedPath())
			if r.Method == http.MethodPatch && calls {
				probe := capturedCall(t, "PartyfinderDeliveryCheck", capturedBody)
				rec := httptest.NewRecorder()
				b.ServeHTTP(rec, probe)
				if rec.Code != http.StatusNoContent {
					t.Errorf("the check's call: %d", rec.Code)
				}
			}
			w.Write([]byte("{}"))
		}))
		var out strings.Builder
		host := strings.TrimPrefix(emulator.URL, "http://")
		b.checkDelivery(t.Context(), emulator.Client(), host, "demo-party", "127.0.0.1:8080", 200*time.Millisecond, &out)
		emulator.Close()
		want := "calls this run at 127.0.0.1:8080"
		if !calls {
			want = "--functions_emulator=127.0.0.1:8080"
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("emulator calls: %v: output %q, want it to say %q", calls, out.String(), want)
		}
		if len(writes) != 3 || !strings.HasPrefix(writes[0], "POST /emulator/v1/projects/demo-party/eventarcTrigger") ||
			!strings.HasPrefix(writes[1], "PATCH /v1/projects/demo-party/databases/(default)/documents/"+probeCollection+"/") ||
			!strings.HasPrefix(writes[2], "DELETE ") {
			t.Errorf("requests to the emulator: %v", writes)
		}
	}
}
