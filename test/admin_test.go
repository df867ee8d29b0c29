package blackbox_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The admin wire shapes the tests read (the contract checks every field).
type (
	adminConference struct {
		conferenceJSON
		City       string   `json:"city"`
		Categories []string `json:"categories"`
		SyncURL    string   `json:"syncUrl"`
	}
	auditEntry struct {
		ID           string            `json:"id"`
		At           string            `json:"at"`
		Actor        string            `json:"actor"`
		Action       string            `json:"action"`
		ConferenceID string            `json:"conferenceId"`
		PartyID      string            `json:"partyId"`
		Before       map[string]string `json:"before"`
		After        map[string]string `json:"after"`
		Forced       bool              `json:"forced"`
		Note         string            `json:"note"`
	}
	auditPage struct {
		Data []auditEntry `json:"data"`
		Meta struct {
			Count      int    `json:"count"`
			NextCursor string `json:"nextCursor"`
		} `json:"meta"`
	}
	importRow struct {
		Row      int      `json:"row"`
		Line     int      `json:"line"`
		Status   string   `json:"status"`
		Action   string   `json:"action"`
		ID       string   `json:"id"`
		Title    string   `json:"title"`
		Warnings []string `json:"warnings"`
		Errors   []string `json:"errors"`
	}
	// adminImportReport is the import report, as the command's --json
	// prints it and POST /api/admin/imports answers it.
	adminImportReport struct {
		Conference   string      `json:"conference"`
		Total        int         `json:"total"`
		Accepted     int         `json:"accepted"`
		WithWarnings int         `json:"withWarnings"`
		Rejected     int         `json:"rejected"`
		Created      int         `json:"created"`
		Updated      int         `json:"updated"`
		Unchanged    int         `json:"unchanged"`
		Cancelled    int         `json:"cancelled"`
		DryRun       bool        `json:"dryRun"`
		Rows         []importRow `json:"rows"`
		Pruned       []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
			Date  string `json:"date"`
		} `json:"pruned"`
	}
)

// counts is the report's summary, for comparing two reports.
func (r adminImportReport) counts() string {
	return fmt.Sprintf("total %d, accepted %d (%d with warnings), rejected %d; created %d, updated %d, unchanged %d, cancelled %d",
		r.Total, r.Accepted, r.WithWarnings, r.Rejected, r.Created, r.Updated, r.Unchanged, r.Cancelled)
}

// adminServer starts a server of the test's own: new conferences and
// imports would change what the shared server's tests see (the default
// conference is the one that starts last). The scheduled sheet re-sync is
// off, so no sync URL a test stores is ever fetched; the write burst is
// the shared server's, as these tests write more than the default 20.
func adminServer(t *testing.T) *server {
	t.Helper()
	return start(t, filepath.Join(t.TempDir(), "admin.db"), "PARTYFINDER_SYNC_INTERVAL=0", "PARTYFINDER_WRITE_BURST=100")
}

// A sync URL for tests: an https link that is never fetched (the re-sync
// is off) and, were it fetched, would be refused before any traffic
// (192.0.2.0/24 is a documentation range, and a literal needs no DNS).
const testSyncURL = "https://192.0.2.10/spreadsheets/pub?output=csv"

// createConference creates a conference as admin and returns the answer.
func (s *server) createConference(t *testing.T, admin user, body string) adminConference {
	t.Helper()
	r := s.as(t, admin, http.MethodPost, "/api/admin/conferences", body)
	wantStatus(t, r, http.StatusCreated, "POST /api/admin/conferences "+body)
	return decode[envelope[adminConference]](t, r).Data
}

// publicConference is GET /api/conferences/{id} as anyone reads it, and its
// raw body.
func (s *server) publicConference(t *testing.T, id string) (adminConference, string) {
	t.Helper()
	r := s.get(t, "/api/conferences/"+id)
	wantStatus(t, r, http.StatusOK, "GET /api/conferences/"+id)
	return decode[envelope[adminConference]](t, r).Data, string(r.Body)
}

// importFile posts a file to the import endpoint as admin.
func (s *server) importFile(t *testing.T, admin user, query, contentType, body string) *result {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + admin.Token}, "Content-Type": {contentType}}
	return s.doVia(t, importClient, http.MethodPost, "/api/admin/imports?"+query, h, []byte(body), true)
}

// importClient waits for an import as long as the endpoint may take (its
// deadline is 4 minutes): a big one on a busy machine takes longer than
// the 30 s other requests are given.
var importClient = &http.Client{Transport: client.Transport, Timeout: 5 * time.Minute, CheckRedirect: client.CheckRedirect}

// imported posts a file that must import, and returns its report.
func (s *server) imported(t *testing.T, admin user, query, contentType, body string) adminImportReport {
	t.Helper()
	r := s.importFile(t, admin, query, contentType, body)
	wantStatus(t, r, http.StatusOK, "POST /api/admin/imports?"+query)
	return decode[envelope[adminImportReport]](t, r).Data
}

// trail reads one page of the audit trail as admin.
func (s *server) trail(t *testing.T, admin user, query string) auditPage {
	t.Helper()
	r := s.as(t, admin, http.MethodGet, "/api/admin/audit?"+query, "")
	wantStatus(t, r, http.StatusOK, "GET /api/admin/audit?"+query)
	p := decode[auditPage](t, r)
	if p.Meta.Count != len(p.Data) {
		t.Errorf("audit?%s: meta.count %d for %d entries", query, p.Meta.Count, len(p.Data))
	}
	return p
}

// everyParty is every visible party of a conference, cancelled ones
// included, by id.
func (s *server) everyParty(t *testing.T, conf string) map[string]partyJSON {
	t.Helper()
	out := map[string]partyJSON{}
	for _, p := range s.feed(t, "conference="+conf+"&include=cancelled&limit=500").parties(t) {
		out[p.ID] = p
	}
	return out
}

