package feed_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/shared/feed"
)

// feedBody is the feed response as the frontend reads it.
type feedBody struct {
	Success *bool             `json:"success"`
	Data    []json.RawMessage `json:"data"`
	Meta    map[string]any    `json:"meta"`
}

func decodeFeed(t *testing.T, body []byte) feedBody {
	t.Helper()
	if !json.Valid(body) {
		t.Fatalf("body is not valid JSON: %s", body)
	}
	var fb feedBody
	if err := json.Unmarshal(body, &fb); err != nil {
		t.Fatal(err)
	}
	if fb.Success == nil || !*fb.Success {
		t.Errorf("success = %v", fb.Success)
	}
	if fb.Data == nil {
		t.Errorf("data is missing or null: %s", body)
	}
	return fb
}

func TestFeedResponseMeta(t *testing.T) {
	s := fixtureSnapshot(t)
	tests := []struct {
		raw                       string
		count, total, limit, page int
		hasMore                   bool
		wantIDs                   []string
	}{
		{"", 7, 7, 50, 1, false, allVisible},
		{"limit=3", 3, 7, 3, 1, true, allVisible[:3]},
		{"limit=3&page=2", 3, 7, 3, 2, true, allVisible[3:6]},
		{"limit=3&page=3", 1, 7, 3, 3, false, allVisible[6:]},
		{"limit=3&page=9", 0, 7, 3, 9, false, nil},
		{"date=2025-08-20", 3, 3, 50, 1, false, []string{"opening", "koeln-nights", "late-a"}},
		{"q=nothing-matches", 0, 0, 50, 1, false, nil},
		{"limit=2&cursor=" + feed.Cursor{Start: local("2025-08-20 21:00"), ID: "koeln-nights"}.Encode(), 2, 7, 2, 0, true, []string{"late-a", "midnight"}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			resp := s.FeedResponse(parseQuery(t, tt.raw))
			if resp.ContentType != feed.ContentJSON || resp.CacheControl != feed.CacheFeed {
				t.Errorf("content type %q, cache control %q", resp.ContentType, resp.CacheControl)
			}
			fb := decodeFeed(t, resp.Body)
			var got []string
			for _, raw := range fb.Data {
				var p struct{ ID string }
				if err := json.Unmarshal(raw, &p); err != nil {
					t.Fatal(err)
				}
				got = append(got, p.ID)
			}
			if !slices.Equal(got, tt.wantIDs) {
				t.Errorf("data ids = %q, want %q", got, tt.wantIDs)
			}
			for _, k := range []string{"count", "total", "limit", "page", "hasMore", "nextCursor", "conference", "timezone"} {
				if _, ok := fb.Meta[k]; !ok {
					t.Errorf("meta.%s missing: %v", k, fb.Meta)
				}
			}
			num := func(k string) int { f, _ := fb.Meta[k].(float64); return int(f) }
			if num("count") != tt.count || num("total") != tt.total || num("limit") != tt.limit || num("page") != tt.page {
				t.Errorf("meta = %v, want count %d total %d limit %d page %d", fb.Meta, tt.count, tt.total, tt.limit, tt.page)
			}
			if fb.Meta["hasMore"] != tt.hasMore {
				t.Errorf("meta.hasMore = %v, want %v", fb.Meta["hasMore"], tt.hasMore)
			}
			if fb.Meta["conference"] != "testcon" || fb.Meta["timezone"] != "Europe/Berlin" {
				t.Errorf("meta conference %v timezone %v", fb.Meta["conference"], fb.Meta["timezone"])
			}
			cursor, isString := fb.Meta["nextCursor"].(string)
			if tt.hasMore != isString || isString && cursor == "" {
				t.Errorf("meta.nextCursor = %#v with hasMore %v", fb.Meta["nextCursor"], tt.hasMore)
			}
			if isString {
				// The cursor continues exactly after this page.
				next := s.Select(parseQuery(t, "limit=1&cursor="+cursor))
				if idx := slices.Index(allVisible, tt.wantIDs[len(tt.wantIDs)-1]); len(next.Entries) != 1 || next.Entries[0].Party.ID != allVisible[idx+1] {
					t.Errorf("nextCursor leads to %q", ids(next.Entries))
				}
			}
		})
	}
}

