package blackbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// demoConference is the id of the conference the server seeds into an empty store.
const demoConference = "democon"

// everything returns every visible party of the default conference,
// cancelled ones included, as one page.
func everything(t *testing.T, s *server) ([]partyJSON, feedPage) {
	t.Helper()
	p := s.feed(t, "include=cancelled&limit=500")
	if p.Meta.HasMore || p.Meta.NextCursor != nil {
		t.Fatalf("limit=500 did not hold every party: meta %+v", p.Meta)
	}
	return p.parties(t), p
}

// publishedParties returns every party of the default feed (no cancelled ones).
func publishedParties(t *testing.T, s *server) []partyJSON {
	t.Helper()
	all, _ := everything(t, s)
	return published(all)
}

func ids(ps []partyJSON) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func published(ps []partyJSON) []partyJSON {
	return slices.DeleteFunc(slices.Clone(ps), func(p partyJSON) bool { return p.Status == "cancelled" })
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return v
}

func TestSeededDemoConference(t *testing.T) {
	all, page := everything(t, shared)
	if page.Meta.Conference != demoConference || page.Meta.Timezone != "Europe/Berlin" {
		t.Errorf("default conference %q in %q, want the seeded %q in Europe/Berlin", page.Meta.Conference, page.Meta.Timezone, demoConference)
	}
	if len(all) < 50 || len(all) > 80 {
		t.Errorf("the demo seed has %d visible parties, want about sixty", len(all))
	}
	if n := len(all) - len(published(all)); n == 0 {
		t.Errorf("the demo seed has no cancelled party; the cancelled filters would go untested")
	}
	days := map[string]bool{}
	for _, p := range all {
		days[p.Date] = true
		if p.ConferenceID != demoConference {
			t.Errorf("party %s belongs to %q", p.ID, p.ConferenceID)
		}
	}
	if len(days) != 5 {
		t.Errorf("the demo parties start on %d days, want 5", len(days))
	}
}

// TestFeedIsChronological checks the order the frontend shows parties in:
// by start, then id, and every local date and time agreeing with start.
func TestFeedIsChronological(t *testing.T) {
	all, _ := everything(t, shared)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for i, p := range all {
		start := mustTime(t, p.Start)
		if local := start.In(berlin); local.Format("2006-01-02") != p.Date || local.Format("15:04") != p.Time {
			t.Errorf("party %s: date %s time %s, but start %s is %s in Berlin", p.ID, p.Date, p.Time, p.Start, local)
		}
		if want := start.In(berlin).Format(time.RFC3339); p.Start != want {
			t.Errorf("party %s: start %s, want it with the Berlin offset: %s", p.ID, p.Start, want)
		}
		if p.End != nil && !mustTime(t, *p.End).After(start) {
			t.Errorf("party %s ends (%s) before it starts (%s)", p.ID, *p.End, p.Start)
		}
		if i == 0 {
			continue
		}
		prev := all[i-1]
		ps := mustTime(t, prev.Start)
		if start.Before(ps) || start.Equal(ps) && p.ID <= prev.ID {
			t.Errorf("parties %d and %d out of order: %s %s then %s %s", i-1, i, prev.Start, prev.ID, p.Start, p.ID)
		}
	}
}

func TestFeedDefaultPage(t *testing.T) {
	all := publishedParties(t, shared)
	p := shared.feed(t, "")
	if p.Meta.Limit != 50 || p.Meta.Page != 1 || p.Meta.Total != len(all) || p.Meta.Count != min(50, len(all)) || len(p.Data) != p.Meta.Count {
		t.Errorf("default page meta %+v, want limit 50, page 1, total %d, count %d", p.Meta, len(all), min(50, len(all)))
	}
	if got, want := ids(p.parties(t)), ids(all[:p.Meta.Count]); !slices.Equal(got, want) {
		t.Errorf("the default page is not the first %d parties", p.Meta.Count)
	}
	if p.Meta.HasMore != (len(all) > 50) || (p.Meta.NextCursor != nil) != p.Meta.HasMore {
		t.Errorf("hasMore %v nextCursor %v with %d parties", p.Meta.HasMore, p.Meta.NextCursor, len(all))
	}
}

