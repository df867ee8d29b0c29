package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"

	partyfinder "github.com/partyfinder/partyfinder"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// The local run's Firestore triggers. The Firestore emulator, started with
// --functions_emulator=HOST:PORT, calls HOST:PORT + functionsPath +
// PROJECT/triggers/ID for every write matching a trigger registered with
// it; the bridge turns that call into the CloudEvent a deployed function
// gets and calls the trigger's handler.

// functionsPath is where the Firestore emulator delivers trigger events.
const functionsPath = "/functions/projects/"

// firestoreWritten is the event type of every registration: any write
// (create, update or delete) of a matching document.
const firestoreWritten = "google.cloud.firestore.document.v1.written"

// firestoreRegistration is one trigger registration with the Firestore
// emulator: one document pattern of one trigger.
type firestoreRegistration struct {
	ID       string // eventarcTriggerId, e.g. OnDecisionWritten-1
	Trigger  string // the trigger's name in partyfinder.Triggers
	Document string // the document pattern, e.g. users/{uid}/swipes/{partyId}
}

// firestoreRegistrations derives a registration for every document pattern
// of every Firestore trigger in the table, numbered from 1 per trigger.
func firestoreRegistrations(triggers []partyfinder.Trigger) []firestoreRegistration {
	var regs []firestoreRegistration
	for _, t := range triggers {
		for i, doc := range t.Documents {
			regs = append(regs, firestoreRegistration{ID: fmt.Sprintf("%s-%d", t.Name, i+1), Trigger: t.Name, Document: doc})
		}
	}
	return regs
}

