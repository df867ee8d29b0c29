package party

import (
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/event"
)

var berlin, _ = time.LoadLocation("Europe/Berlin")

func valid() Party {
	return Party{
		ID: "p1", ConferenceID: "gamescom2025", Title: "  Indie   Mixer ",
		Start:    time.Date(2025, 8, 20, 18, 0, 0, 0, berlin),
		End:      time.Date(2025, 8, 21, 2, 0, 0, 0, berlin),
		Category: Category{Label: "Exec  Social"}, Price: "Free if approved",
		Hosts: []string{"Beam", " beam ", "Avalanche", ""}, Link: "https://lu.ma/x", Status: Published,
	}
}

func TestNewNormalizes(t *testing.T) {
	p, err := New(valid())
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Indie Mixer" {
		t.Errorf("title = %q", p.Title)
	}
	if p.Category != (Category{Key: "exec-social", Label: "Exec Social"}) {
		t.Errorf("category = %+v", p.Category)
	}
	if !p.Free {
		t.Error("Free if approved should be free")
	}
	if len(p.Hosts) != 2 || p.Hosts[0] != "Beam" || p.Hosts[1] != "Avalanche" {
		t.Errorf("hosts = %q", p.Hosts)
	}
	if p.Start.Location() != time.UTC {
		t.Error("start not stored in UTC")
	}
	if got := p.LocalDate(berlin); got != "2025-08-20" {
		t.Errorf("a party past midnight belongs to its start day, got %s", got)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Party)
		field  string
	}{
		{"no title", func(p *Party) { p.Title = "   " }, "title"},
		{"long title", func(p *Party) { p.Title = string(make([]rune, 201)) + "x" }, "title"},
		{"bad id", func(p *Party) { p.ID = "a/b" }, "id"},
		{"bad conference", func(p *Party) { p.ConferenceID = "X" }, "conference"},
		{"no start", func(p *Party) { p.Start = time.Time{} }, "start"},
		{"end before start", func(p *Party) { p.End = p.Start.Add(-time.Hour) }, "end"},
		{"end a fortnight later", func(p *Party) { p.End = p.Start.Add(14 * 24 * time.Hour) }, "end"},
		{"javascript link", func(p *Party) { p.Link = "javascript:alert(1)" }, "link"},
		{"relative link", func(p *Party) { p.Link = "/party" }, "link"},
		{"link with credentials", func(p *Party) { p.Link = "https://u:p@x.example" }, "link"},
		{"bad status", func(p *Party) { p.Status = "deleted" }, "status"},
		{"null island", func(p *Party) { p.Location = &Point{0, 0} }, "location"},
		{"latitude out of range", func(p *Party) { p.Location = &Point{91, 6} }, "location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.mutate(&p)
			_, err := New(p)
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid {
				t.Fatalf("err = %v, want Invalid", err)
			}
			found := false
			for _, f := range e.Fields {
				found = found || f.Field == tt.field
			}
			if !found {
				t.Errorf("fields %+v do not name %q", e.Fields, tt.field)
			}
		})
	}
}

