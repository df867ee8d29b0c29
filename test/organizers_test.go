package blackbox_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type writtenJSON struct {
	partyJSON
	Version int64  `json:"version"`
	Owner   string `json:"owner"`
	Note    string `json:"note"`
}

// submitBody is a valid submission for the demo conference on day. The
// tests submit many parties at one venue and hour, so they force past
// the duplicate check, which TestOrganizerDuplicates tries.
func submitBody(conf, day, title string) string {
	return fmt.Sprintf(`{"conferenceId":%q,"title":%q,"venue":"Bürgerhaus Stollwerck","date":%q,"time":"21:00","endTime":"02:00","hosts":["Indie Arena"],"lat":50.925,"lng":6.962,"force":true}`, conf, title, day)
}

// An organizer submits a party that waits for moderation, edits it
// against the version it saw, and an admin publishes it into the feed.
func TestOrganizerSubmitEditPublish(t *testing.T) {
	s := shared
	day := partiesOf(t, s).published[0]
	org := signIn(t, s, `{"uid":"org-flow","roles":["organizer"]}`)
	admin := signIn(t, s, `{"uid":"admin-flow","roles":["admin"]}`)

	title := "Nacht der Indies 🎮 東京 <script>x</script> \"quoted\""
	r := s.as(t, org, http.MethodPost, "/api/parties", submitBody(day.ConferenceID, day.Date, title))
	wantStatus(t, r, http.StatusCreated, "POST /api/parties")
	p := decode[envelope[writtenJSON]](t, r).Data
	if p.Status != "pending" || p.Version != 1 || p.Owner != "org-flow" || p.Title != title {
		t.Fatalf("submitted: %+v", p)
	}
	if p.End == nil || !strings.Contains(*p.End, "T02:00") || p.Date != day.Date {
		t.Errorf("an end at 02:00 belongs to the same night: end %v, date %s", p.End, p.Date)
	}
	if tag := r.Header.Get("ETag"); tag != `"v1"` {
		t.Errorf("ETag %q, want \"v1\"", tag)
	}
	if got := s.get(t, "/api/parties/"+p.ID); got.Status != http.StatusNotFound {
		t.Errorf("a pending party is served: %d", got.Status)
	}

	r = s.as(t, admin, http.MethodGet, "/api/admin/moderation?conference="+day.ConferenceID, "")
	wantStatus(t, r, http.StatusOK, "the moderation queue")
	queued := false
	for _, q := range decode[envelope[[]writtenJSON]](t, r).Data {
		queued = queued || q.ID == p.ID && q.Status == "pending"
	}
	if !queued {
		t.Errorf("the pending party %s is not in the moderation queue", p.ID)
	}
	r = s.as(t, org, http.MethodGet, "/api/admin/moderation?conference="+day.ConferenceID, "")
	wantStatus(t, r, http.StatusForbidden, "the moderation queue for an organizer")

	// Edits name the version they were made against.
	r = s.asRaw(t, org, http.MethodPatch, "/api/parties/"+p.ID, []byte(`{"title":"Nacht der Indies"}`), "Content-Type", "application/json")
	wantStatus(t, r, http.StatusPreconditionRequired, "PATCH without If-Match")
	r = s.as(t, org, http.MethodPatch, "/api/parties/"+p.ID, `{"title":"Nacht der Indies"}`, "If-Match", `"v1"`)
	wantStatus(t, r, http.StatusOK, "PATCH with the create's ETag")
	r = s.as(t, org, http.MethodPatch, "/api/parties/"+p.ID, `{"title":"Stale edit"}`, "If-Match", `"v1"`)
	wantStatus(t, r, http.StatusPreconditionFailed, "PATCH against an old version")

	r = s.as(t, admin, http.MethodPost, "/api/parties/"+p.ID+"/publish", "")
	wantStatus(t, r, http.StatusOK, "publish")
	if got := decode[envelope[writtenJSON]](t, r).Data; got.Status != "published" || got.Version != 3 {
		t.Errorf("published: status %s version %d", got.Status, got.Version)
	}
	// The feed shows it at once to this instance; its ETag (either
	// encoding) works as If-Match.
	detail := s.get(t, "/api/parties/"+p.ID)
	wantStatus(t, detail, http.StatusOK, "GET the published party")
	gz := s.get(t, "/api/parties/"+p.ID, "Accept-Encoding", "gzip")
	r = s.as(t, org, http.MethodPatch, "/api/parties/"+p.ID, `{"price":"Free"}`, "If-Match", gz.Header.Get("ETag"))
	wantStatus(t, r, http.StatusOK, "PATCH with the gzip detail's ETag")
	r = s.as(t, org, http.MethodPatch, "/api/parties/"+p.ID, `{"price":"€5"}`, "If-Match", detail.Header.Get("ETag"))
	wantStatus(t, r, http.StatusPreconditionFailed, "PATCH with the detail's ETag from before the last edit")

	r = s.as(t, org, http.MethodGet, "/api/me/parties", "")
	wantStatus(t, r, http.StatusOK, "GET /api/me/parties")
	mine := decode[envelope[[]writtenJSON]](t, r).Data
	if len(mine) != 1 || mine[0].ID != p.ID || mine[0].Status != "published" || mine[0].Version != 4 {
		t.Errorf("the organizer's own parties: %+v, want this one, published at version 4", mine)
	}

	r = s.as(t, org, http.MethodPost, "/api/parties/"+p.ID+"/cancel", `{"reason":"venue flooded"}`)
	wantStatus(t, r, http.StatusOK, "cancel")
	if got := decode[envelope[writtenJSON]](t, r).Data; got.Status != "cancelled" || got.Note != "venue flooded" {
		t.Errorf("cancelled: %s %q", got.Status, got.Note)
	}
}

