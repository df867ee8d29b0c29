package blackbox_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// syncResponse is GET /api/parties?since=… as a client reads it.
type syncResponse struct {
	Success bool              `json:"success"`
	Data    []json.RawMessage `json:"data"`
	Meta    struct {
		Count      int    `json:"count"`
		Deleted    int    `json:"deleted"`
		Full       bool   `json:"full"`
		Conference string `json:"conference"`
		SyncToken  string `json:"syncToken"`
	} `json:"meta"`
}

// syncItem is one element of a sync's data: a party, or a tombstone.
type syncItem struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
	Status  string `json:"status"`
	Title   string `json:"title"`
}

// syncCopy is a device's copy of one conference, kept by sync.
type syncCopy struct {
	conference string
	parties    map[string]string // id -> the party's JSON
	token      string
}

// sync asks for what changed since the copy's token (everything, for
// none) and applies it: a full answer replaces the copy, a party replaces
// the copy's, a tombstone removes it. It returns the items received.
func (c *syncCopy) sync(t *testing.T, s *server) []syncItem {
	t.Helper()
	path := "/api/parties?conference=" + c.conference + "&since=" + url.QueryEscape(c.token)
	r := s.get(t, path)
	wantStatus(t, r, http.StatusOK, "GET "+path)
	resp := decode[syncResponse](t, r)
	if !resp.Success || resp.Meta.Conference != c.conference || resp.Meta.Count != len(resp.Data) || resp.Meta.SyncToken == "" ||
		resp.Meta.Full != (c.token == "") {
		t.Fatalf("GET %s: meta %+v for %d items", path, resp.Meta, len(resp.Data))
	}
	if resp.Meta.Full {
		c.parties = map[string]string{}
	}
	items := make([]syncItem, len(resp.Data))
	deleted := 0
	for i, raw := range resp.Data {
		if err := json.Unmarshal(raw, &items[i]); err != nil {
			t.Fatalf("GET %s: item %s: %v", path, raw, err)
		}
		if items[i].Deleted {
			deleted++
			delete(c.parties, items[i].ID)
		} else {
			c.parties[items[i].ID] = string(raw)
		}
	}
	if deleted != resp.Meta.Deleted {
		t.Errorf("GET %s: %d tombstones, meta says %d", path, deleted, resp.Meta.Deleted)
	}
	c.token = resp.Meta.SyncToken
	return items
}

