package me

import (
	"context"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

// Views keeps each user's rendered saved list and personal calendar while
// they stay current. The saves are read from the store on every request
// (another instance may have changed them); what is skipped is rendering,
// which for a calendar of 100 parties costs milliseconds. A view is
// current while the user's saves and the snapshots of their parties are
// the ones it was rendered from.
type Views struct {
	store attendee.Repository
	feed  *feed.Cache
	lists *otter.Cache[string, view]
	cals  *otter.Cache[string, view]
}

type view struct {
	fingerprint uint64
	resp        *rendered.Response
}

// NewViews returns an empty view cache over the store and feed.
func NewViews(store attendee.Repository, c *feed.Cache) *Views {
	opts := func() *otter.Options[string, view] {
		return &otter.Options[string, view]{
			MaximumWeight:    32 << 20,
			Weigher:          func(_ string, v view) uint32 { return uint32(v.resp.Size()) },
			ExpiryCalculator: otter.ExpiryAccessing[string, view](30 * time.Minute),
		}
	}
	return &Views{store: store, feed: c, lists: otter.Must(opts()), cals: otter.Must(opts())}
}

// fingerprint identifies what a view was rendered from.
func fingerprint(ss []saved, gone int) uint64 {
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
func (v *Views) render(ctx context.Context, cache *otter.Cache[string, view], uid string,
	build func([]saved, int) (*rendered.Response, error)) (*rendered.Response, error) {
	ss, gone, err := savedParties(ctx, v.store, v.feed, uid)
	if err != nil {
		return nil, err
	}
	fp := fingerprint(ss, gone)
	if cur, ok := cache.GetIfPresent(uid); ok && cur.fingerprint == fp {
		return cur.resp, nil
	}
	resp, err := build(ss, gone)
	if err != nil {
		return nil, err
	}
	cache.Set(uid, view{fingerprint: fp, resp: resp})
	return resp, nil
}

// List returns the user's saved-parties response.
func (v *Views) List(ctx context.Context, uid string) (*rendered.Response, error) {
	return v.render(ctx, v.lists, uid, func(ss []saved, gone int) (*rendered.Response, error) {
		return listResponse(ss, gone), nil
	})
}

// Calendar returns the user's personal calendar feed.
func (v *Views) Calendar(ctx context.Context, uid string) (*rendered.Response, error) {
	return v.render(ctx, v.cals, uid, func(ss []saved, _ int) (*rendered.Response, error) {
		body, err := personalCalendar(ctx, v.feed, ss)
		if err != nil {
			return nil, err
		}
		resp := rendered.New(feed.ContentICS, "private, no-cache", body).WithDisposition(`inline; filename="partyfinder.ics"`)
		return resp, nil
	})
}

// forget drops a user's views, after an erasure.
func (v *Views) forget(uid string) {
	if v != nil {
		v.lists.Invalidate(uid)
		v.cals.Invalidate(uid)
	}
}
