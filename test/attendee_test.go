package blackbox_test

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// user is a signed-in attendee: the uid the server knows them by and the
// token that proves it.
type user struct {
	UID   string
	Token string
	Email string // "" for anonymous users

	password string // for signing in again (Auth emulator users)
}

// as sends a well-formed request as u and checks request and response
// against the contract. A non-empty body is sent as application/json.
// headers are name, value pairs.
func (s *server) as(t testing.TB, u user, method, path, body string, headers ...string) *result {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + u.Token}}
	var b []byte
	if body != "" {
		h.Set("Content-Type", "application/json")
		b = []byte(body)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Set(headers[i], headers[i+1])
	}
	return s.do(t, method, path, h, b, true)
}

// asRaw sends a request as u that is not meant to be well-formed (the
// response is still checked against the contract).
func (s *server) asRaw(t testing.TB, u user, method, path string, body []byte, headers ...string) *result {
	t.Helper()
	return s.send(t, method, path, body, append([]string{"Authorization", "Bearer " + u.Token}, headers...)...)
}

// The attendee wire shapes the tests read (the contract checks every field).
type (
	swipeResult struct {
		Success bool `json:"success"`
		Swipe   struct {
			ID        string `json:"id"`
			PartyID   string `json:"partyId"`
			Action    string `json:"action"`
			Timestamp string `json:"timestamp"`
		} `json:"swipe"`
		PreviousAction *string `json:"previousAction"`
		Changed        bool    `json:"changed"`
		Saved          bool    `json:"saved"`
		Message        string  `json:"message"`
		NextAction     string  `json:"nextAction"`
	}
	profileJSON struct {
		DisplayName string  `json:"displayName"`
		Company     string  `json:"company"`
		JobTitle    string  `json:"jobTitle"`
		Persona     *string `json:"persona"`
		Visibility  string  `json:"visibility"`
		UpdatedAt   *string `json:"updatedAt"`
	}
	meJSON struct {
		UID       string      `json:"uid"`
		Anonymous bool        `json:"anonymous"`
		Email     string      `json:"email"`
		Roles     []string    `json:"roles"`
		Profile   profileJSON `json:"profile"`
	}
	exportJSON struct {
		UID        string `json:"uid"`
		ExportedAt string `json:"exportedAt"`
		Identity   meJSON `json:"identity"`
		Swipes     []struct {
			PartyID string `json:"partyId"`
			Action  string `json:"action"`
			At      string `json:"at"`
		} `json:"swipes"`
		Saves []struct {
			PartyID string `json:"partyId"`
			At      string `json:"at"`
		} `json:"saves"`
		Calendar struct {
			Issued     bool `json:"issued"`
			Generation int  `json:"generation"`
		} `json:"calendar"`
	}
	savedPartyJSON struct {
		partyJSON
		SavedAt   string `json:"savedAt"`
		Cancelled bool   `json:"cancelled"`
	}
	savesPage struct {
		Data []savedPartyJSON `json:"data"`
		Meta struct {
			Count       int `json:"count"`
			Cancelled   int `json:"cancelled"`
			Unavailable int `json:"unavailable"`
		} `json:"meta"`
	}
	scheduleItem struct {
		Party        partyJSON `json:"party"`
		PlannedEnd   string    `json:"plannedEnd"`
		OpenEnd      bool      `json:"openEnd"`
		Cancelled    bool      `json:"cancelled"`
		OverlapsWith []string  `json:"overlapsWith"`
	}
	scheduleGap struct {
		From    string `json:"from"`
		To      string `json:"to"`
		Minutes int    `json:"minutes"`
	}
	scheduleDay struct {
		Date    string         `json:"date"`
		Weekday string         `json:"weekday"`
		Parties []scheduleItem `json:"parties"`
		Gaps    []scheduleGap  `json:"gaps"`
	}
	schedulePage struct {
		Data struct {
			Conference string        `json:"conference"`
			Timezone   string        `json:"timezone"`
			Days       []scheduleDay `json:"days"`
		} `json:"data"`
		Meta struct {
			Count    int `json:"count"`
			Days     int `json:"days"`
			Overlaps int `json:"overlaps"`
		} `json:"meta"`
	}
	calendarLink struct {
		URL        string `json:"url"`
		HTTPS      string `json:"https"`
		Generation int    `json:"generation"`
	}
	envelope[T any] struct {
		Success bool `json:"success"`
		Data    T    `json:"data"`
	}
)

// Reads of a user's own data, each expected to succeed.

func (s *server) me(t testing.TB, u user) meJSON {
	t.Helper()
	r := s.as(t, u, http.MethodGet, "/api/me", "")
	wantStatus(t, r, http.StatusOK, "GET /api/me")
	return decode[envelope[meJSON]](t, r).Data
}

func (s *server) export(t testing.TB, u user) exportJSON {
	t.Helper()
	r := s.as(t, u, http.MethodGet, "/api/me/export", "")
	wantStatus(t, r, http.StatusOK, "GET /api/me/export")
	return decode[envelope[exportJSON]](t, r).Data
}

func (s *server) saves(t testing.TB, u user) savesPage {
	t.Helper()
	r := s.as(t, u, http.MethodGet, "/api/me/saves", "")
	wantStatus(t, r, http.StatusOK, "GET /api/me/saves")
	return decode[savesPage](t, r)
}

func (s *server) schedule(t testing.TB, u user) schedulePage {
	t.Helper()
	r := s.as(t, u, http.MethodGet, "/api/me/schedule", "")
	wantStatus(t, r, http.StatusOK, "GET /api/me/schedule")
	return decode[schedulePage](t, r)
}

func (s *server) calendarLink(t testing.TB, u user) calendarLink {
	t.Helper()
	r := s.as(t, u, http.MethodGet, "/api/me/calendar", "")
	wantStatus(t, r, http.StatusOK, "GET /api/me/calendar")
	return decode[envelope[calendarLink]](t, r).Data
}

func (s *server) swipe(t testing.TB, u user, body string) swipeResult {
	t.Helper()
	r := s.as(t, u, http.MethodPost, "/api/swipe", body)
	wantStatus(t, r, http.StatusOK, "POST /api/swipe "+body)
	return decode[swipeResult](t, r)
}

