// Package personal is the read model of one attendee's parties: their
// saved list and their personal calendar feed, rendered from the saves and
// the party feed's snapshots, and kept while both stay as they were.
package personal

import (
	"bytes"
	"context"
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

// FeedPath is where personal calendar feeds are served: FeedPath + token + ".ics".
const FeedPath = "/api/calendar/u/"

// refreshInterval asks subscribed calendar apps to poll hourly.
const refreshInterval = time.Hour

// Store is what the views read of attendee data.
type Store interface {
	Saves(ctx context.Context, uid string) ([]attendee.Save, error)
	UserByCalendarToken(ctx context.Context, tokenHash string) (string, error)
	Share(ctx context.Context, code string) (attendee.Share, error)
	ChangeStore
}

// Feed is what the views read of the party feed.
type Feed interface {
	PartySnapshot(ctx context.Context, id string) (*feed.Snapshot, *feed.Entry, error)
	Conferences(ctx context.Context) ([]conference.Conference, error)
}

// Saved is one saved party with its current details.
type Saved struct {
	Save  attendee.Save
	Snap  *feed.Snapshot
	Entry *feed.Entry
}

// Views keeps each user's rendered saved list and personal calendar while
// they stay current. The saves are read from the store on every request
// (another instance may have changed them); what is skipped is rendering,
// which for a calendar of 100 parties costs milliseconds. A view is
// current while the user's saves and the snapshots of their parties are
// the ones it was rendered from.
type Views struct {
	store  Store
	feed   Feed
	lists  *otter.Cache[string, view]
	cals   *otter.Cache[string, view]
	shares *otter.Cache[string, view] // by code and format
	// History is the conferences' recorded changes: the digest, and the
	// flags of parties changed in the last day.
	History *History
}

type view struct {
	fingerprint uint64
	resp        *rendered.Response
}

// NewViews returns an empty view cache over the store and feed.
func NewViews(store Store, f Feed) *Views {
	opts := func() *otter.Options[string, view] {
		return &otter.Options[string, view]{
			MaximumWeight:    32 << 20,
			Weigher:          func(_ string, v view) uint32 { return uint32(v.resp.Size()) },
			ExpiryCalculator: otter.ExpiryAccessing[string, view](30 * time.Minute),
		}
	}
	return &Views{store: store, feed: f, lists: otter.Must(opts()), cals: otter.Must(opts()), shares: otter.Must(opts()),
		History: NewHistory(store)}
}

// Saved returns the user's saves that still name a visible party,
// chronologically, and how many no longer do (a party taken back to draft).
func (v *Views) Saved(ctx context.Context, uid string) ([]Saved, int, error) {
	saves, err := v.store.Saves(ctx, uid)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Saved, 0, len(saves))
	gone := 0
	for _, s := range saves {
		snap, e, err := v.feed.PartySnapshot(ctx, s.PartyID)
		if apperr.Is(err, apperr.NotFound) {
			gone++
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, Saved{Save: s, Snap: snap, Entry: e})
	}
	slices.SortFunc(out, func(a, b Saved) int { return party.Chronological(a.Entry.Party, b.Entry.Party) })
	return out, gone, nil
}

// fingerprint identifies what a view was rendered from.
func fingerprint(ss []Saved, gone int) uint64 {
	h := fnv.New64a()
	for _, s := range ss {
		h.Write([]byte(s.Save.PartyID))
		h.Write([]byte(strconv.FormatInt(s.Save.At.UnixNano(), 36)))
		h.Write([]byte(s.Snap.Key()))
	}
	h.Write([]byte(strconv.Itoa(gone)))
	return h.Sum64()
}

// render returns the cached view of uid when it is current, else renders it.
func (v *Views) render(ctx context.Context, cache *otter.Cache[string, view], uid, key string,
	build func([]Saved, int, map[string]Recent) (*rendered.Response, error)) (*rendered.Response, error) {
	ss, gone, err := v.Saved(ctx, uid)
	if err != nil {
		return nil, err
	}
	recent, err := v.Recent(ctx, ss)
	if err != nil {
		return nil, err
	}
	fp := fingerprint(ss, gone) ^ recentFingerprint(recent)
	if cur, ok := cache.GetIfPresent(key); ok && cur.fingerprint == fp {
		return cur.resp, nil
	}
	resp, err := build(ss, gone, recent)
	if err != nil {
		return nil, err
	}
	cache.Set(key, view{fingerprint: fp, resp: resp})
	return resp, nil
}

// List returns the user's saved-parties response.
func (v *Views) List(ctx context.Context, uid string) (*rendered.Response, error) {
	return v.render(ctx, v.lists, uid, uid, func(ss []Saved, gone int, recent map[string]Recent) (*rendered.Response, error) {
		return listResponse(ss, gone, recent), nil
	})
}