// TestFeedCursorWalk follows nextCursor to the end, as infinite scrolling
// does: every party exactly once, in order.
func TestFeedCursorWalk(t *testing.T) {
	for _, tc := range []struct{ name, filter string }{
		{"published", ""},
		{"with cancelled", "include=cancelled"},
		{"one category", "category=party"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			one := shared.feed(t, join(tc.filter, "limit=500"))
			want := ids(one.parties(t))
			if len(want) == 0 {
				t.Fatalf("%q matches no party", tc.filter)
			}
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 100 {
					t.Fatal("more than 100 pages of 7: the cursor does not advance")
				}
				q := join(tc.filter, "limit=7")
				if cursor != "" {
					q = join(q, "cursor="+url.QueryEscape(cursor))
				}
				p := shared.feed(t, q)
				wantPage := 1
				if cursor != "" {
					wantPage = 0
				}
				if p.Meta.Total != len(want) || p.Meta.Limit != 7 || p.Meta.Count != len(p.Data) || p.Meta.Page != wantPage {
					t.Errorf("page %d meta %+v: want total %d, limit 7, page %d", pages, p.Meta, len(want), wantPage)
				}
				got = append(got, ids(p.parties(t))...)
				if !p.Meta.HasMore {
					if p.Meta.NextCursor != nil {
						t.Errorf("last page has nextCursor %q", *p.Meta.NextCursor)
					}
					break
				}
				if p.Meta.NextCursor == nil || len(p.Data) != 7 {
					t.Fatalf("page %d: hasMore with %d parties and nextCursor %v", pages, len(p.Data), p.Meta.NextCursor)
				}
				cursor = *p.Meta.NextCursor
			}
			if !slices.Equal(got, want) {
				t.Errorf("walking the cursor gave %d parties, want the %d of one big page in the same order\ngot  %v\nwant %v", len(got), len(want), got, want)
			}
		})
	}
}

func TestFeedPageNumbers(t *testing.T) {
	all := publishedParties(t, shared)
	if len(all) < 25 {
		t.Fatalf("only %d parties", len(all))
	}
	p := shared.feed(t, "limit=10&page=2")
	if got, want := ids(p.parties(t)), ids(all[10:20]); !slices.Equal(got, want) {
		t.Errorf("page 2 of 10 = %v, want parties 11-20 %v", got, want)
	}
	if p.Meta.Page != 2 || p.Meta.Count != 10 || !p.Meta.HasMore || p.Meta.Total != len(all) {
		t.Errorf("page 2 meta %+v", p.Meta)
	}
	last := (len(all) + 9) / 10
	p = shared.feed(t, fmt.Sprintf("limit=10&page=%d", last))
	if p.Meta.HasMore || p.Meta.NextCursor != nil || p.Meta.Count != len(all)-(last-1)*10 {
		t.Errorf("last page %d meta %+v", last, p.Meta)
	}
	p = shared.feed(t, fmt.Sprintf("limit=10&page=%d", last+1))
	if p.Meta.Count != 0 || len(p.Data) != 0 || p.Meta.HasMore {
		t.Errorf("page past the end: meta %+v", p.Meta)
	}
}

