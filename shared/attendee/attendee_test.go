package attendee

import (
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

func TestParseAction(t *testing.T) {
	tests := map[string]Action{"like": Like, "LIKE": Like, "right": Like, "pass": Pass, "left": Pass, "interested": Interested, " Interested ": Interested}
	for in, want := range tests {
		if got, ok := ParseAction(in); !ok || got != want {
			t.Errorf("ParseAction(%q) = %q, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "down", "up", "superlike", "likes"} {
		if _, ok := ParseAction(bad); ok {
			t.Errorf("ParseAction(%q) accepted", bad)
		}
	}
	if !Like.Saves() || !Interested.Saves() || Pass.Saves() {
		t.Error("like and interested save, pass does not")
	}
}

func TestProfileValidate(t *testing.T) {
	long := string(make([]rune, 101))
	tests := []struct {
		name  string
		p     Profile
		field string
	}{
		{"ok", Profile{UID: "u", DisplayName: "Ada", Persona: Developer, Visibility: Attendees}, ""},
		{"default", NewProfile("u"), ""},
		{"long name", Profile{UID: "u", DisplayName: long, Visibility: Private}, "displayName"},
		{"control chars", Profile{UID: "u", Company: "a\nb", Visibility: Private}, "company"},
		{"unknown persona", Profile{UID: "u", Persona: "wizard", Visibility: Private}, "persona"},
		{"no visibility", Profile{UID: "u"}, "visibility"},
		{"no uid", Profile{Visibility: Private}, "uid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
				t.Errorf("err = %v, want a problem with %s", err, tt.field)
			}
		})
	}
}

func TestCalendarToken(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	a1 := CalendarToken(secret, "alice", time.Time{}, 1)
	if a1 != CalendarToken(secret, "alice", time.Time{}, 1) {
		t.Fatal("not deterministic")
	}
	others := []string{CalendarToken(secret, "alice", time.Time{}, 2), CalendarToken(secret, "bob", time.Time{}, 1), CalendarToken([]byte("another secret, just as long...."), "alice", time.Time{}, 1), CalendarToken(secret, "alice", time.Unix(1, 0), 1)}
	for _, o := range others {
		if o == a1 {
			t.Error("token collides across generation, user, secret or erasure")
		}
	}
	if !ValidTokenShape(a1) || ValidTokenShape(a1[:42]) || ValidTokenShape("!"+a1[1:]) {
		t.Error("token shape check is wrong")
	}
	if len(a1)*6 < 128 {
		t.Errorf("token has %d bits, want at least 128", len(a1)*6)
	}
	if HashToken(a1) == a1 || HashToken(a1) != HashToken(a1) || len(HashToken(a1)) != 64 {
		t.Error("hash is not a stable sha256")
	}
}
