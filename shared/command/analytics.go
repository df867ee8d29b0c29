package command

import (
	"context"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/event"
)

// Analytics keeps the analytics current from domain events: the handler
// behind AggregateAnalytics, whichever transport brings the events.
type Analytics struct {
	Store analytics.Store
}

// Aggregate applies the events that change analytics, in one batch: the
// store adds up each party's changes and skips event ids it has applied
// before, so at-least-once delivery counts every event once. It returns
// how many events were new.
func (a *Analytics) Aggregate(ctx context.Context, events []event.Event) (int, error) {
	changes := make([]analytics.Change, 0, len(events))
	for _, e := range events {
		if c, ok := analytics.ChangeOf(e); ok {
			changes = append(changes, c)
		}
	}
	if len(changes) == 0 {
		return 0, nil
	}
	return a.Store.Apply(ctx, changes)
}

// Counts reports whether an event changes analytics, so transports can
// leave the others out.
func Counts(e event.Event) bool {
	_, ok := analytics.ChangeOf(e)
	return ok
}
