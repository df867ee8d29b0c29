package feed

import (
	"context"
	"sort"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"go.opentelemetry.io/otel"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

var tracer = otel.Tracer("github.com/partyfinder/partyfinder/shared/feed")

// Store is what the feed reads: conferences, every party of a conference,
// its order of changes, and a cheap revision to poll for changes.
type Store interface {
	Conference(ctx context.Context, id string) (conference.Conference, error)
	Conferences(ctx context.Context) ([]conference.Conference, error)
	Party(ctx context.Context, id string) (party.Party, error)
	PartiesOf(ctx context.Context, conferenceID string) ([]party.Party, error)
	ChangeLog(ctx context.Context, conferenceID string) (party.Log, error)
	Revision(ctx context.Context, conferenceID string) (string, error)
}

// Cache keeps one snapshot per conference and finished responses per query.
//
// A snapshot is checked against the store's revision at most once per
// refresh interval, in the background, while readers keep getting the
// current one: readers never wait for the store except on a cold start.
// Writes made through this process reach it as domain events (Apply),
// which invalidate what they changed: read-your-writes.
type Cache struct {
	store       Store
	shared      Shared // nil: no shared tier
	defaultConf string // conference of requests that name none; "" = the latest
	calendar    CalendarOptions
	popularity  func(ctx context.Context, conferenceID string) (Popularity, error)
	pops        *otter.Cache[string, Popularity] // per conference, refreshed every PopularityRefresh
	popLoader   otter.Loader[string, Popularity]
	snaps       *otter.Cache[string, *Snapshot]
	missing     *otter.Cache[string, struct{}] // ids of conferences the store does not have
	confs       *otter.Cache[string, []conference.Conference]
	owners      *otter.Cache[string, string] // party id -> conference id ("" = no such visible party)
	responses   *otter.Cache[string, *rendered.Response]
	seq         atomic.Uint64
	stats       tierCounts
	snapLoader  otter.Loader[string, *Snapshot]
	confsLoader otter.Loader[string, []conference.Conference]
}

// Options tunes a Cache.
type Options struct {
	Refresh       time.Duration // how often a snapshot in use is checked against the store; default 5 s
	ResponseBytes uint64        // memory for cached responses; default 64 MiB
	// DefaultConference answers requests that name no conference; when
	// empty, the conference that starts last does.
	DefaultConference string
	// Shared is the tier all instances share (L2), if any: its revision
	// replaces the store's in the refresh check, and a cold instance loads
	// its prebuilt snapshot in one read.
	Shared Shared
	// Calendar configures the calendar formats of feed queries.
	Calendar CalendarOptions
	// Popularity reads the saves each party of a conference may show
	// (nil: the feed shows none). A snapshot takes what it read last,
	// and is remade with new numbers at most every PopularityRefresh
	// (default 10 min): a save does not change the feed's bytes, and so
	// its ETag, at once, and every client and CDN revalidating on a busy
	// evening does not get new bytes each time someone saves a party.
	Popularity        func(ctx context.Context, conferenceID string) (Popularity, error)
	PopularityRefresh time.Duration
}

// DefaultPopularityRefresh is how often the feed's popularity is read.
const DefaultPopularityRefresh = 10 * time.Minute

// NewCache returns a cache reading from store.
func NewCache(store Store, o Options) *Cache {
	if o.Refresh <= 0 {
		o.Refresh = 5 * time.Second
	}
	if o.ResponseBytes == 0 {
		o.ResponseBytes = 64 << 20
	}
	if o.PopularityRefresh <= 0 {
		o.PopularityRefresh = DefaultPopularityRefresh
	}
	c := &Cache{store: store, shared: o.Shared, defaultConf: o.DefaultConference, calendar: o.Calendar, popularity: o.Popularity}
	c.pops = otter.Must(&otter.Options[string, Popularity]{
		MaximumSize:       1000,
		RefreshCalculator: otter.RefreshWriting[string, Popularity](o.PopularityRefresh),
	})
	c.popLoader = otter.LoaderFunc[string, Popularity](func(ctx context.Context, id string) (Popularity, error) {
		return c.popularity(ctx, id)
	})
	c.snaps = otter.Must(&otter.Options[string, *Snapshot]{
		MaximumSize:       1000,
		RefreshCalculator: otter.RefreshWriting[string, *Snapshot](o.Refresh),
	})
	// Unknown conference ids are remembered to spare the store a read per
	// request, bounded by bytes (well-formed ids are at most 63 bytes) and
	// for one refresh interval, so a conference created elsewhere appears.
	c.missing = otter.Must(&otter.Options[string, struct{}]{
		MaximumWeight:    maxMissingBytes,
		Weigher:          func(id string, _ struct{}) uint32 { return uint32(len(id)) + 64 },
		ExpiryCalculator: otter.ExpiryWriting[string, struct{}](o.Refresh),
	})
	c.confs = otter.Must(&otter.Options[string, []conference.Conference]{
		MaximumSize:       1,
		RefreshCalculator: otter.RefreshWriting[string, []conference.Conference](o.Refresh),
	})
	c.owners = otter.Must(&otter.Options[string, string]{
		MaximumSize:      100_000,
		ExpiryCalculator: otter.ExpiryWriting[string, string](o.Refresh * 6),
	})
	c.responses = otter.Must(&otter.Options[string, *rendered.Response]{
		MaximumWeight: o.ResponseBytes,
		Weigher:       func(_ string, r *rendered.Response) uint32 { return uint32(min(r.Size(), 1<<31)) },
	})
	c.snapLoader = snapshotLoader{c}
	c.confsLoader = otter.LoaderFunc[string, []conference.Conference](func(ctx context.Context, _ string) ([]conference.Conference, error) {
		cs, err := c.store.Conferences(ctx)
		if err != nil {
			return nil, storeErr("list conferences", err)
		}
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].FirstDay < cs[j].FirstDay })
		return cs, nil
	})
	return c
}

