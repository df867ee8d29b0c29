package partyfinder

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// BenchmarkWriteToCounter measures, on the embedded default as wired for
// serving, the time from a swipe's answer to its like showing in the
// party's counters (write → outbox → relay → counting): it reports the
// median and the 99th percentile.
func BenchmarkWriteToCounter(b *testing.B) {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "pf.db"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	conf, ps := demo.Data(time.Now())
	if _, err := s.CreateConference(ctx, conf); err != nil {
		b.Fatal(err)
	}
	if err := s.SaveParties(ctx, ps); err != nil {
		b.Fatal(err)
	}
	a := New(Config{Store: StoreSQLite, Local: true}, s, Auth{})
	defer a.Close()
	a.Handler(FnSwipe)
	uc := a.attendeeUC
	p := ps[0].ID
	var lat []time.Duration
	likes := int64(0)
	for i := 0; b.Loop(); i++ {
		if _, _, err := uc.RecordSwipe(ctx, fmt.Sprint("user-", i), p, attendee.Like); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		likes++
		for {
			st, err := s.Stats(ctx, p)
			if err != nil {
				b.Fatal(err)
			}
			if st.Counters.Likes >= likes {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
