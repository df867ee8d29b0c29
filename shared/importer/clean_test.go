package importer

import (
	"slices"
	"strings"
	"testing"
)

func TestCleanText(t *testing.T) {
	tests := []struct {
		name, in, want string
		code           string // the warning expected, "" for none
	}{
		{"plain text is untouched", "Beam & Avalanche", "Beam & Avalanche", ""},
		{"empty stays empty", "   ", "", ""},
		{"(empty) placeholder", "(empty)", "", codePlaceholder},
		{"n/a placeholder", " N/A ", "", codePlaceholder},
		{"TBA placeholder", "TBA", "", codePlaceholder},
		{"dash placeholder", "-", "", codePlaceholder},
		{"none placeholder", "none", "", codePlaceholder},
		{"null placeholder", "null", "", codePlaceholder},
		{"a real word containing a placeholder is kept", "Nonesuch Bar", "Nonesuch Bar", ""},
		{"mojibake umlaut", "KÃ¶ln", "Köln", codeEncoding},
		{"mojibake en dash (Windows-1252)", "Happy Hour â€“ By Overwolf", "Happy Hour – By Overwolf", codeEncoding},
		{"mojibake sharp s", "StraÃŸe", "Straße", codeEncoding},
		{"double mojibake", "KÃƒÂ¶ln", "Köln", codeEncoding},
		{"correct umlauts are not touched", "Köln Café", "Köln Café", ""},
		{"partly damaged text is left and flagged", "Café Ã¶ Night", "Café Ã¶ Night", codeEncodingLeft},
		{"HTML entities", "Rock &amp; Roll", "Rock & Roll", codeEntity},
		{"zero-width characters go silently", "Mix\u200ber", "Mixer", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, issues := cleanText("title", tt.in)
			if strings.TrimSpace(got) != tt.want {
				t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if c := codes(issues); tt.code == "" && len(c) > 0 || tt.code != "" && !slices.Equal(c, []string{tt.code}) {
				t.Errorf("cleanText(%q) warnings %v, want [%s]", tt.in, c, tt.code)
			}
		})
	}
}

func TestDecodeCP1252(t *testing.T) {
	if got := decodeCP1252([]byte("K\xf6ln \x8020 \x93quoted\x94")); got != "Köln €20 “quoted”" {
		t.Errorf("decodeCP1252 = %q", got)
	}
}

func TestCleanLink(t *testing.T) {
	tests := []struct {
		in, want, code string
	}{
		{"https://lu.ma/9icyxru0", "https://lu.ma/9icyxru0", ""},
		{"http://eventbrite.com/e/x", "http://eventbrite.com/e/x", ""},
		{"  https://lu.ma/x  ", "https://lu.ma/x", ""},
		{"lu.ma/x", "https://lu.ma/x", codeLinkScheme},
		{"www.eventbrite.com/e/global-xrai-hack-tickets-1451976052459", "https://www.eventbrite.com/e/global-xrai-hack-tickets-1451976052459", codeLinkScheme},
		{"//example.com/a", "https://example.com/a", codeLinkScheme},
		{"n/a", "", codePlaceholder},
		{"mailto:party@example.com", "", codeLinkDropped},
		{"javascript:alert(1)", "", codeLinkDropped},
		{"ftp://example.com/file", "", codeLinkDropped},
		{"see the website", "", codeLinkDropped},
		{"ask at the bar", "", codeLinkDropped},
		{"https://user:pw@example.com/", "", codeLinkDropped},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, issues := cleanLink(tt.in)
			if got != tt.want {
				t.Errorf("cleanLink(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if c := codes(issues); tt.code == "" && len(c) > 0 || tt.code != "" && !slices.Contains(c, tt.code) {
				t.Errorf("cleanLink(%q) warnings %v, want %q", tt.in, c, tt.code)
			}
		})
	}
}

func TestSplitHosts(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Beam, Avalanche", []string{"Beam", "Avalanche"}},
		{"Meta & HTC", []string{"Meta", "HTC"}},
		{"Saga x Sensor Tower", []string{"Saga", "Sensor Tower"}},
		{"Stash, Geeklab; Coda\nDevGAMM", []string{"Stash", "Geeklab", "Coda", "DevGAMM"}},
		{"Saga xyz", []string{"Saga xyz"}},
		{"You + 50 Friends", []string{"You + 50 Friends"}},
		{"Xsolla", []string{"Xsolla"}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := splitHosts(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("splitHosts(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestVenueOf(t *testing.T) {
	tests := []struct{ address, venue string }{
		{"Rheinloft Cologne, Frankenwerft 35, 50667, Germany", "Rheinloft Cologne"},
		{"Cologne Fair, Messeplatz 1, 50679, Germany", "Cologne Fair"},
		{"Hyatt Regency Cologne", "Hyatt Regency Cologne"},
		{"Hall 2.1 C028-D027, Koelnmesse, Cologne", "Hall 2.1 C028-D027"},
		{"Turiner Straße 9, cologne, germany", ""},
		{"Salzgasse 2, 50667, Germany", ""},
		{"Willy-Brandt-Platz 3, 50679, Germany", ""},
		{"Im Mediapark 5, 50670, Germany", ""},
		{"Alter Markt 50-52, 50667 Köln", ""},
		{"Bolzengasse 7, Cologne, Germany 50667", ""},
		{"50667 Köln", ""},
		{"35 Main Street, Springfield", ""},
		{"Hall 2, Booth A034, Koelnmesse, Cologne", "Hall 2"},
	}
	for _, tt := range tests {
		if got := venueOf(tt.address); got != tt.venue {
			t.Errorf("venueOf(%q) = %q, want %q", tt.address, got, tt.venue)
		}
	}
}

func TestRepairStreet(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Herbrandstraoe 21, 50825", "Herbrandstraße 21, 50825"},
		{"Turiner Strabe 9, cologne", "Turiner Straße 9, cologne"},
		{"Johannisstraue 76-80", "Johannisstraße 76-80"},
		{"MarzellenstraBe 43a", "Marzellenstraße 43a"},
		{"Luise-Straus-Ernst-Straoe 4", "Luise-Straus-Ernst-Straße 4"},
		{"Straube Gallery, Hauptstraße 1", "Straube Gallery, Hauptstraße 1"},
		{"Martinstrasse 29-37", "Martinstrasse 29-37"},
	}
	for _, tt := range tests {
		got, issues := repairStreet("address", tt.in)
		if got != tt.want {
			t.Errorf("repairStreet(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if (got != tt.in) != (len(issues) > 0) {
			t.Errorf("repairStreet(%q): a repair must warn and only a repair: %v", tt.in, issues)
		}
	}
}

func codes(is []issue) []string {
	var out []string
	for _, i := range is {
		out = append(out, i.Code)
	}
	return out
}
