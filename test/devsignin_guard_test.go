package blackbox_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// sendAs sends a POST to the server's sign-in with the given Host header
// (nothing resolves it: the connection goes to the server's loopback
// address) and other headers, and checks the response against the
// contract. It is how a browser tab on this machine reaches the local
// server once a name it loaded a page from resolves to 127.0.0.1.
func (s *server) sendAs(t *testing.T, host string, h http.Header, body string) *result {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.base+"/api/dev/signin", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	req.Header.Set("Content-Type", "application/json")
	req.Host = host
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST /api/dev/signin with Host %s: %v", host, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	res := &result{Status: resp.StatusCode, Header: resp.Header, Raw: raw, Body: raw}
	vreq, _ := http.NewRequest(http.MethodPost, s.base+"/api/dev/signin", bytes.NewReader([]byte(body)))
	vreq.Header = req.Header.Clone()
	api.check(t, vreq, res, false)
	return res
}

// TestDevSignInRefusesOtherSites: a web page must not get a token from
// the local server, for any uid, unless it was served from this machine.
// DNS rebinding makes a page from evil.example talk to 127.0.0.1 as its
// own origin (so it could read the answer); a page from anywhere else may
// post to 127.0.0.1 directly; a proxy or tunnel may pass on a request from
// another machine. Each is refused with a problem and no token.
func TestDevSignInRefusesOtherSites(t *testing.T) {
	skipOn(t, "dev sign-in is the local runner's alone (the Cloud Run entry point cannot link it); the functions verify the Auth emulator's tokens, which TestAuthFirebase covers", targetFunctions)
	u, err := url.Parse(shared.base)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	loopback := "127.0.0.1:" + port
	asAdmin := `{"uid":"admin-by-rebinding","roles":["admin"]}`
	tests := []struct {
		name   string
		host   string
		header http.Header
		want   int
	}{
		{"DNS rebinding: Host and Origin of the attacker's name", "evil.example:" + port,
			http.Header{"Origin": {"http://evil.example:" + port}}, http.StatusForbidden},
		{"DNS rebinding: no Origin", "evil.example:" + port, http.Header{}, http.StatusForbidden},
		{"DNS rebinding: a name under localhost", "evil.localhost:" + port, http.Header{}, http.StatusForbidden},
		{"page of another site posting to 127.0.0.1", loopback,
			http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
		{"sandboxed page (Origin null)", loopback, http.Header{"Origin": {"null"}}, http.StatusForbidden},
		{"rebinding through a local dev proxy", loopback,
			http.Header{"Origin": {"http://evil.example:5173"}, "X-Forwarded-Host": {"evil.example:5173"}}, http.StatusForbidden},
		{"proxy: X-Client-IP", loopback, http.Header{"X-Client-Ip": {"203.0.113.9"}}, http.StatusForbidden},
		{"ingress: X-Original-Forwarded-For", loopback, http.Header{"X-Original-Forwarded-For": {"203.0.113.9"}}, http.StatusForbidden},
		{"proxy: Via", loopback, http.Header{"Via": {"1.1 tunnel.example"}}, http.StatusForbidden},

		{"the frontend's dev server on localhost", loopback,
			http.Header{"Origin": {"http://localhost:5173"}}, http.StatusOK},
		{"a page of this server on localhost", "localhost:" + port,
			http.Header{"Origin": {"http://localhost:" + port}}, http.StatusOK},
		{"a client naming [::1]", "[::1]:" + port, http.Header{}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := shared.sendAs(t, tt.host, tt.header, asAdmin)
			wantStatus(t, r, tt.want, "POST /api/dev/signin")
			if tt.want == http.StatusOK {
				tok := decode[struct {
					IDToken string `json:"idToken"`
				}](t, r).IDToken
				wantStatus(t, shared.as(t, user{Token: tok}, http.MethodGet, "/api/me", ""), http.StatusOK, "GET /api/me with the token")
				return
			}
			checkProblem(t, r, http.StatusForbidden, "forbidden", tt.name)
			if strings.Contains(string(r.Body), "idToken") || strings.Contains(string(r.Body), "eyJ") {
				t.Errorf("a refusal carries a token: %s", r.Body)
			}
		})
	}
}
