package partyfinder

import (
	"net/http"

	"github.com/partyfinder/partyfinder/functions/swipe"
	"github.com/partyfinder/partyfinder/shared/telemetry"
)

// FnSwipe is the function's name, as registered with the Functions Framework.
const FnSwipe = "swipe"

// Attendees' swipes.
func init() {
	registerFunction(Function{Name: FnSwipe, Base: "/api/swipe", SLO: telemetry.AttendeeSLO.Name, build: func(a *app) http.Handler {
		return a.signedIn((&swipe.Handler{Swipes: a.attendees()}).Routes())
	}})
}
