package blackbox_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// endpoint is one attendee operation with a body that is well-formed for it.
type endpoint struct{ method, path, body string }

// attendeeEndpoints lists every operation that acts for a signed-in user;
// partyID is a published party. TestAuthMatrixCoversContract keeps it
// complete.
func attendeeEndpoints(partyID string) []endpoint {
	return []endpoint{
		{http.MethodPost, "/api/swipe", `{"partyId":"` + partyID + `","action":"like"}`},
		{http.MethodGet, "/api/me", ""},
		{http.MethodPatch, "/api/me", `{"displayName":"Mallory"}`},
		{http.MethodDelete, "/api/me", ""},
		{http.MethodGet, "/api/me/export", ""},
		{http.MethodGet, "/api/me/saves", ""},
		{http.MethodPut, "/api/me/saves/" + partyID, ""},
		{http.MethodDelete, "/api/me/saves/" + partyID, ""},
		{http.MethodGet, "/api/me/schedule", ""},
		{http.MethodGet, "/api/me/calendar", ""},
		{http.MethodPost, "/api/me/calendar/rotate", ""},
		{http.MethodGet, "/api/me/changes", ""},
		{http.MethodGet, "/api/me/shares", ""},
		{http.MethodPost, "/api/me/shares", `{"title":"Mallory's"}`},
		{http.MethodDelete, "/api/me/shares/AAAAAAAAAAAAAAAAAAAAAA", ""},
		{http.MethodPost, "/api/me/saves/import", `{"partyIds":["` + partyID + `"]}`},
		{http.MethodGet, "/api/parties/" + partyID + "/stats", ""},
		{http.MethodGet, "/api/analytics/dashboard", ""},
	}
}

// needsToken reports whether an operation is for signed-in callers only:
// it names a security requirement and none of them is empty (an empty
// one lets anonymous callers in).
func needsToken(op *openapi3.Operation) bool {
	if op.Security == nil || len(*op.Security) == 0 {
		return false
	}
	for _, req := range *op.Security {
		if len(req) == 0 {
			return false
		}
	}
	return true
}

// TestAuthMatrixCoversContract fails when the contract gains an operation
// that needs a token but the authorization matrix does not try it.
func TestAuthMatrixCoversContract(t *testing.T) {
	tried := map[string]bool{}
	for _, ep := range append(attendeeEndpoints("some-party"), organizerEndpoints("some-party")...) {
		req, _ := http.NewRequest(ep.method, "http://localhost"+ep.path, nil)
		route, _, err := api.router.FindRoute(req)
		if err != nil {
			t.Errorf("%s %s is not an operation of the contract: %v", ep.method, ep.path, err)
			continue
		}
		if !needsToken(route.Operation) {
			t.Errorf("%s %s: the contract does not say it needs a token", ep.method, ep.path)
		}
		tried[route.Operation.OperationID] = true
	}
	for _, path := range api.doc.Paths.InMatchingOrder() {
		for method, op := range api.doc.Paths.Value(path).Operations() {
			if needsToken(op) && !tried[op.OperationID] {
				t.Errorf("%s %s (%s) needs a token but the authorization matrix does not try it", method, path, op.OperationID)
			}
		}
	}
}

// checkUnauthorized checks a 401 tells the client to sign in and nothing
// about why its token failed. bearer says whether a bearer token was sent.
func checkUnauthorized(t testing.TB, r *result, what string, bearer bool) {
	t.Helper()
	if r.Status != http.StatusUnauthorized {
		t.Errorf("%s: status %d, want 401; body %.300s", what, r.Status, r.Body)
		return
	}
	p := checkProblem(t, r, http.StatusUnauthorized, "unauthorized", what)
	challenge, detail := `Bearer realm="partyfinder"`, "missing bearer token"
	if bearer {
		challenge, detail = `Bearer realm="partyfinder", error="invalid_token"`, "invalid or expired token"
	}
	if got := r.Header.Values("WWW-Authenticate"); len(got) != 1 || got[0] != challenge {
		t.Errorf("%s: WWW-Authenticate %q, want %q", what, got, challenge)
	}
	if p.Detail != detail || len(p.Errors) != 0 {
		t.Errorf("%s: detail %q with errors %+v, want only %q", what, p.Detail, p.Errors, detail)
	}
	checkNoInternals(t, r, what)
}

