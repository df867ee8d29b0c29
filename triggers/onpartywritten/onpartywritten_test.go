package onpartywritten_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"github.com/googleapis/google-cloudevents-go/cloud/firestoredata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/inproc"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/triggers/onpartywritten"
)

var t0 = time.Date(2026, 8, 18, 20, 0, 0, 0, time.UTC)

// published returns a published demo party.
func published(t *testing.T) party.Party {
	t.Helper()
	_, ps := demo.Data(demotest.Now)
	for _, p := range ps {
		if p.Status == party.Published {
			return p
		}
	}
	t.Fatal("no published demo party")
	return party.Party{}
}

// with returns a copy of p changed by fn.
func with(p party.Party, fn func(*party.Party)) *party.Party {
	q := p.Clone()
	fn(&q)
	return &q
}

// partyIDOf returns the party an event is about.
func partyIDOf(e event.Event) string {
	switch e := e.(type) {
	case party.CreatedEvent:
		return e.PartyID
	case party.UpdatedEvent:
		return e.PartyID
	case party.PublishedEvent:
		return e.PartyID
	case party.CancelledEvent:
		return e.PartyID
	case party.RemovedEvent:
		return e.PartyID
	}
	return ""
}

func TestEvents(t *testing.T) {
	pub := published(t)
	draft := with(pub, func(p *party.Party) { p.Status = party.Draft })
	otherCon := with(pub, func(p *party.Party) { p.ConferenceID = "othercon" })
	tests := []struct {
		name          string
		before, after *party.Party
		conference    string
		want          []string
		status        party.Status // of a created party
		changed       []string     // of an update
	}{
		{name: "created as a draft", after: draft, conference: demo.ConferenceID,
			want: []string{party.TypeCreated}, status: party.Draft},
		{name: "created published", after: &pub, conference: demo.ConferenceID,
			want: []string{party.TypeCreated, party.TypePublished}, status: party.Published},
		{name: "fields changed", before: &pub, conference: demo.ConferenceID,
			after: with(pub, func(p *party.Party) { p.Title, p.Venue = "Renamed", "Elsewhere" }),
			want:  []string{party.TypeUpdated}, changed: []string{"title", "venue"}},
		{name: "draft published", before: draft, after: &pub, conference: demo.ConferenceID,
			want: []string{party.TypeUpdated, party.TypePublished}, changed: []string{"status"}},
		{name: "cancelled", before: &pub, conference: demo.ConferenceID,
			after: with(pub, func(p *party.Party) { p.Status = party.Cancelled }),
			want:  []string{party.TypeUpdated, party.TypeCancelled}, changed: []string{"status"}},
		{name: "deleted", before: otherCon, conference: "othercon", want: []string{party.TypeRemoved}},
		{name: "only bookkeeping rewritten", before: &pub,
			after: with(pub, func(p *party.Party) { p.Version++; p.UpdatedAt = p.UpdatedAt.Add(time.Hour) })},
		{name: "rewritten unchanged", before: &pub, after: &pub},
		{name: "no document", before: nil, after: nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ceID := fmt.Sprintf("ce-%d", i)
			c := onpartywritten.Change{PartyID: pub.ID, Before: tt.before, After: tt.after}
			got := onpartywritten.Events(c, ceID, t0)
			var types []string
			for n, e := range got {
				types = append(types, e.EventMeta().Type)
				m := e.EventMeta()
				want := event.Meta{ID: fmt.Sprintf("fs:%s:%d", ceID, n+1), Type: m.Type, Version: party.EventVersion,
					At: t0, Actor: event.System, Conference: tt.conference}
				if m != want {
					t.Errorf("event %d metadata %+v, want %+v", n, m, want)
				}
				if id := partyIDOf(e); id != pub.ID {
					t.Errorf("event %d about party %q, want %q", n, id, pub.ID)
				}
				switch e := e.(type) {
				case party.CreatedEvent:
					if e.Status != tt.status {
						t.Errorf("created in status %q, want %q", e.Status, tt.status)
					}
				case party.UpdatedEvent:
					if !slices.Equal(e.Changed, tt.changed) {
						t.Errorf("changed %q, want %q", e.Changed, tt.changed)
					}
				}
			}
			if !slices.Equal(types, tt.want) {
				t.Errorf("events %q, want %q", types, tt.want)
			}
			// A redelivered trigger derives the same events, ids included,
			// so every consumer's dedupe by id counts it once.
			if again := onpartywritten.Events(c, ceID, t0); !reflect.DeepEqual(again, got) {
				t.Errorf("redelivery derived\n%+v\nfirst delivery\n%+v", again, got)
			}
		})
	}
}

