package inproc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/event"
)

// Every event reaches the handler once, in order, and Flush waits for it.
func TestQueueHandlesEveryEventOnce(t *testing.T) {
	var mu sync.Mutex
	var got []string
	q := NewQueue(16, func(_ context.Context, es []event.Event) error {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range es {
			got = append(got, e.EventMeta().ID)
		}
		return nil
	})
	go q.Run()
	defer q.Close()
	for i := range 100 {
		q.Enqueue(t.Context(), happened{event.Meta{ID: fmt.Sprint(i)}})
	}
	q.Flush()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 100 {
		t.Fatalf("handled %d events, want 100", len(got))
	}
	for i, id := range got {
		if id != fmt.Sprint(i) {
			t.Fatalf("event %d is %s: order lost", i, id)
		}
	}
}

// A batch that fails is retried until it succeeds; it has one effect.
func TestQueueRetriesFailedBatches(t *testing.T) {
	var calls, effects int
	q := NewQueue(4, func(_ context.Context, es []event.Event) error {
		calls++
		if calls <= 2 {
			return errors.New("store busy")
		}
		effects += len(es)
		return nil
	})
	q.backoff = time.Millisecond
	go q.Run()
	defer q.Close()
	q.Enqueue(t.Context(), happened{event.Meta{ID: "a"}})
	q.Flush()
	if calls != 3 || effects != 1 {
		t.Errorf("calls %d effects %d, want 3 calls and one effect", calls, effects)
	}
}

// Closing handles what was queued first.
func TestQueueCloseDrains(t *testing.T) {
	handled := 0
	q := NewQueue(64, func(_ context.Context, es []event.Event) error { handled += len(es); return nil })
	for i := range 10 {
		q.Enqueue(t.Context(), happened{event.Meta{ID: fmt.Sprint(i)}})
	}
	go q.Run()
	q.Close()
	if handled != 10 {
		t.Errorf("handled %d of 10 queued events before closing", handled)
	}
}

// What is left at Close is handled in batches as before it: a stop right
// after an import of thousands of parties does not handle their events
// one call each. Each round closes a queue holding 1,200 events; the
// handler may be called at most once per 500 of them.
func TestQueueCloseDrainsInBatches(t *testing.T) {
	for round := range 10 {
		calls, handled := 0, 0
		q := NewQueue(2000, func(_ context.Context, es []event.Event) error { calls++; handled += len(es); return nil })
		for i := range 1200 {
			q.Enqueue(t.Context(), happened{event.Meta{ID: fmt.Sprint(i)}})
		}
		close(q.stop) // Close as Run starts: both the events and the stop are waiting
		q.Run()
		if handled != 1200 || calls > 3 {
			t.Fatalf("round %d: %d events in %d calls; want 1200 in at most 3", round, handled, calls)
		}
	}
}
