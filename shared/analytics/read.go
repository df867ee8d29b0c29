package analytics

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/fold"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Hotspot is a venue with the people who saved its parties.
type Hotspot struct {
	Venue   string // the place's name (party.Place): the venue, else the address
	VenueID string // the place's name folded into a stable key
	Total   int64  // current saves of the venue's parties
	Persona Mix
	Sample  party.Party // the venue's most saved party (earliest on a tie)
}

// Hotspots groups the conference's visible parties by place
// (party.Place: the venue, else the address) with their saves, most saved
// first; parties that give neither have no place to group under. Venues of fewer than MinShownSaves saves are
// left out: their persona mix would tell who the few savers are.
func Hotspots(ps []party.Party, stats []PartyStats) []Hotspot {
	byParty := make(map[string]PartyStats, len(stats))
	for _, s := range stats {
		byParty[s.PartyID] = s
	}
	type acc struct {
		h          Hotspot
		bestSaves  int64
		haveSample bool
	}
	venues := map[string]*acc{}
	var order []string
	for _, p := range ps {
		s, ok := byParty[p.ID]
		place := p.Place()
		if !ok || s.Counters.Saves <= 0 || place == "" || !p.Status.Public() {
			continue
		}
		key := VenueKey(place)
		a := venues[key]
		if a == nil {
			a = &acc{h: Hotspot{Venue: place, VenueID: key}}
			venues[key] = a
			order = append(order, key)
		}
		a.h.Total += s.Counters.Saves
		a.h.Persona.Merge(s.Savers)
		if !a.haveSample || s.Counters.Saves > a.bestSaves || s.Counters.Saves == a.bestSaves && party.Chronological(p, a.h.Sample) < 0 {
			a.h.Sample, a.bestSaves, a.haveSample = p, s.Counters.Saves, true
		}
	}
	out := make([]Hotspot, 0, len(order))
	for _, k := range order {
		if _, ok := ShownSaves(venues[k].h.Total); ok {
			out = append(out, venues[k].h)
		}
	}
	slices.SortStableFunc(out, func(a, b Hotspot) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), strings.Compare(a.VenueID, b.VenueID))
	})
	return out
}

// VenueKey folds a venue name into a stable id: case, accents, German
// transliterations (Köln, Koeln) and punctuation do not make two venues.
func VenueKey(venue string) string {
	f := umlauts.Replace(fold.String(venue))
	var b strings.Builder
	dash := false
	for _, r := range f {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// umlauts undoes the German transliteration of ä, ö, ü after folding.
var umlauts = strings.NewReplacer("ae", "a", "oe", "o", "ue", "u")

// Trending is a party with its trending score now.
type Trending struct {
	Party    party.Party
	Score    float64
	Stats    Counters
	Velocity Velocity // at the same instant
}

// TrendingNow ranks the conference's published parties that have not
// ended by their trending score at now, highest first, at most limit.
func TrendingNow(ps []party.Party, stats []PartyStats, now time.Time, limit int) []Trending {
	byParty := make(map[string]PartyStats, len(stats))
	for _, s := range stats {
		byParty[s.PartyID] = s
	}
	var out []Trending
	for _, p := range ps {
		s, ok := byParty[p.ID]
		if !ok || p.Status != party.Published || p.EndOrStart().Add(2*time.Hour).Before(now) {
			continue
		}
		if v := s.Trend.ValueAt(now); v > 0 {
			out = append(out, Trending{Party: p, Score: v, Stats: s.Counters, Velocity: s.Recent.VelocityAt(now)})
		}
	}
	slices.SortStableFunc(out, func(a, b Trending) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), party.Chronological(a.Party, b.Party))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}