// doc is a party document as Firestore sends it to a trigger.
func doc(p party.Party) *firestoredata.Document {
	str := func(s string) *firestoredata.Value {
		return &firestoredata.Value{ValueType: &firestoredata.Value_StringValue{StringValue: s}}
	}
	return &firestoredata.Document{
		Name: "projects/demo-party/databases/(default)/documents/parties/" + p.ID,
		Fields: map[string]*firestoredata.Value{
			"conferenceId": str(p.ConferenceID),
			"title":        str(p.Title),
			"venue":        str(p.Venue),
			"status":       str(string(p.Status)),
			"start":        {ValueType: &firestoredata.Value_TimestampValue{TimestampValue: timestamppb.New(p.Start)}},
			"version":      {ValueType: &firestoredata.Value_IntegerValue{IntegerValue: p.Version}},
			"seq":          {ValueType: &firestoredata.Value_IntegerValue{IntegerValue: p.Seq}},
		},
	}
}

func cloudEvent(t *testing.T, id string, at time.Time, before, after *firestoredata.Document) cloudevent.Event {
	t.Helper()
	data, err := proto.Marshal(&firestoredata.DocumentEventData{OldValue: before, Value: after})
	if err != nil {
		t.Fatal(err)
	}
	ce := cloudevent.New()
	ce.SetID(id)
	ce.SetType("google.cloud.firestore.document.v1.written")
	ce.SetSource("//firestore.googleapis.com/projects/demo-party/databases/(default)")
	if !at.IsZero() {
		ce.SetTime(at)
	}
	if err := ce.SetData("application/protobuf", data); err != nil {
		t.Fatal(err)
	}
	return ce
}

// decode is the wiring's decoder: the firestore adapter's, into the
// trigger's change.
func decode(data []byte) (onpartywritten.Change, error) {
	c, err := firestore.DecodePartyChange(data)
	return onpartywritten.Change{PartyID: c.PartyID, Before: c.Before, After: c.After}, err
}

// handler returns the handler as the app wires it, publishing to an
// in-process bus, and what the bus's subscriber heard.
func handler() (*onpartywritten.Handler, *[]event.Event) {
	var heard []event.Event
	var bus inproc.Bus
	bus.Subscribe(func(_ context.Context, e event.Event) { heard = append(heard, e) })
	return &onpartywritten.Handler{Decode: decode, Events: &bus}, &heard
}