// roleRoute is one organizer or admin operation as the authorization
// matrix tries it: {id} is a party the "owner" organizer just submitted,
// {uniq} a string unique to the attempt; status is the answer of an
// allowed caller.
type roleRoute struct {
	name, method, path, body string
	allowed                  map[string]bool
	status                   int
}

var (
	organizerRoles = map[string]bool{"owner": true, "other": true, "trusted": true, "admin": true}
	signedInRoles  = map[string]bool{"attendee": true, "owner": true, "other": true, "trusted": true, "admin": true}
	ownerOrAdmin   = map[string]bool{"owner": true, "admin": true}
	adminOnly      = map[string]bool{"admin": true}
)

// roleRoutes lists every organizer and admin operation;
// TestRoleMatrixCoversContract keeps it complete.
func roleRoutes(conf, day string) []roleRoute {
	return []roleRoute{
		{"submit", http.MethodPost, "/api/parties", submitBody(conf, day, "Matrix party {uniq}"), organizerRoles, http.StatusCreated},
		{"legacy submit", http.MethodPost, "/api/ugc/events/create",
			`{"name":"Matrix form party {uniq}","creator":"Matrix","date":"` + day + `","startTime":"21:00","venue":"Bürgerhaus Stollwerck","forceCreate":true}`,
			organizerRoles, http.StatusCreated},
		{"edit", http.MethodPatch, "/api/parties/{id}", `{"title":"Matrix edit","force":true}`, ownerOrAdmin, http.StatusOK},
		{"cancel", http.MethodPost, "/api/parties/{id}/cancel", `{"reason":"matrix"}`, ownerOrAdmin, http.StatusOK},
		{"publish", http.MethodPost, "/api/parties/{id}/publish", "", adminOnly, http.StatusOK},
		{"reject", http.MethodPost, "/api/parties/{id}/reject", `{"reason":"matrix"}`, adminOnly, http.StatusOK},
		{"remove", http.MethodDelete, "/api/parties/{id}", "", adminOnly, http.StatusOK},
		{"own parties", http.MethodGet, "/api/me/parties", "", signedInRoles, http.StatusOK},
		{"moderation", http.MethodGet, "/api/admin/moderation?conference=" + conf, "", adminOnly, http.StatusOK},
		{"create conference", http.MethodPost, "/api/admin/conferences",
			`{"id":"matrix-{uniq}","name":"Matrix","city":"Köln","timeZone":"Europe/Berlin","firstDay":"2026-08-19","lastDay":"2026-08-23"}`,
			adminOnly, http.StatusCreated},
		{"update conference", http.MethodPatch, "/api/admin/conferences/" + conf, `{"city":"Köln"}`, adminOnly, http.StatusOK},
		{"import", http.MethodPost, "/api/admin/imports?dryRun=true&conference=" + conf,
			"Event Name,Date,Start Time\nMatrix import,", adminOnly, http.StatusOK},
		{"audit", http.MethodGet, "/api/admin/audit?limit=1", "", adminOnly, http.StatusOK},
		{"slo", http.MethodGet, "/api/slo", "", adminOnly, http.StatusOK},
	}
}