// issuer signs users in on one server, and forges the tokens an attacker
// could bring to it.
type issuer interface {
	anonymous(t *testing.T) user
	named(t *testing.T) user // a user who can sign in again (again)
	admin(t *testing.T) user // a user whose token grants the admin role
	again(t *testing.T, u user) user
	// forged returns tokens made from named's real token that must be
	// refused, by what is wrong with them, and a control token made the
	// same way with nothing wrong, which must be accepted: so each refusal
	// is for the reason named, not for a mistake in the forging.
	forged(t *testing.T, named user) (bad map[string]string, control string)
}

// commonBadTokens are refused by any server, without a token or with one.
func commonBadTokens() map[string]string {
	return map[string]string{
		"garbage":                "not-a-token",
		"three garbage segments": "a.b.c",
		"a 9 KB token":           strings.Repeat("x", 9<<10),
	}
}

// runAuthSuite runs the security stories against s, whose users iss signs in.
func runAuthSuite(t *testing.T, s *server, iss issuer) {
	ps := partiesOf(t, s).published
	t.Run("refused without a good token", func(t *testing.T) {
		victim := iss.named(t)
		s.save(t, victim, ps[0].ID)
		before := exportSansTime(t, s, victim)
		bad, control := iss.forged(t, victim)
		maps.Copy(bad, commonBadTokens())
		for _, ep := range attendeeEndpoints(ps[1].ID) {
			what := ep.method + " " + ep.path
			body := []byte(ep.body)
			ct := []string{"Content-Type", "application/json"}
			checkUnauthorized(t, s.send(t, ep.method, ep.path, body, ct...), what+" without a token", false)
			checkUnauthorized(t, s.send(t, ep.method, ep.path, body, append(ct, "Authorization", "Basic dXNlcjpwYXNz")...), what+" with Basic credentials", false)
			checkUnauthorized(t, s.send(t, ep.method, ep.path, body, append(ct, "Authorization", "Bearer ")...), what+" with an empty bearer token", false)
			for _, name := range slices.Sorted(maps.Keys(bad)) {
				r := s.send(t, ep.method, ep.path, body, append(ct, "Authorization", "Bearer "+bad[name])...)
				checkUnauthorized(t, r, what+" with a token "+name, true)
			}
		}
		// None of that touched the victim's data.
		if after := exportSansTime(t, s, victim); after != before {
			t.Errorf("refused requests changed the user's data:\nbefore %s\nafter  %s", before, after)
		}
		r := s.as(t, user{Token: control}, http.MethodGet, "/api/me", "")
		wantStatus(t, r, http.StatusOK, "the control token, forged like the refused ones but valid")
		if me := decode[envelope[meJSON]](t, r).Data; me.UID != victim.UID {
			t.Errorf("the control token is user %s, want %s", me.UID, victim.UID)
		}
	})
	t.Run("users see and change only their own data", func(t *testing.T) {
		checkIsolation(t, s, iss, ps)
	})
	t.Run("erasure", func(t *testing.T) {
		u := iss.named(t)
		checkErasure(t, s, func(t *testing.T) user { return iss.again(t, u) }, iss.anonymous(t))
	})
}

// exportSansTime is a user's export without its timestamp, for comparing
// before and after.
func exportSansTime(t *testing.T, s *server, u user) string {
	t.Helper()
	e := s.export(t, u)
	e.ExportedAt = ""
	b, _ := json.Marshal(e)
	return string(b)
}

