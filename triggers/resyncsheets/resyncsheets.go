// Package resyncsheets is the ResyncSheets function: a Pub/Sub-triggered
// CloudEvent function that imports again the sheet each conference names
// (conference.SyncURL), so a conference whose organizers keep their party
// list in a spreadsheet stays current without an admin.
//
// Cloud Scheduler publishes to the schedule topic (every hour by
// default); the local runner calls Sync on a timer instead. The message
// may name one conference ({"conference": "gamescom2025"}); an empty one
// or {} re-syncs every conference that names a sheet.
//
// A re-sync imports with source SheetSource and prune: a party the sheet
// no longer lists is cancelled (never deleted), one that comes back is
// published again, and a sheet that did not change writes nothing. It
// fails only for what a retry can fix (the sheet host did not answer, the
// store is away): Pub/Sub then redelivers with backoff. A sheet that can
// never be imported as it stands (a refused URL, a file that is not a
// sheet) is logged and left until an admin fixes it.
package resyncsheets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/importer"
)

// SheetSource is the source of the parties a re-sync imports; part of
// their ids, so the same sheet imported by hand with ?source=sheet shares
// its parties with the re-sync.
const SheetSource = "sheet"

// Conferences lists every conference.
type Conferences interface {
	Conferences(ctx context.Context) ([]conference.Conference, error)
}

// Importer runs an import (importer.Importer.Run).
type Importer interface {
	Run(ctx context.Context, req importer.Request) (importer.Report, error)
}

// Fetch downloads an admin-supplied https URL, refusing any that is not a
// public host (shared/fetch).
type Fetch func(ctx context.Context, url string) ([]byte, error)

// Decoder returns the payload of a messagePublished CloudEvent's data
// (shared/pubsub.MessageData).
type Decoder func(data []byte) ([]byte, error)

// Request is the scheduler's message.
type Request struct {
	// Conference re-syncs one conference; "" every one with a sheet.
	Conference string `json:"conference"`
}

// Result is the outcome of one conference's re-sync.
type Result struct {
	Conference string
	Report     importer.Report
	Err        error
}

var tracer = otel.Tracer("github.com/partyfinder/partyfinder/triggers/resyncsheets")

// Handler handles the function's CloudEvents.
type Handler struct {
	Conferences Conferences
	Fetch       Fetch
	Import      Importer
	Decode      Decoder
}

// Handle re-syncs what the scheduler's message asks for. It returns an
// error, for Pub/Sub to redeliver, only when a retry may succeed.
func (h *Handler) Handle(ctx context.Context, ce cloudevent.Event) error {
	payload, err := h.Decode(ce.Data())
	if err != nil {
		slog.ErrorContext(ctx, "ResyncSheets: undecodable message; it dead-letters after the subscription's attempts", "ceId", ce.ID(), "error", err)
		return fmt.Errorf("message %s: %w", ce.ID(), err)
	}
	var req Request
	if len(strings.TrimSpace(string(payload))) > 0 {
		if err := json.Unmarshal(payload, &req); err != nil {
			slog.ErrorContext(ctx, "ResyncSheets: the message is not {\"conference\": …}; nothing synced", "ceId", ce.ID(), "error", err)
			return nil // the scheduler job's body is wrong: no retry changes it
		}
	}
	var retry []error
	for _, res := range h.Sync(ctx, req.Conference) {
		if res.Err != nil && !permanent(res.Err) {
			retry = append(retry, fmt.Errorf("re-sync %s: %w", res.Conference, res.Err))
		}
	}
	return errors.Join(retry...)
}

// Sync imports again the sheet of the conference only, or of every
// conference that names one, and returns each one's outcome (also logged).
func (h *Handler) Sync(ctx context.Context, only string) []Result {
	ctx, span := tracer.Start(ctx, "ResyncSheets", trace.WithSpanKind(trace.SpanKindConsumer))
	defer span.End()
	confs, err := h.Conferences.Conferences(ctx)
	if err != nil {
		slog.ErrorContext(ctx, "ResyncSheets: cannot list conferences", "error", err)
		return []Result{{Conference: only, Err: err}}
	}
	var out []Result
	for _, c := range confs {
		if c.SyncURL == "" || only != "" && c.ID != only {
			continue
		}
		res := Result{Conference: c.ID}
		res.Report, res.Err = h.syncOne(ctx, c)
		log(ctx, res)
		out = append(out, res)
	}
	if only != "" && len(out) == 0 {
		slog.WarnContext(ctx, "ResyncSheets: the conference names no sheet; nothing synced", "conference", only)
	}
	span.SetAttributes(attribute.Int("conferences", len(out)))
	return out
}

func (h *Handler) syncOne(ctx context.Context, c conference.Conference) (importer.Report, error) {
	body, err := h.Fetch(ctx, c.SyncURL)
	if err != nil {
		return importer.Report{}, fmt.Errorf("fetch the sheet: %w", err)
	}
	in, err := importer.Parse(strings.NewReader(string(body)), importer.Auto)
	if err != nil {
		return importer.Report{}, fmt.Errorf("read the sheet: %w", asInvalid(err))
	}
	return h.Import.Run(ctx, importer.Request{
		ConferenceID: c.ID,
		Input:        in,
		Options:      importer.Options{Source: SheetSource, Prune: true},
	})
}

// Every runs Sync of every conference now and then every d until ctx
// ends: the local runner's stand-in for Cloud Scheduler.
func (h *Handler) Every(ctx context.Context, d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		h.Sync(ctx, "")
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// permanent reports whether no retry can fix err: the sheet's URL or
// content is refused, or the conference cannot take the import as it
// stands; an admin must change the sheet or the conference.
func permanent(err error) bool {
	return apperr.Is(err, apperr.Invalid) || apperr.Is(err, apperr.NotFound)
}

// asInvalid makes a parse failure Invalid: the file is what it is.
func asInvalid(err error) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	return apperr.New(apperr.Invalid, "%v", err)
}

func log(ctx context.Context, res Result) {
	if res.Err != nil {
		level := slog.LevelWarn
		if permanent(res.Err) {
			level = slog.LevelError // stays broken until an admin acts
		}
		slog.Log(ctx, level, "ResyncSheets: sheet not synced", "conference", res.Conference, "permanent", permanent(res.Err), "error", res.Err)
		return
	}
	r := res.Report
	slog.InfoContext(ctx, "ResyncSheets: synced", "conference", res.Conference, "rows", r.Total, "rejected", r.Rejected,
		"created", r.Created, "updated", r.Updated, "cancelled", r.Cancelled, "unchanged", r.Unchanged)
}
