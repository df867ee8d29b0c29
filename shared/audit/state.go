package audit

import (
	"strconv"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// OfParty is a party's state as the trail keeps it.
func OfParty(p party.Party) State {
	s := State{
		"title":       p.Title,
		"venue":       p.Venue,
		"address":     p.Address,
		"start":       p.Start.UTC().Format(time.RFC3339),
		"category":    p.Category.Label,
		"price":       p.Price,
		"description": p.Description,
		"link":        p.Link,
		"hosts":       strings.Join(p.Hosts, "; "),
		"status":      string(p.Status),
		"note":        p.Note,
		"owner":       p.Owner,
	}
	if !p.End.IsZero() {
		s["end"] = p.End.UTC().Format(time.RFC3339)
	}
	if p.Location != nil {
		s["lat"] = strconv.FormatFloat(p.Location.Lat, 'f', -1, 64)
		s["lng"] = strconv.FormatFloat(p.Location.Lng, 'f', -1, 64)
	}
	return s.Clip()
}

// OfConference is a conference's state as the trail keeps it.
func OfConference(c conference.Conference) State {
	return State{
		"name":       c.Name,
		"city":       c.City,
		"timeZone":   c.TimeZone,
		"firstDay":   c.FirstDay,
		"lastDay":    c.LastDay,
		"categories": strings.Join(c.Categories, "; "),
		"syncUrl":    c.SyncURL,
	}.Clip()
}