// checkIsolation gives two users (one anonymous) and an admin their own
// data and checks none of them sees or changes another's through any
// attendee endpoint, nor through the calendar feeds.
func checkIsolation(t *testing.T, s *server, iss issuer, ps []partyJSON) {
	a, b, adm := iss.anonymous(t), iss.named(t), iss.admin(t)
	mark := strings.ToLower(rand.Text()[:10])
	type data struct {
		u       user
		parties []string // saved, in this order chronologically
		passed  string
		secrets []string // what no one else may see
		link    calendarLink
	}
	setUp := func(u user, who string, saved []partyJSON, passed partyJSON) *data {
		d := &data{u: u, parties: ids(saved), passed: passed.ID}
		name, company := who+" "+mark, who+"-corp-"+mark
		wantStatus(t, s.as(t, u, http.MethodPatch, "/api/me", `{"displayName":"`+name+`","company":"`+company+`","visibility":"public"}`), http.StatusOK, "PATCH /api/me")
		s.swipe(t, u, `{"partyId":"`+saved[0].ID+`","action":"like"}`)
		for _, p := range saved[1:] {
			s.save(t, u, p.ID)
		}
		s.swipe(t, u, `{"partyId":"`+passed.ID+`","action":"pass"}`)
		d.link = s.calendarLink(t, u)
		token := strings.TrimSuffix(strings.TrimPrefix(feedPath(t, d.link), "/api/calendar/u/"), ".ics")
		d.secrets = append([]string{u.UID, name, company, passed.ID, token}, d.parties...)
		if u.Email != "" {
			d.secrets = append(d.secrets, u.Email)
		}
		return d
	}
	da := setUp(a, "alice", []partyJSON{ps[2], ps[3]}, ps[4])
	db := setUp(b, "bob", []partyJSON{ps[11], ps[12], ps[13]}, ps[14])

	// reads fetches everything u can read about themselves, by name.
	reads := func(d *data) map[string]*result {
		out := map[string]*result{}
		for _, path := range []string{"/api/me", "/api/me/export", "/api/me/saves", "/api/me/schedule", "/api/me/calendar"} {
			r := s.as(t, d.u, http.MethodGet, path, "")
			wantStatus(t, r, http.StatusOK, "GET "+path)
			out["GET "+path] = r
		}
		if d.link.HTTPS != "" {
			r := s.get(t, feedPath(t, d.link))
			wantStatus(t, r, http.StatusOK, "the personal feed")
			out["the personal feed"] = r
		}
		return out
	}
	noneOf := func(reader string, rs map[string]*result, secrets []string) {
		t.Helper()
		for what, r := range rs {
			for _, sec := range secrets {
				if strings.Contains(string(r.Body), sec) {
					t.Errorf("%s's %s contains %q, which belongs to another user", reader, what, sec)
				}
			}
		}
	}
	own := func(d *data, who string) {
		t.Helper()
		if got := savedIDs(s.saves(t, d.u)); !slices.Equal(got, d.parties) {
			t.Errorf("%s's saves %v, want %v", who, got, d.parties)
		}
		if got := exportedSaves(s.export(t, d.u)); len(got) != len(d.parties) {
			t.Errorf("%s's export saves %v, want %v", who, got, d.parties)
		}
		if sc := s.schedule(t, d.u); sc.Meta.Count != len(d.parties) {
			t.Errorf("%s's schedule has %d parties, want %d", who, sc.Meta.Count, len(d.parties))
		}
		text := s.personalFeed(t, d.link)
		if n := strings.Count(text, "BEGIN:VEVENT\r\n"); n != len(d.parties) {
			t.Errorf("%s's feed has %d events, want %d", who, n, len(d.parties))
		}
		for _, id := range d.parties {
			if !strings.Contains(text, id) {
				t.Errorf("%s's feed lacks their party %s", who, id)
			}
		}
	}
	own(da, "A")
	own(db, "B")
	noneOf("A", reads(da), db.secrets)
	noneOf("B", reads(db), da.secrets)
	if me := s.me(t, a); !me.Anonymous || me.UID != a.UID || me.Email != "" {
		t.Errorf("A (anonymous) is %+v", me)
	}

	admin := &data{u: adm}
	if me := s.me(t, adm); !slices.Contains(me.Roles, "admin") || me.UID == a.UID || me.UID == b.UID {
		t.Fatalf("the admin token gives %+v, want the admin role", me)
	}
	noneOf("the admin", reads(admin), append(slices.Clone(da.secrets), db.secrets...))
	if sv := s.saves(t, adm); len(sv.Data) != 0 {
		t.Errorf("the admin sees saves %v", savedIDs(sv))
	}

	bBefore := exportSansTime(t, s, b)
	// A and the admin try to reach B's data every way a client could: by
	// naming B in parameters, headers and bodies, and by acting on B's parties.
	for _, who := range []struct {
		name string
		u    user
	}{{"A", a}, {"the admin", adm}} {
		u := who.u
		for _, path := range []string{"/api/me/saves?uid=" + b.UID, "/api/me/export?user=" + b.UID, "/api/me?uid=" + b.UID} {
			r := s.asRaw(t, u, http.MethodGet, path, nil)
			if r.Status == http.StatusOK {
				noneOf(who.name, map[string]*result{"GET " + path: r}, db.secrets)
			} else if r.Status != http.StatusBadRequest {
				t.Errorf("%s: GET %s: status %d", who.name, path, r.Status)
			}
		}
		for _, h := range []string{"X-User-Id", "X-Uid", "X-Forwarded-User", "X-Goog-Authenticated-User-Id", "X-Apigateway-Api-Userinfo"} {
			r := s.asRaw(t, u, http.MethodGet, "/api/me/export", nil, h, b.UID)
			wantStatus(t, r, http.StatusOK, "export with "+h)
			noneOf(who.name, map[string]*result{"export with " + h: r}, db.secrets)
		}
		for _, body := range []string{`{"uid":"` + b.UID + `","displayName":"pwned"}`, `{"roles":[]}`, `{"userId":"` + b.UID + `"}`} {
			r := s.asRaw(t, u, http.MethodPatch, "/api/me", []byte(body), "Content-Type", "application/json")
			checkProblem(t, r, http.StatusBadRequest, "invalid", who.name+": PATCH /api/me "+body)
		}
		r := s.asRaw(t, u, http.MethodPost, "/api/swipe", []byte(`{"partyId":"`+db.parties[0]+`","action":"pass","uid":"`+b.UID+`"}`), "Content-Type", "application/json")
		checkProblem(t, r, http.StatusBadRequest, "invalid", who.name+": a swipe naming B")
		r = s.as(t, u, http.MethodDelete, "/api/me/saves/"+db.parties[1], "")
		wantStatus(t, r, http.StatusOK, who.name+": unsaving B's party")
		if decode[struct {
			Removed bool `json:"removed"`
		}](t, r).Removed {
			t.Errorf("%s removed a save of %s it never made", who.name, db.parties[1])
		}
		s.swipe(t, u, `{"partyId":"`+db.parties[0]+`","action":"pass"}`)
		wantStatus(t, s.as(t, u, http.MethodPost, "/api/me/calendar/rotate", ""), http.StatusOK, who.name+": rotating a calendar link")
	}
	// A erases their own data: only theirs.
	wantStatus(t, s.as(t, a, http.MethodDelete, "/api/me", ""), http.StatusOK, "A: DELETE /api/me")

	if after := exportSansTime(t, s, b); after != bBefore {
		t.Errorf("B's data changed through A's and the admin's requests:\nbefore %s\nafter  %s", bBefore, after)
	}
	own(db, "B")
	if got := s.me(t, b).Profile; got.DisplayName != "bob "+mark {
		t.Errorf("B's profile %+v", got)
	}
	noneOf("B", reads(db), da.secrets[1:3]) // A's profile texts
}

