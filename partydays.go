package partyfinder

import (
	"net/http"

	"github.com/partyfinder/partyfinder/functions/partydays"
	"github.com/partyfinder/partyfinder/shared/telemetry"
)

// FnPartyDays is the function's name, as registered with the Functions Framework.
const FnPartyDays = "partydays"

// A conference's parties, day by day.
func init() {
	registerFunction(Function{Name: FnPartyDays, Base: "/api/party-days", SLO: telemetry.FeedSLO.Name, build: func(a *app) http.Handler {
		return (&partydays.Handler{Feed: a.feed()}).Routes()
	}})
}
