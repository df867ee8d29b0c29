package partyfinder

import (
	"net/http"

	"github.com/partyfinder/partyfinder/functions/parties"
	"github.com/partyfinder/partyfinder/shared/telemetry"
)

// FnParties is the function's name, as registered with the Functions Framework.
const FnParties = "parties"

// The party feed, a party's page and calendar, and organizers' writes.
func init() {
	registerFunction(Function{Name: FnParties, Base: "/api/parties", SLO: telemetry.FeedSLO.Name, build: func(a *app) http.Handler {
		// The writes' parts are built on the first write: an instance that
		// only serves the feed builds the feed alone.
		h := &parties.Handler{Feed: a.feed(), Calendar: a.calendarOptions(), Organizers: a.organizersOnDemand(), Stored: a.Store,
			WriteAuth: a.writeAuth()}
		return h.Routes()
	}})
}
