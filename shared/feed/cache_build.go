package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
)

// snapshotLoader builds snapshots and, on refresh, keeps the current one
// when the store's revision has not moved.
type snapshotLoader struct{ c *Cache }

func (l snapshotLoader) Load(ctx context.Context, id string) (*Snapshot, error) {
	l.c.stats.snapMisses.Add(1)
	return l.c.build(ctx, id)
}

func (l snapshotLoader) Reload(ctx context.Context, id string, old *Snapshot) (*Snapshot, error) {
	if old.Missing {
		return l.c.build(ctx, id)
	}
	ctx, span := tracer.Start(ctx, "feed.revision", trace.WithAttributes(attribute.String("conference", id)))
	changed, err := l.c.changed(ctx, id, old)
	span.End()
	if err != nil {
		return nil, err
	}
	if !changed {
		// The parties are as they were; their popularity may not be.
		if pop, ok := l.c.popularityOf(ctx, id); ok && !maps.Equal(pop, old.Popularity) {
			return old.WithPopularity(pop, l.c.seq.Add(1)), nil
		}
		return old, nil
	}
	return l.c.build(ctx, id)
}

// popularityOf returns the conference's popularity as last read, reading
// it on first use and, once it is PopularityRefresh old, again in the
// background. ok is false without a source, or when it failed.
func (c *Cache) popularityOf(ctx context.Context, id string) (Popularity, bool) {
	if c.popularity == nil {
		return nil, false
	}
	pop, err := c.pops.Get(ctx, id, c.popLoader)
	if err != nil {
		slog.WarnContext(ctx, "feed: popularity unavailable; parties show none until it is", "conference", id, "error", err)
		return nil, false
	}
	return pop, true
}

// popularityAsync reads the popularity alongside a snapshot's other reads.
func (c *Cache) popularityAsync(ctx context.Context, id string) <-chan Popularity {
	out := make(chan Popularity, 1)
	if c.popularity == nil {
		out <- nil
		return out
	}
	go func() {
		pop, _ := c.popularityOf(ctx, id)
		out <- pop
	}()
	return out
}

// changed reports whether a conference changed since old was built: by
// the shared revision when the tier answers (one Redis read, no store
// read), else by the store's revision.
func (c *Cache) changed(ctx context.Context, id string, old *Snapshot) (bool, error) {
	if c.shared != nil {
		rev, err := c.shared.Revision(ctx, id)
		if err == nil {
			// A snapshot built while the tier was down has no shared
			// revision: rebuild it once the tier answers, so the checks
			// go back to the tier instead of the store.
			return old.SharedRevision == "" || rev != old.SharedRevision, nil
		}
		slog.WarnContext(ctx, "feed: shared cache tier unavailable; checking the store", "conference", id, "error", err)
	}
	rev, err := c.store.Revision(ctx, id)
	if err != nil {
		return false, storeErr("revision", err)
	}
	return rev != old.Revision, nil
}

// build returns a fresh snapshot of a conference: the shared tier's
// prebuilt one when it is current, else one read from the store, which
// is then offered to the shared tier for the next cold instance.
func (c *Cache) build(ctx context.Context, id string) (*Snapshot, error) {
	var shared string
	tierUp := false
	pop := c.popularityAsync(ctx, id)
	if c.shared != nil {
		rev, data, err := c.shared.Prebuilt(ctx, id)
		switch {
		case err != nil:
			slog.WarnContext(ctx, "feed: shared cache tier unavailable; reading the store", "conference", id, "error", err)
		case data != nil && rev != "":
			if p, err := DecodePrebuilt(data); err == nil && p.Shared == rev {
				c.stats.sharedHits.Add(1)
				s := p.Snapshot(c.seq.Add(1), <-pop)
				s.SharedRevision = rev
				return s, nil
			}
			shared, tierUp = rev, true
		default:
			shared, tierUp = rev, true
		}
		c.stats.sharedMisses.Add(1)
	}
	s, err := c.read(ctx, id, shared, tierUp && shared == "", pop)
	if err == nil && c.shared != nil && s.SharedRevision != "" && !s.Missing {
		go c.savePrebuilt(context.WithoutCancel(ctx), s)
	}
	return s, err
}