// save saves a party and returns the status (201 new, 200 already saved).
func (s *server) save(t testing.TB, u user, partyID string) int {
	t.Helper()
	r := s.as(t, u, http.MethodPut, "/api/me/saves/"+partyID, "")
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		t.Fatalf("PUT /api/me/saves/%s: status %d, body %.300s", partyID, r.Status, r.Body)
	}
	return r.Status
}

// feedPath is the path of a calendar link, as a test requests it from the server.
func feedPath(t testing.TB, l calendarLink) string {
	t.Helper()
	i := strings.Index(l.HTTPS, "/api/calendar/u/")
	if i < 0 {
		t.Fatalf("calendar link %q is not under /api/calendar/u/", l.HTTPS)
	}
	return l.HTTPS[i:]
}

// personalFeed fetches a personal calendar feed as a calendar app does: no
// Authorization header.
func (s *server) personalFeed(t *testing.T, l calendarLink) string {
	t.Helper()
	r := s.get(t, feedPath(t, l))
	wantStatus(t, r, http.StatusOK, "personal feed "+feedPath(t, l))
	return checkICS(t, r, "partyfinder.ics")
}

func savedIDs(p savesPage) []string {
	out := make([]string, len(p.Data))
	for i, d := range p.Data {
		out[i] = d.ID
	}
	return out
}

func exportedSaves(e exportJSON) []string {
	var out []string
	for _, s := range e.Saves {
		out = append(out, s.PartyID)
	}
	return out
}

// signIn signs a user in the way s takes them: with local dev sign-in,
// or with the Auth emulator where s verifies Firebase ID tokens. body is
// what dev sign-in takes: "" or "{}" for an anonymous user, else a uid and
// roles ({"uid":"alice","roles":["admin"]}), which on the Auth emulator
// are the user's custom claims.
func signIn(t testing.TB, s *server, body string) user {
	t.Helper()
	if s.firebase {
		return emulatorSignIn(t, s, body)
	}
	return devSignIn(t, s, body)
}

// devSignIn signs in on a server with local dev sign-in; body "" is an
// anonymous sign-in without a body.
func devSignIn(t testing.TB, s *server, body string) user {
	t.Helper()
	var r *result
	if body == "" {
		r = s.do(t, http.MethodPost, "/api/dev/signin", http.Header{}, nil, true)
	} else {
		r = s.do(t, http.MethodPost, "/api/dev/signin", http.Header{"Content-Type": {"application/json"}}, []byte(body), true)
	}
	wantStatus(t, r, http.StatusOK, "POST /api/dev/signin "+body)
	out := decode[struct {
		IDToken   string `json:"idToken"`
		UID       string `json:"uid"`
		ExpiresIn string `json:"expiresIn"`
	}](t, r)
	if out.IDToken == "" || out.UID == "" || out.ExpiresIn == "" {
		t.Fatalf("dev sign-in answered %s", r.Body)
	}
	return user{UID: out.UID, Token: out.IDToken}
}

// demoParties sorts the demo conference's parties for the tests.
type demoParties struct {
	published []partyJSON // chronological
	cancelled []partyJSON
}

func partiesOf(t *testing.T, s *server) demoParties {
	t.Helper()
	all, _ := everything(t, s)
	var d demoParties
	for _, p := range all {
		if p.Status == "cancelled" {
			d.cancelled = append(d.cancelled, p)
		} else {
			d.published = append(d.published, p)
		}
	}
	if len(d.published) < 8 || len(d.cancelled) == 0 {
		t.Fatalf("the demo data has %d published and %d cancelled parties; the tests need 8 and 1", len(d.published), len(d.cancelled))
	}
	return d
}

// clash is three parties of one day: a and b overlap, c starts after both
// have ended, leaving free time between them.
type clash struct{ a, b, c partyJSON }

func findClash(t *testing.T, ps []partyJSON) clash {
	t.Helper()
	end := func(p partyJSON) time.Time { return mustTime(t, *p.End) }
	for i, a := range ps {
		for _, b := range ps[i+1:] {
			if a.End == nil || b.End == nil || a.Date != b.Date || a.ID == b.ID {
				continue
			}
			if !(mustTime(t, a.Start).Before(end(b)) && mustTime(t, b.Start).Before(end(a))) {
				continue
			}
			busy := end(a)
			if end(b).After(busy) {
				busy = end(b)
			}
			for _, c := range ps {
				if c.End != nil && c.Date == a.Date && mustTime(t, c.Start).After(busy) {
					return clash{a, b, c}
				}
			}
		}
	}
	t.Fatal("the demo data has no day with two overlapping parties and a later one")
	return clash{}
}

