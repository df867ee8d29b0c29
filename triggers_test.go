package partyfinder

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/pubsub"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// pushBody is a Pub/Sub message as a push subscription delivers it to a
// CloudEvent function (the messagePublished data).
func pushBody(t *testing.T, e event.Event) []byte {
	t.Helper()
	msg, err := pubsub.Encode(t.Context(), e)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{
		"message":      map[string]any{"data": msg.Data, "attributes": msg.Attributes, "messageId": "m-" + e.EventMeta().ID},
		"subscription": "projects/demo-party/subscriptions/aggregate-analytics",
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func share(id string) event.Event {
	return analytics.Interaction{
		Meta: event.Meta{ID: id, Type: analytics.TypeInteraction, Version: analytics.EventVersion,
			At: time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC), Conference: "gc"},
		Kind: analytics.Share, PartyID: "p1",
	}
}

// The AggregateAnalytics trigger, built from the environment like a
// deployed instance, counts a pushed message once however often it comes.
func TestAggregateAnalyticsTrigger(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pf.db")
	env := map[string]string{EnvStore: StoreSQLite, EnvDB: db}
	l := &Lazy{Getenv: func(k string) string { return env[k] }}
	h := l.CloudEvent(TrAggregateAnalytics)
	ce := cloudevent.New()
	ce.SetID("ce-1")
	ce.SetType("google.cloud.pubsub.topic.v1.messagePublished")
	ce.SetSource("//pubsub.googleapis.com/projects/demo-party/topics/partyfinder-events")
	if err := ce.SetData("application/json", json.RawMessage(pushBody(t, share("e1")))); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := h(t.Context(), ce); err != nil {
			t.Fatal(err)
		}
	}
	s, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.Stats(t.Context(), "p1")
	if err != nil || st.Counters.Shares != 1 {
		t.Errorf("shares = %d (%v) after three deliveries, want 1", st.Counters.Shares, err)
	}
	if err := l.CloudEvent("NoSuchTrigger")(t.Context(), ce); err == nil {
		t.Error("an unknown trigger accepted an event")
	}
	bad := &Lazy{Getenv: func(k string) string { return map[string]string{EnvStore: "nope"}[k] }}
	if err := bad.CloudEvent(TrAggregateAnalytics)(t.Context(), ce); err == nil {
		t.Error("a misconfigured instance acknowledged an event it could not count")
	}
}

// The trigger is registered with the Functions Framework: served as
// Cloud Run serves it, it takes a binary-mode CloudEvent.
func TestAggregateAnalyticsRegistered(t *testing.T) {
	t.Setenv(EnvStore, StoreSQLite)
	t.Setenv(EnvDB, filepath.Join(t.TempDir(), "fn.db"))
	t.Setenv("K_SERVICE", "")
	base := start(t, TrAggregateAnalytics)
	req, _ := http.NewRequest(http.MethodPost, base+"/", bytes.NewReader(pushBody(t, share("e2"))))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("ce-id", "ce-2")
	req.Header.Set("ce-specversion", "1.0")
	req.Header.Set("ce-type", "google.cloud.pubsub.topic.v1.messagePublished")
	req.Header.Set("ce-source", "//pubsub.googleapis.com/projects/demo-party/topics/partyfinder-events")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Errorf("POST a CloudEvent to %s = %d, want 2xx", TrAggregateAnalytics, resp.StatusCode)
	}
}

// Every trigger builds from the environment and is registered under its
// name. A poison message is returned as an error by the Pub/Sub triggers,
// so the subscription dead-letters it after its attempts (kept for a
// replay once fixed), and acknowledged by the Firestore triggers, whose
// document data no retry can change.
func TestTriggersBuild(t *testing.T) {
	env := map[string]string{EnvStore: StoreSQLite, EnvDB: filepath.Join(t.TempDir(), "pf.db")}
	l := &Lazy{Getenv: func(k string) string { return env[k] }}
	for _, tr := range Triggers {
		ce := cloudevent.New()
		ce.SetID("ce-" + tr.Name)
		_ = ce.SetData("application/octet-stream", []byte("poison"))
		err := l.CloudEvent(tr.Name)(t.Context(), ce)
		if fromPubSub := len(tr.Documents) == 0; fromPubSub != (err != nil) {
			t.Errorf("%s on a poison message: %v; want an error: %v", tr.Name, err, fromPubSub)
		}
	}
}

// A build that failed is tried again once RetryBuild has passed: an
// instance whose first request met a store it could not open recovers
// when the store is back, instead of answering 503 for its life.
func TestLazyRetriesAFailedBuild(t *testing.T) {
	env := map[string]string{EnvStore: "nope"}
	now := time.Date(2026, 8, 20, 20, 0, 0, 0, time.UTC)
	l := &Lazy{Getenv: func(k string) string { return env[k] }, Now: func() time.Time { return now }}
	t.Cleanup(func() {
		if a := l.app.Load(); a != nil {
			a.shutdown()
		}
	})
	h := l.Handler(FnHealth)
	status := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/health", nil))
		return rec.Code
	}
	if got := status(); got != http.StatusServiceUnavailable {
		t.Fatalf("misconfigured: status %d, want 503", got)
	}
	env[EnvStore], env[EnvDB] = StoreSQLite, filepath.Join(t.TempDir(), "pf.db") // fixed meanwhile
	now = now.Add(RetryBuild / 2)
	if got := status(); got != http.StatusServiceUnavailable {
		t.Errorf("before RetryBuild has passed: status %d, want the failure's 503 again", got)
	}
	now = now.Add(RetryBuild)
	if got := status(); got != http.StatusOK {
		t.Errorf("after RetryBuild: status %d, want 200 from a new build", got)
	}
}
