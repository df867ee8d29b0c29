package ondecisionwritten_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"github.com/googleapis/google-cloudevents-go/cloud/firestoredata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/inproc"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/triggers/ondecisionwritten"
)

var t0 = time.Date(2026, 8, 18, 20, 0, 0, 0, time.UTC)

// decode is the wiring's decoder: the firestore adapter's, into the
// trigger's change.
func decode(data []byte) (ondecisionwritten.Change, error) {
	c, err := firestore.DecodeDecisionChange(data)
	return ondecisionwritten.Change{UID: c.UID, PartyID: c.PartyID, Swipe: c.Swipe, Save: c.Save}, err
}

// doc is a stored swipe (action != "") or save document as Firestore
// sends it to a trigger.
func doc(kind, uid, partyID, action string, at time.Time) *firestoredata.Document {
	f := map[string]*firestoredata.Value{
		"partyId": {ValueType: &firestoredata.Value_StringValue{StringValue: partyID}},
		"at":      {ValueType: &firestoredata.Value_TimestampValue{TimestampValue: timestamppb.New(at)}},
	}
	if action != "" {
		f["action"] = &firestoredata.Value{ValueType: &firestoredata.Value_StringValue{StringValue: action}}
	}
	return &firestoredata.Document{Name: "projects/demo-party/databases/(default)/documents/users/" + uid + "/" + kind + "/" + partyID, Fields: f}
}

func cloudEvent(t *testing.T, id string, before, after *firestoredata.Document) cloudevent.Event {
	t.Helper()
	data, err := proto.Marshal(&firestoredata.DocumentEventData{OldValue: before, Value: after})
	if err != nil {
		t.Fatal(err)
	}
	ce := cloudevent.New()
	ce.SetID(id)
	ce.SetType("google.cloud.firestore.document.v1.written")
	ce.SetSource("//firestore.googleapis.com/projects/demo-party/databases/(default)")
	ce.SetTime(t0)
	if err := ce.SetData("application/protobuf", data); err != nil {
		t.Fatal(err)
	}
	return ce
}

type fixture struct {
	h     *ondecisionwritten.Handler
	heard []event.Event
	p     party.Party
}

func newFixture(t *testing.T) *fixture {
	s := demotest.Store(t)
	f := &fixture{p: s.Parties[0]}
	var bus inproc.Bus
	bus.Subscribe(func(_ context.Context, e event.Event) { f.heard = append(f.heard, e) })
	f.h = &ondecisionwritten.Handler{Decode: decode, Parties: s.Store, Events: &bus}
	return f
}

func TestWritesBecomeEvents(t *testing.T) {
	f := newFixture(t)
	p := f.p.ID
	like, pass := doc("swipes", "ada", p, "like", t0), doc("swipes", "ada", p, "pass", t0.Add(time.Minute))
	save := doc("saves", "ada", p, "", t0)
	tests := []struct {
		name          string
		before, after *firestoredata.Document
		want          []string
		prev          attendee.Action
	}{
		{"first like", nil, like, []string{attendee.TypeSwipeRecorded}, ""},
		{"like to pass", like, pass, []string{attendee.TypeSwipeRecorded}, attendee.Like},
		{"rewritten unchanged", like, like, nil, ""},
		{"swipe deleted by an erasure", like, nil, []string{attendee.TypeSwipeRemoved}, ""},
		{"saved", nil, save, []string{attendee.TypeSaveAdded}, ""},
		{"unsaved", save, nil, []string{attendee.TypeSaveRemoved}, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.heard = nil
			if err := f.h.Handle(t.Context(), cloudEvent(t, "ce"+string(rune('a'+i)), tt.before, tt.after)); err != nil {
				t.Fatal(err)
			}
			var types []string
			for _, e := range f.heard {
				types = append(types, e.EventMeta().Type)
				m := e.EventMeta()
				if m.Conference != f.p.ConferenceID || m.Actor != "ada" || !m.At.Equal(t0) || !strings.HasPrefix(m.ID, "fs:ce") {
					t.Errorf("metadata %+v", m)
				}
				if sw, ok := e.(attendee.SwipeRecorded); ok && (sw.Previous != tt.prev || sw.PartyID != p || sw.UID != "ada") {
					t.Errorf("swipe event %+v, want previous %q", sw, tt.prev)
				}
			}
			if !slices.Equal(types, tt.want) {
				t.Errorf("events %v, want %v", types, tt.want)
			}
		})
	}
}

// A redelivered trigger publishes the same event ids, so it counts once.
func TestRedeliveryKeepsEventIDs(t *testing.T) {
	f := newFixture(t)
	ce := cloudEvent(t, "ce-1", nil, doc("swipes", "ada", f.p.ID, "interested", t0))
	for range 2 {
		if err := f.h.Handle(t.Context(), ce); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.heard) != 2 || f.heard[0].EventMeta().ID != f.heard[1].EventMeta().ID {
		t.Errorf("events of two deliveries: %+v", f.heard)
	}
}

// failing cannot publish: failure injection.
type failing struct{}

func (failing) Publish(context.Context, ...event.Event) error { return errors.New("pubsub down") }

func TestPublishFailureIsRetriedAndPoisonIsDropped(t *testing.T) {
	f := newFixture(t)
	f.h.Events = failing{}
	if err := f.h.Handle(t.Context(), cloudEvent(t, "ce-2", nil, doc("saves", "ada", f.p.ID, "", t0))); err == nil {
		t.Error("a publish failure was acknowledged; the trigger must be retried")
	}
	var logs strings.Builder
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	garbage := cloudevent.New()
	garbage.SetID("ce-3")
	_ = garbage.SetData("application/protobuf", []byte("not a protobuf"))
	profile := cloudEvent(t, "ce-4", nil, &firestoredata.Document{Name: "projects/p/databases/(default)/documents/users/ada"})
	for _, ce := range []cloudevent.Event{garbage, profile} {
		if err := f.h.Handle(t.Context(), ce); err != nil {
			t.Errorf("poison %s: %v, want nil", ce.ID(), err)
		}
	}
	if n := strings.Count(logs.String(), "dropped"); n != 2 {
		t.Errorf("%d drops logged, want 2", n)
	}
}
