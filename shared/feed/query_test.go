package feed_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/party"
)

func validCursor() string {
	return feed.Cursor{Start: local("2025-08-20 21:00"), ID: "koeln-nights"}.Encode()
}

func TestParseQueryValid(t *testing.T) {
	utc := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	tests := []struct {
		raw   string
		check func(t *testing.T, q feed.Query)
	}{
		{"", func(t *testing.T, q feed.Query) {
			if q.Conference != "testcon" || q.Limit != feed.DefaultLimit || q.Page != 0 || q.After != nil ||
				q.Dates != nil || q.Categories != nil || q.Text != nil || q.Free || q.Near != nil ||
				!q.From.IsZero() || !q.To.IsZero() || q.IncludeCancelled {
				t.Errorf("empty query = %+v, want no filters and the default limit", q)
			}
		}},
		{"date=2025-08-21", wantDates("2025-08-21")},
		{"date=2025-08-22&date=2025-08-20", wantDates("2025-08-20", "2025-08-22")},
		{"date=2025-08-22,2025-08-20", wantDates("2025-08-20", "2025-08-22")},
		{"date=2025-08-22,+2025-08-21&date=2025-08-22,", wantDates("2025-08-21", "2025-08-22")},
		{"category=Exec+Social", wantCategories("exec-social")},
		{"category=exec-social", wantCategories("exec-social")},
		{"category=EXEC++social", wantCategories("exec-social")},
		{"category=Party,Exec+Social&category=party", wantCategories("exec-social", "party")},
		{"q=K%C3%B6ln+CAF%C3%89", wantText("cafe", "koln")},
		{"q=++Brunch+++%26+Demos+", wantText("&", "brunch", "demos")},
		{"free=true", wantFree(true)},
		{"free=1", wantFree(true)},
		{"free=false", wantFree(false)},
		{"free=0", wantFree(false)},
		{"near=50.9413,6.9583", wantNear(dom, feed.DefaultRadius)},
		{"near=50.9413,+6.9583&radius=0.5", wantNear(dom, 0.5)},
		{"near=50.9413,6.9583&radius=100", wantNear(dom, 100)},
		{"from=2025-08-20T18:00:00Z", wantWindow(utc("2025-08-20T18:00:00Z"), time.Time{})},
		{"from=2025-08-20T20:00:00%2B02:00", wantWindow(utc("2025-08-20T18:00:00Z"), time.Time{})},
		{"from=2025-08-20T20:00", wantWindow(utc("2025-08-20T18:00:00Z"), time.Time{})},
		{"from=2025-08-20+20:00", wantWindow(utc("2025-08-20T18:00:00Z"), time.Time{})},
		{"from=2025-08-20T20:00:00", wantWindow(utc("2025-08-20T18:00:00Z"), time.Time{})},
		{"to=2025-08-21T02:00", wantWindow(time.Time{}, utc("2025-08-21T00:00:00Z"))},
		{"from=2025-08-20T20:00&to=2025-08-20T20:01", wantWindow(utc("2025-08-20T18:00:00Z"), utc("2025-08-20T18:01:00Z"))},
		{"include=cancelled", func(t *testing.T, q feed.Query) {
			if !q.IncludeCancelled {
				t.Error("IncludeCancelled not set")
			}
		}},
		{"limit=1", wantLimit(1)},
		{"limit=500", wantLimit(500)},
		{"page=2", wantPage(2)},
		{"page=1&limit=10", func(t *testing.T, q feed.Query) { // page 1 is the same query as no page
			if q.Page != 0 || q.Limit != 10 {
				t.Errorf("page %d limit %d", q.Page, q.Limit)
			}
		}},
		{"cursor=" + validCursor(), func(t *testing.T, q feed.Query) {
			want := feed.Cursor{Start: local("2025-08-20 21:00").UTC(), ID: "koeln-nights"}
			if q.After == nil || !q.After.Start.Equal(want.Start) || q.After.ID != want.ID {
				t.Errorf("After = %+v, want %+v", q.After, want)
			}
		}},
		// The conference is chosen by the caller; the parameter is accepted, not an error.
		{"conference=other&conferenceId=other", func(t *testing.T, q feed.Query) {
			if q.Conference != "testcon" {
				t.Errorf("Conference = %q", q.Conference)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			tt.check(t, parseQuery(t, tt.raw))
		})
	}
}

func wantDates(d ...string) func(*testing.T, feed.Query) {
	return func(t *testing.T, q feed.Query) {
		if !slices.Equal(q.Dates, d) {
			t.Errorf("Dates = %q, want %q", q.Dates, d)
		}
	}
}

func wantCategories(c ...string) func(*testing.T, feed.Query) {
	return func(t *testing.T, q feed.Query) {
		if !slices.Equal(q.Categories, c) {
			t.Errorf("Categories = %q, want %q", q.Categories, c)
		}
	}
}

func wantText(w ...string) func(*testing.T, feed.Query) {
	return func(t *testing.T, q feed.Query) {
		if !slices.Equal(q.Text, w) {
			t.Errorf("Text = %q, want %q", q.Text, w)
		}
	}
}

func wantFree(free bool) func(*testing.T, feed.Query) {
	return func(t *testing.T, q feed.Query) {
		if q.Free != free {
			t.Errorf("Free = %v, want %v", q.Free, free)
		}
	}
}

func wantNear(p party.Point, km float64) func(*testing.T, feed.Query) {
	return func(t *testing.T, q feed.Query) {
		if q.Near == nil || *q.Near != p || q.RadiusKm != km {
			t.Errorf("Near = %v radius %v, want %v radius %v", q.Near, q.RadiusKm, p, km)
		}
	}
}

func wantWindow(from, to time.Time) func(*testing.T, feed.Query) {
	return func(t *testing.T, q feed.Query) {
		if !q.From.Equal(from) || !q.To.Equal(to) {
			t.Errorf("window = %v .. %v, want %v .. %v", q.From, q.To, from, to)
		}
	}
}

func wantLimit(n int) func(*testing.T, feed.Query) {
	return func(t *testing.T, q feed.Query) {
		if q.Limit != n {
			t.Errorf("Limit = %d, want %d", q.Limit, n)
		}
	}
}

func wantPage(n int) func(*testing.T, feed.Query) {
	return func(t *testing.T, q feed.Query) {
		if q.Page != n {
			t.Errorf("Page = %d, want %d", q.Page, n)
		}
	}
}

func TestParseQueryInvalid(t *testing.T) {
	manyDates := make([]string, 32)
	for i := range manyDates {
		manyDates[i] = time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format("2006-01-02")
	}
	type fe struct{ field, code string }
	tests := []struct {
		raw  string
		want []fe // every field error expected, in any order
	}{
		{"catgory=party", []fe{{"catgory", "unknown"}}},
		{"dates=2025-08-20&Limit=5", []fe{{"dates", "unknown"}, {"Limit", "unknown"}}},
		{"date=21.08.2025", []fe{{"date", "format"}}},
		{"date=2025-8-21", []fe{{"date", "format"}}},
		{"date=2025-02-30", []fe{{"date", "format"}}},
		{"date=2025-08-20,tomorrow", []fe{{"date", "format"}}},
		{"date=" + strings.Join(manyDates, ","), []fe{{"date", "too_many"}}},
		{"q=" + strings.Repeat("a", 201), []fe{{"q", "too_long"}}},
		{"free=yes", []fe{{"free", "format"}}},
		{"free=TRUE", []fe{{"free", "format"}}},
		{"radius=2", []fe{{"radius", "requires"}}},
		{"near=50.94,6.96&radius=0", []fe{{"radius", "range"}}},
		{"near=50.94,6.96&radius=-1", []fe{{"radius", "range"}}},
		{"near=50.94,6.96&radius=101", []fe{{"radius", "range"}}},
		{"near=50.94,6.96&radius=far", []fe{{"radius", "range"}}},
		{"near=abc", []fe{{"near", "format"}}},
		{"near=50.94", []fe{{"near", "format"}}},
		{"near=50.94,abc", []fe{{"near", "format"}}},
		{"near=91,6.96", []fe{{"near", "format"}}},
		{"near=50.94,181", []fe{{"near", "format"}}},
		{"near=0,0", []fe{{"near", "format"}}},
		{"near=abc&radius=2", []fe{{"near", "format"}, {"radius", "requires"}}},
		{"from=tomorrow", []fe{{"from", "format"}}},
		{"from=2025-08-20", []fe{{"from", "format"}}},
		{"to=20:00", []fe{{"to", "format"}}},
		{"from=2025-08-20T20:00&to=2025-08-20T20:00", []fe{{"to", "range"}}},
		{"from=2025-08-20T20:00&to=2025-08-20T18:00:00Z", []fe{{"to", "range"}}},
		{"from=2025-08-20T20:00&to=2025-08-20T19:00", []fe{{"to", "range"}}},
		{"include=drafts", []fe{{"include", "enum"}}},
		{"category=-", []fe{{"category", "format"}}},
		{"limit=0", []fe{{"limit", "range"}}},
		{"limit=501", []fe{{"limit", "range"}}},
		{"limit=-5", []fe{{"limit", "range"}}},
		{"limit=ten", []fe{{"limit", "range"}}},
		{"limit=1.5", []fe{{"limit", "range"}}},
		{"cursor=garbage", []fe{{"cursor", "format"}}},
		{"cursor=!!!", []fe{{"cursor", "format"}}},
		{"cursor=" + feed.Cursor{Start: local("2025-08-20 21:00"), ID: "bad id"}.Encode(), []fe{{"cursor", "format"}}},
		{"cursor=" + validCursor() + "&page=2", []fe{{"page", "conflict"}}},
		{"page=0", []fe{{"page", "range"}}},
		{"page=-1", []fe{{"page", "range"}}},
		{"page=x", []fe{{"page", "range"}}},
		{"page=10001", []fe{{"page", "range"}}},
		{"limit=1&limit=2", []fe{{"limit", "repeated"}}},
		{"q=rooftop&q=mixer", []fe{{"q", "repeated"}}},
		{"free=true&free=false", []fe{{"free", "repeated"}}},
		{"conference=a1&conference=b2", []fe{{"conference", "repeated"}}},
		{"cursor=" + validCursor() + "&cursor=" + validCursor(), []fe{{"cursor", "repeated"}}},
		{"format=ics&format=json&since=", []fe{{"format", "repeated"}, {"format", "conflict"}}},
		{"catgory=x&limit=0&free=maybe&date=nope", []fe{{"catgory", "unknown"}, {"limit", "range"}, {"free", "format"}, {"date", "format"}}},
	}
	for _, tt := range tests {
		t.Run(tt.raw[:min(len(tt.raw), 60)], func(t *testing.T) {
			v, err := url.ParseQuery(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			_, err = feed.ParseQuery(v, "testcon", berlin)
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid {
				t.Fatalf("err = %v, want an Invalid error", err)
			}
			var got []fe
			for _, f := range e.Fields {
				got = append(got, fe{f.Field, f.Code})
				if f.Message == "" {
					t.Errorf("field error %s/%s has no message", f.Field, f.Code)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("field errors = %v, want %v", got, tt.want)
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("field errors = %v, want %v among them", got, w)
				}
			}
		})
	}
}

func TestQueryKey(t *testing.T) {
	key := func(raw string) string { return parseQuery(t, raw).Key() }
	same := [][]string{
		{"", "limit=50", "include=", "q=+++"},
		{"date=2025-08-21&date=2025-08-20", "date=2025-08-20,2025-08-21", "date=2025-08-20&date=2025-08-21,2025-08-20"},
		{"category=Exec+Social", "category=exec-social", "category=EXEC+SOCIAL"},
		{"q=K%C3%B6ln", "q=koln", "q=KOLN", "q=+koln+"},
		{"free=true", "free=1"},
		{"free=false", "free=0", ""},
		{"near=50.9413,6.9583", "near=50.9413,6.9583&radius=2", "near=50.9413,+6.9583"},
		{"from=2025-08-20T20:00", "from=2025-08-20T18:00:00Z", "from=2025-08-20+20:00", "from=2025-08-20T20:00:00%2B02:00"},
		{"include=cancelled", "include=cancelled,cancelled"},
		{
			"date=2025-08-21&category=exec-social&q=koln&limit=10&free=true",
			"free=1&limit=10&q=K%C3%B6ln&category=Exec+Social&date=2025-08-21",
		},
	}
	for _, group := range same {
		want := key(group[0])
		for _, raw := range group[1:] {
			if got := key(raw); got != want {
				t.Errorf("Key(%q) = %q, want %q as for %q", raw, got, want, group[0])
			}
		}
	}

	// Every query here selects or orders differently from every other.
	different := []string{
		"",
		"date=2025-08-20",
		"date=2025-08-21",
		"date=2025-08-20,2025-08-21",
		"category=party",
		"category=exec-social",
		"q=koln",
		"q=koln+nights",
		"q=cafe",
		"free=true",
		"near=50.9413,6.9583",
		"near=50.9413,6.9583&radius=1",
		"near=50.9466,6.9839",
		"from=2025-08-20T20:00",
		"from=2025-08-20T21:00",
		"to=2025-08-20T21:00",
		"include=cancelled",
		"limit=10",
		"limit=10&page=2",
		"limit=10&page=3",
		"cursor=" + validCursor(),
		"cursor=" + feed.Cursor{Start: local("2025-08-20 21:00"), ID: "koeln-nights2"}.Encode(),
	}
	seen := map[string]string{}
	for _, raw := range different {
		k := key(raw)
		if prev, dup := seen[k]; dup {
			t.Errorf("queries %q and %q share the key %q", prev, raw, k)
		}
		seen[k] = raw
	}

	v, _ := url.ParseQuery("q=koln")
	other, err := feed.ParseQuery(v, "othercon", berlin)
	if err != nil {
		t.Fatal(err)
	}
	if other.Key() == key("q=koln") {
		t.Errorf("the same query on two conferences shares a key")
	}
}

// Unknown parameters are reported in a stable order, so the same bad request
// always gets the same error body (and the same cached answer).
func TestParseQueryUnknownOrder(t *testing.T) {
	v, _ := url.ParseQuery("zeta=1&alpha=2&mid=3&beta=4")
	for range 20 {
		_, err := feed.ParseQuery(v, "testcon", berlin)
		e, _ := apperr.As(err)
		var got []string
		for _, f := range e.Fields {
			got = append(got, f.Field)
		}
		if want := []string{"alpha", "beta", "mid", "zeta"}; !slices.Equal(got, want) {
			t.Fatalf("fields = %q, want %q", got, want)
		}
	}
}

// A query cannot make its error grow with it: however many bad values it
// sends, and however long each, the error stays small.
func TestQueryErrorsAreBounded(t *testing.T) {
	tests := []struct {
		name string
		v    url.Values
	}{
		{"300,000 bad dates in one value", url.Values{"date": {strings.Repeat("x,", 300_000)}}},
		{"300,000 date parameters", url.Values{"date": slices.Repeat([]string{"x"}, 300_000)}},
		{"one very long bad date", url.Values{"date": {strings.Repeat("9", 100_000)}}},
		{"bad everything", url.Values{"date": {strings.Repeat("x,", 1000)}, "category": {strings.Repeat("-,", 1000)},
			"from": {strings.Repeat("y", 50_000)}, "include": {strings.Repeat("all,", 1000)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := feed.ParseQuery(tc.v, "democon", time.UTC)
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid {
				t.Fatalf("err = %v, want Invalid", err)
			}
			if len(e.Fields) > 20 {
				t.Errorf("%d field errors, want at most 20", len(e.Fields))
			}
			if n := len(err.Error()); n > 4000 {
				t.Errorf("the error is %d bytes long", n)
			}
		})
	}
}
