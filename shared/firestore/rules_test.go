package firestore_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/party"
)

// rulesFile is firestore.rules at the repository root, as deployed by
// firebase.json.
const rulesFile = "../../firestore.rules"

// TestRules checks firestore.rules on the Firestore emulator, over the same
// REST API the web and mobile SDKs use: the public reads published and
// cancelled parties and every conference, and nothing else; no client, signed
// in or not, writes anything. Writes go through our functions, whose Admin SDK
// the rules do not apply to.
func TestRules(t *testing.T) {
	host := rulesEmulatorHost(t)
	t.Parallel()
	for _, caller := range []struct {
		name     string
		signedIn bool
	}{{"anonymous", false}, {"signed-in", true}} {
		t.Run(caller.name, func(t *testing.T) {
			t.Parallel()
			// A project of its own per caller: rules and documents are per
			// project on the emulator, the rules name the collections
			// without any prefix, and a write one caller was wrongly
			// allowed must not fail the other caller's reads.
			b := make([]byte, 6)
			rand.Read(b)
			project := "rules-" + hex.EncodeToString(b)
			r := &rulesClient{
				http: &http.Client{Timeout: 10 * time.Second},
				base: "http://" + host,
				docs: "projects/" + project + "/databases/(default)/documents",
			}
			r.loadRules(t, project)
			change := seedRulesProject(t, project)
			token := ""
			if caller.signedIn {
				// Not user-1: the users/user-1 cases here are about another
				// user's data. A user's own data is rules_users_test.go's.
				token = unsignedIDToken(project, "user-2")
			}
			for _, c := range rulesCases(r.docs, change) {
				t.Run(c.name, func(t *testing.T) {
					status, body := r.do(t, token, c.method, c.path, c.body)
					if status != c.want {
						t.Fatalf("%s %s: status %d, want %d; body: %s", c.method, c.path, status, c.want, body)
					}
					if status == http.StatusForbidden && !strings.Contains(string(body), "PERMISSION_DENIED") {
						t.Errorf("%s %s: 403 without PERMISSION_DENIED: %s", c.method, c.path, body)
					}
					if c.wantDocs >= 0 {
						if got := countDocuments(t, body); got != c.wantDocs {
							t.Errorf("%s %s: %d documents, want %d; body: %s", c.method, c.path, got, c.wantDocs, body)
						}
					}
				})
			}
			t.Run("denied writes left no trace", func(t *testing.T) { checkUntouched(t, r, change) })
		})
	}
}

