package inproc

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/partyfinder/partyfinder/shared/event"
)

// Queue hands events to a handler on a goroutine of its own, in batches,
// so a subscriber that writes (the analytics) does not hold up the request
// that published. A batch that fails is retried with backoff; events are
// kept in memory only, so a crash loses what was not yet handled.
type Queue struct {
	handle   func(context.Context, []event.Event) error
	in       chan event.Event
	maxBatch int
	retries  int
	backoff  time.Duration

	mu      sync.Mutex
	cond    *sync.Cond
	queued  uint64 // events accepted
	settled uint64 // events handled or given up on
	stop    chan struct{}
	stopped chan struct{}
}

// NewQueue returns a queue of at most size waiting events for handle; call
// Run to start it.
func NewQueue(size int, handle func(context.Context, []event.Event) error) *Queue {
	q := &Queue{handle: handle, in: make(chan event.Event, size), maxBatch: 500, retries: 5, backoff: 50 * time.Millisecond,
		stop: make(chan struct{}), stopped: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Handler subscribes the queue to a bus; only events keep selects are queued.
func (q *Queue) Handler(keep func(event.Event) bool) Handler {
	return func(ctx context.Context, e event.Event) {
		if keep(e) {
			q.Enqueue(ctx, e)
		}
	}
}

// Enqueue adds an event, waiting while the queue is full (back pressure
// rather than lost counts) unless ctx ends first.
func (q *Queue) Enqueue(ctx context.Context, e event.Event) {
	q.mu.Lock()
	q.queued++
	q.mu.Unlock()
	select {
	case q.in <- e:
	case <-ctx.Done():
		slog.WarnContext(ctx, "event dropped: the queue is full and the request ended", "type", e.EventMeta().Type)
		q.settle(1)
	}
}

// Run handles batches until Close; it returns when the queue is drained.
func (q *Queue) Run() {
	defer close(q.stopped)
	for {
		select {
		case first := <-q.in:
			q.run(q.fill([]event.Event{first}))
		case <-q.stop:
			// Drain what is left in batches too: after a big import the
			// queue may hold thousands of events, and handling them one
			// by one would hold up the process's stop for minutes.
			for batch := q.fill(nil); len(batch) > 0; batch = q.fill(nil) {
				q.run(batch)
			}
			return
		}
	}
}

// fill adds the waiting events to batch, up to maxBatch.
func (q *Queue) fill(batch []event.Event) []event.Event {
	for len(batch) < q.maxBatch {
		select {
		case e := <-q.in:
			batch = append(batch, e)
		default:
			return batch
		}
	}
	return batch
}

func (q *Queue) run(batch []event.Event) {
	ctx := context.Background()
	wait := q.backoff
	for attempt := 0; ; attempt++ {
		err := q.handle(ctx, batch)
		if err == nil {
			break
		}
		if attempt == q.retries {
			slog.Error("events given up after retries", "events", len(batch), "error", err)
			break
		}
		time.Sleep(wait)
		wait *= 2
	}
	q.settle(len(batch))
}

func (q *Queue) settle(n int) {
	q.mu.Lock()
	q.settled += uint64(n)
	q.cond.Broadcast()
	q.mu.Unlock()
}

// Flush waits until every event enqueued before it was handled.
func (q *Queue) Flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	target := q.queued
	for q.settled < target {
		q.cond.Wait()
	}
}

// Close stops Run after handling what is queued.
func (q *Queue) Close() {
	close(q.stop)
	<-q.stopped
}
