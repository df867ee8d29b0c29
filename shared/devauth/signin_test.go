package devauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/shared/devauth"
	"github.com/partyfinder/partyfinder/shared/identity"
)

func signIn(t *testing.T, h http.Handler, method, remote, body string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, devauth.SignInPath, nil)
	} else {
		req = httptest.NewRequest(method, devauth.SignInPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.RemoteAddr = remote
	// As a browser or curl on this machine addresses the local runner;
	// httptest's default would be example.com. A "Host" entry replaces it.
	req.Host = "127.0.0.1:8080"
	for k, vs := range header {
		if k == "Host" {
			req.Host = vs[0]
			continue
		}
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestSignIn(t *testing.T) {
	a := newAuth(t)
	h := a.SignInHandler()
	tests := []struct {
		name      string
		body      string
		wantUID   string // "" means a new random one
		wantAnon  bool
		wantRoles []identity.Role
	}{
		{"no body: anonymous", "", "", true, nil},
		{"empty object: anonymous", "{}", "", true, nil},
		{"roles without uid: anonymous with roles", `{"roles":["admin"]}`, "", true, []identity.Role{identity.Admin}},
		{"named user", `{"uid":"alice"}`, "alice", false, nil},
		{"named organizer", `{"uid":"org-1","roles":["organizer"]}`, "org-1", false, []identity.Role{identity.Organizer}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := signIn(t, h, "POST", "127.0.0.1:53124", tt.body, nil)
			if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("status %d %s: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			var resp map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			tok, _ := resp["idToken"].(string)
			uid, _ := resp["uid"].(string)
			if resp["expiresIn"] != "86400" || len(resp) != 3 {
				t.Errorf("response %v: want idToken, uid and expiresIn \"86400\"", resp)
			}
			if tt.wantUID != "" && uid != tt.wantUID {
				t.Errorf("uid = %q, want %q", uid, tt.wantUID)
			}
			if tt.wantUID == "" {
				if len(uid) < 20 || seen[uid] {
					t.Errorf("random uid %q is short or repeated", uid)
				}
				seen[uid] = true
			}
			id, err := a.Verify(context.Background(), tok)
			if err != nil {
				t.Fatal(err)
			}
			if id.UID != uid || id.Anonymous != tt.wantAnon || !slices.Equal(id.Roles, tt.wantRoles) {
				t.Errorf("token identity %+v, want uid %s anonymous %t roles %v", id, uid, tt.wantAnon, tt.wantRoles)
			}
		})
	}
}

func TestSignInOnlyFromThisMachine(t *testing.T) {
	h := newAuth(t).SignInHandler()
	tests := []struct {
		name   string
		remote string
		header http.Header
		want   int
	}{
		{"IPv4 loopback", "127.0.0.1:40000", nil, 200},
		{"IPv6 loopback", "[::1]:40000", nil, 200},
		{"other loopback address", "127.8.9.10:40000", nil, 200},
		{"forwarded by a local proxy for a local client", "127.0.0.1:40000", http.Header{"X-Forwarded-For": {"127.0.0.1, ::1"}}, 200},
		{"LAN client", "192.168.1.20:40000", nil, 403},
		{"public client", "203.0.113.9:40000", nil, 403},
		{"IPv6 client", "[2001:db8::1]:40000", nil, 403},
		{"unspecified", "0.0.0.0:40000", nil, 403},
		{"no address", "", nil, 403},
		{"address without port", "127.0.0.1", nil, 403},
		{"tunnel: X-Forwarded-For", "127.0.0.1:40000", http.Header{"X-Forwarded-For": {"203.0.113.9"}}, 403},
		{"tunnel: second X-Forwarded-For hop", "127.0.0.1:40000", http.Header{"X-Forwarded-For": {"127.0.0.1, 203.0.113.9"}}, 403},
		{"tunnel: garbage X-Forwarded-For", "127.0.0.1:40000", http.Header{"X-Forwarded-For": {"unknown"}}, 403},
		{"tunnel: Cloudflare", "127.0.0.1:40000", http.Header{"Cf-Connecting-Ip": {"203.0.113.9"}}, 403},
		{"proxy: X-Real-IP", "[::1]:40000", http.Header{"X-Real-Ip": {"192.168.1.20"}}, 403},
		{"proxy: Forwarded", "127.0.0.1:40000", http.Header{"Forwarded": {`for="[2001:db8::1]:4711";proto=https`}}, 403},
		{"proxy: Forwarded, obfuscated", "127.0.0.1:40000", http.Header{"Forwarded": {"for=_hidden"}}, 403},
		{"proxy: Forwarded for a local client", "127.0.0.1:40000", http.Header{"Forwarded": {"proto=http;for=127.0.0.1"}}, 200},
		{"proxy: X-Client-IP", "127.0.0.1:40000", http.Header{"X-Client-Ip": {"203.0.113.9"}}, 403},
		{"proxy: X-Client-IP for a local client", "127.0.0.1:40000", http.Header{"X-Client-Ip": {"127.0.0.1"}}, 200},
		{"ingress: X-Original-Forwarded-For", "127.0.0.1:40000", http.Header{"X-Original-Forwarded-For": {"203.0.113.9, 10.0.0.1"}}, 403},
		{"proxy: Via", "127.0.0.1:40000", http.Header{"Via": {"1.1 tunnel.example"}}, 403},
		// Via names the proxy, never its client: a local one proves nothing.
		{"proxy: Via a local proxy", "127.0.0.1:40000", http.Header{"Via": {"1.1 127.0.0.1:3000"}}, 403},
		{"proxy: Via with a local X-Forwarded-For", "127.0.0.1:40000", http.Header{"Via": {"1.1 caddy"}, "X-Forwarded-For": {"127.0.0.1"}}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := signIn(t, h, "POST", tt.remote, "", tt.header)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want == 403 && (strings.Contains(rec.Body.String(), "idToken") || rec.Header().Get("Content-Type") != "application/problem+json") {
				t.Errorf("refusal is not a plain problem: %s", rec.Body)
			}
		})
	}
}

func TestSignInBadRequests(t *testing.T) {
	h := newAuth(t).SignInHandler()
	tests := []struct {
		name   string
		method string
		remote string
		body   string
		want   int
		field  string
	}{
		{"GET", "GET", "127.0.0.1:1", "", 405, ""},
		{"GET from afar is refused before anything else", "GET", "203.0.113.9:1", "", 403, ""},
		{"unknown role", "POST", "127.0.0.1:1", `{"roles":["superuser"]}`, 400, "roles"},
		{"uid with a space", "POST", "127.0.0.1:1", `{"uid":"a b"}`, 400, "uid"},
		{"unknown field", "POST", "127.0.0.1:1", `{"uid":"a","admin":true}`, 400, "admin"},
		{"not JSON", "POST", "127.0.0.1:1", `uid=alice`, 400, "body"},
		{"roles not a list", "POST", "127.0.0.1:1", `{"roles":"admin"}`, 400, "roles"},
		{"oversized", "POST", "127.0.0.1:1", `{"uid":"` + strings.Repeat("a", 5000) + `"}`, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := signIn(t, h, tt.method, tt.remote, tt.body, nil)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
			}
			if tt.field != "" {
				var p struct {
					Errors []struct{ Field string } `json:"errors"`
				}
				_ = json.Unmarshal(rec.Body.Bytes(), &p)
				if len(p.Errors) != 1 || p.Errors[0].Field != tt.field {
					t.Errorf("field errors %+v, want one on %s: %s", p.Errors, tt.field, rec.Body)
				}
			}
		})
	}
}

