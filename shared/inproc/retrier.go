package inproc

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/partyfinder/partyfinder/shared/event"
)

// Retrier holds events a handler could not take yet and hands them over
// again, with backoff, until it does: for work that must happen but must
// not hold up what comes after it (raising the shared cache revision while
// Redis is down must not stop the counting). It keeps them in memory only:
// what it holds when the process ends is lost, and the handler must be
// idempotent.
type Retrier struct {
	handle  func(context.Context, []event.Event) error
	mu      sync.Mutex
	pending []event.Event
	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
	backoff time.Duration
}

// NewRetrier returns a retrier to handle; call Run to start it.
func NewRetrier(handle func(context.Context, []event.Event) error) *Retrier {
	return &Retrier{handle: handle, kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{}),
		backoff: 250 * time.Millisecond}
}

// Add queues events for another attempt (at most 10,000 are kept; the
// oldest go first).
func (r *Retrier) Add(events []event.Event) {
	r.mu.Lock()
	r.pending = append(r.pending, events...)
	if n := len(r.pending); n > 10_000 {
		slog.Error("retrier: dropping the oldest events", "dropped", n-10_000)
		r.pending = append([]event.Event(nil), r.pending[n-10_000:]...)
	}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Pending returns how many events wait.
func (r *Retrier) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// Run retries until Close.
func (r *Retrier) Run() {
	defer close(r.stopped)
	wait := r.backoff
	for {
		select {
		case <-r.stop:
			return
		case <-r.kick:
		case <-time.After(wait):
		}
		r.mu.Lock()
		es := r.pending
		r.pending = nil
		r.mu.Unlock()
		if len(es) == 0 {
			wait = r.backoff
			continue
		}
		if err := r.handle(context.Background(), es); err != nil {
			r.mu.Lock()
			r.pending = append(es, r.pending...)
			r.mu.Unlock()
			wait = min(wait*2, 10*time.Second)
			continue
		}
		wait = r.backoff
	}
}

// Close stops retrying; what waits is dropped.
func (r *Retrier) Close() {
	close(r.stop)
	<-r.stopped
}