func TestFeedResponseParty(t *testing.T) {
	s := fixtureSnapshot(t)
	resp := s.FeedResponse(parseQuery(t, "include=cancelled&limit=500"))
	fb := decodeFeed(t, resp.Body)
	parties := map[string]map[string]any{}
	for _, raw := range fb.Data {
		var p map[string]any
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		parties[p["id"].(string)] = p
	}

	opening := parties["opening"]
	want := map[string]any{
		"id":          "opening",
		"title":       "Opening Mixer",
		"venue":       "Café Central",
		"address":     "Domkloster 4",
		"date":        "2025-08-20",
		"time":        "18:00",
		"start":       "2025-08-20T18:00:00+02:00",
		"end":         "2025-08-20T20:00:00+02:00",
		"price":       "Free",
		"free":        true,
		"description": "Drinks <b>&</b> talk",
		"category":    "Exec Social",
		"hosts":       "Ubisoft, Devcom",
		"link":        "https://example.com/opening?a=1&b=2",
		"lat":         dom.Lat,
		"lng":         dom.Lng,
		"status":      "published",
	}
	for k, v := range want {
		if opening[k] != v {
			t.Errorf("opening.%s = %#v, want %#v", k, opening[k], v)
		}
	}
	if c, ok := opening["coordinates"].(map[string]any); !ok || c["lat"] != dom.Lat || c["lng"] != dom.Lng {
		t.Errorf("opening.coordinates = %#v", opening["coordinates"])
	}

	// Past midnight: local date and time, +02:00 in August.
	late := parties["late-a"]
	for k, v := range map[string]any{"date": "2025-08-20", "time": "23:00",
		"start": "2025-08-20T23:00:00+02:00", "end": "2025-08-21T02:00:00+02:00"} {
		if late[k] != v {
			t.Errorf("late-a.%s = %#v, want %#v", k, late[k], v)
		}
	}
	for _, k := range []string{"lat", "lng", "coordinates"} {
		if v, ok := late[k]; !ok || v != nil {
			t.Errorf("late-a.%s = %#v (present %v), want null for an unknown location", k, v, ok)
		}
	}
	if late["hosts"] != "" {
		t.Errorf("late-a.hosts = %#v, want an empty string", late["hosts"])
	}

	mid := parties["midnight"]
	for k, v := range map[string]any{"date": "2025-08-21", "time": "00:30", "start": "2025-08-21T00:30:00+02:00", "end": nil} {
		if got, ok := mid[k]; !ok || got != v {
			t.Errorf("midnight.%s = %#v (present %v), want %#v", k, got, ok, v)
		}
	}
	if parties["cancelled-x"]["status"] != "cancelled" {
		t.Errorf("cancelled-x.status = %#v", parties["cancelled-x"]["status"])
	}

	body := string(resp.Body)
	for _, s := range []string{`"Brunch & Demos"`, `a=1&b=2`, `<b>&</b>`} {
		if !strings.Contains(body, s) {
			t.Errorf("body does not contain %s verbatim", s)
		}
	}
	for _, s := range []string{`\u0026`, `\u003c`, `\u003e`} {
		if strings.Contains(body, s) {
			t.Errorf("body escapes HTML characters as %s", s)
		}
	}
}

func TestFeedResponseEncodings(t *testing.T) {
	s := fixtureSnapshot(t)
	full := s.FeedResponse(parseQuery(t, ""))
	if full.Gzip == nil {
		t.Fatalf("a %d-byte feed has no gzip form", len(full.Body))
	}
	zr, err := gzip.NewReader(bytes.NewReader(full.Gzip))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, full.Body) {
		t.Errorf("gzip form does not decode to the body (%v)", err)
	}
	again := s.FeedResponse(parseQuery(t, "date=2025-08-20,2025-08-21,2025-08-22"))
	if again.ETag != full.ETag {
		t.Errorf("the same page rendered twice has ETags %s and %s", full.ETag, again.ETag)
	}
	if other := s.FeedResponse(parseQuery(t, "date=2025-08-20")); other.ETag == full.ETag {
		t.Errorf("different pages share the ETag %s", full.ETag)
	}
	empty := s.FeedResponse(parseQuery(t, "date=2025-08-25"))
	if fb := decodeFeed(t, empty.Body); len(fb.Data) != 0 {
		t.Errorf("empty page data = %s", empty.Body)
	}
}

func TestDays(t *testing.T) {
	s := fixtureSnapshot(t)
	want := []feed.DayJSON{
		{Date: "2025-08-20", Weekday: "Wednesday", Label: "Wed Aug 20", Count: 3},
		{Date: "2025-08-21", Weekday: "Thursday", Label: "Thu Aug 21", Count: 3}, // cancelled-x not counted
		{Date: "2025-08-22", Weekday: "Friday", Label: "Fri Aug 22", Count: 1},
	}
	if !slices.Equal(s.Days, want) {
		t.Errorf("Days = %+v, want %+v", s.Days, want)
	}

	resp := s.DaysResponse()
	if resp != s.DaysResponse() {
		t.Errorf("DaysResponse is rebuilt for the same snapshot")
	}
	var body struct {
		Success bool           `json:"success"`
		Data    []feed.DayJSON `json:"data"`
		Meta    map[string]any `json:"meta"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatal(err)
	}
	if !body.Success || !slices.Equal(body.Data, want) || body.Meta["total"] != float64(7) || body.Meta["days"] != float64(3) {
		t.Errorf("days response = %s", resp.Body)
	}

	emptyResp := feed.NewSnapshot(testConference(t), nil, "r", 1).DaysResponse()
	if !strings.Contains(string(emptyResp.Body), `"data":[]`) {
		t.Errorf("days of an empty conference = %s, want an empty list", emptyResp.Body)
	}
}

func TestPartyResponse(t *testing.T) {
	s := fixtureSnapshot(t)
	e, ok := s.Entry("opening")
	if !ok {
		t.Fatal("opening not visible")
	}
	resp := s.PartyResponse(e)
	var body struct {
		Success bool           `json:"success"`
		Data    map[string]any `json:"data"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatal(err)
	}
	if !body.Success || body.Data["id"] != "opening" || body.Data["time"] != "18:00" {
		t.Errorf("party response = %s", resp.Body)
	}
	if s.PartyResponse(e) != resp {
		t.Errorf("PartyResponse is rebuilt for the same snapshot")
	}
}
