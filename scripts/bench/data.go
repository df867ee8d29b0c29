package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// The bench conference: a fixed Gamescom-sized week, so that every run serves
// the same bytes and numbers from different runs compare.
const (
	benchConference = "benchcon"
	benchParties    = 500
	benchFirstDay   = "2026-08-24"
	benchDays       = 5
	benchSource     = "bench"
	// benchWord is the free-text term of the filtered shape; a fair share of
	// titles and descriptions carry it, so the filtered answer is not empty.
	benchWord = "indie"
)

// venue is a fictional place on a real Cologne street, so that coordinates
// and distances behave as with real data.
type venue struct {
	name, address string
	lat, lng      float64
}

var venues = []venue{
	{"Messe Hall Lounge", "Messeplatz 1, 50679 Köln", 50.9466, 6.9839},
	{"Riverside Boathouse", "Auenweg 173, 51063 Köln", 50.9557, 6.9852},
	{"Ehrenfeld Station Club", "Bartholomäus-Schink-Straße 65, 50825 Köln", 50.9511, 6.9177},
	{"Garden Stage", "Venloer Straße 40, 50672 Köln", 50.9426, 6.9361},
	{"Apostles Theatre", "Apostelnstraße 11, 50667 Köln", 50.9372, 6.9446},
	{"Building Nine", "Deutz-Mülheimer Straße 127, 51063 Köln", 50.9524, 6.9847},
	{"Power Works", "Schanzenstraße 37, 51063 Köln", 50.9660, 7.0138},
	{"Gate Two Hall", "Girlitzweg 30, 50829 Köln", 50.9600, 6.8790},
	{"Rhine View Hotel Bar", "Kennedy-Ufer 2A, 50679 Köln", 50.9405, 6.9678},
	{"Cloud Castle", "Mauritiussteinweg 59, 50676 Köln", 50.9334, 6.9447},
	{"Odd Garden", "Hornstraße 85, 50823 Köln", 50.9563, 6.9379},
	{"Belt Theatre", "Ehrenfeldgürtel 127, 50823 Köln", 50.9516, 6.9185},
	{"Harbour Pier Loft", "Agrippinawerft 30, 50678 Köln", 50.9258, 6.9653},
	{"Water Tower Rooftop", "Kaygasse 2, 50676 Köln", 50.9330, 6.9503},
	{"Triangle Sky Lounge", "Ottoplatz 1, 50679 Köln", 50.9410, 6.9740},
	{"Brussels Square Café", "Brüsseler Platz 10, 50672 Köln", 50.9380, 6.9350},
	{"Media Park Studio", "Im Mediapark 7, 50670 Köln", 50.9480, 6.9440},
	{"Old Waiting Room", "Johannisstraße 11, 50668 Köln", 50.9430, 6.9580},
	{"Dance Fountain Terrace", "Rheinparkweg 1, 50679 Köln", 50.9470, 6.9760},
	{"Cathedral Brewhouse", "Am Hof 12, 50667 Köln", 50.9398, 6.9582},
}

var (
	hosts = []string{
		"Northwind Games", "Pixel Harbour", "Lumen Interactive", "Red Fern Studio", "Bytecraft",
		"Moonlit Mechanics", "Copperline Publishing", "Hexagon Arts", "Quiet Fox Games", "Saltwater Studios",
		"Blue Tram Entertainment", "Orbit Eleven", "Kestrel Labs", "Foxglove Digital", "Ironleaf",
		"Cinder & Crane", "Polar Pixel", "Rheinland Game Devs", "Lantern House", "Ninth Wave Audio",
		"Starling Capital", "Brightside QA", "Tinker Tide", "Gamma Grove", "Owlbear Localisation",
		"Atlas Engine", "Velvet Controller", "Indie Quarter Collective", "Café Cartridge", "Nordlicht Games",
	}
	// categories, with Mixer frequent enough for the filtered shape.
	categories = []string{"Mixer", "Mixer", "Party", "Party", "Networking", "Exec Social", "Meetup",
		"Showcase", "Brunch", "Afterparty", "Panel", "Indie Night"}
	titleForms = []string{
		"%s Summer Mixer", "%s Rooftop Party", "%s Developer Breakfast", "Meet %s", "%s Indie Showcase",
		"%s After Dark", "Sundowner with %s", "%s Exec Drinks", "%s Press Night", "%s Community Meetup",
		"Köln Nights by %s", "%s Late Lounge", "%s Publishing Roundtable", "%s Indie Arcade",
	}
	sentences = []string{
		"Drinks, demos and networking with developers and publishers from across Europe.",
		"Bring your business cards: investors and platform holders will be around all evening.",
		"A relaxed evening for indie teams to swap stories about shipping their first game.",
		"Live DJ from ten, free drinks until the keg runs dry, snacks all night.",
		"Registration required; the doors close when the venue is full, so come early.",
		"Playable builds of upcoming titles on the first floor, a quiet corner for meetings upstairs.",
		"Our annual get-together on the Rhine with a view of the cathedral at sunset.",
		"Talks at seven: porting to handhelds, localisation on a budget and community building.",
		"Dress code: whatever you wore on the show floor. Kölsch is on us.",
		"Join the indie crowd for a round of local multiplayer and a very competitive pub quiz.",
		"Hosted together with friends from the Cologne game development scene.",
		"Vegetarian and vegan food available; please tell us about allergies when you register.",
		"Accessible venue with step-free entry; quiet room available on request.",
		"Expect a packed room: last year over three hundred people came through the doors.",
		"Shuttle buses leave from the north entrance of the Messe every twenty minutes.",
		"Café, Bräu and a small stage for lightning talks by students and first-time founders.",
	}
	prices = []string{"Free", "Free", "Free", "Free if approved", "€15", "€25 presale", "From €45",
		"", "Invite only", "€0", "€10 at the door", "Kostenlos"}
	focuses = []string{"Developers", "Publishers & Investors", "Everyone", "Press & Creators",
		"Indie devs", "", "Students", "Business"}
	tagPool = []string{"drinks", "food", "music", "talks", "demos", "outdoor", "rooftop", "late",
		"invite", "indie", "vr", "esports", "accessible", "quiet"}
)

