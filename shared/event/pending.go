package event

import "context"

// Stash holds what a change must write along with itself while it is
// being stored: its domain events (Pending), its audit entries. A store
// that can writes them in the same transaction as the change, so none is
// lost if the process dies between the write and the rest, and none is
// written for a change that failed. The use case sets them inside its
// update closure (a retried transaction sets them again); stores that
// keep no such thing ignore them.
type Stash[T any] struct{ items []T }

// stashKey is the context key of a Stash[T]: one per item type.
type stashKey[T any] struct{}

// WithStash returns a context carrying a new, empty Stash[T].
func WithStash[T any](ctx context.Context) (context.Context, *Stash[T]) {
	s := &Stash[T]{}
	return context.WithValue(ctx, stashKey[T]{}, s), s
}

// StashFrom returns the Stash[T] of ctx, or nil.
func StashFrom[T any](ctx context.Context) *Stash[T] {
	s, _ := ctx.Value(stashKey[T]{}).(*Stash[T])
	return s
}

// Set replaces the stashed items.
func (s *Stash[T]) Set(items ...T) {
	if s != nil {
		s.items = append(s.items[:0], items...)
	}
}

// Items returns the stashed items.
func (s *Stash[T]) Items() []T {
	if s == nil {
		return nil
	}
	return s.items
}

// Pending holds the events of a change while it is being stored, so a
// store that keeps an outbox writes them in the same transaction as the
// change.
type Pending = Stash[Event]

// WithPending returns a context carrying a new, empty Pending.
func WithPending(ctx context.Context) (context.Context, *Pending) { return WithStash[Event](ctx) }

// PendingFrom returns the Pending of ctx, or nil.
func PendingFrom(ctx context.Context) *Pending { return StashFrom[Event](ctx) }
