package firestore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Documents hold what Firestore can keep: times to the microsecond in UTC,
// null for an unknown location or open end, arrays for lists.
func TestPartyDocument(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	p := party.Party{
		ID: "p1", ConferenceID: "gamescom2025", Title: "Köln", Status: party.Published,
		Start:     time.Date(2025, 8, 20, 21, 0, 0, 123456789, berlin),
		CreatedAt: time.Date(2025, 7, 1, 8, 0, 0, 999, time.UTC),
		Category:  party.NewCategory("Mixer"), Version: 3,
	}
	d := marshalParty(p)
	if d.End != nil || d.Location != nil {
		t.Errorf("open end and unknown location stored as %v, %v; want null", d.End, d.Location)
	}
	if d.Hosts == nil || d.Tags == nil {
		t.Errorf("missing lists stored as null; want empty arrays")
	}
	if d.UpdatedAt != nil {
		t.Errorf("zero UpdatedAt stored as %v, want null", d.UpdatedAt)
	}
	got := unmarshalParty("p1", d)
	wantStart := time.Date(2025, 8, 20, 19, 0, 0, 123456000, time.UTC)
	if !got.Start.Equal(wantStart) || got.Start.Location() != time.UTC {
		t.Errorf("start = %v, want %v", got.Start, wantStart)
	}
	if !got.CreatedAt.Equal(time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("createdAt = %v, want it cut to the microsecond", got.CreatedAt)
	}
	if !got.Equal(asStored(p)) || got.Version != 3 || got.Hosts != nil || got.Tags != nil {
		t.Errorf("round trip = %+v, want %+v", got, asStored(p))
	}
}

func TestTranslate(t *testing.T) {
	mine := apperr.New(apperr.Invalid, "bad")
	tests := []struct {
		err  error
		kind apperr.Kind
	}{
		{status.Error(codes.NotFound, "no document"), apperr.NotFound},
		{status.Error(codes.AlreadyExists, "exists"), apperr.Conflict},
		{status.Error(codes.FailedPrecondition, "precondition failed"), apperr.Conflict},
		{status.Error(codes.FailedPrecondition, "The query requires an index. You can create it here: ..."), apperr.Internal},
		{status.Error(codes.Aborted, "too much contention"), apperr.Unavailable},
		{fmt.Errorf("sleep: %w", context.DeadlineExceeded), apperr.Unavailable},
		{context.Canceled, apperr.Internal},
		{status.Error(codes.Unavailable, "connection refused"), apperr.Unavailable},
		{fmt.Errorf("wrapped: %w", status.Error(codes.DeadlineExceeded, "slow")), apperr.Unavailable},
		{status.Error(codes.PermissionDenied, "no"), apperr.Internal},
		{fmt.Errorf("op: %w", mine), apperr.Invalid},
	}
	for _, tc := range tests {
		got := translate(tc.err)
		if apperr.KindOf(got) != tc.kind {
			t.Errorf("translate(%v) kind = %q, want %q", tc.err, apperr.KindOf(got), tc.kind)
		}
		if !errors.Is(got, tc.err) && status.Code(got) != status.Code(tc.err) {
			t.Errorf("translate(%v) lost the original error: %v", tc.err, got)
		}
	}
}
