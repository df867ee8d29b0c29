package admin_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
)

// auditEntry is what these tests read of an audit entry.
type auditEntry struct {
	ID           string            `json:"id"`
	At           string            `json:"at"`
	Actor        string            `json:"actor"`
	Action       string            `json:"action"`
	ConferenceID string            `json:"conferenceId"`
	PartyID      string            `json:"partyId"`
	Before       map[string]string `json:"before"`
	After        map[string]string `json:"after"`
	Forced       bool              `json:"forced"`
	Note         string            `json:"note"`
}

type auditMeta struct {
	Count      int    `json:"count"`
	NextCursor string `json:"nextCursor"`
}

func (e *env) audit(query string) ([]auditEntry, auditMeta) {
	e.t.Helper()
	var (
		got  []auditEntry
		meta auditMeta
	)
	rec := e.do("admin", http.MethodGet, "/api/admin/audit?"+query, "")
	httpapitest.Data(e.t, rec, http.StatusOK, "application/json", &got, &meta)
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		e.t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	return got, meta
}

func actions(es []auditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Action
	}
	return out
}

// The audit trail lists the writes made through the function and the
// organizer use cases, newest first, each with who, what and the state
// before and after; it filters by party, by actor and by time, and pages
// with a cursor.
func TestAudit(t *testing.T) {
	e := newEnv(t, nil)
	conf := e.seeded.Conference
	start := time.Now().Add(-time.Second)
	e.do("admin", http.MethodPost, "/api/admin/conferences", newConference)
	e.do("admin", http.MethodPatch, "/api/admin/conferences/"+conf.ID, `{"name":"Renamed Week"}`)
	e.do("admin", http.MethodPost, "/api/admin/imports?conference="+conf.ID+"&source=sheet", sheet(e), "Content-Type", "text/csv")
	day, _ := time.ParseInLocation("2006-01-02 15:04", conf.FirstDay+" 19:00", conf.Location())
	submitted := e.submit("organizer", "Audited Party", "Audit Hall", day)

	all, meta := e.audit("")
	if want := []string{"party.submit", "import.apply", "conference.update", "conference.create"}; !slices.Equal(actions(all), want) {
		t.Fatalf("actions %v, want %v", actions(all), want)
	}
	if meta.Count != 4 || meta.NextCursor != "" {
		t.Errorf("meta %+v, want 4 entries and no next page", meta)
	}
	sub, imp, upd, created := all[0], all[1], all[2], all[3]
	if sub.Actor != "org-1" || sub.PartyID != submitted.ID || sub.ConferenceID != conf.ID || sub.After["title"] != "Audited Party" {
		t.Errorf("submission entry %+v", sub)
	}
	if imp.Actor != "admin-1" || imp.ConferenceID != conf.ID || imp.Note != `source "sheet": 2 created, 0 updated, 0 cancelled, 0 unchanged, 1 rejected` {
		t.Errorf("import entry %+v", imp)
	}
	if upd.Actor != "admin-1" || upd.Before["name"] != conf.Name || upd.After["name"] != "Renamed Week" || upd.Note != "name" {
		t.Errorf("update entry %+v", upd)
	}
	if created.ConferenceID != "devcon2026" || created.After["name"] != "Dev Con 2026" || len(created.Before) != 0 {
		t.Errorf("create entry %+v", created)
	}
	for _, en := range all {
		at, err := time.Parse(time.RFC3339Nano, en.At)
		if err != nil || at.Before(start) || en.ID == "" {
			t.Errorf("entry %s at %q (%v), want an id and an RFC 3339 time of this test", en.Action, en.At, err)
		}
	}

	filters := []struct {
		name, query string
		want        []string
	}{
		{"by party", "party=" + url.QueryEscape(submitted.ID), []string{"party.submit"}},
		{"by actor", "user=admin-1", []string{"import.apply", "conference.update", "conference.create"}},
		{"unknown actor", "user=nobody", []string{}},
		{"from the distant past", "from=1900-01-01T00:00:00Z", actions(all)},
		{"to the distant future", "to=3000-01-01T00:00:00Z", actions(all)},
		{"before the test", "to=" + url.QueryEscape(start.UTC().Format(time.RFC3339)), []string{}},
		{"after the last entry", "from=" + url.QueryEscape(time.Now().Add(time.Minute).UTC().Format(time.RFC3339)), []string{}},
	}
	for _, f := range filters {
		t.Run(f.name, func(t *testing.T) {
			got, _ := e.audit(f.query)
			if !slices.Equal(actions(got), f.want) {
				t.Errorf("actions %v, want %v", actions(got), f.want)
			}
		})
	}

	t.Run("paging", func(t *testing.T) {
		var seen []string
		query := "limit=3"
		for range 3 {
			page, meta := e.audit(query)
			seen = append(seen, actions(page)...)
			if meta.NextCursor == "" {
				break
			}
			query = "limit=3&cursor=" + url.QueryEscape(meta.NextCursor)
		}
		if !slices.Equal(seen, actions(all)) {
			t.Errorf("pages of 3 hold %v, want %v", seen, actions(all))
		}
	})
}

// Queries the trail cannot answer are refused naming the parameter.
func TestAuditRefused(t *testing.T) {
	e := newEnv(t, nil)
	long := make([]byte, 129)
	for i := range long {
		long[i] = 'p'
	}
	tests := []struct {
		name, query string
		field       string
	}{
		{"limit zero", "limit=0", "limit"},
		{"limit too large", "limit=201", "limit"},
		{"limit not a number", "limit=ten", "limit"},
		{"from not a time", "from=yesterday", "from"},
		{"to not after from", "from=2026-08-20T18:00:00Z&to=2026-08-20T18:00:00Z", "to"},
		{"party too long", "party=" + string(long), "party"},
		{"unknown parameter", "action=party.submit", "action"},
		{"bad cursor", "cursor=not-a-cursor", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			httpapitest.Problem(t, e.do("admin", http.MethodGet, "/api/admin/audit?"+tt.query, ""), http.StatusBadRequest, "invalid", tt.field)
		})
	}
}