// registerFirestoreTrigger registers reg with the Firestore emulator at
// host (FIRESTORE_EMULATOR_HOST). The emulator keeps registrations until it
// stops and replaces one registered again under the same id, so a restarted
// run registers the same ids again.
func registerFirestoreTrigger(ctx context.Context, client *http.Client, host, project string, reg firestoreRegistration) error {
	body, err := json.Marshal(map[string]any{
		"eventType": firestoreWritten,
		"database":  "(default)",
		"namespace": "(default)",
		"document":  map[string]string{"value": reg.Document, "matchType": "PATH_PATTERN"},
	})
	if err != nil {
		return err
	}
	u := "http://" + host + "/emulator/v1/projects/" + url.PathEscape(project) + "/eventarcTrigger?eventarcTriggerId=" + url.QueryEscape(reg.ID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("register %s with the Firestore emulator: %w", reg.ID, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("register %s with the Firestore emulator: %s: %s", reg.ID, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// bridge serves the Firestore emulator's trigger calls to the triggers'
// handlers. It makes up for the emulator's differences from production:
// the body is base64 text of the protobuf DocumentEventData (production
// sends the bytes), the ce-datacontenttype header is sent alongside
// Content-Type, ce-source reads //firestore.googleapis.com/projects/projects/…,
// and a failed call is never delivered again, so the bridge retries the
// handler itself before it answers 503.
type bridge struct {
	regs    map[string]string // registration id → trigger name
	handler func(name string) partyfinder.CloudEventHandler
	// retries are the waits before each further attempt of a failed
	// handler; their sum stays well inside bridgeTimeout.
	retries []time.Duration

	probeMu sync.Mutex
	probeID string        // the registration of the delivery check; "" for none
	probed  chan struct{} // closed when its first event arrives
}

// defaultRetries give a handler five attempts, the last about 4 s after
// the first.
var defaultRetries = []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}

// bridgeTimeout bounds a call, the retries included: the emulator waits
// 20 s for an answer, and delivers its calls one at a time.
const bridgeTimeout = 15 * time.Second

func newBridge(regs []firestoreRegistration, handler func(string) partyfinder.CloudEventHandler) *bridge {
	b := &bridge{regs: map[string]string{}, handler: handler, retries: defaultRetries}
	for _, r := range regs {
		b.regs[r.ID] = r.Trigger
	}
	return b
}

// ServeHTTP answers 204 when the trigger handled the event, 503 when it
// failed every attempt, 404 for a registration this run does not know (one
// left in a long-running emulator by a run with other triggers) and 400 for
// a call that is not a Firestore CloudEvent.
func (b *bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, id, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, functionsPath), "/triggers/")
	if !ok || r.Method != http.MethodPost {
		httpapi.NotFound(w, r)
		return
	}
	if b.isProbe(id) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	name, known := b.regs[id]
	var h partyfinder.CloudEventHandler
	if known {
		h = b.handler(name)
	}
	if h == nil {
		slog.WarnContext(r.Context(), "Firestore trigger call for a registration this run does not serve", "trigger", id)
		httpapi.Error(w, r, apperr.New(apperr.NotFound, "no trigger registered as %q", id))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		httpapi.Error(w, r, apperr.New(apperr.Invalid, "unreadable trigger body: %v", err))
		return
	}
	ce, err := emulatorEvent(r.Header, body)
	if err != nil {
		httpapi.LogError(r, "Firestore trigger call is not a document event; dropped", err, "trigger", id)
		httpapi.Error(w, r, apperr.New(apperr.Invalid, "%v", err))
		return
	}
	for attempt := 0; ; attempt++ {
		err = h(r.Context(), ce)
		if err == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if attempt == len(b.retries) || r.Context().Err() != nil {
			break
		}
		httpapi.LogError(r, "Firestore trigger failed; retrying", err, "trigger", name, "ceId", ce.ID(), "attempt", attempt+1)
		select {
		case <-time.After(b.retries[attempt]):
		case <-r.Context().Done():
		}
	}
	httpapi.LogError(r, "Firestore trigger failed; the emulator does not deliver it again", err, "trigger", name, "ceId", ce.ID())
	w.WriteHeader(http.StatusServiceUnavailable)
}

// emulatorEvent builds the CloudEvent production would deliver from a
// Firestore emulator call in binary mode: the ce-* headers as attributes
// and extensions (but not ce-datacontenttype, which the data's content
// type replaces), ce-source without the doubled "projects/", and the
// DocumentEventData bytes as application/protobuf data.
func emulatorEvent(h http.Header, body []byte) (cloudevent.Event, error) {
	ce := cloudevent.New()
	id, typ, source := h.Get("Ce-Id"), h.Get("Ce-Type"), h.Get("Ce-Source")
	if id == "" || typ == "" || source == "" {
		return ce, fmt.Errorf("the call lacks ce-id, ce-type or ce-source")
	}
	ce.SetID(id)
	ce.SetType(typ)
	ce.SetSource(strings.Replace(source, "/projects/projects/", "/projects/", 1))
	if s := h.Get("Ce-Subject"); s != "" {
		ce.SetSubject(s)
	}
	if s := h.Get("Ce-Time"); s != "" {
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return ce, fmt.Errorf("ce-time %q: %w", s, err)
		}
		ce.SetTime(at)
	}
	if s := h.Get("Ce-Dataschema"); s != "" {
		ce.SetDataSchema(s)
	}
	for k, vs := range h {
		name, ok := strings.CutPrefix(strings.ToLower(k), "ce-")
		if !ok || len(vs) == 0 {
			continue
		}
		switch name {
		case "id", "type", "source", "subject", "time", "dataschema", "specversion", "datacontenttype":
			continue
		}
		// Firestore's extensions: location, project, database, namespace,
		// document. A name CloudEvents does not allow is left out.
		_ = ce.Context.SetExtension(name, vs[0])
	}
	if err := ce.SetData("application/protobuf", protobufBody(body)); err != nil {
		return ce, err
	}
	if err := ce.Validate(); err != nil {
		return ce, err
	}
	return ce, nil
}

// protobufBody returns the serialized DocumentEventData of a call's body:
// the emulator sends it as base64 text. A body that is not base64 is taken
// as the bytes themselves, as production sends them (a serialized
// DocumentEventData starts with a field tag byte outside the base64
// alphabet).
func protobufBody(body []byte) []byte {
	text := bytes.TrimSpace(body)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(string(text)); err == nil {
			return b
		}
	}
	return body
}

// probeCollection holds the document the delivery check writes.
const probeCollection = "partyfinderProbes"

