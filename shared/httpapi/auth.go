package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// Verifier turns a bearer token into the identity it proves. It returns an
// apperr Unavailable error when it cannot check tokens at the moment and any
// other error for a token that does not verify.
type Verifier interface {
	Verify(ctx context.Context, idToken string) (identity.Identity, error)
}

// maxTokenLen bounds what is handed to a verifier. Firebase ID tokens are
// one to two kilobytes (custom claims are capped at 1000 bytes); anything
// far larger is not a token and is not worth decoding.
const maxTokenLen = 8 << 10

// Challenges sent with 401 responses (RFC 6750). A request that carried a
// token learns only that it was not accepted, never why.
var (
	hChallenge        = []string{`Bearer realm="partyfinder"`}
	hChallengeInvalid = []string{`Bearer realm="partyfinder", error="invalid_token"`}
)

// Authenticate lets through only requests with a valid
// "Authorization: Bearer <token>" header, with the verified identity in
// their context (identity.From). Others get a 401 problem with a
// WWW-Authenticate challenge; when the verifier cannot check tokens at all
// the answer is 503, so clients retry instead of signing the user out.
//
// The response body says only "missing bearer token" or "invalid or expired
// token"; why a token failed goes to the log.
func Authenticate(v Verifier, next http.Handler) http.Handler { return authenticate(v, next, false) }

// Identify is Authenticate for resources that anonymous clients may use
// too: a request without an Authorization header passes with no identity
// in its context; one with a header must carry a valid token, as for
// Authenticate, so a client that believes it is signed in learns it is not.
func Identify(v Verifier, next http.Handler) http.Handler { return authenticate(v, next, true) }

func authenticate(v Verifier, next http.Handler, optional bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			// CORS preflights never carry credentials; the router answers
			// them with the path's methods and nothing else.
			next.ServeHTTP(w, r)
			return
		}
		header := r.Header.Get("Authorization")
		if optional && header == "" {
			next.ServeHTTP(w, r)
			return
		}
		token, ok := bearerToken(header)
		if !ok {
			w.Header()["Www-Authenticate"] = hChallenge
			Error(w, r, apperr.New(apperr.Unauthorized, "missing bearer token"))
			return
		}
		var (
			id  identity.Identity
			err error
		)
		if len(token) > maxTokenLen {
			err = fmt.Errorf("token of %d bytes is longer than %d", len(token), maxTokenLen)
		} else {
			id, err = v.Verify(r.Context(), token)
		}
		switch {
		case err == nil && id.UID == "":
			// A verifier bug: an identity without a uid would read as nobody.
			Error(w, r, apperr.New(apperr.Internal, "verifier accepted a token without a uid"))
			return
		case err == nil:
			next.ServeHTTP(w, r.WithContext(identity.With(r.Context(), id)))
			return
		case apperr.Is(err, apperr.Unavailable):
			Error(w, r, fmt.Errorf("%w: %w", errAuthUnavailable, err))
			return
		}
		slog.InfoContext(r.Context(), "token rejected", "error", err.Error(), "path", RoutePath(r))
		w.Header()["Www-Authenticate"] = hChallengeInvalid
		Error(w, r, errTokenInvalid)
	})
}

// The client-facing errors of Authenticate, fixed so that nothing a
// verifier says leaks into a response.
var (
	errAuthUnavailable = apperr.New(apperr.Unavailable, "sign-in is temporarily unavailable")
	errTokenInvalid    = apperr.New(apperr.Unauthorized, "invalid or expired token")
)

// bearerToken extracts the token of a Bearer authorization header. The
// scheme is case-insensitive (RFC 9110 §11.1); surrounding spaces are
// trimmed. It reports false when there is no usable token.
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != "" && !strings.ContainsAny(token, " \t")
}
