package blackbox_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the driver the server uses, to lock its file as another process would
)

// While another process holds the SQLite file's write lock (an import from
// the command line next to the server, as README describes), a swipe is
// answered soon with 503 and Retry-After, a problem that says the store is
// busy, instead of an internal error after a long wait; once the lock is
// released, the same swipe succeeds.
func TestSwipeWhileAnotherProcessWrites(t *testing.T) {
	skipOn(t, "it locks the SQLite file; Firestore has no file lock to hold", targetFirestore, targetFunctions)
	db := filepath.Join(t.TempDir(), "busy.db")
	s := start(t, db)
	u := signIn(t, s, `{"uid":"busy-swiper"}`)
	p := partiesOf(t, s).published[0]
	body := fmt.Sprintf(`{"partyId":%q,"action":"like"}`, p.ID)

	other, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("take the write lock: %v", err)
	}
	locked := true
	defer func() {
		if locked {
			_, _ = conn.ExecContext(t.Context(), "ROLLBACK")
		}
	}()

	began := time.Now()
	r := s.as(t, u, http.MethodPost, "/api/swipe", body)
	took := time.Since(began)
	wantStatus(t, r, http.StatusServiceUnavailable, "POST /api/swipe while another process writes")
	if r.Header.Get("Retry-After") == "" {
		t.Error("a 503 without Retry-After: the client does not know when to try again")
	}
	problem := decode[struct {
		Code   string `json:"code"`
		Detail string `json:"detail"`
	}](t, r)
	if problem.Code != "unavailable" || !strings.Contains(problem.Detail, "busy") {
		t.Errorf("problem %+v, want code unavailable and a detail saying the database is busy", problem)
	}
	// The store gives up after two seconds; the rest is margin. Before, it
	// waited ten seconds and answered 500.
	if took > 5*time.Second {
		t.Errorf("the 503 came after %v, want within 5 s", took)
	}

	if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatalf("release the write lock: %v", err)
	}
	locked = false
	r = s.as(t, u, http.MethodPost, "/api/swipe", body)
	wantStatus(t, r, http.StatusOK, "POST /api/swipe after the lock was released")
	if got := decode[swipeResult](t, r); got.Swipe.PartyID != p.ID || got.Swipe.Action != "like" || !got.Saved {
		t.Errorf("swipe after the lock was released: %+v", got)
	}
}