// TestPartyDays checks the day picker: each day's count is what filtering
// the feed by that day returns.
func TestPartyDays(t *testing.T) {
	// Behind Hosting the day picker and the feed are two functions:
	// compare them once both have every earlier test's writes.
	consistent(t, shared, func() error {
		perDay := map[string]int{}
		for _, p := range publishedParties(t, shared) {
			perDay[p.Date]++
		}
		for _, d := range decode[daysPage](t, shared.get(t, "/api/party-days")).Data {
			if perDay[d.Date] != d.Count {
				return fmt.Errorf("day %s: party-days says %d, the feed has %d", d.Date, d.Count, perDay[d.Date])
			}
		}
		return nil
	})
	all, _ := everything(t, shared)
	r := shared.get(t, "/api/party-days")
	wantStatus(t, r, http.StatusOK, "party-days")
	days := decode[daysPage](t, r)
	if days.Meta.Conference != demoConference || days.Meta.Days != len(days.Data) {
		t.Errorf("party-days meta %+v for %d days", days.Meta, len(days.Data))
	}
	sum := 0
	for i, d := range days.Data {
		if i > 0 && d.Date <= days.Data[i-1].Date {
			t.Errorf("days out of order: %s after %s", d.Date, days.Data[i-1].Date)
		}
		p := shared.feed(t, "date="+d.Date+"&limit=500")
		if p.Meta.Total != d.Count || p.Meta.Count != d.Count {
			t.Errorf("day %s: party-days says %d, the feed filtered by it has %d", d.Date, d.Count, p.Meta.Total)
		}
		for _, party := range p.parties(t) {
			if party.Date != d.Date || party.Status == "cancelled" {
				t.Errorf("date=%s returned party %s of %s (%s)", d.Date, party.ID, party.Date, party.Status)
			}
		}
		withCancelled := 0
		for _, party := range all {
			if party.Date == d.Date {
				withCancelled++
			}
		}
		if p := shared.feed(t, "date="+d.Date+"&include=cancelled&limit=500"); p.Meta.Total != withCancelled {
			t.Errorf("day %s with cancelled: %d parties, want %d", d.Date, p.Meta.Total, withCancelled)
		}
		sum += d.Count
	}
	if sum != days.Meta.Total || sum != len(published(all)) {
		t.Errorf("days add up to %d, meta.total %d, the feed has %d", sum, days.Meta.Total, len(published(all)))
	}
	if len(days.Data) >= 2 {
		d0, d1 := days.Data[0], days.Data[1]
		for _, q := range []string{"date=" + d0.Date + "," + d1.Date, "date=" + d0.Date + "&date=" + d1.Date, "date=" + d1.Date + ",%20" + d0.Date} {
			if p := shared.feed(t, q+"&limit=500"); p.Meta.Total != d0.Count+d1.Count {
				t.Errorf("%s: %d parties, want %d+%d", q, p.Meta.Total, d0.Count, d1.Count)
			}
		}
	}
	if r := shared.get(t, "/api/party-days?conference="+demoConference); !bytes.Equal(r.Body, decodeBody(t, shared, "/api/party-days")) {
		t.Errorf("party-days?conference=%s differs from the default", demoConference)
	}
}

func decodeBody(t *testing.T, s *server, path string) []byte {
	t.Helper()
	r := s.get(t, path)
	wantStatus(t, r, http.StatusOK, path)
	return r.Body
}

