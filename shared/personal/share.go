package personal

import (
	"bytes"
	"context"
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

// SharePath is where shared lists are served: SharePath + code.
const SharePath = "/api/shares/"

// cacheShare lets anyone keep a shared list but revalidate it on every
// use: a revoked link must stop answering at once, also from a CDN.
const cacheShare = "public, no-cache"

// SharedParties returns the visible parties of a share, chronologically,
// and how many it names that are no longer visible: the owner's current
// saves for a live list, else the listed parties.
func (v *Views) SharedParties(ctx context.Context, sh attendee.Share) ([]Saved, int, error) {
	if sh.Live() {
		return v.Saved(ctx, sh.UID)
	}
	out := make([]Saved, 0, len(sh.PartyIDs))
	gone := 0
	for _, id := range sh.PartyIDs {
		snap, e, err := v.feed.PartySnapshot(ctx, id)
		if apperr.Is(err, apperr.NotFound) {
			gone++
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, Saved{Save: attendee.Save{UID: sh.UID, PartyID: id, At: sh.CreatedAt}, Snap: snap, Entry: e})
	}
	slices.SortFunc(out, func(a, b Saved) int { return party.Chronological(a.Entry.Party, b.Entry.Party) })
	return out, gone, nil
}

// Shared renders a share in a format: feed.FormatJSON or feed.FormatICS.
// What was rendered is kept while the share's parties and their snapshots
// stay as they were.
func (v *Views) Shared(ctx context.Context, code, format string) (*rendered.Response, error) {
	if !attendee.ValidShareCode(code) {
		return nil, apperr.New(apperr.NotFound, "no such shared list")
	}
	sh, err := v.store.Share(ctx, code)
	if err != nil {
		return nil, err
	}
	ss, gone, err := v.SharedParties(ctx, sh)
	if err != nil {
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte(format))
	h.Write([]byte(sh.Title))
	fp := fingerprint(ss, gone) ^ h.Sum64()
	key := code + "|" + format
	if cur, ok := v.shares.GetIfPresent(key); ok && cur.fingerprint == fp {
		return cur.resp, nil
	}
	var resp *rendered.Response
	switch format {
	case feed.FormatJSON:
		resp = shareResponse(sh, ss, gone)
	case feed.FormatICS, feed.FormatFrabXML, feed.FormatFrabJSON:
		name := sh.Title
		if name == "" {
			name = "Shared parties"
		}
		if resp, err = v.calendarOf(ctx, format, ss, name, cacheShare, "shared-parties"); err != nil {
			return nil, err
		}
	default:
		return nil, apperr.Field("format", "enum", "must be one of json, ics, frab-xml, frab-json")
	}
	v.shares.Set(key, view{fingerprint: fp, resp: resp})
	return resp, nil
}

func parties(ss []Saved) []party.Party {
	ps := make([]party.Party, len(ss))
	for i, s := range ss {
		ps[i] = s.Entry.Party
	}
	return ps
}

// shareResponse renders a shared list from the parties' pre-encoded JSON.
// It says nothing of the owner: a link may travel far.
func shareResponse(sh attendee.Share, ss []Saved, gone int) *rendered.Response {
	var buf bytes.Buffer
	buf.WriteString(`{"code":"` + sh.Code + `","title":`)
	buf.Write(feed.Marshal(sh.Title))
	buf.WriteString(`,"live":` + strconv.FormatBool(sh.Live()) + `,"createdAt":"` + sh.CreatedAt.UTC().Format(time.RFC3339) + `","parties":[`)
	for i, s := range ss {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(s.Entry.JSON)
	}
	buf.WriteString(`]}`)
	meta := `{"count":` + strconv.Itoa(len(ss)) + `,"unavailable":` + strconv.Itoa(gone) + `}`
	return rendered.New(feed.ContentJSON, cacheShare, rendered.Success(buf.Bytes(), []byte(meta)))
}
