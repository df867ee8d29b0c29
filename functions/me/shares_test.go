package me_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/functions/calendar"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/frab"
	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
	"github.com/partyfinder/partyfinder/shared/party"
)

type shareJSON struct {
	Code      string   `json:"code"`
	URL       string   `json:"url"`
	Title     string   `json:"title"`
	Live      bool     `json:"live"`
	PartyIDs  []string `json:"partyIds"`
	CreatedAt string   `json:"createdAt"`
}

type sharedList struct {
	Code    string `json:"code"`
	Title   string `json:"title"`
	Live    bool   `json:"live"`
	Parties []struct {
		ID string `json:"id"`
	} `json:"parties"`
}

func (l sharedList) ids() []string {
	out := []string{}
	for _, p := range l.Parties {
		out = append(out, p.ID)
	}
	return out
}

type importResult struct {
	Added, Already, Cancelled, Missing []string
}

// An attendee shares their list by a link: anyone with it reads the list
// (live, it follows the saves; fixed, it keeps the chosen parties), as
// JSON or as a calendar; the owner revokes it; another attendee imports
// it into their own saves and learns what was added, what they had, and
// what is gone.
func TestSharedLists(t *testing.T) {
	w := newWorld(t)
	public := (&calendar.Handler{Feed: w.cache, Personal: w.views}).Routes()
	open := func(code, query string, header ...string) *http.Response {
		t.Helper()
		return httpapitest.Serve(public, http.MethodGet, "/api/shares/"+code+query, nil, header...).Result()
	}
	read := func(code string) sharedList {
		t.Helper()
		rec := httpapitest.Serve(public, http.MethodGet, "/api/shares/"+code, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /api/shares/%s: %d %s", code, rec.Code, rec.Body)
		}
		if rec.Header().Get("Cache-Control") != "public, no-cache" || rec.Header().Get("X-Robots-Tag") != "noindex" {
			t.Errorf("headers %v: a shared list is revalidated on every use and kept out of search engines", rec.Header())
		}
		return httpapitest.Decode[envelope[sharedList, map[string]int]](t, rec).Data
	}
	mixer, lunch, games := w.party(t, "Opening Night Mixer"), w.party(t, "Indie Founders Lunch"), w.party(t, "Board Games & Bytes")
	for _, p := range []party.Party{mixer, lunch} {
		w.must(t, http.StatusCreated, "ada", http.MethodPut, "/api/me/saves/"+p.ID, "")
	}

	live := httpapitest.Decode[envelope[shareJSON, any]](t, w.must(t, http.StatusCreated, "ada", http.MethodPost, "/api/me/shares", `{"title":"Ada's week"}`)).Data
	fixed := httpapitest.Decode[envelope[shareJSON, any]](t, w.must(t, http.StatusCreated, "ada", http.MethodPost, "/api/me/shares",
		`{"partyIds":["`+games.ID+`"]}`)).Data
	if !attendee.ValidShareCode(live.Code) || live.Code == fixed.Code || !live.Live || fixed.Live || live.PartyIDs != nil ||
		!strings.HasSuffix(live.URL, "/api/shares/"+live.Code) {
		t.Fatalf("created %+v and %+v", live, fixed)
	}
	// Read by anyone, chronologically; the live list follows the saves.
	if got := read(live.Code); got.Title != "Ada's week" || !got.Live || !slices.Equal(got.ids(), []string{lunch.ID, mixer.ID}) {
		t.Errorf("the live list: %+v", got)
	}
	w.must(t, http.StatusCreated, "ada", http.MethodPut, "/api/me/saves/"+games.ID, "")
	if got := read(live.Code).ids(); !slices.Equal(got, []string{lunch.ID, mixer.ID, games.ID}) {
		t.Errorf("the live list after another save: %v", got)
	}
	if got := read(fixed.Code).ids(); !slices.Equal(got, []string{games.ID}) {
		t.Errorf("the fixed list: %v", got)
	}
	// The same list as a calendar or a schedule, by parameter or by Accept.
	for _, tc := range []struct {
		query, accept, contentType, mark string
	}{
		{"?format=ics", "", feed.ContentICS, "UID:" + games.ID + "@partyfinder"},
		{"", "text/calendar", feed.ContentICS, "UID:" + games.ID + "@partyfinder"},
		{"?format=frab-xml", "", feed.ContentFrabXML, `<event guid="` + frab.EventGUID(games.ID) + `"`},
		{"", "application/xml", feed.ContentFrabXML, `<event guid="` + frab.EventGUID(games.ID) + `"`},
		{"?format=frab-json", "", feed.ContentFrabJSON, `{"guid":"` + frab.EventGUID(games.ID) + `"`},
	} {
		var header []string
		if tc.accept != "" {
			header = []string{"Accept", tc.accept}
		}
		resp := open(live.Code, tc.query, header...)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tc.contentType || !strings.Contains(string(body), tc.mark) {
			t.Errorf("the list as %s%s: %d %s, has %q: %v", tc.query, tc.accept, resp.StatusCode, resp.Header.Get("Content-Type"), tc.mark, strings.Contains(string(body), tc.mark))
		}
	}
	// The owner lists and revokes; a revoked or unknown code is 404.
	mine := httpapitest.Decode[envelope[[]shareJSON, any]](t, w.must(t, http.StatusOK, "ada", http.MethodGet, "/api/me/shares", "")).Data
	if len(mine) != 2 || !slices.ContainsFunc(mine, func(s shareJSON) bool { return s.Code == fixed.Code }) ||
		!slices.ContainsFunc(mine, func(s shareJSON) bool { return s.Code == live.Code }) {
		t.Errorf("ada's links: %+v", mine) // the order is the stores' contract (newest first)
	}
	w.must(t, http.StatusNotFound, "bob", http.MethodDelete, "/api/me/shares/"+fixed.Code, "")
	w.must(t, http.StatusOK, "ada", http.MethodDelete, "/api/me/shares/"+fixed.Code, "")
	for _, code := range []string{fixed.Code, "AAAAAAAAAAAAAAAAAAAAAA", "short"} {
		if resp := open(code, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /api/shares/%s: %d, want 404", code, resp.StatusCode)
		}
	}

	// Bob imports the live list by its code, then by its JSON: what he
	// had stays, a cancelled party and a party that is gone are named.
	w.must(t, http.StatusCreated, "bob", http.MethodPut, "/api/me/saves/"+mixer.ID, "")
	got := httpapitest.Decode[envelope[importResult, any]](t, w.must(t, http.StatusOK, "bob", http.MethodPost, "/api/me/saves/import", `{"code":"`+live.Code+`"}`)).Data
	slices.Sort(got.Added)
	if want := []string{lunch.ID, games.ID}; !slices.Equal(got.Added, slices.Sorted(slices.Values(want))) || !slices.Equal(got.Already, []string{mixer.ID}) || len(got.Missing) != 0 {
		t.Errorf("import by code: %+v", got)
	}
	list := httpapitest.Serve(public, http.MethodGet, "/api/shares/"+live.Code, nil).Body.String()
	var doc map[string]any
	if err := json.Unmarshal([]byte(list), &doc); err != nil {
		t.Fatal(err)
	}
	parties := doc["data"].(map[string]any)["parties"].([]any)
	parties = append(parties, map[string]any{"id": w.cancelled.ID}, map[string]any{"id": "no-such-party"})
	doc["data"].(map[string]any)["parties"] = parties
	body, _ := json.Marshal(doc)
	got = httpapitest.Decode[envelope[importResult, any]](t, w.must(t, http.StatusOK, "carol", http.MethodPost, "/api/me/saves/import", string(body))).Data
	if len(got.Added) != 3 || len(got.Already) != 0 || !slices.Equal(got.Cancelled, []string{w.cancelled.ID}) || !slices.Equal(got.Missing, []string{"no-such-party"}) {
		t.Errorf("import of the list's JSON: %+v", got)
	}

	// Bad requests name the field.
	for _, tc := range []struct{ path, body, field string }{
		{"/api/me/shares", `{"partyIds":["no-such-party"]}`, "partyIds[0]"},
		{"/api/me/shares", `{"partyIds":[]}`, "partyIds"},
		{"/api/me/shares", `{"title":"a\u0000b"}`, "title"},
		{"/api/me/saves/import", `{}`, "code"},
	} {
		httpapitest.Problem(t, w.do(t, "ada", http.MethodPost, tc.path, tc.body), http.StatusBadRequest, "invalid", tc.field)
	}
	// An erasure takes the links.
	w.must(t, http.StatusOK, "ada", http.MethodDelete, "/api/me", "")
	if resp := open(live.Code, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("ada's link after her erasure: %d", resp.StatusCode)
	}
}