// Who may use the admin endpoints: only admins. Everyone else is refused
// before anything is read or written, so a refused request leaves no
// trace: no conference created or changed, no party imported, no entry
// in the audit trail.
func TestAdminEndpointsNeedAnAdmin(t *testing.T) {
	s := adminServer(t)
	admin := signIn(t, s, `{"uid":"admin-gate","roles":["admin"]}`)
	s.createConference(t, admin, `{"id":"gatecon","name":"Gate Con","city":"Köln","timeZone":"Europe/Berlin","firstDay":"2026-09-01","lastDay":"2026-09-03"}`)
	callers := []struct {
		name string
		who  *user
	}{
		{"anonymous", nil},
		{"attendee", ptr(signIn(t, s, `{"uid":"gate-attendee"}`))},
		{"organizer", ptr(signIn(t, s, `{"uid":"gate-organizer","roles":["organizer"]}`))},
		{"trusted organizer", ptr(signIn(t, s, `{"uid":"gate-trusted","roles":["organizer","trusted"]}`))},
	}
	csv := "Date,Start Time,End Time,Event Name,Address\n2026-09-01,20:00,23:00,Gate Party,Ring 1 Köln\n"
	routes := []struct {
		name, method, path, contentType, body string
		ok                                    int
	}{
		{"createConference", http.MethodPost, "/api/admin/conferences", "application/json",
			`{"id":"gatecon2","name":"Gate Con 2","city":"Köln","timeZone":"Europe/Berlin","firstDay":"2026-10-01","lastDay":"2026-10-03"}`, http.StatusCreated},
		{"updateConference", http.MethodPatch, "/api/admin/conferences/gatecon", "application/json", `{"name":"Gate Con renamed"}`, http.StatusOK},
		{"importParties", http.MethodPost, "/api/admin/imports?conference=gatecon", "text/csv", csv, http.StatusOK},
		{"auditTrail", http.MethodGet, "/api/admin/audit", "", "", http.StatusOK},
		{"moderationQueue", http.MethodGet, "/api/admin/moderation?conference=gatecon", "", "", http.StatusOK},
	}
	for _, rt := range routes {
		for _, c := range callers {
			t.Run(rt.name+"/"+c.name, func(t *testing.T) {
				var headers []string
				if rt.contentType != "" {
					headers = append(headers, "Content-Type", rt.contentType)
				}
				if c.who == nil {
					r := s.send(t, rt.method, rt.path, []byte(rt.body), headers...)
					checkUnauthorized(t, r, rt.method+" "+rt.path+" without a token", false)
					return
				}
				r := s.as(t, *c.who, rt.method, rt.path, rt.body, headers...)
				checkProblem(t, r, http.StatusForbidden, "forbidden", rt.method+" "+rt.path+" as "+c.name)
			})
		}
	}

	// Nothing the refused callers sent was done.
	wantStatus(t, s.get(t, "/api/conferences/gatecon2"), http.StatusNotFound, "the conference a non-admin tried to create")
	if c, _ := s.publicConference(t, "gatecon"); c.Name != "Gate Con" {
		t.Errorf("a non-admin's PATCH renamed the conference to %q", c.Name)
	}
	if n := len(s.everyParty(t, "gatecon")); n != 0 {
		t.Errorf("a non-admin's import wrote %d parties", n)
	}
	for _, c := range callers[1:] {
		if got := s.trail(t, admin, "user="+c.who.UID).Data; len(got) != 0 {
			t.Errorf("the trail has %d entries by %s, who was refused everything: %+v", len(got), c.name, got)
		}
	}

	// The same requests from an admin succeed.
	for _, rt := range routes {
		var headers []string
		if rt.contentType != "" {
			headers = []string{"Content-Type", rt.contentType}
		}
		r := s.as(t, admin, rt.method, rt.path, rt.body, headers...)
		if r.Status != rt.ok {
			t.Errorf("%s %s as an admin: %d, want %d: %.300s", rt.method, rt.path, r.Status, rt.ok, r.Body)
		}
	}
}

// An admin changes a conference's details with PATCH: only the fields
// sent change, [] and "" clear the categories and the sync URL, and a
// change that would leave the conference invalid is refused whole. The
// public answers follow at once, never showing the sync URL, and a client
// revalidating its copy gets the new one.
func TestAdminUpdatesConference(t *testing.T) {
	s := adminServer(t)
	admin := signIn(t, s, `{"uid":"admin-patch","roles":["admin"]}`)
	created := s.createConference(t, admin, fmt.Sprintf(
		`{"id":"patchcon","name":"Patch Con","city":"Köln","timeZone":"Europe/Berlin","firstDay":"2026-09-01","lastDay":"2026-09-03","categories":["Mixer"," Exec Social "],"syncUrl":%q}`, testSyncURL))
	if !slices.Equal(created.Categories, []string{"Mixer", "Exec Social"}) || created.SyncURL != testSyncURL || created.Timezone != "Europe/Berlin" {
		t.Errorf("created: categories %q, syncUrl %q, timezone %q; want the categories trimmed and the sync URL as sent", created.Categories, created.SyncURL, created.Timezone)
	}
	if c, raw := s.publicConference(t, "patchcon"); !slices.Equal(c.Categories, created.Categories) || strings.Contains(raw, "syncUrl") {
		t.Errorf("the public answer: categories %q, body %s; want the categories and no syncUrl", c.Categories, raw)
	}
	wantStatus(t, s.as(t, admin, http.MethodPost, "/api/admin/conferences",
		`{"id":"patchcon","name":"Again","city":"Bonn","timeZone":"Europe/Berlin","firstDay":"2026-09-01","lastDay":"2026-09-03"}`), http.StatusConflict, "creating an existing id")

	// want is the conference as every step leaves it.
	want := created
	tests := []struct {
		name   string
		body   string
		fields []string // the fields a 400 names; none: a 200
		change func(c *adminConference)
	}{
		{"rename", `{"name":"Patch Con 2026"}`, nil, func(c *adminConference) { c.Name = "Patch Con 2026" }},
		{"more categories", `{"categories":["Mixer","Exec Social","Brunch"]}`, nil, func(c *adminConference) { c.Categories = []string{"Mixer", "Exec Social", "Brunch"} }},
		{"move the days", `{"firstDay":"2026-09-02","lastDay":"2026-09-05","city":"Cologne"}`, nil, func(c *adminConference) {
			c.FirstDay, c.LastDay, c.City = "2026-09-02", "2026-09-05", "Cologne"
		}},
		{"last day before the first", `{"lastDay":"2026-09-01"}`, []string{"lastDay"}, nil},
		{"both days, reversed", `{"firstDay":"2026-09-09","lastDay":"2026-09-08"}`, []string{"lastDay"}, nil},
		{"a category twice, in another case", `{"categories":["Mixer","mixer"]}`, []string{"categories[1]"}, nil},
		{"a sync URL over http", `{"syncUrl":"http://192.0.2.10/x.csv"}`, []string{"syncUrl"}, nil},
		{"a sync URL that is no URL", `{"syncUrl":"sheet"}`, []string{"syncUrl"}, nil},
		{"an unknown time zone", `{"timeZone":"Mars/Olympus"}`, []string{"timeZone"}, nil},
		{"a day that is no date", `{"firstDay":"1 September"}`, []string{"firstDay"}, nil},
		{"an id", `{"id":"othercon"}`, []string{"id"}, nil},
		{"another time zone", `{"timeZone":"America/Los_Angeles"}`, nil, func(c *adminConference) { c.Timezone = "America/Los_Angeles" }},
		{"clear the categories", `{"categories":[]}`, nil, func(c *adminConference) { c.Categories = nil }},
		{"clear the sync URL", `{"syncUrl":""}`, nil, func(c *adminConference) { c.SyncURL = "" }},
		{"an empty patch", `{}`, nil, func(*adminConference) {}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := s.get(t, "/api/conferences/patchcon")
			wantStatus(t, before, http.StatusOK, "the conference before")
			r := s.asRaw(t, admin, http.MethodPatch, "/api/admin/conferences/patchcon", []byte(tc.body), "Content-Type", "application/json")
			if tc.fields != nil {
				checkFields(t, r, "PATCH "+tc.body, tc.fields...)
			} else {
				wantStatus(t, r, http.StatusOK, "PATCH "+tc.body)
				tc.change(&want)
				got := decode[envelope[adminConference]](t, r).Data
				if !sameConference(got, want) || got.SyncURL != want.SyncURL {
					t.Errorf("PATCH %s answered %+v, want %+v", tc.body, got, want)
				}
			}
			// The public answer is the stored conference, at once (behind
			// Hosting, once the other functions' checks see it), and a
			// client revalidating the copy it had gets the new one when
			// something changed.
			var raw string
			consistent(t, s, func() error {
				var pub adminConference
				pub, raw = s.publicConference(t, "patchcon")
				if !sameConference(pub, want) || strings.Contains(raw, "syncUrl") {
					return fmt.Errorf("GET /api/conferences/patchcon: %s; want %+v without the sync URL", raw, want)
				}
				if tz := s.feed(t, "conference=patchcon").Meta.Timezone; tz != want.Timezone {
					return fmt.Errorf("the feed's time zone is %s, the conference's %s", tz, want.Timezone)
				}
				return nil
			})
			revalidated := http.StatusNotModified
			if !bytes.Equal(before.Body, []byte(raw)) {
				revalidated = http.StatusOK
			}
			if again := s.get(t, "/api/conferences/patchcon", "If-None-Match", before.Header.Get("ETag")); again.Status != revalidated {
				t.Errorf("revalidating the copy from before the PATCH: %d, want %d", again.Status, revalidated)
			}
			consistent(t, s, func() error {
				var listed []adminConference
				for _, c := range decode[envelope[[]adminConference]](t, s.get(t, "/api/conferences")).Data {
					if c.ID == "patchcon" {
						listed = append(listed, c)
					}
				}
				if len(listed) != 1 || !sameConference(listed[0], want) {
					return fmt.Errorf("GET /api/conferences lists %+v, want %+v", listed, want)
				}
				return nil
			})
		})
	}

	r := s.as(t, admin, http.MethodPatch, "/api/admin/conferences/no-such-con", `{"name":"Nowhere"}`)
	checkProblem(t, r, http.StatusNotFound, "not_found", "PATCH of an unknown conference")
	wantStatus(t, s.get(t, "/api/conferences/no-such-con"), http.StatusNotFound, "the unknown conference after a PATCH")

	// One audit entry per change that was made: none for a refused one or
	// one that changed nothing.
	changes := 0
	for _, tc := range tests {
		if tc.fields == nil && tc.body != "{}" {
			changes++
		}
	}
	var updates []auditEntry
	for _, e := range s.trail(t, admin, "user=admin-patch&limit=200").Data {
		if e.Action == "conference.update" && e.ConferenceID == "patchcon" {
			updates = append(updates, e)
		}
	}
	if len(updates) != changes {
		t.Errorf("%d conference.update entries for %d changes", len(updates), changes)
	}
	if len(updates) > 0 && (updates[0].Before["syncUrl"] != testSyncURL || updates[0].After["syncUrl"] != "" || updates[0].Note != "syncUrl") {
		t.Errorf("clearing the sync URL is recorded as %+v", updates[0])
	}
}

