package telemetry

import (
	"sync"
	"sync/atomic"
	"time"
)

// SLO is a service level objective over requests: the share answered
// without a server error, and the share answered within Threshold.
type SLO struct {
	Name             string
	Objective        float64       // e.g. 0.999: at most 0.1 % 5xx
	Threshold        time.Duration // e.g. 300 ms
	LatencyObjective float64       // e.g. 0.99 within Threshold
}

// The objectives, as docs/slo states them (Cloud Monitoring alerts on the
// same numbers from Cloud Run's metrics).
var (
	FeedSLO     = SLO{Name: "feed", Objective: 0.999, Threshold: 300 * time.Millisecond, LatencyObjective: 0.99}
	AttendeeSLO = SLO{Name: "attendee", Objective: 0.995, Threshold: time.Second, LatencyObjective: 0.99}
)

// Windows are the burn-rate windows reported, as the alerts use them.
var Windows = []time.Duration{5 * time.Minute, time.Hour, 6 * time.Hour}

// minute is one minute's counts of one SLO. Counting is lock-free, as it
// runs on every request of the feed; only turning a bucket over to a new
// minute takes the tracker's lock.
type minute struct {
	at                     atomic.Int64 // unix minute
	requests, errors, slow atomic.Int64
}

// SLOTracker counts a process's requests per SLO by the minute, for the
// last six hours, in fixed memory: 360 buckets per SLO.
type SLOTracker struct {
	mu        sync.Mutex
	slos      []SLO
	buckets   map[string]*[360]minute
	threshold map[string]time.Duration
}

// NewSLOTracker tracks the given objectives.
func NewSLOTracker(slos ...SLO) *SLOTracker {
	t := &SLOTracker{slos: slos, buckets: map[string]*[360]minute{}, threshold: map[string]time.Duration{}}
	for _, s := range slos {
		t.buckets[s.Name] = &[360]minute{}
		t.threshold[s.Name] = s.Threshold
	}
	return t
}

// Record counts one answered request of the SLO named slo.
func (t *SLOTracker) Record(slo string, status int, took time.Duration, now time.Time) {
	b, ok := t.buckets[slo] // the map is never written after NewSLOTracker
	if !ok {
		return
	}
	m := now.Unix() / 60
	cell := &b[m%int64(len(b))]
	if cell.at.Load() != m {
		t.mu.Lock()
		if cell.at.Load() != m { // still another minute's: start this one
			cell.requests.Store(0)
			cell.errors.Store(0)
			cell.slow.Store(0)
			cell.at.Store(m)
		}
		t.mu.Unlock()
	}
	cell.requests.Add(1)
	if status >= 500 {
		cell.errors.Add(1)
	}
	if took > t.threshold[slo] {
		cell.slow.Add(1)
	}
}

// WindowReport is an SLO's state over one window.
type WindowReport struct {
	Window   string `json:"window"`
	Requests int64  `json:"requests"`
	Errors   int64  `json:"errors"`
	Slow     int64  `json:"slow"`
	// Burn rates: how fast the window spends the error budget, 1 being
	// exactly the budget's pace; the page alert fires at 14.4.
	AvailabilityBurn float64 `json:"availabilityBurn"`
	LatencyBurn      float64 `json:"latencyBurn"`
}

// SLOReport is one SLO's objectives and windows.
type SLOReport struct {
	SLO              string         `json:"slo"`
	Objective        float64        `json:"objective"`
	ThresholdMs      int64          `json:"latencyThresholdMs"`
	LatencyObjective float64        `json:"latencyObjective"`
	Windows          []WindowReport `json:"windows"`
}

// Report returns every SLO's counts and burn rates over Windows.
func (t *SLOTracker) Report(now time.Time) []SLOReport {
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := now.Unix() / 60
	out := make([]SLOReport, 0, len(t.slos))
	for _, s := range t.slos {
		r := SLOReport{SLO: s.Name, Objective: s.Objective, ThresholdMs: s.Threshold.Milliseconds(), LatencyObjective: s.LatencyObjective}
		b := t.buckets[s.Name]
		for _, w := range Windows {
			wr := WindowReport{Window: w.String()}
			from := cur - int64(w/time.Minute) + 1
			for i := range b {
				c := &b[i]
				if at := c.at.Load(); at >= from && at <= cur {
					wr.Requests += c.requests.Load()
					wr.Errors += c.errors.Load()
					wr.Slow += c.slow.Load()
				}
			}
			if wr.Requests > 0 {
				wr.AvailabilityBurn = burn(wr.Errors, wr.Requests, s.Objective)
				wr.LatencyBurn = burn(wr.Slow, wr.Requests, s.LatencyObjective)
			}
			r.Windows = append(r.Windows, wr)
		}
		out = append(out, r)
	}
	return out
}

// burn is the bad share over the budget's share, to three decimals.
func burn(bad, total int64, objective float64) float64 {
	rate := float64(bad) / float64(total) / (1 - objective)
	return float64(int64(rate*1000+0.5)) / 1000
}