// TestFeedFilters checks each filter against the same selection made here
// from the full list.
func TestFeedFilters(t *testing.T) {
	all, _ := everything(t, shared)
	pub := published(all)
	var withPlace, cancelled, paid partyJSON
	for _, p := range all {
		switch {
		case p.Status == "cancelled" && cancelled.ID == "":
			cancelled = p
		case p.Lat != nil && withPlace.ID == "" && p.Status != "cancelled":
			withPlace = p
		case !p.Free && paid.ID == "" && p.Status != "cancelled":
			paid = p
		}
	}
	if withPlace.ID == "" || cancelled.ID == "" || paid.ID == "" {
		t.Fatal("the demo data lacks a party with a position, a cancelled one or a paid one")
	}
	cat := paid.CategoryKey
	word := longestWord(paid.Title)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	day := pub[len(pub)/2].Date
	from, _ := time.ParseInLocation("2006-01-02T15:04", day+"T18:00", berlin)
	to, _ := time.ParseInLocation("2006-01-02T15:04", day+"T21:00", berlin)

	tests := []struct {
		name  string
		query string
		from  []partyJSON
		keep  func(p partyJSON) bool
	}{
		{"category key", "category=" + cat, pub, func(p partyJSON) bool { return p.CategoryKey == cat }},
		{"category label", "category=" + url.QueryEscape(strings.ToUpper(paid.Category)), pub, func(p partyJSON) bool { return p.CategoryKey == cat }},
		{"two categories", "category=" + cat + ",party", pub, func(p partyJSON) bool { return p.CategoryKey == cat || p.CategoryKey == "party" }},
		{"free", "free=true", pub, func(p partyJSON) bool { return p.Free }},
		{"free=false is no filter", "free=false", pub, func(partyJSON) bool { return true }},
		{"text", "q=" + url.QueryEscape(strings.ToUpper(word)), pub, func(p partyJSON) bool { return mentions(p, word) }},
		{"near, 500 m", fmt.Sprintf("near=%g,%g&radius=0.5", *withPlace.Lat, *withPlace.Lng), pub, func(p partyJSON) bool {
			return p.Lat != nil && distanceKm(*withPlace.Lat, *withPlace.Lng, *p.Lat, *p.Lng) <= 0.5
		}},
		{"near, default 2 km", fmt.Sprintf("near=%g,%g", *withPlace.Lat, *withPlace.Lng), pub, func(p partyJSON) bool {
			return p.Lat != nil && distanceKm(*withPlace.Lat, *withPlace.Lng, *p.Lat, *p.Lng) <= 2
		}},
		{"include cancelled", "include=cancelled", all, func(partyJSON) bool { return true }},
		{"from/to, local", "from=" + day + "T18:00&to=" + day + "T21:00", pub, func(p partyJSON) bool {
			start := mustTime(t, p.Start)
			end := start
			if p.End != nil {
				end = mustTime(t, *p.End)
			}
			return !end.Before(from) && start.Before(to)
		}},
		{"from, RFC 3339", "from=" + url.QueryEscape(from.Format(time.RFC3339)), pub, func(p partyJSON) bool {
			end := mustTime(t, p.Start)
			if p.End != nil {
				end = mustTime(t, *p.End)
			}
			return !end.Before(from)
		}},
		{"day and free", "date=" + day + "&free=1", pub, func(p partyJSON) bool { return p.Date == day && p.Free }},
		{"day and category with cancelled", "date=" + cancelled.Date + "&category=" + cancelled.CategoryKey + "&include=cancelled", all, func(p partyJSON) bool {
			return p.Date == cancelled.Date && p.CategoryKey == cancelled.CategoryKey
		}},
		{"nothing matches", "q=zzzqqqxxx", pub, func(partyJSON) bool { return false }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := ids(slices.DeleteFunc(slices.Clone(tc.from), func(p partyJSON) bool { return !tc.keep(p) }))
			p := shared.feed(t, tc.query+"&limit=500")
			got := ids(p.parties(t))
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %d parties %v\nwant %d %v", tc.query, len(got), got, len(want), want)
			}
			if p.Meta.Total != len(want) {
				t.Errorf("%s: meta.total %d, want %d", tc.query, p.Meta.Total, len(want))
			}
		})
	}
	// Sanity of the selections themselves: the filters above must not be vacuous.
	if n := len(shared.feed(t, "category="+cat+"&limit=500").Data); n == 0 || n == len(pub) {
		t.Errorf("category %s selects %d of %d parties: not a useful test", cat, n, len(pub))
	}
	if n := shared.feed(t, "free=true&limit=500").Meta.Total; n == 0 || n == len(pub) {
		t.Errorf("free=true selects %d of %d parties: not a useful test", n, len(pub))
	}
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "&" + b
}

func longestWord(s string) string {
	best := ""
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') }) {
		if len(w) > len(best) {
			best = w
		}
	}
	return best
}

// mentions is the text filter as a person would expect it: the word
// appears (any case) in the title, hosts, venue, address, description or category.
func mentions(p partyJSON, word string) bool {
	text := strings.ToLower(strings.Join(append([]string{p.Title, p.Venue, p.Address, p.Description, p.Category}, p.HostList...), " "))
	return strings.Contains(text, strings.ToLower(word))
}

