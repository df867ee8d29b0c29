package blackbox_test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/partyfinder/partyfinder/shared/frab"
	"github.com/partyfinder/partyfinder/shared/testenv"
)

// frabSchemas returns the C3VOC schedule schemas beside the checkout.
func frabSchemas(t *testing.T) (xsd, jsonSchema string) {
	t.Helper()
	dir := filepath.Join(repoRoot, "..", "shared", "data", "frab")
	xsd, jsonSchema = filepath.Join(dir, "schedule.xml.xsd"), filepath.Join(dir, "schedule.schema.json")
	for _, f := range []string{xsd, jsonSchema} {
		if _, err := os.Stat(f); err != nil {
			testenv.Need(t, "the frab schemas are missing: "+err.Error())
		}
	}
	return xsd, jsonSchema
}

// validFrab checks a served frab schedule against its schema: the XML
// with xmllint, the JSON in process.
func validFrab(t *testing.T, what string, body []byte, xml bool) {
	t.Helper()
	xsd, jsonSchema := frabSchemas(t)
	if xml {
		lint, err := exec.LookPath("xmllint")
		if err != nil {
			testenv.Need(t, "xmllint is missing (apt-get install libxml2-utils)")
		}
		cmd := exec.Command(lint, "--noout", "--schema", xsd, "-")
		cmd.Stdin = bytes.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s is not a valid frab schedule: %v\n%s", what, err, out)
		}
		return
	}
	schema, err := jsonschema.NewCompiler().Compile(jsonSchema)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Errorf("%s is not a valid frab schedule: %v", what, err)
	}
}

// guids returns the frab event guids of party ids, sorted.
func guids(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = frab.EventGUID(id)
	}
	slices.Sort(out)
	return out
}

// Every feed query answers in four formats with the same parties, and the
// schedule formats pass the schemas schedule apps are built on; so do the
// conference's schedule files.
func TestFeedFormats(t *testing.T) {
	ps := partiesOf(t, shared)
	for _, q := range []string{"include=cancelled", "date=" + ps.published[0].Date, "free=true&include=cancelled", "q=karaoke"} {
		list := decode[envelope[[]partyJSON]](t, shared.get(t, "/api/parties?limit=500&"+q))
		want := ids(list.Data)
		if len(want) == 0 {
			t.Fatalf("?%s selects nothing: the comparison would be empty", q)
		}
		cal := shared.get(t, "/api/parties?"+q+"&format=ics")
		wantStatus(t, cal, http.StatusOK, "?"+q+"&format=ics")
		var uids []string
		for _, line := range strings.Split(strings.ReplaceAll(string(cal.Body), "\r\n ", ""), "\r\n") {
			if uid, ok := strings.CutPrefix(line, "UID:"); ok {
				uids = append(uids, strings.TrimSuffix(uid, "@partyfinder"))
			}
		}
		if !slices.Equal(uids, want) {
			t.Errorf("?%s: the calendar has %v, the JSON %v", q, uids, want)
		}
		for _, f := range []struct {
			format string
			xml    bool
		}{{"frab-xml", true}, {"frab-json", false}} {
			r := shared.get(t, "/api/parties?"+q+"&format="+f.format)
			wantStatus(t, r, http.StatusOK, "?"+q+"&format="+f.format)
			validFrab(t, "?"+q+"&format="+f.format, r.Body, f.xml)
			var got []string
			for _, g := range guids(want) {
				if bytes.Contains(r.Body, []byte(g)) {
					got = append(got, g)
				}
			}
			if !slices.Equal(got, guids(want)) || bytes.Count(r.Body, []byte("<event "))+bytes.Count(r.Body, []byte(`{"guid":`)) != len(want) {
				t.Errorf("?%s&format=%s: %d of %d parties", q, f.format, len(got), len(want))
			}
		}
	}
	for _, f := range []struct {
		path string
		xml  bool
	}{{"/api/conferences/" + demoConference + "/schedule.xml", true}, {"/api/conferences/" + demoConference + "/schedule.json", false}} {
		r := shared.get(t, f.path)
		wantStatus(t, r, http.StatusOK, f.path)
		validFrab(t, f.path, r.Body, f.xml)
	}
}

type shareJSON struct {
	Code     string   `json:"code"`
	URL      string   `json:"url"`
	Live     bool     `json:"live"`
	PartyIDs []string `json:"partyIds"`
}

type sharedListJSON struct {
	Code    string      `json:"code"`
	Title   string      `json:"title"`
	Live    bool        `json:"live"`
	Parties []partyJSON `json:"parties"`
}