// checkDelivery finds out whether the Firestore emulator calls this run:
// it registers a trigger of its own, writes a document that matches it and
// waits for the call. It says how to start the emulator when no call
// arrives in wait. The check's document is deleted afterwards; its
// registration stays with the emulator, as every registration does.
func (b *bridge) checkDelivery(ctx context.Context, client *http.Client, host, project, listen string, wait time.Duration, out io.Writer) {
	run := strings.ToLower(rand.Text()[:10])
	reg := firestoreRegistration{ID: "PartyfinderDeliveryCheck", Trigger: "", Document: probeCollection + "/{run}"}
	b.probeMu.Lock()
	b.probeID, b.probed = reg.ID, make(chan struct{})
	probed := b.probed
	b.probeMu.Unlock()

	doc := "http://" + host + "/v1/projects/" + url.PathEscape(project) + "/databases/(default)/documents/" + probeCollection + "/" + run
	write := func(method string, body []byte) error {
		req, err := http.NewRequestWithContext(ctx, method, doc, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer owner") // the emulator's admin: no rules
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s %s: %s", method, doc, resp.Status)
		}
		return nil
	}
	err := registerFirestoreTrigger(ctx, client, host, project, reg)
	if err == nil {
		err = write(http.MethodPatch, []byte(`{"fields":{"at":{"timestampValue":"`+time.Now().UTC().Format(time.RFC3339Nano)+`"}}}`))
	}
	if err != nil {
		if ctx.Err() == nil {
			fmt.Fprintf(out, "firestore triggers: could not check that the emulator calls this run: %v\n", err)
		}
		return
	}
	defer func() { _ = write(http.MethodDelete, nil) }()
	select {
	case <-probed:
		fmt.Fprintf(out, "firestore triggers: the emulator at %s calls this run at %s\n", host, listen)
	case <-time.After(wait):
		fmt.Fprintf(out, "firestore triggers: WARNING: the Firestore emulator at %s called no trigger of this run within %s.\n"+
			"  Start it with --functions_emulator=%s, or give serve --functions-emulator the address it was started with;\n"+
			"  until then swipes and saves are not counted.\n", host, wait, listen)
	case <-ctx.Done():
	}
}

// isProbe reports whether id is the delivery check's registration, and
// notes its call.
func (b *bridge) isProbe(id string) bool {
	b.probeMu.Lock()
	defer b.probeMu.Unlock()
	if b.probeID == "" || id != b.probeID {
		return false
	}
	select {
	case <-b.probed:
	default:
		close(b.probed)
	}
	return true
}

// setupFirestoreTriggers registers every Firestore trigger of the table
// with the emulator at FIRESTORE_EMULATOR_HOST, says what it registered,
// and checks in the background that the emulator calls listen (the
// address serving the bridge). Without an emulator it says why nothing is
// registered and returns nil: the API still works.
func setupFirestoreTriggers(ctx context.Context, cfg partyfinder.Config, b *bridge, listen string, out io.Writer) error {
	regs := firestoreRegistrations(partyfinder.Triggers)
	host := strings.TrimPrefix(os.Getenv("FIRESTORE_EMULATOR_HOST"), "http://")
	if host == "" {
		fmt.Fprintf(out, "firestore triggers: NOT registered (%d document patterns): FIRESTORE_EMULATOR_HOST is not set, so no Firestore\n"+
			"  emulator can call this run. The API works, but on Firestore with --events pubsub swipes and saves are\n"+
			"  counted from document events only: none are counted in this run.\n", len(regs))
		return nil
	}
	if len(regs) == 0 {
		return nil
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, reg := range regs {
		if err := registerFirestoreTrigger(ctx, client, host, cfg.ProjectID, reg); err != nil {
			return err
		}
		fmt.Fprintf(out, "firestore triggers: %s on %s calls %s (as %s)\n", reg.Trigger, reg.Document, "http://"+listen+functionsPath+cfg.ProjectID+"/triggers/"+reg.ID, reg.ID)
	}
	go b.checkDelivery(ctx, client, host, cfg.ProjectID, listen, 10*time.Second, out)
	return nil
}