// Calendar returns the user's personal calendar feed as iCalendar.
func (v *Views) Calendar(ctx context.Context, uid string) (*rendered.Response, error) {
	return v.CalendarIn(ctx, uid, feed.FormatICS)
}

// CalendarIn returns the user's personal calendar feed in a calendar
// format: iCalendar, or a frab schedule for schedule apps.
func (v *Views) CalendarIn(ctx context.Context, uid, format string) (*rendered.Response, error) {
	return v.render(ctx, v.cals, uid, uid+"|"+format, func(ss []Saved, _ int, recent map[string]Recent) (*rendered.Response, error) {
		return v.calendarOf(ctx, format, flagged(ss, recent), "My parties", "private, no-cache", "partyfinder")
	})
}

// calendarOf renders parties in a calendar format, in the zone (and for a
// schedule, the frame) of the conference most of them belong to; the
// frab version follows what was rendered.
func (v *Views) calendarOf(ctx context.Context, format string, ss []Saved, name, cacheControl, file string) (*rendered.Response, error) {
	o := feed.CalendarOptions{ProdID: "-//Partyfinder//Personal feed//EN"}
	return feed.Calendar(format, v.zoneOf(ctx, ss), parties(ss), name, "", cacheControl, file, o)
}

// CalendarByToken returns the personal calendar feed whose link carries
// token, in a calendar format, or NotFound: no Authorization header comes
// with a calendar app's fetch, so the token in the URL is the secret.
// Garbage is turned away without a store read.
func (v *Views) CalendarByToken(ctx context.Context, token, format string) (*rendered.Response, error) {
	if !attendee.ValidTokenShape(token) {
		return nil, apperr.New(apperr.NotFound, "no such calendar")
	}
	uid, err := v.store.UserByCalendarToken(ctx, attendee.HashToken(token))
	if err != nil {
		return nil, err
	}
	return v.CalendarIn(ctx, uid, format)
}

// Forget drops a user's views. (Shared lists are looked up on every
// request, so an erased user's are gone with their stored shares.)
func (v *Views) Forget(uid string) {
	v.lists.Invalidate(uid)
	v.cals.Invalidate(uid)
}

// Apply drops the views of a user who erased their data.
func (v *Views) Apply(_ context.Context, e event.Event) {
	if u, ok := e.(attendee.UserErased); ok {
		v.Forget(u.UID)
	}
	// A party written in this process: its change is read at the next
	// request, not up to a second later.
	if conf := e.EventMeta().Conference; conf != "" && party.ChangesFeed(e) {
		v.History.Stale(conf)
	}
}

// listResponse renders the saved parties from their pre-encoded JSON, each
// opened up to add when it was saved: nothing is re-encoded.
func listResponse(ss []Saved, gone int, recent map[string]Recent) *rendered.Response {
	var buf bytes.Buffer
	buf.WriteByte('[')
	cancelled := 0
	for i, s := range ss {
		if i > 0 {
			buf.WriteByte(',')
		}
		isCancelled := s.Entry.Party.Status == party.Cancelled
		if isCancelled {
			cancelled++
		}
		buf.WriteString(`{"savedAt":"` + s.Save.At.UTC().Format(time.RFC3339) + `","cancelled":` + strconv.FormatBool(isCancelled) + `,"recentChange":`)
		if rc, ok := recent[s.Save.PartyID]; ok {
			buf.WriteString(`{"at":"` + rc.At.UTC().Format(time.RFC3339) + `","kinds":`)
			buf.Write(feed.Marshal(rc.Kinds))
			buf.WriteString(`},`)
		} else {
			buf.WriteString(`null,`)
		}
		buf.Write(s.Entry.JSON[1:])
	}
	buf.WriteByte(']')
	meta := `{"count":` + strconv.Itoa(len(ss)) + `,"cancelled":` + strconv.Itoa(cancelled) + `,"unavailable":` + strconv.Itoa(gone) + `}`
	return rendered.New("application/json", "private, no-cache", rendered.Success(buf.Bytes(), []byte(meta)))
}

// zoneOf returns the conference whose time zone a calendar of these
// parties is written in: one zone per file, that of the conference with
// the most of them. Other conferences' parties are still at their true
// instants.
func (v *Views) zoneOf(ctx context.Context, ss []Saved) conference.Conference {
	counts := map[string]int{}
	var conf conference.Conference
	best := 0
	for _, s := range ss {
		counts[s.Snap.Conference.ID]++
		if n := counts[s.Snap.Conference.ID]; n > best {
			best, conf = n, s.Snap.Conference
		}
	}
	if best > 0 {
		return conf
	}
	conf = conference.Conference{ID: "none", Name: "Partyfinder", TimeZone: "UTC"}
	if cs, err := v.feed.Conferences(ctx); err == nil && len(cs) > 0 {
		conf = cs[len(cs)-1]
	}
	return conf
}
