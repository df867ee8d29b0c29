package partyfinder

import (
	"net/http"

	"github.com/partyfinder/partyfinder/functions/me"
	"github.com/partyfinder/partyfinder/shared/telemetry"
)

// FnMe is the function's name, as registered with the Functions Framework.
const FnMe = "me"

// An attendee's own: saves, schedule, history, shares, erasure.
func init() {
	registerFunction(Function{Name: FnMe, Base: "/api/me", SLO: telemetry.AttendeeSLO.Name, build: func(a *app) http.Handler {
		views := a.views()
		return a.signedIn((&me.Handler{Commands: a.attendees(), Store: a.Store, Views: views, Feed: a.feed(), History: views.History,
			PublicURL: a.Config.PublicURL}).Routes())
	}})
}
