package blackbox_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// unfold undoes RFC 5545 line folding (CRLF followed by a space or tab).
func unfold(ics string) string {
	return strings.NewReplacer("\r\n ", "", "\r\n\t", "").Replace(ics)
}

// checkICS checks what every calendar app relies on: CRLF line endings,
// lines of at most 75 octets, one VCALENDAR with a VTIMEZONE for the
// conference's zone and events written in it.
func checkICS(t *testing.T, r *result, filename string) string {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Errorf("Content-Type %q, want text/calendar", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="`+filename+`"`) {
		t.Errorf("Content-Disposition %q, want filename %q", cd, filename)
	}
	body := string(r.Body)
	if !strings.HasPrefix(body, "BEGIN:VCALENDAR\r\n") || !strings.HasSuffix(body, "END:VCALENDAR\r\n") {
		t.Errorf("not one VCALENDAR: %.80q … %.40q", body, body[max(0, len(body)-40):])
	}
	for i, line := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 75 {
			t.Errorf("line %d is %d octets, longer than 75: %q", i+1, len(line), line)
		}
	}
	text := unfold(body)
	for _, want := range []string{"VERSION:2.0\r\n", "PRODID:", "BEGIN:VTIMEZONE\r\n", "TZID:Europe/Berlin\r\n", "DTSTART;TZID=Europe/Berlin:"} {
		if !strings.Contains(text, want) {
			t.Errorf("the calendar lacks %q", want)
		}
	}
	if strings.Count(text, "BEGIN:VEVENT\r\n") != strings.Count(text, "END:VEVENT\r\n") {
		t.Errorf("unbalanced VEVENTs")
	}
	return text
}

func TestPartyCalendar(t *testing.T) {
	all, _ := everything(t, shared)
	p := all[len(all)/3]
	path := "/api/parties/" + p.ID + "/calendar.ics"
	r := shared.get(t, path)
	wantStatus(t, r, http.StatusOK, path)
	text := checkICS(t, r, p.ID+".ics")
	if n := strings.Count(text, "BEGIN:VEVENT\r\n"); n != 1 {
		t.Errorf("%d events, want 1", n)
	}
	if !strings.Contains(text, "\r\nUID:") || !strings.Contains(text[strings.Index(text, "\r\nUID:"):], p.ID) {
		t.Errorf("the event's UID does not carry the party id %s", p.ID)
	}
	if !strings.Contains(text, "SUMMARY:") {
		t.Errorf("no SUMMARY")
	}

	// Older clients ask the calendar URL with a query parameter: same file
	// (behind Hosting from another function, once both have the party's
	// latest version).
	for _, legacy := range []string{"/api/calendar/ics?partyId=" + p.ID, "/api/calendar/ics?eventId=" + p.ID} {
		consistent(t, shared, func() error {
			r := shared.get(t, path)
			lr := shared.get(t, legacy)
			wantStatus(t, lr, http.StatusOK, legacy)
			if !bytes.Equal(lr.Body, r.Body) || lr.Header.Get("ETag") != r.Header.Get("ETag") {
				return fmt.Errorf("%s differs from %s", legacy, path)
			}
			return nil
		})
	}
}

func TestCancelledPartyCalendar(t *testing.T) {
	all, _ := everything(t, shared)
	for _, p := range all {
		if p.Status != "cancelled" {
			continue
		}
		r := shared.get(t, "/api/parties/"+p.ID+"/calendar.ics")
		wantStatus(t, r, http.StatusOK, "cancelled party's calendar")
		if text := checkICS(t, r, p.ID+".ics"); !strings.Contains(text, "STATUS:CANCELLED\r\n") {
			t.Errorf("cancelled party %s: its calendar file does not say STATUS:CANCELLED", p.ID)
		}
		return
	}
	t.Fatal("no cancelled party in the demo data")
}

func TestConferenceCalendar(t *testing.T) {
	path := "/api/conferences/" + demoConference + "/calendar.ics"
	var (
		all []partyJSON
		r   *result
	)
	consistent(t, shared, func() error { // behind Hosting, two functions
		all, _ = everything(t, shared)
		r = shared.get(t, path)
		for _, p := range all {
			if !strings.Contains(string(r.Body), p.ID) {
				return fmt.Errorf("party %s is not in the conference calendar", p.ID)
			}
		}
		return nil
	})
	wantStatus(t, r, http.StatusOK, path)
	text := checkICS(t, r, demoConference+".ics")
	if n := strings.Count(text, "BEGIN:VEVENT\r\n"); n != len(all) {
		t.Errorf("%d events, want every visible party (%d)", n, len(all))
	}
	if n, want := strings.Count(text, "STATUS:CANCELLED\r\n"), len(all)-len(published(all)); n != want {
		t.Errorf("%d cancelled events, want %d", n, want)
	}
	for _, p := range all {
		if !strings.Contains(text, p.ID) {
			t.Errorf("party %s is not in the conference calendar", p.ID)
		}
	}
	if !strings.Contains(text, "REFRESH-INTERVAL") {
		t.Errorf("a subscribable calendar without REFRESH-INTERVAL")
	}
	if strings.Count(text, "BEGIN:VTIMEZONE\r\n") != 1 {
		t.Errorf("want exactly one VTIMEZONE")
	}
}