// A new conference is checked whole: every problem of a request is named
// at once, by the field the admin sent.
func TestAdminCreateConferenceValidation(t *testing.T) {
	s := adminServer(t)
	admin := signIn(t, s, `{"uid":"admin-create","roles":["admin"]}`)
	body := func(replace ...string) string {
		b := `{"id":"newcon","name":"New Con","city":"Köln","timeZone":"Europe/Berlin","firstDay":"2026-09-01","lastDay":"2026-09-03"}`
		return strings.NewReplacer(replace...).Replace(b)
	}
	tests := []struct {
		name, body string
		fields     []string
	}{
		{"an id in capitals", body(`"newcon"`, `"NewCon"`), []string{"id"}},
		{"no name", body(`"name":"New Con",`, ""), []string{"name"}},
		{"a blank city", body(`"Köln"`, `"  "`), []string{"city"}},
		{"a day that is no date", body(`"2026-09-01"`, `"1 September"`), []string{"firstDay"}},
		{"the days reversed and an empty category", body(`"lastDay":"2026-09-03"`, `"lastDay":"2026-08-30","categories":["Mixer",""]`), []string{"lastDay", "categories[1]"}},
		{"an unknown zone and a sync URL over http", body(`"Europe/Berlin"`, `"Europe/Cologne","syncUrl":"http://192.0.2.10/x.csv"`), []string{"timeZone", "syncUrl"}},
		{"an unknown field", body(`"city"`, `"owner":"me","city"`), []string{"owner"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.asRaw(t, admin, http.MethodPost, "/api/admin/conferences", []byte(tc.body), "Content-Type", "application/json")
			checkFields(t, r, tc.name, tc.fields...)
		})
	}
	if got := decode[envelope[[]adminConference]](t, s.get(t, "/api/conferences")).Data; slices.ContainsFunc(got, func(c adminConference) bool { return c.ID != demoConference }) {
		t.Errorf("refused conferences were stored: %+v", got)
	}
	c := s.createConference(t, admin, body(`"lastDay":"2026-09-03"`, `"lastDay":"2026-09-03","categories":[],"syncUrl":""`))
	if c.Categories != nil || c.SyncURL != "" {
		t.Errorf("an empty list and URL are none: %+v", c)
	}
}

// sameConference compares what the public answers show of a conference.
func sameConference(a, b adminConference) bool {
	return a.ID == b.ID && a.Name == b.Name && a.City == b.City && a.Timezone == b.Timezone &&
		a.FirstDay == b.FirstDay && a.LastDay == b.LastDay && slices.Equal(a.Categories, b.Categories)
}

