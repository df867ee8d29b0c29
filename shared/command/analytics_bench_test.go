package command_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// BenchmarkAggregate measures the embedded counting: batches of 500
// events (views, swipes and saves over 60 parties, as the relay hands
// them over) applied to SQLite, each id once. It reports events/s.
func BenchmarkAggregate(b *testing.B) {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	uc := &command.Analytics{Store: s}
	at := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	n := 0
	batch := func() []event.Event {
		es := make([]event.Event, 500)
		for i := range es {
			n++
			m := event.Meta{ID: fmt.Sprint("e", n), Version: 1, At: at.Add(time.Duration(n) * time.Second), Conference: "gc"}
			p := fmt.Sprint("p", n%60)
			switch n % 3 {
			case 0:
				m.Type = analytics.TypeInteraction
				es[i] = analytics.Interaction{Meta: m, Kind: analytics.View, PartyID: p}
			case 1:
				m.Type = attendee.TypeSwipeRecorded
				es[i] = attendee.SwipeRecorded{Meta: m, UID: fmt.Sprint("u", n), PartyID: p, Action: attendee.Like}
			default:
				m.Type = attendee.TypeSaveAdded
				es[i] = attendee.SaveAdded{Meta: m, UID: fmt.Sprint("u", n), PartyID: p}
			}
		}
		return es
	}
	b.ResetTimer()
	events := 0
	for b.Loop() {
		es := batch()
		if _, err := uc.Aggregate(b.Context(), es); err != nil {
			b.Fatal(err)
		}
		events += len(es)
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
