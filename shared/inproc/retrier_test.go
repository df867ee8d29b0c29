package inproc

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/event"
)

// Events a handler cannot take yet are handed over again until it does,
// none lost and none handed over after they were taken.
func TestRetrierHandsOverUntilTaken(t *testing.T) {
	var mu sync.Mutex
	fails := 3
	var taken []string
	r := NewRetrier(func(_ context.Context, es []event.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			return errors.New("redis is down")
		}
		for _, e := range es {
			taken = append(taken, e.EventMeta().ID)
		}
		return nil
	})
	go r.Run()
	defer r.Close()
	r.Add([]event.Event{happened{event.Meta{ID: "a"}}, happened{event.Meta{ID: "b"}}})
	r.Add([]event.Event{happened{event.Meta{ID: "c"}}})
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(taken)
		mu.Unlock()
		if n >= 3 && r.Pending() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s taken %v, %d pending", taken, r.Pending())
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(taken) != 3 || taken[0] != "a" || taken[1] != "b" || taken[2] != "c" {
		t.Errorf("taken %v, want a b c once each, in order", taken)
	}
}