// TestDevSignIn checks local sign-in: an anonymous or a named user, roles as
// asked, a token the attendee endpoints accept, and refusals that name the
// field or say why.
func TestDevSignIn(t *testing.T) {
	skipOn(t, "dev sign-in is the local runner's alone (the Cloud Run entry point cannot link it); the functions verify the Auth emulator's tokens, which TestAuthFirebase covers", targetFunctions)
	if !strings.Contains(shared.output(), "sign-in: local dev tokens") {
		t.Fatalf("the shared server does not use local dev sign-in; output:\n%s", shared.output())
	}
	anon := signIn(t, shared, "")
	if me := shared.me(t, anon); me.UID != anon.UID || !me.Anonymous || len(me.Roles) != 0 {
		t.Errorf("anonymous sign-in: GET /api/me %+v, want uid %s, anonymous, no roles", me, anon.UID)
	}
	if other := signIn(t, shared, "{}"); other.UID == anon.UID {
		t.Errorf("two anonymous sign-ins got the same uid %s", anon.UID)
	}

	uid := "dev-" + strings.ToLower(rand.Text())
	named := signIn(t, shared, `{"uid":"`+uid+`","roles":["admin","organizer"]}`)
	me := shared.me(t, named)
	if me.UID != uid || me.Anonymous || !slices.Equal(me.Roles, []string{"admin", "organizer"}) {
		t.Errorf("named sign-in: GET /api/me %+v, want uid %s, not anonymous, roles admin and organizer", me, uid)
	}
	// Signing in again as the same uid reaches the same data.
	p := partiesOf(t, shared).published[0]
	shared.save(t, named, p.ID)
	again := signIn(t, shared, `{"uid":"`+uid+`"}`)
	if got := savedIDs(shared.saves(t, again)); !slices.Equal(got, []string{p.ID}) {
		t.Errorf("signed in again as %s: saves %v, want [%s]", uid, got, p.ID)
	}
	if me := shared.me(t, again); len(me.Roles) != 0 {
		t.Errorf("signed in again without roles: roles %v", me.Roles)
	}

	for _, tc := range []struct {
		body  string
		field string
	}{
		{`{"uid":"has space"}`, "uid"},
		{`{"uid":"` + strings.Repeat("u", 129) + `"}`, "uid"},
		{`{"roles":["root"]}`, "roles"},
		{`{"uid":"x","isAdmin":true}`, "isAdmin"},
		{`{"uid":7}`, "uid"},
		{`{"roles":"admin"}`, "roles"},
		{`not json`, "body"},
		{`["admin"]`, "body"},
	} {
		r := shared.send(t, http.MethodPost, "/api/dev/signin", []byte(tc.body), "Content-Type", "application/json")
		checkFields(t, r, "dev sign-in "+tc.body, tc.field)
	}
	// Only this machine may sign in: a request a proxy or tunnel forwarded
	// from elsewhere is refused.
	for _, h := range [][2]string{{"X-Forwarded-For", "203.0.113.7"}, {"Forwarded", "for=203.0.113.7;proto=https"}, {"X-Real-Ip", "203.0.113.7"}} {
		r := shared.send(t, http.MethodPost, "/api/dev/signin", nil, h[0], h[1])
		checkProblem(t, r, http.StatusForbidden, "forbidden", "dev sign-in with "+h[0])
	}
	r := shared.send(t, http.MethodGet, "/api/dev/signin", nil)
	checkProblem(t, r, http.StatusMethodNotAllowed, "method_not_allowed", "GET /api/dev/signin")
}

// checkFields checks r is a 400 whose errors name exactly the fields.
func checkFields(t *testing.T, r *result, what string, fields ...string) {
	t.Helper()
	p := checkProblem(t, r, http.StatusBadRequest, "invalid", what)
	var got []string
	for _, f := range p.Errors {
		got = append(got, f.Field)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(fields))
	if !slices.Equal(got, want) {
		t.Errorf("%s: errors name %q, want %q; body %s", what, got, want, r.Body)
	}
	checkNoInternals(t, r, what)
}

// TestSwipe checks a decision replaces the earlier one about the same party
// and reports what it replaced, in both body shapes, and that the saves
// follow the decisions.
func TestSwipe(t *testing.T) {
	d := partiesOf(t, shared)
	p, q := d.published[1], d.published[2]
	u := signIn(t, shared, "")
	before := time.Now().Add(-2 * time.Second)

	steps := []struct {
		body     string
		party    string
		action   string
		previous string // "" for none
		changed  bool
		saved    bool
	}{
		{`{"partyId":"` + p.ID + `","action":"like"}`, p.ID, "like", "", false, true},
		{`{"partyId":"` + p.ID + `","action":"like"}`, p.ID, "like", "like", false, true},
		{`{"partyId":"` + p.ID + `","action":"pass"}`, p.ID, "pass", "like", true, false},
		{`{"partyId":"` + p.ID + `","action":"interested","timestamp":1724180000000,"source":"web"}`, p.ID, "interested", "pass", true, true},
		{`{"eventId":"` + q.ID + `","direction":"right"}`, q.ID, "like", "", false, true},
		{`{"eventId":"` + q.ID + `","direction":"left","timestamp":"2025-08-20T20:00:00Z"}`, q.ID, "pass", "like", true, false},
	}
	for _, st := range steps {
		got := shared.swipe(t, u, st.body)
		prev := ""
		if got.PreviousAction != nil {
			prev = *got.PreviousAction
		}
		if !got.Success || got.Swipe.PartyID != st.party || got.Swipe.Action != st.action || prev != st.previous ||
			got.Changed != st.changed || got.Saved != st.saved || got.Message == "" || got.NextAction != "next" {
			t.Errorf("swipe %s: %+v (previous %q); want action %s, previous %q, changed %v, saved %v",
				st.body, got, prev, st.action, st.previous, st.changed, st.saved)
		}
		if at := mustTime(t, got.Swipe.Timestamp); at.Before(before) || at.After(time.Now().Add(2*time.Second)) {
			t.Errorf("swipe %s: timestamp %s is not the server's now (a client's timestamp must not count)", st.body, got.Swipe.Timestamp)
		}
		if !strings.Contains(got.Swipe.ID, st.party) {
			t.Errorf("swipe id %q does not name the party %s", got.Swipe.ID, st.party)
		}
	}
	// One decision per party, the latest; saved as the last decision says.
	e := shared.export(t, u)
	decided := map[string]string{}
	for _, s := range e.Swipes {
		if _, dup := decided[s.PartyID]; dup {
			t.Errorf("export: two decisions about %s", s.PartyID)
		}
		decided[s.PartyID] = s.Action
	}
	if len(decided) != 2 || decided[p.ID] != "interested" || decided[q.ID] != "pass" {
		t.Errorf("export swipes %+v, want %s interested and %s pass", e.Swipes, p.ID, q.ID)
	}
	if got := savedIDs(shared.saves(t, u)); !slices.Equal(got, []string{p.ID}) {
		t.Errorf("saves %v, want only %s (interested; %s was passed)", got, p.ID, q.ID)
	}
}