// A device syncs a conference, organizers and admins change it through
// the API, and the next sync brings exactly what changed: the parties
// edited, cancelled (still there, as cancelled), published and taken down
// (cancelled) in full, and a tombstone for the party an import moved back
// to pending; nothing for the party left alone, or for a submission still
// waiting. The copy is then the conference as the feed shows it, and a
// sync with nothing new answers nothing and the same token. A token the
// feed cannot use is a 410 that says to resync; other filters do not
// combine with since.
func TestSyncAfterChanges(t *testing.T) {
	s := adminServer(t)
	admin := signIn(t, s, `{"uid":"admin-sync","roles":["admin"]}`)
	org := signIn(t, s, `{"uid":"org-sync","roles":["organizer"]}`)
	s.createConference(t, admin, `{"id":"synccon","name":"Sync Con","city":"Köln","timeZone":"Europe/Berlin","firstDay":"2027-09-01","lastDay":"2027-09-03"}`)
	n := 0
	submit := func(who user, day, title string) writtenJSON {
		t.Helper()
		n++ // each at a venue and hour of its own: no likely duplicates
		body := fmt.Sprintf(`{"conferenceId":"synccon","title":%q,"venue":"Venue %d","date":%q,"time":"%02d:30"}`, title, n, day, 10+n)
		r := s.as(t, who, http.MethodPost, "/api/parties", body)
		wantStatus(t, r, http.StatusCreated, "submitting "+title)
		return decode[envelope[writtenJSON]](t, r).Data
	}
	keep := submit(admin, "2027-09-01", "Left Alone")
	edit := submit(admin, "2027-09-01", "To Be Renamed")
	cancel := submit(admin, "2027-09-02", "To Be Cancelled")
	unpublish := submit(admin, "2027-09-02", "To Be Unpublished")
	takeDown := submit(admin, "2027-09-03", "To Be Taken Down")
	waiting := submit(org, "2027-09-03", "Waiting For Moderation")
	if keep.Status != "published" || waiting.Status != "pending" {
		t.Fatalf("an admin's submission is %s, an organizer's %s; want published and pending", keep.Status, waiting.Status)
	}

	device := &syncCopy{conference: "synccon"}
	device.sync(t, s)
	if want := []string{cancel.ID, edit.ID, keep.ID, takeDown.ID, unpublish.ID}; !slices.Equal(slices.Sorted(maps.Keys(device.parties)), slices.Sorted(slices.Values(want))) {
		t.Fatalf("the first sync holds %v, want the five published parties %v", slices.Sorted(maps.Keys(device.parties)), want)
	}
	first := device.token

	// The changes, through the API.
	wantStatus(t, s.as(t, admin, http.MethodPatch, "/api/parties/"+edit.ID, `{"title":"Renamed"}`, "If-Match", `"v1"`), http.StatusOK, "the edit")
	wantStatus(t, s.as(t, admin, http.MethodPost, "/api/parties/"+cancel.ID+"/cancel", `{"reason":"venue flooded"}`), http.StatusOK, "the cancellation")
	wantStatus(t, s.as(t, admin, http.MethodPost, "/api/parties/"+waiting.ID+"/publish", ""), http.StatusOK, "the publication")
	wantStatus(t, s.as(t, admin, http.MethodDelete, "/api/parties/"+takeDown.ID, ""), http.StatusOK, "the take-down")
	var moved map[string]any
	if err := json.Unmarshal([]byte(device.parties[unpublish.ID]), &moved); err != nil {
		t.Fatal(err)
	}
	moved["status"] = "pending"
	back, err := json.Marshal([]any{moved})
	if err != nil {
		t.Fatal(err)
	}
	if rep := s.imported(t, admin, "conference=synccon", "application/json", string(back)); rep.Updated != 1 {
		t.Fatalf("the import moving a party back to pending: %s", rep.counts())
	}
	stillWaiting := submit(org, "2027-09-01", "Never Shown")

	// The next syncs, until the copy holds every change: one sync where
	// the feed is the writer's process; behind Hosting the import's
	// process tells the feed's at its next revision check.
	want := map[string]string{edit.ID: "published", cancel.ID: "cancelled", waiting.ID: "published", takeDown.ID: "cancelled", unpublish.ID: "deleted"}
	got := map[string]string{}
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, it := range device.sync(t, s) {
			state := it.Status
			if it.Deleted {
				state = "deleted"
			}
			if w, ok := want[it.ID]; !ok || w != state {
				t.Errorf("the sync brought %s as %s; want only %v", it.ID, state, want)
			}
			got[it.ID] = state
		}
		if maps.Equal(got, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("the syncs brought %v, want %v", got, want)
	}
	for id, title := range map[string]string{edit.ID: "Renamed", cancel.ID: cancel.Title} {
		var p syncItem
		if err := json.Unmarshal([]byte(device.parties[id]), &p); err != nil || p.Title != title {
			t.Errorf("party %s in the copy: %s, want titled %q", id, device.parties[id], title)
		}
	}
	if _, ok := device.parties[stillWaiting.ID]; ok {
		t.Errorf("a party waiting for moderation reached the copy")
	}

	// The copy is the conference as a fresh device sees it.
	fresh := &syncCopy{conference: "synccon"}
	fresh.sync(t, s)
	if !maps.Equal(device.parties, fresh.parties) || device.token != fresh.token {
		t.Errorf("the copy kept by sync holds %v at %q,\na fresh sync %v at %q", slices.Sorted(maps.Keys(device.parties)), device.token,
			slices.Sorted(maps.Keys(fresh.parties)), fresh.token)
	}
	if items := device.sync(t, s); len(items) != 0 || device.token != fresh.token {
		t.Errorf("a sync with nothing new brought %v and token %q; want nothing and %q", items, device.token, fresh.token)
	}

	// Tokens the feed cannot use: 410, saying to resync.
	demo := &syncCopy{conference: demoConference}
	demo.sync(t, s)
	other := &syncCopy{conference: demoConference}
	other.sync(t, shared) // another server: another store
	for _, tc := range []struct{ name, token string }{
		{"garbage", base64.RawURLEncoding.EncodeToString([]byte("not a token"))},
		{"not even base64", "zzz%21"},
		{"another conference's", demo.token},
		{"another store's", other.token},
	} {
		conf := "synccon"
		if tc.name == "another store's" {
			conf = demoConference
		}
		path := "/api/parties?conference=" + conf + "&since=" + tc.token
		r := s.get(t, path)
		p := checkProblem(t, r, http.StatusGone, "gone", tc.name+" token")
		if !strings.Contains(p.Detail, "sync again") {
			t.Errorf("%s token: %q does not say to sync again", tc.name, p.Detail)
		}
	}
	if r := s.get(t, "/api/parties?conference=synccon&since="+first); r.Status != http.StatusOK {
		t.Errorf("the first token, after the changes: %d, want 200 (it is not expired)", r.Status)
	}

	// since is the whole conference: no filter or page with it.
	for _, tc := range []struct{ query, field string }{
		{"date=2027-09-01", "date"},
		{"limit=10", "limit"},
		{"include=cancelled", "include"},
		{"format=ics", "format"},
	} {
		path := fmt.Sprintf("/api/parties?conference=synccon&since=%s&%s", url.QueryEscape(first), tc.query)
		p := checkProblem(t, s.get(t, path), http.StatusBadRequest, "invalid", "since with "+tc.query)
		if len(p.Errors) != 1 || p.Errors[0].Field != tc.field || p.Errors[0].Code != "conflict" {
			t.Errorf("since with %s: errors %+v, want %s named as a conflict", tc.query, p.Errors, tc.field)
		}
	}
}
