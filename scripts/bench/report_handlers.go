package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

func (r report) writeHandlers(b *strings.Builder) {
	if len(r.Handlers) == 0 {
		return
	}
	fmt.Fprintf(b, "\n### The handlers alone\n\nEach shape's request run through the handlers in the bench process (the app wired by the root package, "+
		"a ServeMux in place of the server's firebase.json router; for the ceiling its replay handler) into a writer that keeps nothing, "+
		"with testing.Benchmark on one CPU: the part of CPU/req that is our code rather than the network, the kernel and net/http.\n\n")
	fmt.Fprintf(b, "| Shape | ns/op | B/op | allocs/op |\n|---|--:|--:|--:|\n")
	for _, h := range r.Handlers {
		fmt.Fprintf(b, "| %s | %d | %d | %d |\n", h.Name, h.NsPerOp, h.BytesPerOp, h.AllocsPerOp)
	}
}

// describeResponse says what a shape's answer was: status, size on the wire,
// encoding and, for feeds, how many parties it held.
func describeResponse(c capture) string {
	s := fmt.Sprintf("%d, %s", c.Status, sizeOf(len(c.Body)))
	if enc := c.Header.Get("Content-Encoding"); enc != "" {
		s += " " + enc
	}
	if n, ok := feedTotal(c); ok {
		s += fmt.Sprintf(", %d parties", n)
	} else if n, ok := calendarEvents(c); ok {
		s += fmt.Sprintf(", %d parties", n)
	}
	return s
}

// calendarEvents counts the parties in a calendar response: the events of
// an iCalendar file or of a frab schedule, XML or JSON.
func calendarEvents(c capture) (int, bool) {
	ct := c.Header.Get("Content-Type")
	var marker string
	switch {
	case strings.HasPrefix(ct, "text/calendar"):
		marker = "BEGIN:VEVENT"
	case strings.HasPrefix(ct, "application/xml"):
		marker = "<event "
	case strings.HasPrefix(ct, "application/json"):
		marker = `{"guid":"` // only events start with their guid
	default:
		return 0, false
	}
	body, err := plainBody(c)
	if err != nil {
		return 0, false
	}
	return bytes.Count(body, []byte(marker)), true
}

// plainBody returns a response's body, gunzipped when it was sent gzipped.
func plainBody(c capture) ([]byte, error) {
	if c.Header.Get("Content-Encoding") != "gzip" {
		return c.Body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(c.Body))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

func sizeOf(n int) string {
	if n >= 1024 {
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	}
	return fmt.Sprintf("%d B", n)
}

// feedTotal reads meta.total from a feed response, gzip or not.
func feedTotal(c capture) (int, bool) {
	if !strings.HasPrefix(c.Header.Get("Content-Type"), "application/json") {
		return 0, false
	}
	var body io.Reader = bytes.NewReader(c.Body)
	if c.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return 0, false
		}
		body = zr
	}
	var v struct {
		Meta struct {
			Total *int `json:"total"`
		} `json:"meta"`
	}
	if err := json.NewDecoder(body).Decode(&v); err != nil || v.Meta.Total == nil {
		return 0, false
	}
	return *v.Meta.Total, true
}
