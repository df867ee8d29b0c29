package partyfinder

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/pubsub"
	"github.com/partyfinder/partyfinder/shared/sqlite"
	"github.com/partyfinder/partyfinder/shared/telemetry"
)

// The application's own metrics say what an operator asks of a running
// instance: how each route answers and how fast, how often each cache
// tier hits, how late and how often events arrive, what imports did.
// The meter provider is the process-wide one, as in production, so this
// test does not run in parallel with others.
func TestMetricsOfRequestsCachesEventsAndImports(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(mp)
	t.Cleanup(func() { otel.SetMeterProvider(prev) })

	ctx := t.Context()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	conf, parties := demo.Data(time.Now())
	if _, err := store.CreateConference(ctx, conf); err != nil {
		t.Fatal(err)
	}
	if err := store.SaveParties(ctx, parties); err != nil {
		t.Fatal(err)
	}
	a := New(Config{Store: StoreSQLite, Local: true}, store, Auth{})
	t.Cleanup(func() { a.Close() })
	// Apps other tests left open report to the same provider: what counts
	// is what changes from here on.
	before := collect(t, reader)

	// Requests: the same feed page twice (rendered once, then from the
	// response cache), one unknown party, one method the feed's route
	// does not take (counted under the route: its path is the route's),
	// one path no route knows.
	feedFn := a.Handler(FnParties)
	for _, req := range []struct{ method, target string }{
		{http.MethodGet, "/api/parties"}, {http.MethodGet, "/api/parties"},
		{http.MethodGet, "/api/parties/no-such-party"}, {"BREW", "/api/parties"},
		{http.MethodGet, "/api/parties/x/y/z"},
	} {
		feedFn.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.target, nil))
	}

	// An event Pub/Sub delivers for the second time, published 3 s ago.
	data, err := pubsub.PushedData(ctx, analytics.Interaction{Meta: event.Meta{ID: "ev1", Type: analytics.TypeInteraction, Version: 1,
		At: time.Now(), Conference: conf.ID}, Kind: analytics.Share, PartyID: parties[0].ID}, "m1", "projects/p/subscriptions/s")
	if err != nil {
		t.Fatal(err)
	}
	var msg map[string]any
	if err := json.Unmarshal(data, &msg); err != nil {
		t.Fatal(err)
	}
	msg["deliveryAttempt"] = 2
	msg["message"].(map[string]any)["publishTime"] = time.Now().Add(-3 * time.Second).Format(time.RFC3339Nano)
	ce := cloudevent.New()
	ce.SetID("m1")
	ce.SetType("google.cloud.pubsub.topic.v1.messagePublished")
	ce.SetSource("//pubsub.googleapis.com/projects/p/topics/events")
	if err := ce.SetData("application/json", msg); err != nil {
		t.Fatal(err)
	}
	if err := a.TriggerHandler(TrAggregateAnalytics)(ctx, ce); err != nil {
		t.Fatal(err)
	}

	// An import: one new party, one row without a name (rejected).
	csv := "Date,Start Time,Event Name,Address\n" +
		conf.FirstDay + ",20:00,Metrics Night,Koelnmesse Hall 1\n" +
		conf.FirstDay + ",21:00,,Koelnmesse Hall 2\n"
	in, err := importer.Parse(strings.NewReader(csv), importer.CSV)
	if err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	im := a.importer()
	a.mu.Unlock()
	if _, err := im.Run(ctx, importer.Request{ConferenceID: conf.ID, Input: in}); err != nil {
		t.Fatal(err)
	}

	got := collect(t, reader)
	for name, series := range before {
		for attrs, v := range series {
			got[name][attrs] -= v
		}
	}

	requests := got[telemetry.MetricRequestDuration]
	for _, tc := range []struct {
		route, method, class string
		count                uint64
	}{
		{"/api/parties", "GET", "2xx", 2},
		{"/api/parties/{id}", "GET", "4xx", 1},
		{"/api/parties", "_OTHER", "4xx", 1},
		{"unmatched", "GET", "4xx", 1},
	} {
		key := "faas.name=parties,http.request.method=" + tc.method + ",http.response.status_class=" + tc.class + ",http.route=" + tc.route
		if n := requests[key]; n != float64(tc.count) {
			t.Errorf("requests {%s}: %v, want %d (all: %v)", key, n, tc.count, requests)
		}
	}
	caches := got[telemetry.MetricCacheLookups]
	for key, want := range map[string]float64{
		"cache.result=hit,cache.tier=responses":  1,
		"cache.result=miss,cache.tier=responses": 1,
		"cache.result=hit,cache.tier=snapshots":  1, // the second feed request
		"cache.result=miss,cache.tier=snapshots": 1, // the first: built from the store
	} {
		if caches[key] != want {
			t.Errorf("cache lookups {%s}: %v, want %v (all: %v)", key, caches[key], want, caches)
		}
	}
	if n := got[telemetry.MetricEventsHandled]["handler=AggregateAnalytics,outcome=ok"]; n != 1 {
		t.Errorf("events handled: %v", got[telemetry.MetricEventsHandled])
	}
	if n := got[telemetry.MetricRedeliveries]["handler=AggregateAnalytics"]; n != 1 {
		t.Errorf("redeliveries: %v", got[telemetry.MetricRedeliveries])
	}
	if lag := got[telemetry.MetricEventLag+".sum"]["handler=AggregateAnalytics"]; lag < 3 || lag > 60 {
		t.Errorf("event lag %v s, want the 3 s since publication", lag)
	}
	rows := got[telemetry.MetricImportRows]
	if rows["dry_run=false,outcome=created"] != 1 || rows["dry_run=false,outcome=rejected"] != 1 {
		t.Errorf("import rows: %v, want 1 created and 1 rejected", rows)
	}
}

// collect flattens the reader's metrics to name -> attributes -> value: a
// counter's sum, a histogram's count (and its sum under name+".sum").
func collect(t *testing.T, reader *sdkmetric.ManualReader) map[string]map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	add := func(name string, attrs attribute.Set, v float64) {
		if out[name] == nil {
			out[name] = map[string]float64{}
		}
		var parts []string
		for _, kv := range attrs.ToSlice() {
			parts = append(parts, string(kv.Key)+"="+kv.Value.Emit())
		}
		out[name][strings.Join(parts, ",")] += v
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					add(m.Name, p.Attributes, float64(p.Value))
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					add(m.Name, p.Attributes, float64(p.Count))
					add(m.Name+".sum", p.Attributes, p.Sum)
				}
			}
		}
	}
	return out
}