// organizerEndpoints lists the same operations for the sign-in checks of
// TestAuthMatrixCoversContract.
func organizerEndpoints(partyID string) []endpoint {
	var out []endpoint
	for _, rt := range roleRoutes(demoConference, "2026-08-20") {
		out = append(out, endpoint{rt.method, strings.ReplaceAll(rt.path, "{id}", partyID), ""})
	}
	return out
}

// Who may do what: every organizer and admin operation for every kind of
// caller.
func TestOrganizerAuthorizationMatrix(t *testing.T) {
	s := shared
	day := partiesOf(t, s).published[0]
	owner := signIn(t, s, `{"uid":"org-owner","roles":["organizer"]}`)
	callers := map[string]*user{
		"anonymous": nil,
		"attendee":  ptr(signIn(t, s, `{"uid":"plain-attendee"}`)),
		"owner":     &owner,
		"other":     ptr(signIn(t, s, `{"uid":"org-other","roles":["organizer"]}`)),
		"trusted":   ptr(signIn(t, s, `{"uid":"org-trusted","roles":["organizer","trusted"]}`)),
		"admin":     ptr(signIn(t, s, `{"uid":"admin-matrix","roles":["admin"]}`)),
	}
	for _, rt := range roleRoutes(day.ConferenceID, day.Date) {
		for name, who := range callers {
			t.Run(rt.name+"/"+name, func(t *testing.T) {
				uniq := strings.ReplaceAll(strings.ToLower(rt.name+"-"+name), " ", "-")
				path, body := strings.ReplaceAll(rt.path, "{uniq}", uniq), strings.ReplaceAll(rt.body, "{uniq}", uniq)
				if strings.Contains(path, "{id}") {
					r := s.as(t, owner, http.MethodPost, "/api/parties", submitBody(day.ConferenceID, day.Date, "Owned "+rt.name+" "+name))
					wantStatus(t, r, http.StatusCreated, "the owner's submission")
					path = strings.ReplaceAll(path, "{id}", decode[envelope[writtenJSON]](t, r).Data.ID)
				}
				contentType := "application/json"
				if strings.Contains(path, "/imports") {
					contentType = "text/csv"
				}
				var got *result
				if who == nil {
					got = s.send(t, rt.method, path, []byte(body), "Content-Type", contentType, "If-Match", `"v1"`)
				} else {
					got = s.asRaw(t, *who, rt.method, path, []byte(body), "Content-Type", contentType, "If-Match", `"v1"`)
				}
				want := http.StatusForbidden
				switch {
				case who == nil:
					want = http.StatusUnauthorized
				case rt.allowed[name]:
					want = rt.status
				}
				if got.Status != want {
					t.Errorf("%s %s as %s: %d, want %d: %.300s", rt.method, rt.path, name, got.Status, want, got.Body)
				}
			})
		}
	}
}

