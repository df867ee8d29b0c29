package telemetry_test

import (
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/telemetry"
)

// The burn rate is the bad share over the budget's share, per window:
// errors and slow answers in the last five minutes burn the short window
// and the long ones alike; older ones only the long ones.
func TestSLOBurn(t *testing.T) {
	tr := telemetry.NewSLOTracker(telemetry.FeedSLO, telemetry.AttendeeSLO)
	now := time.Date(2026, 8, 20, 20, 0, 0, 0, time.UTC)
	// Two hours ago: 1,000 requests, 10 of them 5xx.
	for i := range 1000 {
		status := 200
		if i < 10 {
			status = 503
		}
		tr.Record("feed", status, 5*time.Millisecond, now.Add(-2*time.Hour))
	}
	// Just now: 100 requests, 1 error, 2 slower than 300 ms.
	for i := range 100 {
		status, took := 200, 2*time.Millisecond
		if i == 0 {
			status = 500
		}
		if i < 3 && i > 0 {
			took = 400 * time.Millisecond
		}
		tr.Record("feed", status, took, now)
	}
	tr.Record("unknown", 500, 0, now) // not an objective: ignored
	var feed telemetry.SLOReport
	for _, r := range tr.Report(now) {
		if r.SLO == "feed" {
			feed = r
		}
	}
	want := []struct {
		requests, errors, slow int64
		availability, latency  float64
	}{
		{100, 1, 2, 10, 2},       // 1 % errors / 0.1 % budget; 2 % slow / 1 % budget
		{100, 1, 2, 10, 2},       // the hour holds only the last minute too
		{1100, 11, 2, 10, 0.182}, // six hours: 11/1100 = 1 %; 2/1100 slow
	}
	if len(feed.Windows) != len(want) {
		t.Fatalf("windows %+v", feed.Windows)
	}
	for i, w := range want {
		got := feed.Windows[i]
		if got.Requests != w.requests || got.Errors != w.errors || got.Slow != w.slow || got.AvailabilityBurn != w.availability || got.LatencyBurn != w.latency {
			t.Errorf("window %s: %+v, want %+v", got.Window, got, w)
		}
	}
	// Seven hours on, everything has aged out.
	for _, r := range tr.Report(now.Add(7 * time.Hour)) {
		for _, w := range r.Windows {
			if w.Requests != 0 {
				t.Errorf("%s %s still counts %d requests", r.SLO, w.Window, w.Requests)
			}
		}
	}
}