// TestSwipeRejected checks bad swipes are refused with the fields named,
// unknown parties with 404 and cancelled ones with 409, and that none of
// them stores anything.
func TestSwipeRejected(t *testing.T) {
	d := partiesOf(t, shared)
	p, gone := d.published[3].ID, d.cancelled[0].ID
	u := signIn(t, shared, "")
	for _, tc := range []struct {
		name   string
		body   string
		ctype  string
		fields []string
	}{
		{"empty object", `{}`, "", []string{"partyId", "action"}},
		{"no party", `{"action":"like"}`, "", []string{"partyId"}},
		{"no decision", `{"partyId":"` + p + `"}`, "", []string{"action"}},
		{"unknown action", `{"partyId":"` + p + `","action":"love"}`, "", []string{"action"}},
		{"unknown direction", `{"eventId":"` + p + `","direction":"up"}`, "", []string{"direction"}},
		{"unknown field roles", `{"partyId":"` + p + `","action":"like","roles":["admin"]}`, "", []string{"roles"}},
		{"someone else's uid", `{"partyId":"` + p + `","action":"like","uid":"someone-else"}`, "", []string{"uid"}},
		{"party id of the wrong type", `{"partyId":42,"action":"like"}`, "", []string{"partyId"}},
		{"party id too long", `{"partyId":"` + strings.Repeat("p", 129) + `","action":"like"}`, "", []string{"partyId"}},
		{"not JSON", `partyId=` + p + `&action=like`, "", []string{"body"}},
		{"no body", ``, "", []string{"body"}},
		{"two objects", `{"partyId":"` + p + `","action":"like"}{}`, "", []string{"body"}},
		{"an array", `[{"partyId":"` + p + `","action":"like"}]`, "", []string{"body"}},
		{"form content type", `{"partyId":"` + p + `","action":"like"}`, "application/x-www-form-urlencoded", []string{"Content-Type"}},
		{"text content type", `{"partyId":"` + p + `","action":"like"}`, "text/plain", []string{"Content-Type"}},
	} {
		ct := tc.ctype
		if ct == "" {
			ct = "application/json"
		}
		r := shared.asRaw(t, u, http.MethodPost, "/api/swipe", []byte(tc.body), "Content-Type", ct)
		checkFields(t, r, "swipe: "+tc.name, tc.fields...)
	}

	r := shared.as(t, u, http.MethodPost, "/api/swipe", `{"partyId":"no-such-party","action":"like"}`)
	checkProblem(t, r, http.StatusNotFound, "not_found", "swipe on an unknown party")
	r = shared.asRaw(t, u, http.MethodPost, "/api/swipe", []byte(`{"partyId":"bad$id!","action":"like"}`), "Content-Type", "application/json")
	checkProblem(t, r, http.StatusNotFound, "not_found", "swipe on a malformed party id")
	for _, body := range []string{`{"partyId":"` + gone + `","action":"like"}`, `{"eventId":"` + gone + `","direction":"right"}`, `{"partyId":"` + gone + `","action":"pass"}`} {
		r := shared.as(t, u, http.MethodPost, "/api/swipe", body)
		checkProblem(t, r, http.StatusConflict, "conflict", "swipe on a cancelled party "+body)
	}
	r = shared.as(t, u, http.MethodPut, "/api/me/saves/"+gone, "")
	checkProblem(t, r, http.StatusConflict, "conflict", "saving a cancelled party")
	r = shared.as(t, u, http.MethodPut, "/api/me/saves/no-such-party", "")
	checkProblem(t, r, http.StatusNotFound, "not_found", "saving an unknown party")

	big := `{"partyId":"` + strings.Repeat("p", 2<<20) + `","action":"like"}`
	checkProblem(t, shared.asRaw(t, u, http.MethodPost, "/api/swipe", []byte(big), "Content-Type", "application/json"),
		http.StatusRequestEntityTooLarge, "payload_too_large", "a 2 MiB swipe")

	if e := shared.export(t, u); len(e.Swipes) != 0 || len(e.Saves) != 0 {
		t.Errorf("refused requests stored something: export swipes %+v saves %+v", e.Swipes, e.Saves)
	}
	if s := shared.saves(t, u); len(s.Data) != 0 || s.Meta.Count != 0 {
		t.Errorf("refused requests saved %v", savedIDs(s))
	}
}

// checkNoInternals fails when an error body shows what only the server
// should know: Go error texts, stack traces, library names.
func checkNoInternals(t testing.TB, r *result, what string) {
	t.Helper()
	body := strings.ToLower(string(r.Body))
	for _, leak := range []string{"goroutine", ".go:", "panic", "runtime error", "json: ", "struct", "slice", "map[",
		"int64", "float64", "reflect", "firebase", "jwt", "securetoken", "x509", "certificate", "signature", "audience", "issuer",
		"emulator", "sqlite", "sql:", "firestore", "rpc error", "hs256", "hmac", "base64"} {
		if strings.Contains(body, leak) {
			t.Errorf("%s: the response says %q: %s", what, leak, r.Body)
		}
	}
}

