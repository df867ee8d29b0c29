package main

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// gzipHeader is what every browser and the app send.
func gzipHeader() http.Header {
	return http.Header{"Accept-Encoding": {"gzip"}}
}

// serverShapes lists the shapes with a 200 answer against the server at
// base. The full feed comes first: the 304 shape (withRevalidation) is
// derived from it. Each shape marked Compare gets a ceiling of its own,
// replaying its own response (ceilingShape).
func serverShapes(base string, ps []party.Party) ([]shape, error) {
	first, err := time.Parse(conference.DateLayout, benchFirstDay)
	if err != nil {
		return nil, err
	}
	day2 := first.AddDate(0, 0, 1).Format(conference.DateLayout)
	feedURL := base + "/api/parties?" + url.Values{"conference": {benchConference}, "limit": {"500"}}.Encode()
	filtered := base + "/api/parties?" + url.Values{"conference": {benchConference}, "date": {day2},
		"category": {"mixer"}, "q": {benchWord}}.Encode()
	partyID := ""
	for _, p := range ps {
		if p.Status == party.Published {
			partyID = p.ID
			break
		}
	}
	shapes := []shape{
		{Name: "feed-gzip", Label: "(a) full feed, 500 parties, gzip", URL: feedURL, Header: gzipHeader(), Want: http.StatusOK, Compare: true},
		{Name: "filtered", Label: "(b) filtered: day 2, mixer, q=" + benchWord + ", gzip", URL: filtered, Header: gzipHeader(), Want: http.StatusOK, Compare: true},
		// The same query as the calendars a subscriber or a schedule app
		// fetches: every party it selects, in one file.
		{Name: "filtered-ics", Label: "(b) the same filter, format=ics, gzip", URL: filtered + "&format=ics", Header: gzipHeader(),
			Want: http.StatusOK, Compare: true},
		{Name: "filtered-frab-xml", Label: "(b) the same filter, format=frab-xml, gzip", URL: filtered + "&format=frab-xml", Header: gzipHeader(),
			Want: http.StatusOK, Compare: true},
		{Name: "filtered-frab-json", Label: "(b) the same filter, format=frab-json, gzip", URL: filtered + "&format=frab-json", Header: gzipHeader(),
			Want: http.StatusOK, Compare: true},
		{Name: "conference-ics", Label: "(c) conference calendar.ics, gzip", URL: base + "/api/conferences/" + benchConference + "/calendar.ics",
			Header: gzipHeader(), Want: http.StatusOK},
		{Name: "party-ics", Label: "(c) one party's calendar.ics", URL: base + "/api/parties/" + partyID + "/calendar.ics",
			Header: gzipHeader(), Want: http.StatusOK},
	}
	return shapes, nil
}

// revalidateShape is the full feed's request from a client that holds its
// current version: it sends the ETag back and gets 304 Not Modified.
func revalidateShape(feed shape, etag string) shape {
	h := feed.Header.Clone()
	h.Set("If-None-Match", etag)
	return shape{Name: "revalidate-304", Label: "(d) full feed revalidation, If-None-Match → 304",
		URL: feed.URL, Header: h, Want: http.StatusNotModified, PID: feed.PID}
}

// withRevalidation fetches the full feed (the first shape) from its server
// and appends the 304 shape with its ETag.
func withRevalidation(shapes []shape) ([]shape, capture, error) {
	feed, err := fetch(shapes[0])
	if err != nil {
		return nil, feed, err
	}
	etag := feed.Header.Get("ETag")
	if feed.Status != http.StatusOK || etag == "" {
		return nil, feed, fmt.Errorf("full feed: status %d, ETag %q: want 200 with an ETag", feed.Status, etag)
	}
	return append(shapes, revalidateShape(shapes[0], etag)), feed, nil
}

// ceilingShape is s's request sent to a ceiling server replaying s's
// response. The full feed's ceiling keeps its old name, so figures of
// earlier runs still line up.
func ceilingShape(base string, s shape) shape {
	u, _ := url.Parse(s.URL)
	c := shape{Name: "ceiling-" + s.Name, Label: "(e) ceiling: bare net/http, same bytes as " + s.Name,
		URL: base + u.RequestURI(), Header: s.Header.Clone(), Want: http.StatusOK, Of: s.Name}
	if s.Name == "feed-gzip" {
		c.Name, c.Label = "ceiling", "(e) ceiling: bare net/http, same bytes as (a)"
	}
	return c
}

// ceilingName is the name of the ceiling shape that replays s.
func ceilingName(s shape) string { return ceilingShape("", s).Name }