func TestHandlePublishes(t *testing.T) {
	p := published(t)
	h, heard := handler()
	ce := cloudEvent(t, "ce-h1", t0, nil, doc(p))
	for range 2 {
		if err := h.Handle(t.Context(), ce); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, e := range *heard {
		m := e.EventMeta()
		got = append(got, m.ID+" "+m.Type)
		if m.Conference != p.ConferenceID || !m.At.Equal(t0) || m.Actor != event.System || partyIDOf(e) != p.ID {
			t.Errorf("event %+v", e)
		}
	}
	// Delivered twice: the same two events, ids included.
	want := []string{"fs:ce-h1:1 " + party.TypeCreated, "fs:ce-h1:2 " + party.TypePublished}
	want = append(want, want...)
	if !slices.Equal(got, want) {
		t.Errorf("heard %q, want %q", got, want)
	}

	*heard = nil
	if err := h.Handle(t.Context(), cloudEvent(t, "ce-h2", t0, doc(p), doc(p))); err != nil || len(*heard) != 0 {
		t.Errorf("a write that changes nothing: %v, heard %+v", err, *heard)
	}

	// A CloudEvent without a time stamps its events with the time handled.
	*heard = nil
	from := time.Now()
	if err := h.Handle(t.Context(), cloudEvent(t, "ce-h3", time.Time{}, doc(p), nil)); err != nil {
		t.Fatal(err)
	}
	to := time.Now()
	if len(*heard) != 1 || (*heard)[0].EventMeta().Type != party.TypeRemoved {
		t.Fatalf("deletion heard as %+v", *heard)
	}
	if at := (*heard)[0].EventMeta().At; at.Location() != time.UTC || at.Before(from.Add(-time.Second)) || at.After(to.Add(time.Second)) {
		t.Errorf("event of a CloudEvent without a time at %v, want the time it was handled in UTC", at)
	}
}

// An event no retry can decode is acknowledged and logged, not retried
// forever.
func TestHandleDropsUndecodable(t *testing.T) {
	var logs strings.Builder
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	h, heard := handler()

	garbage := cloudevent.New()
	garbage.SetID("ce-bad-1")
	_ = garbage.SetData("application/protobuf", []byte("not a protobuf"))
	profile := cloudEvent(t, "ce-bad-2", t0, nil, &firestoredata.Document{Name: "projects/demo-party/databases/(default)/documents/users/ada"})
	empty := cloudEvent(t, "ce-bad-3", t0, nil, nil)
	for _, ce := range []cloudevent.Event{garbage, profile, empty} {
		if err := h.Handle(t.Context(), ce); err != nil {
			t.Errorf("undecodable %s: %v, want nil (acknowledged)", ce.ID(), err)
		}
		if !strings.Contains(logs.String(), ce.ID()) {
			t.Errorf("undecodable %s not logged:\n%s", ce.ID(), logs.String())
		}
	}
	if n := strings.Count(logs.String(), "dropped"); n != 3 {
		t.Errorf("%d drops logged, want 3:\n%s", n, logs.String())
	}
	if len(*heard) != 0 {
		t.Errorf("undecodable events published %+v", *heard)
	}
}

// failing cannot publish: failure injection.
type failing struct{}

func (failing) Publish(context.Context, ...event.Event) error {
	return errors.New("injected: pubsub down")
}

// A failed publish is returned, so the trigger is retried and no write's
// events are lost.
func TestHandleReturnsPublishFailure(t *testing.T) {
	h := &onpartywritten.Handler{Decode: decode, Events: failing{}}
	err := h.Handle(t.Context(), cloudEvent(t, "ce-f1", t0, nil, doc(published(t))))
	if err == nil || !strings.Contains(err.Error(), "ce-f1") {
		t.Errorf("Handle with a failing publisher = %v, want an error naming the CloudEvent", err)
	}
}

// failingRecorder cannot record: failure injection.
type failingRecorder struct{ calls int }

func (f *failingRecorder) RecordOutsideWrite(context.Context, *party.Party, *party.Party) error {
	f.calls++
	return errors.New("injected: firestore unavailable")
}

// A write made past the store is handed to the recorder, and a failed
// recording is returned so the trigger is retried; a write through the
// store (its position moved) is not handed over.
func TestHandleRecordsOutsideWrites(t *testing.T) {
	p := published(t)
	p.Seq = 3
	moved := with(p, func(q *party.Party) { q.Venue, q.Seq = "Stadtgarten", 4 })
	edited := with(p, func(q *party.Party) { q.Venue = "Stadtgarten" })
	h, _ := handler()
	rec := &failingRecorder{}
	h.Record = rec
	if err := h.Handle(t.Context(), cloudEvent(t, "ce-r1", t0, doc(p), doc(*moved))); err != nil || rec.calls != 0 {
		t.Errorf("a write through the store: %v, %d recordings", err, rec.calls)
	}
	err := h.Handle(t.Context(), cloudEvent(t, "ce-r2", t0, doc(p), doc(*edited)))
	if rec.calls != 1 || err == nil || !strings.Contains(err.Error(), "ce-r2") {
		t.Errorf("a console edit with a failing recorder: %v after %d recordings, want an error naming the CloudEvent", err, rec.calls)
	}
}