// TestSaves checks saving is idempotent (201, then 200), the list is
// chronological whatever the order of saving, and unsaving is idempotent.
func TestSaves(t *testing.T) {
	ps := partiesOf(t, shared).published
	picked := []partyJSON{ps[10], ps[4], ps[7]} // saved out of order
	u := signIn(t, shared, "")
	for _, p := range picked {
		if st := shared.save(t, u, p.ID); st != http.StatusCreated {
			t.Errorf("first save of %s: status %d, want 201", p.ID, st)
		}
	}
	first := shared.saves(t, u)
	if st := shared.save(t, u, picked[0].ID); st != http.StatusOK {
		t.Errorf("second save of %s: status %d, want 200", picked[0].ID, st)
	}
	again := shared.saves(t, u)
	want := []string{ps[4].ID, ps[7].ID, ps[10].ID}
	if got := savedIDs(again); !slices.Equal(got, want) {
		t.Errorf("saves %v, want them chronologically %v", got, want)
	}
	if again.Meta.Count != 3 || again.Meta.Cancelled != 0 || again.Meta.Unavailable != 0 {
		t.Errorf("saves meta %+v", again.Meta)
	}
	for i, s := range again.Data {
		if s.Cancelled || s.Status != "published" || s.SavedAt == "" || s.Title == "" || s.Start == "" {
			t.Errorf("saved party %d: %+v", i, s)
		}
		if s.SavedAt != first.Data[i].SavedAt {
			t.Errorf("saving %s again moved its savedAt from %s to %s", s.ID, first.Data[i].SavedAt, s.SavedAt)
		}
	}
	// The list carries the same details as the party resource.
	detail := decode[struct {
		Data partyJSON `json:"data"`
	}](t, shared.get(t, "/api/parties/"+ps[4].ID))
	if again.Data[0].partyJSON.Title != detail.Data.Title || again.Data[0].Start != detail.Data.Start {
		t.Errorf("saved party %+v differs from its details %+v", again.Data[0].partyJSON, detail.Data)
	}
	if got := exportedSaves(shared.export(t, u)); len(got) != 3 {
		t.Errorf("export lists saves %v, want 3", got)
	}

	// The list revalidates: unchanged, its ETag gives an empty 304, in
	// either encoding; after a change, a new list.
	r := shared.as(t, u, http.MethodGet, "/api/me/saves", "", "Accept-Encoding", "gzip")
	tag := r.Header.Get("ETag")
	if cc := r.Header.Get("Cache-Control"); tag == "" || !strings.Contains(cc, "private") {
		t.Fatalf("saves: ETag %q, Cache-Control %q; want an ETag and a private Cache-Control", tag, cc)
	}
	for _, enc := range []string{"gzip", "identity"} {
		nm := shared.as(t, u, http.MethodGet, "/api/me/saves", "", "Accept-Encoding", enc, "If-None-Match", tag)
		if nm.Status != http.StatusNotModified || len(nm.Raw) != 0 {
			t.Errorf("saves with If-None-Match (%s): status %d, %d bytes; want an empty 304", enc, nm.Status, len(nm.Raw))
		}
	}
	if other := shared.as(t, signIn(t, shared, ""), http.MethodGet, "/api/me/saves", "", "If-None-Match", tag); other.Status != http.StatusOK {
		t.Errorf("another user sending this user's ETag: status %d, want 200", other.Status)
	}

	for i, wantRemoved := range []bool{true, false} {
		r := shared.as(t, u, http.MethodDelete, "/api/me/saves/"+ps[7].ID, "")
		wantStatus(t, r, http.StatusOK, "DELETE save")
		out := decode[struct {
			PartyID string `json:"partyId"`
			Saved   bool   `json:"saved"`
			Removed bool   `json:"removed"`
		}](t, r)
		if out.PartyID != ps[7].ID || out.Saved || out.Removed != wantRemoved {
			t.Errorf("unsave #%d: %+v, want removed %v", i+1, out, wantRemoved)
		}
	}
	if got := savedIDs(shared.saves(t, u)); !slices.Equal(got, []string{ps[4].ID, ps[10].ID}) {
		t.Errorf("after unsaving %s: saves %v", ps[7].ID, got)
	}
	if r := shared.as(t, u, http.MethodGet, "/api/me/saves", "", "If-None-Match", tag); r.Status != http.StatusOK {
		t.Errorf("the list's ETag from before an unsave: status %d, want 200 with the new list", r.Status)
	}
	r = shared.asRaw(t, u, http.MethodDelete, "/api/me/saves/bad$id!", nil)
	checkProblem(t, r, http.StatusNotFound, "not_found", "unsaving a malformed id")
}

// TestSchedule saves two overlapping parties and a later one of the same
// day: the schedule marks the clash both ways and the free time before the
// third.
func TestSchedule(t *testing.T) {
	ps := partiesOf(t, shared).published
	c := findClash(t, ps)
	u := signIn(t, shared, "")
	for _, p := range []partyJSON{c.c, c.b, c.a} {
		shared.save(t, u, p.ID)
	}
	s := shared.schedule(t, u)
	if s.Data.Conference != demoConference || s.Data.Timezone != "Europe/Berlin" {
		t.Errorf("schedule of %q in %q, want %s in Europe/Berlin", s.Data.Conference, s.Data.Timezone, demoConference)
	}
	if s.Meta.Count != 3 || s.Meta.Days != 1 || s.Meta.Overlaps != 1 || len(s.Data.Days) != 1 {
		t.Fatalf("schedule meta %+v with %d days, want 3 parties on 1 day with 1 overlap", s.Meta, len(s.Data.Days))
	}
	day := s.Data.Days[0]
	if day.Date != c.a.Date || day.Weekday != mustTime(t, c.a.Start).Weekday().String() {
		t.Errorf("day %s %s, want %s", day.Date, day.Weekday, c.a.Date)
	}
	var got []string
	byID := map[string]scheduleItem{}
	for _, it := range day.Parties {
		got = append(got, it.Party.ID)
		byID[it.Party.ID] = it
	}
	chrono := []partyJSON{c.a, c.b, c.c}
	slices.SortStableFunc(chrono, func(x, y partyJSON) int { return mustTime(t, x.Start).Compare(mustTime(t, y.Start)) })
	if !slices.Equal(got, ids(chrono)) {
		t.Fatalf("schedule order %v, want %v", got, ids(chrono))
	}
	if ow := byID[c.a.ID].OverlapsWith; !slices.Equal(ow, []string{c.b.ID}) {
		t.Errorf("%s overlaps with %v, want [%s]", c.a.ID, ow, c.b.ID)
	}
	if ow := byID[c.b.ID].OverlapsWith; !slices.Equal(ow, []string{c.a.ID}) {
		t.Errorf("%s overlaps with %v, want [%s]", c.b.ID, ow, c.a.ID)
	}
	if ow := byID[c.c.ID].OverlapsWith; len(ow) != 0 {
		t.Errorf("%s overlaps with %v, want none", c.c.ID, ow)
	}
	for _, it := range day.Parties {
		if it.OpenEnd || it.Cancelled || !mustTime(t, it.PlannedEnd).Equal(mustTime(t, *it.Party.End)) {
			t.Errorf("%s: plannedEnd %s openEnd %v cancelled %v, party ends %s", it.Party.ID, it.PlannedEnd, it.OpenEnd, it.Cancelled, *it.Party.End)
		}
	}
	busy := mustTime(t, *c.a.End)
	if e := mustTime(t, *c.b.End); e.After(busy) {
		busy = e
	}
	start := mustTime(t, c.c.Start)
	if len(day.Gaps) != 1 || !mustTime(t, day.Gaps[0].From).Equal(busy) || !mustTime(t, day.Gaps[0].To).Equal(start) ||
		day.Gaps[0].Minutes != int(start.Sub(busy).Minutes()) {
		t.Errorf("gaps %+v, want one from %s to %s (%d minutes)", day.Gaps, busy, start, int(start.Sub(busy).Minutes()))
	}

	r := shared.as(t, u, http.MethodGet, "/api/me/schedule?conference="+demoConference, "")
	wantStatus(t, r, http.StatusOK, "schedule of the named conference")
	r = shared.as(t, u, http.MethodGet, "/api/me/schedule?conference=nocon", "")
	checkProblem(t, r, http.StatusNotFound, "not_found", "schedule of an unknown conference")
	r = shared.asRaw(t, u, http.MethodGet, "/api/me/schedule?day=monday", nil)
	checkFields(t, r, "schedule with an unknown parameter", "day")

	empty := shared.schedule(t, signIn(t, shared, ""))
	if len(empty.Data.Days) != 0 || empty.Meta.Count != 0 {
		t.Errorf("a new user's schedule: %+v", empty)
	}
}

