package event

import "context"

// Pending holds the events of a change while it is being stored, so a
// store that keeps an outbox can write them in the same transaction as the
// change: no event is lost if the process dies between the write and the
// delivery. The use case sets the events inside its update closure (a
// retried transaction sets them again); stores without an outbox ignore
// them.
type Pending struct{ events []Event }

type pendingKey struct{}

// WithPending returns a context carrying a new, empty Pending.
func WithPending(ctx context.Context) (context.Context, *Pending) {
	p := &Pending{}
	return context.WithValue(ctx, pendingKey{}, p), p
}

// PendingFrom returns the Pending of ctx, or nil.
func PendingFrom(ctx context.Context) *Pending {
	p, _ := ctx.Value(pendingKey{}).(*Pending)
	return p
}

// Set replaces the pending events.
func (p *Pending) Set(events ...Event) {
	if p != nil {
		p.events = append(p.events[:0], events...)
	}
}

// Events returns the pending events.
func (p *Pending) Events() []Event {
	if p == nil {
		return nil
	}
	return p.events
}
