package partyfinder

import (
	"net/http"

	"github.com/partyfinder/partyfinder/functions/calendar"
	"github.com/partyfinder/partyfinder/shared/telemetry"
)

// FnCalendar is the function's name, as registered with the Functions Framework.
const FnCalendar = "calendar"

// Calendar exports: a party's, a conference's, an attendee's own.
func init() {
	registerFunction(Function{Name: FnCalendar, Base: "/api/calendar", SLO: telemetry.FeedSLO.Name, build: func(a *app) http.Handler {
		return (&calendar.Handler{Feed: a.feed(), Calendar: a.calendarOptions(), Personal: a.views()}).Routes()
	}})
}