// A conference that lists categories takes parties of those categories
// only, however an organizer spells them; one without a list takes any.
// A change of the list applies to the next submission at once.
func TestAdminCategoriesBindSubmissions(t *testing.T) {
	s := adminServer(t)
	admin := signIn(t, s, `{"uid":"admin-cat","roles":["admin"]}`)
	org := signIn(t, s, `{"uid":"org-cat","roles":["organizer"]}`)
	s.createConference(t, admin, `{"id":"catcon","name":"Cat Con","city":"Köln","timeZone":"Europe/Berlin","firstDay":"2026-09-01","lastDay":"2026-09-03","categories":["Mixer","Exec Social"]}`)
	s.createConference(t, admin, `{"id":"anycon","name":"Any Con","city":"Bonn","timeZone":"Europe/Berlin","firstDay":"2026-09-01","lastDay":"2026-09-03"}`)
	withCategory := func(conf, title, category string) string {
		return strings.Replace(submitBody(conf, "2026-09-01", title), `"hosts"`, fmt.Sprintf(`"category":%q,"hosts"`, category), 1)
	}
	tests := []struct {
		name, conf, category string
		ok                   bool
	}{
		{"a listed category", "catcon", "Mixer", true},
		{"in lower case", "catcon", "exec social", true},
		{"with odd spacing and case", "catcon", "  EXEC   social ", true},
		{"with a dash for the space", "catcon", "Exec-Social", true},
		{"not listed", "catcon", "Brunch", false},
		{"a listed one's prefix", "catcon", "Exec", false},
		{"any category where none are listed", "anycon", "Brunch", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.as(t, org, http.MethodPost, "/api/parties", withCategory(tc.conf, "Category "+tc.name, tc.category))
			if tc.ok {
				wantStatus(t, r, http.StatusCreated, "a submission in category "+tc.category)
				return
			}
			checkFields(t, r, "a submission in category "+tc.category, "category")
		})
	}

	// An edit to an unlisted category is refused like a submission.
	r := s.as(t, org, http.MethodPost, "/api/parties", withCategory("catcon", "Edited later", "Mixer"))
	wantStatus(t, r, http.StatusCreated, "a submission to edit")
	p := decode[envelope[writtenJSON]](t, r).Data
	checkFields(t, s.as(t, org, http.MethodPatch, "/api/parties/"+p.ID, `{"category":"Brunch"}`, "If-Match", `"v1"`), "an edit to an unlisted category", "category")

	// The list changes: the next submissions follow it at once (behind
	// Hosting, once the parties function's check sees the change; a
	// refused submission writes nothing, so trying again is safe).
	submitted := func(title, category string, want int) func() error {
		return func() error {
			r := s.as(t, org, http.MethodPost, "/api/parties", withCategory("catcon", title, category))
			if r.Status != want || want == http.StatusBadRequest && !strings.Contains(string(r.Body), `"field":"category"`) {
				return fmt.Errorf("a submission in category %s: %d, want %d: %.300s", category, r.Status, want, r.Body)
			}
			return nil
		}
	}
	wantStatus(t, s.as(t, admin, http.MethodPatch, "/api/admin/conferences/catcon", `{"categories":["Brunch"]}`), http.StatusOK, "a new list")
	consistent(t, s, submitted("Brunch now", "brunch", http.StatusCreated))
	consistent(t, s, submitted("Mixer no more", "Mixer", http.StatusBadRequest))
	wantStatus(t, s.as(t, admin, http.MethodPatch, "/api/admin/conferences/catcon", `{"categories":[]}`), http.StatusOK, "no list")
	consistent(t, s, submitted("Anything goes", "Karaoke", http.StatusCreated))
}

// importCSV is a sheet as organizers export it: three good rows and two
// that cannot be imported (no title; a date that is none).
const importCSV = `Date,Start Time,End Time,Event Name,Hosts,Category,Price,Address
2026-09-01,19:00,23:00,Opening Mixer,Studio A,Mixer,Free,"Hohenzollernring 1, 50672 Köln"
2026-09-02,20:00,02:00,Night Owls,Studio B,Party,€10,"Ehrenstraße 2, 50672 Köln"
2026-09-03,18:00,21:00,Closing Drinks,Studio C,Mixer,Free,"Friesenplatz 3, 50672 Köln"
2026-09-02,19:00,22:00,,Studio D,Mixer,Free,"Ring 4, 50672 Köln"
sometime,19:00,22:00,Lost In Time,Studio E,Mixer,Free,"Ring 5, 50672 Köln"
`

