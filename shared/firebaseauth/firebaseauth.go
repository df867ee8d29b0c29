// Package firebaseauth verifies Firebase Authentication ID tokens and turns
// them into identities.
//
// It follows Firebase's rules for verifying ID tokens with a third-party
// JWT library (https://firebase.google.com/docs/auth/admin/verify-id-tokens)
// as the Admin SDK applies them, with the standard library alone: the SDK
// links Cloud Storage and gRPC's xDS into every binary for a check that is
// one RSA signature and a few claims (docs/adr/0007-firebase-tokens-without-the-admin-sdk.md).
//
// With FIREBASE_AUTH_EMULATOR_HOST set, the verifier accepts the Auth
// emulator's unsigned tokens, and asks the emulator whether their user still
// exists, is enabled and has not revoked them, as the Admin SDK does there;
// no credentials are needed.
package firebaseauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// EnvEmulatorHost is the variable through which the Firebase tools name the
// Auth emulator (host:port).
const EnvEmulatorHost = "FIREBASE_AUTH_EMULATOR_HOST"

// KeysURL is where Google publishes the certificates whose keys sign
// Firebase ID tokens, as a JSON object from key id to PEM certificate.
const KeysURL = "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"

// retryAfter is how long a failed fetch of the signing keys is remembered.
// The keys are fetched again after it, not on every request: a burst of
// requests during an outage should not become a burst of fetches.
const retryAfter = 5 * time.Second

// verifyTimeout bounds one verification. Verification is local once the
// signing keys are cached; the bound is for fetching them (or reaching the
// emulator), so a backend outage is a quick 503 rather than a request that
// hangs.
const verifyTimeout = 3 * time.Second

// Verifier checks Firebase ID tokens. The signing keys are fetched on the
// first Verify that needs them, so a function that never authenticates never
// fetches them, and an unreachable key server is a 503 at first use instead
// of a crash at start. The zero value is not usable: call New.
type Verifier struct {
	projectID string
	emulator  string // the Auth emulator's host:port, or "" for real tokens

	// Now is the clock of the token checks, the key cache and the retry
	// backoff; tests replace it.
	Now func() time.Time
	// KeysURL is where the signing certificates are fetched, and Client
	// what fetches them (and asks the emulator); tests point them at a
	// loopback server. Set them before the first Verify.
	KeysURL string
	Client  *http.Client

	keys      keyCache
	noProject sync.Once // logs the missing project id once, not per request
}

// New returns a verifier for ID tokens issued to the Firebase project
// projectID. An empty projectID is taken from GOOGLE_CLOUD_PROJECT or
// GCLOUD_PROJECT; without one every Verify is Unavailable (a setup problem,
// logged with a hint), never a pass. Tokens whose audience is another
// project are always rejected.
//
// FIREBASE_AUTH_EMULATOR_HOST is read here: when set, the verifier accepts
// the emulator's unsigned tokens and checks their user with the emulator.
func New(projectID string) *Verifier {
	if projectID == "" {
		projectID = os.Getenv("GOOGLE_CLOUD_PROJECT")
	}
	if projectID == "" {
		projectID = os.Getenv("GCLOUD_PROJECT")
	}
	return &Verifier{
		projectID: projectID,
		emulator:  os.Getenv(EnvEmulatorHost),
		Now:       time.Now,
		KeysURL:   KeysURL,
		Client:    &http.Client{Timeout: verifyTimeout},
	}
}

// Verify checks idToken's signature, audience (this project), issuer,
// subject and times, and returns the identity it carries.
//
// It returns an apperr Unauthorized error for every token that does not
// verify (malformed, not RS256, signed by an unknown or retired key,
// expired, another project's, and against the emulator a deleted or
// disabled user or a revoked token) and apperr Unavailable when the
// verification itself cannot be done (no project id, the signing keys or
// the emulator unreachable). The underlying cause is wrapped for the logs;
// the apperr message never contains it, nor anything of the token.
//
// Revocation is deliberately not checked outside the emulator: that costs a
// round trip to the Auth backend on every request, while a token lives at
// most an hour. Actions that need it (account deletion, role changes taking
// effect at once) can check revocation themselves. Against the emulator it
// is checked always, as the Admin SDK does there.
func (v *Verifier) Verify(ctx context.Context, idToken string) (identity.Identity, error) {
	if v.projectID == "" {
		v.noProject.Do(func() {
			slog.ErrorContext(ctx, "firebase auth is not available; requests that need sign-in get 503",
				"error", errNoProject.Error(), "hint", hint(errNoProject))
		})
		return identity.Identity{}, fmt.Errorf("verify id token: %w: %w", errUnavailable, errNoProject)
	}
	// The claims first: that is local and cheap, and a malformed token
	// should not cost a key fetch.
	tok, err := parse(idToken, v.projectID, v.emulator != "", v.Now())
	if err != nil {
		return identity.Identity{}, fmt.Errorf("verify id token: %w: %w", errInvalid, err)
	}
	vctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	if v.emulator != "" {
		err = v.checkUser(vctx, tok)
	} else {
		err = v.checkSignature(vctx, tok)
	}
	if err != nil {
		return identity.Identity{}, fmt.Errorf("verify id token: %w", err)
	}
	return identityOf(tok), nil
}

// errUnavailable is what callers see when tokens cannot be checked at all.
var errUnavailable = apperr.New(apperr.Unavailable, "sign-in is temporarily unavailable")

// errInvalid is what callers see for a token that does not verify.
var errInvalid = apperr.New(apperr.Unauthorized, "invalid or expired token")

// errNoProject marks a verifier that cannot tell which project's tokens to accept.
var errNoProject = errors.New("no Firebase project id")

// hint tells an operator what to do about a verifier that cannot work.
func hint(err error) string {
	if errors.Is(err, errNoProject) {
		return "set GOOGLE_CLOUD_PROJECT to the Firebase project id (demo-party for the emulator)"
	}
	return "check that " + KeysURL + " is reachable from the instance"
}

// Custom claims that grant roles: a boolean claim per role ("admin": true)
// or a "roles" array claim naming them.
const claimRoles = "roles"

// knownRoles are the roles a token may grant, in the order they are listed.
var knownRoles = identity.Roles

// identityOf turns a verified token into an identity. Claims that do not
// have the expected type are ignored, as are roles the server does not know.
//
// IssuedAt is the token's iat: whole seconds, rounded down by Firebase, so
// it is never later than the token really was minted. The erasure gate
// relies on that, and so counts a token from the second of an erasure as
// issued before it (see erasure.Gate). Nothing in a Firebase token says
// more precisely when it was minted: auth_time is whole seconds too, and
// never later than iat.
func identityOf(tok *token) identity.Identity {
	id := identity.Identity{
		UID:       tok.Subject,
		Anonymous: tok.Firebase.SignInProvider == "anonymous",
		IssuedAt:  time.Unix(tok.IssuedAt, 0).UTC(),
	}
	if email, ok := tok.Claims["email"].(string); ok {
		id.Email = email
	}
	listed, _ := tok.Claims[claimRoles].([]any)
	for _, r := range knownRoles {
		granted, _ := tok.Claims[string(r)].(bool)
		for _, l := range listed {
			if s, ok := l.(string); ok && s == string(r) {
				granted = true
			}
		}
		if granted {
			id.Roles = append(id.Roles, r)
		}
	}
	return id
}