// DNS rebinding: a page from evil.example, whose name the attacker then
// points at 127.0.0.1, reaches the local runner from a loopback address as
// its own origin, so the browser would let it read the token. Only requests
// addressed to this machine by a name no one else can answer for, and only
// pages served from this machine, may sign in.
func TestSignInOnlyForLocalPages(t *testing.T) {
	h := newAuth(t).SignInHandler()
	tests := []struct {
		name   string
		header http.Header
		want   int
	}{
		{"curl to 127.0.0.1", http.Header{"Host": {"127.0.0.1:8080"}}, 200},
		{"curl to localhost", http.Header{"Host": {"localhost:8080"}}, 200},
		{"localhost in capitals", http.Header{"Host": {"LOCALHOST:8080"}}, 200},
		{"localhost without a port", http.Header{"Host": {"localhost"}}, 200},
		{"IPv6 loopback", http.Header{"Host": {"[::1]:8080"}}, 200},
		{"IPv6 loopback without a port", http.Header{"Host": {"[::1]"}}, 200},
		{"other IPv4 loopback address", http.Header{"Host": {"127.0.0.2:8080"}}, 200},
		{"frontend dev server on localhost", http.Header{"Host": {"127.0.0.1:8080"}, "Origin": {"http://localhost:5173"}}, 200},
		{"frontend over https on localhost", http.Header{"Host": {"localhost:8080"}, "Origin": {"https://localhost:5173"}}, 200},
		{"page served by this server", http.Header{"Host": {"127.0.0.1:8080"}, "Origin": {"http://127.0.0.1:8080"}}, 200},
		{"page on IPv6 loopback", http.Header{"Host": {"[::1]:8080"}, "Origin": {"http://[::1]:3000"}}, 200},
		{"page on localhost without a port", http.Header{"Host": {"localhost:8080"}, "Origin": {"http://localhost"}}, 200},
		{"local proxy naming a local host", http.Header{"Host": {"127.0.0.1:8080"}, "X-Forwarded-Host": {"localhost:5173"}}, 200},
		{"two local proxies naming local hosts", http.Header{"Host": {"127.0.0.1:8080"}, "X-Forwarded-Host": {"localhost:5173, 127.0.0.1:3000"}}, 200},

		{"rebinding: Host and Origin", http.Header{"Host": {"evil.example:8080"}, "Origin": {"http://evil.example:8080"}}, 403},
		{"rebinding: Host only", http.Header{"Host": {"evil.example:8080"}}, 403},
		{"rebinding: Host without a port", http.Header{"Host": {"evil.example"}}, 403},
		{"rebinding: localhost look-alike", http.Header{"Host": {"localhost.evil.example:8080"}}, 403},
		{"rebinding: subdomain of localhost", http.Header{"Host": {"app.localhost:8080"}}, 403},
		{"rebinding: name embedding a loopback address", http.Header{"Host": {"127.0.0.1.nip.io:8080"}}, 403},
		{"LAN address", http.Header{"Host": {"192.168.1.20:8080"}}, 403},
		{"unspecified address", http.Header{"Host": {"0.0.0.0:8080"}}, 403},
		{"no Host", http.Header{"Host": {""}}, 403},
		{"port that is not a number", http.Header{"Host": {"localhost:http"}}, 403},
		{"IPv6 loopback with a zone", http.Header{"Host": {"[::1%25lo]:8080"}}, 403},
		{"rebinding through a local proxy: X-Forwarded-Host", http.Header{"Host": {"127.0.0.1:8080"}, "X-Forwarded-Host": {"evil.example:5173"}}, 403},
		{"rebinding through two local proxies", http.Header{"Host": {"127.0.0.1:8080"}, "X-Forwarded-Host": {"localhost:3000, evil.example:5173"}}, 403},

		{"cross-site page", http.Header{"Host": {"127.0.0.1:8080"}, "Origin": {"https://evil.example"}}, 403},
		{"rebinding through a local proxy: Origin", http.Header{"Host": {"127.0.0.1:8080"}, "Origin": {"http://evil.example:5173"}}, 403},
		{"origin null (sandboxed frame, data: URL)", http.Header{"Host": {"127.0.0.1:8080"}, "Origin": {"null"}}, 403},
		{"origin look-alike", http.Header{"Host": {"127.0.0.1:8080"}, "Origin": {"http://localhost.evil.example:8080"}}, 403},
		{"origin subdomain of localhost", http.Header{"Host": {"127.0.0.1:8080"}, "Origin": {"http://app.localhost:5173"}}, 403},
		{"origin of another scheme", http.Header{"Host": {"127.0.0.1:8080"}, "Origin": {"chrome-extension://abcdef"}}, 403},
		{"origin with a path", http.Header{"Host": {"127.0.0.1:8080"}, "Origin": {"http://localhost:5173/app"}}, 403},
		{"origin with user info", http.Header{"Host": {"127.0.0.1:8080"}, "Origin": {"http://evil@localhost:5173"}}, 403},
		{"empty origin", http.Header{"Host": {"127.0.0.1:8080"}, "Origin": {""}}, 403},
		{"one local and one foreign origin", http.Header{"Host": {"127.0.0.1:8080"}, "Origin": {"http://localhost:5173", "https://evil.example"}}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := signIn(t, h, "POST", "127.0.0.1:40000", `{"uid":"admin-1","roles":["admin"]}`, tt.header)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want == 403 && (strings.Contains(rec.Body.String(), "idToken") || rec.Header().Get("Content-Type") != "application/problem+json") {
				t.Errorf("refusal is not a plain problem: %s", rec.Body)
			}
		})
	}
}