// The matrix above tries every operation of the organizers and admins in
// the contract: one it does not know fails here.
func TestRoleMatrixCoversContract(t *testing.T) {
	tried := map[string]bool{}
	for _, rt := range roleRoutes(demoConference, "2026-08-20") {
		req, _ := http.NewRequest(rt.method, "http://localhost"+strings.ReplaceAll(rt.path, "{id}", "p1"), nil)
		route, _, err := api.router.FindRoute(req)
		if err != nil {
			t.Errorf("%s %s is not an operation of the contract: %v", rt.method, rt.path, err)
			continue
		}
		tried[route.Operation.OperationID] = true
	}
	for _, path := range api.doc.Paths.InMatchingOrder() {
		for method, op := range api.doc.Paths.Value(path).Operations() {
			if (slices.Contains(op.Tags, "organizers") || slices.Contains(op.Tags, "admin")) && !tried[op.OperationID] {
				t.Errorf("%s %s (%s) is an organizer or admin operation the authorization matrix does not try", method, path, op.OperationID)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

// Bad submissions are refused whole, each problem named by its field;
// unusual but valid text is stored as written.
func TestOrganizerValidation(t *testing.T) {
	s := shared
	day := partiesOf(t, s).published[0]
	org := signIn(t, s, `{"uid":"org-valid","roles":["organizer"]}`)
	long := strings.Repeat("x", 201)
	tests := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"emoji and CJK", submitBody(day.ConferenceID, day.Date, "🎉 東京ゲームナイト"), http.StatusCreated, ""},
		{"a 00:00 start", strings.Replace(submitBody(day.ConferenceID, day.Date, "Midnight start"), `"time":"21:00","endTime":"02:00"`, `"time":"00:00","endTime":"04:00"`, 1), http.StatusCreated, ""},
		{"a 201-character title", submitBody(day.ConferenceID, day.Date, long), http.StatusBadRequest, "title"},
		{"a 1 MB description", strings.Replace(submitBody(day.ConferenceID, day.Date, "Big"), `"hosts"`, `"description":"`+strings.Repeat("d", 1<<20)+`","hosts"`, 1), http.StatusRequestEntityTooLarge, ""},
		{"malformed JSON", `{"conferenceId":`, http.StatusBadRequest, "body"},
		{"an unknown field", strings.Replace(submitBody(day.ConferenceID, day.Date, "Unknown"), `"hosts"`, `"owner":"me","hosts"`, 1), http.StatusBadRequest, "owner"},
		{"a day outside the conference", submitBody(day.ConferenceID, "2001-01-01", "Too early"), http.StatusBadRequest, "date"},
		{"an unknown conference", submitBody("no-such-con", day.Date, "Nowhere"), http.StatusBadRequest, "conferenceId"},
		{"a ftp link", strings.Replace(submitBody(day.ConferenceID, day.Date, "Link"), `"hosts"`, `"link":"ftp://x.example/a","hosts"`, 1), http.StatusBadRequest, "link"},
		{"missing required fields", `{"conferenceId":"` + day.ConferenceID + `"}`, http.StatusBadRequest, "title"},
		{"an escape sequence in the title", strings.Replace(submitBody(day.ConferenceID, day.Date, "Indie ESC Night"), "ESC", `\u001b[31m`, 1), http.StatusBadRequest, "title"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.asRaw(t, org, http.MethodPost, "/api/parties", []byte(tc.body), "Content-Type", "application/json")
			if r.Status != tc.status {
				t.Fatalf("%d, want %d: %.300s", r.Status, tc.status, r.Body)
			}
			if tc.field != "" && !strings.Contains(string(r.Body), `"field":"`+tc.field+`"`) {
				t.Errorf("the problem does not name %q: %.300s", tc.field, r.Body)
			}
		})
	}
}

// Two concurrent edits against one version: exactly one wins. A
// submission retried with one Idempotency-Key is one party.
func TestOrganizerConcurrencyAndRetries(t *testing.T) {
	s := shared
	day := partiesOf(t, s).published[0]
	org := signIn(t, s, `{"uid":"org-race","roles":["organizer"]}`)
	body := submitBody(day.ConferenceID, day.Date, "Retried party")
	first := s.as(t, org, http.MethodPost, "/api/parties", body, "Idempotency-Key", "retry-1")
	wantStatus(t, first, http.StatusCreated, "first submission")
	again := s.as(t, org, http.MethodPost, "/api/parties", body, "Idempotency-Key", "retry-1")
	wantStatus(t, again, http.StatusOK, "retried submission")
	if a, b := decode[envelope[writtenJSON]](t, first).Data.ID, decode[envelope[writtenJSON]](t, again).Data.ID; a != b {
		t.Errorf("the retry made another party: %s, %s", a, b)
	}
	other := s.as(t, org, http.MethodPost, "/api/parties", submitBody(day.ConferenceID, day.Date, "Another party"), "Idempotency-Key", "retry-1")
	wantStatus(t, other, http.StatusUnprocessableEntity, "the key with another body")

	id := decode[envelope[writtenJSON]](t, first).Data.ID
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range 2 {
		wg.Go(func() {
			// A store too busy to settle the race in time answers 503,
			// which a client retries (Retry-After): the write may have
			// landed, and the retry then finds its own version moved.
			for try := 0; ; try++ {
				statuses[i] = s.as(t, org, http.MethodPatch, "/api/parties/"+id, fmt.Sprintf(`{"title":"Edit %d","force":true}`, i), "If-Match", `"v1"`).Status
				if statuses[i] != http.StatusServiceUnavailable || try == 5 {
					return
				}
				time.Sleep(time.Duration(200*(try+1)) * time.Millisecond)
			}
		})
	}
	wg.Wait()
	ok, stale := 0, 0
	for _, st := range statuses {
		switch st {
		case http.StatusOK:
			ok++
		case http.StatusPreconditionFailed:
			stale++
		}
	}
	mine := decode[envelope[[]writtenJSON]](t, s.as(t, org, http.MethodGet, "/api/me/parties", ""))
	var stored writtenJSON
	for _, p := range mine.Data {
		if p.ID == id {
			stored = p
		}
	}
	switch {
	case stored.Version != 2 || stored.Title != "Edit 0" && stored.Title != "Edit 1":
		t.Errorf("after two concurrent PATCHes with one If-Match the party is version %d titled %q, want one edit: version 2", stored.Version, stored.Title)
	case ok+stale != 2 || ok > 1:
		t.Errorf("two concurrent PATCHes with one If-Match: %v, want one 200 and one 412", statuses)
	case ok == 0:
		// Both were answered 503 at first and retried: the one that had
		// landed then found its own version. Still one edit, not two.
		t.Logf("both PATCHes were retried after a 503; %q landed", stored.Title)
	}
}

// A submission that likely repeats a party (another spelling of its title
// and venue, half an hour later) is a 409 naming it; force stores it.
func TestOrganizerDuplicates(t *testing.T) {
	s := shared
	day := partiesOf(t, s).published[0]
	org := signIn(t, s, `{"uid":"org-dup","roles":["organizer"]}`)
	body := func(title, venue, clock string, force bool) string {
		return fmt.Sprintf(`{"conferenceId":%q,"title":%q,"venue":%q,"date":%q,"time":%q,"force":%v}`, day.ConferenceID, title, venue, day.Date, clock, force)
	}
	r := s.as(t, org, http.MethodPost, "/api/parties", body("Pocket Gamer Party", "KölnMesse, Halle 7", "06:00", false))
	wantStatus(t, r, http.StatusCreated, "the first submission")
	first := decode[envelope[writtenJSON]](t, r).Data
	r = s.as(t, org, http.MethodPost, "/api/parties", body("Pocket Gamer Pary!", "Koelnmesse Hall 7", "06:30", false))
	wantStatus(t, r, http.StatusConflict, "a likely duplicate")
	type candidates struct {
		Candidates []struct {
			ID         string  `json:"id"`
			Similarity float64 `json:"similarity"`
		} `json:"candidates"`
	}
	problem := decode[candidates](t, r)
	if len(problem.Candidates) == 0 || problem.Candidates[0].ID != first.ID || problem.Candidates[0].Similarity < 0.5 {
		t.Errorf("candidates %+v, want %s first", problem.Candidates, first.ID)
	}
	r = s.as(t, org, http.MethodPost, "/api/parties", body("Pocket Gamer Pary!", "Koelnmesse Hall 7", "06:30", true))
	wantStatus(t, r, http.StatusCreated, "the same, forced")
}

// Writes are limited per user, counting every attempt, valid or not:
// past the burst a 429 says when to come back; other users go on.
func TestOrganizerWritesAreRateLimited(t *testing.T) {
	s := shared
	flood := signIn(t, s, `{"uid":"org-flood","roles":["organizer"]}`)
	calm := signIn(t, s, `{"uid":"org-calm","roles":["organizer"]}`)
	const burst = 100 // PARTYFINDER_WRITE_BURST of the shared server
	var limited *result
	for i := range burst + 20 {
		r := s.asRaw(t, flood, http.MethodPost, "/api/parties", []byte(`{"conferenceId":`), "Content-Type", "application/json")
		if r.Status == http.StatusTooManyRequests {
			limited = r
			if i < burst {
				t.Errorf("limited after %d attempts, want a burst of %d", i, burst)
			}
			break
		}
		if r.Status != http.StatusBadRequest {
			t.Fatalf("attempt %d: %d", i, r.Status)
		}
	}
	if limited == nil {
		t.Fatalf("%d writes in a row were never limited", burst+20)
	}
	if limited.Header.Get("Retry-After") == "" || !strings.Contains(string(limited.Body), `"retryAfter":`) {
		t.Errorf("429 without Retry-After or retryAfter: %v %s", limited.Header, limited.Body)
	}
	r := s.asRaw(t, calm, http.MethodPost, "/api/parties", []byte(`{"conferenceId":`), "Content-Type", "application/json")
	wantStatus(t, r, http.StatusBadRequest, "another organizer's write")
}

// An admin creates a conference over HTTP; it is served at once, an
// existing id is a conflict, and organizers may not create one.
func TestAdminCreatesConference(t *testing.T) {
	s := shared
	admin := signIn(t, s, `{"uid":"admin-conf","roles":["admin"]}`)
	org := signIn(t, s, `{"uid":"org-conf","roles":["organizer"]}`)
	body := `{"id":"devcom2026","name":"devcom 2026","city":"Köln","timeZone":"Europe/Berlin","firstDay":"2026-08-24","lastDay":"2026-08-25"}`
	wantStatus(t, s.as(t, org, http.MethodPost, "/api/admin/conferences", body), http.StatusForbidden, "an organizer creating a conference")
	wantStatus(t, s.as(t, admin, http.MethodPost, "/api/admin/conferences", body), http.StatusCreated, "an admin creating a conference")
	consistent(t, s, func() error {
		if r := s.get(t, "/api/conferences/devcom2026"); r.Status != http.StatusOK {
			return fmt.Errorf("the new conference: %d, want 200", r.Status)
		}
		return nil
	})
	wantStatus(t, s.as(t, admin, http.MethodPost, "/api/admin/conferences", body), http.StatusConflict, "the same id again")
	bad := s.asRaw(t, admin, http.MethodPost, "/api/admin/conferences",
		[]byte(`{"id":"x","name":"x","city":"x","timeZone":"Mars/Olympus","firstDay":"2026-08-25","lastDay":"2026-08-24"}`), "Content-Type", "application/json")
	wantStatus(t, bad, http.StatusBadRequest, "a bad conference")
}

// Text is stored as written and made harmless where it is output: in the
// JSON feed it is a JSON string, in the calendars an escaped iCalendar
// text that cannot start a property or an event of its own.
func TestOrganizerTextIsHarmlessInEveryFormat(t *testing.T) {
	s := shared
	day := partiesOf(t, s).published[0]
	admin := signIn(t, s, `{"uid":"admin-hostile","roles":["admin"]}`)
	title := `<script>alert("x")</script>; DTSTART:19990101T000000Z, 'quoted' & 🎉`
	description := "line one\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected\nline; two, three \\ backslash"
	body := fmt.Sprintf(`{"conferenceId":%q,"title":%q,"venue":"Hostile Hall","date":%q,"time":"07:15","description":%q,"force":true}`,
		day.ConferenceID, title, day.Date, description)
	r := s.as(t, admin, http.MethodPost, "/api/parties", body)
	wantStatus(t, r, http.StatusCreated, "an admin's hostile-looking party")
	p := decode[envelope[writtenJSON]](t, r).Data
	if p.Title != title || p.Description != description {
		t.Errorf("stored %q / %q, want the text as written", p.Title, p.Description)
	}

	detail := s.get(t, "/api/parties/"+p.ID)
	wantStatus(t, detail, http.StatusOK, "the party's details")
	if got := decode[envelope[partyJSON]](t, detail).Data; got.Title != title || got.Description != description {
		t.Errorf("the JSON answer reads back %q / %q", got.Title, got.Description)
	}
	if ct := detail.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || detail.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("JSON served as %q without nosniff: a browser could sniff it as HTML", ct)
	}

	for _, path := range []string{"/api/parties/" + p.ID + "/calendar.ics", "/api/conferences/" + day.ConferenceID + "/calendar.ics"} {
		var cal *result
		consistent(t, s, func() error { // the conference's calendar is another function's
			if cal = s.get(t, path); cal.Status != http.StatusOK || !strings.Contains(string(cal.Body), p.ID) {
				return fmt.Errorf("%s: status %d without the new party %s", path, cal.Status, p.ID)
			}
			return nil
		})
		wantStatus(t, cal, http.StatusOK, path)
		// Long lines are folded (RFC 5545 3.1): unfold them first.
		text := strings.ReplaceAll(string(cal.Body), "\r\n ", "")
		if n := strings.Count(text, "\r\nBEGIN:VEVENT"); path != "/api/parties/"+p.ID+"/calendar.ics" && n < 2 || path == "/api/parties/"+p.ID+"/calendar.ics" && n != 1 {
			t.Errorf("%s: %d events begin at a line start; the description must not open one", path, n)
		}
		for _, line := range strings.Split(text, "\r\n") {
			if strings.HasPrefix(line, "SUMMARY:injected") || strings.HasPrefix(line, "DTSTART:1999") {
				t.Errorf("%s: the text became a property of its own: %q", path, line)
			}
		}
		if !strings.Contains(text, `line one\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:injected\nline\; two\, three \\ backslash`) {
			t.Errorf("%s: the description is not escaped as iCalendar text", path)
		}
	}
}