// An admin imports a sheet over HTTP: a dry run reports what the import
// would do and writes nothing; the import then does exactly that, every
// rejected row named with its reasons; the same file again changes
// nothing; a file that no longer lists a party cancels it with prune,
// leaving it visible as cancelled, and leaves other sources alone.
func TestAdminImportsSheet(t *testing.T) {
	s := adminServer(t)
	admin := signIn(t, s, `{"uid":"admin-import","roles":["admin"]}`)
	org := signIn(t, s, `{"uid":"org-import","roles":["organizer"]}`)
	s.createConference(t, admin, `{"id":"importcon","name":"Import Con","city":"Köln","timeZone":"Europe/Berlin","firstDay":"2026-09-01","lastDay":"2026-09-03"}`)
	// An organizer's party, published: another source than the sheet's.
	r := s.as(t, org, http.MethodPost, "/api/parties", submitBody("importcon", "2026-09-02", "An organizer's own party"))
	wantStatus(t, r, http.StatusCreated, "a party from another source")
	own := decode[envelope[writtenJSON]](t, r).Data
	wantStatus(t, s.as(t, admin, http.MethodPost, "/api/parties/"+own.ID+"/publish", ""), http.StatusOK, "publishing the organizer's party")

	dry := s.imported(t, admin, "conference=importcon&source=sheet&dryRun=true", "text/csv", importCSV)
	if !dry.DryRun || dry.Conference != "importcon" || dry.Total != 5 || dry.Accepted != 3 || dry.Rejected != 2 || dry.Created != 3 || len(dry.Rows) != 5 {
		t.Fatalf("dry run: %s, dryRun %v, %d rows; want 5 rows, 3 accepted and created, 2 rejected", dry.counts(), dry.DryRun, len(dry.Rows))
	}
	if got := s.everyParty(t, "importcon"); len(got) != 1 {
		t.Errorf("after a dry run the conference has %d parties, want only the organizer's own", len(got))
	}
	if got := s.trail(t, admin, "user=admin-import").Data; len(got) != 2 || got[0].Action != "party.publish" {
		t.Errorf("after a dry run the admin's trail has %+v; want only the conference and the publication", got)
	}

	rep := s.imported(t, admin, "conference=importcon&source=sheet", "text/csv", importCSV)
	if rep.DryRun || rep.counts() != dry.counts() {
		t.Errorf("the import: %s (dryRun %v); the dry run said %s", rep.counts(), rep.DryRun, dry.counts())
	}
	byTitle := map[string]importRow{}
	for i, row := range rep.Rows {
		byTitle[row.Title] = row
		if row.Row != i+1 || row.Line != i+2 {
			t.Errorf("row %d is reported as row %d, line %d; want line %d (the header is line 1)", i+1, row.Row, row.Line, i+2)
		}
		if (row.Status == "rejected") != (len(row.Errors) > 0) {
			t.Errorf("row %d: status %s with errors %q", row.Row, row.Status, row.Errors)
		}
		if row.Status == "rejected" && row.Action != "" || row.Status != "rejected" && row.Action != "created" {
			t.Errorf("row %d: status %s, action %q", row.Row, row.Status, row.Action)
		}
	}
	if rej := rep.Rows[3]; rej.Status != "rejected" || !strings.Contains(strings.Join(rej.Errors, "; "), "title") {
		t.Errorf("the row without a title: %+v; want it rejected naming the title", rej)
	}
	if rej := rep.Rows[4]; rej.Status != "rejected" || !strings.Contains(strings.Join(rej.Errors, "; "), "date") {
		t.Errorf("the row without a date: %+v; want it rejected naming the date", rej)
	}
	var parties map[string]partyJSON
	consistent(t, s, func() error {
		if parties = s.everyParty(t, "importcon"); len(parties) != 4 {
			return fmt.Errorf("the feed has %d parties of importcon, want the 3 imported and the organizer's own", len(parties))
		}
		return nil
	})
	for _, title := range []string{"Opening Mixer", "Night Owls", "Closing Drinks"} {
		p, ok := parties[byTitle[title].ID]
		if !ok || p.Title != title || p.Status != "published" {
			t.Errorf("%q (id %q) in the feed: %+v, want it published at once", title, byTitle[title].ID, p)
		}
	}
	if p := parties[byTitle["Night Owls"].ID]; p.Date != "2026-09-02" || p.End == nil || !strings.HasPrefix(*p.End, "2026-09-03T02:00") {
		t.Errorf("Night Owls ends at 02:00 after its day: date %s, end %v", p.Date, p.End)
	}
	if len(parties) != 4 {
		t.Errorf("the conference has %d parties, want the 3 imported and the organizer's own", len(parties))
	}
	applied := s.trail(t, admin, "user=admin-import&limit=1").Data
	if len(applied) != 1 || applied[0].Action != "import.apply" || applied[0].ConferenceID != "importcon" ||
		applied[0].Before != nil || applied[0].After != nil || !strings.Contains(applied[0].Note, "3 created") {
		t.Errorf("the import's audit entry: %+v; want import.apply by the admin with its counts", applied)
	}

	again := s.imported(t, admin, "conference=importcon&source=sheet", "text/csv", importCSV)
	if again.Created != 0 || again.Updated != 0 || again.Unchanged != 3 || again.Rejected != 2 || again.Cancelled != 0 {
		t.Errorf("the same file again: %s; want the 3 parties unchanged", again.counts())
	}
	for _, row := range again.Rows {
		if row.Status != "rejected" && (row.Action != "unchanged" || row.ID != byTitle[row.Title].ID) {
			t.Errorf("row %d again: %+v; want unchanged under the same id", row.Row, row)
		}
	}

	// The sheet drops Closing Drinks; pruning cancels it, and only it.
	withoutClosing := strings.Replace(importCSV, "2026-09-03,18:00,21:00,Closing Drinks,Studio C,Mixer,Free,\"Friesenplatz 3, 50672 Köln\"\n", "", 1)
	pruned := s.imported(t, admin, "conference=importcon&source=sheet&prune=true", "text/csv", withoutClosing)
	closing := byTitle["Closing Drinks"].ID
	if pruned.Cancelled != 1 || len(pruned.Pruned) != 1 || pruned.Pruned[0].ID != closing || pruned.Pruned[0].Date != "2026-09-03" || pruned.Unchanged != 2 {
		t.Errorf("pruning: %s, pruned %+v; want Closing Drinks (%s) cancelled", pruned.counts(), pruned.Pruned, closing)
	}
	consistent(t, s, func() error {
		parties = s.everyParty(t, "importcon")
		if p := parties[closing]; p.Status != "cancelled" {
			return fmt.Errorf("the pruned party: %+v; want it still served, as cancelled", p)
		}
		return nil
	})
	for _, p := range s.feed(t, "conference=importcon&limit=500").parties(t) {
		if p.ID == closing {
			t.Errorf("the pruned party is still in the default feed")
		}
	}
	if p := parties[own.ID]; p.Status != "published" {
		t.Errorf("a party of another source after pruning: %+v; want it published", p)
	}
	if p := parties[byTitle["Opening Mixer"].ID]; p.Status != "published" {
		t.Errorf("a party still in the file after pruning: %+v", p)
	}

	// The conference's feed, exported as JSON and imported back, is the
	// same parties: nothing changes, and the organizer still owns theirs
	// (an export does not say who owns a party; the import must not take
	// it away).
	export := s.get(t, "/api/parties?conference=importcon&limit=500")
	wantStatus(t, export, http.StatusOK, "the feed to export")
	back := s.imported(t, admin, "conference=importcon", "application/json", string(export.Body))
	if back.Total != 3 || back.Accepted != 3 || back.Unchanged != 3 {
		t.Errorf("the feed imported back: %s; want its 3 parties unchanged", back.counts())
		for _, row := range back.Rows {
			t.Logf("  row %d %q: %s", row.Row, row.Title, row.Action)
		}
	}
	mine := s.as(t, org, http.MethodGet, "/api/me/parties", "")
	wantStatus(t, mine, http.StatusOK, "the organizer's parties")
	if got := decode[envelope[[]writtenJSON]](t, mine).Data; len(got) != 1 || got[0].ID != own.ID || got[0].Owner != org.UID {
		t.Errorf("after importing the export, the organizer's parties are %+v; want %s, owned by them", got, own.ID)
	}
	if r := s.as(t, org, http.MethodPost, "/api/parties/"+own.ID+"/cancel", `{"reason":"moved online"}`); r.Status != http.StatusOK {
		t.Errorf("after importing the export, the organizer cannot cancel their party: %d %.300s", r.Status, r.Body)
	}
}