// devIssuer signs users in with local dev sign-in and forges tokens with
// the key the server keeps beside its database (as someone who can read
// that file could).
type devIssuer struct{ s *server }

func (d devIssuer) anonymous(t *testing.T) user { return devSignIn(t, d.s, "") }
func (d devIssuer) named(t *testing.T) user {
	return devSignIn(t, d.s, `{"uid":"named-`+strings.ToLower(rand.Text())+`"}`)
}
func (d devIssuer) admin(t *testing.T) user {
	return devSignIn(t, d.s, `{"uid":"admin-`+strings.ToLower(rand.Text())+`","roles":["admin"]}`)
}
func (d devIssuer) again(t *testing.T, u user) user { return devSignIn(t, d.s, `{"uid":"`+u.UID+`"}`) }

func (d devIssuer) forged(t *testing.T, u user) (map[string]string, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(filepath.Dir(d.s.db), "dev-auth.key"))
	if err != nil {
		t.Fatalf("the dev sign-in key beside the database: %v", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("dev sign-in key: %v", err)
	}
	other := make([]byte, len(key))
	_, _ = rand.Read(other)
	header, _, _ := strings.Cut(u.Token, ".")
	sign := func(key []byte, replace map[string]any) string {
		unsigned := header + "." + claimsWith(t, u.Token, replace)
		m := hmac.New(sha256.New, key)
		m.Write([]byte(unsigned))
		return unsigned + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	now := time.Now().Unix()
	parts := strings.Split(u.Token, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	return map[string]string{
		"that expired":                      sign(key, map[string]any{"iat": now - 7200, "exp": now - 3600}),
		"issued in the future":              sign(key, map[string]any{"iat": now + 3600, "exp": now + 7200}),
		"of another issuer":                 sign(key, map[string]any{"iss": "https://securetoken.google.com/demo-party"}),
		"signed with another key":           sign(other, nil),
		"for another uid under the old mac": parts[0] + "." + claimsWith(t, u.Token, map[string]any{"sub": "someone-else"}) + "." + parts[2],
		"unsigned (alg none)":               none + "." + parts[1] + ".",
		"unsigned, of the Auth emulator's shape": none + "." + base64.RawURLEncoding.EncodeToString([]byte(
			`{"iss":"https://securetoken.google.com/demo-party","aud":"demo-party","sub":"`+u.UID+`","user_id":"`+u.UID+`","iat":`+fmt.Sprint(now)+`,"exp":`+fmt.Sprint(now+3600)+`}`)) + ".",
	}, sign(key, map[string]any{"iat": now - 7200, "exp": now + 600})
}

// claimsWith returns the base64url payload of token with claims replaced.
func claimsWith(t *testing.T, token string, replace map[string]any) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("a token of %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	maps.Copy(c, replace)
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestAuthDevSignIn runs the security stories on the server with local dev
// sign-in.
func TestAuthDevSignIn(t *testing.T) {
	skipOn(t, "dev sign-in is the local runner's alone (the Cloud Run entry point cannot link it); the functions verify the Auth emulator's tokens, which TestAuthFirebase covers", targetFunctions)
	runAuthSuite(t, shared, devIssuer{shared})
}

// The second server: the same command, verifying Firebase ID tokens with
// the Auth emulator. Started by the first test that needs it.
var firebaseRun struct {
	once sync.Once
	dir  string
	s    *server
	err  error
}

// firebaseServer returns a server of the target verifying the Auth
// emulator's tokens, and the emulator's address: on the functions target
// the shared one, which verifies them already. Without
// FIREBASE_AUTH_EMULATOR_HOST the test is skipped, unless
// PARTYFINDER_REQUIRE_EMULATORS=1 (scripts/test with every emulator, CI).
func firebaseServer(t *testing.T) (*server, string) {
	t.Helper()
	host := os.Getenv("FIREBASE_AUTH_EMULATOR_HOST")
	if host == "" {
		if os.Getenv("PARTYFINDER_REQUIRE_EMULATORS") == "1" {
			t.Fatal("FIREBASE_AUTH_EMULATOR_HOST is not set but PARTYFINDER_REQUIRE_EMULATORS=1: start the Firebase Auth emulator (scripts/test does)")
		}
		t.Skip("FIREBASE_AUTH_EMULATOR_HOST is not set: the security tests with real Firebase ID tokens are SKIPPED (scripts/test starts the Auth emulator)")
	}
	if shared.firebase {
		return shared, host
	}
	firebaseRun.once.Do(func() {
		resp, err := http.Get("http://" + host + "/")
		if err != nil {
			firebaseRun.err = fmt.Errorf("the Auth emulator at FIREBASE_AUTH_EMULATOR_HOST=%s does not answer: %w", host, err)
			return
		}
		resp.Body.Close()
		if firebaseRun.dir, err = os.MkdirTemp("", "partyfinder-firebase-"); err != nil {
			firebaseRun.err = err
			return
		}
		env := []string{"FIREBASE_AUTH_EMULATOR_HOST=" + host}
		if target == targetRunner {
			env = append(env, "GOOGLE_CLOUD_PROJECT="+emulatorProject)
		}
		firebaseRun.s, firebaseRun.err = startOn(nil, filepath.Join(firebaseRun.dir, "pf.db"), env)
	})
	if firebaseRun.err != nil {
		t.Fatal(firebaseRun.err)
	}
	return firebaseRun.s, host
}

// stopFirebaseServer stops the server on the Auth emulator if a test
// started it, printing its output when the run failed.
func stopFirebaseServer(failed bool) error {
	if firebaseRun.s == nil {
		return nil
	}
	defer os.RemoveAll(firebaseRun.dir)
	err := firebaseRun.s.stop()
	if failed || err != nil {
		fmt.Fprintf(os.Stderr, "blackbox: output of the server on the Auth emulator:\n%s\n", firebaseRun.s.output())
	}
	return err
}

// emulatorProject is the project the Auth emulator runs (scripts/test).
const emulatorProject = "demo-party"

// firebaseIssuer signs users in on the Auth emulator through its REST API,
// as the Firebase client SDK does, and forges tokens of its shape: the
// emulator's tokens are unsigned, so a forged one differs from a real one
// only in the claims changed.
type firebaseIssuer struct {
	host string
	dev  *server // a server with local dev sign-in, for a token of the wrong kind
}

// emulator calls the emulator's REST API; admin calls carry its owner credential.
func (f firebaseIssuer) emulator(t testing.TB, path string, body any, admin bool) map[string]any {
	t.Helper()
	status, out, raw := f.call(t, path, body, admin)
	if status != http.StatusOK {
		t.Fatalf("Auth emulator %s: %d: %s", path, status, raw)
	}
	return out
}

// call is emulator without failing on an error answer.
func (f firebaseIssuer) call(t testing.TB, path string, body any, admin bool) (int, map[string]any, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, "http://"+f.host+"/identitytoolkit.googleapis.com/v1/"+path+"?key=fake-api-key", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if admin {
		req.Header.Set("Authorization", "Bearer owner")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("Auth emulator %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("Auth emulator %s: %s: %v: %s", path, resp.Status, err, raw)
	}
	return resp.StatusCode, out, raw
}

// as signs in the user uid with roles as their custom claims, set as an
// admin tool sets them (accounts:update, the Admin SDK's
// SetCustomUserClaims) on the user, who is made on first use; the token
// comes from a custom-token sign-in, as an app's backend hands its users
// one. Custom claims are the only place roles come from.
func (f firebaseIssuer) as(t testing.TB, uid string, roles []string) user {
	t.Helper()
	claims := map[string]bool{}
	for _, r := range roles {
		claims[r] = true
	}
	attrs, _ := json.Marshal(claims)
	update := map[string]any{"localId": uid, "customAttributes": string(attrs)}
	status, _, raw := f.call(t, "projects/"+emulatorProject+"/accounts:update", update, true)
	if status != http.StatusOK {
		if !strings.Contains(string(raw), "USER_NOT_FOUND") {
			t.Fatalf("Auth emulator: setting %s's claims: %d: %s", uid, status, raw)
		}
		// A new user. Another sign-in of the same uid may make it first.
		if status, _, raw := f.call(t, "projects/"+emulatorProject+"/accounts", map[string]any{"localId": uid}, true); status != http.StatusOK &&
			!strings.Contains(string(raw), "DUPLICATE_LOCAL_ID") {
			t.Fatalf("Auth emulator: creating %s: %d: %s", uid, status, raw)
		}
		f.emulator(t, "projects/"+emulatorProject+"/accounts:update", update, true)
	}
	// The Admin SDK's custom token, as it mints one for an emulator:
	// unsigned, for the Identity Toolkit audience.
	enc := base64.RawURLEncoding.EncodeToString
	now := time.Now().Unix()
	custom := enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(fmt.Appendf(nil,
		`{"aud":"https://identitytoolkit.googleapis.com/google.identity.identitytoolkit.v1.IdentityToolkit","iss":"firebase-adminsdk@%[1]s.iam.gserviceaccount.com","sub":"firebase-adminsdk@%[1]s.iam.gserviceaccount.com","uid":%[2]q,"iat":%[3]d,"exp":%[4]d}`,
		emulatorProject, uid, now, now+3600)) + "."
	out := f.emulator(t, "accounts:signInWithCustomToken", map[string]any{"token": custom, "returnSecureToken": true}, false)
	return user{UID: uid, Token: out["idToken"].(string)}
}

// emulatorSignIn is signIn on a server verifying the Auth emulator's
// tokens: body "" or "{}" signs up an anonymous user, as the Firebase
// client SDK does; else the user it names, with its roles as custom claims.
func emulatorSignIn(t testing.TB, s *server, body string) user {
	t.Helper()
	if s.project != "" && s.project != emulatorProject {
		t.Fatalf("the server is of project %s, but the Auth emulator issues tokens for %s alone", s.project, emulatorProject)
	}
	f := firebaseIssuer{host: os.Getenv("FIREBASE_AUTH_EMULATOR_HOST")}
	var who struct {
		UID   string   `json:"uid"`
		Roles []string `json:"roles"`
	}
	if body != "" {
		if err := json.Unmarshal([]byte(body), &who); err != nil {
			t.Fatalf("sign-in %s: %v", body, err)
		}
	}
	if who.UID == "" && len(who.Roles) == 0 {
		out := f.emulator(t, "accounts:signUp", map[string]any{"returnSecureToken": true}, false)
		return user{UID: out["localId"].(string), Token: out["idToken"].(string)}
	}
	if who.UID == "" {
		who.UID = "user-" + strings.ToLower(rand.Text())
	}
	return f.as(t, who.UID, who.Roles)
}

func (f firebaseIssuer) anonymous(t *testing.T) user {
	t.Helper()
	out := f.emulator(t, "accounts:signUp", map[string]any{"returnSecureToken": true}, false)
	return user{UID: out["localId"].(string), Token: out["idToken"].(string)}
}

func (f firebaseIssuer) named(t *testing.T) user {
	u := user{Email: "guest-" + strings.ToLower(rand.Text()) + "@example.com", password: "party-" + rand.Text()}
	out := f.emulator(t, "accounts:signUp", map[string]any{"email": u.Email, "password": u.password, "returnSecureToken": true}, false)
	u.UID, u.Token = out["localId"].(string), out["idToken"].(string)
	return u
}

func (f firebaseIssuer) again(t *testing.T, u user) user {
	if u.Email == "" {
		t.Fatal("only a user with a password signs in again")
	}
	out := f.emulator(t, "accounts:signInWithPassword", map[string]any{"email": u.Email, "password": u.password, "returnSecureToken": true}, false)
	u.Token = out["idToken"].(string)
	return u
}

// admin grants the role as a console or admin tool does (custom claims),
// then signs in again for a token that carries it.
func (f firebaseIssuer) admin(t *testing.T) user {
	u := f.named(t)
	f.emulator(t, "projects/"+emulatorProject+"/accounts:update", map[string]any{"localId": u.UID, "customAttributes": `{"admin":true}`}, true)
	u = f.again(t, u)
	if c := claimsOf(t, u.Token); c["admin"] != true {
		t.Fatalf("the emulator's token after setting the claim has no admin claim: %v", c)
	}
	return u
}

func (f firebaseIssuer) forged(t *testing.T, u user) (map[string]string, string) {
	t.Helper()
	// The emulator refuses tokens issued before the user's "valid since"
	// (set at sign-up) as revoked: accept any issue time, so that the
	// forged tokens below fail only for what is named.
	f.emulator(t, "projects/"+emulatorProject+"/accounts:update", map[string]any{"localId": u.UID, "validSince": "1"}, true)
	now := time.Now().Unix()
	header, _, _ := strings.Cut(u.Token, ".")
	craft := func(replace map[string]any) string { return header + "." + claimsWith(t, u.Token, replace) + "." }
	other := "demo-other"
	return map[string]string{
		"that expired":                    craft(map[string]any{"iat": now - 7200, "exp": now - 3600, "auth_time": now - 7200}),
		"issued in the future":            craft(map[string]any{"iat": now + 3600, "exp": now + 7200}),
		"of another project":              craft(map[string]any{"aud": other, "iss": "https://securetoken.google.com/" + other}),
		"with another project's audience": craft(map[string]any{"aud": other}),
		"of another project's issuer":     craft(map[string]any{"iss": "https://securetoken.google.com/" + other}),
		"of a user that does not exist":   craft(map[string]any{"sub": "no-such-user", "user_id": "no-such-user"}),
		"of local dev sign-in":            devSignIn(t, f.dev, `{"uid":"`+u.UID+`"}`).Token,
	}, craft(map[string]any{"iat": now - 7200, "exp": now + 600, "auth_time": now - 7200})
}

// claimsOf decodes a token's payload.
func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(claimsWith(t, token, nil))
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	_ = json.Unmarshal(raw, &c)
	return c
}

// TestAuthFirebase runs the security stories on a second server that
// verifies Firebase ID tokens with the Auth emulator, as deployed functions
// verify them with Firebase.
func TestAuthFirebase(t *testing.T) {
	s, host := firebaseServer(t)
	if !s.firebase {
		t.Fatalf("the server does not verify Firebase tokens; output:\n%s", s.output())
	}
	// Local dev sign-in does not exist where Firebase signs users in:
	// behind Hosting no rewrite even leads there.
	body := []byte(`{"uid":"x","roles":["admin"]}`)
	if s.reaches("/api/dev/signin") {
		checkProblem(t, s.send(t, http.MethodPost, "/api/dev/signin", body, "Content-Type", "application/json"),
			http.StatusNotFound, "not_found", "dev sign-in on the Firebase server")
	} else if r := hostingAnswer(t, s, http.MethodPost, "/api/dev/signin", body); r.Status != http.StatusNotFound {
		t.Errorf("dev sign-in behind Hosting: status %d, want Hosting's 404", r.Status)
	}
	// A server with dev sign-in, for tokens of the wrong kind.
	dev := shared
	if dev.firebase {
		var err error
		if dev, err = startServerEnv(filepath.Join(t.TempDir(), "dev.db"), nil); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = dev.stop() })
	}
	iss := firebaseIssuer{host: host, dev: dev}
	// An emulator token is worthless on the server with dev sign-in.
	checkUnauthorized(t, dev.asRaw(t, iss.anonymous(t), http.MethodGet, "/api/me", nil), "an Auth emulator token on the dev sign-in server", true)
	runAuthSuite(t, s, iss)
}

// TestAuthUnavailable checks that when tokens cannot be checked (the Auth
// backend is unreachable) the answer is 503, which clients retry, not 401,
// which signs the user out; and that a token that cannot be good is still
// refused with 401.
func TestAuthUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	env := []string{"FIREBASE_AUTH_EMULATOR_HOST=" + closed}
	if target == targetRunner {
		env = append(env, "GOOGLE_CLOUD_PROJECT="+emulatorProject)
	}
	s := start(t, filepath.Join(t.TempDir(), "pf.db"), env...)
	project := s.project
	if project == "" {
		project = emulatorProject
	}
	now := time.Now().Unix()
	enc := base64.RawURLEncoding.EncodeToString
	token := enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(fmt.Sprintf(
		`{"iss":"https://securetoken.google.com/%[1]s","aud":"%[1]s","sub":"u1","user_id":"u1","auth_time":%[2]d,"iat":%[2]d,"exp":%[3]d,"firebase":{"identities":{},"sign_in_provider":"anonymous"}}`,
		project, now, now+3600))) + "."
	for _, ep := range attendeeEndpoints(partiesOf(t, s).published[0].ID) {
		checkUnauthorized(t, s.send(t, ep.method, ep.path, []byte(ep.body), "Content-Type", "application/json", "Authorization", "Bearer a.b.c"),
			ep.method+" "+ep.path+" with a garbage token while tokens cannot be checked", true)
		checkUnauthorized(t, s.send(t, ep.method, ep.path, []byte(ep.body), "Content-Type", "application/json"),
			ep.method+" "+ep.path+" without a token while tokens cannot be checked", false)
	}
	// A 503 may take up to the verifier's bound on reaching the backend:
	// one operation of each function, side by side.
	for _, ep := range []endpoint{{http.MethodGet, "/api/me", ""}, {http.MethodPost, "/api/swipe", `{"partyId":"x","action":"like"}`}} {
		t.Run(ep.method+" "+ep.path, func(t *testing.T) {
			t.Parallel()
			what := ep.method + " " + ep.path + " while tokens cannot be checked"
			r := s.send(t, ep.method, ep.path, []byte(ep.body), "Content-Type", "application/json", "Authorization", "Bearer "+token)
			p := checkProblem(t, r, http.StatusServiceUnavailable, "unavailable", what)
			if r.Header.Get("Retry-After") == "" || r.Header.Get("WWW-Authenticate") != "" || p.Detail != "sign-in is temporarily unavailable" {
				t.Errorf("%s: Retry-After %q, WWW-Authenticate %q, detail %q", what, r.Header.Get("Retry-After"), r.Header.Get("WWW-Authenticate"), p.Detail)
			}
			checkNoInternals(t, r, what)
		})
	}
}