// An admin takes a published party down: it leaves a tombstone, and an
// attendee who saved it sees it cancelled, not silently gone.
func TestAdminRemovesPartyLeavingATombstone(t *testing.T) {
	s := shared
	day := partiesOf(t, s).published[0]
	admin := signIn(t, s, `{"uid":"admin-remove","roles":["admin"]}`)
	fan := signIn(t, s, `{"uid":"fan-remove"}`)
	r := s.as(t, admin, http.MethodPost, "/api/parties", submitBody(day.ConferenceID, day.Date, "Soon gone"))
	wantStatus(t, r, http.StatusCreated, "an admin's party (published at once)")
	p := decode[envelope[writtenJSON]](t, r).Data
	s.save(t, fan, p.ID)
	r = s.as(t, admin, http.MethodDelete, "/api/parties/"+p.ID, "")
	wantStatus(t, r, http.StatusOK, "DELETE")
	if got := decode[envelope[writtenJSON]](t, r).Data; got.Status != "cancelled" || got.Note == "" {
		t.Errorf("the tombstone: %s %q, want cancelled with a note", got.Status, got.Note)
	}
	consistent(t, s, func() error { // the saves are another function's
		saves := s.as(t, fan, http.MethodGet, "/api/me/saves", "")
		wantStatus(t, saves, http.StatusOK, "the fan's saves")
		if !strings.Contains(string(saves.Body), p.ID) || !strings.Contains(string(saves.Body), `"cancelled"`) {
			return fmt.Errorf("the removed party is not in the saves as cancelled: %.400s", saves.Body)
		}
		return nil
	})
}