// An attendee shares their saved list; anyone opens the link, in every
// format; a friend imports it; the owner revokes it and it is gone.
func TestSharedLists(t *testing.T) {
	ps := partiesOf(t, shared).published
	ada, bob := signIn(t, shared, ""), signIn(t, shared, "")
	shared.save(t, ada, ps[3].ID)
	shared.save(t, ada, ps[1].ID)

	r := shared.as(t, ada, http.MethodPost, "/api/me/shares", `{"title":"Ada's Gamescom"}`)
	wantStatus(t, r, http.StatusCreated, "POST /api/me/shares")
	live := decode[envelope[shareJSON]](t, r).Data
	r = shared.as(t, ada, http.MethodPost, "/api/me/shares", `{"partyIds":["`+ps[5].ID+`"]}`)
	wantStatus(t, r, http.StatusCreated, "POST /api/me/shares with parties")
	fixed := decode[envelope[shareJSON]](t, r).Data
	if !live.Live || fixed.Live || !slices.Equal(fixed.PartyIDs, []string{ps[5].ID}) || !strings.HasSuffix(live.URL, "/api/shares/"+live.Code) {
		t.Fatalf("links %+v, %+v", live, fixed)
	}

	// Anyone opens it, without signing in, as a list or a calendar.
	r = shared.get(t, "/api/shares/"+live.Code)
	wantStatus(t, r, http.StatusOK, "GET the shared list")
	list := decode[envelope[sharedListJSON]](t, r).Data
	if list.Title != "Ada's Gamescom" || !slices.Equal(ids(list.Parties), ids(sortedByStart(t, ps[1], ps[3]))) {
		t.Errorf("the shared list: %q with %v", list.Title, ids(list.Parties))
	}
	for _, f := range []string{"ics", "frab-xml", "frab-json"} {
		r := shared.get(t, "/api/shares/"+live.Code+"?format="+f)
		wantStatus(t, r, http.StatusOK, "the shared list as "+f)
		if f != "ics" {
			validFrab(t, "the shared list as "+f, r.Body, f == "frab-xml")
		}
	}
	mine := decode[envelope[[]shareJSON]](t, shared.as(t, ada, http.MethodGet, "/api/me/shares", "")).Data
	if len(mine) != 2 {
		t.Errorf("ada holds %d links, want 2", len(mine))
	}

	// Bob imports it: what he had stays, the rest is added.
	shared.save(t, bob, ps[1].ID)
	r = shared.as(t, bob, http.MethodPost, "/api/me/saves/import", `{"code":"`+live.Code+`"}`)
	wantStatus(t, r, http.StatusOK, "import a shared list")
	res := decode[envelope[struct{ Added, Already, Cancelled, Missing []string }]](t, r).Data
	if !slices.Equal(res.Added, []string{ps[3].ID}) || !slices.Equal(res.Already, []string{ps[1].ID}) {
		t.Errorf("import: %+v", res)
	}
	if got := savedIDs(shared.saves(t, bob)); !slices.Equal(got, ids(sortedByStart(t, ps[1], ps[3]))) {
		t.Errorf("bob's saves after the import: %v", got)
	}

	// Revoked, it is gone for everyone; only its owner may revoke it.
	checkProblem(t, shared.as(t, bob, http.MethodDelete, "/api/me/shares/"+live.Code, ""), http.StatusNotFound, "not_found", "bob revokes ada's link")
	wantStatus(t, shared.as(t, ada, http.MethodDelete, "/api/me/shares/"+live.Code, ""), http.StatusOK, "ada revokes her link")
	checkProblem(t, shared.get(t, "/api/shares/"+live.Code), http.StatusNotFound, "not_found", "a revoked link")
	checkProblem(t, shared.as(t, bob, http.MethodPost, "/api/me/saves/import", `{"code":"`+live.Code+`"}`), http.StatusNotFound, "not_found", "import of a revoked link")
	checkFields(t, shared.asRaw(t, ada, http.MethodPost, "/api/me/shares", []byte(`{"partyIds":["nope"]}`), "Content-Type", "application/json"), "a link to an unknown party", "partyIds[0]")
}

// The personal feed's token also opens the saved parties as a frab
// schedule.
func TestPersonalSchedule(t *testing.T) {
	ps := partiesOf(t, shared).published
	u := signIn(t, shared, "")
	shared.save(t, u, ps[2].ID)
	path := strings.TrimSuffix(feedPath(t, shared.calendarLink(t, u)), ".ics")
	for _, f := range []struct {
		ext string
		xml bool
	}{{".xml", true}, {".json", false}} {
		r := shared.get(t, path+f.ext)
		wantStatus(t, r, http.StatusOK, "the personal feed as "+f.ext)
		validFrab(t, "the personal feed as "+f.ext, r.Body, f.xml)
		if !bytes.Contains(r.Body, []byte(frab.EventGUID(ps[2].ID))) {
			t.Errorf("the personal schedule %s lacks the saved party", f.ext)
		}
	}
}
