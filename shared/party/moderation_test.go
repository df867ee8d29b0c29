package party_test

import (
	"testing"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/party"
)

// The moderation transitions: which statuses each may start from, and
// what it leaves.
func TestModerationTransitions(t *testing.T) {
	tests := []struct {
		name     string
		from     party.Status
		do       func(p *party.Party) error
		want     party.Status
		wantKind apperr.Kind // "" for success
	}{
		{"publish pending", party.Pending, (*party.Party).Publish, party.Published, ""},
		{"publish rejected", party.Rejected, (*party.Party).Publish, party.Published, ""},
		{"publish cancelled", party.Cancelled, (*party.Party).Publish, party.Cancelled, apperr.Conflict},
		{"reject pending", party.Pending, func(p *party.Party) error { return p.Reject("spam") }, party.Rejected, ""},
		{"reject published", party.Published, func(p *party.Party) error { return p.Reject("spam") }, party.Published, apperr.Conflict},
		{"reject without a reason", party.Pending, func(p *party.Party) error { return p.Reject("  ") }, party.Pending, apperr.Invalid},
		{"cancel published", party.Published, func(p *party.Party) error { return p.Cancel("rain") }, party.Cancelled, ""},
		{"cancel rejected", party.Rejected, func(p *party.Party) error { return p.Cancel("rain") }, party.Rejected, apperr.Conflict},
		{"remove published: a cancelled tombstone", party.Published, func(p *party.Party) error { p.Remove(""); return nil }, party.Cancelled, ""},
		{"remove pending: stays hidden", party.Pending, func(p *party.Party) error { p.Remove("spam"); return nil }, party.Rejected, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := party.Party{Status: tc.from}
			err := tc.do(&p)
			if tc.wantKind == "" && err != nil || tc.wantKind != "" && !apperr.Is(err, tc.wantKind) {
				t.Fatalf("error %v, want kind %q", err, tc.wantKind)
			}
			if p.Status != tc.want {
				t.Errorf("status %s, want %s", p.Status, tc.want)
			}
			if err == nil && (p.Status == party.Cancelled || p.Status == party.Rejected) && p.Note == "" {
				t.Error("no note says why")
			}
		})
	}
}
