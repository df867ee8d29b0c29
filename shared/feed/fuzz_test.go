package feed_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/feed"
)

// Any query string either parses into a query whose cache key is stable,
// or is refused as Invalid with a bounded list of problems; never a panic.
func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{
		"", "date=2025-08-20&category=mixer&free=true", "q=Rhine%20night&near=50.9,6.9&radius=2",
		"from=2025-08-20T18:00&to=2025-08-21T02:00&include=cancelled&limit=500", "cursor=abc&page=2",
		"date=x,x,x,x", "near=NaN,NaN", "radius=1e309&near=1,1", "limit=-1", "conference=democon&catgory=x",
	} {
		f.Add(seed)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			t.Skip() // the HTTP edge refuses it before the feed sees it
		}
		q, err := feed.ParseQuery(v, "democon", berlin)
		if err != nil {
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid || len(e.Fields) == 0 || len(e.Fields) > 20 {
				t.Fatalf("err = %v, want Invalid with 1 to 20 problems", err)
			}
			return
		}
		again, err := feed.ParseQuery(v, "democon", berlin)
		if err != nil || again.Key() != q.Key() {
			t.Fatalf("the same query parsed twice: %q vs %q (%v)", q.Key(), again.Key(), err)
		}
	})
}