// legacyEventJSON is a party in the older client's shape.
type legacyEventJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Creator   string `json:"creator"`
	Date      string `json:"date"`
	StartTime string `json:"startTime"`
	Venue     string `json:"venue"`
	Status    string `json:"status"`
}

// The older client's form still submits: into the default conference,
// through moderation and the duplicate check; its list shows the
// community's public submissions.
func TestLegacyFormSubmits(t *testing.T) {
	s := start(t, t.TempDir()+"/legacy.db")
	day := partiesOf(t, s).published[0]
	org := signIn(t, s, `{"uid":"legacy-org","roles":["organizer"]}`)
	admin := signIn(t, s, `{"uid":"legacy-admin","roles":["admin"]}`)
	form := func(name, venue, clock string, force bool) string {
		return fmt.Sprintf(`{"name":%q,"creator":"Indie Arena","date":%q,"startTime":%q,"venue":%q,"category":"Mixer","description":"Bring your demo","forceCreate":%t}`,
			name, day.Date, clock, venue, force)
	}

	r := s.as(t, org, http.MethodPost, "/api/ugc/events/create", form("Köln Indie Meetup", "Gloria Theater", "19:00", false))
	wantStatus(t, r, http.StatusCreated, "the old form")
	ev := decode[envelope[legacyEventJSON]](t, r).Data
	if ev.Status != "pending" || ev.Name != "Köln Indie Meetup" || ev.Creator != "Indie Arena" || ev.Date != day.Date || ev.StartTime != "19:00" {
		t.Fatalf("submitted: %+v", ev)
	}
	list := func() []legacyEventJSON {
		t.Helper()
		r := s.get(t, "/api/ugc/events")
		wantStatus(t, r, http.StatusOK, "GET /api/ugc/events")
		return decode[envelope[[]legacyEventJSON]](t, r).Data
	}
	if got := list(); len(got) != 0 {
		t.Errorf("a pending submission is listed: %+v", got)
	}

	// The same party again, spelt differently: a likely duplicate.
	r = s.as(t, org, http.MethodPost, "/api/ugc/events/create", form("Koeln indie meet-up", "Gloria-Theater", "19:30", false))
	wantStatus(t, r, http.StatusConflict, "a likely duplicate")
	if !strings.Contains(string(r.Body), ev.ID) {
		t.Errorf("the 409 does not name the candidate %s: %s", ev.ID, r.Body)
	}
	r = s.as(t, org, http.MethodPost, "/api/ugc/events/create", form("Koeln indie meet-up", "Gloria-Theater", "19:30", true))
	wantStatus(t, r, http.StatusCreated, "forceCreate")

	r = s.as(t, admin, http.MethodPost, "/api/parties/"+ev.ID+"/publish", "")
	wantStatus(t, r, http.StatusOK, "publish")
	got := list()
	if len(got) != 1 || got[0].ID != ev.ID || got[0].Status != "published" || got[0].Venue != "Gloria Theater" {
		t.Errorf("after publishing: %+v, want only %s", got, ev.ID)
	}

	for _, tc := range []struct {
		name, body, field string
	}{
		{"a day outside the conference", strings.Replace(form("Too early", "Gloria", "19:00", true), day.Date, "2001-01-01", 1), "date"},
		{"no name", `{"creator":"x","date":"` + day.Date + `","startTime":"19:00","venue":"Gloria"}`, "name"},
		{"a bad time", strings.Replace(form("Bad time", "Gloria", "19:00", true), `"19:00"`, `"7pm"`, 1), "startTime"},
		{"an unknown field", strings.Replace(form("Unknown", "Gloria", "19:00", true), `"forceCreate"`, `"conferenceId":"x","forceCreate"`, 1), "conferenceId"},
	} {
		r := s.asRaw(t, org, http.MethodPost, "/api/ugc/events/create", []byte(tc.body), "Content-Type", "application/json")
		wantStatus(t, r, http.StatusBadRequest, tc.name)
		if !strings.Contains(string(r.Body), `"field":"`+tc.field+`"`) {
			t.Errorf("%s: the 400 does not name %s: %s", tc.name, tc.field, r.Body)
		}
	}
}