// checkUntouched reads the project back as admin: a denied write must have
// changed nothing.
func checkUntouched(t *testing.T, r *rulesClient, change string) {
	for _, p := range []string{
		"parties/new-party", "conferences/newconf", "users/user-1/notes/n1",
		"secrets/new", "parties/pub/notes/n1", "auditLog/0000000000000003aaaaaaaaaaaaaaaa",
		"partyChanges/gamescom2025-forged-0000000000000000099", "revisions/newconf",
	} {
		if status, body := r.do(t, "owner", http.MethodGet, p, nil); status != http.StatusNotFound {
			t.Errorf("%s exists after denied client writes: status %d, body %s", p, status, body)
		}
	}
	for id, want := range map[string]string{"pub": "published", "cancelled": "cancelled", "draft": "draft"} {
		status, body := r.do(t, "owner", http.MethodGet, "parties/"+id, nil)
		if status != http.StatusOK {
			t.Errorf("parties/%s gone after denied client writes: status %d, body %s", id, status, body)
			continue
		}
		var doc struct {
			Fields map[string]struct {
				StringValue  string `json:"stringValue"`
				IntegerValue string `json:"integerValue"`
			} `json:"fields"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("decode parties/%s: %v", id, err)
		}
		if got := doc.Fields["status"].StringValue; got != want {
			t.Errorf("parties/%s status %q after denied client writes, want %q", id, got, want)
		}
		if got := doc.Fields["version"].IntegerValue; got != "1" {
			t.Errorf("parties/%s version %q after denied client writes, want 1", id, got)
		}
	}
	for _, p := range []string{"conferences/gamescom2025", "users/user-1", "secrets/s1", "auditLog/" + rulesAuditID["gamescom2025"],
		change, "revisions/gamescom2025"} {
		if status, body := r.do(t, "owner", http.MethodGet, p, nil); status != http.StatusOK {
			t.Errorf("%s gone after denied client writes: status %d, body %s", p, status, body)
		}
	}
	if _, body := r.do(t, "owner", http.MethodGet, "conferences/gamescom2025", nil); !strings.Contains(string(body), "Gamescom 2025") {
		t.Errorf("conferences/gamescom2025 changed after denied client writes: %s", body)
	}
}

// rulesCase is one client request and the HTTP status the rules must give it.
type rulesCase struct {
	name   string
	method string
	path   string // relative to the documents root; ":runQuery" etc. for RPCs on it
	body   any
	want   int
	// wantDocs is the number of documents an allowed read returns; -1 skips
	// the count.
	wantDocs int
}

// rulesCases lists the requests every caller makes. The documents they read
// are seeded by seedRulesProject; change is the path of one of the
// partyChanges documents the seeding wrote.
func rulesCases(docs, change string) []rulesCase {
	public := []any{restString("published"), restString("cancelled")}
	query := func(collection string, allDescendants bool, where any, orderBy ...string) map[string]any {
		q := map[string]any{"from": []any{map[string]any{"collectionId": collection, "allDescendants": allDescendants}}}
		if where != nil {
			q["where"] = where
		}
		var orders []any
		for _, f := range orderBy {
			orders = append(orders, map[string]any{"field": map[string]any{"fieldPath": f}, "direction": "ASCENDING"})
		}
		if orders != nil {
			q["orderBy"] = orders
		}
		return map[string]any{"structuredQuery": q}
	}
	partyFields := func(status string) map[string]any {
		return map[string]any{"fields": map[string]any{
			"conferenceId": restString("gamescom2025"), "title": restString("Pirate party"), "status": restString(status),
		}}
	}
	conferenceFields := map[string]any{"fields": map[string]any{"name": restString("Fake Con"), "city": restString("Nowhere")}}
	update := func(path, field, value string) map[string]any {
		return map[string]any{"writes": []any{map[string]any{
			"update":     map[string]any{"name": docs + "/" + path, "fields": map[string]any{field: restString(value)}},
			"updateMask": map[string]any{"fieldPaths": []string{field}},
		}}}
	}
	const (
		ok       = http.StatusOK
		denied   = http.StatusForbidden
		notFound = http.StatusNotFound
		get      = http.MethodGet
		post     = http.MethodPost
		patch    = http.MethodPatch
		del      = http.MethodDelete
		anyCount = -1
		// The adapter's field names (documents.go). If they drift from the
		// rules, the allowed reads below fail.
		statusF   = "status"
		confF     = "conferenceId"
		startF    = "start"
		gamescom  = "gamescom2025"
		statusMsk = "?updateMask.fieldPaths=status"
	)
	return []rulesCase{
		// Single parties: readable once public. A missing party looks like a
		// draft, so probing ids reveals nothing about unpublished parties.
		{"get published party", get, "parties/pub", nil, ok, anyCount},
		{"get cancelled party", get, "parties/cancelled", nil, ok, anyCount},
		{"get draft party", get, "parties/draft", nil, denied, anyCount},
		{"get pending party", get, "parties/pending", nil, denied, anyCount},
		{"get missing party", get, "parties/no-such-party", nil, denied, anyCount},

		// Party queries: allowed only when the query itself limits the
		// status to public ones (rules are not filters).
		{"query public parties of a conference by start", post, ":runQuery",
			query("parties", false, restAnd(restIn(statusF, public), restEq(confF, restString(gamescom))), startF), ok, 2},
		{"query public parties of every conference", post, ":runQuery",
			query("parties", false, restIn(statusF, public)), ok, 3},
		{"query published parties of a conference", post, ":runQuery",
			query("parties", false, restAnd(restEq(statusF, restString("published")), restEq(confF, restString(gamescom)))), ok, 1},
		{"query parties of a conference without status", post, ":runQuery",
			query("parties", false, restEq(confF, restString(gamescom))), denied, anyCount},
		{"query parties including drafts", post, ":runQuery",
			query("parties", false, restIn(statusF, []any{restString("published"), restString("draft")})), denied, anyCount},
		{"query pending parties", post, ":runQuery",
			query("parties", false, restEq(statusF, restString("pending"))), denied, anyCount},
		{"query parties not draft or pending", post, ":runQuery",
			query("parties", false, restNotIn(statusF, []any{restString("draft"), restString("pending")})), denied, anyCount},
		{"list parties", get, "parties", nil, denied, anyCount},
		{"collection group query of parties", post, ":runQuery",
			query("parties", true, restIn(statusF, public)), denied, anyCount},

		// Conferences: public.
		{"get conference", get, "conferences/gamescom2025", nil, ok, anyCount},
		{"get missing conference", get, "conferences/no-such-conference", nil, notFound, anyCount},
		{"list conferences", get, "conferences", nil, ok, 2},
		{"query conferences by first day", post, ":runQuery",
			query("conferences", false, nil, "firstDay"), ok, 2},

		// No client writes.
		{"create party", post, "parties?documentId=new-party", partyFields("published"), denied, anyCount},
		{"create party over existing id", patch, "parties/draft", partyFields("published"), denied, anyCount},
		{"publish draft party", patch, "parties/draft" + statusMsk, partyFields("published"), denied, anyCount},
		{"update published party", patch, "parties/pub", partyFields("published"), denied, anyCount},
		{"cancel published party", patch, "parties/pub" + statusMsk, partyFields("cancelled"), denied, anyCount},
		{"delete published party", del, "parties/pub", nil, denied, anyCount},
		{"delete draft party", del, "parties/draft", nil, denied, anyCount},
		{"batch update party", post, ":commit", update("parties/pub", statusF, "draft"), denied, anyCount},
		{"create conference", post, "conferences?documentId=newconf", conferenceFields, denied, anyCount},
		{"update conference", patch, "conferences/gamescom2025", conferenceFields, denied, anyCount},
		{"delete conference", del, "conferences/gamescom2025", nil, denied, anyCount},

		// The audit trail is for admins, through the API only.
		{"get audit entry", get, "auditLog/" + rulesAuditID[gamescom], nil, denied, anyCount},
		{"list audit entries", get, "auditLog", nil, denied, anyCount},
		{"query audit entries", post, ":runQuery", query("auditLog", false, restEq("actor", restString("admin-1"))), denied, anyCount},
		{"create audit entry", post, "auditLog?documentId=0000000000000003aaaaaaaaaaaaaaaa", conferenceFields, denied, anyCount},
		{"delete audit entry", del, "auditLog/" + rulesAuditID[gamescom], nil, denied, anyCount},

		// A conference's revision and order of changes are the server's:
		// the feed serves what they hold through the API.
		{"get revision", get, "revisions/gamescom2025", nil, denied, anyCount},
		{"list revisions", get, "revisions", nil, denied, anyCount},
		{"get change", get, change, nil, denied, anyCount},
		{"list changes", get, "partyChanges", nil, denied, anyCount},
		{"query changes of a conference", post, ":runQuery", query("partyChanges", false, restEq(confF, restString(gamescom)), "seq"), denied, anyCount},
		{"query tombstones", post, ":runQuery", query("partyChanges", false, restEq("hidden", map[string]any{"booleanValue": true})), denied, anyCount},
		{"create change", post, "partyChanges?documentId=gamescom2025-forged-0000000000000000099", partyFields("published"), denied, anyCount},
		{"raise revision", post, ":commit", update("revisions/gamescom2025", "epoch", "forged"), denied, anyCount},
		{"create revision", patch, "revisions/newconf", conferenceFields, denied, anyCount},
		{"delete change", del, change, nil, denied, anyCount},

		// Every other collection is closed, at any depth.
		{"get users doc", get, "users/user-1", nil, denied, anyCount},
		{"list users", get, "users", nil, denied, anyCount},
		{"get secrets doc", get, "secrets/s1", nil, denied, anyCount},
		{"create users doc", patch, "users/user-1", partyFields("published"), denied, anyCount},
		{"create users subcollection doc", patch, "users/user-1/notes/n1", partyFields("published"), denied, anyCount},
		{"create secrets doc", post, "secrets?documentId=new", partyFields("published"), denied, anyCount},
		{"delete secrets doc", del, "secrets/s1", nil, denied, anyCount},
		{"get party subcollection doc", get, "parties/pub/notes/n0", nil, denied, anyCount},
		{"create party subcollection doc", patch, "parties/pub/notes/n1", partyFields("published"), denied, anyCount},
	}
}

// Firestore REST value and filter builders.
func restString(s string) map[string]any { return map[string]any{"stringValue": s} }

func restFilter(field, op string, value any) map[string]any {
	return map[string]any{"fieldFilter": map[string]any{"field": map[string]any{"fieldPath": field}, "op": op, "value": value}}
}
func restEq(field string, v any) map[string]any { return restFilter(field, "EQUAL", v) }
func restIn(field string, vs []any) map[string]any {
	return restFilter(field, "IN", map[string]any{"arrayValue": map[string]any{"values": vs}})
}
func restNotIn(field string, vs []any) map[string]any {
	return restFilter(field, "NOT_IN", map[string]any{"arrayValue": map[string]any{"values": vs}})
}
func restAnd(fs ...any) map[string]any {
	return map[string]any{"compositeFilter": map[string]any{"op": "AND", "filters": fs}}
}

// rulesEmulatorHost returns the Firestore emulator's address (emulatorHost).
func rulesEmulatorHost(t *testing.T) string {
	t.Helper()
	return emulatorHost(t)
}

// rulesAuditID are the ids of the seeded audit entries.
var rulesAuditID = map[string]string{
	"gamescom2025": "0000000000000001aaaaaaaaaaaaaaaa",
	"devcom2025":   "0000000000000002aaaaaaaaaaaaaaaa",
}

// seedRulesProject writes the documents the cases read through the real
// store, as admin (the Go client on the emulator bypasses the rules), so the
// rules see exactly the fields production documents have. It returns the
// path of a partyChanges document the parties' writes left.
func seedRulesProject(t *testing.T, project string) string {
	t.Helper()
	ctx := t.Context()
	client, err := firestore.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	store := firestore.New(client)

	for _, c := range [][6]string{
		{"gamescom2025", "Gamescom 2025", "Cologne", "Europe/Berlin", "2025-08-19", "2025-08-24"},
		{"devcom2025", "devcom 2025", "Cologne", "Europe/Berlin", "2025-08-17", "2025-08-19"},
	} {
		conf, err := conference.New(c[0], c[1], c[2], c[3], c[4], c[5])
		if err != nil {
			t.Fatal(err)
		}
		// Each with its audit entry, which no client may read.
		entry := audit.New(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), "admin-1", audit.ConferenceCreated, c[0], "")
		entry.ID = rulesAuditID[c[0]]
		entry.After = audit.OfConference(conf)
		actx, pending := audit.WithPending(ctx)
		pending.Set(entry)
		if _, err := store.CreateConference(actx, conf); err != nil {
			t.Fatalf("seed conference %s: %v", c[0], err)
		}
	}
	start := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	for i, p := range []struct {
		id, conference string
		status         party.Status
	}{
		{"pub", "gamescom2025", party.Published},
		{"cancelled", "gamescom2025", party.Cancelled},
		{"draft", "gamescom2025", party.Draft},
		{"pending", "gamescom2025", party.Pending},
		{"devcom-pub", "devcom2025", party.Published},
	} {
		np, err := party.New(party.Party{
			ID: p.id, ConferenceID: p.conference, Title: "Party " + p.id,
			Start: start.Add(time.Duration(i) * time.Hour), Status: p.status,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.CreateParty(ctx, np); err != nil {
			t.Fatalf("seed party %s: %v", p.id, err)
		}
	}
	// Documents outside the store's collections, so denials there are the
	// rules' doing and not a missing document's.
	for path, data := range map[string]map[string]any{
		"users/user-1":         {"name": "Ada"},
		"secrets/s1":           {"key": "hunter2"},
		"parties/pub/notes/n0": {"text": "internal"},
	} {
		if _, err := client.Doc(path).Set(ctx, data); err != nil {
			t.Fatalf("seed %s: %v", path, err)
		}
	}
	changes, err := client.Collection("partyChanges").Limit(1).Documents(ctx).GetAll()
	if err != nil || len(changes) != 1 {
		t.Fatalf("the seeded parties left no change document: %d, %v", len(changes), err)
	}
	return "partyChanges/" + changes[0].Ref.ID
}

// rulesClient makes Firestore REST requests to the emulator for one project.
type rulesClient struct {
	http *http.Client
	base string // http://host:port
	docs string // projects/P/databases/(default)/documents
}

// loadRules puts firestore.rules into the emulator for the project. The
// emulator compiles them and answers 400 with the error for a broken file.
func (r *rulesClient) loadRules(t *testing.T, project string) {
	t.Helper()
	src, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatalf("read rules: %v", err)
	}
	body, err := json.Marshal(map[string]any{"rules": map[string]any{
		"files": []any{map[string]any{"name": "firestore.rules", "content": string(src)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut,
		r.base+"/emulator/v1/projects/"+project+":securityRules", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.http.Do(req)
	if err != nil {
		t.Fatalf("load rules: %v", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("load %s into the emulator: status %d: %s", rulesFile, resp.StatusCode, msg)
	}
}

// do sends one request as the holder of token: "" for an anonymous client,
// "owner" for the emulator's admin, else an ID token. It returns the status
// and body.
func (r *rulesClient) do(t *testing.T, token, method, path string, body any) (int, []byte) {
	t.Helper()
	url := r.base + "/v1/" + r.docs
	if !strings.HasPrefix(path, ":") {
		url += "/"
	}
	url += path
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// countDocuments counts the documents in a list response ({"documents":
// [...]}) or a runQuery response ([{"document": ...}, ...]).
func countDocuments(t *testing.T, body []byte) int {
	t.Helper()
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var rows []struct {
			Document json.RawMessage `json:"document"`
		}
		if err := json.Unmarshal(body, &rows); err != nil {
			t.Fatalf("decode query response: %v: %s", err, body)
		}
		n := 0
		for _, row := range rows {
			if row.Document != nil {
				n++
			}
		}
		return n
	}
	var list struct {
		Documents []json.RawMessage `json:"documents"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatalf("decode list response: %v: %s", err, body)
	}
	return len(list.Documents)
}

// unsignedIDToken returns a Firebase ID token for an anonymous user of the
// project, unsigned (alg none): the emulator accepts such tokens and fills
// request.auth from them, as production does from a verified token.
func unsignedIDToken(project, uid string) string {
	now := time.Now().Unix()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(fmt.Sprintf("encode token part: %v", err))
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	header := enc(map[string]any{"alg": "none", "typ": "JWT"})
	claims := enc(map[string]any{
		"iss":       "https://securetoken.google.com/" + project,
		"aud":       project,
		"sub":       uid,
		"user_id":   uid,
		"iat":       now,
		"exp":       now + 3600,
		"auth_time": now,
		"firebase":  map[string]any{"sign_in_provider": "anonymous", "identities": map[string]any{}},
	})
	return header + "." + claims + "."
}
