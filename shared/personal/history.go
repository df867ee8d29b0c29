package personal

import (
	"context"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/partyfinder/partyfinder/shared/party"
)

// ChangeStore reads the changes a store records of a conference's parties.
type ChangeStore interface {
	Changes(ctx context.Context, conferenceID string, after int64, limit int) ([]party.Change, error)
}

// History keeps each conference's recorded changes in memory, read from
// the store incrementally: a request asks the store only for what came
// after what this process has seen, at most once a second per conference
// (at once after a write made in this process), so a digest costs no scan
// of thirty days of changes. (A store wiped
// under a running process starts its positions over: this history then
// learns of new changes only after the process restarts.)
type History struct {
	store ChangeStore
	now   func() time.Time
	mu    sync.Mutex
	confs map[string]*conferenceChanges
}

type conferenceChanges struct {
	mu      sync.Mutex
	changes []party.Change // by position
	last    int64
	checked time.Time
}

// historyPage is how many changes one store read returns.
const historyPage = 1000

// NewHistory returns an empty history over the store.
func NewHistory(store ChangeStore) *History {
	return &History{store: store, now: time.Now, confs: map[string]*conferenceChanges{}}
}

// Stale makes the next Since read the store for the conference's new
// changes, however recently it did.
func (h *History) Stale(conferenceID string) {
	h.mu.Lock()
	c, ok := h.confs[conferenceID]
	h.mu.Unlock()
	if ok {
		c.mu.Lock()
		c.checked = time.Time{}
		c.mu.Unlock()
	}
}

// Since returns the changes of the conference's parties recorded after
// since, oldest first.
func (h *History) Since(ctx context.Context, conferenceID string, since time.Time) ([]party.Change, error) {
	h.mu.Lock()
	c, ok := h.confs[conferenceID]
	if !ok {
		c = &conferenceChanges{}
		h.confs[conferenceID] = c
	}
	h.mu.Unlock()

	c.mu.Lock()
	defer c.mu.Unlock()
	now := h.now()
	if now.Sub(c.checked) >= time.Second {
		for {
			page, err := h.store.Changes(ctx, conferenceID, c.last, historyPage)
			if err != nil {
				return nil, err
			}
			if len(page) > 0 {
				c.last = page[len(page)-1].Seq
			}
			c.changes = append(c.changes, page...)
			if len(page) < historyPage {
				break
			}
		}
		c.checked = now
		// What the store no longer keeps is not kept here either.
		horizon := now.Add(-party.ChangeRetention)
		if i := slices.IndexFunc(c.changes, func(ch party.Change) bool { return ch.At.After(horizon) }); i > 0 {
			c.changes = slices.Delete(c.changes, 0, i)
		}
	}
	i := slices.IndexFunc(c.changes, func(ch party.Change) bool { return ch.At.After(since) })
	if i < 0 {
		return nil, nil
	}
	return slices.Clone(c.changes[i:]), nil
}

// Kinds of change a digest reports, in the order it lists them.
const (
	ChangeTime       = "time"       // start or end moved
	ChangeVenue      = "venue"      // venue or address changed
	ChangeCancelled  = "cancelled"  // the party was cancelled
	ChangeReinstated = "reinstated" // a cancelled party takes place after all
	ChangeRemoved    = "removed"    // taken out of public view
	ChangeDetails    = "details"    // anything else: title, description, price…
)

// KindsOf returns what a change means to someone who saved the party.
func KindsOf(c party.Change) []string {
	if c.Hidden {
		return []string{ChangeRemoved}
	}
	var kinds []string
	has := func(fields ...string) bool {
		return slices.ContainsFunc(c.Changed, func(f string) bool { return slices.Contains(fields, f) })
	}
	if has("start", "end") {
		kinds = append(kinds, ChangeTime)
	}
	if has("venue", "address") {
		kinds = append(kinds, ChangeVenue)
	}
	if has("status") {
		switch {
		case c.After.Status == party.Cancelled:
			kinds = append(kinds, ChangeCancelled)
		case c.Before.Status == party.Cancelled:
			kinds = append(kinds, ChangeReinstated)
		}
	}
	if slices.ContainsFunc(c.Changed, func(f string) bool {
		return !slices.Contains([]string{"start", "end", "venue", "address", "status"}, f)
	}) {
		kinds = append(kinds, ChangeDetails)
	}
	return kinds
}

// Material reports whether a change alters when, where or whether the
// party takes place: what the saved list and the calendar flag.
func Material(kinds []string) bool {
	return slices.ContainsFunc(kinds, func(k string) bool { return k != ChangeDetails })
}

// RecentWindow is how long a saved party stays flagged after it changed.
const RecentWindow = 24 * time.Hour

// Recent is the latest change of a saved party within RecentWindow that
// alters when, where or whether it takes place.
type Recent struct {
	At    time.Time
	Seq   int64
	Kinds []string
}

// Recent returns the saved parties changed materially in the last
// RecentWindow, by party id.
func (v *Views) Recent(ctx context.Context, ss []Saved) (map[string]Recent, error) {
	out := map[string]Recent{}
	if len(ss) == 0 {
		return out, nil
	}
	saved := map[string]bool{}
	confs := map[string]bool{}
	for _, s := range ss {
		saved[s.Save.PartyID] = true
		confs[s.Snap.Conference.ID] = true
	}
	since := v.History.now().Add(-RecentWindow)
	for conf := range confs {
		cs, err := v.History.Since(ctx, conf, since)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if !saved[c.PartyID] || c.Created {
				continue
			}
			if kinds := KindsOf(c); Material(kinds) {
				out[c.PartyID] = Recent{At: c.At, Seq: c.Seq, Kinds: kinds}
			}
		}
	}
	return out, nil
}

// recentFingerprint identifies the flags a view was rendered with.
func recentFingerprint(recent map[string]Recent) uint64 {
	var fp uint64
	for id, r := range recent {
		h := fnv.New64a()
		h.Write([]byte(id))
		h.Write([]byte(strconv.FormatInt(r.Seq, 36)))
		fp ^= h.Sum64() // order-free
	}
	return fp
}

// flagged marks the recently changed parties for calendar apps, which show
// a title and a description but no flag of their own: the title says
// "Changed:", the description what changed.
func flagged(ss []Saved, recent map[string]Recent) []Saved {
	if len(recent) == 0 {
		return ss
	}
	out := slices.Clone(ss)
	for i, s := range out {
		r, ok := recent[s.Save.PartyID]
		if !ok || s.Entry.Party.Status == party.Cancelled {
			continue // a cancellation says so itself
		}
		e := *s.Entry
		e.Party.Title = "Changed: " + e.Party.Title
		e.Party.Description = "Changed in the last day: " + strings.Join(r.Kinds, ", ") + ".\n\n" + e.Party.Description
		out[i].Entry = &e
	}
	return out
}
