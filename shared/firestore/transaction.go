package firestore

import (
	"context"
	"errors"
	"fmt"
	"time"

	gfs "cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// A transaction is bounded twice: at most txAttempts tries (Firestore
// retries one that collided with another), and all of them within a
// budget of time. A write that contends for a hot document (one user's
// taps on one party, arriving faster than Firestore commits them) then
// fails fast with Unavailable, which the HTTP edge answers with 503 and
// Retry-After, instead of queueing for the request's whole deadline and
// holding the document's lock against the writes behind it.
const (
	txAttempts = 5

	// txBudget bounds a request's write of one thing (a decision, a
	// profile, a party, a conference): uncontended it takes a few round
	// trips, tens of milliseconds, and Firestore settles a collision
	// within milliseconds by aborting one side.
	txBudget = 2 * time.Second

	// longTxBudget bounds the writes of many documents at once, one step
	// of an import (up to party.MaxBatch parties; 2,000 take about 1 s on
	// the emulator; a larger import is several, each with this budget) or
	// an erasure's batch of deletes, and writes in the background, where
	// nobody waits for an answer but contention with the requests' writes
	// is likely (analytics batches, a conference's revision).
	longTxBudget = 10 * time.Second
)

// errContended is what a transaction that ran out of attempts or time
// returns, with Firestore's own error after it.
var errContended = apperr.New(apperr.Unavailable, "too many concurrent changes to the same data; try again shortly")

// runTx runs fn in a Firestore transaction of at most txAttempts tries
// within budget. An error of fn's comes back unchanged (fn decides; it is
// not retried); running out of attempts or of the budget is Unavailable.
func (s *Store) runTx(ctx context.Context, budget time.Duration, fn func(context.Context, *gfs.Transaction) error) error {
	tctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	err := s.client.RunTransaction(tctx, fn, gfs.MaxAttempts(txAttempts))
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	outOfTime := ctx.Err() == nil && tctx.Err() != nil
	if outOfTime || status.Code(err) == codes.Aborted {
		return fmt.Errorf("%w (%s): %w", errContended, budgetNote(outOfTime, budget), err)
	}
	return err
}

func budgetNote(outOfTime bool, budget time.Duration) string {
	if outOfTime {
		return "not done within " + budget.String()
	}
	return fmt.Sprintf("collided %d times", txAttempts)
}

// isDeadline reports whether err is a context's deadline that passed
// (the caller's, or a bound of this package's), as opposed to a cancel.
func isDeadline(err error) bool { return errors.Is(err, context.DeadlineExceeded) }