func distanceKm(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371.0088
	rad := math.Pi / 180
	dLat, dLng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// TestPartyDetail checks that a party's own URL serves exactly what the
// feed lists, cancelled parties included.
func TestPartyDetail(t *testing.T) {
	page := shared.feed(t, "include=cancelled&limit=500")
	all := page.parties(t)
	picks := []int{0, len(all) / 2, len(all) - 1}
	for i, p := range all {
		if p.Status == "cancelled" {
			picks = append(picks, i)
			break
		}
	}
	for _, i := range picks {
		id := all[i].ID
		r := shared.get(t, "/api/parties/"+id)
		wantStatus(t, r, http.StatusOK, "party "+id)
		body := decode[struct {
			Success bool            `json:"success"`
			Data    json.RawMessage `json:"data"`
		}](t, r)
		if !body.Success || !bytes.Equal(body.Data, page.Data[i]) {
			t.Errorf("party %s: detail %s\ndiffers from the feed's %s", id, body.Data, page.Data[i])
		}
	}
}

func TestConferences(t *testing.T) {
	r := shared.get(t, "/api/conferences")
	wantStatus(t, r, http.StatusOK, "conferences")
	list := decode[struct {
		Data []conferenceJSON `json:"data"`
	}](t, r)
	if len(list.Data) != 1 || list.Data[0].ID != demoConference {
		t.Fatalf("conferences %+v, want only the seeded %s", list.Data, demoConference)
	}
	c := list.Data[0]
	if c.PartyCount != nil {
		t.Errorf("the list carries partyCount")
	}
	r = shared.get(t, "/api/conferences/"+demoConference)
	wantStatus(t, r, http.StatusOK, "conference")
	detail := decode[struct {
		Data conferenceJSON `json:"data"`
	}](t, r).Data
	var all []partyJSON
	consistent(t, shared, func() error { // behind Hosting, two functions
		detail = decode[struct {
			Data conferenceJSON `json:"data"`
		}](t, shared.get(t, "/api/conferences/"+demoConference)).Data
		if all, _ = everything(t, shared); detail.PartyCount == nil || *detail.PartyCount != len(published(all)) {
			return fmt.Errorf("partyCount %s, the feed has %d parties", string(mustJSON(detail.PartyCount)), len(published(all)))
		}
		return nil
	})
	if detail.Name != c.Name || detail.Timezone != "Europe/Berlin" || detail.FirstDay != c.FirstDay || detail.LastDay != c.LastDay {
		t.Errorf("detail %+v differs from the list's %+v", detail, c)
	}
	for _, p := range all {
		if p.Date < c.FirstDay || p.Date > c.LastDay {
			t.Errorf("party %s on %s, outside the conference %s..%s", p.ID, p.Date, c.FirstDay, c.LastDay)
		}
	}
}

func TestHealth(t *testing.T) {
	r := shared.get(t, "/api/health")
	wantStatus(t, r, http.StatusOK, "health")
	h := decode[struct {
		Status string `json:"status"`
		Checks map[string]struct {
			Status string `json:"status"`
		} `json:"checks"`
	}](t, r)
	if h.Status != "healthy" || h.Checks["store"].Status != "up" {
		t.Errorf("health %+v, want healthy with the store up", h)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("health Cache-Control %q, want no-store", cc)
	}
}

// TestOpenAPIDocument checks the served contract is the one in the repository.
func TestOpenAPIDocument(t *testing.T) {
	r := shared.get(t, "/api/openapi.yaml")
	wantStatus(t, r, http.StatusOK, "openapi.yaml")
	if !bytes.Equal(r.Body, api.raw) {
		t.Errorf("the served document differs from functions/openapi/openapi.yaml")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/yaml") {
		t.Errorf("Content-Type %q", ct)
	}
}

// mustJSON is v as JSON, for messages.
func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
