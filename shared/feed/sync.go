package feed

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

// Delta sync of the feed, for clients that keep a copy of a conference:
// GET /api/parties?since= (empty) answers every visible party of the
// conference, cancelled ones included, unpaged, with a sync token; since
// set to that token answers what changed after it: the parties written
// since, in full, and a tombstone {"id":…,"deleted":true} for each party
// taken out of public view since, with the next token. Both come from the
// snapshot and are cached like the pages.

// SyncToken is a position in a conference's order of changes, as a client
// holds it: opaque to the client, checked against the snapshot it is used
// with.
type SyncToken struct {
	Conference string
	Epoch      string // the order's name (party.Log.Epoch)
	Position   int64
	// Zone marks the conference's time zone: local dates and times of
	// every party the client holds were shown in it.
	Zone string
}

// syncTokenVersion leads every token, so its format can change.
const syncTokenVersion = "1"

// Encode returns the token as the API gives it: URL-safe base64 without
// padding.
func (t SyncToken) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join([]string{
		syncTokenVersion, t.Conference, t.Epoch, strconv.FormatInt(t.Position, 36), t.Zone}, ".")))
}

// DecodeSyncToken reads what Encode wrote; ok is false for anything else.
func DecodeSyncToken(s string) (SyncToken, bool) {
	if len(s) > maxSyncToken {
		return SyncToken{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return SyncToken{}, false
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != 5 || parts[0] != syncTokenVersion || !conference.ValidID(parts[1]) {
		return SyncToken{}, false
	}
	pos, err := strconv.ParseInt(parts[3], 36, 64)
	if err != nil || pos < 0 {
		return SyncToken{}, false
	}
	return SyncToken{Conference: parts[1], Epoch: parts[2], Position: pos, Zone: parts[4]}, true
}

// maxSyncToken bounds the tokens read: a conference id, an epoch, a
// position and a zone mark take far fewer bytes.
const maxSyncToken = 200

// zoneMark is a short mark of a time zone's name.
func zoneMark(zone string) string {
	h := fnv.New32a()
	h.Write([]byte(zone))
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}

// SyncToken returns the token of the snapshot's position.
func (s *Snapshot) SyncToken() string { return s.token }

// Resync is what a client with a token it can no longer use is told to do.
const Resync = "drop the local copy and sync again without since (or with since empty)"

// since checks a client's token against the snapshot. It returns the
// position to answer the changes after (-1 for the whole conference, when
// the token is ""), or a Gone error saying why the token cannot be used:
// not a token, another conference's, another order's (another store, or
// this one wiped), one from before the conference's time zone changed, or
// one older than the changes kept.
func (s *Snapshot) since(raw string) (int64, error) {
	if raw == "" {
		return -1, nil
	}
	t, ok := DecodeSyncToken(raw)
	switch {
	case !ok:
		return 0, apperr.New(apperr.Gone, "since is not a sync token of this feed: %s", Resync)
	case t.Conference != s.Conference.ID:
		return 0, apperr.New(apperr.Gone, "since is a sync token of conference %q, not of %q: %s", t.Conference, s.Conference.ID, Resync)
	case t.Epoch != s.Epoch:
		return 0, apperr.New(apperr.Gone, "since is a sync token of another store, or of this one before it was reset: %s", Resync)
	case t.Zone != zoneMark(s.Conference.TimeZone):
		return 0, apperr.New(apperr.Gone, "the conference's time zone changed since this sync token (every local time did): %s", Resync)
	case t.Position < s.Horizon:
		return 0, apperr.New(apperr.Gone, "this sync token is older than the changes kept (%d days): %s", int(party.ChangeRetention.Hours()/24), Resync)
	}
	return t.Position, nil
}

// syncMeta is the "meta" object of a sync response.
type syncMeta struct {
	Count      int    `json:"count"`   // parties and tombstones in data
	Deleted    int    `json:"deleted"` // tombstones among them
	Full       bool   `json:"full"`    // data is the whole conference: replace the local copy
	Conference string `json:"conference"`
	Timezone   string `json:"timezone"`
	SyncToken  string `json:"syncToken"`
}

// SyncResponse renders what changed after position since: every visible
// party written after it (pre-encoded, in feed order, cancelled ones
// included), then a tombstone for every party taken out of view after it,
// by position. since -1 renders the whole conference (no tombstones). A
// since ahead of the snapshot (a client that synced with a newer one)
// gets nothing, and its own token back.
func (s *Snapshot) SyncResponse(since int64) *rendered.Response {
	meta := syncMeta{Conference: s.Conference.ID, Timezone: s.Conference.TimeZone, SyncToken: s.token, Full: since < 0}
	if since > s.Position {
		meta.SyncToken = SyncToken{Conference: s.Conference.ID, Epoch: s.Epoch, Position: since, Zone: zoneMark(s.Conference.TimeZone)}.Encode()
		return rendered.New(ContentJSON, CacheFeed, rendered.Success([]byte("[]"), Marshal(meta)))
	}
	size := 2
	var entries []*Entry
	for i := range s.Entries {
		if e := &s.Entries[i]; e.Party.Seq > since {
			entries = append(entries, e)
			size += len(e.JSON) + 1
		}
	}
	var gone []party.Tombstone
	if since >= 0 {
		at, _ := slices.BinarySearchFunc(s.tombstones, since+1, func(ts party.Tombstone, seq int64) int { return cmp.Compare(ts.Seq, seq) })
		gone = s.tombstones[at:]
		for _, ts := range gone {
			size += len(ts.PartyID) + 24
		}
	}
	data := make([]byte, 0, size)
	data = append(data, '[')
	for i, e := range entries {
		if i > 0 {
			data = append(data, ',')
		}
		data = append(data, e.JSON...)
	}
	for i, ts := range gone {
		if i > 0 || len(entries) > 0 {
			data = append(data, ',')
		}
		data = append(data, `{"id":`...)
		data = strconv.AppendQuote(data, ts.PartyID) // ids are letters, digits, '-' and '_'
		data = append(data, `,"deleted":true}`...)
	}
	data = append(data, ']')
	meta.Count, meta.Deleted = len(entries)+len(gone), len(gone)
	return rendered.New(ContentJSON, CacheFeed, rendered.Success(data, Marshal(meta)))
}

// syncKey names the response to since (-1 to the snapshot's position)
// within the snapshot: positions between the same two changes get the
// same answer, so they share it.
func (s *Snapshot) syncKey(since int64) string {
	if since < 0 {
		return "sync:full"
	}
	n, _ := slices.BinarySearch(s.synced, since+1) // how many changes are at or below since
	return "sync:" + strconv.Itoa(n)
}

// SyncPage returns the finished response of a sync query (Query.Sync)
// against a snapshot, cached like FeedPage's pages (and under the raw
// query, for CachedPage), or a Gone error when its token cannot be used.
func (c *Cache) SyncPage(ctx context.Context, s *Snapshot, q Query, rawQuery string) (*rendered.Response, error) {
	if !q.Sync {
		return nil, fmt.Errorf("feed: SyncPage of a query without since")
	}
	since, err := s.since(q.SinceToken)
	if err != nil {
		return nil, err
	}
	if since > s.Position {
		// A token of a newer snapshot than this instance's: a few bytes,
		// rendered each time, so made-up positions cannot fill the cache.
		return s.SyncResponse(since), nil
	}
	key := s.Key() + "|" + s.syncKey(since)
	if r, ok := c.hit(s, key, rawQuery); ok {
		return r, nil
	}
	return c.load(ctx, s, key, rawQuery, "sync page", func() (*rendered.Response, error) {
		return s.SyncResponse(since), nil
	})
}
