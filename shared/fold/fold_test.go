package fold

import (
	"testing"
	"unicode"
)

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Köln", "koln"},
		{"KÖLN", "koln"},
		{"Café  Crème", "cafe creme"},
		{"Straße", "strasse"},
		{"  Ærø Łódź ", "aero lodz"},
		{"plain ascii", "plain ascii"},
		{"Tab\tand\nnewline", "tab and newline"},
		{"", ""},
		{"São Paulo", "sao paulo"},
	}
	for _, tt := range tests {
		if got := String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkString(b *testing.B) {
	for b.Loop() {
		String("Courage Cologne @ devcom Developer Night 2025 — HERBRAND's, Herbrandstraße 21, Köln")
	}
}

// Every ASCII character folds as the general rule says: white space
// separates words, letters lose their case, the rest stays.
func TestStringASCII(t *testing.T) {
	for c := rune(0); c < 128; c++ {
		want := "a" + string(unicode.ToLower(c)) + "b"
		if unicode.IsSpace(c) {
			want = "a b"
		}
		if got := String("a" + string(c) + "b"); got != want {
			t.Errorf("String(%q) = %q, want %q", "a"+string(c)+"b", got, want)
		}
	}
}