// maxMissingBytes bounds the memory of remembered unknown conference ids.
const maxMissingBytes = 256 << 10

// Snapshot returns the current snapshot of a conference, or NotFound. An
// id that cannot name a conference is NotFound without any lookup, and an
// unknown one is remembered apart from the snapshots, by bytes.
func (c *Cache) Snapshot(ctx context.Context, conferenceID string) (*Snapshot, error) {
	if !conference.ValidID(conferenceID) {
		return nil, apperr.New(apperr.NotFound, "no such conference: an id is 2-63 lowercase letters, digits or dashes")
	}
	if _, ok := c.missing.GetIfPresent(conferenceID); ok {
		return nil, notFoundConference(conferenceID)
	}
	c.stats.snapLookups.Add(1)
	s, err := c.snaps.Get(ctx, conferenceID, c.snapLoader)
	if err != nil {
		return nil, storeErr("snapshot", err)
	}
	if s.Missing {
		c.missing.Set(conferenceID, struct{}{})
		c.snaps.Invalidate(conferenceID)
		return nil, notFoundConference(conferenceID)
	}
	return s, nil
}

func notFoundConference(id string) error {
	return apperr.New(apperr.NotFound, "no conference %q", id)
}

// Conferences returns every conference, by first day.
func (c *Cache) Conferences(ctx context.Context) ([]conference.Conference, error) {
	cs, err := c.confs.Get(ctx, "", c.confsLoader)
	if err != nil {
		return nil, storeErr("conferences", err)
	}
	return cs, nil
}

// DefaultConference returns configured if set, else the conference that
// starts last (the current or upcoming one), or NotFound when there is none.
func (c *Cache) DefaultConference(ctx context.Context, configured string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	cs, err := c.Conferences(ctx)
	if err != nil {
		return "", err
	}
	if len(cs) == 0 {
		return "", apperr.New(apperr.NotFound, "there are no conferences yet")
	}
	return cs[len(cs)-1].ID, nil
}

// ConferenceSnapshot returns the snapshot of the requested conference, or
// of the default one when the request names none: the one rule every
// function that takes a "conference" parameter follows.
func (c *Cache) ConferenceSnapshot(ctx context.Context, requested string) (*Snapshot, error) {
	if requested == "" {
		requested = c.defaultConf
	}
	id, err := c.DefaultConference(ctx, requested)
	if err != nil {
		return nil, err
	}
	return c.Snapshot(ctx, id)
}