// What the import endpoint refuses, each with a 400 naming the field, and
// writing nothing. A URL is fetched only from a public https host: the
// guard refuses these before any lookup or connection, so none of them
// makes traffic.
func TestAdminImportRefusals(t *testing.T) {
	s := adminServer(t)
	admin := signIn(t, s, `{"uid":"admin-refuse","roles":["admin"]}`)
	s.createConference(t, admin, `{"id":"refusecon","name":"Refuse Con","city":"Köln","timeZone":"Europe/Berlin","firstDay":"2026-09-01","lastDay":"2026-09-03"}`)
	tests := []struct {
		name, query, contentType, body string
		field                          string
	}{
		{"an unknown conference", "conference=no-such-con", "text/csv", importCSV, "conference"},
		{"no conference", "", "text/csv", importCSV, "conference"},
		{"an empty body", "conference=refusecon", "text/csv", "", "body"},
		{"a blank body", "conference=refusecon", "text/csv", " \n\n", "body"},
		{"an empty JSON body", "conference=refusecon", "application/json", "", "body"},
		{"a dryRun that is no flag", "conference=refusecon&dryRun=maybe", "text/csv", importCSV, "dryRun"},
		{"a prune that is no flag", "conference=refusecon&prune=yes", "text/csv", importCSV, "prune"},
		{"an unknown parameter", "conference=refusecon&force=true", "text/csv", importCSV, "force"},
		{"a source longer than 64", "conference=refusecon&source=" + strings.Repeat("s", 65), "text/csv", importCSV, "source"},
		{"a media type that is neither", "conference=refusecon", "application/xml", "<parties/>", "Content-Type"},
		{"JSON that is no JSON", "conference=refusecon", "application/json", `[{"title":`, "body"},
		{"a URL body with more", "conference=refusecon", "application/json", `{"url":"https://192.0.2.10/x.csv","prune":true}`, "body"},
		{"a URL over http", "conference=refusecon", "application/json", `{"url":"http://example.com/x.csv"}`, "url"},
		{"a loopback URL", "conference=refusecon", "application/json", `{"url":"https://127.0.0.1/x.csv"}`, "url"},
		{"the metadata service", "conference=refusecon", "application/json", `{"url":"https://169.254.169.254/latest"}`, "url"},
		{"localhost", "conference=refusecon", "application/json", `{"url":"https://localhost/x"}`, "url"},
		{"a private address", "conference=refusecon", "application/json", `{"url":"https://10.0.0.1/x"}`, "url"},
		{"IPv6 loopback", "conference=refusecon", "application/json", `{"url":"https://[::1]/x"}`, "url"},
		{"IPv4-mapped loopback", "conference=refusecon", "application/json", `{"url":"https://[::ffff:127.0.0.1]/x"}`, "url"},
		{"another port", "conference=refusecon", "application/json", `{"url":"https://192.0.2.10:8443/x"}`, "url"},
		{"a user in the URL", "conference=refusecon", "application/json", `{"url":"https://admin:secret@192.0.2.10/x"}`, "url"},
		{"no URL at all", "conference=refusecon", "application/json", `{"url":""}`, "url"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := "/api/admin/imports"
			if tc.query != "" {
				path += "?" + tc.query
			}
			r := s.asRaw(t, admin, http.MethodPost, path, []byte(tc.body), "Content-Type", tc.contentType)
			checkFields(t, r, tc.name, tc.field)
		})
	}
	if n := len(s.everyParty(t, "refusecon")); n != 0 {
		t.Errorf("refused imports wrote %d parties", n)
	}
	if got := s.trail(t, admin, "user=admin-refuse").Data; len(got) != 1 || got[0].Action != "conference.create" {
		t.Errorf("refused imports are in the trail: %+v", got)
	}
}

// The organisers' real sheet of Gamescom 2025, imported over HTTP, gets
// the report the command line gives for it, row by row; the feed then
// serves every accepted row, and importing it again changes nothing.
func TestAdminImportsRealGamescomSheet(t *testing.T) {
	export := realExport(t)
	data, err := os.ReadFile(export)
	if err != nil {
		t.Fatal(err)
	}
	s := adminServer(t)
	admin := signIn(t, s, `{"uid":"admin-real","roles":["admin"]}`)
	s.createConference(t, admin, `{"id":"gamescom2025","name":"Gamescom 2025","city":"Cologne","timeZone":"Europe/Berlin","firstDay":"2025-08-18","lastDay":"2025-08-24"}`)

	// The command line's dry run on the same store and conference.
	cmd := importCommand(t, s.db, "--conference", "gamescom2025", "--dry-run", "--json", export)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("partyfinder import --dry-run: %v\n%s", err, stderr.String())
	}
	var cli adminImportReport
	if err := json.Unmarshal(stdout.Bytes(), &cli); err != nil {
		t.Fatalf("import --json printed no report: %v\n%.1000s", err, stdout.String())
	}

	dry := s.imported(t, admin, "conference=gamescom2025&dryRun=true", "application/json", string(data))
	if dry.counts() != cli.counts() || !slices.EqualFunc(dry.Rows, cli.Rows, sameRow) {
		t.Errorf("the HTTP dry run: %s; the command line's: %s", dry.counts(), cli.counts())
	}
	if dry.Total != 65 || dry.Accepted+dry.Rejected != dry.Total || dry.Accepted == 0 || dry.Created != dry.Accepted {
		t.Errorf("the real sheet: %s; it has 65 rows, each accepted or rejected", dry.counts())
	}
	if n := len(s.everyParty(t, "gamescom2025")); n != 0 {
		t.Errorf("the dry run wrote %d parties", n)
	}

	rep := s.imported(t, admin, "conference=gamescom2025", "application/json", string(data))
	if rep.counts() != dry.counts() {
		t.Errorf("the import: %s; its dry run: %s", rep.counts(), dry.counts())
	}
	var parties map[string]partyJSON
	consistent(t, s, func() error {
		if parties = s.everyParty(t, "gamescom2025"); len(parties) != rep.Accepted {
			return fmt.Errorf("the feed has %d parties, the import accepted %d", len(parties), rep.Accepted)
		}
		return nil
	})
	for _, row := range rep.Rows {
		if _, served := parties[row.ID]; served != (row.Status != "rejected") {
			t.Errorf("row %d %q (%s): served %v", row.Row, row.Title, row.Status, served)
		}
		if row.Status == "rejected" && len(row.Errors) == 0 {
			t.Errorf("row %d %q is rejected without a reason", row.Row, row.Title)
		}
	}
	if len(parties) != rep.Accepted {
		t.Errorf("the feed has %d parties, the import accepted %d", len(parties), rep.Accepted)
	}
	again := s.imported(t, admin, "conference=gamescom2025", "application/json", string(data))
	if again.Unchanged != rep.Accepted || again.Created != 0 || again.Updated != 0 {
		t.Errorf("the same sheet again: %s; want all %d unchanged", again.counts(), rep.Accepted)
	}
}

// sameRow compares two reports' rows.
func sameRow(a, b importRow) bool {
	return a.Row == b.Row && a.Line == b.Line && a.Status == b.Status && a.Action == b.Action && a.ID == b.ID &&
		a.Title == b.Title && slices.Equal(a.Errors, b.Errors) && slices.Equal(a.Warnings, b.Warnings)
}

