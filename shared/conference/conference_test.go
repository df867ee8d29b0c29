package conference

import (
	"testing"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name                             string
		id, cname, city, tz, first, last string
		wantField                        string
	}{
		{"valid", "gamescom2025", "Gamescom 2025", "Cologne", "Europe/Berlin", "2025-08-17", "2025-08-23", ""},
		{"missing zone", "gamescom2025", "Gamescom", "Cologne", "", "2025-08-17", "2025-08-23", "timeZone"},
		{"made-up zone", "gamescom2025", "Gamescom", "Cologne", "Europe/Koeln", "2025-08-17", "2025-08-23", "timeZone"},
		{"Local is not a conference zone", "gamescom2025", "Gamescom", "Cologne", "Local", "2025-08-17", "2025-08-23", "timeZone"},
		{"uppercase id", "Gamescom", "Gamescom", "Cologne", "Europe/Berlin", "2025-08-17", "2025-08-23", "id"},
		{"no name", "gamescom2025", " ", "Cologne", "Europe/Berlin", "2025-08-17", "2025-08-23", "name"},
		{"days reversed", "gamescom2025", "Gamescom", "Cologne", "Europe/Berlin", "2025-08-23", "2025-08-17", "lastDay"},
		{"day without year", "gamescom2025", "Gamescom", "Cologne", "Europe/Berlin", "Aug 17", "2025-08-23", "firstDay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.id, tt.cname, tt.city, tt.tz, tt.first, tt.last)
			if tt.wantField == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Location().String() != tt.tz || c.Year() != 2025 {
					t.Errorf("location %v year %d", c.Location(), c.Year())
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid {
				t.Fatalf("err = %v, want Invalid", err)
			}
			for _, f := range e.Fields {
				if f.Field == tt.wantField {
					return
				}
			}
			t.Errorf("fields %+v do not name %s", e.Fields, tt.wantField)
		})
	}
}
