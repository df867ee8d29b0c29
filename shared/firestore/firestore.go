// Package firestore is the Cloud Firestore store: conferences, parties,
// attendees (profiles, swipes, saves, calendar tokens, shares, erasure),
// the analytics counters, the audit trail, and the feed's shared cache tier
// (the conference revision and prebuilt snapshots) when there is no Redis.
//
// It implements conference.Repository, party.Repository,
// party.Revisioner, attendee.Repository, analytics.Store,
// audit.Repository and feed.Shared, and decodes the document events the
// Firestore triggers receive (DecodePartyChange, DecodeDecisionChange). Documents are adapter-only structs (see documents.go);
// Firestore status codes become apperr kinds here, so nothing past this
// package sees a snapshot, a protobuf or a gRPC code. Every query the store
// runs is declared in queries.go, next to the composite indexes it needs in
// firestore.indexes.json at the repository root.
//
// Firestore keeps timestamps to the microsecond: finer parts of the times
// given to it are dropped, and the times it returns say so.
package firestore

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	gfs "cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// The collection ids the store uses, before any prefix.
const (
	conferencesCollection = "conferences"
	partiesCollection     = "parties"
	revisionsCollection   = "revisions" // revisions/{conferenceId}: raised by every write of its parties; its order of changes (changes.go)
)

// pingTimeout bounds Ping, which health checks call.
const pingTimeout = 2 * time.Second

// Store keeps conferences and parties in Firestore. It is safe for
// concurrent use.
type Store struct {
	client      *gfs.Client
	prefix      string
	conferences *gfs.CollectionRef
	parties     *gfs.CollectionRef

	// now returns the current time; a field so tests can pin it.
	now func() time.Time
	// The bounds of transactions (see runTx); fields so that tests on the
	// emulator, whose colliding transactions stall for seconds, can widen
	// them.
	txBudget, longTxBudget time.Duration
}

// Option configures a Store.
type Option func(*Store)

// WithCollectionPrefix puts the store's collections under prefixed ids
// ("test1_parties" instead of "parties"), so tests sharing one emulator, or
// environments sharing one database, do not see each other's documents.
func WithCollectionPrefix(prefix string) Option {
	return func(s *Store) { s.prefix = prefix }
}

// New returns a store on the client. The caller owns the client and
// closes it.
func New(client *gfs.Client, opts ...Option) *Store {
	s := &Store{client: client, now: time.Now, txBudget: txBudget, longTxBudget: longTxBudget}
	for _, o := range opts {
		o(s)
	}
	s.conferences = client.Collection(s.prefix + conferencesCollection)
	s.parties = client.Collection(s.prefix + partiesCollection)
	return s
}

// NewClient returns a Firestore client for the project. With
// FIRESTORE_EMULATOR_HOST set (e.g. 127.0.0.1:8181) the client talks to the
// emulator without credentials, and projectID must be given (e.g.
// "demo-party"); otherwise an empty projectID is detected from the
// environment (Cloud Run, gcloud defaults).
func NewClient(ctx context.Context, projectID string) (*gfs.Client, error) {
	if projectID == "" {
		if host := os.Getenv("FIRESTORE_EMULATOR_HOST"); host != "" {
			return nil, fmt.Errorf("firestore: FIRESTORE_EMULATOR_HOST=%s is set but no project id was given", host)
		}
		projectID = gfs.DetectProjectID
	}
	c, err := gfs.NewClient(ctx, projectID)
	if err != nil {
		return nil, fmt.Errorf("firestore: new client for project %q: %w", projectID, err)
	}
	return c, nil
}

// Ping checks that Firestore answers, with a short timeout: it reads one
// document by id, which costs one read whether or not it exists.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	_, err := s.conferences.Doc("health-check").Get(ctx)
	if err != nil && status.Code(err) != codes.NotFound {
		return fmt.Errorf("firestore: ping: %w", translate(err))
	}
	return nil
}

// translate turns a Firestore error into the apperr kind a caller can act
// on, keeping the original error in the chain. Errors that already carry a
// kind (our own, or those of an update closure) pass through unchanged.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	var kind apperr.Kind
	var msg string
	if isDeadline(err) {
		// A deadline that passed while Firestore had not answered: the
		// request's own, or a transaction's budget (see runTx).
		return fmt.Errorf("%w: %w", apperr.New(apperr.Unavailable, "the database did not answer in time, try again"), err)
	}
	switch status.Code(err) {
	case codes.NotFound:
		kind, msg = apperr.NotFound, "not found"
	case codes.AlreadyExists:
		kind, msg = apperr.Conflict, "already exists"
	case codes.FailedPrecondition:
		// A missing composite index is also FailedPrecondition, but it is a
		// deployment bug, not a conflict the caller could resolve.
		if strings.Contains(status.Convert(err).Message(), "index") {
			return err
		}
		kind, msg = apperr.Conflict, "the stored state changed"
	case codes.Aborted:
		// A transaction that still collided after its retries (runTx
		// says so itself): contention passes, so it is worth a retry,
		// unlike a Conflict.
		kind, msg = apperr.Unavailable, "too many concurrent changes to the same data; try again shortly"
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted:
		kind, msg = apperr.Unavailable, "the database is unavailable, try again"
	default:
		return err
	}
	return fmt.Errorf("%w: %w", apperr.New(kind, "%s", msg), err)
}

// isNotFound reports whether err carries Firestore's not-found code.
func isNotFound(err error) bool { return status.Code(err) == codes.NotFound }

// Close closes the Firestore client the store was built with.
func (s *Store) Close() error { return s.client.Close() }
