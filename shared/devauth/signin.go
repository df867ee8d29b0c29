package devauth

import (
	"crypto/rand"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// SignInPath is where the local runner mounts the sign-in handler.
const SignInPath = "/api/dev/signin"

// SignInRequest is the optional body of a sign-in: both fields may be left
// out. Without a uid a new random one is made and the user is anonymous,
// like Firebase's anonymous sign-in; with one, the caller signs in as that
// user, so a developer can come back as the same user or try another.
type SignInRequest struct {
	UID   string          `json:"uid"`
	Roles []identity.Role `json:"roles"`
}

// SignInResponse is the sign-in answer, shaped like Firebase's REST sign-up
// response: expiresIn is a string of seconds.
type SignInResponse struct {
	IDToken   string `json:"idToken"`
	UID       string `json:"uid"`
	ExpiresIn string `json:"expiresIn"`
}

// maxSignInBody bounds the request body.
const maxSignInBody = 4 << 10

// SignInHandler returns the handler of POST SignInPath. It answers 403
// (a problem, no token) to every request that may come from elsewhere than
// a developer on this machine (see refusal). Roles are granted as asked:
// that is the point of a dev sign-in, and why it stays local.
func (a *Auth) SignInHandler() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodPost, SignInPath, a.signIn)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if why := refusal(r); why != "" {
			httpapi.Error(w, r, apperr.New(apperr.Forbidden, "%s", why))
			return
		}
		rt.ServeHTTP(w, r)
	})
}

// refusal returns why r may not sign in, or "" when it may. Three kinds
// of request are refused:
//   - from another machine: a RemoteAddr other than loopback, or a loopback
//     one that a proxy or tunnel (ngrok, cloudflared, a dev server proxy)
//     says it passed on from elsewhere;
//   - addressed to a name other than localhost or a loopback address (Host,
//     and X-Forwarded-Host from a local proxy). That is DNS rebinding: a
//     page from evil.example, whose name the attacker then points at
//     127.0.0.1, reaches this server from a browser on this machine, and
//     as its own origin, so the browser would let it read the token;
//   - sent by a page not served from this machine (Origin). CORS would keep
//     such a page from reading the answer, but no token is minted for it.
//
// Only sign-in is held to the Host and Origin rules, not the other routes
// that accept dev tokens: a token is a bearer header that a page must add
// itself, never a cookie the browser adds, and a rebinding page runs in its
// own origin (evil.example:8080, not localhost:5173 or 127.0.0.1:8080),
// so it cannot read a token the developer's frontend keeps, and it can no
// longer mint one here. The public reads it can make are public anyway.
// Holding every route to them would break reaching the local API through
// a proxy or tunnel by another name, for nothing.
func refusal(r *http.Request) string {
	if !local(r) {
		return "dev sign-in answers only requests from this machine"
	}
	if !loopbackAuthority(r.Host) {
		return "dev sign-in answers only requests addressed to localhost or a loopback address (Host)"
	}
	for _, v := range r.Header.Values("X-Forwarded-Host") {
		for _, h := range strings.Split(v, ",") {
			if !loopbackAuthority(strings.TrimSpace(h)) {
				return "dev sign-in answers only requests addressed to localhost or a loopback address (X-Forwarded-Host)"
			}
		}
	}
	for _, o := range r.Header.Values("Origin") {
		if !localOrigin(o) {
			return "dev sign-in answers only pages served from localhost or a loopback address (Origin)"
		}
	}
	return ""
}

func (a *Auth) signIn(w http.ResponseWriter, r *http.Request) {
	var req SignInRequest
	if r.ContentLength != 0 { // a POST without a body is an anonymous sign-in
		r.Body = http.MaxBytesReader(w, r.Body, maxSignInBody)
		if err := httpapi.DecodeJSON(r, &req); err != nil {
			httpapi.Error(w, r, err)
			return
		}
	}
	anonymous := req.UID == ""
	if anonymous {
		req.UID = rand.Text()
	}
	tok, err := a.issue(req.UID, anonymous, req.Roles, DefaultTTL)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, SignInResponse{
		IDToken: tok, UID: req.UID, ExpiresIn: strconv.Itoa(int(DefaultTTL.Seconds())),
	})
}

// forwardHeaders name the original client when a proxy or tunnel passes a
// request on; each holds one or more addresses.
var forwardHeaders = []string{"X-Forwarded-For", "X-Real-Ip", "True-Client-Ip", "Cf-Connecting-Ip",
	"X-Client-Ip", "X-Original-Forwarded-For", "X-Cluster-Client-Ip", "Fastly-Client-Ip"}

// local reports whether r comes from this machine and was not forwarded
// from another one.
func local(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || !loopbackIP(host) {
		return false
	}
	// Via names the proxies a request went through, never the client, so
	// even a local proxy's Via proves nothing about where it came from.
	if len(r.Header.Values("Via")) > 0 {
		return false
	}
	for _, h := range forwardHeaders {
		for _, v := range r.Header.Values(h) {
			for _, addr := range strings.Split(v, ",") {
				if !loopbackIP(strings.TrimSpace(addr)) {
					return false
				}
			}
		}
	}
	// Forwarded: for=1.2.3.4;proto=https, for="[2001:db8::1]:4711"
	for _, v := range r.Header.Values("Forwarded") {
		for _, elem := range strings.Split(v, ",") {
			for _, pair := range strings.Split(elem, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(pair), "=")
				if !strings.EqualFold(k, "for") {
					continue
				}
				val = strings.Trim(val, `"`)
				if h, _, err := net.SplitHostPort(val); err == nil {
					val = h
				}
				if !loopbackIP(strings.Trim(val, "[]")) {
					return false
				}
			}
		}
	}
	return true
}

// localOrigin reports whether origin, the value of an Origin header, is a
// page served from this machine: http or https, on localhost or a loopback
// address, any port. "null" (sandboxed frames, data: and file: pages) is
// not: a hostile page can make its requests carry it.
func localOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return false
	}
	return loopbackAuthority(u.Host)
}