// The personal feed's link also serves the saved parties as a frab
// schedule for schedule apps: the same token, another extension.
func TestPersonalFeedFormats(t *testing.T) {
	w := newWorld(t)
	public := (&calendar.Handler{Feed: w.cache, Personal: w.views}).Routes()
	games := w.party(t, "Board Games & Bytes")
	w.must(t, http.StatusCreated, "ada", http.MethodPut, "/api/me/saves/"+games.ID, "")
	_, token := link(t, w.do(t, "ada", http.MethodGet, "/api/me/calendar", ""), "https://example.com")
	for _, tc := range []struct{ ext, contentType, mark string }{
		{".ics", feed.ContentICS, "UID:" + games.ID + "@partyfinder"},
		{".xml", feed.ContentFrabXML, `<event guid="` + frab.EventGUID(games.ID) + `"`},
		{".json", feed.ContentFrabJSON, `{"guid":"` + frab.EventGUID(games.ID) + `"`},
	} {
		rec := httpapitest.Serve(public, http.MethodGet, "/api/calendar/u/"+token+tc.ext, nil)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != tc.contentType || !strings.Contains(rec.Body.String(), tc.mark) {
			t.Errorf("%s: %d %s, has the saved party: %v", tc.ext, rec.Code, rec.Header().Get("Content-Type"), strings.Contains(rec.Body.String(), tc.mark))
		}
	}
	other := "x" + token[1:]
	if token[0] == 'x' {
		other = "y" + token[1:]
	}
	for _, file := range []string{token + ".pdf", token, other + ".xml"} {
		if rec := httpapitest.Serve(public, http.MethodGet, "/api/calendar/u/"+file, nil); rec.Code != http.StatusNotFound {
			t.Errorf("/api/calendar/u/%s: %d, want 404", file, rec.Code)
		}
	}
}
