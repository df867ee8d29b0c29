package firestore_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/googleapis/google-cloudevents-go/cloud/firestoredata"
	"google.golang.org/genproto/googleapis/type/latlng"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/testenv"
)

// delivery is one POST the emulator made to its functions emulator.
type delivery struct {
	path   string
	header http.Header
	body   []byte
}

// triggerEmulator starts a Firestore emulator of its own that delivers
// document events to a listener of this test (the emulator takes one
// functions emulator per process, so the shared one cannot be used), and
// points FIRESTORE_EMULATOR_HOST at it. Without the emulator binary the
// test is skipped, visibly, unless the emulators are required (testenv).
func triggerEmulator(t *testing.T) (host string, deliveries <-chan delivery) {
	t.Helper()
	bin := os.Getenv("FIRESTORE_EMULATOR")
	if bin == "" {
		bin = "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator"
	}
	if _, err := os.Stat(bin); err != nil {
		testenv.Need(t, fmt.Sprintf("the Firestore emulator %s is missing (gcloud components install cloud-firestore-emulator, or set FIRESTORE_EMULATOR)", bin))
	}
	if testing.Short() {
		t.Skip("SKIP Firestore trigger test in -short mode: it starts an emulator of its own")
	}

	ch := make(chan delivery, 16)
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ch <- delivery{path: r.URL.Path, header: r.Header.Clone(), body: body}
	}))
	t.Cleanup(fn.Close)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host = l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--host=127.0.0.1", "--port="+strings.TrimPrefix(host, "127.0.0.1:"),
		"--project_id=demo-party", "--functions_emulator="+strings.TrimPrefix(fn.URL, "http://"))
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	// The launcher script forks a JVM: give it a process group to end.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the Firestore emulator: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + host + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-exited:
			t.Fatalf("the Firestore emulator exited at start; its output:\n%s", &log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Firestore emulator did not answer in 30 s; its output:\n%s", &log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Setenv("FIRESTORE_EMULATOR_HOST", host)
	t.Setenv("FIRESTORE_PROJECT_ID", "demo-party") // the project the trigger is registered in
	return host, ch
}

// registerTrigger registers a written trigger on a document pattern, as
// the emulator's REST API takes it.
func registerTrigger(t *testing.T, host, id, pattern string) {
	t.Helper()
	body := fmt.Sprintf(`{"eventType":"google.cloud.firestore.document.v1.written","database":"(default)","namespace":"(default)",`+
		`"document":{"value":%q,"matchType":"PATH_PATTERN"}}`, pattern)
	resp, err := http.Post("http://"+host+"/emulator/v1/projects/demo-party/eventarcTrigger?eventarcTriggerId="+id,
		"application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("register trigger: %s: %s", resp.Status, b)
	}
}