// Prebuild reads a conference from the store at the shared tier's current
// revision and keeps it there as the prebuilt snapshot: what the
// InvalidateCache handler does after raising the revision, so the next
// cold instance loads one object instead of every party.
func (c *Cache) Prebuild(ctx context.Context, id string) error {
	if c.shared == nil {
		return nil
	}
	rev, err := c.shared.Revision(ctx, id)
	if err != nil {
		return err
	}
	s, err := c.read(ctx, id, rev, false, nil) // the tier keeps parties only
	if err != nil || s.Missing {
		return err
	}
	return c.savePrebuilt(ctx, s)
}

func (c *Cache) savePrebuilt(ctx context.Context, s *Snapshot) error {
	data, err := EncodePrebuilt(s)
	if err == nil {
		err = c.shared.SavePrebuilt(ctx, s.Conference.ID, data)
	}
	if err != nil {
		slog.WarnContext(ctx, "feed: prebuilt snapshot not kept", "conference", s.Conference.ID, "error", err)
	}
	return err
}

// read builds a snapshot from the store; shared is the shared tier's
// revision read before it ("" for none). With askShared, the tier had no
// revision yet: it is asked for one (which creates it) once the store
// knows the conference, still before the parties are read. pop yields the
// parties' popularity, read meanwhile; nil for none.
func (c *Cache) read(ctx context.Context, id, shared string, askShared bool, pop <-chan Popularity) (_ *Snapshot, err error) {
	// The one place the feed reads the store: worth a span of its own.
	ctx, span := tracer.Start(ctx, "feed.build", trace.WithAttributes(attribute.String("conference", id)))
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "snapshot build failed")
		}
		span.End()
	}()
	conf, err := c.store.Conference(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return &Snapshot{Conference: conference.Conference{ID: id}, Missing: true, Seq: c.seq.Add(1)}, nil
	}
	if err != nil {
		return nil, storeErr("load conference", err)
	}
	if askShared {
		if shared, err = c.shared.Revision(ctx, id); err != nil {
			slog.WarnContext(ctx, "feed: shared cache tier unavailable; reading the store", "conference", id, "error", err)
			shared = ""
		}
	}
	// The revision is read before the parties: a write racing the load
	// makes the next refresh see a new revision and rebuild.
	rev, err := c.store.Revision(ctx, id)
	if err != nil {
		return nil, storeErr("revision", err)
	}
	// The order of changes before the parties, so the snapshot holds
	// every change up to its position (NewSnapshotAt).
	log, err := c.store.ChangeLog(ctx, id)
	if err != nil {
		return nil, storeErr("change log", err)
	}
	ps, err := c.store.PartiesOf(ctx, id)
	if err != nil {
		return nil, storeErr("load parties", err)
	}
	var popularity Popularity
	if pop != nil {
		popularity = <-pop
	}
	snap := newSnapshot(conf, ps, log, rev, c.seq.Add(1), popularity)
	snap.SharedRevision = shared
	return snap, nil
}

// storeErr makes store failures Unavailable (503, retry) unless they are
// already classified.
func storeErr(op string, err error) error {
	if _, ok := apperr.As(err); ok {
		return fmt.Errorf("%s: %w", op, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &apperr.Error{Kind: apperr.Unavailable, Message: "the party store did not answer in time"}
	}
	// The cause stays in the error's text, for the log; the message a
	// client sees says nothing of the store's insides.
	return fmt.Errorf("%s: %v: %w", op, err, &apperr.Error{Kind: apperr.Unavailable, Message: "the party store is unavailable; try again shortly"})
}