// A body with four problems, each of which a different check finds, is
// answered with one 400 naming all four, through the API and through the
// older form, so a form can show them together.
func TestEveryProblemInOneAnswer(t *testing.T) {
	s := shared
	day := partiesOf(t, s).published[0]
	org := signIn(t, s, `{"uid":"org-every-problem","roles":["organizer"]}`)
	type problem struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	for _, tc := range []struct {
		path, body string
		want       []string
	}{
		{"/api/parties", `{"conferenceId":"` + day.ConferenceID + `","title":"x","venue":"V","date":"1999-01-01","time":"25:00","link":"javascript:alert(1)"}`,
			[]string{"date", "link", "time", "title"}},
		{"/api/ugc/events/create", `{"name":"x","creator":"Indie\u0007Arena","date":"1999-01-01","startTime":"25:00","venue":"V"}`,
			[]string{"creator", "date", "name", "startTime"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			// Raw: the body breaks the contract on purpose.
			r := s.asRaw(t, org, http.MethodPost, tc.path, []byte(tc.body), "Content-Type", "application/json")
			if r.Status != http.StatusBadRequest {
				t.Fatalf("%d, want 400: %.300s", r.Status, r.Body)
			}
			var got []string
			for _, e := range decode[problem](t, r).Errors {
				got = append(got, e.Field)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("the 400 names %v, want %v: %s", got, tc.want, r.Body)
			}
		})
	}
}