// Every organizer and admin write leaves its entry in the audit trail:
// who, what, on which party, the record before and after, a reason given
// and a duplicate check overridden. Admins read it newest first, filtered
// by party, user and time, page by page without repeats or gaps.
func TestAdminAuditTrail(t *testing.T) {
	s := adminServer(t)
	admin := signIn(t, s, `{"uid":"admin-audit","roles":["admin"]}`)
	org := signIn(t, s, `{"uid":"org-audit","roles":["organizer"]}`)
	s.createConference(t, admin, `{"id":"auditcon","name":"Audit Con","city":"Köln","timeZone":"Europe/Berlin","firstDay":"2026-09-01","lastDay":"2026-09-03"}`)
	wantStatus(t, s.as(t, admin, http.MethodPatch, "/api/admin/conferences/auditcon", `{"name":"Audit Con 2026","categories":["Mixer"]}`), http.StatusOK, "renaming the conference")
	submit := func(who user, body string) writtenJSON {
		t.Helper()
		r := s.as(t, who, http.MethodPost, "/api/parties", body)
		wantStatus(t, r, http.StatusCreated, "POST /api/parties "+body)
		return decode[envelope[writtenJSON]](t, r).Data
	}
	write := func(who user, method, path, body string, headers ...string) {
		t.Helper()
		wantStatus(t, s.as(t, who, method, path, body, headers...), http.StatusOK, method+" "+path)
	}

	// One party through its life: submitted, edited, published, cancelled.
	p := submit(org, submitBody("auditcon", "2026-09-01", "Audited Party"))
	write(org, http.MethodPatch, "/api/parties/"+p.ID, `{"title":"Audited Party, renamed"}`, "If-Match", `"v1"`)
	write(admin, http.MethodPost, "/api/parties/"+p.ID+"/publish", "")
	write(org, http.MethodPost, "/api/parties/"+p.ID+"/cancel", `{"reason":"venue flooded"}`)
	// Another rejected, a third taken down.
	q := submit(org, submitBody("auditcon", "2026-09-02", "Rejected Party"))
	write(admin, http.MethodPost, "/api/parties/"+q.ID+"/reject", `{"reason":"not a party"}`)
	gone := submit(admin, submitBody("auditcon", "2026-09-03", "Removed Party"))
	write(admin, http.MethodDelete, "/api/parties/"+gone.ID, "")
	// A likely duplicate stored with force, naming what it repeats.
	dupBody := func(title, venue, clock string, force bool) string {
		return fmt.Sprintf(`{"conferenceId":"auditcon","title":%q,"venue":%q,"date":"2026-09-02","time":%q,"force":%v}`, title, venue, clock, force)
	}
	first := submit(org, dupBody("Pocket Gamer Party", "KölnMesse, Halle 7", "06:00", false))
	forced := submit(org, dupBody("Pocket Gamer Pary!", "Koelnmesse Hall 7", "06:30", true))
	// And an import.
	s.imported(t, admin, "conference=auditcon&source=sheet", "text/csv", importCSV)

	all := s.trail(t, admin, "limit=200")
	if all.Meta.NextCursor != "" {
		t.Fatalf("200 entries are not all of this server's trail: %d, next %q", len(all.Data), all.Meta.NextCursor)
	}
	for i := 1; i < len(all.Data); i++ {
		if all.Data[i-1].ID <= all.Data[i].ID || all.Data[i-1].At < all.Data[i].At {
			t.Errorf("entries %d and %d are not newest first: %s at %s, then %s at %s", i-1, i, all.Data[i-1].ID, all.Data[i-1].At, all.Data[i].ID, all.Data[i].At)
		}
	}
	type want struct {
		action, actor, party string
		check                func(e auditEntry) string // what is wrong, or ""
	}
	changed := func(field, before, after string) func(e auditEntry) string {
		return func(e auditEntry) string {
			if e.Before[field] != before || e.After[field] != after {
				return fmt.Sprintf("%s before %q after %q, want %q then %q", field, e.Before[field], e.After[field], before, after)
			}
			return ""
		}
	}
	expected := []want{ // newest first
		{"import.apply", admin.UID, "", func(e auditEntry) string {
			if e.Before != nil || e.After != nil || !strings.Contains(e.Note, "3 created") || !strings.Contains(e.Note, "2 rejected") {
				return fmt.Sprintf("before %v, after %v, note %q; want no records and the counts", e.Before, e.After, e.Note)
			}
			return ""
		}},
		{"party.submit", org.UID, forced.ID, func(e auditEntry) string {
			if !e.Forced || !strings.Contains(e.Note, first.ID) {
				return fmt.Sprintf("forced %v, note %q; want forced, naming %s", e.Forced, e.Note, first.ID)
			}
			return ""
		}},
		{"party.submit", org.UID, first.ID, func(e auditEntry) string {
			if e.Forced || e.Note != "" {
				return fmt.Sprintf("forced %v, note %q for a submission that repeats nothing", e.Forced, e.Note)
			}
			return ""
		}},
		{"party.remove", admin.UID, gone.ID, changed("status", "published", "cancelled")},
		{"party.submit", admin.UID, gone.ID, changed("status", "", "published")},
		{"party.reject", admin.UID, q.ID, func(e auditEntry) string {
			if e.Note != "not a party" || e.After["status"] != "rejected" {
				return fmt.Sprintf("note %q, status %q; want the reason and rejected", e.Note, e.After["status"])
			}
			return ""
		}},
		{"party.submit", org.UID, q.ID, nil},
		{"party.cancel", org.UID, p.ID, func(e auditEntry) string {
			if e.Note != "venue flooded" || e.Before["status"] != "published" || e.After["status"] != "cancelled" {
				return fmt.Sprintf("note %q, status %q then %q; want the reason, published then cancelled", e.Note, e.Before["status"], e.After["status"])
			}
			return ""
		}},
		{"party.publish", admin.UID, p.ID, changed("status", "pending", "published")},
		{"party.edit", org.UID, p.ID, func(e auditEntry) string {
			if msg := changed("title", "Audited Party", "Audited Party, renamed")(e); msg != "" {
				return msg
			}
			if e.Before["venue"] != e.After["venue"] || e.Forced {
				return fmt.Sprintf("the venue changed (%q, %q) or forced %v, for an edit of the title alone", e.Before["venue"], e.After["venue"], e.Forced)
			}
			return ""
		}},
		{"party.submit", org.UID, p.ID, func(e auditEntry) string {
			if e.Before != nil || e.After["title"] != "Audited Party" || e.After["status"] != "pending" || e.After["owner"] != org.UID || e.Forced {
				return fmt.Sprintf("before %v, after %v, forced %v; want no before, the party pending, not forced", e.Before, e.After, e.Forced)
			}
			return ""
		}},
		{"conference.update", admin.UID, "", func(e auditEntry) string {
			if msg := changed("name", "Audit Con", "Audit Con 2026")(e); msg != "" {
				return msg
			}
			return changed("categories", "", "Mixer")(e)
		}},
		{"conference.create", admin.UID, "", func(e auditEntry) string {
			if e.Before != nil || e.After["name"] != "Audit Con" || e.After["timeZone"] != "Europe/Berlin" {
				return fmt.Sprintf("before %v, after %v; want no before and the conference", e.Before, e.After)
			}
			return ""
		}},
	}
	var mine []auditEntry
	for _, e := range all.Data {
		if e.ConferenceID == "auditcon" {
			mine = append(mine, e)
		}
	}
	if len(mine) != len(expected) {
		t.Errorf("the trail has %d entries of auditcon, want %d:", len(mine), len(expected))
		for _, e := range mine {
			t.Logf("  %s %s %s by %s", e.At, e.Action, e.PartyID, e.Actor)
		}
	}
	for i := range min(len(mine), len(expected)) {
		e, w := mine[i], expected[i]
		if e.Action != w.action || e.Actor != w.actor || e.PartyID != w.party {
			t.Errorf("entry %d: %s by %s on %q, want %s by %s on %q", i, e.Action, e.Actor, e.PartyID, w.action, w.actor, w.party)
			continue
		}
		if w.check != nil {
			if msg := w.check(e); msg != "" {
				t.Errorf("entry %d (%s on %q): %s", i, e.Action, e.PartyID, msg)
			}
		}
	}

	t.Run("by party", func(t *testing.T) {
		got := s.trail(t, admin, "party="+p.ID).Data
		var actions []string
		for _, e := range got {
			actions = append(actions, e.Action)
		}
		if want := []string{"party.cancel", "party.publish", "party.edit", "party.submit"}; !slices.Equal(actions, want) {
			t.Errorf("the party's entries: %q, want %q", actions, want)
		}
	})
	t.Run("by user", func(t *testing.T) {
		got := s.trail(t, admin, "user="+org.UID).Data
		n := 0
		for _, w := range expected {
			if w.actor == org.UID {
				n++
			}
		}
		if len(got) != n {
			t.Errorf("the organizer's entries: %d, want %d", len(got), n)
		}
		for _, e := range got {
			if e.Actor != org.UID {
				t.Errorf("user=%s gave an entry by %s", org.UID, e.Actor)
			}
		}
		if got := s.trail(t, admin, "user=nobody-at-all").Data; len(got) != 0 {
			t.Errorf("an unknown user's entries: %+v", got)
		}
	})
	t.Run("by time", func(t *testing.T) {
		// The edit's own time splits the trail in two: from includes it,
		// to excludes it, and together they are everything once.
		pivot := mine[len(mine)-1-3] // the edit
		if pivot.Action != "party.edit" {
			t.Fatalf("the pivot is %s", pivot.Action)
		}
		at := url.QueryEscape(pivot.At)
		from := s.trail(t, admin, "limit=200&from="+at).Data
		to := s.trail(t, admin, "limit=200&to="+at).Data
		if len(from) == 0 || from[len(from)-1].ID != pivot.ID {
			t.Errorf("from=%s does not end with the entry of that time", pivot.At)
		}
		if slices.ContainsFunc(to, func(e auditEntry) bool { return e.ID == pivot.ID }) {
			t.Errorf("to=%s includes the entry of that time", pivot.At)
		}
		if got := append(idsOf(from), idsOf(to)...); !slices.Equal(got, idsOf(all.Data)) {
			t.Errorf("from and to split %d entries into %d and %d", len(all.Data), len(from), len(to))
		}
		both := s.trail(t, admin, "limit=200&from="+at+"&to="+url.QueryEscape(all.Data[0].At)).Data
		if len(both) != len(from)-1 {
			t.Errorf("from the edit to the newest entry: %d entries, want %d", len(both), len(from)-1)
		}
		// Bounds far from now are bounds all the same.
		for _, tc := range []struct {
			query string
			want  int
		}{
			{"from=1900-01-01T00:00:00Z", len(all.Data)},
			{"to=1900-01-01T00:00:00Z", 0},
			{"from=2999-01-01T00:00:00Z", 0},
			{"to=2999-01-01T00:00:00Z", len(all.Data)},
			{"from=1900-01-01T00:00:00Z&to=2999-01-01T00:00:00Z", len(all.Data)},
		} {
			if got := s.trail(t, admin, "limit=200&"+tc.query).Data; len(got) != tc.want {
				t.Errorf("%s: %d entries, want %d", tc.query, len(got), tc.want)
			}
		}
	})
	t.Run("paging", func(t *testing.T) {
		for _, filter := range []string{"", "&user=" + org.UID} {
			var walked []string
			cursor := ""
			for range len(all.Data) + 2 {
				q := "limit=1" + filter
				if cursor != "" {
					q += "&cursor=" + url.QueryEscape(cursor)
				}
				page := s.trail(t, admin, q)
				if len(page.Data) != 1 {
					t.Fatalf("a page of limit=1 has %d entries", len(page.Data))
				}
				walked = append(walked, page.Data[0].ID)
				if cursor = page.Meta.NextCursor; cursor == "" {
					break
				}
			}
			want := idsOf(s.trail(t, admin, "limit=200"+filter).Data)
			if !slices.Equal(walked, want) {
				t.Errorf("paging%s one by one gave %d entries, one page %d: repeats or gaps", filter, len(walked), len(want))
			}
		}
	})
	t.Run("bad parameters", func(t *testing.T) {
		forged := base64.RawURLEncoding.EncodeToString([]byte("not an id"))
		for _, tc := range []struct{ query, field string }{
			{"limit=0", "limit"},
			{"limit=201", "limit"},
			{"limit=ten", "limit"},
			{"from=yesterday", "from"},
			{"to=2026-09-01", "to"},
			{"from=2026-09-02T00:00:00Z&to=2026-09-01T00:00:00Z", "to"},
			{"actor=" + org.UID, "actor"},
			{"cursor=%21%21%21", "cursor"},
			{"cursor=" + forged, "cursor"},
			{"party=" + strings.Repeat("p", 129), "party"},
		} {
			r := s.asRaw(t, admin, http.MethodGet, "/api/admin/audit?"+tc.query, nil)
			checkFields(t, r, "audit?"+tc.query, tc.field)
		}
	})
}

