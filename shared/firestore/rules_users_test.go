package firestore_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/attendee/attendeetest"
	"github.com/partyfinder/partyfinder/shared/firestore"
)

// The users of TestRulesUsers. userC has no document until they create one.
const (
	userA = "user-a"
	userB = "user-b"
	userC = "user-c"
)

// TestRulesUsers checks the attendee part of firestore.rules on the
// emulator, over the REST API the client SDKs use: a signed-in user reads
// their own users/{uid} document, swipes and saves, writes only the profile
// fields and well-formed swipes and saves, and nothing of anyone else's;
// calendar tokens are closed to every client. The cases run in order: the
// allowed writes change what later cases see.
func TestRulesUsers(t *testing.T) {
	host := rulesEmulatorHost(t)
	t.Parallel()
	b := make([]byte, 6)
	rand.Read(b)
	project := "rules-users-" + hex.EncodeToString(b)
	r := &rulesClient{
		http: &http.Client{Timeout: 10 * time.Second},
		base: "http://" + host,
		docs: "projects/" + project + "/databases/(default)/documents",
	}
	r.loadRules(t, project)
	store := seedUsersProject(t, project)
	hashA, hashB := tokenHashFor(userA), tokenHashFor(userB)

	for _, c := range usersRulesCases(hashA, hashB) {
		t.Run(c.name, func(t *testing.T) {
			token := ""
			if c.caller != "" {
				token = unsignedIDToken(project, c.caller)
			}
			status, body := r.do(t, token, c.method, c.path, c.body)
			if status != c.want {
				t.Fatalf("%s as %q %s %s: status %d, want %d; body: %s", c.name, c.caller, c.method, c.path, status, c.want, body)
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

	// What the allowed writes left is what the store reads back, and the
	// denied writes left no trace.
	t.Run("store reads the client's writes", func(t *testing.T) {
		ctx := t.Context()
		p, err := store.Profile(ctx, userA)
		if err != nil || p.DisplayName != "Ada Lövelace 🎮" || p.Persona != attendee.Publisher || p.Visibility != attendee.Public {
			t.Errorf("Profile(A) = %+v, %v; want the fields the client wrote", p, err)
		}
		if p.CreatedAt.IsZero() {
			t.Errorf("Profile(A) lost its server-written CreatedAt")
		}
		swipes, err := store.Swipes(ctx, userA)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]attendee.Action{}
		for _, s := range swipes {
			got[s.PartyID] = s.Action
		}
		want := map[string]attendee.Action{"p1": attendee.Pass, "p2": attendee.Pass, "p9": attendee.Interested}
		if len(got) != len(want) || got["p1"] != want["p1"] || got["p2"] != want["p2"] || got["p9"] != want["p9"] {
			t.Errorf("Swipes(A) = %v, want %v", got, want)
		}
		saves, err := store.Saves(ctx, userA)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range saves {
			ids = append(ids, s.PartyID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, []string{"p1", "p9"}) {
			t.Errorf("Saves(A) = %v, want [p1 p9]", ids)
		}
		p, err = store.Profile(ctx, userC)
		if err != nil || p.DisplayName != "Carol" || p.Visibility != attendee.Private {
			t.Errorf("Profile(C) = %+v, %v; want the profile C created", p, err)
		}
	})
	t.Run("denied writes left no trace", func(t *testing.T) {
		ctx := t.Context()
		for _, tc := range []struct {
			uid, hash string
			gen       int64
		}{{userA, hashA, 1}, {userB, hashB, 1}, {userC, "", 0}} {
			l, err := store.CalendarLink(ctx, tc.uid)
			gen, hash := l.Generation, l.TokenHash
			if err != nil || gen != tc.gen || hash != tc.hash {
				t.Errorf("CalendarToken(%s) = %d, %q, %v; want %d, %q", tc.uid, gen, hash, err, tc.gen, tc.hash)
			}
			if tc.hash != "" {
				if uid, err := store.UserByCalendarToken(ctx, tc.hash); err != nil || uid != tc.uid {
					t.Errorf("UserByCalendarToken(%s's) = %q, %v", tc.uid, uid, err)
				}
			}
		}
		pb, err := store.Profile(ctx, userB)
		if err != nil || pb.DisplayName != "Bob" {
			t.Errorf("Profile(B) = %+v, %v; want it unchanged", pb, err)
		}
		if l, _ := store.Swipes(ctx, userB); len(l) != 2 {
			t.Errorf("Swipes(B) = %d, want the 2 seeded", len(l))
		}
		if l, _ := store.Saves(ctx, userB); len(l) != 2 {
			t.Errorf("Saves(B) = %d, want the 2 seeded", len(l))
		}
		for _, uid := range []string{userA, userC} {
			status, body := r.do(t, "owner", http.MethodGet, "users/"+uid, nil)
			if status != http.StatusOK {
				t.Fatalf("users/%s: status %d: %s", uid, status, body)
			}
			var doc struct {
				Fields map[string]json.RawMessage `json:"fields"`
			}
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"roles", "admin", "createdAtClient"} {
				if _, ok := doc.Fields[f]; ok {
					t.Errorf("users/%s has %q after denied client writes: %s", uid, f, body)
				}
			}
		}
		for _, p := range []string{"calendarTokens/forged", "users/user-a/swipes/bad", "users/user-b/swipes/p9", "users/user-b/saves/p9", "users/user-a/notes/n1"} {
			if status, body := r.do(t, "owner", http.MethodGet, p, nil); status != http.StatusNotFound {
				t.Errorf("%s exists after denied client writes: status %d, body %s", p, status, body)
			}
		}
	})
}

// usersRulesCase is one client request, who makes it ("" for no token), and
// the HTTP status the rules must give it.
type usersRulesCase struct {
	name     string
	caller   string
	method   string
	path     string
	body     any
	want     int
	wantDocs int // documents an allowed read returns; -1 skips the count
}

func usersRulesCases(hashA, hashB string) []usersRulesCase {
	const (
		ok       = http.StatusOK
		denied   = http.StatusForbidden
		get      = http.MethodGet
		post     = http.MethodPost
		patch    = http.MethodPatch
		del      = http.MethodDelete
		anyCount = -1
	)
	ts := map[string]any{"timestampValue": "2025-08-20T18:00:00Z"}
	str := restString
	doc := func(fields map[string]any) map[string]any { return map[string]any{"fields": fields} }
	// mask updates only the named fields, as the SDKs' update() does.
	mask := func(path string, fields ...string) string {
		return path + "?updateMask.fieldPaths=" + strings.Join(fields, "&updateMask.fieldPaths=")
	}
	swipe := func(party, action string) map[string]any {
		return doc(map[string]any{"partyId": str(party), "action": str(action), "at": ts})
	}
	save := func(party string) map[string]any {
		return doc(map[string]any{"partyId": str(party), "at": ts})
	}
	profile := func(name string) map[string]any {
		return doc(map[string]any{
			"displayName": str(name), "company": str("Acme"), "jobTitle": str("Producer"),
			"persona": str("developer"), "visibility": str("attendees"),
		})
	}
	withField := func(d map[string]any, k string, v any) map[string]any {
		fields := map[string]any{}
		for f, x := range d["fields"].(map[string]any) {
			fields[f] = x
		}
		fields[k] = v
		return doc(fields)
	}
	query := func(collection string, allDescendants bool, orderBy string) map[string]any {
		q := map[string]any{"from": []any{map[string]any{"collectionId": collection, "allDescendants": allDescendants}}}
		if orderBy != "" {
			q["orderBy"] = []any{map[string]any{"field": map[string]any{"fieldPath": orderBy}, "direction": "ASCENDING"}}
		}
		return map[string]any{"structuredQuery": q}
	}
	a, b := "users/"+userA, "users/"+userB
	return []usersRulesCase{
		// Reading one's own data.
		{"A gets own profile", userA, get, a, nil, ok, anyCount},
		{"A lists own swipes", userA, get, a + "/swipes", nil, ok, 2},
		{"A gets own swipe", userA, get, a + "/swipes/p1", nil, ok, anyCount},
		{"A lists own saves", userA, get, a + "/saves", nil, ok, 2},
		{"A queries own swipes by time", userA, post, a + ":runQuery", query("swipes", false, "at"), ok, 2},
		{"B gets own profile", userB, get, b, nil, ok, anyCount},

		// Nobody reads another user's data, or lists users.
		{"A gets B's profile", userA, get, b, nil, denied, anyCount},
		{"A lists B's swipes", userA, get, b + "/swipes", nil, denied, anyCount},
		{"A gets B's swipe", userA, get, b + "/swipes/p1", nil, denied, anyCount},
		{"A lists B's saves", userA, get, b + "/saves", nil, denied, anyCount},
		{"A gets B's save", userA, get, b + "/saves/p3", nil, denied, anyCount},
		{"A queries B's swipes", userA, post, b + ":runQuery", query("swipes", false, ""), denied, anyCount},
		{"A lists users", userA, get, "users", nil, denied, anyCount},
		{"A queries every user's swipes", userA, post, ":runQuery", query("swipes", true, ""), denied, anyCount},

		// Anonymous callers see and write nothing.
		{"anonymous gets A's profile", "", get, a, nil, denied, anyCount},
		{"anonymous lists A's swipes", "", get, a + "/swipes", nil, denied, anyCount},
		{"anonymous gets A's save", "", get, a + "/saves/p1", nil, denied, anyCount},
		{"anonymous updates A's name", "", patch, mask(a, "displayName"), doc(map[string]any{"displayName": str("x")}), denied, anyCount},
		{"anonymous writes a swipe for A", "", patch, a + "/swipes/p9", swipe("p9", "like"), denied, anyCount},
		{"anonymous creates a user", "", patch, "users/nobody", profile("Nobody"), denied, anyCount},

		// Calendar tokens are the server's alone.
		{"A gets own calendar token", userA, get, "calendarTokens/" + hashA, nil, denied, anyCount},
		{"B gets A's calendar token", userB, get, "calendarTokens/" + hashA, nil, denied, anyCount},
		{"anonymous gets a calendar token", "", get, "calendarTokens/" + hashB, nil, denied, anyCount},
		{"A lists calendar tokens", userA, get, "calendarTokens", nil, denied, anyCount},
		{"A forges a calendar token", userA, patch, "calendarTokens/forged", doc(map[string]any{"uid": str(userA)}), denied, anyCount},
		{"A deletes own calendar token", userA, del, "calendarTokens/" + hashA, nil, denied, anyCount},

		// Own profile: server fields and bad values are refused.
		{"A sets own calendarTokenHash", userA, patch, mask(a, "calendarTokenHash"), doc(map[string]any{"calendarTokenHash": str("forged")}), denied, anyCount},
		{"A sets own calendarGeneration", userA, patch, mask(a, "calendarGeneration"), doc(map[string]any{"calendarGeneration": map[string]any{"integerValue": "99"}}), denied, anyCount},
		{"A grants self roles", userA, patch, mask(a, "roles"), doc(map[string]any{"roles": map[string]any{"arrayValue": map[string]any{"values": []any{str("admin")}}}}), denied, anyCount},
		{"A sets own createdAt", userA, patch, mask(a, "createdAt"), doc(map[string]any{"createdAt": ts}), denied, anyCount},
		{"A sets a name and roles at once", userA, patch, mask(a, "displayName", "roles"), doc(map[string]any{"displayName": str("Ada"), "roles": str("admin")}), denied, anyCount},
		{"A replaces own doc, dropping server fields", userA, patch, a, profile("Ada"), denied, anyCount},
		{"A sets a name too long", userA, patch, mask(a, "displayName"), doc(map[string]any{"displayName": str(strings.Repeat("x", attendee.MaxProfileText+1))}), denied, anyCount},
		{"A sets a name with a control character", userA, patch, mask(a, "displayName"), doc(map[string]any{"displayName": str("Ada\u0007")}), denied, anyCount},
		{"A sets a number as name", userA, patch, mask(a, "displayName"), doc(map[string]any{"displayName": map[string]any{"integerValue": "7"}}), denied, anyCount},
		{"A sets an unknown persona", userA, patch, mask(a, "persona"), doc(map[string]any{"persona": str("gamer")}), denied, anyCount},
		{"A sets an unknown visibility", userA, patch, mask(a, "visibility"), doc(map[string]any{"visibility": str("everyone")}), denied, anyCount},
		{"A removes own visibility", userA, patch, mask(a, "visibility"), doc(map[string]any{}), denied, anyCount},
		{"A deletes own user document", userA, del, a, nil, denied, anyCount},
		{"A writes B's profile", userA, patch, mask(b, "displayName"), doc(map[string]any{"displayName": str("Hacked")}), denied, anyCount},

		// Own swipes and saves: only well-formed documents.
		{"A swipes with an unknown action", userA, patch, a + "/swipes/bad", swipe("bad", "superlike"), denied, anyCount},
		{"A swipes with a mismatched party", userA, patch, a + "/swipes/bad", swipe("p1", "like"), denied, anyCount},
		{"A swipes with an extra field", userA, patch, a + "/swipes/bad", withField(swipe("bad", "like"), "uid", str(userB)), denied, anyCount},
		{"A swipes with a text time", userA, patch, a + "/swipes/bad", withField(swipe("bad", "like"), "at", str("now")), denied, anyCount},
		{"A swipes without a time", userA, patch, a + "/swipes/bad", doc(map[string]any{"partyId": str("bad"), "action": str("like")}), denied, anyCount},
		{"A saves with an extra field", userA, patch, a + "/saves/bad", withField(save("bad"), "action", str("like")), denied, anyCount},
		{"A swipes with a trace too long", userA, patch, a + "/swipes/bad", withField(swipe("bad", "like"), "trace", str(strings.Repeat("0", 65))), denied, anyCount},
		{"A saves with a number as trace", userA, patch, a + "/saves/bad", withField(save("bad"), "trace", map[string]any{"integerValue": "7"}), denied, anyCount},
		{"A writes a document beside swipes", userA, patch, a + "/notes/n1", save("n1"), denied, anyCount},
		{"A swipes for B", userA, patch, b + "/swipes/p9", swipe("p9", "like"), denied, anyCount},
		{"A saves for B", userA, patch, b + "/saves/p9", save("p9"), denied, anyCount},
		{"A deletes B's save", userA, del, b + "/saves/p3", nil, denied, anyCount},
		{"A deletes B's swipe", userA, del, b + "/swipes/p1", nil, denied, anyCount},

		// Allowed writes to one's own data.
		{"A sets a name of 100 characters, not bytes", userA, patch, mask(a, "displayName"),
			doc(map[string]any{"displayName": str(strings.Repeat("ü", attendee.MaxProfileText))}), ok, anyCount},
		{"A updates own name", userA, patch, mask(a, "displayName"), doc(map[string]any{"displayName": str("Ada Lövelace 🎮")}), ok, anyCount},
		{"A updates own persona and visibility", userA, patch, mask(a, "persona", "visibility"),
			doc(map[string]any{"persona": str("publisher"), "visibility": str("public")}), ok, anyCount},
		{"A creates a swipe", userA, patch, a + "/swipes/p9", swipe("p9", "like"), ok, anyCount},
		{"A replaces a swipe", userA, patch, a + "/swipes/p9", swipe("p9", "interested"), ok, anyCount},
		{"A changes a swipe to pass", userA, patch, a + "/swipes/p1", swipe("p1", "pass"), ok, anyCount},
		{"A creates a save", userA, post, a + "/saves?documentId=p9", save("p9"), ok, anyCount},
		{"A swipes with a trace context", userA, patch, a + "/swipes/p9",
			withField(swipe("p9", "interested"), "trace", str("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")), ok, anyCount},
		{"A deletes own save", userA, del, a + "/saves/p3", nil, ok, anyCount},

		// A new user creates their own document with profile fields only.
		{"C creates own doc with a token hash", userC, patch, "users/" + userC, withField(profile("Carol"), "calendarTokenHash", str("forged")), denied, anyCount},
		{"C creates own doc with roles", userC, patch, "users/" + userC, withField(profile("Carol"), "roles", str("admin")), denied, anyCount},
		{"C creates own doc with createdAt", userC, patch, "users/" + userC, withField(profile("Carol"), "createdAt", ts), denied, anyCount},
		{"C creates own doc without visibility", userC, patch, "users/" + userC, doc(map[string]any{"displayName": str("Carol")}), denied, anyCount},
		{"C creates B's doc", userC, patch, "users/" + userB + "?currentDocument.exists=false", profile("Carol"), denied, anyCount},
		{"C creates own doc", userC, patch, "users/" + userC, doc(map[string]any{"displayName": str("Carol"), "visibility": str("private")}), ok, anyCount},
		{"C reads own doc", userC, get, "users/" + userC, nil, ok, anyCount},
	}
}

// seedUsersProject stores A's and B's data through the real store, as admin,
// so the rules see exactly the documents production has.
func seedUsersProject(t *testing.T, project string) *firestore.Store {
	t.Helper()
	ctx := t.Context()
	client, err := firestore.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	store := firestore.New(client)
	at := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	for uid, name := range map[string]string{userA: "Ada", userB: "Bob"} {
		if _, err := attendeetest.SaveProfile(ctx, store, attendee.Profile{UID: uid, DisplayName: name, Visibility: attendee.Attendees}); err != nil {
			t.Fatal(err)
		}
		for i, sw := range []struct {
			party  string
			action attendee.Action
		}{{"p1", attendee.Like}, {"p2", attendee.Pass}} {
			if _, err := attendeetest.RecordSwipe(ctx, store, attendee.Swipe{UID: uid, PartyID: sw.party, Action: sw.action, At: at.Add(time.Duration(i) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := attendeetest.AddSave(ctx, store, attendee.Save{UID: uid, PartyID: "p3", At: at}); err != nil {
			t.Fatal(err)
		}
		if err := attendeetest.SetToken(ctx, store, uid, 1, tokenHashFor(uid)); err != nil {
			t.Fatal(err)
		}
	}
	return store
}

// tokenHashFor stands for the hash of a user's calendar token.
func tokenHashFor(uid string) string { return "hash-of-" + uid }