// TestPersonalCalendar checks the calendar link: the same URL until it is
// rotated, a feed without any Authorization header holding exactly the
// saved parties, current on every fetch, and a rotation that kills the old
// URL.
func TestPersonalCalendar(t *testing.T) {
	ps := partiesOf(t, shared).published
	u := signIn(t, shared, "")
	shared.save(t, u, ps[5].ID)
	shared.save(t, u, ps[12].ID)

	link := shared.calendarLink(t, u)
	if !strings.HasPrefix(link.URL, "webcal://") || !strings.HasPrefix(link.HTTPS, shared.base+"/api/calendar/u/") ||
		strings.TrimPrefix(link.URL, "webcal://") != strings.TrimPrefix(link.HTTPS, "http://") || link.Generation != 1 {
		t.Fatalf("calendar link %+v: want webcal:// and %s/api/calendar/u/… for the same feed, generation 1", link, shared.base)
	}
	if again := shared.calendarLink(t, u); again != link {
		t.Errorf("asked twice: %+v, then %+v", link, again)
	}
	text := shared.personalFeed(t, link)
	if n := strings.Count(text, "BEGIN:VEVENT\r\n"); n != 2 || !strings.Contains(text, ps[5].ID) || !strings.Contains(text, ps[12].ID) {
		t.Errorf("the feed has %d events; want the 2 saved parties %s and %s:\n%s", n, ps[5].ID, ps[12].ID, text)
	}
	for _, want := range []string{"REFRESH-INTERVAL", "PRODID:"} {
		if !strings.Contains(text, want) {
			t.Errorf("the feed lacks %s", want)
		}
	}
	r := shared.get(t, feedPath(t, link))
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "private") || strings.Contains(cc, "public") {
		t.Errorf("personal feed Cache-Control %q: a shared cache could keep one user's calendar", cc)
	}
	if nm := shared.get(t, feedPath(t, link), "If-None-Match", r.Header.Get("ETag")); nm.Status != http.StatusNotModified {
		t.Errorf("personal feed revalidation: status %d, want 304", nm.Status)
	}

	// Current on every fetch: a new save shows up at once.
	shared.save(t, u, ps[20].ID)
	if text := shared.personalFeed(t, link); strings.Count(text, "BEGIN:VEVENT\r\n") != 3 || !strings.Contains(text, ps[20].ID) {
		t.Errorf("after saving %s the feed does not list it", ps[20].ID)
	}

	rotated := decode[envelope[calendarLink]](t, shared.as(t, u, http.MethodPost, "/api/me/calendar/rotate", "")).Data
	if rotated.Generation != 2 || rotated.URL == link.URL || rotated.HTTPS == link.HTTPS {
		t.Fatalf("rotated link %+v, was %+v", rotated, link)
	}
	r = shared.get(t, feedPath(t, link))
	checkProblem(t, r, http.StatusNotFound, "not_found", "the feed URL before rotation")
	if text := shared.personalFeed(t, rotated); strings.Count(text, "BEGIN:VEVENT\r\n") != 3 {
		t.Errorf("the rotated feed has not the 3 saved parties")
	}
	if now := shared.calendarLink(t, u); now != rotated {
		t.Errorf("after rotating, GET /api/me/calendar gives %+v, want %+v", now, rotated)
	}
	if e := shared.export(t, u); !e.Calendar.Issued || e.Calendar.Generation != 2 {
		t.Errorf("export calendar %+v, want issued, generation 2", e.Calendar)
	}

	for _, path := range []string{
		"/api/calendar/u/" + strings.Repeat("A", 43) + ".ics", // well-formed, no such token
		"/api/calendar/u/short.ics",
		"/api/calendar/u/" + strings.TrimSuffix(strings.TrimPrefix(feedPath(t, rotated), "/api/calendar/u/"), ".ics"), // no .ics
	} {
		checkProblem(t, shared.send(t, http.MethodGet, path, nil), http.StatusNotFound, "not_found", "GET "+path)
	}
}

// TestProfile checks the profile can be set field by field, and that fields
// an attendee may not set (roles, uid) are refused by name.
func TestProfile(t *testing.T) {
	u := signIn(t, shared, "")
	me := shared.me(t, u)
	if me.Profile.DisplayName != "" || me.Profile.Persona != nil || me.Profile.Visibility != "private" || me.Profile.UpdatedAt != nil {
		t.Errorf("a new user's profile: %+v", me.Profile)
	}
	r := shared.as(t, u, http.MethodPatch, "/api/me", `{"displayName":"Jo Müller","company":"Rheinpixel","persona":"developer","visibility":"attendees"}`)
	wantStatus(t, r, http.StatusOK, "PATCH /api/me")
	set := decode[envelope[meJSON]](t, r).Data.Profile
	if set.DisplayName != "Jo Müller" || set.Company != "Rheinpixel" || set.Persona == nil || *set.Persona != "developer" ||
		set.Visibility != "attendees" || set.UpdatedAt == nil {
		t.Errorf("after PATCH: %+v", set)
	}
	r = shared.as(t, u, http.MethodPatch, "/api/me", `{"jobTitle":"Producer","displayName":null}`)
	wantStatus(t, r, http.StatusOK, "PATCH /api/me jobTitle")
	if p := shared.me(t, u).Profile; p.JobTitle != "Producer" || p.DisplayName != "Jo Müller" || p.Company != "Rheinpixel" {
		t.Errorf("a second PATCH changed more than jobTitle: %+v", p)
	}

	for _, tc := range []struct {
		name   string
		body   string
		fields []string
	}{
		{"roles", `{"displayName":"Root","roles":["admin"]}`, []string{"roles"}},
		{"uid", `{"uid":"someone-else"}`, []string{"uid"}},
		{"email", `{"email":"x@example.com"}`, []string{"email"}},
		{"three bad values", `{"company":"` + strings.Repeat("c", 101) + `","persona":"ceo","visibility":"everyone"}`, []string{"company", "persona", "visibility"}},
		{"control characters", `{"displayName":"Jo\u0007"}`, []string{"displayName"}},
		{"wrong type", `{"displayName":["Jo"]}`, []string{"displayName"}},
		{"wrong type for a text", `{"company":{"name":"Rheinpixel"}}`, []string{"company"}},
		{"not an object", `"Jo"`, []string{"body"}},
	} {
		r := shared.asRaw(t, u, http.MethodPatch, "/api/me", []byte(tc.body), "Content-Type", "application/json")
		checkFields(t, r, "PATCH /api/me "+tc.name, tc.fields...)
	}
	me = shared.me(t, u)
	if len(me.Roles) != 0 || me.UID != u.UID || me.Profile.DisplayName != "Jo Müller" || me.Profile.Company != "Rheinpixel" {
		t.Errorf("refused PATCHes changed the user: %+v", me)
	}
}

