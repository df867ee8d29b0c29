package frab

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/party"
)

// grouper gathers the spellings of rooms (venues) or tracks (categories)
// under their keys, and picks the spelling to show.
type grouper struct {
	keyOf    func(string) string
	fallback string // the name of blank spellings; "" when there are none
	exact    map[string]ref
	byKey    map[string]int
	groups   []group
	order    []int32 // group → index in the sorted result
}

// ref is where a spelling, exactly as given, was counted.
type ref struct{ group, spelling int }

type group struct {
	named
	spellings []spelling
}

type spelling struct {
	name  string
	n     int
	first time.Time
}

func newGrouper(keyOf func(string) string, fallback string) *grouper {
	return &grouper{keyOf: keyOf, fallback: fallback, exact: map[string]ref{}, byKey: map[string]int{}}
}

// add counts one use of raw at time t and returns its group. A spelling seen
// before costs one map lookup.
func (g *grouper) add(raw string, t time.Time) int32 {
	r, ok := g.exact[raw]
	if !ok {
		name, last := party.CleanText(raw), false
		if name == "" {
			name, last = g.fallback, true
		}
		key := g.keyOf(name)
		if g.fallback != "" && key == g.keyOf(g.fallback) {
			last = true // spelled like the fallback: the same room
		}
		var found bool
		if r.group, found = g.byKey[key]; !found {
			r.group = len(g.groups)
			g.groups = append(g.groups, group{named: named{key: key, last: last}})
			g.byKey[key] = r.group
		}
		gr := &g.groups[r.group]
		r.spelling = slices.IndexFunc(gr.spellings, func(sp spelling) bool { return sp.name == name })
		if r.spelling < 0 {
			r.spelling = len(gr.spellings)
			gr.spellings = append(gr.spellings, spelling{name: name, first: t})
		}
		g.exact[raw] = r
	}
	sp := &g.groups[r.group].spellings[r.spelling]
	sp.n++
	if t.Before(sp.first) {
		sp.first = t
	}
	return int32(r.group)
}

// finish names every group after its most used spelling (then the earliest
// used, then the first in byte order; the fallback group after the
// fallback), sorts the groups by key with the fallback group last, and
// records the new positions in order.
func (g *grouper) finish() []named {
	idx := make([]int, len(g.groups))
	for i := range g.groups {
		gr := &g.groups[i]
		gr.name = slices.MinFunc(gr.spellings, func(a, b spelling) int {
			return cmp.Or(cmp.Compare(b.n, a.n), a.first.Compare(b.first), strings.Compare(a.name, b.name))
		}).name
		if gr.last {
			gr.name = g.fallback
		}
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		ga, gb := &g.groups[a], &g.groups[b]
		if ga.last != gb.last {
			if ga.last {
				return 1
			}
			return -1
		}
		return strings.Compare(ga.key, gb.key)
	})
	out := make([]named, len(g.groups))
	g.order = make([]int32, len(g.groups))
	for pos, i := range idx {
		out[pos] = g.groups[i].named
		g.order[i] = int32(pos)
	}
	return out
}