func TestIsFree(t *testing.T) {
	tests := map[string]bool{
		"Free": true, "free entry": true, "Free if approved": true, "FREE": true, "0": true, "€0": true, "0,00 €": true,
		"": false, "From £113.16": false, "€15": false, "Request to Join": false, "Sold Out": false, "Bar Tab": false,
	}
	for in, want := range tests {
		if got := IsFree(in); got != want {
			t.Errorf("IsFree(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestCategoryKey(t *testing.T) {
	tests := map[string]string{
		"Exec Social": "exec-social", "exec  social": "exec-social", "Awards Party!": "awards-party",
		"Café & Talk": "cafe-talk", "  ": "", "Game Pitches": "game-pitches",
	}
	for in, want := range tests {
		if got := CategoryKey(in); got != want {
			t.Errorf("CategoryKey(%q) = %q, want %q", in, got, want)
		}
	}
	if c := NewCategory(""); c.Key != "other" || c.Label != "Other" {
		t.Errorf("empty category = %+v", c)
	}
}

func TestDistanceKm(t *testing.T) {
	dom := Point{50.9413, 6.9583}
	messe := Point{50.9466, 6.9839}
	if d := dom.DistanceKm(messe); d < 1.7 || d > 2.1 {
		t.Errorf("Dom to Koelnmesse = %.2f km, want about 1.9", d)
	}
	if d := dom.DistanceKm(dom); d != 0 {
		t.Errorf("distance to self = %v", d)
	}
}

func TestEqualIgnoresBookkeeping(t *testing.T) {
	a, _ := New(valid())
	b := a
	b.Version, b.UpdatedAt = 7, time.Now()
	b.Hosts = append([]string(nil), a.Hosts...)
	if !a.Equal(b) {
		t.Error("parties differing only in version/time should be equal")
	}
	b.Location = &Point{50.9, 6.9}
	if a.Equal(b) {
		t.Error("a location change must count")
	}
	c := a
	c.Price = "€5"
	if a.Equal(c) {
		t.Error("a price change must count")
	}
}

func TestImportIDIsStable(t *testing.T) {
	a := ImportID("gamescom2025", "sheet", "row-1")
	if a != ImportID("gamescom2025", "sheet", "row-1") {
		t.Error("not deterministic")
	}
	if a == ImportID("gamescom2025", "sheet", "row-2") || a == ImportID("other", "sheet", "row-1") {
		t.Error("collides")
	}
	if !ValidID(a) {
		t.Errorf("%q is not a valid id", a)
	}
}

func TestEvents(t *testing.T) {
	meta := func(typ string) event.Meta { return event.Meta{Type: typ} }
	start := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	draft := Party{ID: "p", ConferenceID: "c", Title: "Night", Start: start, Status: Draft}
	published := draft
	published.Status = Published
	moved := published
	moved.Venue, moved.Start = "Hall 2", start.Add(time.Hour)
	cancelled := moved
	cancelled.Status = Cancelled
	types := func(es []event.Event) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.EventMeta().Type)
		}
		return out
	}
	tests := []struct {
		name          string
		before        *Party
		after         Party
		want          []string
		wantChangedOf []string // the fields of the update event, if any
	}{
		{"new draft", nil, draft, []string{TypeCreated}, nil},
		{"new and published", nil, published, []string{TypeCreated, TypePublished}, nil},
		{"published", &draft, published, []string{TypeUpdated, TypePublished}, []string{"status"}},
		{"moved", &published, moved, []string{TypeUpdated}, []string{"venue", "start"}},
		{"cancelled", &moved, cancelled, []string{TypeUpdated, TypeCancelled}, []string{"status"}},
		{"unchanged", &moved, moved, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := Events(tt.before, tt.after, meta)
			if got := types(es); !slices.Equal(got, tt.want) {
				t.Fatalf("events = %v, want %v", got, tt.want)
			}
			for _, e := range es {
				if u, ok := e.(UpdatedEvent); ok && !slices.Equal(u.Changed, tt.wantChangedOf) {
					t.Errorf("changed = %v, want %v", u.Changed, tt.wantChangedOf)
				}
			}
		})
	}
}

func TestControlCharactersAreRefused(t *testing.T) {
	base := func() Party {
		return Party{ID: "p1", ConferenceID: "gamescom2025", Title: "Indie Night", Start: time.Date(2025, 8, 20, 19, 0, 0, 0, time.UTC), Status: Published}
	}
	tests := []struct {
		name  string
		edit  func(*Party)
		field string
	}{
		{"escape in the title", func(p *Party) { p.Title = "Indie \x1b[31mNight" }, "title"},
		{"bell in the venue", func(p *Party) { p.Venue = "Gloria\a" }, "venue"},
		{"NUL in a host", func(p *Party) { p.Hosts = []string{"ok", "bad\x00"} }, "hosts[1]"},
		{"OSC in the description", func(p *Party) { p.Description = "see \x1b]8;;http://x\x07link" }, "description"},
		{"C1 control in the link", func(p *Party) { p.Link = "https://example.com/\u0085" }, "link"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			tc.edit(&p)
			err := p.Validate()
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid || !slices.ContainsFunc(e.Fields, func(f apperr.FieldError) bool { return f.Field == tc.field }) {
				t.Errorf("Validate = %v, want Invalid naming %s", err, tc.field)
			}
		})
	}
	p := base()
	p.Description = "Line one\r\nLine two\n\tindented"
	if err := p.Validate(); err != nil {
		t.Errorf("line breaks and tabs in a description: %v", err)
	}
}

func TestPlace(t *testing.T) {
	for _, tt := range []struct{ venue, address, want string }{
		{"Bootshaus", "Auenweg 173, Köln", "Bootshaus"},
		{"", "STARTPLATZ, Im Mediapark 5", "STARTPLATZ, Im Mediapark 5"},
		{"Bootshaus", "", "Bootshaus"},
		{"", "", ""},
	} {
		if got := (Party{Venue: tt.venue, Address: tt.address}).Place(); got != tt.want {
			t.Errorf("venue %q, address %q: Place %q, want %q", tt.venue, tt.address, got, tt.want)
		}
	}
}