// TestAttendeePreflight checks a browser on another allowed origin (the
// frontend's dev server) can call the attendee endpoints: its preflight,
// which never carries credentials, must succeed.
func TestAttendeePreflight(t *testing.T) {
	const dev = "http://localhost:5173"
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/api/swipe"},
		{http.MethodPatch, "/api/me"},
		{http.MethodDelete, "/api/me"},
		{http.MethodPut, "/api/me/saves/some-party"},
		{http.MethodGet, "/api/me/schedule"},
	} {
		r := shared.send(t, http.MethodOptions, tc.path, nil,
			"Origin", dev, "Access-Control-Request-Method", tc.method, "Access-Control-Request-Headers", "authorization, content-type")
		if r.Status != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != dev ||
			!hasHeaderValue(r.Header, "Access-Control-Allow-Methods", tc.method) ||
			!hasHeaderValue(r.Header, "Access-Control-Allow-Headers", "Authorization") {
			t.Errorf("preflight of %s %s: status %d, headers %v; a browser would refuse the request", tc.method, tc.path, r.Status, r.Header)
		}
	}
	// The 401 itself is readable cross-origin, so the frontend can react.
	r := shared.send(t, http.MethodGet, "/api/me", nil, "Origin", dev)
	if r.Status != http.StatusUnauthorized || r.Header.Get("Access-Control-Allow-Origin") != dev {
		t.Errorf("GET /api/me from %s without a token: status %d, Access-Control-Allow-Origin %q", dev, r.Status, r.Header.Get("Access-Control-Allow-Origin"))
	}
}
