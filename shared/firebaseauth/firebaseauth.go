// Package firebaseauth verifies Firebase Authentication ID tokens with the
// Firebase Admin SDK and turns them into identities.
//
// With FIREBASE_AUTH_EMULATOR_HOST set, the SDK talks to the Auth emulator
// and accepts its unsigned tokens; no credentials are needed then.
package firebaseauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	firebase "firebase.google.com/go/v4"
	"firebase.google.com/go/v4/auth"
	"firebase.google.com/go/v4/errorutils"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// EnvEmulatorHost is the variable through which the Admin SDK finds the
// Auth emulator (host:port).
const EnvEmulatorHost = "FIREBASE_AUTH_EMULATOR_HOST"

// retryAfter is how long a failed client construction is remembered. The
// client is retried after it, not on every request: without credentials
// each attempt may probe the metadata server, and a burst of requests
// should not turn into a burst of probes.
const retryAfter = 5 * time.Second

// Verifier checks Firebase ID tokens. Its Admin SDK client is built on the
// first Verify, so a function that never authenticates never pays for it,
// and missing credentials are a clear 503 at first use instead of a crash at
// start. The zero value is not usable: call New.
type Verifier struct {
	projectID string

	// Now is the clock of the retry backoff; tests replace it.
	Now func() time.Time

	client    atomic.Pointer[auth.Client] // set once built; read without the lock
	mu        sync.Mutex                  // serialises construction
	lastErr   error
	lastTried time.Time
}

// New returns a verifier for ID tokens issued to the Firebase project
// projectID. An empty projectID lets the SDK take it from the credentials
// or GOOGLE_CLOUD_PROJECT; tokens whose audience is another project are
// always rejected.
func New(projectID string) *Verifier {
	return &Verifier{projectID: projectID, Now: time.Now}
}

// Verify checks idToken's signature, audience (this project), issuer and
// expiry and returns the identity it carries.
//
// It returns an apperr Unauthorized error for every token that does not
// verify (malformed, expired, another project's, a deleted or disabled user
// where the SDK checks that) and apperr Unavailable when the verification
// itself cannot be done (no credentials, certificates or the emulator
// unreachable). The underlying cause is wrapped for the logs; the apperr
// message never contains it.
//
// Revocation is deliberately not checked (VerifyIDToken, not
// VerifyIDTokenAndCheckRevoked): that costs a round trip to the Auth
// backend on every request, while a token lives at most an hour. Actions
// that need it (account deletion, role changes taking effect at once) can
// check revocation themselves. Against the emulator the SDK checks it always.
func (v *Verifier) Verify(ctx context.Context, idToken string) (identity.Identity, error) {
	c, err := v.authClient(ctx)
	if err != nil {
		return identity.Identity{}, err
	}
	// Verification is local once the signing keys are cached; the bound is
	// for fetching them (or reaching the emulator), so a backend outage is
	// a quick 503 rather than a request hanging in the SDK's retries.
	vctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	tok, err := c.VerifyIDToken(vctx, idToken)
	if err != nil {
		return identity.Identity{}, classify(vctx, err)
	}
	return identityOf(tok), nil
}

// verifyTimeout bounds one verification.
const verifyTimeout = 3 * time.Second

// errUnavailable is what callers see when tokens cannot be checked at all.
var errUnavailable = apperr.New(apperr.Unavailable, "sign-in is temporarily unavailable")

// errInvalid is what callers see for a token that does not verify.
var errInvalid = apperr.New(apperr.Unauthorized, "invalid or expired token")

// classify maps an SDK verification error to the error vocabulary. The SDK
// helpers inspect the error's own type, so this runs before any wrapping.
func classify(ctx context.Context, err error) error {
	switch {
	case auth.IsIDTokenInvalid(err), auth.IsUserNotFound(err):
		// Invalid covers expired, revoked and disabled too.
		return fmt.Errorf("verify id token: %w: %w", errInvalid, err)
	case auth.IsCertificateFetchFailed(err),
		errorutils.IsUnavailable(err), errorutils.IsDeadlineExceeded(err),
		errorutils.IsInternal(err), errorutils.IsUnknown(err),
		ctx.Err() != nil:
		return fmt.Errorf("verify id token: %w: %w", errUnavailable, err)
	}
	return fmt.Errorf("verify id token: %w: %w", errInvalid, err)
}

// authClient returns the Admin SDK client, building it on first use. A
// failure is remembered for retryAfter and then tried again, because most
// causes (a metadata server not yet up, a network blip) are transient.
func (v *Verifier) authClient(ctx context.Context) (*auth.Client, error) {
	if c := v.client.Load(); c != nil {
		return c, nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if c := v.client.Load(); c != nil {
		return c, nil
	}
	now := v.Now()
	if v.lastErr != nil && now.Sub(v.lastTried) < retryAfter {
		return nil, v.lastErr
	}
	// A caller that goes away must not make the failure stick for everyone.
	c, err := newClient(context.WithoutCancel(ctx), v.projectID)
	if err != nil {
		v.lastErr, v.lastTried = fmt.Errorf("firebase auth client: %w: %w", errUnavailable, err), now
		slog.ErrorContext(ctx, "firebase auth is not available; requests that need sign-in get 503",
			"error", err.Error(), "hint", hint(err))
		return nil, v.lastErr
	}
	v.client.Store(c)
	v.lastErr = nil
	return c, nil
}

func newClient(ctx context.Context, projectID string) (*auth.Client, error) {
	app, err := firebase.NewApp(ctx, &firebase.Config{ProjectID: projectID})
	if err != nil {
		return nil, err
	}
	c, err := app.Auth(ctx)
	if err != nil {
		return nil, err
	}
	// Without a project id the client builds but rejects every token, which
	// would read as 401s for everyone. An empty token is refused as invalid
	// by a well-configured client, locally; anything else is the setup.
	if _, err := c.VerifyIDToken(ctx, ""); !auth.IsIDTokenInvalid(err) {
		return nil, fmt.Errorf("%w: %w", errNoProject, err)
	}
	return c, nil
}

// errNoProject marks a client that cannot tell which project's tokens to accept.
var errNoProject = errors.New("no Firebase project id")

// hint tells an operator what to do about a client construction failure.
func hint(err error) string {
	if errors.Is(err, errNoProject) {
		return "set GOOGLE_CLOUD_PROJECT to the Firebase project id (demo-party for the emulator)"
	}
	if strings.Contains(err.Error(), "could not find default credentials") {
		return "set " + EnvEmulatorHost + "=127.0.0.1:9099 to use the Auth emulator, or provide " +
			"Application Default Credentials (gcloud auth application-default login; on Cloud Run the " +
			"service account is used)"
	}
	return "check the project id and the service account's access to Firebase Authentication"
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
func identityOf(tok *auth.Token) identity.Identity {
	id := identity.Identity{
		UID:       tok.UID,
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