// TestExport checks the export holds everything stored about the user.
func TestExport(t *testing.T) {
	ps := partiesOf(t, shared).published
	u := signIn(t, shared, "")
	wantStatus(t, shared.as(t, u, http.MethodPatch, "/api/me", `{"displayName":"Exporter"}`), http.StatusOK, "PATCH /api/me")
	shared.swipe(t, u, `{"partyId":"`+ps[6].ID+`","action":"like"}`)
	shared.swipe(t, u, `{"partyId":"`+ps[8].ID+`","action":"pass"}`)
	shared.save(t, u, ps[9].ID)
	shared.calendarLink(t, u)

	r := shared.as(t, u, http.MethodGet, "/api/me/export", "")
	wantStatus(t, r, http.StatusOK, "export")
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("export Content-Disposition %q, want a download", cd)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("export Cache-Control %q, want no-store", cc)
	}
	e := decode[envelope[exportJSON]](t, r).Data
	if e.UID != u.UID || e.Identity.UID != u.UID || e.Identity.Profile.DisplayName != "Exporter" {
		t.Errorf("export identity %+v", e.Identity)
	}
	if len(e.Swipes) != 2 || !slices.Equal(exportedSaves(e), []string{ps[6].ID, ps[9].ID}) || !e.Calendar.Issued || e.Calendar.Generation != 1 {
		t.Errorf("export swipes %+v saves %v calendar %+v", e.Swipes, exportedSaves(e), e.Calendar)
	}
	// The export names no secret: not the calendar link's token.
	link := shared.calendarLink(t, u)
	token := strings.TrimSuffix(strings.TrimPrefix(feedPath(t, link), "/api/calendar/u/"), ".ics")
	if strings.Contains(string(r.Body), token) {
		t.Errorf("the export contains the calendar token")
	}
}

// TestErasure checks DELETE /api/me: the token used is refused afterwards,
// the calendar URL is dead, a fresh sign-in of the same user starts from
// nothing, and other users keep their data.
func TestErasure(t *testing.T) {
	uid := "erase-" + strings.ToLower(rand.Text())
	checkErasure(t, shared, func(t *testing.T) user { return signIn(t, shared, `{"uid":"`+uid+`"}`) }, signIn(t, shared, ""))
}

// checkErasure runs the erasure story on s: signIn signs the same user in
// afresh on every call; bystander is another user, whose data must survive.
func checkErasure(t *testing.T, s *server, signIn func(t *testing.T) user, bystander user) {
	ps := partiesOf(t, s).published
	u := signIn(t)
	s.save(t, bystander, ps[4].ID)
	wantStatus(t, s.as(t, u, http.MethodPatch, "/api/me", `{"displayName":"To Be Erased","company":"Gone GmbH"}`), http.StatusOK, "PATCH /api/me")
	s.swipe(t, u, `{"partyId":"`+ps[1].ID+`","action":"like"}`)
	s.save(t, u, ps[2].ID)
	link := s.calendarLink(t, u)
	s.personalFeed(t, link)

	r := s.as(t, u, http.MethodDelete, "/api/me", "")
	wantStatus(t, r, http.StatusOK, "DELETE /api/me")
	erasedAt := time.Now()
	for _, ep := range attendeeEndpoints(ps[3].ID) {
		r := s.asRaw(t, u, ep.method, ep.path, []byte(ep.body), "Content-Type", "application/json")
		checkUnauthorized(t, r, "the token of an erased user: "+ep.method+" "+ep.path, true)
	}
	checkProblem(t, s.get(t, feedPath(t, link)), http.StatusNotFound, "not_found", "the calendar URL after the erasure")

	// A token issued after the erasure is good. Issue times count in whole
	// seconds, so the new token must come from a later second.
	time.Sleep(time.Until(erasedAt.Truncate(time.Second).Add(1100 * time.Millisecond)))
	fresh := signIn(t)
	if fresh.UID != u.UID {
		t.Fatalf("signing in again gave uid %s, want %s", fresh.UID, u.UID)
	}
	e := s.export(t, fresh)
	if len(e.Swipes) != 0 || len(e.Saves) != 0 || e.Calendar.Issued ||
		e.Identity.Profile.DisplayName != "" || e.Identity.Profile.Company != "" || e.Identity.Profile.UpdatedAt != nil {
		t.Errorf("the export after the erasure is not empty: %+v", e)
	}
	if got := s.saves(t, fresh); len(got.Data) != 0 {
		t.Errorf("saves after the erasure: %v", savedIDs(got))
	}
	if got := savedIDs(s.saves(t, bystander)); !slices.Equal(got, []string{ps[4].ID}) {
		t.Errorf("another user's saves after the erasure: %v, want [%s]", got, ps[4].ID)
	}
	// A new link, not the old one back: whoever still has the old URL
	// (a calendar app, a leak) must not see what the user saves from now on.
	s.save(t, fresh, ps[5].ID)
	if l := s.calendarLink(t, fresh); l.HTTPS == link.HTTPS {
		t.Errorf("after the erasure the old calendar URL %s was issued again", link.HTTPS)
	}
	checkProblem(t, s.get(t, feedPath(t, link)), http.StatusNotFound, "not_found", "the calendar URL from before the erasure, once a new one is issued")
}