// PartySnapshot finds the snapshot holding a visible party, or NotFound.
// Parties that are drafts, pending or unknown are all simply not found.
func (c *Cache) PartySnapshot(ctx context.Context, id string) (*Snapshot, *Entry, error) {
	notFound := apperr.New(apperr.NotFound, "no party %q", id)
	if !party.ValidID(id) {
		return nil, nil, notFound
	}
	confID, known := c.owners.GetIfPresent(id)
	if !known {
		p, err := c.store.Party(ctx, id)
		switch {
		case apperr.Is(err, apperr.NotFound):
			confID = ""
		case err != nil:
			return nil, nil, storeErr("load party", err)
		default:
			confID = p.ConferenceID
		}
		c.owners.Set(id, confID)
	}
	if confID == "" {
		return nil, nil, notFound
	}
	s, err := c.Snapshot(ctx, confID)
	if err != nil {
		return nil, nil, err
	}
	e, ok := s.Entry(id)
	if !ok {
		return nil, nil, notFound
	}
	return s, e, nil
}

// Invalidate drops what is cached for a conference after a write through
// this process, so the writer reads its own write.
func (c *Cache) Invalidate(conferenceID string) {
	c.snaps.Invalidate(conferenceID)
	c.missing.Invalidate(conferenceID)
	c.confs.InvalidateAll()
	c.owners.InvalidateAll()
}

// maxRawKey bounds the query strings remembered verbatim, so odd or hostile
// URLs cannot fill the cache with long keys.
const maxRawKey = 512

// CachedPage returns the page cached for this exact query string against
// the snapshot, if a previous FeedPage call remembered it.
func (c *Cache) CachedPage(s *Snapshot, rawQuery string) (*rendered.Response, bool) {
	if len(rawQuery) > maxRawKey {
		return nil, false
	}
	r, ok := c.responses.GetIfPresent(s.Key() + "?" + rawQuery)
	if ok {
		c.stats.respHits.Add(1)
	}
	return r, ok
}

// FeedPage returns the finished response of a query against a snapshot,
// building it at most once however many requests ask at the same moment
// (a new snapshot otherwise sends every concurrent reader into a rebuild).
// The page is also remembered under the request's raw query string, for
// CachedPage.
func (c *Cache) FeedPage(ctx context.Context, s *Snapshot, q Query, rawQuery string) (*rendered.Response, error) {
	key := s.Key() + "|" + q.Key()
	if r, ok := c.hit(s, key, rawQuery); ok {
		return r, nil
	}
	return c.load(ctx, s, key, rawQuery, "feed page", func() (*rendered.Response, error) {
		if q.Calendar() {
			return s.QueryCalendar(q, c.calendar)
		}
		return s.FeedResponse(q), nil
	})
}

// hit returns the response cached under key, remembering it under the
// raw query string too, for CachedPage. A hit allocates nothing more: the
// hot path of every page.
func (c *Cache) hit(s *Snapshot, key, rawQuery string) (*rendered.Response, bool) {
	r, ok := c.responses.GetIfPresent(key)
	if ok {
		c.stats.respHits.Add(1)
		c.remember(s, rawQuery, r)
	}
	return r, ok
}

// load builds the response cached under key at most once for
// concurrent askers, and remembers it as hit does. what names the page
// in errors.
func (c *Cache) load(ctx context.Context, s *Snapshot, key, rawQuery, what string, build func() (*rendered.Response, error)) (*rendered.Response, error) {
	r, err := c.responses.Get(ctx, key, otter.LoaderFunc[string, *rendered.Response](func(context.Context, string) (*rendered.Response, error) {
		c.stats.respMisses.Add(1)
		return build()
	}))
	if err != nil {
		return nil, storeErr(what, err)
	}
	c.remember(s, rawQuery, r)
	return r, nil
}

func (c *Cache) remember(s *Snapshot, rawQuery string, r *rendered.Response) {
	if len(rawQuery) <= maxRawKey {
		c.responses.Set(s.Key()+"?"+rawQuery, r)
	}
}

// Apply keeps the cache current with a domain event published in this
// process: a change to a conference's parties drops what is cached for it,
// so the writer's next read sees its write without waiting for the
// revision check. Other events are ignored.
func (c *Cache) Apply(_ context.Context, e event.Event) {
	if conf := e.EventMeta().Conference; conf != "" && party.ChangesFeed(e) {
		c.Invalidate(conf)
	}
}

// PartyCalendar returns one visible party's iCalendar file, or NotFound.
func (c *Cache) PartyCalendar(ctx context.Context, id string, o CalendarOptions) (*rendered.Response, error) {
	snap, e, err := c.PartySnapshot(ctx, id)
	if err != nil {
		return nil, err
	}
	return snap.PartyCalendar(e, o)
}