// The emulator's own deliveries decode into the parties the store wrote
// and reads: a create has only After, an update both, a delete only
// Before. Every field of a party is set, so each of its document's fields
// goes through the decoder.
func TestDecodePartyChangeFromEmulator(t *testing.T) {
	host, deliveries := triggerEmulator(t)
	ctx := t.Context()
	c := emulatorClient(t)
	s, prefix := prefixed(c)
	registerTrigger(t, host, "OnPartyWritten", prefix+"parties/{partyId}")

	next := func(step string) firestore.PartyChange {
		t.Helper()
		var d delivery
		select {
		case d = <-deliveries:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no delivery from the emulator in 20 s", step)
		}
		if d.path != "/functions/projects/demo-party/triggers/OnPartyWritten" {
			t.Errorf("%s: delivered to %s", step, d.path)
		}
		for h, want := range map[string]string{
			"Content-Type":       "application/protobuf",
			"Ce-Specversion":     "1.0",
			"Ce-Type":            "google.cloud.firestore.document.v1.written",
			"Ce-Subject":         "documents/" + prefix + "parties/night-1",
			"Ce-Document":        prefix + "parties/night-1",
			"Ce-Datacontenttype": "application/protobuf",
			"Ce-Source":          "//firestore.googleapis.com/projects/projects/demo-party/databases/(default)",
		} {
			if got := d.header.Get(h); got != want {
				t.Errorf("%s: header %s = %q, want %q", step, h, got, want)
			}
		}
		if d.header.Get("Ce-Id") == "" {
			t.Errorf("%s: no ce-id", step)
		}
		// The emulator sends the protobuf as base64 text; production sends
		// the bytes themselves.
		data, err := base64.StdEncoding.DecodeString(string(d.body))
		if err != nil {
			t.Fatalf("%s: body is not base64 text: %v", step, err)
		}
		ch, err := firestore.DecodePartyChange(data)
		if err != nil {
			t.Fatalf("%s: DecodePartyChange: %v", step, err)
		}
		if ch.PartyID != "night-1" {
			t.Errorf("%s: PartyID = %q", step, ch.PartyID)
		}
		return ch
	}
	same := func(step, side string, got *party.Party, want party.Party) {
		t.Helper()
		if got == nil {
			t.Errorf("%s: %s is nil, want %+v", step, side, want)
		} else if !got.Equal(want) || got.Version != want.Version || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
			t.Errorf("%s: %s = %+v\nwant %+v", step, side, *got, want)
		}
	}

	createConference(t, s, "trigcon", "Trigger Con")
	p, err := party.New(party.Party{
		ID: "night-1", ConferenceID: "trigcon", Title: "Indie Night", Description: "Games and music",
		Venue: "Bootshaus", Address: "Auenweg 173, Köln", Location: &party.Point{Lat: 50.9531, Lng: 6.9871},
		Start: time.Date(2025, 8, 20, 19, 0, 0, 123456789, time.UTC), End: time.Date(2025, 8, 21, 1, 30, 0, 0, time.UTC),
		Category: party.NewCategory("Mixer"), Hosts: []string{"Studio A", "Studio B"}, Price: "Free",
		Link: "https://example.com/indie", Focus: "Developers", Tags: []string{"indie", "music"},
		Status: party.Published, Source: "organizer",
	})
	if err != nil {
		t.Fatal(err)
	}
	created, err := s.CreateParty(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if stored, err := s.Party(ctx, "night-1"); err != nil || !stored.Equal(created) {
		t.Fatalf("the store reads %+v, %v; CreateParty returned %+v", stored, err, created)
	}
	ch := next("create")
	if ch.Before != nil {
		t.Errorf("create: Before = %+v, want nil", *ch.Before)
	}
	same("create", "After", ch.After, created)
	if ch.After != nil && (ch.After.Location == nil || !ch.After.Free || ch.After.End.IsZero() || len(ch.After.Tags) != 2) {
		t.Errorf("create: After lost fields: %+v", *ch.After)
	}

	updated, err := s.UpdateParty(ctx, "night-1", func(p *party.Party) error {
		p.Venue, p.End, p.Location, p.Tags = "Hall 7", time.Time{}, nil, nil
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ch = next("update")
	same("update", "Before", ch.Before, created)
	same("update", "After", ch.After, updated)
	if ch.After != nil && (ch.After.Venue != "Hall 7" || ch.After.Version != 2 || !ch.After.End.IsZero() || ch.After.Location != nil || ch.After.Tags != nil) {
		t.Errorf("update: After = %+v; want the new venue, version 2, no end, location or tags", *ch.After)
	}

	if _, err := c.Collection(prefix + "parties").Doc("night-1").Delete(ctx); err != nil {
		t.Fatal(err)
	}
	ch = next("delete")
	same("delete", "Before", ch.Before, updated)
	if ch.After != nil {
		t.Errorf("delete: After = %+v, want nil", *ch.After)
	}

	select {
	case d := <-deliveries:
		t.Errorf("an unexpected delivery for %s", d.header.Get("Ce-Subject"))
	case <-time.After(300 * time.Millisecond):
	}
}

func docEvent(t *testing.T, before, after *firestoredata.Document) []byte {
	t.Helper()
	b, err := proto.Marshal(&firestoredata.DocumentEventData{OldValue: before, Value: after})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func str(s string) *firestoredata.Value {
	return &firestoredata.Value{ValueType: &firestoredata.Value_StringValue{StringValue: s}}
}

func partyDocument(name string, fields map[string]*firestoredata.Value) *firestoredata.Document {
	f := map[string]*firestoredata.Value{
		"conferenceId": str("c1"),
		"title":        str("Night"),
		"start":        {ValueType: &firestoredata.Value_TimestampValue{TimestampValue: timestamppb.New(time.Date(2025, 8, 20, 19, 0, 0, 0, time.UTC))}},
		"status":       str("published"),
		"version":      {ValueType: &firestoredata.Value_IntegerValue{IntegerValue: 4}},
	}
	for k, v := range fields {
		f[k] = v
	}
	return &firestoredata.Document{Name: "projects/demo-party/databases/(default)/documents/" + name, Fields: f}
}

func TestDecodePartyChange(t *testing.T) {
	null := &firestoredata.Value{ValueType: &firestoredata.Value_NullValue{NullValue: structpb.NullValue_NULL_VALUE}}
	empty := &firestoredata.Value{ValueType: &firestoredata.Value_ArrayValue{ArrayValue: &firestoredata.ArrayValue{}}}
	geo := &firestoredata.Value{ValueType: &firestoredata.Value_GeoPointValue{GeoPointValue: &latlng.LatLng{Latitude: 50.9, Longitude: 6.9}}}
	tags := &firestoredata.Value{ValueType: &firestoredata.Value_ArrayValue{ArrayValue: &firestoredata.ArrayValue{Values: []*firestoredata.Value{str("a"), str("b")}}}}
	whole := &firestoredata.Value{ValueType: &firestoredata.Value_DoubleValue{DoubleValue: 5}}

	t.Run("decodes", func(t *testing.T) {
		data := docEvent(t,
			partyDocument("t1_parties/p1", map[string]*firestoredata.Value{"end": null, "location": null, "tags": empty, "hosts": empty}),
			partyDocument("t1_parties/p1", map[string]*firestoredata.Value{"location": geo, "tags": tags, "version": whole, "unknownField": str("x")}))
		c, err := firestore.DecodePartyChange(data)
		if err != nil {
			t.Fatal(err)
		}
		if c.PartyID != "p1" || c.Before == nil || c.After == nil {
			t.Fatalf("change = %+v", c)
		}
		b, a := *c.Before, *c.After
		if b.ID != "p1" || b.ConferenceID != "c1" || b.Title != "Night" || b.Status != party.Published || b.Version != 4 ||
			!b.Start.Equal(time.Date(2025, 8, 20, 19, 0, 0, 0, time.UTC)) || b.Start.Location() != time.UTC {
			t.Errorf("Before = %+v", b)
		}
		if !b.End.IsZero() || b.Location != nil || b.Tags != nil || b.Hosts != nil {
			t.Errorf("Before: null and empty fields read as %v, %v, %v, %v; want zero, nil, nil, nil", b.End, b.Location, b.Tags, b.Hosts)
		}
		if a.Location == nil || *a.Location != (party.Point{Lat: 50.9, Lng: 6.9}) || len(a.Tags) != 2 || a.Tags[1] != "b" || a.Version != 5 {
			t.Errorf("After = %+v", a)
		}
	})

	swipe := &firestoredata.Document{Name: "projects/demo-party/databases/(default)/documents/users/u1/swipes/p1",
		Fields: map[string]*firestoredata.Value{"action": str("like")}}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"garbage", []byte("\xff\xff\xff\xff")},
		{"no document", docEvent(t, nil, nil)},
		{"a swipe", docEvent(t, nil, swipe)},
		{"a conference", docEvent(t, nil, partyDocument("conferences/c1", nil))},
		{"a party's subcollection", docEvent(t, nil, partyDocument("parties/p1/notes/n1", nil))},
		{"no document path", docEvent(t, nil, &firestoredata.Document{Name: "parties/p1"})},
		{"two documents", docEvent(t, partyDocument("parties/p1", nil), partyDocument("parties/p2", nil))},
		{"a title of another type", docEvent(t, nil, partyDocument("parties/p1", map[string]*firestoredata.Value{"title": whole}))},
		{"a fractional version", docEvent(t, nil, partyDocument("parties/p1", map[string]*firestoredata.Value{
			"version": {ValueType: &firestoredata.Value_DoubleValue{DoubleValue: 1.5}}}))},
		{"a tag of another type", docEvent(t, nil, partyDocument("parties/p1", map[string]*firestoredata.Value{
			"tags": {ValueType: &firestoredata.Value_ArrayValue{ArrayValue: &firestoredata.ArrayValue{Values: []*firestoredata.Value{geo}}}}}))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := firestore.DecodePartyChange(tc.data)
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("DecodePartyChange = %+v, %v; want Invalid", c, err)
			}
		})
	}
}
