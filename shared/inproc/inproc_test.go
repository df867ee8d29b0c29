package inproc

import (
	"context"
	"slices"
	"testing"

	"github.com/partyfinder/partyfinder/shared/event"
)

type happened struct{ event.Meta }

func TestBusDeliversInOrderToEverySubscriber(t *testing.T) {
	var b Bus
	var first, second []string
	b.Subscribe(func(_ context.Context, e event.Event) { first = append(first, e.EventMeta().ID) })
	if err := b.Publish(t.Context(), happened{event.Meta{ID: "before"}}); err != nil {
		t.Fatal(err)
	}
	b.Subscribe(func(_ context.Context, e event.Event) { second = append(second, e.EventMeta().ID) })
	if err := b.Publish(t.Context(), happened{event.Meta{ID: "a"}}, happened{event.Meta{ID: "b"}}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first, []string{"before", "a", "b"}) {
		t.Errorf("first subscriber got %v", first)
	}
	if !slices.Equal(second, []string{"a", "b"}) {
		t.Errorf("a later subscriber got %v; want only what was published after it subscribed", second)
	}
}
