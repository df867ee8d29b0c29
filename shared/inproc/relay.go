package inproc

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/partyfinder/partyfinder/shared/event"
)

// Outbox is a durable list of events waiting to be delivered, written in
// the same transactions as the changes that caused them.
type Outbox interface {
	// Undelivered returns up to n events, oldest first, and the position
	// to pass to Delivered once they are.
	Undelivered(ctx context.Context, n int) ([]event.Event, int64, error)
	// Delivered removes the events up to position seq.
	Delivered(ctx context.Context, seq int64) error
}

// Relay delivers an outbox's events to a handler, oldest first, retrying
// with backoff until the handler succeeds: at least once, also after a
// crash or restart, so the handler must be idempotent (the analytics store
// applies each event id once).
type Relay struct {
	outbox  Outbox
	handle  func(context.Context, []event.Event) error
	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
	mu      sync.Mutex // one drain at a time, so events go out in order
	batch   int
	backoff time.Duration
	poll    time.Duration
}

// NewRelay returns a relay from o to handle; call Run to start it.
func NewRelay(o Outbox, handle func(context.Context, []event.Event) error) *Relay {
	return &Relay{outbox: o, handle: handle, kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{}),
		batch: 500, backoff: 50 * time.Millisecond, poll: time.Second}
}

// Kick asks the relay to look at the outbox now: after a write that put
// events in it.
func (r *Relay) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run delivers until Close, when kicked and at least every second (what
// a crash left behind, or another process wrote, goes out too).
func (r *Relay) Run() {
	defer close(r.stopped)
	t := time.NewTicker(r.poll)
	defer t.Stop()
	for {
		r.Flush()
		select {
		case <-r.stop:
			r.Flush()
			return
		case <-r.kick:
		case <-t.C:
		}
	}
}

// Flush delivers everything in the outbox now, returning when it is empty
// or the relay is closing.
func (r *Relay) Flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	ctx := context.Background()
	wait := r.backoff
	for {
		events, seq, err := r.outbox.Undelivered(ctx, r.batch)
		if err == nil && seq == 0 {
			return // empty
		}
		if err == nil && len(events) > 0 {
			err = r.handle(ctx, events)
		}
		if err == nil {
			err = r.outbox.Delivered(ctx, seq)
		}
		if err == nil {
			wait = r.backoff
			continue
		}
		slog.Error("outbox: delivery failed; retrying", "error", err, "in", wait)
		select {
		case <-r.stop:
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 30*time.Second)
	}
}

// Close stops the relay after delivering what it can.
func (r *Relay) Close() {
	close(r.stop)
	<-r.stopped
}