// benchData returns the bench conference and its parties, all valid and at
// version 1, built from a fixed seed: the same on every run.
func benchData() (conference.Conference, []party.Party, error) {
	first, _ := time.Parse(conference.DateLayout, benchFirstDay)
	last := first.AddDate(0, 0, benchDays-1).Format(conference.DateLayout)
	conf, err := conference.New(benchConference, "Bench Games Week", "Cologne", "Europe/Berlin", benchFirstDay, last)
	if err != nil {
		return conf, nil, fmt.Errorf("bench conference: %w", err)
	}
	rng := rand.New(rand.NewPCG(2026, 8))
	loc := conf.Location()
	created := first.Add(-14 * 24 * time.Hour).UTC()
	ps := make([]party.Party, 0, benchParties)
	for i := range benchParties {
		p, err := party.New(randomParty(rng, i, first, loc, created))
		if err != nil {
			return conf, nil, fmt.Errorf("bench party %d: %w", i, err)
		}
		ps = append(ps, p)
	}
	return conf, ps, nil
}

// randomParty draws one party. Starts cluster in the evening as real side
// parties do; some run past midnight, some have no end or no location.
func randomParty(rng *rand.Rand, i int, first time.Time, loc *time.Location, created time.Time) party.Party {
	v := venues[rng.IntN(len(venues))]
	hs := pick(rng, hosts, 1+rng.IntN(3))
	day := i % benchDays
	hour := []int{9, 11, 12, 14, 16, 17, 18, 18, 19, 19, 20, 20, 21, 22, 23}[rng.IntN(15)]
	start := time.Date(first.Year(), first.Month(), first.Day()+day, hour, 15*rng.IntN(4), 0, 0, loc)
	var end time.Time
	if rng.IntN(10) > 0 {
		end = start.Add(time.Duration(90+30*rng.IntN(10)) * time.Minute)
	}
	title := fmt.Sprintf(titleForms[rng.IntN(len(titleForms))], hs[0])
	p := party.Party{
		ID:           party.ImportID(benchConference, benchSource, fmt.Sprintf("row-%03d", i)),
		ConferenceID: benchConference,
		Title:        title,
		Description:  description(rng, 100+rng.IntN(301)),
		Venue:        v.name,
		Address:      v.address,
		Start:        start,
		End:          end,
		Category:     party.Category{Label: categories[rng.IntN(len(categories))]},
		Hosts:        hs,
		Price:        prices[rng.IntN(len(prices))],
		Focus:        focuses[rng.IntN(len(focuses))],
		Tags:         pick(rng, tagPool, rng.IntN(5)),
		Status:       party.Published,
		Source:       benchSource,
		CreatedAt:    created,
		UpdatedAt:    created,
		Version:      1,
	}
	if rng.IntN(12) > 0 {
		// A few metres of spread, as parties in one building list slightly different pins.
		p.Location = &party.Point{Lat: v.lat + (rng.Float64()-0.5)*0.0008, Lng: v.lng + (rng.Float64()-0.5)*0.0012}
	}
	if rng.IntN(10) > 0 {
		p.Link = "https://example.com/benchcon/" + party.CategoryKey(title) + fmt.Sprintf("?ref=partyfinder&row=%d", i)
	}
	if rng.IntN(33) == 0 {
		p.Status = party.Cancelled
	}
	return p
}

// description joins shuffled sentences up to about n characters, cut at a
// word boundary, so lengths spread over the asked range.
func description(rng *rand.Rand, n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(sentences[rng.IntN(len(sentences))])
	}
	s := b.String()
	if len(s) > n {
		if cut := strings.LastIndexByte(s[:n], ' '); cut > 80 {
			s = s[:cut] + "…"
		}
	}
	return s
}

// pick returns n distinct elements of list in random order.
func pick(rng *rand.Rand, list []string, n int) []string {
	idx := rng.Perm(len(list))[:min(n, len(list))]
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = list[j]
	}
	return out
}

// createDB writes the bench conference into a new SQLite file at path and
// returns the parties it stored.
func createDB(ctx context.Context, path string) ([]party.Party, error) {
	store, err := sqlite.Open(path)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	return seed(ctx, store)
}

// seedStore is a store the bench conference can be written into: SQLite
// or Firestore.
type seedStore interface {
	CreateConference(ctx context.Context, c conference.Conference) (conference.Conference, error)
	SaveParties(ctx context.Context, ps []party.Party) error
}

// seed writes the bench conference and its parties into s and returns the
// parties. A conference that is already there (a Firestore emulator kept
// between runs) is kept, and its parties are written over.
func seed(ctx context.Context, s seedStore) ([]party.Party, error) {
	conf, ps, err := benchData()
	if err != nil {
		return nil, err
	}
	if _, err := s.CreateConference(ctx, conf); err != nil && !apperr.Is(err, apperr.Conflict) {
		return nil, fmt.Errorf("create conference: %w", err)
	}
	for lo := 0; lo < len(ps); lo += party.MaxBatch {
		if err := s.SaveParties(ctx, ps[lo:min(lo+party.MaxBatch, len(ps))]); err != nil {
			return nil, fmt.Errorf("save parties: %w", err)
		}
	}
	return ps, nil
}
