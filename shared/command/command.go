// Package command holds the use cases that change data: each one loads
// through a repository, applies a rule that lives once in the domain,
// saves through the repository's update-by-closure method, and returns the
// domain events it caused after publishing them.
//
// It imports the domain packages and nothing of HTTP or storage: functions
// call it, adapters implement the repositories it asks for.
package command

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Parties reads one party by id: a point read, the one store read a swipe
// or save needs to know the party exists and is open.
type Parties interface {
	Party(ctx context.Context, id string) (party.Party, error)
}

// publish sends the events of a stored change. A failure is logged, not
// returned: the change is stored and the caller must hear so; subscribers
// that missed the event catch up through their own refresh (the feed's
// revision check, the Firestore triggers).
func publish(ctx context.Context, p event.Publisher, events []event.Event) {
	if p == nil || len(events) == 0 {
		return
	}
	if err := p.Publish(ctx, events...); err != nil {
		slog.ErrorContext(ctx, "publish domain events", "error", err, "events", len(events), "type", events[0].EventMeta().Type)
	}
}

// openParty returns a party attendees can still go to: NotFound for
// unknown, draft and pending parties (they are not public), Conflict for
// cancelled ones.
func openParty(ctx context.Context, ps Parties, id string) (party.Party, error) {
	p, err := visibleParty(ctx, ps, id)
	if err != nil {
		return p, err
	}
	if p.Status == party.Cancelled {
		return p, apperr.New(apperr.Conflict, "party %q is cancelled", id)
	}
	return p, nil
}

// visibleParty returns a party the public can see, or NotFound.
func visibleParty(ctx context.Context, ps Parties, id string) (party.Party, error) {
	notFound := apperr.New(apperr.NotFound, "no party %q", id)
	if !party.ValidID(id) {
		return party.Party{}, notFound
	}
	p, err := ps.Party(ctx, id)
	if apperr.Is(err, apperr.NotFound) || err == nil && !p.Status.Public() {
		return party.Party{}, notFound
	}
	if err != nil {
		return party.Party{}, unavailable("load party", err)
	}
	return p, nil
}

// unavailable makes an unclassified store failure a 503 the client may
// retry; classified errors pass unchanged.
func unavailable(op string, err error) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	return fmt.Errorf("%s: %w: %w", op, apperr.New(apperr.Unavailable, "the party store is unavailable"), err)
}