func idsOf(es []auditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// A conference create retried with an Idempotency-Key finds the first
// one; the key with other details is refused, and without a key an
// existing id is a conflict.
func TestAdminCreateConferenceRetries(t *testing.T) {
	s := adminServer(t)
	admin := signIn(t, s, `{"uid":"retry-admin","roles":["admin"]}`)
	body := `{"id":"retrycon2026","name":"Retry Con","city":"Köln","timeZone":"Europe/Berlin","firstDay":"2026-08-19","lastDay":"2026-08-23","categories":["Mixer"]}`
	first := s.as(t, admin, http.MethodPost, "/api/admin/conferences", body, "Idempotency-Key", "k-1")
	wantStatus(t, first, http.StatusCreated, "the first create")
	again := s.as(t, admin, http.MethodPost, "/api/admin/conferences", body, "Idempotency-Key", "k-1")
	wantStatus(t, again, http.StatusOK, "the retry")
	if a, b := decode[envelope[adminConference]](t, first).Data, decode[envelope[adminConference]](t, again).Data; a.ID != b.ID || a.Name != b.Name {
		t.Errorf("the retry answered %+v, want the first %+v", b, a)
	}
	other := strings.Replace(body, "Retry Con", "Another Con", 1)
	wantStatus(t, s.as(t, admin, http.MethodPost, "/api/admin/conferences", other, "Idempotency-Key", "k-1"), http.StatusUnprocessableEntity, "the key with other details")
	wantStatus(t, s.as(t, admin, http.MethodPost, "/api/admin/conferences", body), http.StatusConflict, "the same create without a key")
	if n := len(s.trail(t, admin, "user=retry-admin").Data); n != 1 {
		t.Errorf("%d audit entries, want 1: retries write nothing", n)
	}
}
