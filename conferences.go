package partyfinder

import (
	"net/http"

	"github.com/partyfinder/partyfinder/functions/conferences"
	"github.com/partyfinder/partyfinder/shared/telemetry"
)

// FnConferences is the function's name, as registered with the Functions Framework.
const FnConferences = "conferences"

// The conferences and their calendars.
func init() {
	registerFunction(Function{Name: FnConferences, Base: "/api/conferences", SLO: telemetry.FeedSLO.Name, build: func(a *app) http.Handler {
		return (&conferences.Handler{Feed: a.feed(), Calendar: a.calendarOptions()}).Routes()
	}})
}
