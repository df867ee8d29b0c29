package devauth

import (
	"crypto/rand"
	"net"
	"net/http"
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

// SignInHandler returns the handler of POST SignInPath. It answers 403 to
// any client that is not on this machine: a RemoteAddr other than loopback,
// or a loopback one that a proxy or tunnel (ngrok, cloudflared, a dev
// server proxy) says it forwarded from elsewhere. Roles are granted as
// asked: that is the point of a dev sign-in, and why it stays local.
func (a *Auth) SignInHandler() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodPost, SignInPath, a.signIn)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !local(r) {
			httpapi.Error(w, r, apperr.New(apperr.Forbidden, "dev sign-in answers only requests from this machine"))
			return
		}
		rt.ServeHTTP(w, r)
	})
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
var forwardHeaders = []string{"X-Forwarded-For", "X-Real-Ip", "True-Client-Ip", "Cf-Connecting-Ip"}

// local reports whether r comes from this machine and was not forwarded
// from another one.
func local(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || !loopbackIP(host) {
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
