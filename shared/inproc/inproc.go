// Package inproc carries domain events inside one process: the embedded
// default's event transport, and the one every instance uses for its own
// caches. Subscribers run synchronously, before Publish returns, so a
// request that wrote something reads its own write on the next request.
package inproc

import (
	"context"
	"sync"

	"github.com/partyfinder/partyfinder/shared/event"
)

// Handler receives published events. It must be quick and must not
// publish: it runs on the writer's request.
type Handler func(ctx context.Context, e event.Event)

// Bus is an event.Publisher that hands each event to every subscriber.
// The zero Bus is ready to use.
type Bus struct {
	mu   sync.RWMutex
	subs []Handler
}

var _ event.Publisher = (*Bus)(nil)

// Subscribe adds h; it receives every event published from then on.
func (b *Bus) Subscribe(h Handler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, h)
}

// Publish hands the events, in order, to every subscriber.
func (b *Bus) Publish(ctx context.Context, events ...event.Event) error {
	b.mu.RLock()
	subs := b.subs
	b.mu.RUnlock()
	for _, e := range events {
		for _, h := range subs {
			h(ctx, e)
		}
	}
	return nil
}
