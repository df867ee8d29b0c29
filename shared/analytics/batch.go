package analytics

import "github.com/partyfinder/partyfinder/shared/attendee"

// Saver names one user's save of one party, whose persona the party's mix
// counts it for.
type Saver struct {
	UID     string
	PartyID string
}

// People is what a batch's save attributions start from, as stored before
// the batch: the persona each saver has now (missing: none given), and the
// persona each save was counted for (missing: not counted).
type People struct {
	Personas map[string]attendee.Persona
	Savers   map[Saver]attendee.Persona
}

// Attribution is where a save's attribution ends after a batch: counted
// for Persona, or no longer counted.
type Attribution struct {
	Saver
	Persona attendee.Persona
	Counted bool
}

// PersonaOf is a user's persona after a batch; "" for none any more.
type PersonaOf struct {
	UID     string
	Persona attendee.Persona
}

// DayTotal is the net change of a conference's counters on one UTC day
// within one batch.
type DayTotal struct {
	Conference string
	Date       string
	Counters   Counters
}

// Sums is what one batch of new changes adds to the stored analytics:
// stores add Parties and Days to what they hold and store Personas and
// Attributions as they are, in one transaction with the batch's event ids.
// Every slice is in the order the batch first touched its key.
type Sums struct {
	// Parties holds each party's deltas: counters, savers mix, trending
	// score, and net saves by hour (Recent, nil for none).
	Parties []PartyStats
	// Days holds the net counters per conference and UTC day of the
	// changes of parties whose conference the batch knows.
	Days []DayTotal
	// Personas holds the persona of every user the batch set one for.
	Personas []PersonaOf
	// Attributions holds the saves whose attribution the batch changed.
	Attributions []Attribution
}

// Sum adds up a batch of changes, each applied once (stores drop the
// event ids they applied before), starting from the people as stored.
// A party's conference is the first one a change of the batch names, so a
// change that names none (its party was deleted since) still counts on
// its conference's day. A gained save counts for the saver's persona at
// that point of the batch and a lost one is taken back from the persona
// it was counted for, so a persona changed in between leaves the mix
// exact; a save gained twice or lost when not counted changes no mix.
func Sum(changes []Change, people People) Sums {
	var out Sums
	party := map[string]int{}
	day := map[[2]string]int{}
	personas := map[string]attendee.Persona{}
	persona := map[string]int{}
	savers := map[Saver]*attendee.Persona{} // the batch's view; nil: not counted
	touched := map[Saver]bool{}
	var saverOrder []Saver
	personaNow := func(uid string) attendee.Persona {
		if p, ok := personas[uid]; ok {
			return p
		}
		return people.Personas[uid]
	}
	counted := func(k Saver) *attendee.Persona {
		if p, ok := savers[k]; ok {
			return p
		}
		if p, ok := people.Savers[k]; ok {
			return &p
		}
		return nil
	}
	for _, c := range changes {
		if c.PersonaOf != "" {
			personas[c.PersonaOf] = c.Persona
			if i, ok := persona[c.PersonaOf]; ok {
				out.Personas[i].Persona = c.Persona
			} else {
				persona[c.PersonaOf] = len(out.Personas)
				out.Personas = append(out.Personas, PersonaOf{UID: c.PersonaOf, Persona: c.Persona})
			}
		}
		if c.PartyID == "" {
			continue
		}
		i, ok := party[c.PartyID]
		if !ok {
			i = len(out.Parties)
			party[c.PartyID] = i
			out.Parties = append(out.Parties, PartyStats{PartyID: c.PartyID})
		}
		sum := &out.Parties[i]
		if sum.Conference == "" {
			sum.Conference = c.Conference
		}
		sum.Counters.Add(c.Delta)
		sum.Trend = sum.Trend.Add(c.Trend, c.At)
		if c.Delta.Saves != 0 {
			if sum.Recent == nil {
				sum.Recent = Hours{}
			}
			sum.Recent.Add(c.At, c.Delta.Saves)
		}
		if c.SaveDelta != 0 && c.Saver != "" {
			k := Saver{UID: c.Saver, PartyID: c.PartyID}
			moved := true
			switch cur := counted(k); {
			case c.SaveDelta > 0 && cur == nil:
				p := personaNow(c.Saver)
				savers[k] = &p
				sum.Savers.Add(p, 1)
			case c.SaveDelta < 0 && cur != nil:
				sum.Savers.Add(*cur, -1)
				savers[k] = nil
			default:
				moved = false
			}
			if moved && !touched[k] {
				touched[k] = true
				saverOrder = append(saverOrder, k)
			}
		}
		if !c.Delta.Zero() && sum.Conference != "" {
			k := [2]string{sum.Conference, DayOf(c)}
			j, ok := day[k]
			if !ok {
				j = len(out.Days)
				day[k] = j
				out.Days = append(out.Days, DayTotal{Conference: k[0], Date: k[1]})
			}
			out.Days[j].Counters.Add(c.Delta)
		}
	}
	for _, k := range saverOrder {
		_, before := people.Savers[k]
		after := savers[k]
		if before == (after != nil) {
			continue // gained and lost again within the batch
		}
		a := Attribution{Saver: k, Counted: after != nil}
		if after != nil {
			a.Persona = *after
		}
		out.Attributions = append(out.Attributions, a)
	}
	return out
}

// Merge adds a batch's sums of a party (or another shard's stats) to s;
// s keeps its conference when it has one.
func (s *PartyStats) Merge(o PartyStats) {
	if s.Conference == "" {
		s.Conference = o.Conference
	}
	s.Counters.Add(o.Counters)
	s.Savers.Merge(o.Savers)
	s.Trend = s.Trend.Merge(o.Trend)
	if len(o.Recent) > 0 {
		if s.Recent == nil {
			s.Recent = Hours{}
		}
		s.Recent.Merge(o.Recent)
	}
}

// NewestHour returns the latest hour any party of the batch has saves
// counted in, and false for none.
func (s Sums) NewestHour() (int64, bool) {
	var newest int64
	ok := false
	for _, p := range s.Parties {
		if h, has := p.Recent.Newest(); has && (!ok || h > newest) {
			newest, ok = h, true
		}
	}
	return newest, ok
}