// TestSavedPartyCancelled cancels a party after it was saved, through the
// import command as an organiser would: the saves keep it flagged, the
// schedule marks it, the feed says STATUS:CANCELLED, and it cannot be saved
// again while it can still be removed.
func TestSavedPartyCancelled(t *testing.T) {
	dir := t.TempDir()
	db := dir + "/cancel.db"
	s := start(t, db)
	ps := partiesOf(t, s).published
	victim, other := ps[3], ps[9]
	u := signIn(t, s, `{"uid":"cancel-test"}`)
	s.save(t, u, victim.ID)
	s.swipe(t, u, `{"partyId":"`+other.ID+`","action":"like"}`)
	link := s.calendarLink(t, u)

	// The organiser's sheet now says the party is cancelled.
	raw := s.get(t, "/api/parties/"+victim.ID)
	var doc struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(raw.Body, &doc); err != nil {
		t.Fatal(err)
	}
	doc.Data["status"] = "cancelled"
	file := dir + "/cancel.json"
	writeJSON(t, file, map[string]any{"data": []any{doc.Data}})
	if err := s.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	runImport(t, db, "--conference", demoConference, file)
	s = start(t, db)
	u = signIn(t, s, `{"uid":"cancel-test"}`) // the dev sign-in key beside the database survives restarts

	saves := s.saves(t, u)
	if got := savedIDs(saves); !slices.Equal(got, ids(sortedByStart(t, victim, other))) {
		t.Fatalf("saves %v after the cancellation, want both parties", got)
	}
	for _, sp := range saves.Data {
		want := sp.ID == victim.ID
		if sp.Cancelled != want || (sp.Status == "cancelled") != want {
			t.Errorf("saved %s: cancelled %v status %s", sp.ID, sp.Cancelled, sp.Status)
		}
	}
	if saves.Meta.Count != 2 || saves.Meta.Cancelled != 1 {
		t.Errorf("saves meta %+v, want 2 with 1 cancelled", saves.Meta)
	}
	sched := s.schedule(t, u)
	found := false
	for _, d := range sched.Data.Days {
		for _, it := range d.Parties {
			if it.Party.ID == victim.ID {
				found = true
				if !it.Cancelled || len(it.OverlapsWith) != 0 {
					t.Errorf("schedule: the cancelled party %+v", it)
				}
			}
		}
	}
	if !found {
		t.Errorf("the schedule leaves out the cancelled saved party")
	}
	text := s.personalFeed(t, link)
	i := strings.Index(text, victim.ID)
	if i < 0 || strings.Count(text, "BEGIN:VEVENT\r\n") != 2 {
		t.Fatalf("the feed lost the cancelled party or the other one:\n%s", text)
	}
	event := text[strings.LastIndex(text[:i], "BEGIN:VEVENT"):]
	event = event[:strings.Index(event, "END:VEVENT")]
	if !strings.Contains(event, "STATUS:CANCELLED\r\n") {
		t.Errorf("the cancelled party's event lacks STATUS:CANCELLED:\n%s", event)
	}

	checkProblem(t, s.as(t, u, http.MethodPut, "/api/me/saves/"+victim.ID, ""), http.StatusConflict, "conflict", "saving a cancelled party again")
	r := s.as(t, u, http.MethodDelete, "/api/me/saves/"+victim.ID, "")
	wantStatus(t, r, http.StatusOK, "unsaving a cancelled party")
	if got := savedIDs(s.saves(t, u)); !slices.Equal(got, []string{other.ID}) {
		t.Errorf("after unsaving the cancelled party: %v", got)
	}
}

func sortedByStart(t *testing.T, ps ...partyJSON) []partyJSON {
	slices.SortStableFunc(ps, func(a, b partyJSON) int {
		if c := mustTime(t, a.Start).Compare(mustTime(t, b.Start)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ps
}

// writeJSON writes v to path as JSON.
func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// runImport runs `partyfinder import` into the store named by db.
func runImport(t *testing.T, db string, args ...string) {
	t.Helper()
	cmd := importCommand(t, db, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("partyfinder import %v: %v\n%s", args, err, out)
	}
}

// TestAttendeeRouting checks that a signed-in client gets the usual answers
// for methods and paths the attendee functions do not have.
func TestAttendeeRouting(t *testing.T) {
	u := signIn(t, shared, "")
	for _, tc := range []struct {
		method, path string
		allow        []string
	}{
		{http.MethodPost, "/api/me", []string{"GET", "PATCH", "DELETE"}},
		{http.MethodPut, "/api/me", []string{"GET", "PATCH", "DELETE"}},
		{http.MethodGet, "/api/swipe", []string{"POST"}},
		{http.MethodPost, "/api/me/saves", []string{"GET"}},
		{http.MethodGet, "/api/me/calendar/rotate", []string{"POST"}},
	} {
		r := shared.asRaw(t, u, tc.method, tc.path, nil)
		checkProblem(t, r, http.StatusMethodNotAllowed, "method_not_allowed", tc.method+" "+tc.path)
		for _, m := range tc.allow {
			if !hasHeaderValue(r.Header, "Allow", m) {
				t.Errorf("%s %s: Allow %q lacks %s", tc.method, tc.path, r.Header.Get("Allow"), m)
			}
		}
		if hasHeaderValue(r.Header, "Allow", tc.method) {
			t.Errorf("%s %s: Allow %q lists the refused method", tc.method, tc.path, r.Header.Get("Allow"))
		}
	}
	for _, path := range []string{"/api/me/nowhere", "/api/me/saves/a/b", "/api/swipe/123"} {
		if !shared.reaches(path) {
			continue // behind Hosting no rewrite covers it: Hosting answers itself
		}
		checkProblem(t, shared.asRaw(t, u, http.MethodGet, path, nil), http.StatusNotFound, "not_found", "GET "+path)
	}
}
